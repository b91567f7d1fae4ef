// slipstream console: the workflow graph (laid out by dagre, drawn as SVG, coloured by phase
// and refreshed while the execution runs) and the launch form's checks before sending.
"use strict";

const COLOURS = {
  QUEUED: "#9e9e9e", WAITING: "#9e9e9e", RUNNING: "#1e88e5", ABORTING: "#fb8c00",
  SUCCEEDED: "#2e7d32", FAILED: "#c62828", TIMED_OUT: "#6d4c41", ABORTED: "#ef6c00",
  SKIPPED: "#bdbdbd",
};
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function drawGraph(box) {
  const data = JSON.parse(box.dataset.graph);
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 20, ranksep: 40, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) {
    const label = `${n.id} ${n.label}`;
    g.setNode(n.id, { label, kind: n.kind, width: Math.max(80, label.length * 7 + 16), height: 32 });
  }
  for (const [a, b] of data.edges) g.setEdge(a, b);
  dagre.layout(g);
  const size = g.graph();
  const svg = el("svg", { width: size.width, height: size.height, class: "dag" }, null);
  el("defs", {}, svg).innerHTML =
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker>';
  for (const e of g.edges()) {
    const pts = g.edge(e).points.map((p) => `${p.x},${p.y}`).join(" ");
    el("polyline", { points: pts, fill: "none", stroke: "#888", "marker-end": "url(#arrow)" }, svg);
  }
  for (const id of g.nodes()) {
    const n = g.node(id);
    const grp = el("g", { class: "gnode", "data-node": id, transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})` }, svg);
    el("rect", { width: n.width, height: n.height, rx: 5, fill: "#eceff1", stroke: "#607d8b" }, grp);
    const t = el("text", { x: 8, y: 20, "font-size": 12 }, grp);
    t.textContent = n.label;
    el("title", {}, grp).textContent = `${id} (${n.kind})`;
  }
  box.innerHTML = "";
  box.appendChild(svg);
  svg.querySelectorAll("g.gnode").forEach((grp) => {
    const href = nodeHref(box, grp.dataset.node, data);
    if (!href) return;
    grp.classList.add("link");
    grp.setAttribute("tabindex", "0");
    grp.setAttribute("role", "link");
    grp.addEventListener("click", () => openNode(box, grp.dataset.node, href));
    grp.addEventListener("keydown", (ev) => { if (ev.key === "Enter") openNode(box, grp.dataset.node, href); });
  });
  const chosen = box.dataset.base ? new URLSearchParams(window.location.search).get("node") : null;
  const picked = chosen ? svg.querySelector(`g[data-node="${CSS.escape(chosen)}"]`) : null;
  if (picked) picked.classList.add("selected");
  const url = box.dataset.phases;
  if (url) follow(box, url);
}

function nodeHref(box, id, data) {
  // an execution's graph: the node's own page address; an entity's graph: what the node runs
  if (box.dataset.base) return `${box.dataset.base}?node=${encodeURIComponent(id)}`;
  const n = data.nodes.find((x) => x.id === id);
  return n && n.href ? n.href : "";
}

function openNode(box, id, href) {
  const detail = document.getElementById("node-detail");
  if (!box.dataset.base || !detail || !window.htmx) {
    window.location.assign(href);
    return;
  }
  htmx.ajax("GET", `${box.dataset.base}/node?path=${encodeURIComponent(id)}`, { target: "#node-detail" });
  history.pushState({}, "", href);
  box.querySelectorAll("g.gnode.selected").forEach((g) => g.classList.remove("selected"));
  const picked = box.querySelector(`g[data-node="${CSS.escape(id)}"]`);
  if (picked) picked.classList.add("selected");
  detail.scrollIntoView({ block: "nearest" });
}

async function follow(box, url) {
  // recolour the nodes from the execution's phases until it ends
  for (;;) {
    let body;
    try {
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) return;
      body = await r.json();
    } catch (e) {
      return;
    }
    for (const [id, phase] of Object.entries(body.nodes)) {
      const g = box.querySelector(`g[data-node="${CSS.escape(id)}"]`);
      if (!g) continue;
      g.dataset.phase = phase;
      const rect = g.querySelector("rect");
      rect.setAttribute("fill", COLOURS[phase] || "#757575");
      g.querySelector("text").setAttribute("fill", "#fff");
    }
    box.dataset.executionPhase = body.phase;
    if (body.terminal) return;
    await new Promise((res) => setTimeout(res, 2000));
  }
}

const INT_MAX = 2n ** 63n;

function checkInt(v) {
  // the server's validator refuses what does not fit 64 bits: so does the form
  if (!/^-?\d+$/.test(v.trim())) return "a whole number, such as 42";
  const n = BigInt(v.trim());
  return n >= -INT_MAX && n < INT_MAX ? "" : "a whole number of at most 64 bits";
}

function checkLabels(v) {
  for (const part of v.split(/[,\n]/).map((p) => p.trim()).filter((p) => p)) {
    const eq = part.indexOf("=");
    if (eq <= 0) return `'${part}' is not key=value`;
  }
  return "";
}

const CHECKS = {
  int: checkInt,
  labels: checkLabels,
  float: (v) => (v.trim() !== "" && !isNaN(Number(v)) ? "" : "a number, such as 0.5"),
  json: (v) => { try { JSON.parse(v); return ""; } catch (e) { return "JSON: " + e.message; } },
};

function checkField(input) {
  const wrap = input.closest(".field");
  const out = wrap && wrap.querySelector(".field-error");
  if (!out) return true;
  const v = input.value;
  let problem = "";
  if (input.type !== "checkbox" && v.trim() === "") {
    problem = input.required ? "required" : "";
  } else if (CHECKS[input.dataset.kind]) {
    problem = CHECKS[input.dataset.kind](v);
  }
  out.textContent = problem ? `${wrap.dataset.field}: ${problem}` : "";
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  return !problem;
}

function typedForm(form) {
  // another version of the launch plan has its own fields: show its form, keeping the inputs
  // of a relaunch
  form.querySelectorAll("select[data-reload=version]").forEach((sel) => sel.addEventListener("change", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("version", sel.value);
    window.location.assign(url.toString());
  }));
  const inputs = form.querySelectorAll("input[name]:not([type=hidden]), textarea, select");
  inputs.forEach((i) => i.addEventListener("blur", () => checkField(i)));
  form.addEventListener("submit", (ev) => {
    let ok = true;
    inputs.forEach((i) => { ok = checkField(i) && ok; });
    if (!ok) ev.preventDefault();
  });
}

// The page holds no inline script or handler (its Content-Security-Policy runs the console's own
// files only): confirmations, one-shot buttons and the reload at an execution's end live here.
let endedAtLoad = null;

function init() {
  document.querySelectorAll(".graph[data-graph]").forEach(drawGraph);
  document.querySelectorAll("form.typed").forEach(typedForm);
  endedAtLoad = !!document.querySelector("#exec-header[data-terminal]");
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    ev.preventDefault();
  }
});

document.addEventListener("click", (ev) => {
  const button = ev.target instanceof Element ? ev.target.closest("button.expand") : null;
  if (button) setTimeout(() => { button.disabled = true; }, 0);
});

document.addEventListener("htmx:afterSettle", () => {
  // the header stopped refreshing because the execution ended: show the final page
  if (endedAtLoad === false && document.querySelector("#exec-header[data-terminal]")) {
    endedAtLoad = true;
    window.location.reload();
  }
});
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
