"""The example scripts, run as users run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.argo_fake import FakeArgo

ROOT = Path(__file__).resolve().parents[2]


def run_submit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARGO_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / "submit.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def server_env(fake: FakeArgo) -> dict[str, str]:
    return {"ARGO_SERVER": fake.address, "ARGO_SECURE": "false", "ARGO_TOKEN": fake.token or ""}


def test_submit_example_applies_builds_and_reports(argo_fake: FakeArgo) -> None:
    done = run_submit(server_env(argo_fake), "v1.4.2")
    assert done.returncode == 0, done.stderr
    assert "WorkflowTemplate/my-python-app: created" in done.stdout
    assert "submitted my-python-app-" in done.stdout
    assert "Succeeded" in done.stdout
    assert "built registry.example.com:5000/acme/my-python-app:" in done.stdout
    assert ("argo", "my-python-app") in argo_fake.templates
    assert len(argo_fake.workflows) == 1
    again = run_submit(server_env(argo_fake), "1.4.3")
    assert "WorkflowTemplate/my-python-app: unchanged" in again.stdout
    assert len(argo_fake.workflows) == 2


def test_submit_example_failed_run_and_bad_input(argo_fake: FakeArgo) -> None:
    argo_fake.final_phase = "Failed"
    failed = run_submit(server_env(argo_fake), "1.0.0")
    assert failed.returncode == 1
    assert "Failed" in failed.stderr
    bad = run_submit(server_env(argo_fake), "1.04.0")
    assert bad.returncode == 1
    assert "MINOR '04' has a leading zero" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_submit_example_without_server() -> None:
    done = run_submit({})
    assert done.returncode == 0
    assert "ARGO_SERVER is not set" in done.stdout
