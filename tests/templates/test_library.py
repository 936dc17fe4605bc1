"""Library mode: one ClusterWorkflowTemplate of components, thin per-app templates.

Anyone who may submit workflows can run the library's templates with inputs of their own,
so the tests check both what apps pass and what a hostile direct submission can reach.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hera.workflows import ClusterWorkflowTemplate
from hera.workflows.models import Template

from argo_buildpacks import BuildConfig, ConfigError, to_manifest, workflow_for
from argo_buildpacks import render as render_yaml
from argo_buildpacks.components.buildpacks_build import lifecycle_phase
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.templates.app import app_template
from argo_buildpacks.templates.library import (
    GIT_SECRET,
    LIBRARY_INPUTS,
    REGISTRY_SECRET,
    library_template,
)
from tests.support.gitrepos import make_repo
from tests.support.lifecycle import DIGEST, FAKE_LIFECYCLE
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
REGISTRY = "registry.example.com:5000/acme"
LIB = library_template(registries=[REGISTRY], git_hosts=["github.com"])
REAL_GIT = shutil.which("git") or "git"


def config(**over: Any) -> BuildConfig:
    """The example app, fitted to the library: its Secrets and its pinned builder."""
    data = EXAMPLE.model_dump(mode="json")
    data["builder"] = "paketobuildpacks/builder-jammy-base:0.4.642"
    data["registry_secret"] = REGISTRY_SECRET
    data["source"]["credentials"] = {"https_token_secret": GIT_SECRET}
    return BuildConfig.from_dict({**data, **over})


APP = config()


def steps_of(app: Any) -> list[dict[str, Any]]:
    main = next(t for t in to_manifest(app)["spec"]["templates"] if t["name"] == "main")
    return [group[0] for group in main["steps"]]


def params_for(app: Any, step: str, workflow: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The library template a step calls and its inputs' values, as Argo would resolve them."""
    call = next(s for s in steps_of(app) if s["name"] == step)
    template = call["templateRef"]["template"]
    values = {n: v for n, v in LIBRARY_INPUTS.items() if v is not None}
    workflow = {"expected-commit": "", **workflow}  # the workflow parameter's default
    for p in call["arguments"]["parameters"]:
        value = p["value"]
        if value.startswith("{{workflow.parameters."):
            value = workflow[value.removeprefix("{{workflow.parameters.").removesuffix("}}")]
        values[p["name"]] = value
    return template, values


def library_part(template: str) -> Any:
    return next(t for t in LIB.templates if t.name == template)


def library_node(template: str, name: str) -> Any:
    return next(c for c in library_part(template).containers if c.name == name)


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_library_and_apps_lint_together(layout: str) -> None:
    apps = [
        app_template(config(layout=layout), LIB),
        app_template(
            config(
                layout=layout,
                name="api",
                source={
                    "url": "git@github.com:acme/mono.git",
                    "subpath": "services/api",
                    "credentials": {"ssh_key_secret": GIT_SECRET},
                },
            ),
            LIB,
        ),
    ]
    manifests = [to_manifest(LIB), *(to_manifest(a) for a in apps)]
    runs = [to_manifest(workflow_for(a, tag="1.2.3")) for a in apps]
    # Nothing at all: the library declares the workspace its callers provide, so it passes
    # `lint --strict` alone as well as with its apps.
    assert lint([*manifests, *runs]) == []
    assert lint(manifests[0]) == []
    for m in manifests[1:]:
        assert m["spec"]["entrypoint"] == "main"
        assert m["spec"]["automountServiceAccountToken"] is False
        assert [p["name"] for p in m["spec"]["arguments"]["parameters"]] == [
            "tag",
            "revision",
            "repo",
            "image",
            "expected-commit",
        ]


def test_library_carries_no_placeholder_values() -> None:
    text = render_yaml(LIB)
    assert "example.invalid" not in text
    assert "placeholder" not in text.lower()
    assert "PLACEHOLDER" not in text
    names = [t.name for t in LIB.templates]
    assert names == [
        "build", "tag-check", "git-clone", "version", "buildpacks-build", "buildpacks-export",
        "provenance",
    ]  # fmt: skip
    # The workflow outputs are the provenance step's alone; the build's are claims.
    outputs = {
        (t["name"], p.get("globalName"))
        for t in to_manifest(LIB)["spec"]["templates"]
        for p in t.get("outputs", {}).get("parameters", [])
    }
    assert {(n, g) for n, g in outputs if g} == {
        ("provenance", g) for g in ("image", "digest", "tags", "commit")
    }
    assert {n for n, _ in outputs} >= {"build", "buildpacks-export", "provenance"}


def test_library_secrets_are_fixed_optional_references() -> None:
    for t in to_manifest(LIB)["spec"]["templates"]:
        secrets = {v["name"]: v["secret"] for v in t.get("volumes", []) if "secret" in v}
        for volume, secret in secrets.items():
            # Fixed at install: no input chooses which Secret is mounted.
            assert "{{" not in secret["secretName"], (t["name"], volume)
            assert secret["optional"] is True
        if "git-credentials" in secrets:
            assert secrets["git-credentials"]["secretName"] == GIT_SECRET
        if "registry-credentials" in secrets:
            assert secrets["registry-credentials"]["secretName"] == REGISTRY_SECRET
            assert secrets["registry-credentials"]["items"] == [
                {"key": ".dockerconfigjson", "path": "config.json"}
            ]
    inputs = {
        p["name"]
        for t in to_manifest(LIB)["spec"]["templates"]
        for p in t.get("inputs", {}).get("parameters", [])
    }
    # Nothing that says where a credential comes from or goes to is an input.
    assert not {"git-secret", "registry-secret", "git-auth-url-prefix"} & inputs
    assert not [n for n in inputs if "secret" in n or "prefix" in n or "host" in n]


def test_library_fixes_where_credentials_go() -> None:
    clone = {e.name: e.value for e in library_node("build", "git-clone").env}
    assert clone["GIT_HOSTS"] == "github.com"
    assert "AUTH_URL" not in clone
    for template, node in (("build", "analyze"), ("build", "main")):
        env = {e.name: e.value for e in library_node(template, node).env}
        assert env["IMAGE_PREFIXES"] == REGISTRY
    export = {e.name: e.value for e in library_part("buildpacks-export").env}
    assert export["IMAGE_PREFIXES"] == REGISTRY
    # A library that sends git credentials nowhere names no real host.
    bare = library_template(registries=[REGISTRY])
    bare_clone: Any = next(t for t in bare.templates if t.name == "git-clone")
    env = {e.name: e.value for e in bare_clone.env}
    assert env["GIT_HOSTS"] == "argo-buildpacks.invalid"


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"registries": []}, "needs registries"),
        ({"registries": "ghcr.io"}, "needs registries"),
        ({"registries": ["ghcr.io/acme:1"]}, "no tag or digest"),
        ({"registries": ["Not A Registry"]}, "is not a registry"),
        ({"registries": ["ghcr.io"], "git_hosts": ["https://github.com"]}, "is not a host"),
        ({"registries": ["ghcr.io"], "git_hosts": "github.com"}, "list of host names"),
    ],
)
def test_library_settings_are_validated(kwargs: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        library_template(**kwargs)


def test_app_passes_only_what_differs_and_fixed_values_literally() -> None:
    call, provenance = steps_of(app_template(APP, LIB))
    # The run's outputs come from the library's provenance step, fed the build's claims.
    assert provenance["templateRef"]["template"] == "provenance"
    assert {p["name"]: p["value"] for p in provenance["arguments"]["parameters"]} == {
        f"claimed-{n}": "{{steps.build.outputs.parameters." + n + "}}"
        for n in ("image", "digest", "tags", "commit")
    } | {"image": "registry.example.com:5000/acme/my-python-app"}
    args = {p["name"]: p["value"] for p in call["arguments"]["parameters"]}
    assert call["templateRef"] == {
        "name": "argo-buildpacks",
        "template": "build",
        "clusterScope": True,
    }
    assert args["build-env"] == "BP_CPYTHON_VERSION=3.12"
    assert args["git-auth"] == "https"
    assert args["repo"] == "https://github.com/acme/my-python-app.git"
    assert args["image"] == "registry.example.com:5000/acme/my-python-app"
    assert args["revision"] == "{{workflow.parameters.revision}}"
    assert "depth" not in args and "floating" not in args
    free = app_template(config(overridable=["repo", "image"]), LIB)
    args = {p["name"]: p["value"] for p in steps_of(free)[0]["arguments"]["parameters"]}
    assert args["repo"] == "{{workflow.parameters.repo}}"
    assert args["image"] == "{{workflow.parameters.image}}"


@pytest.mark.parametrize(
    ("over", "why"),
    [
        ({"builder": "heroku/builder:24"}, "uid/gid come from the library's builder"),
        ({"mode": "pack-dind", "creation_time": "now"}, "library is daemonless"),
        ({"env": {"A": "line\nbreak"}}, "line break"),
        (
            {
                "source": {
                    "url": "https://github.com/a/b.git",
                    "credentials": {"https_token_secret": GIT_SECRET, "https_token_key": "pat"},
                }
            },
            "standard keys",
        ),
        ({"registry_secret": "regcred"}, "registry_secret 'regcred'"),
        (
            {
                "source": {
                    "url": "https://github.com/a/b.git",
                    "credentials": {"https_token_secret": "other-team"},
                }
            },
            "names Secret 'other-team'",
        ),
        (
            {
                "source": {
                    "url": "https://gitlab.com/a/b.git",
                    "credentials": {"https_token_secret": GIT_SECRET},
                }
            },
            "is on 'gitlab.com'",
        ),
        ({"image": "ghcr.io/acme/app"}, "image 'ghcr.io/acme/app' is not under a registry"),
        ({"cache_image": "ghcr.io/acme/cache"}, "cache_image 'ghcr.io/acme/cache' is not under"),
        (
            {"source": {"url": "https://github.com/a/b.git", "allow_pull_requests": True}},
            "source.allow_pull_requests is true",
        ),
        ({"resources": {"build": {"limits": {"memory": "16Gi"}}}}, "resources"),
        ({"retries": {"push": 5}}, "retries"),
        ({"log_level": "debug"}, "log_level"),
        ({"images": {"git": "mirror.example.com/alpine/git:v2.49.1"}}, "images"),
    ],
)
def test_apps_that_do_not_fit_are_refused(over: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        app_template(config(**over), LIB)


def test_library_for_another_builder() -> None:
    lib = library_template(
        name="heroku-builds",
        builder="heroku/builder:24",
        registries=[REGISTRY],
        git_hosts=["github.com"],
    )
    app = app_template(config(builder="heroku/builder:24"), lib)
    assert steps_of(app)[0]["templateRef"]["name"] == "heroku-builds"
    clone = next(t for t in to_manifest(lib)["spec"]["templates"] if t["name"] == "git-clone")
    assert clone["container"]["securityContext"]["runAsUser"] == 1002
    assert [f for f in lint([to_manifest(lib), to_manifest(app)]) if f.severity == "error"] == []


def test_steps_app_passes_tags_and_commit_date_between_steps() -> None:
    app = app_template(config(layout="steps", tag={"from_git": True}), LIB)
    steps = {s["name"]: s for s in steps_of(app)}
    assert list(steps) == ["tag-check", "git-clone", "version", "build", "export", "provenance"]
    export = {p["name"]: p["value"] for p in steps["export"]["arguments"]["parameters"]}
    assert export["tags"] == "{{steps.version.outputs.parameters.tags}}"
    assert export["commit-epoch"] == "{{steps.git-clone.outputs.parameters.commit-epoch}}"
    assert export["commit"] == "{{steps.git-clone.outputs.parameters.commit}}"
    # The claims the provenance step checks come from the pods that made them.
    claims = {p["name"]: p["value"] for p in steps["provenance"]["arguments"]["parameters"]}
    assert claims["claimed-tags"] == "{{steps.version.outputs.parameters.tags}}"
    assert claims["claimed-commit"] == "{{steps.git-clone.outputs.parameters.commit}}"
    assert claims["claimed-digest"] == "{{steps.export.outputs.parameters.digest}}"
    plain = app_template(config(layout="steps"), LIB)
    names = ["tag-check", "git-clone", "version", "build", "export", "provenance"]
    assert [s["name"] for s in steps_of(plain)] == names


# The library's scripts, run with an app's arguments, do what the direct components do. ------


@pytest.mark.parametrize("shell", SHELLS)
def test_library_clone_with_app_arguments(shell: Shell, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit("api", {"services/api/main.py": "print('hi')\n"})
    repo.tag("v1.2.3")
    sha = repo.commit("more", {"services/api/x.py": "x = 1\n"})
    cfg = config(
        source={"url": repo.url, "subpath": "services/api"}, tag={"from_git": True}, layout="steps"
    )
    app = app_template(cfg, LIB)
    template, params = params_for(app, "git-clone", {"revision": "main", "tag": ""})
    assert params["repo"] == repo.url
    ws = tmp_path / "ws"
    done = run(
        shell,
        render(library_part(template)),
        params=params,
        env={"WORKSPACE": str(ws), "OUT_DIR": str(ws / "out"), "RETRY_DELAY": "0"},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (ws / "out" / "commit").read_text() == sha
    assert (ws / "out" / "describe").read_text().startswith("v1.2.3-1-g")
    assert (ws / "src" / "services" / "api" / "x.py").exists()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("floating", "latest", "tags"),
    [("true", "false", "1.2.3,1.2,1"), ("false", "false", "1.2.3"), ("true", "true", None)],
)
def test_library_tag_check_with_app_arguments(
    shell: Shell, tmp_path: Path, floating: str, latest: str, tags: str | None
) -> None:
    cfg = config(layout="steps", tag={"floating": floating == "true", "latest": latest == "true"})
    template, params = params_for(app_template(cfg, LIB), "tag-check", {"tag": "v1.2.3"})
    assert template == "tag-check"
    done = run(shell, render(library_part(template)), params=params, env={"OUT_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "tags").read_text() == (tags or "1.2.3,1.2,1,latest")


@pytest.mark.parametrize("shell", SHELLS)
def test_a_direct_submission_cannot_send_the_token_elsewhere(shell: Shell, tmp_path: Path) -> None:
    """The attack on the old library: inputs that pointed the namespace's token at a host of
    the submitter's choosing. Now the hosts are fixed; the token file is never read and git
    never runs."""
    token = tmp_path / "token"
    token.write_text("ghp_secret")
    calls = tmp_path / "git-calls"
    fake = write_executable(
        tmp_path / "bin" / "git", f'echo "$1" >>"{calls}"\nexec "{REAL_GIT}" "$@"\n'
    )
    node = library_node("build", "git-clone")
    for repo in ("https://evil.test/acme/app.git", "https://github.com.evil.test/x.git"):
        done = run(
            shell,
            render(node),
            params={n: v for n, v in LIBRARY_INPUTS.items() if v is not None}
            | {"repo": repo, "revision": "main", "git-auth": "https", "expected-commit": ""},
            env={
                "WORKSPACE": str(tmp_path / "ws"),
                "OUT_DIR": str(tmp_path / "ws" / "out"),
                "GIT_TOKEN_FILE": str(token),
                "TMPDIR": str(tmp_path),
            },
            path_prefix=(fake.parent,),
            cwd=tmp_path,
        )
        assert done.returncode == 1
        assert done.stderr == (
            f"git-clone: repo '{repo}' is not on a host this template sends credentials to "
            "(github.com)\n"
        )
        assert not calls.exists()


def run_phase_as(
    shell: Shell, root: Path, rendered: Any, params: dict[str, str], **env: str
) -> Any:
    ws = root / "ws"
    return run(
        shell,
        rendered,
        params=params,
        env={
            "WORKSPACE": str(ws),
            "OUT_DIR": str(ws / "out"),
            "LAYERS_DIR": str(root / "layers"),
            "PLATFORM_DIR": str(ws / "platform"),
            "LIFECYCLE": str(root / "lifecycle"),
            "FAKE_DIR": str(root / "fake"),
            "FAKE_DIGEST": DIGEST,
            **env,
        },
        cwd=root,
    )


def prepared(root: Path) -> None:
    ws = root / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "out").mkdir()
    (ws / "out" / "tags").write_text("1.2.3,1.2,1")
    (root / "fake").mkdir()
    for binary in ("analyzer", "detector", "restorer", "builder", "exporter"):
        write_executable(root / "lifecycle" / binary, FAKE_LIFECYCLE)


@pytest.mark.parametrize("shell", SHELLS)
def test_library_build_matches_direct_component(shell: Shell, tmp_path: Path) -> None:
    cfg = config(
        layout="steps",
        env={"BP_CPYTHON_VERSION": "3.12", "BP_X": "a b $(touch SENTINEL)"},
        buildpacks=["paketo-buildpacks/python@1.2.3"],
        run_image="registry.example.com/run:1",
        creation_time="now",
    )
    app = app_template(cfg, LIB)
    _, build_params = params_for(app, "build", {"tag": "1.2.3"})
    _, export_params = params_for(app, "export", {"tag": "1.2.3"})
    build_params["tags"] = export_params["tags"] = "1.2.3,1.2,1"
    export_params["commit"] = ""
    seen = {}
    for label in ("direct", "library"):
        root = tmp_path / label
        prepared(root)
        for phase in ("analyze", "detect", "restore", "build", "export"):
            if label == "direct":
                rendered, params = render(lifecycle_phase(cfg, phase)), {}
            elif phase == "export":
                rendered, params = render(library_part("buildpacks-export")), export_params
            else:
                node = library_node("buildpacks-build", phase)
                rendered, params = render(node), build_params
            extra = {"TAGS": "1.2.3,1.2,1"} if label == "direct" else {}
            done = run_phase_as(shell, root, rendered, params, **extra)
            assert done.returncode == 0, (label, phase, done.stderr)
        argv = {
            b: (root / "fake" / f"{b}.argv").read_text().replace(str(root), "ROOT").split("\0")
            for b in ("analyzer", "detector", "restorer", "builder", "exporter")
        }
        ws = root / "ws"
        env_files = {f.name: f.read_text() for f in (ws / "platform" / "env").iterdir()}
        order = (ws / "platform" / "order.toml").read_text()
        seen[label] = (argv, env_files, order, (ws / "out" / "digest").read_text())
    assert seen["library"] == seen["direct"]
    assert seen["direct"][1] == {"BP_CPYTHON_VERSION": "3.12", "BP_X": "a b $(touch SENTINEL)"}
    assert not list(tmp_path.rglob("SENTINEL"))


@pytest.mark.parametrize("shell", SHELLS)
def test_a_direct_submission_cannot_push_elsewhere(shell: Shell, tmp_path: Path) -> None:
    root = tmp_path / "run"
    prepared(root)
    params = {n: v for n, v in LIBRARY_INPUTS.items() if v is not None}
    params |= {"image": "docker.io/evil/app", "tags": "1.2.3"}
    for phase, rendered in (
        ("analyze", render(library_node("buildpacks-build", "analyze"))),
        ("export", render(library_part("buildpacks-export"))),
    ):
        done = run_phase_as(shell, root, rendered, params | {"commit-epoch": "1", "commit": ""})
        assert done.returncode == 1, phase
        assert "image 'docker.io/evil/app' is not under a registry this template may push" in (
            done.stderr
        )
    assert list((root / "fake").iterdir()) == []  # no lifecycle phase ran


# Every BuildConfig key, with a value other than its default, and what library mode must do
# with it: reach the app's template (the check finds it in the rendered manifest) or be refused
# with an error naming it. A key added to BuildConfig without a decision here fails the test.
_FROM_LIB = {"https_token_secret": GIT_SECRET}
SETTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "name": ({"name": "other-app"}, "other-app"),
    "namespace": ({"namespace": "team-a"}, "team-a"),
    "source": (
        {
            "source": {
                "url": "https://github.com/acme/mono.git",
                "revision": "develop",
                "depth": 7,
                "submodules": True,
                "subpath": "svc/web",
                "credentials": {**_FROM_LIB, "https_username": "oauth2"},
            }
        },
        "develop|svc/web|oauth2|'7'",
    ),
    "image": ({"image": f"{REGISTRY}/other"}, f"{REGISTRY}/other"),
    "builder": ({"builder": "heroku/builder:24"}, "REFUSED:heroku/builder:24"),
    "buildpacks": ({"buildpacks": ["paketo-buildpacks/python"]}, "paketo-buildpacks/python"),
    "env": ({"env": {"BP_X": "42"}}, "BP_X=42"),
    "cache_image": ({"cache_image": f"{REGISTRY}/c"}, f"{REGISTRY}/c"),
    "run_image": ({"run_image": "ghcr.io/acme/run:1"}, "ghcr.io/acme/run:1"),
    "previous_image": ({"previous_image": f"{REGISTRY}/app:prev"}, f"{REGISTRY}/app:prev"),
    "registry_secret": ({"registry_secret": "regcred"}, "REFUSED:registry_secret"),
    "registry": ({"registry": {"ca": {"secret": "ca"}}}, "REFUSED:registry.ca is set"),
    "tag": (
        {"tag": {"from_git": True, "floating": False, "latest": True, "allow_untagged": True}},
        "allow-untagged|from-git|latest|floating",
    ),
    "creation_time": ({"creation_time": "now"}, "creation-time"),
    "layout": ({"layout": "steps"}, "buildpacks-export"),
    "mode": ({"mode": "pack-dind"}, "REFUSED:mode"),
    "log_level": ({"log_level": "debug"}, "REFUSED:log_level"),
    "service_account": ({"service_account": "builder-sa"}, "builder-sa"),
    "node_selector": ({"node_selector": {"pool": "builds"}}, "builds"),
    "tolerations": ({"tolerations": [{"key": "dedicated", "value": "ci"}]}, "dedicated"),
    "resources": ({"resources": {"build": {"limits": {"memory": "16Gi"}}}}, "REFUSED:resources"),
    "retries": ({"retries": {"push": 5}}, "REFUSED:retries"),
    "workspace": ({"layout": "steps", "workspace": {"size": "30Gi"}}, "30Gi"),
    "active_deadline_seconds": ({"active_deadline_seconds": 7777}, "7777"),
    "pod_gc": ({"pod_gc": "OnWorkflowCompletion"}, "OnWorkflowCompletion"),
    "ttl": ({"ttl": {"after_success": 4321}}, "4321"),
    "mutex": ({"mutex": False}, "ABSENT:synchronization"),
    "images": ({"images": {"shell": "mirror.example.com/busybox:1.37.0"}}, "REFUSED:images"),
    "overridable": ({"overridable": ["image"]}, "{{workflow.parameters.image}}"),
    "executor_service_account": ({"executor_service_account": "exec-sa"}, "exec-sa"),
    "executor_security": ({"executor_security": "controller"}, "REFUSED:executor_security"),
    "trigger": ({"trigger": {"provider": "github", "webhook_secret": "hook"}}, "REFUSED:trigger"),
    "schedule": ({"schedule": "0 3 * * 1", "tag": {"from_git": True}}, "REFUSED:schedule"),
    "rebase": ({"rebase": {"schedule": "0 4 * * *", "tag": "1"}}, "REFUSED:rebase"),
    "sbom": ({"sbom": True}, "REFUSED:sbom is set"),
    "sign": ({"sign": {"cosign_key_secret": "cosign-key"}}, "REFUSED:sign is set"),
    "deploy": (
        {"deploy": {"kubernetes": {"namespace": "apps", "deployment": "web", "container": "app"}}},
        "set-image",
    ),
}


def test_every_config_key_has_a_library_decision() -> None:
    assert sorted(SETTINGS) == sorted(BuildConfig.model_fields)


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_library_mode_keeps_every_setting(key: str) -> None:
    """A per-app setting reaches the app's template or is refused naming it: never dropped."""
    over, expect = SETTINGS[key]
    cfg = config(**over)
    if expect.startswith("REFUSED:"):
        with pytest.raises(ConfigError, match=expect.removeprefix("REFUSED:").replace("/", ".")):
            app_template(cfg, LIB)
        return
    text = render_yaml(app_template(cfg, LIB))
    if expect.startswith("ABSENT:"):
        assert expect.removeprefix("ABSENT:") not in text
        assert expect.removeprefix("ABSENT:") in render_yaml(app_template(APP, LIB))
        return
    for part in expect.split("|"):
        assert part in text, part


def test_a_library_without_an_input_the_app_needs_is_refused() -> None:
    """A library applied before a setting existed must not drop it in silence."""
    old = read_back(LIB)
    for t in old.templates or []:
        assert isinstance(t, Template)
        if t.inputs and t.inputs.parameters:
            t.inputs.parameters = [p for p in t.inputs.parameters if p.name != "allow-untagged"]
    cfg = config(tag={"from_git": True, "allow_untagged": True})
    with pytest.raises(ConfigError, match=r"tag\.allow_untagged = 'true' has no input"):
        app_template(cfg, old)
    # The same library read back from YAML, unchanged, serves the app.
    assert app_template(cfg, read_back(LIB))


def read_back(library: ClusterWorkflowTemplate) -> ClusterWorkflowTemplate:
    """The library as installed: its manifest, parsed back by Hera."""
    back = ClusterWorkflowTemplate.from_yaml(render_yaml(library))
    assert isinstance(back, ClusterWorkflowTemplate)
    return back


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_allow_untagged_reaches_the_version_step(layout: str) -> None:
    app = app_template(config(layout=layout, tag={"from_git": True, "allow_untagged": True}), LIB)
    step = "version" if layout == "steps" else "build"
    template, values = params_for(app, step, {"tag": "", "revision": "main"})
    assert values["allow-untagged"] == "true"
    node = library_node(template, "version") if layout == "single-pod" else library_part(template)
    assert {"name": "ALLOW_UNTAGGED", "value": "{{inputs.parameters.allow-untagged}}"} in [
        {"name": e.name, "value": e.value} for e in node.env
    ]
