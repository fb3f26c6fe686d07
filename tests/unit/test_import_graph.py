"""The package's imports only point down: no cycle, no driver in the core or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import openai_agents_session

PACKAGE = Path(openai_agents_session.__file__).parent
DRIVERS = ("redis", "aiobotocore", "botocore")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """The package's modules ``name`` imports (TYPE_CHECKING ones too), and the drivers."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    inner: set[str] = set()
    drivers: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            targets = [f"{module}.{alias.name}" for alias in node.names] + [module]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in DRIVERS:
                drivers.add(target.split(".")[0])
            elif target in modules and target != name:
                inner.add(target)
    return inner, drivers


def test_no_import_cycle() -> None:
    """Following imports from any module never leads back to it."""
    modules = _modules()
    graph = {name: _imports(name, path, modules)[0] for name, path in modules.items()}
    for start in graph:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            current = todo.pop()
            assert current != start, f"{start} imports itself through {sorted(seen)}"
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])


def test_the_core_and_the_command_line_import_no_driver() -> None:
    """Drivers are imported by their backend package only."""
    for name, path in _modules().items():
        inside = name.split(".")[1] if "." in name else ""
        if inside in ("redis", "dynamodb", "sources", "demo"):
            continue
        drivers = _imports(name, path, _modules())[1]
        assert not drivers, f"{name} imports {sorted(drivers)}"
