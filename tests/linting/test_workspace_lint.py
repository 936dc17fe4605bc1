"""lint catches a build whose app directory no clone writes, an app path that leaves the
repository, and two builds pushing one image (argo_buildpacks/linting/_workspace.py).

The first is issue 21's monorepo trap: one clone feeding two builds composed from configs of
different names validates in Argo and fails at run time. Reproduced here with the real
scripts (the clone against a real repository, the build's detect phase against a fake
lifecycle), then shown to be what lint reports.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hera.workflows import Steps, WorkflowTemplate

from argo_buildpacks import BuildConfig, lint, to_manifest, workflow_template
from argo_buildpacks.components import buildpacks_build, git_clone, tag_check
from argo_buildpacks.model.monorepo import Monorepo
from argo_buildpacks.templates.compose import compose
from argo_buildpacks.templates.monorepo import monorepo_template
from tests.support.gitrepos import Repo, make_repo
from tests.support.lifecycle import FAKE_LIFECYCLE
from tests.support.podfs import Workflow
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

URL = "https://github.com/acme/shop.git"


def app(name: str, subpath: str, image: str | None = None, url: str = URL) -> BuildConfig:
    return BuildConfig.from_dict(
        {
            "name": name,
            "source": {"url": url, "subpath": subpath},
            "image": image or f"ghcr.io/acme/{name}",
            "layout": "steps",
        }
    )


def one_clone_two_builds(api: BuildConfig, web: BuildConfig) -> WorkflowTemplate:
    """What issue 21 describes: the api's clone feeding the api's and the web's builds."""
    with WorkflowTemplate(name="shop", namespace="argo", entrypoint="main") as wt:
        check = tag_check(api)
        clone = git_clone(api)
        build_api = buildpacks_build(api)
        build_web = buildpacks_build(web)
        with Steps(name="main"):
            check(arguments={"tag": "{{workflow.parameters.tag}}"})
            clone(arguments={"revision": "{{workflow.parameters.revision}}"})
            tags = "{{steps.tag-check.outputs.parameters.tags}}"
            epoch = "{{steps.git-clone.outputs.parameters.commit-epoch}}"
            build_api(arguments={"tags": tags, "commit-epoch": epoch})
            build_web(arguments={"tags": tags, "commit-epoch": epoch})
    return compose(wt, api)


def errors(manifest: dict[str, Any]) -> list[str]:
    return [f.message for f in lint(manifest) if f.severity == "error"]


def workspace_errors(manifest: dict[str, Any]) -> list[str]:
    return [m for m in errors(manifest) if "no clone" in m or "push image" in m or "SUBPATH" in m]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    r = make_repo(tmp_path_factory.mktemp("repos") / "shop")
    r.commit("apps", {"services/api/app.py": "api\n", "web/app.js": "web\n"})
    return r


@pytest.mark.parametrize("shell", SHELLS)
def test_one_clone_two_builds_fails_at_run_time_and_lint_says_where(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    api, web = app("shop-api", "services/api", url=repo.url), app("shop-web", "web", url=repo.url)
    wt = one_clone_two_builds(api, web)
    templates = {t.name: t for t in wt.templates}
    # The run: the one clone, then each build's detect phase, as its pod sees the claim.
    wf = Workflow(tmp_path)
    (tmp_path / "cwd").mkdir()
    clone = templates["git-clone"]
    pod = wf.pod(clone)
    done = run(
        shell,
        render(clone),
        params={"revision": "main", "expected-commit": ""},
        env={**pod.env(clone), "RETRY_DELAY": "0"},
        cwd=tmp_path / "cwd",
    )
    assert done.returncode == 0, done.stderr
    lifecycle = tmp_path / "lifecycle"
    write_executable(lifecycle / "detector", FAKE_LIFECYCLE)
    results = {}
    ran = {}
    for name in ("build-shop-api", "build-shop-web"):
        build = wf.pod(templates[name])
        detect = build.container("detect")
        fake = build.root / "fake"
        fake.mkdir(parents=True)
        results[name] = run(
            shell,
            render(detect),
            env=build.env(detect, {"LIFECYCLE": str(lifecycle), "FAKE_DIR": str(fake)}),
            cwd=tmp_path / "cwd",
        )
        ran[name] = (fake / "detector.argv").exists()
    assert results["build-shop-api"].returncode == 0, results["build-shop-api"].stderr
    web_run = results["build-shop-web"]
    assert web_run.returncode == 1
    assert "app directory '" in web_run.stderr
    assert "/workspace/shop-web/src/web' does not exist (is the subpath right?)" in web_run.stderr
    assert ran == {"build-shop-api": True, "build-shop-web": False}  # web's lifecycle never ran
    # Argo's own rules and the rest of lint pass it; the workspace rule names the build.
    found = workspace_errors(to_manifest(wt))
    assert len(found) == 1, found
    assert found[0].startswith(
        "template 'build-shop-web' reads its app directory from /workspace/shop-web/src/web, "
        "where no clone of this workflow writes (the clone in 'git-clone' writes "
        "/workspace/shop-api/src (volume 'workspace'))"
    )
    assert "docs/monorepo.md" in found[0]


def test_the_monorepo_form_of_the_same_lints_clean() -> None:
    mono = Monorepo.from_dict(
        {
            "name": "shop",
            "source": {"url": URL},
            "apps": [
                {"name": "shop-api", "path": "services/api", "image": "ghcr.io/acme/shop-api"},
                {"name": "shop-web", "path": "web", "image": "ghcr.io/acme/shop-web"},
            ],
        }
    )
    assert errors(to_manifest(monorepo_template(mono))) == []


def test_generated_templates_lint_clean_in_every_layout() -> None:
    for layout in ("single-pod", "steps"):
        cfg = app("shop-api", "services/api").model_copy(update={"layout": layout})
        assert workspace_errors(to_manifest(workflow_template(cfg))) == []


def _monorepo_manifest() -> dict[str, Any]:
    mono = Monorepo.from_dict(
        {
            "name": "shop",
            "source": {"url": URL},
            "apps": [{"name": "shop-web", "path": "web", "image": "ghcr.io/acme/shop-web"}],
        }
    )
    return to_manifest(monorepo_template(mono))


def _env(manifest: dict[str, Any], template: str, container: str) -> list[dict[str, Any]]:
    tmpl = next(t for t in manifest["spec"]["templates"] if t["name"] == template)
    node = next(c for c in tmpl["containerSet"]["containers"] if c["name"] == container)
    env: list[dict[str, Any]] = node["env"]
    return env


def test_a_monorepo_copy_of_no_clone_is_an_error() -> None:
    manifest = copy.deepcopy(_monorepo_manifest())
    for e in _env(manifest, "build-shop-web", "source"):
        if e["name"] == "SOURCE":
            e["value"] = "/source/shop-web/src"
    found = workspace_errors(manifest)
    assert len(found) == 1, found
    assert found[0].startswith(
        "template 'build-shop-web' reads the clone it copies (SOURCE) from /source/shop-web/src, "
        "where no clone of this workflow writes"
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("../api", "must be a plain relative path"),
        ("/etc", "must be relative to the repository root"),
    ],
)
def test_an_app_path_that_leaves_the_repository_is_an_error(value: str, why: str) -> None:
    manifest = copy.deepcopy(_monorepo_manifest())
    for container in ("source", "detect"):
        for e in _env(manifest, "build-shop-web", container):
            if e["name"] == "SUBPATH":
                e["value"] = value
    found = [m for m in workspace_errors(manifest) if "SUBPATH" in m]
    assert found, workspace_errors(manifest)
    assert all(m.startswith(f"template 'build-shop-web': SUBPATH '{value}'") for m in found)
    assert all(why in m for m in found)


def test_two_builds_pushing_one_image_is_an_error() -> None:
    api = app("shop-api", "services/api", image="ghcr.io/acme/shop")
    web = app("shop-web", "web", image="ghcr.io/acme/shop")
    with WorkflowTemplate(name="shop", namespace="argo", entrypoint="main") as wt:
        git_clone(api, name="git-clone-api")
        git_clone(web, name="git-clone-web")
        buildpacks_build(api)
        buildpacks_build(web)
    compose(wt, api, parameters=False)
    found = [m for m in workspace_errors(to_manifest(wt)) if "push image" in m]
    assert found == [
        "templates 'build-shop-api', 'build-shop-web' all push image 'ghcr.io/acme/shop': each "
        "overwrites the other's tags; give each app its own image"
    ]
