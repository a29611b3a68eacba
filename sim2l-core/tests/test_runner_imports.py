"""The runner's modules import in any order, and none imports another back (issue 13).

Each module is imported first in a fresh interpreter, and the imports between
runner modules, including those deferred into functions (which is how a
cycle hides), form no cycle.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import sim2l.runner

RUNNER = Path(sim2l.runner.__file__).parent
MODULES = sorted(path.stem for path in RUNNER.glob("*.py") if path.stem != "__init__")


def runner_imports(module: str) -> set[str]:
    """The runner modules ``module`` imports anywhere in its source, at the top or in a function."""
    tree = ast.parse((RUNNER / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[:2] == ["sim2l", "runner"] and len(parts) > 2 and parts[2] in MODULES:
                found.add(parts[2])
    found.discard(module)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for following in sorted(graph[node]):
            if state.get(following) == "open":
                return path[path.index(following) :] + [following]
            if following not in state:
                cycle = visit(following)
                if cycle:
                    return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_runner_modules_import_each_other_without_a_cycle():
    graph = {module: runner_imports(module) for module in MODULES}
    assert {"registry", "simulation", "sweep"} <= set(graph)
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    # The check above must be able to fail: the cycle issue 13 named.
    graph = {"registry": {"simulation"}, "simulation": {"registry", "sweep"}, "sweep": {"registry"}}
    assert find_cycle(graph) == ["registry", "simulation", "registry"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", MODULES)
def test_each_runner_module_imports_first_in_a_fresh_interpreter(module):
    completed = subprocess.run(
        [sys.executable, "-c", f"import sim2l.runner.{module}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
