"""workflow_template / workflow_for / render: the generated workflow's contract."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hera.workflows import ClusterWorkflowTemplate, WorkflowTemplate

from argo_buildpacks import (
    BuildConfig,
    ConfigError,
    TagError,
    render,
    to_manifest,
    workflow_for,
    workflow_template,
)
from argo_buildpacks.components.deploy import DEPLOY_UID
from argo_buildpacks.linting._lint import lint
from tests.support.packaged import packaged

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
LAYOUTS = ("single-pod", "steps")
MODES = ("daemonless", "pack-dind", "pack-socket")
KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
POD_KINDS = ("container", "containerSet", "script", "resource")


def config_for(mode: str, **over: Any) -> BuildConfig:
    data = EXAMPLE.model_dump(mode="json")
    if mode != "daemonless":
        data["creation_time"] = "now"  # pack cannot read the commit date in one pod
    data.update(over)
    return BuildConfig.from_dict(data)


def manifest(config: BuildConfig = EXAMPLE, **options: Any) -> dict[str, Any]:
    return to_manifest(workflow_template(config, **options))


def templates(m: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in m["spec"]["templates"]}


def all_containers(m: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in m["spec"]["templates"]:
        if "container" in t:
            out.append(t["container"])
        out += t.get("containerSet", {}).get("containers", [])
        out += t.get("sidecars", []) + t.get("initContainers", [])
    return out


# Every layout, mode and kind. (layout "steps" with a pack mode once mounted the workflow's
# claim per container, which Argo's pod builder leaves out of a containerSet pod; lint finds
# that class of mistake, and these combinations prove the generator no longer makes it.)
COMBOS = list(itertools.product(LAYOUTS, MODES, KINDS))


def no_errors_and_only_privilege_warnings(m: dict[str, Any], mode: str) -> None:
    """lint finds no error; a privileged mode gets the warnings lint always gives root on
    the node, and daemonless gets nothing at all."""
    findings = lint(m)
    assert [f for f in findings if f.severity == "error"] == []
    if mode == "daemonless":
        assert findings == []
    else:
        assert findings
        assert all("restricted=True" in f.message for f in findings)


@pytest.mark.parametrize(("layout", "mode", "kind"), COMBOS)
def test_every_combination_renders_lints_and_round_trips(layout: Any, mode: Any, kind: Any) -> None:
    wt = workflow_template(
        config_for(mode),
        layout=layout,
        mode=mode,
        kind=kind,
        allow_privileged=True,
    )
    assert isinstance(
        wt, ClusterWorkflowTemplate if kind == "ClusterWorkflowTemplate" else WorkflowTemplate
    )
    m = to_manifest(wt)
    assert m["kind"] == kind
    no_errors_and_only_privilege_warnings(m, mode)
    cls = type(wt)
    assert to_manifest(cls.from_dict(m)) == m
    text = render(wt)
    assert yaml.safe_load(text) == m
    assert ("namespace" in m["metadata"]) == (kind == "WorkflowTemplate")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_contract_parameters_and_outputs(layout: str) -> None:
    m = manifest(layout=layout)
    assert m["metadata"]["name"] == "my-python-app"
    assert m["spec"]["entrypoint"] == "main"
    params = {p["name"]: p for p in m["spec"]["arguments"]["parameters"]}
    assert list(params) == ["tag", "revision", "repo", "image", "expected-commit"]
    assert "value" not in params["tag"]  # a run must supply a tag
    assert params["expected-commit"]["value"] == ""  # a Sensor sets the pushed SHA
    assert params["revision"]["value"] == "main"
    assert params["repo"]["value"] == "https://github.com/acme/my-python-app.git"
    assert params["image"]["value"] == "registry.example.com:5000/acme/my-python-app"
    globals_ = {
        p["globalName"]
        for t in m["spec"]["templates"]
        for p in t.get("outputs", {}).get("parameters", [])
        if "globalName" in p
    }
    assert globals_ == {"image", "digest", "tags", "commit"}


def test_from_git_allows_empty_tag_and_derives_it_after_clone() -> None:
    cfg = config_for("daemonless", tag={"from_git": True})
    for layout in LAYOUTS:
        m = manifest(cfg, layout=layout)
        params = {p["name"]: p for p in m["spec"]["arguments"]["parameters"]}
        assert params["tag"]["value"] == ""
        assert lint(m) == []
    build = templates(manifest(cfg))["build"]["containerSet"]["containers"]
    # One pod: `version` is its tag check (docs/security.md, "One tag check in a release pod").
    assert [c["name"] for c in build] == [
        "git-clone", "version", "analyze", "detect", "restore", "build", "main"
    ]  # fmt: skip
    clone_env = {e["name"]: e["value"] for e in build[0]["env"]}
    assert clone_env["DESCRIBE"] == "true"


def test_single_pod_is_one_pod_without_pvc_and_checks_tag_first() -> None:
    m = manifest()
    pods = [t for t in m["spec"]["templates"] if any(k in t for k in POD_KINDS)]
    # The build is one pod; the provenance step after it reads the registry (no workspace).
    assert [t["name"] for t in pods] == ["build", "provenance"]
    pods = pods[:1]
    assert "volumeClaimTemplates" not in m["spec"]
    assert all("persistentVolumeClaim" not in v for v in pods[0].get("volumes", []))
    assert {"name": "workspace", "emptyDir": {}} in pods[0]["volumes"]
    nodes = {c["name"]: c for c in pods[0]["containerSet"]["containers"]}
    order = ["tag-check", "git-clone", "analyze", "detect", "restore", "build", "main"]
    assert list(nodes) == order
    assert "dependencies" not in nodes["tag-check"]
    for before, after in itertools.pairwise(order):
        assert nodes[after]["dependencies"] == [before]
    # No in-pod retries: argoexec would re-run a refused tag too; the scripts retry instead.
    assert "retryStrategy" not in pods[0]["containerSet"]


def test_steps_layout_one_pod_per_step_on_a_claim() -> None:
    m = manifest(layout="steps")
    steps = templates(m)["main"]["steps"]
    assert [group[0]["name"] for group in steps] == [
        "tag-check", "git-clone", "build", "export", "provenance"
    ]  # fmt: skip
    assert m["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "workspace"
    pods = [t for t in m["spec"]["templates"] if any(k in t for k in POD_KINDS)]
    assert len(pods) == 5
    # The push is retried; the export pod takes tags and commit date from the steps that
    # made them, never from the claim the app's code could write.
    assert templates(m)["export"]["retryStrategy"]["limit"] == 2
    export_args = {p["name"]: p["value"] for p in steps[3][0]["arguments"]["parameters"]}
    assert export_args == {
        "tags": "{{steps.tag-check.outputs.parameters.tags}}",
        "commit": "{{steps.git-clone.outputs.parameters.commit}}",
        "commit-epoch": "{{steps.git-clone.outputs.parameters.commit-epoch}}",
    }
    # Argo adds the claim to a containerSet pod only through containerSet.volumeMounts.
    build = templates(m)["build"]["containerSet"]
    assert build["volumeMounts"] == [{"name": "workspace", "mountPath": "/workspace"}]
    assert all(
        "/workspace" not in [vm["mountPath"] for vm in c.get("volumeMounts", [])]
        for c in build["containers"]
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_daemonless_meets_restricted_pod_security(layout: str) -> None:
    m = manifest(layout=layout)
    pod = m["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 1001 and pod["fsGroup"] == 1000
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    for c in all_containers(m):
        sc = c["securityContext"]
        assert sc.get("privileged") is not True
        # The provenance step runs crane, not the builder: the deploy steps' non-root uid.
        uid, gid = (DEPLOY_UID, DEPLOY_UID) if "crane" in c["image"] else (1001, 1000)
        assert sc["runAsUser"] == uid and sc["runAsGroup"] == gid and sc["runAsNonRoot"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert c["command"], "every container sets command (emissary never looks it up)"
    for t in m["spec"]["templates"]:
        assert all("hostPath" not in v for v in t.get("volumes", []))


def test_secrets_only_by_reference() -> None:
    m = manifest()
    build = templates(m)["build"]
    secrets = {v["name"]: v["secret"] for v in build["volumes"] if "secret" in v}
    assert secrets["git-credentials"]["secretName"] == "git-token"
    assert secrets["registry-credentials"]["items"] == [
        {"key": ".dockerconfigjson", "path": "config.json"}
    ]
    env = {e["name"]: e.get("value") for c in all_containers(m) for e in c.get("env", [])}
    assert env["DOCKER_CONFIG"] == "/var/run/secrets/argo-buildpacks/registry"
    # The token is for the configured repository only, not the host.
    assert env["AUTH_URL"] == "https://github.com/acme/my-python-app.git"


def test_no_user_value_in_script_text() -> None:
    hostile = "$(touch /tmp/pwned)"
    cfg = config_for("daemonless", env={"EVIL": hostile, "BP_X": "`id`"})
    m = manifest(cfg)
    scripts = packaged(("tag_check.sh", "git_clone.sh", "buildpacks_build.sh"))
    for c in all_containers(m):
        cmd = c["command"]
        if cmd[:2] == ["/bin/sh", "-c"]:
            assert cmd[2] in scripts
            assert "{{" not in cmd[2]
    analyze = templates(m)["build"]["containerSet"]["containers"][2]
    assert analyze["name"] == "analyze"
    assert analyze["args"] == ["BP_X", "`id`", "EVIL", hostile]


def test_production_defaults() -> None:
    spec = manifest()["spec"]
    assert spec["activeDeadlineSeconds"] == 3600
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}
    assert spec["ttlStrategy"] == {"secondsAfterSuccess": 86400, "secondsAfterFailure": 604800}
    assert spec["synchronization"] == {
        "mutexes": [{"name": "argo-buildpacks-registry-example-com-5000-acme-my-python-app"}]
    }


def test_pod_settings_from_config() -> None:
    cfg = config_for(
        "daemonless",
        service_account="builder",
        node_selector={"pool": "builds"},
        tolerations=[{"key": "builds", "operator": "Exists", "effect": "NoSchedule"}],
        mutex=False,
        retries={"push": 0},
        resources={"build": {"requests": {"cpu": "2"}, "limits": {"memory": "8Gi"}}},
    )
    m = manifest(cfg)
    spec = m["spec"]
    assert spec["serviceAccountName"] == "builder"
    assert spec["nodeSelector"] == {"pool": "builds"}
    assert spec["tolerations"] == [{"key": "builds", "operator": "Exists", "effect": "NoSchedule"}]
    assert "synchronization" not in spec
    build = templates(m)["build"]
    assert "retryStrategy" not in build["containerSet"]
    assert build["containerSet"]["containers"][-1]["resources"] == {
        "requests": {"cpu": "2", "memory": "2Gi"},  # merged over the defaults per key
        "limits": {"memory": "8Gi"},
    }


@pytest.mark.parametrize("mode", ["pack-dind", "pack-socket"])
def test_privileged_modes_refused_unless_allowed(mode: str) -> None:
    with pytest.raises(ConfigError, match="allow_privileged=True"):
        workflow_template(config_for(mode), mode=mode)  # type: ignore[arg-type]
    m = manifest(config_for(mode), mode=mode, allow_privileged=True)
    containers = all_containers(m)
    # pack never treats the builder as trusted: it would run the lifecycle's creator, app
    # code and registry credential in one container. It trusts its suggested builders by
    # their short names only, and reads trusted builders from an (empty) PACK_HOME.
    pack = next(c for c in containers if c["name"] == "pack")
    assert "--trust-builder" not in pack["args"]
    builder = pack["args"][pack["args"].index("--builder") + 1]
    assert builder == "docker.io/paketobuildpacks/builder-jammy-base:0.4.642"
    assert {"name": "PACK_HOME", "value": "/workspace/my-python-app/.pack"} in pack["env"]
    if mode == "pack-dind":
        dind = next(c for c in containers if c["name"] == "dind")
        assert dind["securityContext"] == {"privileged": True}
        assert "--host=tcp://127.0.0.1:2375" in dind["args"]
    else:
        vols = [v for t in m["spec"]["templates"] for v in t.get("volumes", [])]
        assert {
            "name": "docker-sock",
            "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"},
        } in vols


def test_pack_single_pod_commit_time_explains_itself() -> None:
    cfg = BuildConfig.from_dict({**EXAMPLE.model_dump(mode="json"), "mode": "pack-dind"})
    with pytest.raises(ConfigError, match="only layout 'steps' can pass"):
        workflow_template(cfg, allow_privileged=True)
    m = manifest(cfg, layout="steps", allow_privileged=True)
    build_step = templates(m)["main"]["steps"][-2][0]
    args = {p["name"]: p["value"] for p in build_step["arguments"]["parameters"]}
    assert args["commit-epoch"] == "{{steps.git-clone.outputs.parameters.commit-epoch}}"
    # The pack containerSet mounts the claim through containerSet.volumeMounts: Argo adds it.
    assert [f for f in lint(m) if f.severity == "error"] == []
    assert templates(m)["build"]["containerSet"]["volumeMounts"] == [
        {"name": "workspace", "mountPath": "/workspace"}
    ]


@pytest.mark.parametrize(
    ("option", "value"), [("layout", "pods"), ("mode", "docker"), ("kind", "CronWorkflow")]
)
def test_bad_options(option: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{option} '{value}' is not allowed"):
        workflow_template(EXAMPLE, **{option: value})  # type: ignore[arg-type]


def test_workflow_for_validates_tag_and_references_template() -> None:
    fixed = workflow_template(EXAMPLE)
    with pytest.raises(ConfigError, match="'image' of template 'my-python-app' is fixed to"):
        workflow_for(fixed, tag="1.0.0", parameters={"image": "ghcr.io/a/b"})
    with pytest.raises(ConfigError, match="pull/merge-request ref"):
        workflow_for(fixed, tag="1.0.0", revision="refs/pull/7/head")
    with pytest.raises(ConfigError, match=r"is not a branch .* or a tag"):
        workflow_for(fixed, tag="1.0.0", revision="refs/notes/commits")
    # The same value as installed is fine.
    workflow_for(fixed, tag="1.0.0", parameters={"image": str(EXAMPLE.image)})
    wt = workflow_template(EXAMPLE.model_copy(update={"overridable": ["image"]}))
    wf = to_manifest(
        workflow_for(wt, tag="v1.4.2", revision="release-1.4", parameters={"image": "ghcr.io/a/b"})
    )
    assert wf["kind"] == "Workflow"
    assert wf["metadata"]["generateName"] == "my-python-app-"
    assert wf["spec"]["workflowTemplateRef"] == {"name": "my-python-app"}
    assert wf["spec"]["arguments"]["parameters"] == [
        {"name": "tag", "value": "1.4.2"},
        {"name": "revision", "value": "release-1.4"},
        {"name": "image", "value": "ghcr.io/a/b"},
    ]
    assert lint([to_manifest(wt), wf]) == []
    with pytest.raises(TagError, match="leading zero"):
        workflow_for(wt, tag="1.04.2")
    with pytest.raises(TagError, match="needs a tag"):
        workflow_for(wt, tag=None)
    with pytest.raises(ConfigError, match="not declared"):
        workflow_for(wt, tag="1.0.0", parameters={"colour": "blue"})
    with pytest.raises(ConfigError, match="not a valid git branch"):
        workflow_for(wt, tag="1.0.0", revision="a b")


def test_workflow_for_cluster_template() -> None:
    cwt = workflow_template(EXAMPLE, kind="ClusterWorkflowTemplate")
    wf = to_manifest(workflow_for(cwt, tag="1.0.0"))
    assert wf["spec"]["workflowTemplateRef"] == {"name": "my-python-app", "clusterScope": True}
    by_name = to_manifest(workflow_for("other", tag="1.0.0", cluster_scope=True, namespace="ci"))
    assert by_name["metadata"]["namespace"] == "ci"


def test_render_is_stable_and_multi_document() -> None:
    wt = workflow_template(EXAMPLE)
    first = render([wt, workflow_for(wt, tag="1.0.0")])
    assert first == render([workflow_template(EXAMPLE), workflow_for(wt, tag="1.0.0")])
    docs = list(yaml.safe_load_all(first))
    assert [d["kind"] for d in docs] == ["WorkflowTemplate", "Workflow"]
    assert first.startswith("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:")
    assert (
        "command:\n        - /bin/sh\n        - -c\n        - |" in first
    )  # scripts as literal blocks
    with pytest.raises(ConfigError, match="cannot render int"):
        render(3)
