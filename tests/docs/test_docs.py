"""The examples in the docs and docstrings run and print what they claim."""

from __future__ import annotations

import ast
import doctest
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

ROOT = Path(__file__).resolve().parents[2]
DOC_PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if ">>>" in p.read_text())
MODULES = [
    "argo_buildpacks.model.tags",
    "argo_buildpacks.model.config",
    "argo_buildpacks.model.images",
]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_page_examples(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


_PRINTS = re.compile(r"\A\s*(?:It prints|Output):\n\n```text\n(.*?)```", re.DOTALL)


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        parts = page.read_text().split("```python\n")
        for i, part in enumerate(parts[1:], start=1):
            code = part.split("```", 1)[0]
            if ">>>" not in code:  # doctest blocks run above
                blocks.append((str(page.relative_to(ROOT)), i, code))
    return blocks


def _expected_output(page: str, index: int) -> str | None:
    """The ```text block after "It prints:" right below the page's ``index``-th python block."""
    part = (ROOT / page).read_text().split("```python\n")[index]
    after = part.split("```", 1)[1] if "```" in part else ""
    match = _PRINTS.match(after.lstrip("\n")) if after.startswith("\n") else None
    return match.group(1) if match else None


@pytest.mark.parametrize(("page", "index", "code"), _python_blocks(), ids=lambda v: str(v)[:30])
def test_python_blocks_in_docs_run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argo_fake: FakeArgo,
    kube_fake: FakeKube,
    tmp_path: Path,
    page: str,
    index: int,
    code: str,
) -> None:
    # Examples that talk to Argo talk to the local Argo API, and to Kubernetes the local one.
    monkeypatch.setenv("KUBECONFIG", str(kube_fake.write_kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.setenv("ARGO_SERVER", argo_fake.address)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", argo_fake.token or "")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    checked = 0
    # Run statement by statement: an expression with a trailing comment that reads as a
    # value (`x.oci_tags()  # ['1.4.2', '1.4', '1']`, `f(x)  # SemverTag('1.4.3')`) must
    # evaluate to it, so an example cannot claim what it does not print.
    tree = ast.parse(code)
    lines = code.splitlines()
    for statement in tree.body:
        module = ast.Module(body=[statement], type_ignores=[])
        if isinstance(statement, ast.Expr) and statement.end_lineno == statement.lineno:
            line = lines[statement.lineno - 1]
            claim = line[statement.end_col_offset :].strip()
            if claim.startswith("#"):
                claim = claim[1:].strip()
                source = ast.get_source_segment(code, statement.value) or ""
                value = eval(compile(source, f"{page}#{index}", "eval"), namespace)  # noqa: S307
                if _is_value_claim(claim):
                    assert _matches(value, claim), (
                        f"{page}#{index}: {source} is {value!r}, not {claim}"
                    )
                    checked += 1
                continue
        exec(compile(module, f"{page}#{index}", "exec"), namespace)  # noqa: S102 - our docs
    if (page, index) in _CLAIMS:
        assert checked == _CLAIMS[(page, index)], f"{page}#{index}: {checked} value claims checked"
    # A block followed by "It prints:" and a text block must print that ("..." matches
    # anything, as in doctest).
    expected = _expected_output(page, index)
    if expected is not None:
        printed = capsys.readouterr().out
        checker = doctest.OutputChecker()
        assert checker.check_output(expected, printed, doctest.ELLIPSIS), (
            f"{page}#{index} printed:\n{printed}\nnot:\n{expected}"
        )
    if (page, index) in _PRINTED:
        assert expected is not None, f"{page}#{index} lost its 'It prints:' block"


# Blocks known to show what they print (so the check cannot be skipped by a layout change).
_PRINTED = {("docs/troubleshooting.md", 2), ("docs/getting-started.md", 1)}


# Blocks known to make claims about values (so the checker cannot silently skip them).
_CLAIMS = {("README.md", 1): 2, ("docs/troubleshooting.md", 2): 1}


def _is_value_claim(comment: str) -> bool:
    """Whether a trailing comment states a value (a literal or a repr), not a remark."""
    try:
        ast.literal_eval(comment)
        return True
    except (ValueError, SyntaxError):
        return bool(re.fullmatch(r"[A-Z]\w*\(.*\)", comment))


def _matches(value: object, claim: str) -> bool:
    try:
        return bool(value == ast.literal_eval(claim))
    except (ValueError, SyntaxError):
        return repr(value) == claim


def test_value_claims_are_checked() -> None:
    assert _is_value_claim("['1.4.2', '1.4', '1']")
    assert _is_value_claim("SemverTag('1.4.3-dev.3+gabc1234')")
    assert not _is_value_claim("a Hera WorkflowTemplate")
    assert _matches(["1.4.2"], "['1.4.2']")
    assert not _matches(["1.4.2"], "['1.4.3']")


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
    import argo_buildpacks.components.rebase
    import argo_buildpacks.linting._lint  # importing every module must not rebind a public name
    import argo_buildpacks.templates.fleets
    import argo_buildpacks.templates.pipeline

    for name in (
        "lint",
        "render",
        "workflow_template",
        "tag_check",
        "git_clone",
        "rebase",
        "rebase_template",
        "fleet",
    ):
        assert callable(getattr(argo_buildpacks, name)), name


# -- the API reference is Markdown (mkdocstrings), not Sphinx ---------------------------------

_SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|data|attr|mod|exc|obj|ref):`")


def test_no_sphinx_roles_in_docstrings() -> None:
    found = {}
    for path in sorted((ROOT / "argo_buildpacks").rglob("*.py")):
        count = len(_SPHINX_ROLE.findall(path.read_text(encoding="utf-8")))
        if count:
            found[str(path.relative_to(ROOT))] = count
    # mkdocstrings shows :class:`X` as it is: write `X` (or a [X][path] cross-reference).
    assert found == {}


def test_no_sphinx_roles_in_the_json_schema() -> None:
    from argo_buildpacks import BuildConfig

    text = json.dumps(BuildConfig.json_schema())
    assert _SPHINX_ROLE.search(text) is None
    assert "`" in text  # descriptions do use Markdown code spans


# -- diagrams on the site: inline SVG drawn at build time, no Mermaid script from a CDN -----


def _hooks() -> Any:
    import sys

    sys.path.insert(0, str(ROOT))
    try:
        import mkdocs_hooks
    finally:
        sys.path.remove(str(ROOT))
    return mkdocs_hooks


def test_the_site_strips_sphinx_roles_left_in_docstrings() -> None:
    html = (
        "Prefer :func:<code>~argo_buildpacks.components.buildpacks_build</code> "
        "or :class:<code>a.B</code>."
    )
    assert (
        _hooks().strip_sphinx_roles(html)
        == "Prefer <code>buildpacks_build</code> or <code>a.B</code>."
    )


def test_the_site_draws_every_mermaid_block_offline() -> None:
    mermaid_to_svg = _hooks().mermaid_to_svg
    for page in sorted((ROOT / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        drawn = mermaid_to_svg(text, str(page))  # raises for a block it cannot draw
        assert "```mermaid" not in drawn, page
        assert drawn.count("<svg") == text.count("```mermaid"), page
    with pytest.raises(ValueError, match="cannot be drawn offline"):
        mermaid_to_svg("```mermaid\nflowchart LR\n  a --> b\n```\n")


def test_mkdocs_loads_no_mermaid_script() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    # A "mermaid" custom fence makes the theme fetch Mermaid's JavaScript from a CDN.
    assert "custom_fences" not in config
    assert "- mkdocs_hooks.py" in config
