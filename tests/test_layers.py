"""Architecture rules, checked by reading the source with `ast` (nothing is imported or run).

Every import counts: at module level, inside functions and under `if TYPE_CHECKING:`.
The packages of `c5qa`, lowest layer first, are listed in `LAYERS`; a package may import
only from itself and from the packages below it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = "c5qa"
PACKAGE_DIR = SRC / PACKAGE
BENCH = ROOT / "bench"

# Lowest layer first. `settings` is a root module: anyone may import it.
LAYERS: tuple[str, ...] = (
    "settings",
    "ingest",
    "index",
    "query",
    "retrieve",
    "answer",
    "app",
    "measure",
    "faces",
)
IGNORED_FILES = frozenset({"__init__.py", "__main__.py"})

GRADIO = frozenset({"gradio", "gradio_client"})
# Named exceptions to "only the faces talk to gradio": module -> the gradio packages it may use.
# measure/loadtest.py drives a served chat as a client, so it needs gradio_client (never gradio).
GRADIO_EXCEPTIONS: dict[str, frozenset[str]] = {
    "c5qa.measure.loadtest": frozenset({"gradio_client"}),
    "c5qa.measure.soak": frozenset({"gradio_client"}),  # the same, for hours of mixed traffic
}

# What a face may import from c5qa: these modules exactly, or anything under these prefixes.
FACE_ALLOWED_MODULES = frozenset(
    {
        "c5qa.app.service",
        "c5qa.settings",
        "c5qa.query.request",
        "c5qa.answer.types",
        "c5qa.answer.render",
        "c5qa.answer.themes",
        "c5qa.app.auth",
        "c5qa.app.logs",
        "c5qa.app.watch",
    }
)
FACE_ALLOWED_PREFIXES = ("c5qa.measure.", "c5qa.faces.")

MAX_FUNCTION_LINES = 60
# Receivers whose private attributes are the script's own business, not c5qa's.
OWN_RECEIVERS = frozenset({"self", "cls"})


@dataclass(frozen=True)
class Import:
    """One imported thing: `module` is the resolved target, `name` the imported name if any."""

    module: str
    name: str | None
    line: int


@dataclass(frozen=True)
class Source:
    """One parsed file: `module` is its dotted name (bench scripts get `bench.<stem>`)."""

    path: Path
    module: str
    tree: ast.Module

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def is_private(name: str) -> bool:
    """A single-underscore name; dunders such as `__version__` are public protocol."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def in_package(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def parse(path: Path, module: str) -> Source:
    return Source(path, module, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


@cache
def all_package_modules() -> frozenset[str]:
    """Every importable c5qa module and package, including `__init__` packages."""
    return frozenset(module_name(path) for path in PACKAGE_DIR.rglob("*.py"))


@cache
def src_sources() -> tuple[Source, ...]:
    paths = sorted(p for p in PACKAGE_DIR.rglob("*.py") if p.name not in IGNORED_FILES)
    return tuple(parse(path, module_name(path)) for path in paths)


@cache
def bench_sources() -> tuple[Source, ...]:
    paths = sorted(BENCH.glob("*.py"))
    return tuple(parse(path, f"bench.{path.stem}") for path in paths)


def resolve_from(source: Source, node: ast.ImportFrom) -> str:
    """The absolute module of `from X import ...`, resolving relative imports."""
    if node.level == 0:
        return node.module or ""
    package = source.module.split(".")
    if source.path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(source: Source) -> Iterator[Import]:
    """Every import in the file, wherever it sits (functions, `if TYPE_CHECKING:`, ...).

    `from c5qa.index import segments` resolves to the module `c5qa.index.segments`.
    """
    known = all_package_modules()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(source, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield Import(submodule, None, node.lineno)
                else:
                    yield Import(base, alias.name, node.lineno)


def layer(module: str) -> int | None:
    """The layer index of a c5qa module, or None for `c5qa` itself and unknown packages."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != PACKAGE or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def top_package(module: str) -> str:
    return module.split(".")[0]


def location(violation: str) -> tuple[str, int, str]:
    """Sort key: file, then line as a number, then the text."""
    path, _, rest = violation.partition(":")
    line, _, _ = rest.partition(":")
    return (path, int(line) if line.isdigit() else 0, violation)


def report(title: str, violations: list[str]) -> str:
    """One message listing every violation of a rule, in file and line order."""
    ordered = sorted(violations, key=location)
    return f"{len(ordered)} {title}:\n  " + "\n  ".join(ordered)


# --- sanity -----------------------------------------------------------------------------------


def test_sources_found() -> None:
    """The rules below pass vacuously if nothing is read; make sure the files are there."""
    assert src_sources(), f"no modules found under {PACKAGE_DIR}"
    assert bench_sources(), f"no scripts found under {BENCH}"


def test_every_package_has_a_layer() -> None:
    """A new package must be placed in the layer order, or the layering rule cannot judge it."""
    unplaced = sorted(
        {
            source.module.split(".")[1]
            for source in src_sources()
            if "." in source.module and layer(source.module) is None
        }
    )
    assert not unplaced, f"packages missing from LAYERS: {unplaced}"


# --- 1. gradio stays in the faces -------------------------------------------------------------


def test_gradio_only_in_faces() -> None:
    """Only the faces may depend on gradio: the core must run (and be tested) without a UI,
    and a gradio upgrade must not reach past the front ends. The one named exception is
    measure/loadtest.py, which drives a served chat through gradio_client (never gradio)."""
    violations = []
    for source in src_sources():
        if source.module.startswith(f"{PACKAGE}.faces."):
            continue
        allowed = GRADIO_EXCEPTIONS.get(source.module, frozenset())
        for imp in imports(source):
            package = top_package(imp.module)
            if package in GRADIO and package not in allowed:
                violations.append(f"{source.rel}:{imp.line}: imports {imp.module}")
    assert not violations, report("gradio imports outside faces/", violations)


def test_gradio_exceptions_exist() -> None:
    """A named exception for a module that no longer exists would hide a stale rule."""
    modules = {source.module for source in src_sources()}
    stale = sorted(set(GRADIO_EXCEPTIONS) - modules)
    assert not stale, f"GRADIO_EXCEPTIONS names missing modules: {stale}"


# --- 2. faces go through the service ----------------------------------------------------------


def face_may_import(module: str) -> bool:
    return module in FACE_ALLOWED_MODULES or module.startswith(FACE_ALLOWED_PREFIXES)


def test_faces_use_only_the_service_api() -> None:
    """The faces (web UI, CLI) reach the engine only through the service and its public types,
    so that every front end gets the same behaviour (locking, logging, policies) and the
    internals (index, retrieval, answer composition) can change without touching them."""
    violations = []
    for source in src_sources():
        if not source.module.startswith(f"{PACKAGE}.faces."):
            continue
        for imp in imports(source):
            if in_package(imp.module) and not face_may_import(imp.module):
                what = f"{imp.module}.{imp.name}" if imp.name else imp.module
                violations.append(f"{source.rel}:{imp.line}: imports {what}")
    assert not violations, report("face imports outside the service API", violations)


# --- 3. layering and cycles -------------------------------------------------------------------


def test_no_upward_imports() -> None:
    """Each package builds only on those below it (settings < ingest < index < query <
    retrieve < answer < app < measure < faces), so a lower layer can be understood, tested
    and reused without the layers above, and changes above cannot break it."""
    violations = []
    for source in src_sources():
        own = layer(source.module)
        if own is None:
            continue
        for imp in imports(source):
            target = layer(imp.module)
            if target is not None and target > own:
                violations.append(
                    f"{source.rel}:{imp.line}: {LAYERS[own]} imports {imp.module} "
                    f"({LAYERS[target]} is above {LAYERS[own]})"
                )
    assert not violations, report("upward imports", violations)


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported c5qa module -> first line}, over the modules checked here."""
    modules = {source.module for source in src_sources()}
    graph: dict[str, dict[str, int]] = {}
    for source in src_sources():
        edges: dict[str, int] = {}
        for imp in imports(source):
            if imp.module in modules and imp.module != source.module:
                edges.setdefault(imp.module, imp.line)
        graph[source.module] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def cycle_in(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, by breadth-first search back to it."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle found in component {component}")


def test_cycle_finder_finds_cycles() -> None:
    """The cycle check must not pass vacuously: it finds a known cycle and ignores a chain."""
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    components = strongly_connected(graph)
    assert components == [["a", "b", "c"]]
    assert cycle_in(graph, components[0]) == ["a", "b", "c", "a"]
    assert strongly_connected({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycles() -> None:
    """Modules must form a directed acyclic graph: a cycle makes import order matter, invites
    half-initialised modules, and means neither module can be understood or tested alone.
    (Imports inside functions count: deferring an import hides a cycle, it does not remove it.)"""
    graph = import_graph()
    violations = []
    for component in strongly_connected(graph):
        path = cycle_in(graph, component)
        steps = " -> ".join(f"{a} (line {graph[a][b]})" for a, b in pairwise(path))
        violations.append(f"cycle: {steps} -> {path[-1]}")
    assert not violations, report("import cycles", violations)


# --- 4. and 6. no private names across modules ------------------------------------------------


def module_aliases(source: Source) -> dict[str, str]:
    """Local names bound to c5qa modules: `import c5qa.x.y as m`, `from c5qa.x import y`,
    and `import c5qa.x.y` (binding `c5qa`)."""
    aliases: dict[str, str] = {}
    known = all_package_modules()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not in_package(alias.name):
                    continue
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[PACKAGE] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            base = resolve_from(source, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    return aliases


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` as a string, or None if the expression is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def private_imports(source: Source) -> Iterator[str]:
    """`from c5qa.x import _y`, `from thirdparty.x import _y` and `import thirdparty._x`."""
    for imp in imports(source):
        if imp.name is not None and is_private(imp.name):
            yield f"{source.rel}:{imp.line}: imports private {imp.name} from {imp.module}"
        package = top_package(imp.module)
        if in_package(imp.module) or package in sys.stdlib_module_names:
            continue
        hidden = [part for part in imp.module.split(".") if is_private(part)]
        if hidden:
            yield f"{source.rel}:{imp.line}: imports from private module {imp.module}"


def private_module_attributes(source: Source) -> Iterator[str]:
    """`module._private` where `module` is (an alias of) another c5qa module."""
    aliases = module_aliases(source)
    known = all_package_modules()
    for node in ast.walk(source.tree):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        name = dotted(node.value)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        if head not in aliases:
            continue
        target = f"{aliases[head]}.{rest}" if rest else aliases[head]
        if target in known and target != source.module:
            yield f"{source.rel}:{node.lineno}: uses private {target}.{node.attr}"


def private_object_attributes(source: Source) -> Iterator[str]:
    """In a script, `obj._private` on anything but the script's own `self`/`cls` or a
    non-c5qa module (`sys._getframe` is not c5qa's business)."""
    foreign_modules = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not in_package(alias.name):
                    foreign_modules.add(alias.asname or alias.name.split(".")[0])
    aliases = module_aliases(source)
    for node in ast.walk(source.tree):
        if not (isinstance(node, ast.Attribute) and is_private(node.attr)):
            continue
        name = dotted(node.value)
        head = name.partition(".")[0] if name else None
        if head in OWN_RECEIVERS or head in foreign_modules or head in aliases:
            continue  # c5qa module aliases are reported by private_module_attributes
        receiver = name if name else ast.unparse(node.value)
        yield f"{source.rel}:{node.lineno}: uses private {receiver}.{node.attr}"


def test_no_private_imports_in_src() -> None:
    """A leading underscore marks an implementation detail: importing one couples a module to
    another's internals, which then cannot change without breaking it. For third-party
    packages the same holds across upgrades (a private helper may vanish in a patch release)."""
    violations = [v for source in src_sources() for v in private_imports(source)]
    assert not violations, report("private-name imports in src/c5qa", violations)


def test_no_private_module_attributes_in_src() -> None:
    """`module._private` is the same coupling to another module's internals as importing it."""
    violations = [v for source in src_sources() for v in private_module_attributes(source)]
    assert not violations, report("private attribute uses in src/c5qa", violations)


@pytest.mark.parametrize("check", ["imports", "module attributes", "object attributes"])
def test_bench_uses_only_public_api(check: str) -> None:
    """Benchmark scripts may use any c5qa module, but only its public names: a benchmark that
    reaches into `_write_generation` or `service._query` measures internals that no user
    reaches, and breaks (or silently lies) whenever those internals change."""
    finders = {
        "imports": private_imports,
        "module attributes": private_module_attributes,
        "object attributes": private_object_attributes,
    }
    violations = [v for source in bench_sources() for v in finders[check](source)]
    assert not violations, report(f"private {check} in bench/", violations)


# --- 5. short functions -----------------------------------------------------------------------


def test_functions_are_short() -> None:
    """Functions longer than 60 lines (def line to last line, decorators excluded) do too many
    things to read, test or review at once; split them into named steps."""
    violations = []
    for source in src_sources():
        for node in ast.walk(source.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    violations.append(
                        f"{source.rel}:{node.lineno}: {node.name} is {length} lines "
                        f"(max {MAX_FUNCTION_LINES})"
                    )
    assert not violations, report("functions too long", violations)
