"""``argo-buildpacks pods``: the pods Argo would create, from a config or manifests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from argo_buildpacks.cli._main import cli
from argo_buildpacks.components._pod import executor_patch
from argo_buildpacks.display._podview import pods_html

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my-python-app.yaml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def resource_workflow(tmp_path: Path) -> Path:
    """A Workflow like the rebase template before the fix: the executor patch workflow-wide,
    reaching a resource pod."""
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "rebuild"},
        "spec": {
            "entrypoint": "rebuild",
            "podSpecPatch": executor_patch(),
            "executor": {"serviceAccountName": "exec"},
            "templates": [{"name": "rebuild", "resource": {"action": "create", "manifest": "{}"}}],
        },
    }
    path = tmp_path / "rebuild.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_pods_of_a_config_with_argos_containers_and_mounts() -> None:
    result = invoke("pods", str(EXAMPLE), "--template", "build")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "spec.templates[1] build: a containerSet pod, init+wait (Argo 4.1)" in out
    assert "initContainer init [argo]" in out and "container wait [argo]" in out
    assert "var-run-argo:/var/run/argo" in out
    assert "exec-sa-token:/var/run/secrets/kubernetes.io/serviceaccount:ro" in out
    assert "exec-sa-token (secret: my-python-app-executor.service-account-token)" in out
    assert "podSpecPatch applied: template podSpecPatch" in out
    assert "output parameters.digest" in out


def test_a_patch_naming_wait_on_a_resource_pod_is_refused(tmp_path: Path) -> None:
    result = invoke("pods", str(resource_workflow(tmp_path)), "--argo-version", "3.6")
    assert result.exit_code == 1, result.output
    assert "container wait [argo] NO IMAGE (added by the podSpecPatch)" in result.output
    assert 'PROBLEM: podSpecPatch names containers "wait"' in result.output
    # With archiveLogs (3.7 and later) the resource pod has a wait container: accepted.
    logs = invoke("pods", str(resource_workflow(tmp_path)), "--argo-version", "3.7",
                  "--archive-logs")  # fmt: skip
    assert logs.exit_code == 0, logs.output


def test_the_init_less_layout_shows_what_the_patch_would_add() -> None:
    result = invoke("pods", str(EXAMPLE), "--initless", "--template", "provenance")
    assert result.exit_code == 1, result.output
    assert "container supervisor [argo]" in result.output
    assert 'names initContainers "init"' in result.output
    refused = invoke("pods", str(EXAMPLE), "--initless", "--argo-version", "4.0")
    assert refused.exit_code == 2
    assert "--initless needs --argo-version 4.1 (got 4.0)" in refused.output


def test_json_gives_the_pod_specs(tmp_path: Path) -> None:
    result = invoke("pods", str(EXAMPLE), "-o", "json")
    assert result.exit_code == 0, result.output
    pods = json.loads(result.output)
    build = next(p for p in pods if p["template"] == "build")
    spec = build["pod"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["init"]
    assert spec["containers"][0]["name"] == "wait"
    assert build["document"] == "WorkflowTemplate/my-python-app"
    assert build["template_env_bytes"] > 10_000


def test_an_unknown_template_is_named() -> None:
    result = invoke("pods", str(EXAMPLE), "--template", "nope")
    assert result.exit_code == 2
    assert "--template 'nope': no template of that name makes a pod" in result.output


def test_the_notebook_view_escapes_and_marks_the_added_container(tmp_path: Path) -> None:
    doc = yaml.safe_load(resource_workflow(tmp_path).read_text())
    doc["metadata"]["name"] = "<b>x</b>"
    html = pods_html(doc, argo_version="3.6")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "no image: added by the podSpecPatch" in html
