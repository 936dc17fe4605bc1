"""The rebase WorkflowTemplate, its CronWorkflow and their place in ``render``: structure,
lint (Argo 3.6 and 4.1, restricted) and the trust boundary (the rebaser has the registry
credential; no container runs app code; only the rebuild step has an API token)."""

from __future__ import annotations

from typing import Any

import pytest

from argo_buildpacks import BuildConfig, ConfigError, to_manifest
from argo_buildpacks.components.buildpacks_build import REGISTRY_SECRET_VOLUME
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.templates.rbac import release_manifests
from argo_buildpacks.templates.rebase import rebase_cron_workflow, rebase_template

BASE: dict[str, Any] = {
    "name": "app",
    "source": {"url": "https://github.com/acme/app.git"},
    "image": "ghcr.io/acme/app",
    "registry_secret": "regcred",
    "rebase": {"schedule": "0 4 * * *", "tag": "1.4.2"},
}
DEPLOY = {"kubernetes": {"namespace": "apps", "deployment": "app", "container": "app"}}


def config(**extra: Any) -> BuildConfig:
    return BuildConfig.model_validate({**BASE, **extra})


def templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["templates"]}


@pytest.mark.parametrize("deploy", [None, DEPLOY])
@pytest.mark.parametrize("options", [{}, {"argo_version": "3.6"}, {"restricted": True}])
def test_every_rendered_object_lints_clean(deploy: Any, options: dict[str, Any]) -> None:
    docs = release_manifests(config(deploy=deploy))
    kinds = [d["kind"] for d in docs]
    assert kinds[-3:] == ["WorkflowTemplate", "WorkflowTemplate", "CronWorkflow"]
    errors = [f for f in lint(docs, **options) if f.severity == "error"]
    assert errors == []


def test_the_cron_workflow_runs_the_rebase_template_on_its_schedule() -> None:
    cron = rebase_cron_workflow(config())
    assert cron["spec"]["schedules"] == ["0 4 * * *"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["workflowSpec"]["workflowTemplateRef"] == {"name": "app-rebase"}
    assert cron["spec"]["workflowSpec"]["arguments"]["parameters"] == [
        {"name": "tag", "value": "1.4.2"}
    ]
    no_schedule = config(rebase={"tag": "1.4"})
    assert [d["kind"] for d in release_manifests(no_schedule)][-1] == "WorkflowTemplate"
    with pytest.raises(ConfigError, match=r"no rebase\.schedule"):
        rebase_cron_workflow(no_schedule)


def test_main_rebases_then_rebuilds_or_deploys_the_new_digest() -> None:
    m = to_manifest(rebase_template(config(deploy=DEPLOY)))
    assert m["metadata"]["name"] == "app-rebase"
    steps = [s for group in templates(m)["main"]["steps"] for s in group]
    assert [s["name"] for s in steps] == ["rebase", "rebuild", "deploy"]
    action = "{{steps.rebase.outputs.parameters.action}}"
    assert steps[1]["when"] == f"{action} == rebuild"
    assert steps[2]["when"] == f"{action} == rebased"
    # The deploy reads the global digest the rebase container writes.
    outputs = {p["name"]: p for p in templates(m)["rebase"]["outputs"]["parameters"]}
    assert outputs["digest"]["globalName"] == "digest"
    assert {"action", "reason", "old-digest", "new-digest"} <= set(outputs)
    deploy = str(templates(m)["deploy"])
    assert "{{workflow.outputs.parameters.digest}}" in deploy


def test_the_rebuild_runs_the_apps_own_template_at_the_recorded_commit() -> None:
    m = to_manifest(rebase_template(config()))
    rebuild = templates(m)["rebuild"]
    manifest = rebuild["resource"]["manifest"]
    assert '"workflowTemplateRef": {\n      "name": "app"\n    }' in manifest
    # Values come from the trusted container's global outputs, never from inputs a
    # submitter could give.
    assert "{{workflow.outputs.parameters.rebuild-revision}}" in manifest
    assert "inputs" not in manifest and "inputs" not in rebuild
    assert rebuild["serviceAccountName"] == "app-rebase"


def test_a_rebase_needs_a_namespaced_template() -> None:
    with pytest.raises(ConfigError, match=r"rebase is not supported"):
        release_manifests(config(), kind="ClusterWorkflowTemplate")


@pytest.mark.parametrize(
    ("rebase", "message"),
    [
        ({"schedule": "every day"}, r"rebase\.schedule 'every day' is not a cron expression"),
        ({"tag": "a" * 104}, r"at most 103 characters"),
        ({"tag": "-x"}, r"rebase\.tag '-x' is not allowed"),
        ({"schedule": "@daily", "extra": 1}, r"extra"),
    ],
)
def test_bad_rebase_sections_name_the_field(rebase: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BuildConfig.from_dict({**BASE, "rebase": rebase})


def test_trust_boundary_only_the_rebaser_side_has_the_credential_and_no_app_code_runs() -> None:
    m = to_manifest(rebase_template(config(deploy=DEPLOY)))
    spec = m["spec"]
    assert spec["automountServiceAccountToken"] is False
    rebase_t = templates(m)["rebase"]
    containers = {c["name"]: c for c in rebase_t["containerSet"]["containers"]}
    assert set(containers) == {"inspect", "main"}
    for c in containers.values():
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert env["DOCKER_CONFIG"] == "/var/run/secrets/argo-buildpacks/registry"
        # No app code: no lifecycle phase that runs buildpacks' detect or build.
        assert c["command"][-1] in {"inspect", "rebase"}
        script = c["command"][2]
        for phase in ("detector", "/builder", "creator"):
            assert f"$LIFECYCLE{phase}" not in script and f"$LIFECYCLE/{phase}" not in script
        # The image, builder and Secret are literal: a run can choose only the tag.
        assert env["IMAGE"] == "ghcr.io/acme/app"
    assert "$LIFECYCLE/rebaser" in containers["main"]["command"][2]
    secret = {v["name"]: v for v in rebase_t["volumes"]}["registry-credentials"]
    assert secret["secret"]["secretName"] == "regcred"
    assert rebase_t["automountServiceAccountToken"] is False
    # Only the rebuild (creates a Workflow) and the deploy (patches one Deployment) hold a
    # token, each under its own narrow account.
    tokens = {t["name"] for t in spec["templates"] if t.get("automountServiceAccountToken")}
    assert tokens == {"rebuild", "deploy"}
    params = [p["name"] for p in spec["arguments"]["parameters"]]
    assert params == ["tag"]


def test_the_rebuild_account_may_start_the_apps_own_template_and_nothing_else() -> None:
    from argo_buildpacks.templates.rbac import rbac_objects

    docs = rbac_objects(config())
    role = next(d for d in docs if d["kind"] == "Role" and d["metadata"]["name"] == "app-rebase")
    assert role["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflows"],
            "verbs": ["create", "get", "list", "watch"],
        },
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtemplates"],
            "resourceNames": ["app"],
            "verbs": ["get"],
        },
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        },
    ]
    binding = next(
        d for d in docs if d["kind"] == "RoleBinding" and d["metadata"]["name"] == "app-rebase"
    )
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "app-rebase", "namespace": "argo"}
    ]
    # No rebase section: no such account.
    plain = BuildConfig.model_validate({k: v for k, v in BASE.items() if k != "rebase"})
    assert not [d for d in rbac_objects(plain) if "rebase" in d["metadata"]["name"]]


SIGN = {"cosign_key_secret": "cosign-key"}


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_with_sign_and_deploy_the_new_digest_is_signed_before_it_is_deployed() -> None:
    m = to_manifest(rebase_template(config(deploy=DEPLOY, sign=SIGN, sbom=True)))
    groups = templates(m)["main"]["steps"]
    # Step groups run one after the other (Argo's steps template): sign's group precedes
    # deploy's, and both run only for a rebase (a rebuild signs and deploys itself).
    assert [[s["name"] for s in g] for g in groups] == [
        ["rebase"],
        ["rebuild"],
        ["sign"],
        ["deploy"],
    ]
    action = "{{steps.rebase.outputs.parameters.action}}"
    assert groups[2][0]["when"] == groups[3][0]["when"] == f"{action} == rebased"
    sign = templates(m)["sign"]
    env = _env(sign["container"])
    # What is signed is the rebase's own global outputs (the digest the rebaser reported,
    # the tag it moved): never an input, and the same digest the deploy rolls out.
    assert env["DIGEST"] == "{{workflow.outputs.parameters.digest}}"
    assert env["BUILT"] == "{{workflow.outputs.parameters.image}}"
    assert "{{workflow.outputs.parameters.digest}}" in str(templates(m)["deploy"])
    assert "inputs" not in sign and "SBOM_DIR" not in env  # the rebaser makes no SBOM
    outputs = {p["name"]: p for p in templates(m)["rebase"]["outputs"]["parameters"]}
    assert outputs["digest"]["globalName"] == "digest"
    assert outputs["image"]["globalName"] == "image"
    assert [f for f in lint([m]) if f.severity == "error"] == []


def test_with_sign_the_rebase_verifies_with_the_public_key_only() -> None:
    m = to_manifest(rebase_template(config(sign=SIGN)))
    rebase = templates(m)["rebase"]
    nodes = {c["name"]: c for c in rebase["containerSet"]["containers"]}
    assert list(nodes) == ["verify", "inspect", "main"]
    assert nodes["inspect"]["dependencies"] == ["verify"]
    assert nodes["main"]["dependencies"] == ["inspect"]
    assert _env(nodes["inspect"])["VERIFIED"] == "true"
    verify = nodes["verify"]
    assert verify["command"][-2:] == ["rebase", "verify"]
    volumes = {v["name"]: v for v in rebase["volumes"]}
    mounted = {m["name"] for m in verify["volumeMounts"]}
    secret = volumes["cosign-public-key"]["secret"]
    assert secret["secretName"] == "cosign-key"
    assert secret["items"] == [{"key": "cosign.pub", "path": "cosign.pub"}]
    # The private key and its password are mounted nowhere in the rebase pod.
    assert "cosign.key" not in str(rebase) and "cosign.password" not in str(rebase)
    assert mounted == {"out", REGISTRY_SECRET_VOLUME, "cosign-public-key"}
    assert _env(verify)["COSIGN_PUBLIC_KEY"].endswith("/cosign.pub")
    # Without sign there is nothing to verify against.
    plain = templates(to_manifest(rebase_template(config())))["rebase"]
    assert [c["name"] for c in plain["containerSet"]["containers"]] == ["inspect", "main"]
