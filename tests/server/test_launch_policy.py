"""The launch service's own checks, in process on a real SQLite file: roles on the target itself
(whoever calls it: the API, the console, the scheduler), the input policy on launch plans' stored
values and on schedule ticks, and the normal form of input URIs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scheduling import DOMAIN, PROJECT, services

from slipstream.errors import InputError, PermissionDeniedError, ValidationError
from slipstream.model import (
    CompiledWorkflow,
    ExecutionCreate,
    GateNode,
    Grant,
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    Node,
    RegisterRequest,
    RelaunchRequest,
    ResourceType,
    Role,
    Settings,
    SignalSend,
    Variable,
    WorkflowSpec,
)
from slipstream.server import Database
from slipstream.server._auth import Principal
from slipstream.server._database import ExecutionRow, ProjectRow
from slipstream.server._projects import check_prefixes, normal_uri, under
from slipstream.server._scheduler._scheduler import scheduler_caller
from slipstream.server._services import Services

FILE = LiteralType(Kind.FILE)
IFACE = Interface(inputs=(Variable("f", FILE), Variable("n", LiteralType(Kind.INT))))


def _register(svc: Services, name: str, project: str, fixed: dict[str, object]) -> Identifier:
    wid = Identifier(ResourceType.WORKFLOW, f"{name}_wf", project, DOMAIN, "v1")
    wf = CompiledWorkflow(workflow=WorkflowSpec(id=wid, interface=IFACE, nodes=(), outputs=()))
    lid = Identifier(ResourceType.LAUNCH_PLAN, name, project, DOMAIN, "v1")
    lp = LaunchPlanSpec(id=lid, workflow=wid, fixed_inputs=fixed)
    svc.registry.register(RegisterRequest(workflows=(wf,), launch_plans=(lp,)))
    return lid


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    db = Database(f"sqlite:///{tmp_path / 'slipstream.db'}")
    db.upgrade()
    built = services(db, tmp_path)
    with db.session() as s:
        s.add(ProjectRow(name="other", created_at=0.0))
    yield built
    db.dispose()


def _rows(svc: Services) -> int:
    with svc.db.session() as s:
        return s.query(ExecutionRow).count()


def _upload(svc: Services, project: str) -> dict[str, object]:
    return {"uri": svc.uploads.uri(project, DOMAIN, "0" * 32, "x.csv")}


def test_a_launch_needs_the_launcher_role_on_its_own_target(svc: Services) -> None:
    lid = _register(svc, "plan", "other", {})
    launcher_elsewhere = Principal("mallory", (Grant(Role.LAUNCHER, PROJECT),))
    viewer = Principal("victor", (Grant(Role.VIEWER, "other"),))
    request = ExecutionCreate(target=lid, inputs={"f": _upload(svc, "other"), "n": 1})
    for caller in (launcher_elsewhere, viewer):
        with pytest.raises(PermissionDeniedError, match="launcher role"):
            svc.launches.create(request, caller)
    assert _rows(svc) == 0
    ok = svc.launches.create(request, Principal("olga", (Grant(Role.LAUNCHER, "other"),)))
    assert ok.spec.launched_by == "olga" and _rows(svc) == 1


def test_a_launch_plans_stored_values_are_checked_at_launch(svc: Services, tmp_path: Path) -> None:
    secret = tmp_path / "home" / "admin-token"
    lid = _register(svc, "leaky", PROJECT, {"f": {"uri": secret.as_uri()}})
    caller = Principal("admin", (Grant(Role.ADMIN, PROJECT),))
    with pytest.raises(InputError, match="input 'f'") as caught:
        svc.launches.create(ExecutionCreate(target=lid, inputs={"n": 1}), caller)
    assert caught.value.details["input"] == "f"  # type: ignore[index]
    # a schedule tick is checked as anyone's launch: it fails, nothing is stored
    with pytest.raises(InputError, match="input 'f'"):
        svc.launches.create(
            ExecutionCreate(target=lid, inputs={"n": 1}), scheduler_caller(PROJECT, DOMAIN)
        )
    assert _rows(svc) == 0


def test_pickles_in_a_launch_plan_are_the_registrants_not_the_launchers(svc: Services) -> None:
    pickled = {"uri": svc.uploads.uri(PROJECT, DOMAIN, "1" * 32, "v.pkl")}
    iface = Interface(inputs=(Variable("o", LiteralType(Kind.PICKLE, name="m.Opaque")),))
    wid = Identifier(ResourceType.WORKFLOW, "pk_wf", PROJECT, DOMAIN, "v1")
    wf = CompiledWorkflow(workflow=WorkflowSpec(id=wid, interface=iface, nodes=(), outputs=()))
    lid = Identifier(ResourceType.LAUNCH_PLAN, "pk", PROJECT, DOMAIN, "v1")
    lp = LaunchPlanSpec(id=lid, workflow=wid, default_inputs={"o": pickled})
    svc.registry.register(RegisterRequest(workflows=(wf,), launch_plans=(lp,)))
    launcher = Principal("lena", (Grant(Role.LAUNCHER, PROJECT),))
    first = svc.launches.create(ExecutionCreate(target=lid), launcher)  # the plan's own default
    with pytest.raises(PermissionDeniedError, match="input 'o' is a pickled value"):
        svc.launches.create(ExecutionCreate(target=lid, inputs={"o": pickled}), launcher)
    assert _rows(svc) == 1
    # relaunching runs the plan's own value again: still the registrant's, not the launcher's
    svc.launches.relaunch(PROJECT, DOMAIN, first.id.name, RelaunchRequest(), launcher)
    editor = Principal("ed", (Grant(Role.EDITOR, PROJECT),))
    other = {"uri": svc.uploads.uri(PROJECT, DOMAIN, "2" * 32, "w.pkl")}
    given = svc.launches.create(ExecutionCreate(target=lid, inputs={"o": other}), editor)
    with pytest.raises(PermissionDeniedError, match="input 'o' is a pickled value"):
        svc.launches.relaunch(PROJECT, DOMAIN, given.id.name, RelaunchRequest(), launcher)
    assert _rows(svc) == 3


def test_allowed_prefixes_are_an_admins_setting(svc: Services) -> None:
    editor = Principal("ed", (Grant(Role.EDITOR, PROJECT),))
    admin = Principal("ad", (Grant(Role.ADMIN, PROJECT),))
    wide = Settings(allowed_input_prefixes=("s3://bucket/data/",))
    with pytest.raises(PermissionDeniedError, match="allowed_input_prefixes"):
        svc.settings.put(PROJECT, "", wide, editor)
    assert svc.settings.get(PROJECT).allowed_input_prefixes is None
    svc.settings.put(PROJECT, "", wide, admin)
    assert svc.settings.get(PROJECT).allowed_input_prefixes == ("s3://bucket/data",)
    # an editor's body without the field keeps the admin's list
    svc.settings.put(PROJECT, "", Settings(max_parallelism=4), editor)
    kept = svc.settings.get(PROJECT)
    assert kept.allowed_input_prefixes == ("s3://bucket/data",) and kept.max_parallelism == 4
    # a domain's own list wins over the project's
    svc.settings.put(PROJECT, DOMAIN, Settings(allowed_input_prefixes=("gs://b/x/",)), admin)
    with svc.db.session() as session:
        prefixes = svc.settings.allowed_input_prefixes
        assert prefixes(session, PROJECT, DOMAIN) == ("gs://b/x",)
        assert prefixes(session, PROJECT, "production") == ("s3://bucket/data",)
        assert prefixes(session, "other", DOMAIN) == ()
    for bad in (("s3://bucket",), ("data/",), ("s3://bucket/a/../b",), ("s3://b/%2e%2e/x",)):
        with pytest.raises(ValidationError, match="allowed_input_prefixes"):
            svc.settings.put(PROJECT, "", Settings(allowed_input_prefixes=bad), admin)


def test_a_signals_value_is_held_to_the_input_policy(svc: Services) -> None:
    pickled = LiteralType(Kind.PICKLE, name="m.Opaque")
    gates = tuple(
        Node(
            id=f"g{i}",
            kind=GateNode("wait_for_input", name=n, value_type=t),
            interface=Interface(outputs=(Variable("o0", t),)),
        )
        for i, (n, t) in enumerate((("data", FILE), ("obj", pickled)))
    )
    wid = Identifier(ResourceType.WORKFLOW, "gated", PROJECT, DOMAIN, "v1")
    spec = WorkflowSpec(id=wid, interface=Interface(), nodes=gates, outputs=())
    svc.registry.register(RegisterRequest(workflows=(CompiledWorkflow(workflow=spec),)))
    launcher = Principal("lena", (Grant(Role.LAUNCHER, PROJECT),))
    name = svc.launches.create(ExecutionCreate(target=wid), launcher).id.name
    send = svc.control.signal
    outside = SignalSend(name="data", value={"uri": "file:///etc/passwd"})
    with pytest.raises(InputError, match="signal 'data'"):
        send(PROJECT, DOMAIN, name, outside, "lena", launcher)
    code = SignalSend(name="obj", value=_upload(svc, PROJECT))
    with pytest.raises(PermissionDeniedError, match="signal 'obj' is a pickled value"):
        send(PROJECT, DOMAIN, name, code, "lena", launcher)
    assert not [s for s in svc.control.signals(PROJECT, DOMAIN, name) if s.sent]
    send(
        PROJECT,
        DOMAIN,
        name,
        SignalSend(name="data", value=_upload(svc, PROJECT)),
        "lena",
        launcher,
    )
    editor = Principal("ed", (Grant(Role.EDITOR, PROJECT),))
    send(PROJECT, DOMAIN, name, code, "ed", editor)
    assert sorted(s.name for s in svc.control.signals(PROJECT, DOMAIN, name) if s.sent) == [
        "data",
        "obj",
    ]


@pytest.mark.parametrize(
    ("uri", "normal"),
    [
        ("s3://bucket/data/x.csv", "s3://bucket/data/x.csv"),
        ("S3://bucket/data/", "s3://bucket/data"),
        ("file:///srv/data/x", "file:///srv/data/x"),
        ("gs://b/50%.csv", "gs://b/50%.csv"),
    ],
)
def test_uris_are_brought_to_one_form(uri: str, normal: str) -> None:
    assert normal_uri(uri) == (normal, "")


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("/home/me/.slipstream/admin-token", "bare path"),
        ("admin-token", "bare path"),
        ("file://etc/passwd", "absolute path"),
        ("file:///srv/data/../../etc/passwd", "segment"),
        ("s3://bucket/data/./x", "segment"),
        ("s3://bucket//x", "segment"),
        ("s3://bucket/x//", "segment"),
        ("file:////etc/passwd", "segment"),
        ("s3://bucket/a/..", "segment"),
        ("s3://bucket/data/%2e%2e/x", "percent"),
        ("s3://bucket/data/%2F..", "percent"),
        ("s3://bucket/data\\..\\x", "backslash"),
        ("s3://bucket/da\nta", "control"),
        ("://x", "bare path"),
        (42, "not a URI"),
    ],
)
def test_uris_that_could_mean_something_else_are_refused(uri: object, why: str) -> None:
    normal, problem = normal_uri(uri)
    assert normal == "" and why in problem


def test_prefixes_match_whole_segments() -> None:
    assert under("file:///s/uploads/a/dev/x", "file:///s/uploads/a/dev")
    assert under("file:///s/uploads/a/dev", "file:///s/uploads/a/dev")
    assert not under("file:///s/uploads/a/dev-x/y", "file:///s/uploads/a/dev")
    assert check_prefixes(("s3://b/data/",), "p") == ("s3://b/data",)
