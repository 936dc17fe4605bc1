"""The layout holds: imports run down the layers, modules stay small, nothing dodges a cycle.

import-linter checks the layer contracts (`make lint`, pyproject.toml); these check what it
cannot see: an import hidden inside a function to dodge a cycle, and module size.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "argo_buildpacks"

# Modules that may import the package's own modules inside a function, and why. Nothing else
# may: such an import dodges a cycle that the layers forbid.
LAZY_ALLOWED = {
    # the lazy public surface: `import argo_buildpacks` must not import Hera
    "__init__.py": "the root's lazy re-exports",
    # `--help`, `--version` and `tags` answer without importing Hera or pydantic
    "cli": "command-line start-up speed",
}

# Modules allowed over 500 lines: ports that mirror one file of Argo's each, so that a rule
# can be found beside the Go it follows.
LARGE_ALLOWED = {
    "linting/_templates.py": "port of workflow/validate/validate.go (templates)",
    "linting/_rules.py": "port of workflow/validate/validate.go (workflow rules)",
}
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path, root: Path = PACKAGE) -> str:
    return path.relative_to(root).as_posix()


def _own_imports_in_functions(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "argo_buildpacks"
            ):
                found.append(f"{_name(path, root)}:{node.lineno} {fn.name}: from {node.module}")
            elif isinstance(node, ast.Import):
                found += [
                    f"{_name(path, root)}:{node.lineno} {fn.name}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("argo_buildpacks")
                ]
    return found


def test_no_module_imports_the_package_inside_a_function() -> None:
    hidden = [
        line
        for path in _modules()
        if _name(path) not in LAZY_ALLOWED and _name(path).split("/")[0] not in LAZY_ALLOWED
        for line in _own_imports_in_functions(path)
    ]
    assert hidden == [], "imports inside functions (move them up, or fix the layer):\n" + (
        "\n".join(hidden)
    )


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import argo_buildpacks.errors\n"
        "def f():\n"
        "    from argo_buildpacks.templates import pipeline\n"
        "    import json\n"
        "    def g():\n"
        "        import argo_buildpacks.model.tags\n"
    )
    assert _own_imports_in_functions(module, tmp_path) == [
        "m.py:3 f: from argo_buildpacks.templates",
        "m.py:6 f: import argo_buildpacks.model.tags",
        "m.py:6 g: import argo_buildpacks.model.tags",
    ]


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if _name(path) in LARGE_ALLOWED:
        return
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines; split it along a seam"


def test_the_layer_contracts_hold() -> None:
    # The same check as `make lint`, so that a plain `pytest` run also sees a broken layer.
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports)], capture_output=True, text=True, cwd=PACKAGE.parent, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
