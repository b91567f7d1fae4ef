"""A package of workflows, as ``slipstream register examples/wfpkg/`` registers it (README)."""
