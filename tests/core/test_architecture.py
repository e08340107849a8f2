"""Rules of the floor plan that a reader cannot see from one file, checked on the source:
no import cycle between the project's modules (imports inside functions count: a service
that imports its task, whose body imports the service, is a cycle), services name tasks
without importing them, and billing is the only writer of the fiscal journal."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = [
    "core",
    "webhooks",
    "inventory",
    "crm",
    "billing",
    "pms",
    "pos",
    "devices",
    "channels_sync",
    "timeclock",
]
PACKAGES = [*APPS, "reporting", "config", "demo"]


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The project's modules that `tree` imports, at any depth (module level or in a body)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(filter(None, (resolve(alias.name) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = resolve(f"{node.module}.{alias.name}") or resolve(node.module)
                if target:
                    found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: _imports(ast.parse(path.read_text()), modules) - {name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_service_task_cycle():
    # given: a service that imports its task and the task that imports the service
    graph = {"a.services": {"a.tasks"}, "a.tasks": {"a.services"}, "a.views": {"a.services"}}
    # then
    assert _cycles(graph) == [["a.services", "a.tasks"]]


def test_no_import_cycle_in_the_tree():
    assert _cycles(_graph()) == []


def test_services_name_tasks_without_importing_them():
    graph = _graph()
    offenders = {
        name: sorted(t for t in imported if t.rpartition(".")[2] == "tasks")
        for name, imported in graph.items()
        if ".services" in name or name.endswith(".outbox")
    }
    assert {name: tasks for name, tasks in offenders.items() if tasks} == {}


def _writes_journal(tree: ast.AST) -> list[int]:
    """Lines that create JournalEntry rows or append to the fiscal chain."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("JournalEntry", "journal_append"):
            lines.append(node.lineno)
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("create", "bulk_create", "get_or_create", "update_or_create")
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "objects"
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "JournalEntry"
        ):
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and func.attr == "journal_append":
            lines.append(node.lineno)
    return lines


def test_the_journal_writer_check_sees_a_write():
    code = "JournalEntry.objects.create(kind='void')\njournal_append(property=p, kind='void')\n"
    assert _writes_journal(ast.parse(code)) == [1, 2]


def test_only_billing_writes_the_fiscal_journal():
    writers = {}
    for name, path in _modules().items():
        if name.split(".")[0] == "billing":
            continue
        lines = _writes_journal(ast.parse(path.read_text()))
        if lines:
            writers[name] = lines
    assert writers == {}
