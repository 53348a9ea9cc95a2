"""The arrows between the rooms run one way, and no module imports itself round a circle.

The contracts are declared in pyproject.toml ([tool.importlinter]) and checked by import-linter,
imports inside functions included (grimp reads every import statement); imports only for type
checking are left out. The cycle check uses the same graph.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "billing", "archive", "access", "comms", "printing", "station", "ui", "resources")
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LINT, str(config), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_every_contract_is_kept():
    out = _lint(ROOT / "pyproject.toml")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout and "10 kept" in out.stdout


def test_a_wrong_arrow_is_reported(tmp_path):
    """The same machinery on a contract the code breaks (billing builds on models) fails: the
    check above can fail."""
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_packages =\n    models\n    billing\n\n"
                      "[importlinter:contract:wrong]\nname = billing without models\ntype = forbidden\n"
                      "source_modules =\n    billing\nforbidden_modules =\n    models\n", encoding="utf-8")
    out = _lint(config)
    assert out.returncode == 1 and "BROKEN" in out.stdout, out.stdout[-2000:] + out.stderr[-2000:]


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def _graph():
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    finally:
        sys.path.remove(str(ROOT))


def test_no_module_cycle():
    graph = _graph()
    # a package's __init__ importing its own submodules is not a cycle worth naming
    cycles = [c for c in _cycles(graph) if not any(m in PACKAGES for m in c)]
    assert cycles == [], "module cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
