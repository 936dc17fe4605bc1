"""The notebooks of the release loop run top to bottom, offline: 04 (a pushed tag built,
signed and deployed) and 05 (a fleet kept patched). Same kernel and runner as the others
(tests/docs/test_notebooks.py); nothing they do reaches a server."""

from __future__ import annotations

from pathlib import Path

from tests.docs.test_notebooks import execute, kernel, shown  # noqa: F401 - kernel: a fixture
from tests.support.argo_fake import FakeArgo

ROOT = Path(__file__).resolve().parents[2]


def test_tag_to_production_notebook_runs_offline(
    kernel: str,  # noqa: F811 - the fixture imported above
    argo_fake: FakeArgo,
) -> None:
    book = execute(ROOT / "notebooks" / "04-tag-to-production.ipynb", kernel)
    text = shown(book)
    assert "build -> provenance -> sign -> deploy" in text
    assert "deploy  inputs: none" in text  # the digest comes from the registry, not a caller
    # One dependency for tags and branches (every EventBus accepts it: docs/lint.md).
    assert "body.ref                   ['^refs/tags/v[^/]*$|^refs/heads/(main)$']" in text
    assert "lint: clean (14 objects)" in text
    assert 'dest "spec.arguments.parameters.7.value" names no argument' in text
    page = shown(book, "text/html")
    assert "<svg" in page and "deploy" in page  # the pipeline, drawn
    assert argo_fake.requests == []


def test_fleet_notebook_runs_the_summary_script_offline(kernel: str) -> None:  # noqa: F811
    book = execute(ROOT / "notebooks" / "05-fleet-patched.ipynb", kernel)
    text = shown(book)
    assert "apps/broken.yaml: name: name 'Bad_Name' is not a DNS-1123 label" in text
    assert "CronWorkflow      fleet" in text and "concurrencyPolicy: Forbid" in text
    # The summary step's own script, run with sh: a row per app, the failed one included.
    assert "api     Succeeded  rebased" in text
    assert "worker  Failed     -" in text
    assert "new_digest='invalid', reason='ok?web?Succeeded?rebased?-?-?forged'" in text
    assert "lint: clean (33 objects)" in text
    assert "<svg" in shown(book, "text/html")
