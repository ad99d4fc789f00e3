"""No module of the project imports itself through others.

The import graph is grimp's (the engine of import-linter), built from the source of the
``programs`` and ``gcaptrack`` packages without importing them. It counts every ``import`` and
``from … import`` statement between two modules of those packages wherever it stands: at the
top of the file, inside functions and methods, and under ``if TYPE_CHECKING:``. Importing
``programs.balance.scan`` counts as an import of that module only, not of the packages
``programs`` and ``programs.balance`` whose ``__init__`` Python runs first; imports of Django,
the standard library and other libraries are left out.
"""

from __future__ import annotations

from itertools import pairwise

import grimp

PACKAGES = ("programs", "gcaptrack")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The shortest cycle through each module that imports itself through others, as
    ``[a, b, …, a]``; a module already named in a cycle found earlier starts none."""
    cycles: list[list[str]] = []
    named: set[str] = set()
    for module in sorted(graph.modules):
        if module in named:
            continue
        back_chains = [
            chain
            for imported in graph.find_modules_directly_imported_by(module)
            if (chain := graph.find_shortest_chain(importer=imported, imported=module))
        ]
        if back_chains:
            cycle = [module, *min(back_chains, key=lambda chain: (len(chain), chain))]
            cycles.append(cycle)
            named.update(cycle)
    return cycles


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """``a -> b (line 3) -> a (line 12)``: each import with its line in the importing file."""
    steps = [cycle[0]]
    for importer, imported in pairwise(cycle):
        lines = sorted(
            detail["line_number"]
            for detail in graph.get_import_details(importer=importer, imported=imported)
        )
        steps.append(f"{imported} (line {', '.join(map(str, lines))} of {importer})")
    return " -> ".join(steps)


def test_no_module_of_programs_or_gcaptrack_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    cycles = [describe(graph, cycle) for cycle in import_cycles(graph)]

    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_a_cycle_is_named_module_by_module_with_the_lines_that_import():
    graph = grimp.ImportGraph()
    for importer, imported, line in [
        ("pkg.flags", "pkg.scan", 3),
        ("pkg.scan", "pkg.tasks", 7),
        ("pkg.tasks", "pkg.flags", 40),
        ("pkg.views", "pkg.flags", 1),
    ]:
        graph.add_import(
            importer=importer, imported=imported, line_number=line, line_contents="import"
        )

    cycles = import_cycles(graph)

    assert cycles == [["pkg.flags", "pkg.scan", "pkg.tasks", "pkg.flags"]]
    assert describe(graph, cycles[0]) == (
        "pkg.flags -> pkg.scan (line 3 of pkg.flags) -> pkg.tasks (line 7 of pkg.scan)"
        " -> pkg.flags (line 40 of pkg.tasks)"
    )
