"""What the command line loads to start: ``lint`` of manifests needs neither Hera nor
pydantic (their import is most of a second; the strict decoder reads a table of Hera's
models instead, see tests/linting/test_shape_table.py). Seen in a fresh interpreter through
``-X importtime``; how fast it is, is measured by ``make bench``, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "my-python-app.yaml"
NO_ARGO_ENV = {k: v for k, v in os.environ.items() if not k.startswith("ARGO")}


def _imported(*args: str) -> tuple[int, set[str]]:
    """The exit status of ``argo-buildpacks ARGS`` and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "argo_buildpacks.cli._main", *args],
        env=NO_ARGO_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    modules = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done.returncode, modules


def test_lint_of_manifests_imports_neither_hera_nor_pydantic() -> None:
    code, modules = _imported("lint", str(GOLDEN))
    assert code == 0
    assert "argo_buildpacks.linting._schema" in modules  # the strict pass did run
    loaded = sorted(m for m in modules if m.split(".")[0] in ("hera", "pydantic", "rich"))
    assert loaded == []


def test_lint_of_a_build_config_still_renders_it_with_hera() -> None:
    code, modules = _imported("lint", str(ROOT / "examples" / "my-python-app.yaml"))
    assert code == 0
    assert "hera.workflows" in modules
