"""The public names of ``argo_buildpacks`` are said three times in its ``__init__``: in
``__all__``, in the lazy table ``_EXPORTS`` (name -> the module that provides it, imported
on first use) and in the ``TYPE_CHECKING`` imports that type checkers and editors read.
They must agree, each must resolve to what the table says, and importing the package must
stay cheap: no Hera until a template is built.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import argo_buildpacks

INIT = Path(argo_buildpacks.__file__)


def type_checking_imports() -> dict[str, str]:
    """Public name -> the module the ``if TYPE_CHECKING:`` block imports it from."""
    tree = ast.parse(INIT.read_text())
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, "expected one 'if TYPE_CHECKING:' block"
    found: dict[str, str] = {}
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            # `import X as X` is the explicit re-export mypy --strict needs.
            assert alias.asname == alias.name, f"{alias.name} is imported as {alias.asname}"
            assert alias.name not in found, f"{alias.name} is imported twice"
            found[alias.name] = node.module
    return found


def table_module(name: str) -> str:
    return f"argo_buildpacks.{argo_buildpacks._EXPORTS[name]}"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_all_exports_and_type_checking_name_the_same_things() -> None:
    table = set(argo_buildpacks._EXPORTS)
    typed = set(type_checking_imports())
    assert set(argo_buildpacks.__all__) - {"__version__"} == table
    assert len(argo_buildpacks.__all__) == len(set(argo_buildpacks.__all__)), "duplicates"
    assert typed - table == set(), "imported for type checkers but not exported"
    assert table - typed == set(), "exported but invisible to type checkers"


def test_type_checking_imports_come_from_the_tables_module() -> None:
    for name, module in type_checking_imports().items():
        assert within(module, table_module(name)), (name, module, table_module(name))


@pytest.mark.parametrize("name", sorted(argo_buildpacks._EXPORTS))
def test_each_public_name_resolves_to_its_tables_module(name: str) -> None:
    value = getattr(argo_buildpacks, name)
    provider = importlib.import_module(table_module(name))
    # Defined in the table's module, or in a private module of it that it re-exports.
    assert getattr(provider, name) is value
    assert within(value.__module__, table_module(name)), (name, value.__module__)
    # The module type checkers are pointed at gives the very same object.
    typed = importlib.import_module(type_checking_imports()[name])
    assert getattr(typed, name) is value


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'argo_buildpacks' has no attribute 'Nope'"):
        _ = argo_buildpacks.Nope
    assert set(argo_buildpacks._EXPORTS) <= set(dir(argo_buildpacks))


def test_import_argo_buildpacks_imports_no_hera() -> None:
    probe = (
        "import sys, argo_buildpacks; "
        "print(sorted(m for m in sys.modules if m == 'hera' or m.startswith('hera.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        # The package under test, wherever it is imported from (a mutation copy included).
        cwd=INIT.parents[1],
    )
    assert done.stdout.strip() == "[]", done.stdout
    # The probe is real: the same process sees Hera once a component is asked for.
    loaded = subprocess.run(
        [sys.executable, "-c", probe.replace("; print", "; argo_buildpacks.git_clone; print")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=INIT.parents[1],
    )
    assert "'hera'" in loaded.stdout
