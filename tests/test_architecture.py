"""Architecture contracts for newsbrief, checked by parsing the source with ``ast``, not importing.

The import graph is built from every ``.py`` file under ``bot/``, ``handlers/`` and ``storage/``.
Every import statement counts, wherever it sits: module level, inside functions, and under
``if TYPE_CHECKING:`` — a type-only import is still a dependency in the design, and a type-only
cycle is still a cycle. ``from __future__`` is ignored.

Edges point at the module that is actually named: ``from bot.text import segmentation`` is an edge
to ``bot.text.segmentation`` (a submodule), ``from bot.text.sections import SECTIONS`` an edge to
``bot.text.sections``, and ``from bot.x import y`` where ``y`` is not a submodule an edge to
``bot/x/__init__.py``. The implicit import of parent packages is not an edge, so a package
``__init__`` that re-exports its own submodules creates no false cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# The contracts. Read these first: they are the design.
# --------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY: tuple[str, ...] = ("bot", "handlers", "storage")

# Top to bottom: a module may import from its own layer or any layer below it, never above.
# An entry covers that module and everything under it; the most specific entry wins.
# Every top-level module of bot/ (as of writing) is in the list from the brief, except the bare
# ``bot`` package ``__init__`` (a docstring only). It gets its own bottom layer, matched exactly
# (see EXACT_ENTRIES), so it must stay free of first-party imports; bot/samples holds no code.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.app", "bot.cli", "bot.__main__"),
    ("handlers",),
    ("bot.services",),
    ("bot.pushes", "bot.delivery"),
    ("bot.render",),
    ("bot.sources",),
    ("bot.ingest", "bot.subscriptions"),
    ("bot.alerts", "bot.search"),
    ("bot.text",),
    ("bot.config", "bot.clock", "bot.progress"),
    ("storage",),
    ("bot.version",),  # package metadata only: anything may ask for the version
    ("bot",),
)
# Entries that match only the module itself, not its submodules.
EXACT_ENTRIES: frozenset[str] = frozenset({"bot"})

# Known upward edges (importer, imported) that break the layer order above. The code has none
# today; if one must be tolerated, list it here with a comment so that it is documented and any
# other new upward edge still fails. The test also fails on stale entries.
LAYER_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

# Third-party packages a first-party area must not import (area covers itself and submodules).
# bot.render is deliberately NOT here: bot.render.parts builds telegram InlineKeyboardMarkup,
# so render is the Telegram-aware presentation layer.
TELEGRAM_FREE: tuple[str, ...] = (
    "bot.text",
    "bot.search",
    "bot.alerts",
    "bot.ingest",
    "bot.subscriptions",
    "storage",
    "bot.sources",
)
FORBIDDEN_THIRD_PARTY: Mapping[str, tuple[str, ...]] = {
    area: ("telegram", "apscheduler") for area in TELEGRAM_FREE
}

# Third-party packages that only the listed first-party areas may import.
OWNED_THIRD_PARTY: Mapping[str, tuple[str, ...]] = {
    "sqlalchemy": ("storage",),
    "apscheduler": ("bot.app",),  # the JobQueue is Telegram wiring
}

# design.md: packages below ``handlers`` never import ``telegram`` except the Bot API transport
# and render's keyboard conversion. Delivery is where Telegram's answers are acted on, so its
# error policy (a pure function of PTB's exception types) and the sender that builds its Bot and
# catches those types are the other two. Any other module below handlers fails the test.
TELEGRAM_BELOW_HANDLERS: frozenset[str] = frozenset(
    {
        "bot.delivery.transport",  # the transport: a PTB BaseRequest
        "bot.delivery.policy",  # error -> outcome, by PTB exception type
        "bot.delivery.sender",  # the send loop: its Bot, and the types the policy decides on
        "bot.render.parts",  # MessagePart's keyboard -> InlineKeyboardMarkup
    }
)

# Known (importer, third-party module) edges that break the two rules above. Same deal as
# LAYER_EXCEPTIONS: documented here, new ones fail, stale ones fail.
THIRD_PARTY_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset(
    {
        # Real violations today: each takes an AsyncSession (a caller's open transaction)
        # from storage/ instead of going through a storage-owned type.
        ("bot.alerts.state", "sqlalchemy.ext.asyncio"),
        ("bot.delivery.sender", "sqlalchemy.ext.asyncio"),
        ("bot.search.service", "sqlalchemy.ext.asyncio"),
        ("bot.subscriptions.chats", "sqlalchemy.ext.asyncio"),
    }
)

# --------------------------------------------------------------------------------------------
# Building the graph.
# --------------------------------------------------------------------------------------------

Graph = Mapping[str, Iterable[str]]
Edge = tuple[str, str]


@dataclass
class ImportGraph:
    """First-party edges and third-party imports, both keyed by importing module."""

    internal: dict[str, set[str]] = field(default_factory=dict)
    external: dict[str, set[str]] = field(default_factory=dict)


def module_name(path: Path, root: Path = ROOT) -> str:
    """``bot/text/__init__.py`` -> ``bot.text``; ``bot/cli.py`` -> ``bot.cli``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every first-party module name mapped to its file."""
    modules: dict[str, Path] = {}
    for package in FIRST_PARTY:
        for path in sorted((root / package).rglob("*.py")):
            modules[module_name(path, root)] = path
    return modules


def _deepest_module(dotted: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``dotted`` that is a known first-party module."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <level dots><target> import ...`` written inside ``module``."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, target] if target else base)


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> tuple[set[str], set[str]]:
    """(first-party modules, third-party dotted names) imported anywhere in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    internal: set[str] = set()
    external: set[str] = set()

    def add(dotted: str) -> None:
        if dotted.split(".")[0] in FIRST_PARTY:
            target = _deepest_module(dotted, modules)
            if target is not None and target != module:
                internal.add(target)
        else:
            external.add(dotted)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source = _resolve_relative(module, is_package, node.level, node.module)
            else:
                source = node.module or ""
            if source == "__future__":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    return internal, external


def build_graph(root: Path = ROOT) -> ImportGraph:
    """Parse every first-party file and collect its imports."""
    modules = discover_modules(root)
    graph = ImportGraph()
    for name, path in modules.items():
        graph.internal[name], graph.external[name] = imports_of(name, path, modules)
    return graph


# --------------------------------------------------------------------------------------------
# The checks: pure functions over plain dicts, so the meta-tests can feed them synthetic graphs.
# --------------------------------------------------------------------------------------------


def _within(module: str, area: str) -> bool:
    return module == area or module.startswith(area + ".")


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle path (first node repeated at the end) per strongly connected component."""
    adjacency = {node: sorted(set(targets)) for node, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(node: str) -> None:  # Tarjan; the graphs here are small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in adjacency.get(node, []):
            if succ not in index:
                strongconnect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in adjacency.get(node, []):
                components.append(sorted(component))

    for node in sorted(adjacency):
        if node not in index:
            strongconnect(node)
    return [_cycle_in(component, adjacency) for component in sorted(components)]


def _cycle_in(component: Sequence[str], adjacency: Mapping[str, Sequence[str]]) -> list[str]:
    """A shortest path from the component's first node back to itself (BFS inside it)."""
    start, members = component[0], set(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for succ in adjacency.get(node, []):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if succ in members and succ not in parents:
                    parents[succ] = node
                    next_frontier.append(succ)
        frontier = next_frontier
    raise AssertionError(f"no cycle through {start}")  # unreachable for a real SCC


def layer_of(module: str, layers: Sequence[Sequence[str]] = LAYERS) -> int | None:
    """Index of the layer whose most specific entry covers ``module`` (0 = top)."""
    best: tuple[int, int] | None = None  # (entry length, layer index)
    for position, layer in enumerate(layers):
        for entry in layer:
            matches = module == entry if entry in EXACT_ENTRIES else _within(module, entry)
            if matches and (best is None or len(entry) > best[0]):
                best = (len(entry), position)
    return None if best is None else best[1]


def upward_edges(graph: Graph, layers: Sequence[Sequence[str]] = LAYERS) -> set[Edge]:
    """Edges from a module to one in a higher layer (or to/from an unplaced module)."""
    found: set[Edge] = set()
    for importer, targets in graph.items():
        for imported in targets:
            low, high = layer_of(importer, layers), layer_of(imported, layers)
            if low is None or high is None or high < low:
                found.add((importer, imported))
    return found


def forbidden_third_party(
    external: Graph,
    forbidden: Mapping[str, Sequence[str]] = FORBIDDEN_THIRD_PARTY,
    owned: Mapping[str, Sequence[str]] = OWNED_THIRD_PARTY,
) -> set[Edge]:
    """(importer, third-party name) pairs that break the forbidden / owned rules."""
    found: set[Edge] = set()
    for importer, names in external.items():
        for name in names:
            for area, packages in forbidden.items():
                if _within(importer, area) and any(_within(name, p) for p in packages):
                    found.add((importer, name))
            for package, owners in owned.items():
                if _within(name, package) and not any(_within(importer, o) for o in owners):
                    found.add((importer, name))
    return found


def telegram_below_handlers(
    external: Graph,
    layers: Sequence[Sequence[str]] = LAYERS,
    allowed: frozenset[str] = TELEGRAM_BELOW_HANDLERS,
) -> set[Edge]:
    """(importer, telegram module) pairs from a module below ``handlers`` not in ``allowed``."""
    handlers_layer = layer_of("handlers", layers)
    assert handlers_layer is not None
    found: set[Edge] = set()
    for importer, names in external.items():
        position = layer_of(importer, layers)
        if position is None or position <= handlers_layer or importer in allowed:
            continue
        found.update((importer, name) for name in names if _within(name, "telegram"))
    return found


def _describe(edges: Iterable[Edge]) -> str:
    return "\n".join(f"  {importer} -> {imported}" for importer, imported in sorted(edges))


# --------------------------------------------------------------------------------------------
# Tests on the real code.
# --------------------------------------------------------------------------------------------

GRAPH = build_graph()


def test_graph_is_really_built() -> None:
    """Guard against a parser that silently finds nothing."""
    assert len(GRAPH.internal) > 50
    assert "handlers.commands" in GRAPH.internal["bot.app.application"]
    assert "bot.text.segmentation" in GRAPH.internal["bot.cli"]  # from bot.text import segmentation
    assert "bot.app.application" in GRAPH.internal["bot.cli"]  # TYPE_CHECKING and in functions
    assert "telegram" in GRAPH.external["bot.render.parts"]


def test_no_import_cycles() -> None:
    cycles = find_cycles(GRAPH.internal)
    assert not cycles, "import cycles:\n" + "\n".join("  " + " -> ".join(c) for c in cycles)


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in GRAPH.internal if layer_of(m) is None)
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"


def test_layer_order() -> None:
    found = upward_edges(GRAPH.internal)
    new = found - LAYER_EXCEPTIONS
    stale = LAYER_EXCEPTIONS - found
    assert not new, "imports from a higher layer (see LAYERS):\n" + _describe(new)
    assert not stale, "LAYER_EXCEPTIONS entries no longer needed, remove them:\n" + _describe(stale)


def test_third_party_boundaries() -> None:
    found = forbidden_third_party(GRAPH.external)
    new = found - THIRD_PARTY_EXCEPTIONS
    stale = THIRD_PARTY_EXCEPTIONS - found
    assert not new, "forbidden third-party imports (telegram/apscheduler/sqlalchemy):\n" + (
        _describe(new)
    )
    assert not stale, "THIRD_PARTY_EXCEPTIONS entries no longer needed:\n" + _describe(stale)


def modules_without_docstring(modules: Mapping[str, Path]) -> list[str]:
    """Modules whose file does not start with a docstring saying why it exists."""
    return sorted(
        name for name, path in modules.items()
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    )


def packages_without_exports(modules: Mapping[str, Path], root: str = "bot") -> list[str]:
    """Packages directly under ``root`` whose ``__init__`` names no public ``__all__``."""
    missing = []
    for name, path in modules.items():
        if path.name != "__init__.py" or name.count(".") != 1 or not name.startswith(root + "."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple) and node.value.elts
            for node in tree.body
        )
        if not exported:
            missing.append(name)
    return sorted(missing)


def test_every_module_says_why_it_exists() -> None:
    missing = modules_without_docstring(discover_modules())
    assert not missing, f"start these modules with a docstring: {missing}"


def test_every_bot_package_exports_its_public_names() -> None:
    missing = packages_without_exports(discover_modules())
    assert not missing, f"export the public names from these packages' __init__: {missing}"


def test_telegram_stays_above_the_services() -> None:
    found = telegram_below_handlers(GRAPH.external)
    assert not found, "telegram imported below handlers (see TELEGRAM_BELOW_HANDLERS):\n" + (
        _describe(found)
    )
    unused = {m for m in TELEGRAM_BELOW_HANDLERS
              if not any(_within(n, "telegram") for n in GRAPH.external.get(m, ()))}
    assert not unused, f"TELEGRAM_BELOW_HANDLERS entries that no longer import telegram: {unused}"


# --------------------------------------------------------------------------------------------
# Meta-tests: the checkers can fail.
# --------------------------------------------------------------------------------------------


def test_cycle_finder_reports_the_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["e", "e"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_layer_checker_reports_an_upward_edge() -> None:
    layers = (("top",), ("mid",), ("low",))
    graph = {"top.x": {"mid.y", "low.z"}, "mid.y": {"top.x", "mid.w"}, "low.z": {"elsewhere"}}
    assert upward_edges(graph, layers) == {("mid.y", "top.x"), ("low.z", "elsewhere")}


def test_third_party_checker_reports_telegram_and_sqlalchemy() -> None:
    external = {
        "bot.text.x": {"telegram.ext", "re"},
        "storage.y": {"sqlalchemy.orm"},
        "bot.app.z": {"telegram", "sqlalchemy"},
        "bot.telegramish": {"telegramx"},
    }
    assert forbidden_third_party(external) == {
        ("bot.text.x", "telegram.ext"),
        ("bot.app.z", "sqlalchemy"),
    }


def _write_tree(root: Path, files: dict[str, str]) -> None:
    """A small source tree for the checkers: relative path -> text."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_relative_imports_and_submodules_resolve(tmp_path: Path) -> None:
    """``from . import b``, ``from ..c import d`` and re-exporting ``__init__`` files."""
    files = {
        "bot/__init__.py": "",
        "bot/pkg/__init__.py": "from .a import thing\n",
        "bot/pkg/a.py": "from . import b\nfrom ..c import helper\n",
        "bot/pkg/b.py": "def f():\n    from bot.pkg import thing\n",
        "bot/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import telegram\n",
        "handlers/__init__.py": "",
        "storage/__init__.py": "",
    }
    _write_tree(tmp_path, files)
    graph = build_graph(tmp_path)
    assert graph.internal["bot.pkg"] == {"bot.pkg.a"}
    assert graph.internal["bot.pkg.a"] == {"bot.pkg.b", "bot.c"}
    assert graph.internal["bot.pkg.b"] == {"bot.pkg"}  # inside a function: counted
    assert graph.external["bot.c"] == {"typing", "telegram"}
    assert find_cycles(graph.internal) == [["bot.pkg", "bot.pkg.a", "bot.pkg.b", "bot.pkg"]]


def test_docstring_and_export_checkers_report_what_is_missing(tmp_path: Path) -> None:
    files = {
        "bot/__init__.py": '"""The app."""\n',
        "bot/good/__init__.py": '"""Good."""\nfrom bot.good.a import f\n__all__ = ["f"]\n',
        "bot/good/a.py": '"""A."""\ndef f() -> None: ...\n',
        "bot/bare/__init__.py": '"""Says why, exports nothing."""\n',
        "bot/bare/b.py": "x = 1\n",
        "handlers/__init__.py": '"""Flat."""\n',
        "storage/__init__.py": '"""Flat."""\n',
    }
    _write_tree(tmp_path, files)
    modules = discover_modules(tmp_path)
    assert modules_without_docstring(modules) == ["bot.bare.b"]
    assert packages_without_exports(modules) == ["bot.bare"]


def test_telegram_checker_allows_only_the_listed_modules_below_handlers() -> None:
    external = {
        "bot.app.jobs": {"telegram.ext"},  # above handlers: free to
        "handlers.start": {"telegram"},
        "bot.services": {"telegram"},
        "bot.delivery.pacing": {"telegram.error"},
        "bot.delivery.policy": {"telegram.error"},
        "bot.render.views": {"telegram.helpers", "html"},
        "bot.clock": {"asyncio"},
    }
    assert telegram_below_handlers(external) == {
        ("bot.services", "telegram"),
        ("bot.delivery.pacing", "telegram.error"),
        ("bot.render.views", "telegram.helpers"),
    }
