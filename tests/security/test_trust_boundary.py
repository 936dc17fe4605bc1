"""The trust boundary, attacked as each untrusted party would (docs/security.md).

Three parties: the platform (writes configs, installs templates), the submitter of a run (may
submit from the Argo UI, ``argo submit --from``, a Sensor: not trusted with Secrets) and the
app's own code (run by buildpacks' detect and build: not trusted at all). These tests check the
rendered templates, in every layout and kind and in library mode, for what each party can
reach; the scripts' own refusals are attacked in test_clone_script, test_build_script,
test_library and test_hostile_values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, ConfigError, to_manifest, workflow_for, workflow_template
from argo_buildpacks.linting._podchecks import template_pods
from argo_buildpacks.linting._privileged import privileged_issues
from argo_buildpacks.templates.app import app_template
from argo_buildpacks.templates.library import (
    GIT_SECRET,
    REGISTRY_SECRET,
    library_template,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
LIBRARY_APP = BuildConfig.from_file(ROOT / "examples" / "library-app.yaml")
#: The example with its SBOMs kept and its digest signed (the cosign key: a Secret of its own).
SIGNED = EXAMPLE.model_copy(update={"sbom": True, "sign": {"cosign_key_secret": "cosign-key"}})
LIBRARY = library_template(registries=["registry.example.com:5000/acme"], git_hosts=["github.com"])

#: Containers that run the app's code (buildpacks' bin/detect and bin/build).
APP_CODE = {"detect", "build"}
#: What would hand out a credential if a container had it.
CREDENTIAL_ENV = {"DOCKER_CONFIG", "GIT_TOKEN_FILE", "SSH_KEY_FILE", "CNB_REGISTRY_AUTH"}


def manifests() -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(label, template manifest, the manifests its templates live in) for every shape."""
    found = []
    for layout in ("single-pod", "steps"):
        for kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
            m = to_manifest(workflow_template(EXAMPLE, layout=layout, kind=kind))
            found.append((f"{layout}/{kind}", m, [m]))
            signed = to_manifest(workflow_template(SIGNED, layout=layout, kind=kind))
            found.append((f"signed/{layout}/{kind}", signed, [signed]))
        app = to_manifest(app_template(LIBRARY_APP.model_copy(update={"layout": layout}), LIBRARY))
        found.append((f"library/{layout}", app, [app, to_manifest(LIBRARY)]))
    return found


SHAPES = manifests()


def containers(templates: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(template, container) for every container of every template, with the containerSet's
    own volumeMounts added to each of its containers, as Argo does."""
    found = []
    for t in templates:
        if "container" in t:
            found.append((t, {"name": t["name"], **t["container"]}))
        for c in t.get("containerSet", {}).get("containers", []):
            shared = t["containerSet"].get("volumeMounts", [])
            found.append((t, {**c, "volumeMounts": [*c.get("volumeMounts", []), *shared]}))
    return found


def all_templates(manifest_set: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for m in manifest_set for t in m["spec"]["templates"]]


def secret_volumes(template: dict[str, Any]) -> set[str]:
    return {v["name"] for v in template.get("volumes", []) if "secret" in v}


@pytest.mark.parametrize(("label", "manifest", "manifest_set"), SHAPES, ids=[s[0] for s in SHAPES])
def test_app_code_containers_hold_no_credential(
    label: str, manifest: dict[str, Any], manifest_set: list[dict[str, Any]]
) -> None:
    seen = set()
    for template, c in containers(all_templates(manifest_set)):
        if c["name"] not in APP_CODE:
            continue
        seen.add(c["name"])
        mounted = {m["name"] for m in c.get("volumeMounts", [])}
        assert not mounted & secret_volumes(template), (label, c["name"])
        assert not {e["name"] for e in c.get("env", [])} & CREDENTIAL_ENV, (label, c["name"])
        # Nor can it write the provenance: the 'out' volume is not mounted.
        assert "out" not in mounted, (label, c["name"])
        assert "envFrom" not in c
    assert seen == APP_CODE, label


@pytest.mark.parametrize(("label", "manifest", "manifest_set"), SHAPES, ids=[s[0] for s in SHAPES])
def test_credentials_reach_only_the_containers_that_need_them(
    label: str, manifest: dict[str, Any], manifest_set: list[dict[str, Any]]
) -> None:
    holders = {}
    for template, c in containers(all_templates(manifest_set)):
        mounted = {m["name"] for m in c.get("volumeMounts", [])} & secret_volumes(template)
        if mounted:
            holders[c["name"]] = mounted
    registry = {"registry-credentials"}
    assert holders.pop("git-clone") == {"git-credentials"}
    # The signer (its own pod after the push, no app code) alone holds the cosign key.
    if label.startswith("signed/"):
        assert holders.pop("sign") == {*registry, "cosign-key"}, label
    # The export is 'main' in a containerSet, 'export' (the library's 'buildpacks-export')
    # as a pod of its own.
    # The provenance step (its own pod after the push, no app code) reads the registry.
    assert holders.pop("provenance") == registry, label
    exports = [holders.pop(n) for n in ("main", "export", "buildpacks-export") if n in holders]
    assert exports and all(e == registry for e in exports), label
    assert holders == {"analyze": registry, "restore": registry}, label


@pytest.mark.parametrize(("label", "manifest", "manifest_set"), SHAPES, ids=[s[0] for s in SHAPES])
def test_no_service_account_token_and_a_restricted_executor(
    label: str, manifest: dict[str, Any], manifest_set: list[dict[str, Any]]
) -> None:
    spec = manifest["spec"]
    assert spec["automountServiceAccountToken"] is False
    # The app's own executor account, never "default" (which every pod of the namespace
    # may automount): the Role that may write WorkflowTaskResults is bound to it alone.
    assert spec["executor"] == {"serviceAccountName": f"{manifest['metadata']['name']}-executor"}
    # Argo's own containers are restricted in every pod Argo builds from the set (each pod
    # template's patch merged as Argo merges it: workflowpod.go), and no patch names a
    # container its pod lacks (which would add one without an image).
    assert "podSpecPatch" not in spec  # workflow-wide it would reach the resource pods too
    pods = [
        (path, pod)
        for m in manifest_set
        if m.get("kind") in ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate")
        for path, pod in template_pods(m)
    ]
    assert pods, label
    for path, pod in pods:
        assert pod.added == [], (label, path)
        pod_sc = pod.spec.get("securityContext") or {}
        for name in pod.executor_names:
            sc = (pod.container(name) or {}).get("securityContext") or {}
            assert sc.get("allowPrivilegeEscalation") is False, (label, path, name)
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], (label, path, name)
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, (label, path)
            seccomp = sc.get("seccompProfile") or pod_sc.get("seccompProfile")
            assert seccomp == {"type": "RuntimeDefault"}, (label, path, name)
    # The whole set passes the apply gate: nothing privileged, no host path, no root.
    for m in manifest_set:
        assert privileged_issues(m) == [], label


@pytest.mark.parametrize(("label", "manifest", "manifest_set"), SHAPES, ids=[s[0] for s in SHAPES])
def test_secret_names_and_destinations_are_literal(
    label: str, manifest: dict[str, Any], manifest_set: list[dict[str, Any]]
) -> None:
    for t in all_templates(manifest_set):
        for v in t.get("volumes", []):
            if "secret" in v:
                assert "{{" not in v["secret"]["secretName"], (label, t["name"])
        for _, c in containers([t]):
            env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
            for key in ("AUTH_URL", "GIT_HOSTS", "IMAGE_PREFIXES", "DOCKER_CONFIG"):
                assert "{{" not in env.get(key, ""), (label, c["name"], key)
            # The repository and image are what was installed, never a run's choice.
            for key in ("REPO", "IMAGE"):
                if label.startswith("library"):
                    continue  # the library's inputs; its scripts hold them to git_hosts/registries
                assert "{{" not in env.get(key, ""), (label, c["name"], key)
    params = {p["name"]: p for p in manifest["spec"]["arguments"]["parameters"]}
    assert params["repo"]["enum"] == [params["repo"]["value"]]
    assert params["image"]["enum"] == [params["image"]["value"]]


def test_overridable_parameters_are_the_only_free_ones() -> None:
    free = EXAMPLE.model_copy(update={"overridable": ["image"]})
    m = to_manifest(workflow_template(free))
    params = {p["name"]: p for p in m["spec"]["arguments"]["parameters"]}
    assert "enum" not in params["image"]
    assert params["repo"]["enum"] == ["https://github.com/acme/my-python-app.git"]
    env = {
        e["name"]: e["value"]
        for c in m["spec"]["templates"][1]["containerSet"]["containers"]
        for e in c.get("env", [])
    }
    assert env["IMAGE"] == "{{inputs.parameters.image}}"
    assert env["REPO"] == "https://github.com/acme/my-python-app.git"
    # The token is still for the configured repository only.
    assert env["AUTH_URL"] == "https://github.com/acme/my-python-app.git"


def test_python_applies_the_same_rules_to_a_run() -> None:
    fixed = workflow_template(EXAMPLE)
    with pytest.raises(ConfigError, match="'repo' of template 'my-python-app' is fixed"):
        workflow_for(fixed, tag="1.0.0", parameters={"repo": "https://evil.test/x.git"})
    with pytest.raises(ConfigError, match="pull/merge-request ref"):
        workflow_for(fixed, tag="1.0.0", revision="refs/merge-requests/3/head")
    allowed = BuildConfig.from_dict(
        {
            **EXAMPLE.model_dump(mode="json"),
            "source": {**EXAMPLE.source.model_dump(mode="json"), "allow_pull_requests": True},
        }
    )
    run = to_manifest(
        workflow_for(workflow_template(allowed), tag="1.0.0", revision="refs/pull/7/head")
    )
    assert {"name": "revision", "value": "refs/pull/7/head"} in run["spec"]["arguments"][
        "parameters"
    ]
    # The in-cluster clone gets the same policy, literally.
    env = {
        e["name"]: e["value"]
        for c in to_manifest(workflow_template(allowed))["spec"]["templates"][1]["containerSet"][
            "containers"
        ]
        for e in c.get("env", [])
    }
    assert env["ALLOW_PULL_REQUESTS"] == "true"
    assert env["ALLOW_ANY_SHA"] == "false"


def test_library_secrets_are_the_namespace_conventions() -> None:
    lib = to_manifest(LIBRARY)
    names = {
        v["secret"]["secretName"]
        for t in lib["spec"]["templates"]
        for v in t.get("volumes", [])
        if "secret" in v
    }
    assert names == {GIT_SECRET, REGISTRY_SECRET}


def test_the_executor_role_goes_to_the_one_account_with_a_token() -> None:
    from argo_buildpacks.templates.rbac import rbac_objects

    config = EXAMPLE.model_copy(
        update={"service_account": "builds", "executor_service_account": "builds-executor"}
    )
    spec = to_manifest(workflow_template(config))["spec"]
    assert spec["executor"] == {"serviceAccountName": "builds-executor"}
    objects = rbac_objects(config)
    binding = next(
        o
        for o in objects
        if o["kind"] == "RoleBinding" and o["roleRef"]["name"].endswith("-executor")
    )
    assert [s["name"] for s in binding["subjects"]] == ["builds-executor"]
    accounts = {o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"}
    assert {"builds", "builds-executor"} <= accounts


def test_lint_points_at_the_controller_when_the_executor_is_left_to_it() -> None:
    from argo_buildpacks.linting._lint import lint

    patched = to_manifest(workflow_template(EXAMPLE))
    assert lint(patched, restricted=True) == []
    left = to_manifest(
        workflow_template(EXAMPLE.model_copy(update={"executor_security": "controller"}))
    )
    assert "podSpecPatch" not in left["spec"]
    (finding,) = lint(left, restricted=True)
    assert (finding.path, finding.severity) == ("spec.podSpecPatch", "warning")
    assert "workflow-controller-configmap sets executor.securityContext" in finding.message
    # A patch that restricts only one of the two is not enough: each pod template's patch
    # cut down to its wait container leaves init unrestricted in the pods Argo builds.
    half = json.loads(json.dumps(patched))
    for t in half["spec"]["templates"]:
        if "podSpecPatch" in t:
            t["podSpecPatch"] = json.dumps(
                {"containers": json.loads(t["podSpecPatch"])["containers"]}
            )
    (finding,) = lint(half, restricted=True)
    assert finding.path == "spec.podSpecPatch"
    assert "build/init" in finding.message


def test_tag_check_has_a_cpu_limit_and_the_git_image_has_the_submodule_fix() -> None:
    from argo_buildpacks.model.config import Images

    m = to_manifest(workflow_template(EXAMPLE))
    nodes = {c["name"]: c for c in m["spec"]["templates"][1]["containerSet"]["containers"]}
    assert nodes["tag-check"]["resources"]["limits"]["cpu"] == "200m"
    # CVE-2025-48384 (submodule paths ending in a carriage return) is fixed in git 2.43.7,
    # 2.44.4, 2.45.4, 2.46.4, 2.47.3, 2.48.2, 2.49.1 and later.
    tag = Images().git.tag or ""
    major, minor, patch = (int(x) for x in tag.removeprefix("v").split("."))
    fixed = {43: 7, 44: 4, 45: 4, 46: 4, 47: 3, 48: 2, 49: 1}
    assert (major, minor) > (2, 49) or patch >= fixed[minor], tag
    assert nodes["git-clone"]["image"] == str(Images().git)
