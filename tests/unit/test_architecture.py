"""The structure the import contract cannot state: no import circles between modules, no Prefect
decorator in the core, and task bodies that only wrap one core call."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

from gridflow.provenance import PROJECT_ROOT

FIRST_PARTY = ("gridflow", "gridflow_cli", "flows", "tasks", "deployments")
DECORATORS = {"task", "flow"}
# A task body wraps one call into the core; a few statements leave room for a log line or an artifact.
MAX_TASK_BODY_STATEMENTS = 6


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & graph.modules for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_through_others():
    assert _cycles(grimp.build_graph(*FIRST_PARTY)) == []


def _python_files(folder: str) -> list[Path]:
    return sorted((PROJECT_ROOT / folder).rglob("*.py"))


def test_the_core_defines_no_prefect_task_or_flow():
    offenders = []
    for path in _python_files("src/gridflow"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "prefect" and \
                    DECORATORS & {alias.name for alias in node.names}:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []


def _task_functions(path: Path) -> list[ast.FunctionDef]:
    def is_task(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Name) and target.id == "task"

    tree = ast.parse(path.read_text())
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and any(is_task(d) for d in n.decorator_list)]


def test_task_bodies_only_wrap_the_core():
    offenders = []
    for path in _python_files("tasks"):
        for function in _task_functions(path):
            body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(body) > MAX_TASK_BODY_STATEMENTS:
                offenders.append(f"{path.name}:{function.lineno} {function.name} ({len(body)} statements)")
    assert offenders == [], "move the logic to src/gridflow"
