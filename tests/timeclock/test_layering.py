"""The time clock sits above pos and below reporting (docs/architecture.md): it imports
core and pos only, and nothing below it imports it."""

from tests.core.test_architecture import _graph

BELOW = ("core", "webhooks", "inventory", "crm", "billing", "pms", "pos", "devices")


def test_timeclock_imports_only_core_and_pos_and_nothing_below_imports_it():
    graph = _graph()
    imported = {
        target.split(".")[0]
        for name, targets in graph.items()
        if name.split(".")[0] == "timeclock"
        for target in targets
    }
    assert imported <= {"timeclock", "core", "pos"}
    importers = {
        name
        for name, targets in graph.items()
        if name.split(".")[0] in BELOW and any(t.split(".")[0] == "timeclock" for t in targets)
    }
    assert importers == set()
