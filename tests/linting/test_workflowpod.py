"""The pod model (`argo_buildpacks.linting._workflowpod`) against the expectations of Argo's
own tests of pod construction (``workflow/controller/workflowpod_test.go``, v4.1.2; the test
named in each case), and the podSpecPatch rules it enforces on the generated templates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from argo_buildpacks import to_manifest
from argo_buildpacks.components._pod import executor_patch
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.linting._podchecks import output_writers, pod_issues, template_pods
from argo_buildpacks.linting._workflowpod import MAX_ENV_VALUE, Controller, Pod, construct_pod
from argo_buildpacks.templates.fleets import fleet
from argo_buildpacks.templates.pipeline import workflow_template
from argo_buildpacks.templates.rebase import rebase_template
from tests.templates.test_rebase import config

VERSIONS = [(3, 6), (3, 7), (4, 0), (4, 1)]
WHALESAY: dict[str, Any] = {
    "name": "whalesay",
    "container": {"image": "docker/whalesay", "command": ["cowsay"]},
}


def spec(*templates: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"entrypoint": templates[0]["name"], "templates": list(templates), **extra}


def names(items: Any) -> list[str]:
    return [i["name"] for i in items]


def mounts(pod: Pod, container: str) -> list[str]:
    return names((pod.container(container) or {}).get("volumeMounts", []))


@pytest.mark.parametrize("version", VERSIONS)
def test_volumes_and_mounts_as_argo_builds_them(version: tuple[int, int]) -> None:
    """TestVolumeAndVolumeMounts (Emissary)."""
    tmpl = {**WHALESAY, "container": {**WHALESAY["container"], "volumeMounts": [
        {"name": "volume-name", "mountPath": "/test"}]}}  # fmt: skip
    wf = spec(tmpl, volumes=[{"name": "volume-name", "emptyDir": {}}])
    pod = construct_pod(tmpl, wf, argo_version=version)
    assert names(pod.spec["volumes"]) == ["var-run-argo", "tmp-dir-argo", "volume-name"]
    assert names(pod.spec["initContainers"]) == ["init"]
    assert mounts(pod, "init") == ["var-run-argo"]
    assert names(pod.spec["containers"]) == ["wait", "main"]
    assert mounts(pod, "wait") == ["volume-name", "tmp-dir-argo", "var-run-argo"]
    wait = pod.spec["containers"][0]
    assert wait["volumeMounts"][0]["mountPath"] == "/mainctrfs/test"
    main = pod.spec["containers"][1]
    assert main["command"][:2] == ["/var/run/argo/argoexec", "emissary"]
    assert main["command"][-2:] == ["--", "cowsay"]
    assert mounts(pod, "main") == ["volume-name", "var-run-argo"]


def test_the_executor_account_token_reaches_argos_containers_only() -> None:
    """TestWFLevelExecutorServiceAccountName, TestTmplLevelExecutorServiceAccountName."""
    wf = spec(WHALESAY, executor={"serviceAccountName": "foo"})
    pod = construct_pod(WHALESAY, wf)
    assert pod.spec["volumes"][2] == {
        "name": "exec-sa-token",
        "secret": {"secretName": "foo.service-account-token"},
    }
    token = "/var/run/secrets/kubernetes.io/serviceaccount"
    for name in ("init", "wait"):
        assert {"name": "exec-sa-token", "mountPath": token, "readOnly": True} in (
            pod.container(name) or {}
        )["volumeMounts"]
    assert "exec-sa-token" not in mounts(pod, "main")
    tmpl = {**WHALESAY, "executor": {"serviceAccountName": "tmpl"}}
    assert construct_pod(tmpl, wf).spec["volumes"][2]["secret"]["secretName"] == (
        "tmpl.service-account-token"
    )


def test_automount_and_security_context_template_over_workflow() -> None:
    """TestWFLevelAutomountServiceAccountToken, TestTmplLevelAutomountServiceAccountToken,
    TestWFLevelSecurityContext, TestTmplLevelSecurityContext."""
    wf = spec(WHALESAY, automountServiceAccountToken=False, executor={"serviceAccountName": "f"})
    assert construct_pod(WHALESAY, wf).spec["automountServiceAccountToken"] is False
    wf["automountServiceAccountToken"] = True
    tmpl = {**WHALESAY, "automountServiceAccountToken": False, "securityContext": {"runAsUser": 2}}
    wf["securityContext"] = {"runAsUser": 1}
    pod = construct_pod(tmpl, wf)
    assert pod.spec["automountServiceAccountToken"] is False
    assert pod.spec["securityContext"] == {"runAsUser": 2}
    assert construct_pod(WHALESAY, wf).spec["securityContext"] == {"runAsUser": 1}
    # No executor account and tokens off: the controller refuses the pod (a Workflow's).
    bare = spec(WHALESAY, automountServiceAccountToken=False)
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "w"},
        "spec": bare,
    }
    pod = construct_pod(WHALESAY, bare)
    assert "no executor.serviceAccountName is set" in pod.account_error
    # The lint reports it once, from _runtime.py (which follows called templates too).
    (issue,) = [f for f in lint([doc]) if f.severity == "error"]
    assert "executor.serviceAccountName must not be empty" in issue.message


def test_a_container_is_main_whatever_its_name() -> None:
    """Test_createWorkflowPod_containerName."""
    tmpl = {"name": "t", "container": {"name": "invalid", "image": "x", "command": ["a"]}}
    assert names(construct_pod(tmpl, spec(tmpl)).spec["containers"]) == ["wait", "main"]


def test_init_containers_and_sidecars_mirror_mains_mounts() -> None:
    """TestInitContainers, TestSidecars."""
    tmpl = {
        **WHALESAY,
        "container": {**WHALESAY["container"], "volumeMounts": [{"name": "volume-name",
                                                                "mountPath": "/test"}]},
        "initContainers": [{"name": "init-foo", "mirrorVolumeMounts": True,
                            "volumeMounts": [{"name": "init-volume-name",
                                              "mountPath": "/init-test"}]}],
        "sidecars": [{"name": "side-foo", "image": "argosay", "mirrorVolumeMounts": True,
                      "volumeMounts": [{"name": "sidecar-volume-name",
                                        "mountPath": "/sidecar-test"}]}],
    }  # fmt: skip
    named = ("volume-name", "init-volume-name", "sidecar-volume-name")
    volumes: list[dict[str, Any]] = [{"name": n, "emptyDir": {}} for n in named]
    pod = construct_pod(tmpl, spec(tmpl, volumes=volumes))
    assert names(pod.spec["initContainers"]) == ["init", "init-foo"]
    assert mounts(pod, "init-foo") == ["init-volume-name", "volume-name", "var-run-argo"]
    assert names(pod.spec["containers"]) == ["wait", "main", "side-foo"]
    assert mounts(pod, "side-foo") == ["sidecar-volume-name", "volume-name", "var-run-argo"]
    for volume in volumes:
        assert volume in pod.spec["volumes"]


def test_pod_spec_patch_workflow_then_template() -> None:
    """TestPodSpecPatch (helloWorldWfWithTmplAndWFPatch): the template's patch merges over
    the workflow's; ``null`` deletes a key."""
    wf_patch = "containers:\n  - name: main\n    securityContext:\n      runAsNonRoot: true\n" \
        "      capabilities:\n        drop:\n          - ALL\n"  # fmt: skip
    tmpl = {
        **WHALESAY,
        "podSpecPatch": '{"containers":[{"name":"main", "securityContext":{"capabilities":'
        '{"add":["ALL"],"drop":null}}}]}',
    }
    pod = construct_pod(tmpl, spec(tmpl, podSpecPatch=wf_patch))
    main = pod.spec["containers"][1]
    assert main["securityContext"]["runAsNonRoot"] is True
    assert main["securityContext"]["capabilities"] == {"add": ["ALL"]}
    assert pod.patches == ["spec.podSpecPatch", "template podSpecPatch"]
    assert pod.added == []


def test_script_source_is_staged_on_argo_staging() -> None:
    tmpl = {"name": "s", "script": {"image": "alpine", "command": ["sh"], "source": "ls"}}
    pod = construct_pod(tmpl, spec(tmpl))
    assert "argo-staging" in names(pod.spec["volumes"])
    assert mounts(pod, "init")[:1] == ["argo-staging"]
    assert (pod.container("main") or {})["args"] == ["/argo/staging/script"]


RESOURCE: dict[str, Any] = {"name": "r", "resource": {"action": "create", "manifest": "{}"}}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_resource_pod_has_init_and_argoexec_main_and_no_wait(version: tuple[int, int]) -> None:
    pod = construct_pod(RESOURCE, spec(RESOURCE), argo_version=version)
    assert names(pod.spec["initContainers"]) == ["init"]
    assert names(pod.spec["containers"]) == ["main"]
    # Argo locks resource pods down itself (common.MinimalCtrSC), main's root fs read-only.
    assert (pod.container("init") or {})["securityContext"]["runAsUser"] == 8737
    assert "readOnlyRootFilesystem" not in (pod.container("init") or {})["securityContext"]
    assert (pod.container("main") or {})["securityContext"]["readOnlyRootFilesystem"] is True
    logs = construct_pod(
        RESOURCE, spec(RESOURCE), argo_version=version, controller=Controller(archive_logs=True)
    )
    # 3.7 and later: a wait container collects the log when the repository archives logs.
    expected = ["main"] if version == (3, 6) else ["wait", "main"]
    assert names(logs.spec["containers"]) == expected


def test_the_init_less_layout_of_4_1() -> None:
    pod = construct_pod(WHALESAY, spec(WHALESAY), controller=Controller(initless=True))
    assert pod.spec["initContainers"] == []
    assert names(pod.spec["containers"]) == ["supervisor", "main"]
    main = pod.spec["containers"][1]
    assert main["command"][0] == "/argo-bin/bin/argoexec"
    assert {"name": "ARGO_WAIT_FOR_READY", "value": "true"} in main["env"]
    assert "argoexec-bin" in names(pod.spec["volumes"])
    with pytest.raises(ValueError, match=r"from Argo 4\.1 on"):
        construct_pod(WHALESAY, spec(WHALESAY), argo_version=(4, 0), controller=Controller(True))


def test_a_patch_naming_an_absent_container_appends_one_without_an_image() -> None:
    tmpl = {**RESOURCE, "podSpecPatch": executor_patch()}
    pod = construct_pod(tmpl, spec(tmpl), argo_version=(3, 6))
    assert pod.added == ["containers/wait"]
    wait = pod.container("wait") or {}
    assert "image" not in wait
    doc = {"kind": "WorkflowTemplate", "metadata": {"name": "w"}, "spec": spec(tmpl)}
    (finding,) = [f for f in lint(doc, argo_version="3.6") if "no image" in f.message]
    assert finding.path == "spec.templates[0].podSpecPatch"
    assert finding.severity == "error"
    assert 'names containers "wait"' in finding.message
    assert "resource pod gets no wait container" in finding.message


def test_the_template_env_is_measured_and_offloaded_past_128_kib() -> None:
    big = {**WHALESAY, "container": {**WHALESAY["container"], "args": ["x" * MAX_ENV_VALUE]}}
    pod = construct_pod(big, spec(big))
    assert pod.template_env > MAX_ENV_VALUE
    assert any("offloaded to a ConfigMap" in n for n in pod.notes)
    small = construct_pod(WHALESAY, spec(WHALESAY))
    assert small.template_env == len(json.dumps({**WHALESAY, "inputs": {}}, separators=(",", ":")))


# ---------------------------------------------------------------- the generated templates


def _generated() -> list[tuple[str, dict[str, Any]]]:
    app = config(rebase={"tag": "1"}, creation_time="now")
    docs = [("rebase", to_manifest(rebase_template(app))), ("fleet", fleet([app]))]
    for mode in ("daemonless", "pack-dind", "pack-socket"):
        for layout in ("single-pod", "steps"):
            wt = workflow_template(app, mode=mode, layout=layout, allow_privileged=True)
            docs.append((f"{mode}/{layout}", to_manifest(wt)))
    return docs


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("archive_logs", [False, True])
def test_no_generated_patch_names_a_container_its_pod_lacks(
    version: tuple[int, int], archive_logs: bool
) -> None:
    controller = Controller(archive_logs=archive_logs)
    kinds = set()
    for label, doc in _generated():
        for path, pod in template_pods(doc, argo_version=version, controller=controller):
            kinds.add(pod.kind)
            assert pod.added == [], (label, path)
        assert list(pod_issues(doc, argo_version=version, controller=controller)) == [], label
    assert {"resource", "container", "containerSet"} <= kinds


def test_a_workflow_wide_patch_would_break_the_resource_pods() -> None:
    """What the rebase and fleet templates did before: the patch on the workflow."""
    for doc in (to_manifest(rebase_template(config(rebase={"tag": "1"}))), fleet([config()])):
        doc["spec"]["podSpecPatch"] = executor_patch()
        broken = [f for f in lint(doc, argo_version="3.6") if "with no image" in f.message]
        assert broken and all(f.path == "spec.podSpecPatch" for f in broken)


def test_item_3_the_pack_modes_init_and_wait_run_as_the_builders_uid() -> None:
    """The pack modes' pods set no uid and the default argoexec image runs as root:
    runAsNonRoot alone on init/wait and the kubelet refuses to start init."""
    app = config(creation_time="now")
    for mode in ("pack-dind", "pack-socket"):
        doc = to_manifest(workflow_template(app, mode=mode, allow_privileged=True))
        (build,) = [p for _, p in template_pods(doc) if p.template == "build"]
        assert "runAsUser" not in build.spec["securityContext"]
        for name in ("init", "wait"):
            sc = (build.container(name) or {})["securityContext"]
            assert (sc["runAsNonRoot"], sc["runAsUser"], sc["runAsGroup"]) == (True, 1001, 1000)
        # The patch as it was (no uid): refused, and lint says which container and why.
        doc["spec"]["templates"][1]["podSpecPatch"] = executor_patch()
        refused = [f for f in lint(doc) if "kubelet refuses" in f.message]
        assert [f.message.split('"')[1] for f in refused] == ["init", "wait"]
        assert "argoexec image runs as root" in refused[0].message
        # argoexec-nonroot (USER 8737) would start it.
        nonroot = Controller(executor_user=8737)
        assert not [i for i in pod_issues(doc, controller=nonroot) if "kubelet" in i.message]
    # Daemonless: the pod's runAsUser reaches init and wait; the patch sets none.
    daemonless = to_manifest(workflow_template(app))
    (build,) = [p for _, p in template_pods(daemonless) if p.template == "build"]
    assert "runAsUser" not in (build.container("init") or {})["securityContext"]
    assert build.spec["securityContext"]["runAsUser"] == 1001


def test_who_can_write_each_output_of_the_build_pod() -> None:
    doc = to_manifest(workflow_template(config()))
    tmpl = doc["spec"]["templates"][1]
    build = next(pod for _, pod in template_pods(doc) if pod.template == "build")
    writers = {w.output: w.containers for w in output_writers(build, tmpl)}
    assert writers["parameters.digest"]
    # The build phase, which runs the app's code, can write none of them.
    assert all("build" not in c for c in writers.values()), writers
