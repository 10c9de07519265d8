"""The house rules, checked on the real import graph (grimp, the graph import-linter builds).

Contracts in pyproject.toml ([tool.importlinter]) say which room may import which; this test adds
what layers cannot say: no module takes part in an import cycle, even inside one room.
Imports made only for type checking are left out: they never run.
"""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if not nxt.startswith("advisor"):
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module.startswith("advisor") and module not in index:
            visit(module)
    return groups


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("advisor", exclude_type_checking_imports=True)


def test_no_import_cycles() -> None:
    graph = _graph()
    # Recommendation.to_markdown() imports the report when called: the one import against the flow,
    # declared in pyproject.toml too.
    graph.remove_import(importer="advisor.results", imported="advisor.report.markdown")
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = _graph()
    graph.add_import(importer="advisor.units", imported="advisor.results")
    assert any("advisor.units" in group for group in _cycles(graph))
