"""The examples in the docs and docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest
from argo_fake import FakeArgo

ROOT = Path(__file__).resolve().parents[1]
DOC_PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if ">>>" in p.read_text())
MODULES = ["argo_buildpacks.tags", "argo_buildpacks.config", "argo_buildpacks.images"]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_page_examples(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        parts = page.read_text().split("```python\n")
        for i, part in enumerate(parts[1:], start=1):
            code = part.split("```", 1)[0]
            if ">>>" not in code:  # doctest blocks run above
                blocks.append((str(page.relative_to(ROOT)), i, code))
    return blocks


@pytest.mark.parametrize(("page", "index", "code"), _python_blocks(), ids=lambda v: str(v)[:30])
def test_python_blocks_in_docs_run(
    monkeypatch: pytest.MonkeyPatch, argo_fake: FakeArgo, page: str, index: int, code: str
) -> None:
    # Examples that talk to Argo talk to the local Argo API.
    monkeypatch.setenv("ARGO_SERVER", argo_fake.address)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", argo_fake.token or "")
    monkeypatch.chdir(ROOT)
    exec(compile(code, f"{page}#{index}", "exec"), {})  # noqa: S102 - our own documentation


def test_public_names_resolve_lazily() -> None:
    import subprocess
    import sys

    import argo_buildpacks

    for name in argo_buildpacks.__all__:
        assert getattr(argo_buildpacks, name) is not None, name
    code = "import argo_buildpacks, sys; argo_buildpacks.SemverTag; print('hera' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = argo_buildpacks.nope


def test_exported_functions_are_not_shadowed_by_submodules() -> None:
    import argo_buildpacks
    import argo_buildpacks.linting  # importing every module must not rebind a public name
    import argo_buildpacks.pipeline

    for name in ("lint", "render", "workflow_template", "tag_check", "git_clone"):
        assert callable(getattr(argo_buildpacks, name)), name
