"""LOG-1: no capability reaches stored records except through the governed gateway.

Capabilities may not import SQLAlchemy or the store's engine and tables, and a
:class:`Visibility` (which every store query needs) is built only by governance.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from clearsight.store import queries

SRC = Path(__file__).resolve().parents[2] / "src" / "clearsight"
CAPABILITIES = ("ingest", "synthetic", "resolution", "search", "graph", "patterns", "intel", "cases", "cli", "api", "web")
FORBIDDEN = ("sqlalchemy", "clearsight.store.engine", "clearsight.store.tables", "psycopg", "sqlite3")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
            out.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return out


def test_capabilities_do_not_import_the_store_engine_or_sql() -> None:
    offences = []
    for package in CAPABILITIES:
        for path in sorted((SRC / package).rglob("*.py")) if (SRC / package).exists() else []:
            for line, name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offences.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert not offences, "capabilities must read through governance:\n" + "\n".join(offences)


def test_only_governance_builds_a_visibility() -> None:
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("governance",) or rel == Path("store/visibility.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                if name == "Visibility":
                    offences.append(f"{rel}:{node.lineno}")
    assert not offences, "only governance may build a Visibility: " + ", ".join(offences)


def test_every_store_read_requires_a_visibility() -> None:
    modules = [queries]
    for extra in ("search_index", "graph_queries", "resolution_store", "ingest_writes"):
        try:
            modules.append(__import__(f"clearsight.store.{extra}", fromlist=["_"]))
        except ImportError:
            continue
    missing = []
    for module in modules:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(fn).parameters
            reads = module is queries or name.startswith(("find", "get", "list", "read", "search", "count", "select"))
            if reads and "visible" not in params:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, "store reads without a visible= parameter: " + ", ".join(missing)
