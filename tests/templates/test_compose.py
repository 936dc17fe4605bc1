"""Components that compose: self-contained templates, per-build paths, one factory signature,
and :func:`argo_buildpacks.templates.compose.compose` for the workflow-level pieces."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hera.workflows import Container, Steps, Workflow

from argo_buildpacks import BuildConfig, lint, to_manifest, workflow_template
from argo_buildpacks.components import buildpacks_build, git_clone, pack_build, tag_check
from argo_buildpacks.components._pod import executor_patch
from argo_buildpacks.components.buildpacks_build import PHASES
from argo_buildpacks.components.deploy import DEPLOY_UID
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.templates.compose import build_paths, compose, mark_global, workspace_mount
from tests.support.lifecycle import BINARY, DIGEST, FAKE_LIFECYCLE
from tests.support.runscript import SHELLS, Shell, render, run, write_executable


def cfg(name: str = "web", **extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": name,
        "source": {
            "url": "https://github.com/acme/mono.git",
            "subpath": f"services/{name}",
            "credentials": {"https_token_secret": "git-token"},
        },
        "image": f"registry.example.com/acme/{name}",
        "registry_secret": "regcred",
    }
    data.update(extra)
    return BuildConfig.model_validate(data)


def _all_factories(config: BuildConfig) -> list[Any]:
    return [
        tag_check(config),
        tag_check(config, mode="describe"),
        git_clone(config),
        buildpacks_build(config),
    ]


def _env_paths(template: Any) -> list[str]:
    nodes = getattr(template, "containers", None) or [template]
    return [
        str(e.value)
        for node in nodes
        for e in node.env or []
        if str(e.value).startswith("/workspace")
    ]


# --- 1. self-contained templates ---------------------------------------------------------


@pytest.mark.parametrize("index", range(4), ids=["tag-check", "version", "git-clone", "build"])
def test_every_component_carries_its_pod_security(index: int) -> None:
    config = cfg(builder="heroku/builder:24")  # gid 1000, uid 1002: not the default's
    template = to_manifest_template(_all_factories(config)[index])
    assert template["securityContext"] == {
        "fsGroup": 1000,
        "runAsGroup": 1000,
        "runAsNonRoot": True,
        "runAsUser": 1002,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert template["automountServiceAccountToken"] is False
    # The app's own executor account (templates/rbac.py renders it), never "default".
    assert template["executor"] == {"serviceAccountName": f"{config.name}-executor"}
    # Argo's init and wait containers get the restricted securityContext from the template
    # itself (Argo applies the workflow's and the template's podSpecPatch).
    patch = json.loads(template["podSpecPatch"])
    assert patch["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
    controller = cfg(executor_security="controller")
    assert "podSpecPatch" not in to_manifest_template(_all_factories(controller)[index])


def test_pack_build_carries_fs_group_without_run_as_non_root() -> None:
    template = to_manifest_template(pack_build(cfg(creation_time="now"), allow_privileged=True))
    # The dind sidecar runs as root, so the pod cannot be runAsNonRoot; fsGroup still opens
    # the 0440 registry Secret to the builder's group.
    assert template["securityContext"] == {
        "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_generated_build_template_is_self_contained_for_template_ref() -> None:
    manifest = to_manifest(workflow_template(cfg()))
    build = next(t for t in manifest["spec"]["templates"] if t["name"] == "build")
    assert build["securityContext"]["fsGroup"] == 1000
    assert {v["name"] for v in build["volumes"]} >= {"workspace", "out", "layers"}


def test_mark_global_is_public_and_checks_names() -> None:
    build = mark_global(buildpacks_build(cfg()), ["digest"])
    exposed = {p.name: p.global_name for p in build.outputs}  # type: ignore[union-attr]
    assert exposed == {"image": None, "digest": "digest"}
    mark_global(build, {"image": "web-image"})
    assert build.outputs[0].global_name == "web-image"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"'tags' is not an output of template 'build-web'"):
        mark_global(build, ["tags"])


# --- 2. workspace and per-build paths ----------------------------------------------------


def test_each_build_has_its_own_directories() -> None:
    web = {p for t in _all_factories(cfg("web")) for p in _env_paths(t)}
    api = {p for t in _all_factories(cfg("api")) for p in _env_paths(t)}
    assert web and api
    assert all(p.startswith("/workspace/web/") or p == "/workspace/web" for p in web)
    assert all(p.startswith("/workspace/api/") or p == "/workspace/api" for p in api)
    assert build_paths(cfg("web")).src == "/workspace/web/src"


def test_workspace_config_shapes_the_claim() -> None:
    config = cfg(
        layout="steps",
        workspace={
            "size": "20Gi",
            "storage_class": "fast-rwx",
            "access_modes": ["ReadWriteMany"],
        },
    )
    spec = to_manifest(workflow_template(config))["spec"]
    assert spec["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "workspace"},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "20Gi"}},
                "storageClassName": "fast-rwx",
            },
        }
    ]


@pytest.mark.parametrize(
    ("workspace", "message"),
    [
        ({"size": "lots"}, r"workspace\.size: .*'lots' is not a positive Kubernetes quantity"),
        ({"size": "0Gi"}, r"workspace\.size: .*'0Gi'"),
        ({"storage_class": "Fast_SSD"}, r"workspace\.storage_class: storage class 'Fast_SSD'"),
        ({"access_modes": []}, r"workspace\.access_modes"),
        ({"access_modes": ["ReadWriteSometimes"]}, r"workspace\.access_modes\.0"),
        ({"sise": "2Gi"}, r"unknown key 'sise'; did you mean 'size'"),
    ],
)
def test_workspace_config_errors_name_the_field(workspace: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BuildConfig.from_dict({**cfg().model_dump(mode="json"), "workspace": workspace})


def _fake_with_platform_env() -> str:
    """The recording fake lifecycle, plus: detector and builder record the platform env
    files they see (NAME=VALUE lines), which is what the app's buildpacks would read."""
    return (
        r"""me=${0##*/}
case "$me" in detector | builder)
  p=
  prev=
  for a in "$@"; do [ "$prev" = -platform ] && p=$a; prev=$a; done
  : >"$FAKE_DIR/$me.platform-env"
  for f in "$p"/env/*; do
    [ -f "$f" ] && printf '%s=%s\n' "${f##*/}" "$(cat "$f")" >>"$FAKE_DIR/$me.platform-env"
  done ;;
esac
"""
        + FAKE_LIFECYCLE
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_two_builds_run_concurrently_in_one_workspace(shell: Shell, tmp_path: Path) -> None:
    """web and api from one monorepo, built at the same time on one workspace (the steps
    layout's claim, or two containerSets on one ReadWriteMany claim): each lifecycle sees
    only its own build env and each export writes only its own outputs."""
    ws = tmp_path / "ws"
    builds = {name: cfg(name, env={"SVC": name}) for name in ("web", "api")}
    tags = {"web": "1.0.0", "api": "2.0.0"}
    for name in builds:
        (ws / name / "src" / "services" / name).mkdir(parents=True)
        (tmp_path / f"fake-{name}").mkdir()
        for binary in BINARY.values():
            write_executable(tmp_path / f"lifecycle-{name}" / binary, _fake_with_platform_env())
    # Both builds finish each phase before either starts the next: the widest window for
    # one build's analyze (which rewrites <platform>/env) to hit the other's detect/build.
    barrier = threading.Barrier(2, timeout=60)

    def remap(value: str, name: str) -> str:
        if value.startswith("/workspace"):
            return str(ws) + value.removeprefix("/workspace")
        if value.startswith("/layers"):  # the pod's own emptyDir
            return str(tmp_path / f"layers-{name}") + value.removeprefix("/layers")
        return value

    def one_build(name: str) -> list[str]:
        template = buildpacks_build(builds[name])
        nodes = {n.name: n for n in template.containers}
        failures = []
        for phase in PHASES:
            rendered = render(nodes["main" if phase == "export" else phase])
            env: dict[str, str | None] = {
                k: remap(v, name) for k, v in rendered.env.items() if remap(v, name) != v
            }
            env.update(
                LIFECYCLE=str(tmp_path / f"lifecycle-{name}"),
                FAKE_DIR=str(tmp_path / f"fake-{name}"),
                FAKE_DIGEST=DIGEST,
                DOCKER_CONFIG=str(tmp_path / f"docker-{name}"),
            )
            done = run(
                shell,
                rendered,
                params={"tags": tags[name], "commit-epoch": "1700000000", "commit": ""},
                env=env,
                cwd=tmp_path,
            )
            if done.returncode != 0:
                failures.append(f"{name} {phase}: {done.stderr}")
            barrier.wait()
        return failures

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one_build, builds))
    assert results == [[], []]
    for name, other in (("web", "api"), ("api", "web")):
        fake = tmp_path / f"fake-{name}"
        for binary in ("detector", "builder"):
            assert (fake / f"{binary}.platform-env").read_text() == f"SVC={name}\n", binary
        out = ws / name / "out"
        assert (out / "image").read_text() == f"registry.example.com/acme/{name}:{tags[name]}"
        assert (out / "digest").read_text() == DIGEST
        argv = (fake / "exporter.argv").read_text().split("\0")
        assert f"{ws}/{name}/src/services/{name}" in argv
        assert not any(other in a for a in argv if a.startswith(str(ws)))
    assert sorted(p.name for p in ws.iterdir()) == ["api", "web"]


# --- 3. one factory signature ------------------------------------------------------------


def test_default_names_are_readable_and_stable() -> None:
    config = cfg()
    assert [t.name for t in _all_factories(config)] == [
        "tag-check",
        "version",
        "git-clone",
        "build-web",
    ]
    assert pack_build(cfg(creation_time="now"), allow_privileged=True).name == "build-web"
    assert git_clone(config, name="clone-web").name == "clone-web"


def test_every_factory_honours_images_resources_retries_and_log_level() -> None:
    mirror = "mirror.example.com/hub"
    config = cfg(
        images={
            "git": f"{mirror}/alpine/git:v2.49.1",
            "shell": f"{mirror}/busybox:1.37.0",
            "pack": f"{mirror}/pack:0.38.2",
            "dind": f"{mirror}/docker:28.5-dind",
        },
        resources={
            "build": {"requests": {"memory": "8Gi"}},
            "clone": {"requests": {"memory": "1Gi"}},
            "tag_check": {"limits": {"cpu": "100m"}},
        },
        retries={"clone": 5, "push": 4},
        log_level="debug",
        creation_time="now",
    )
    check, version, clone, build = _all_factories(config)
    assert check.image == version.image == f"{mirror}/busybox:1.37.0"
    # Merged over the defaults per key (tests/templates/test_composition_traps.py).
    assert quantities(check.resources.limits) == {"cpu": "100m", "memory": "64Mi"}
    assert clone.image == f"{mirror}/alpine/git:v2.49.1"
    assert quantities(clone.resources.requests) == {"cpu": "100m", "memory": "1Gi"}
    clone_env = {e.name: e.value for e in clone.env}
    assert (clone_env["RETRIES"], clone_env["LOG_LEVEL"]) == ("5", "debug")
    for node in build.containers:
        assert quantities(node.resources.requests) == {"cpu": "1", "memory": "8Gi"}
        assert ("LOG_LEVEL", "debug") in [(e.name, e.value) for e in node.env]
    # The registry phases retry in their script (4 more attempts); no in-pod retry of the
    # set, which would re-run a refused input too.
    assert build.container_set_retry_strategy is None
    retries = {n.name: {e.name: e.value for e in n.env}.get("RETRIES") for n in build.containers}
    assert retries == {"analyze": "4", "detect": None, "restore": "4", "build": None, "main": "4"}
    pack: Any = pack_build(config, allow_privileged=True)
    by_name = {n.name: n for n in pack.containers}
    assert by_name["pack"].image == f"{mirror}/pack:0.38.2"
    assert "--verbose" in by_name["pack"].args
    assert pack.sidecars[0].image == f"{mirror}/docker:28.5-dind"
    assert pack.container_set_retry_strategy.retries.root == 5


def test_older_keyword_signatures_still_work() -> None:
    config = cfg()
    clone = git_clone(config.source, builder=config.builder)
    check = tag_check(config.tag, builder=config.builder)
    assert (clone.name, check.name) == ("git-clone", "tag-check")
    with pytest.raises(ConfigError, match="builder="):
        git_clone(config.source)


# --- 4. the assembly API -----------------------------------------------------------------


def _my_pipeline(web: BuildConfig, api: BuildConfig, *, api_clone: str) -> Workflow:
    with Workflow(name="mono", namespace="argo", entrypoint="main") as w:
        check = tag_check(web)
        clone_web, clone_api = git_clone(web), git_clone(api, name=api_clone)
        build_web, build_api = buildpacks_build(web), buildpacks_build(api)
        with Steps(name="main"):
            check(arguments={"tag": "{{workflow.parameters.tag}}"})
            clone_web(arguments={"revision": "{{workflow.parameters.revision}}"})
            clone_api(name="clone-api", arguments={"revision": "{{workflow.parameters.revision}}"})
            build_web(
                arguments={
                    "tags": "{{steps.tag-check.outputs.parameters.tags}}",
                    "commit-epoch": "{{steps.git-clone.outputs.parameters.commit-epoch}}",
                }
            )
            build_api(
                arguments={
                    "tags": "{{steps.tag-check.outputs.parameters.tags}}",
                    "commit-epoch": "{{steps.clone-api.outputs.parameters.commit-epoch}}",
                }
            )
    return w


def test_compose_adds_the_workflow_pieces_and_lints_clean() -> None:
    web, api = cfg("web"), cfg("api")
    w = compose(_my_pipeline(web, api, api_clone="git-clone-api"), web)
    manifest = to_manifest(w)
    spec = manifest["spec"]
    assert spec["volumeClaimTemplates"][0]["spec"]["resources"] == {"requests": {"storage": "2Gi"}}
    assert spec["securityContext"]["fsGroup"] == 1000
    assert spec["automountServiceAccountToken"] is False
    assert spec["executor"] == {"serviceAccountName": "web-executor"}
    assert [p["name"] for p in spec["arguments"]["parameters"]] == [
        "tag",
        "revision",
        "repo",
        "image",
        "expected-commit",
    ]
    assert [f for f in lint(manifest) if f.severity == "error"] == []
    # The production defaults of workflow_template, where the workflow set none.
    assert spec["activeDeadlineSeconds"] == 3600
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}
    assert spec["synchronization"] == {
        "mutexes": [{"name": "argo-buildpacks-registry-example-com-acme-web"}]
    }
    # Argo's init and wait restricted per pod template, never workflow-wide (a resource pod
    # has no wait container for a workflow's patch to name).
    assert "podSpecPatch" not in spec
    pods = [t for t in spec["templates"] if {"container", "script", "containerSet"} & set(t)]
    assert pods and all("podSpecPatch" in t for t in pods)


def test_compose_keeps_what_the_workflow_set() -> None:
    from hera.workflows.models import PodSecurityContext

    with Workflow(name="mine", entrypoint="main", active_deadline_seconds=60) as w:
        Container(name="main", image="busybox", command=["true"])
    w.security_context = PodSecurityContext(fs_group=42)
    spec = to_manifest(compose(w, cfg(), workspace="none", parameters=False))["spec"]
    assert spec["activeDeadlineSeconds"] == 60
    assert spec["securityContext"] == {"fsGroup": 42}
    assert "volumeClaimTemplates" not in spec
    assert "arguments" not in spec


def test_compose_refuses_a_duplicate_name() -> None:
    web, api = cfg("web"), cfg("api")
    with pytest.raises(ConfigError, match=r"'git-clone' used more than once.*name="):
        compose(_my_pipeline(web, api, api_clone="git-clone"), web)


def test_compose_refuses_a_container_set_that_argo_would_not_give_the_claim() -> None:
    from hera.workflows import ContainerNode, ContainerSet

    with Workflow(name="bad", entrypoint="main") as w, ContainerSet(name="main"):
        ContainerNode(name="main", image="busybox", volume_mounts=[workspace_mount()])
    with pytest.raises(ConfigError, match=r"containerSet 'main'.*own volumeMounts"):
        compose(w, cfg())


def test_user_step_gets_no_credentials() -> None:
    """A step of your own (unit tests run the app's code) mounts no Secret and, through
    compose, gets no service-account token."""
    config = cfg()
    with Workflow(name="ci", entrypoint="main") as w:
        tests = Container(
            name="unit-tests",
            image="python:3.12-slim",
            command=["python", "-m", "pytest"],
            working_dir=build_paths(config).src,
            volume_mounts=[workspace_mount()],
        )
        with Steps(name="main"):
            tests()
    spec = to_manifest(compose(w, config))["spec"]
    assert spec["automountServiceAccountToken"] is False
    mine = next(t for t in spec["templates"] if t["name"] == "unit-tests")
    assert "volumes" not in mine


def quantities(values: Any) -> dict[str, str]:
    return {k: str(getattr(v, "root", v)) for k, v in values.items()}


def to_manifest_template(template: Any) -> dict[str, Any]:
    """One template as Argo sees it (Hera's ``_build_template``)."""
    built = template._build_template()
    return dict(built.model_dump(by_alias=True, exclude_none=True, mode="json"))


def test_compose_refuses_two_builds_in_one_directory() -> None:
    web = cfg("web")
    with Workflow(name="twice", entrypoint="main") as w:
        buildpacks_build(web)
        buildpacks_build(web, name="build-web-again")
    with pytest.raises(ConfigError, match=r"'build-web' and 'build-web-again' both build in "):
        compose(w, web)


def test_the_build_component_keeps_credentials_and_provenance_from_app_code() -> None:
    """detect and build run the app's code: no Secret, no credential variable, not the out
    volume; the tags and commit date arrive as inputs, not from the writable workspace."""
    build: Any = buildpacks_build(cfg(creation_time="commit"))
    nodes = {n.name: n for n in build.containers}
    for name in ("detect", "build"):
        mounts = {m.name for m in nodes[name].volume_mounts or []}
        env = {e.name for e in nodes[name].env or []}
        assert mounts.isdisjoint({"registry-credentials", "out"}), name
        assert "DOCKER_CONFIG" not in env, name
    for name in ("analyze", "restore", "main"):
        assert "registry-credentials" in {m.name for m in nodes[name].volume_mounts}
    export_env = {e.name: e.value for e in nodes["main"].env}
    assert export_env["TAGS"] == "{{inputs.parameters.tags}}"
    assert export_env["COMMIT_EPOCH"] == "{{inputs.parameters.commit-epoch}}"
    assert build.outputs[1].value_from.path == "/workspace/web/out/digest"
    assert {m.name for m in nodes["main"].volume_mounts} >= {"out"}
    assert [m.name for m in build.volume_mounts] == ["workspace"]


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_every_generated_pod_template_refuses_a_token_itself(layout: str) -> None:
    """Called by templateRef from a workflow that does not say so, no template of the
    generated pipeline gets a service-account token (the executor gets its own)."""
    config = cfg(layout=layout, executor_service_account="argo-executor")
    spec = to_manifest(workflow_template(config))["spec"]
    pods = [t for t in spec["templates"] if "steps" not in t]
    assert pods
    for t in pods:
        assert t["automountServiceAccountToken"] is False, t["name"]
        assert t["executor"] == {"serviceAccountName": "argo-executor"}, t["name"]
        # The provenance pod runs no builder code: the deploy steps' non-root uid.
        group = DEPLOY_UID if t["name"] == "provenance" else 1000
        assert t["securityContext"]["fsGroup"] == group, t["name"]
        # Each pod template restricts Argo's init and wait itself (none workflow-wide).
        assert t["podSpecPatch"] == executor_patch(), t["name"]
    assert "podSpecPatch" not in spec


def test_library_templates_refuse_a_token_and_leave_the_executor_to_the_app() -> None:
    from argo_buildpacks.templates.library import library_template

    lib = to_manifest(library_template(registries=["registry.example.com"]))
    for t in lib["spec"]["templates"]:
        assert t["automountServiceAccountToken"] is False, t["name"]
        assert "executor" not in t, t["name"]


def _claim_mount_problems(manifest: dict[str, Any]) -> list[str]:
    """containerSet templates that mount the workflow's workspace per container: Argo adds a
    workflow-level volume or claim to a containerSet pod only through the containerSet's own
    volumeMounts (workflowpod.go), so such a pod is refused."""
    problems = []
    for t in manifest["spec"]["templates"]:
        cs = t.get("containerSet")
        if cs is None or any(v["name"] == "workspace" for v in t.get("volumes", [])):
            continue
        if any(m["name"] == "workspace" for m in cs.get("volumeMounts", [])):
            continue
        for c in cs["containers"]:
            if any(m["name"] == "workspace" for m in c.get("volumeMounts", [])):
                problems.append(f"{t['name']}/{c['name']}")
    return problems


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
@pytest.mark.parametrize("mode", ["daemonless", "pack-dind", "pack-socket"])
def test_argo_adds_the_workspace_to_every_container_set_pod(layout: str, mode: str) -> None:
    from argo_buildpacks.templates.library import library_template

    config = cfg(layout=layout, mode=mode, creation_time="now")
    manifests = [to_manifest(workflow_template(config, allow_privileged=True))]
    if mode == "daemonless":
        manifests.append(to_manifest(library_template(registries=["registry.example.com"])))
    for manifest in manifests:
        assert _claim_mount_problems(manifest) == []
    # The check itself finds the mistake.
    bad = to_manifest(workflow_template(cfg(layout="steps")))
    build = next(t for t in bad["spec"]["templates"] if t["name"] == "build")
    for c in build["containerSet"]["containers"]:
        c["volumeMounts"] = [*build["containerSet"]["volumeMounts"], *c.get("volumeMounts", [])]
    del build["containerSet"]["volumeMounts"]
    assert _claim_mount_problems(bad) == [f"build/{p}" for p in PHASES[:-1]]


def test_compose_names_a_bad_workspace_choice() -> None:
    with Workflow(name="w", entrypoint="main") as w:
        Container(name="main", image="busybox", command=["true"])
    with pytest.raises(ConfigError, match=r"workspace 'emptyDir' is not allowed; use 'claim'"):
        compose(w, cfg(), workspace="emptyDir")  # type: ignore[arg-type]
    assert w.volume_claim_templates is None
