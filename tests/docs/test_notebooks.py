"""The notebooks run top to bottom (so they never rot) and are committed without outputs.

Each runs in a fresh kernel of this interpreter: a kernelspec pointing at ``sys.executable``
is written to a temporary ``JUPYTER_PATH``, so nothing has to be installed by hand and no
user-wide Jupyter setup is used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.argo_fake import FakeArgo

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "argo-buildpacks-tests"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this interpreter, found before any other through ``JUPYTER_PATH``."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel_json = {"argv": argv, "display_name": "argo-buildpacks tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel_json))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no user profile or startup
    for name in ("ARGO_SERVER", "ARGO_TOKEN", "ARGO_NAMESPACE", "ARGO_SECURE", "ARGO_BASE_HREF"):
        monkeypatch.delenv(name, raising=False)
    return KERNEL


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` (nbformat is untyped)."""
    book = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    assert isinstance(book, nbformat.NotebookNode)
    return book


def execute(path: Path, kernel: str) -> nbformat.NotebookNode:
    """Run every cell in order, in the notebook's directory; a failing cell raises with its
    traceback."""
    book = read(path)
    client = NotebookClient(
        book,
        kernel_name=kernel,
        timeout=120,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return book


def shown(book: nbformat.NotebookNode, mime: str = "text/plain") -> str:
    """Everything the cells printed or displayed as ``mime`` (streams count as text)."""
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and mime == "text/plain":
                parts.append(out.text)
            elif "data" in out and mime in out.data:
                parts.append(out.data[mime])
    return "\n".join(parts)


def test_the_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-quickstart.ipynb",
        "02-platform-library.ipynb",
        "03-tags.ipynb",
        "04-tag-to-production.ipynb",  # run by tests/docs/test_notebooks_release.py
        "05-fleet-patched.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    book = read(path)
    nbformat.validate(book)
    assert book.metadata.kernelspec.name == "python3"
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: cell {cell.id} has outputs"
        assert cell.execution_count is None, f"{path.name}: cell {cell.id} has an execution count"
        assert "execution" not in cell.metadata, f"{path.name}: cell {cell.id} has timings"


def test_quickstart_runs_against_an_argo_server(
    kernel: str, argo_fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGO_SERVER", argo_fake.address)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", argo_fake.token or "")
    monkeypatch.setenv("ARGO_BUILDPACKS_SUBMIT", "1")  # the explicit opt-in
    book = execute(ROOT / "notebooks" / "01-quickstart.ipynb", kernel)
    page = shown(book, "text/html")
    assert "<svg" in page and "pod build" in page  # the template, drawn
    assert "\u25cf Succeeded" in page  # the run's status table
    assert "lint: clean" in shown(book)
    assert ("argo", "my-python-app") in argo_fake.templates
    assert argo_fake.count("POST", "/api/v1/workflows/argo/submit") == 1


def test_quickstart_sends_nothing_even_with_argo_server_set(
    kernel: str, argo_fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ARGO_SERVER in the shell is not consent: without the opt-in nothing reaches a server.
    monkeypatch.setenv("ARGO_SERVER", argo_fake.address)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", argo_fake.token or "")
    book = execute(ROOT / "notebooks" / "01-quickstart.ipynb", kernel)
    text = shown(book)
    assert "SUBMIT is off, so nothing is sent" in text
    assert argo_fake.requests == []
    assert "registry.example.com:5000/acme/my-python-app:1.4" in text
    assert "tag-check: '1.04.2' is not a SemVer 2.0.0 version" in text


def test_quickstart_explains_what_it_would_do_without_a_server(kernel: str) -> None:
    book = execute(ROOT / "notebooks" / "01-quickstart.ipynb", kernel)
    text = shown(book)
    assert "SUBMIT is off, so nothing is sent" in text
    assert "registry.example.com:5000/acme/my-python-app:1.4" in text
    assert "tag-check: '1.04.2' is not a SemVer 2.0.0 version" in text


def test_platform_library_notebook_runs(kernel: str) -> None:
    book = execute(ROOT / "notebooks" / "02-platform-library.ipynb", kernel)
    page = shown(book, "text/html")
    assert "<b>ClusterWorkflowTemplate</b> <code>argo-buildpacks</code>" in page
    assert "argo-buildpacks / build" in page  # apps call into the library
    assert "services/web" in shown(book)


def test_tags_notebook_runs(kernel: str) -> None:
    book = execute(ROOT / "notebooks" / "03-tags.ipynb", kernel)
    text = shown(book)
    assert "1.4.3-dev.3+g" in text  # from a real `git describe` in a scratch repository
    assert "argo-buildpacks-semver" in shown(book, "text/html")
