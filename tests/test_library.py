"""Library mode: one ClusterWorkflowTemplate of components, thin per-app templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gitrepos import make_repo
from runscript import SHELLS, Shell, render, run, write_executable
from test_build_script import DIGEST, FAKE_CREATOR

from argo_buildpacks import BuildConfig, ConfigError
from argo_buildpacks.components import buildpacks_build
from argo_buildpacks.library import LIBRARY_INPUTS, app_template, library_template
from argo_buildpacks.linting import lint
from argo_buildpacks.pipeline import render as render_yaml
from argo_buildpacks.pipeline import to_manifest, workflow_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
LIB = library_template()


def config(**over: Any) -> BuildConfig:
    return BuildConfig.from_dict({**EXAMPLE.model_dump(mode="json"), **over})


def steps_of(app: Any) -> list[dict[str, Any]]:
    main = next(t for t in to_manifest(app)["spec"]["templates"] if t["name"] == "main")
    return [group[0] for group in main["steps"]]


def params_for(app: Any, step: str, workflow: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The library template a step calls and its inputs' values, as Argo would resolve them."""
    call = next(s for s in steps_of(app) if s["name"] == step)
    template = call["templateRef"]["template"]
    values = {n: v for n, v in LIBRARY_INPUTS.items() if v is not None}
    for p in call["arguments"]["parameters"]:
        value = p["value"]
        if value.startswith("{{workflow.parameters."):
            value = workflow[value.removeprefix("{{workflow.parameters.").removesuffix("}}")]
        values[p["name"]] = value
    return template, values


def library_part(template: str) -> Any:
    return next(t for t in LIB.templates if t.name == template)


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
                    "credentials": {"ssh_key_secret": "git-ssh"},
                },
            ),
            LIB,
        ),
    ]
    manifests = [to_manifest(LIB), *(to_manifest(a) for a in apps)]
    runs = [to_manifest(workflow_for(a, tag="1.2.3")) for a in apps]
    findings = lint([*manifests, *runs])
    assert [f for f in findings if f.severity == "error"] == []
    # The library's step templates mount the caller's workspace claim: said, not an error.
    assert all("names no volume" in f.message for f in findings), findings
    assert all(f.document == "ClusterWorkflowTemplate/argo-buildpacks" for f in findings)
    for m in manifests[1:]:
        assert m["spec"]["entrypoint"] == "main"
        assert [p["name"] for p in m["spec"]["arguments"]["parameters"]] == [
            "tag",
            "revision",
            "repo",
            "image",
        ]


def test_library_carries_no_placeholder_values() -> None:
    text = render_yaml(LIB)
    assert "example.invalid" not in text
    assert "placeholder" not in text.lower()
    assert "PLACEHOLDER" not in text
    names = [t.name for t in LIB.templates]
    assert names == ["build", "tag-check", "git-clone", "version", "buildpacks-build"]
    outputs = {
        p["globalName"]
        for t in to_manifest(LIB)["spec"]["templates"]
        if t["name"] == "build"
        for p in t["outputs"]["parameters"]
    }
    assert outputs == {"image", "digest", "tags", "commit"}


def test_library_secrets_are_optional_references() -> None:
    build = next(t for t in to_manifest(LIB)["spec"]["templates"] if t["name"] == "build")
    secrets = {v["name"]: v["secret"] for v in build["volumes"] if "secret" in v}
    assert secrets["git-credentials"]["secretName"] == "{{inputs.parameters.git-secret}}"
    assert secrets["git-credentials"]["optional"] is True
    assert secrets["registry-credentials"]["secretName"] == "{{inputs.parameters.registry-secret}}"


def test_app_passes_only_what_differs() -> None:
    (call,) = steps_of(app_template(EXAMPLE, LIB))
    args = {p["name"]: p["value"] for p in call["arguments"]["parameters"]}
    assert call["templateRef"] == {
        "name": "argo-buildpacks",
        "template": "build",
        "clusterScope": True,
    }
    assert args["build-env"] == "BP_CPYTHON_VERSION=3.12"
    assert args["git-auth"] == "https"
    assert args["git-secret"] == "git-token"
    assert args["git-auth-url-prefix"] == "https://github.com/"
    assert args["registry-secret"] == "regcred"
    assert "depth" not in args and "floating" not in args


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
                    "credentials": {"https_token_secret": "t", "https_token_key": "pat"},
                }
            },
            "standard keys",
        ),
    ],
)
def test_apps_that_do_not_fit_are_refused(over: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        app_template(config(**over), LIB)


def test_library_for_another_builder() -> None:
    lib = library_template(name="heroku-builds", builder="heroku/builder:24")
    app = app_template(config(builder="heroku/builder:24"), lib)
    assert steps_of(app)[0]["templateRef"]["name"] == "heroku-builds"
    clone = next(t for t in to_manifest(lib)["spec"]["templates"] if t["name"] == "git-clone")
    assert clone["container"]["securityContext"]["runAsUser"] == 1002
    assert [f for f in lint([to_manifest(lib), to_manifest(app)]) if f.severity == "error"] == []


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
    template, params = params_for(
        app, "git-clone", {"repo": repo.url, "revision": "main", "tag": ""}
    )
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
def test_library_build_matches_direct_component(shell: Shell, tmp_path: Path) -> None:
    cfg = config(
        layout="steps",
        env={"BP_CPYTHON_VERSION": "3.12", "BP_X": "a b $(touch SENTINEL)"},
        buildpacks=["paketo-buildpacks/python@1.2.3"],
        run_image="registry.example.com/run:1",
        creation_time="now",
    )
    template, params = params_for(
        app_template(cfg, LIB), "build", {"image": str(cfg.image), "tag": "1.2.3"}
    )
    seen = {}
    for label, rendered, p in [
        ("direct", render(buildpacks_build(cfg)), {"image": str(cfg.image)}),
        ("library", render(library_part(template)), params),
    ]:
        root = tmp_path / label
        ws = root / "ws"
        (ws / "src").mkdir(parents=True)
        (ws / "out").mkdir()
        (ws / "out" / "tags").write_text("1.2.3,1.2,1")
        (root / "fake").mkdir()
        creator = write_executable(root / "bin" / "creator", FAKE_CREATOR)
        done = run(
            shell,
            rendered,
            params=p,
            env={
                "WORKSPACE": str(ws),
                "OUT_DIR": str(ws / "out"),
                "LAYERS_DIR": str(root / "layers"),
                "PLATFORM_DIR": str(ws / "platform"),
                "CREATOR": str(creator),
                "FAKE_DIR": str(root / "fake"),
                "FAKE_DIGEST": DIGEST,
            },
            cwd=root,
        )
        assert done.returncode == 0, done.stderr
        argv = (root / "fake" / "argv").read_text().replace(str(root), "ROOT").split("\0")
        env_files = {f.name: f.read_text() for f in (ws / "platform" / "env").iterdir()}
        order = (ws / "order.toml").read_text()
        seen[label] = (argv, env_files, order, (ws / "out" / "digest").read_text())
    assert seen["library"] == seen["direct"]
    assert seen["direct"][1] == {"BP_CPYTHON_VERSION": "3.12", "BP_X": "a b $(touch SENTINEL)"}
    assert not list(tmp_path.rglob("SENTINEL"))
