"""The deploy step in generated templates: after ``build``, by digest, in its own pod."""

from __future__ import annotations

import re
from typing import Any

import pytest

from argo_buildpacks import to_manifest, workflow_template
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.model.config import BuildConfig
from tests.support.runscript import SHELLS, Shell, render, run

KUBE = {"kubernetes": {"namespace": "apps", "deployment": "web", "container": "app"}}
GITOPS = {
    "gitops": {
        "repo": "https://git.example.com/acme/deploy.git",
        "path": "apps/web/kustomization.yaml",
        "credentials": {"https_token_secret": "gitops-token"},
    }
}


def make(deploy: dict[str, Any] | None, **extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "web",
        "namespace": "ci",
        "source": {"url": "https://github.com/acme/web.git"},
        "image": "registry.example.com/acme/web",
        **extra,
    }
    if deploy is not None:
        data["deploy"] = deploy
    return BuildConfig.from_dict(data)


def manifest(config: BuildConfig) -> dict[str, Any]:
    return to_manifest(workflow_template(config))


def template(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [t for t in doc["spec"]["templates"] if t["name"] == name]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
@pytest.mark.parametrize("deploy", [KUBE, GITOPS], ids=["kubernetes", "gitops"])
def test_deploy_is_the_last_step_after_build_and_lints(layout: str, deploy: dict[str, Any]) -> None:
    doc = manifest(make(deploy, layout=layout))
    steps = template(doc, "main")["steps"]
    names = [group[0]["name"] for group in steps]
    # After the push (the single pod's build, or the steps layout's export pod) and the
    # provenance step, which alone publishes the digest.
    push = "build" if layout == "single-pod" else "export"
    assert names[-3:] == [push, "provenance", "deploy"]
    # Nothing is passed in: the deploy reads the build's workflow outputs (globalName), so a
    # run started at the deploy template (--entrypoint deploy) cannot choose the digest.
    assert "arguments" not in steps[-1][0]
    deploy = template(doc, "deploy")
    assert "inputs" not in deploy
    used = set(re.findall(r"\{\{workflow\.outputs\.parameters\.([a-z]+)\}\}", str(deploy)))
    assert used <= {"digest", "image"} and "digest" in used
    global_names = {
        p["globalName"]
        for t in doc["spec"]["templates"]
        for p in t.get("outputs", {}).get("parameters", [])
        if "globalName" in p
    }
    assert used <= global_names
    # Published by the provenance step alone: nothing the build pod reports is global.
    publishers = {
        t["name"]
        for t in doc["spec"]["templates"]
        for p in t.get("outputs", {}).get("parameters", [])
        if p.get("globalName") in used
    }
    assert publishers == {"provenance"}
    assert "inputs.parameters" not in str(deploy)
    assert [str(f) for f in lint(doc)] == []


def test_no_deploy_section_changes_nothing() -> None:
    doc = manifest(make(None))
    assert [t["name"] for t in doc["spec"]["templates"]].count("deploy") == 0
    assert [g[0]["name"] for g in template(doc, "main")["steps"]] == ["build", "provenance"]


def test_kubernetes_deploy_sets_the_configured_image_by_digest_and_waits() -> None:
    deploy = template(manifest(make(KUBE)), "deploy")
    check, set_image, rollout = deploy["containerSet"]["containers"]
    assert check["command"][:2] == ["/bin/sh", "-c"] and check["image"] == "busybox:1.37.0"
    assert set_image["dependencies"] == ["check"]
    assert set_image["command"] == ["kubectl"]
    assert set_image["args"] == [
        "--namespace=apps",
        "set",
        "image",
        "deployment/web",
        "app=registry.example.com/acme/web@{{workflow.outputs.parameters.digest}}",
    ]
    assert rollout["name"] == "main" and rollout["dependencies"] == ["set-image"]
    assert rollout["args"][:4] == ["--namespace=apps", "rollout", "status", "deployment/web"]
    assert "--timeout=600s" in rollout["args"]
    # The only pod of the run with an API token, under its own account.
    assert deploy["serviceAccountName"] == "web-deploy"
    assert deploy["automountServiceAccountToken"] is True
    for c in (check, set_image, rollout):
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert sc["readOnlyRootFilesystem"] is True


def test_gitops_deploy_has_no_api_token_and_literal_secret() -> None:
    deploy = template(manifest(make(GITOPS)), "deploy")
    assert deploy["automountServiceAccountToken"] is False
    assert deploy["executor"] == {"serviceAccountName": "web-executor"}
    [secret] = [v for v in deploy["volumes"] if "secret" in v]
    assert secret["secret"]["secretName"] == "gitops-token"
    env = {e["name"]: e["value"] for e in deploy["container"]["env"]}
    assert env["GITOPS_REPO"] == "https://git.example.com/acme/deploy.git"
    assert env["IMAGE"] == "registry.example.com/acme/web"
    # No workflow parameter can reach the deploy's settings.
    assert "workflow.parameters" not in str(deploy)


def test_gitops_executor_uses_the_configured_account() -> None:
    deploy = template(manifest(make(GITOPS, service_account="builds")), "deploy")
    assert deploy["executor"] == {"serviceAccountName": "builds"}


@pytest.mark.parametrize(
    ("deploy", "message"),
    [
        ({}, "give exactly one of deploy.kubernetes or deploy.gitops"),
        ({**KUBE, **GITOPS}, "give exactly one of deploy.kubernetes or deploy.gitops"),
        (
            {"gitops": {"repo": "git@github.com:acme/deploy.git", "path": "kustomization.yaml"}},
            "must be an https:// URL",
        ),
        (
            {"gitops": {"repo": "https://g.example.com/d.git", "path": "../kustomization.yaml"}},
            "must be a plain relative path",
        ),
        (
            {"gitops": {"repo": "https://g.example.com/d.git", "path": "values.yaml"}},
            "give yaml_path",
        ),
        (
            {"kubernetes": {"namespace": "Apps", "deployment": "web", "container": "app"}},
            "'Apps' is not a DNS-1123 label",
        ),
    ],
)
def test_bad_deploy_sections_are_refused_with_the_reason(
    deploy: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match="deploy") as info:
        make(deploy)
    assert message in str(info.value)


def test_deploy_needs_a_build_step() -> None:
    from hera.workflows import WorkflowTemplate

    from argo_buildpacks.components.deploy import add_deploy

    with pytest.raises(ConfigError, match="'main' steps template with a 'build' step"):
        add_deploy(WorkflowTemplate(name="x", templates=[]), make(KUBE))


# ----------------------------------------------------------------- deploy_check.sh


def check_node() -> Any:
    from argo_buildpacks.components.deploy import kubernetes_deploy

    config = make(KUBE)
    assert config.deploy is not None and config.deploy.kubernetes is not None
    tmpl = kubernetes_deploy(config, config.deploy.kubernetes)
    assert tmpl.container_set is not None
    return tmpl.container_set.containers[0]


GOOD = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("shell", SHELLS)
def test_deploy_check_passes_a_digest(shell: Shell) -> None:
    rendered = render(check_node())
    assert rendered.script == load("deploy_check.sh")
    assert rendered.env == {"DIGEST": "{{workflow.outputs.parameters.digest}}"}
    done = run(shell, rendered, env={"DIGEST": GOOD})
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"deploy-check: deploying {GOOD}\n"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "digest",
    [
        "{{workflow.outputs.parameters.digest}}",  # a run started at the deploy template
        "",
        GOOD[:-1],
        GOOD + "0",
        GOOD.upper().replace("SHA256", "sha256"),
        "sha512:" + "0" * 64,
        "sha512:" + "0" * 128,  # a full digest, but not the sha256 a build pushes
        "x" + GOOD,
        GOOD + "\nevil",
        "sha256:" + "0" * 63 + " ",
    ],
)
def test_deploy_check_refuses_anything_else(shell: Shell, digest: str) -> None:
    done = run(shell, render(check_node()), env={"DIGEST": digest})
    assert done.returncode == 1
    assert "is not sha256:<64 hex digits>; nothing deployed" in done.stderr
