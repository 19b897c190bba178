"""The shape of the code: which part of webapp/ may import which.

Every module under webapp/ is read with ``ast`` (imports at module level and inside functions alike, since
a function-level import is still a dependency, only a hidden one). Imports under ``if TYPE_CHECKING:`` are
left out: they exist for annotations only and never run, so they make no dependency at run time.

A *domain* is a package directly under webapp/ (accounts, catalog, fetch, ...); everything else directly
under webapp/ is *neutral* shared code. Domains may depend on each other only without cycles, and neutral
modules depend on no domain, so any domain can use them without pulling another domain in.
"""

import ast
from pathlib import Path

import webapp

PACKAGE_DIR = Path(webapp.__file__).parent

# The composition roots: the app factory and the model registry (which Alembic and create_all read)
# exist to gather every domain, so they are the two top-level modules allowed to import domains.
COMPOSITION_ROOTS = {"webapp", "webapp.models"}


def _module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(path: Path, package_dir: Path = PACKAGE_DIR) -> set[str]:
    """Every webapp module the file imports, wherever the import statement sits."""
    name = _module_name(path, package_dir)
    is_package = path.name == "__init__.py"
    found = set()
    for node in _walk_without_type_checking(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from webapp import catalog` imports the module webapp.catalog
            found.update(f"{module}.{alias.name}" for alias in node.names
                         if _is_module(f"{module}.{alias.name}", package_dir))
    return {module for module in found if module == "webapp" or module.startswith("webapp.")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk_without_type_checking(tree: ast.AST):
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` blocks (their ``else`` still counts)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _is_module(name: str, package_dir: Path) -> bool:
    path = package_dir.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def domains() -> set[str]:
    """The packages directly under webapp/ that hold Python code."""
    return {path.parent.name for path in PACKAGE_DIR.glob("*/__init__.py")}


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in domains() else None


def domain_graph() -> dict[str, dict[str, set[str]]]:
    """{domain: {other domain: {"importing module -> imported module", ...}}}."""
    graph: dict[str, dict[str, set[str]]] = {domain: {} for domain in domains()}
    for name, path in _modules().items():
        source = _domain_of(name)
        if source is None:
            continue
        for imported in _imported_modules(path):
            target = _domain_of(imported)
            if target is not None and target != source:
                graph[source].setdefault(target, set()).add(f"{name} -> {imported}")
    return graph


def find_cycles(graph) -> list[list[str]]:
    """Every elementary cycle's domains (each once, starting from its smallest name)."""
    cycles = []

    def walk(start, node, path):
        for nxt in sorted(graph[node]):
            if nxt == start:
                cycles.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return cycles


def format_graph(graph) -> str:
    """The graph as text: one line per domain edge, with the imports that make it."""
    lines = []
    for source in sorted(graph):
        targets = graph[source]
        lines.append(f"{source} -> {', '.join(sorted(targets)) or '(nothing)'}")
        for target in sorted(targets):
            for edge in sorted(targets[target]):
                lines.append(f"    {edge}")
    return "\n".join(lines)


# The entity domains, lowest first: each may import the ones before it and none after it (the domains not
# listed here, like profiles, site, search or api, build on all of them).
ENTITY_LAYERS = ["accounts", "history", "catalog", "grids"]


def test_the_domain_import_graph_has_no_cycle():
    graph = domain_graph()
    cycles = find_cycles(graph)
    assert not cycles, (
        "domain import cycles:\n"
        + "\n".join(" -> ".join(cycle) for cycle in cycles)
        + "\n\nthe graph:\n"
        + format_graph(graph)
    )


def test_the_entity_domains_import_only_the_layers_below_them():
    """accounts < history < catalog < grids < the rest: the history records objects it never imports, the
    catalogue names grids only by string (and announces to them through webapp.signals)."""
    graph = domain_graph()
    upward = []
    for level, domain in enumerate(ENTITY_LAYERS):
        higher = set(domains()) - set(ENTITY_LAYERS[: level + 1])
        upward += sorted(edge for target in higher & set(graph[domain]) for edge in graph[domain][target])
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def test_catalog_and_fetch_do_not_import_each_other_even_inside_functions():
    """The fetch service builds on the catalogue; the catalogue only announces (webapp.signals)."""
    graph = domain_graph()
    assert "fetch" not in graph["catalog"], format_graph({"catalog": graph["catalog"]})
    assert "demo" not in graph["importer"], format_graph({"importer": graph["importer"]})


def test_neutral_modules_import_no_domain():
    offending = []
    for name, path in _modules().items():
        if _domain_of(name) is not None or name in COMPOSITION_ROOTS:
            continue
        offending += [f"{name} -> {imported}" for imported in sorted(_imported_modules(path)) if _domain_of(imported)]
    assert not offending, "neutral modules importing a domain:\n" + "\n".join(offending)


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    """The walker itself: an import hidden in a function, or written relatively, still counts."""
    source = PACKAGE_DIR / "fetch" / "jobs.py"
    tree_modules = _imported_modules(source)
    assert any(module.startswith("webapp.") for module in tree_modules)
    package = tmp_path / "webapp" / "catalog"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "y.py").write_text("")
    (tmp_path / "webapp" / "grids").mkdir()
    (tmp_path / "webapp" / "grids" / "__init__.py").write_text("")
    (tmp_path / "webapp" / "grids" / "models.py").write_text("")
    module = package / "thing.py"
    module.write_text("def f():\n    from webapp.fetch.services import x\n\n"
                      "from ..grids import models\nfrom . import y\n")
    found = _imported_modules(module, package_dir=tmp_path / "webapp")
    assert {"webapp.fetch.services", "webapp.grids", "webapp.grids.models", "webapp.catalog.y"} <= found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b": set()}, "b": {}}) == []


def test_the_walker_leaves_out_imports_for_annotations_only(tmp_path):
    """``if TYPE_CHECKING:`` imports never run; the same import anywhere else (its ``else`` too) still counts."""
    package = tmp_path / "webapp" / "catalog"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "thing.py"
    module.write_text("import typing\nfrom typing import TYPE_CHECKING\n\n"
                      "if TYPE_CHECKING:\n    from webapp.grids.models import Grid\n"
                      "if typing.TYPE_CHECKING:\n    from webapp.grids import queries\n"
                      "else:\n    from webapp.fetch import services\n")
    assert _imported_modules(module, package_dir=tmp_path / "webapp") == {"webapp.fetch"}
