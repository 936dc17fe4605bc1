"""The monorepo form: one source, several apps, one clone (argo_buildpacks/templates/monorepo.py).

Checked: the config's refusals (naming the app, the key and the value), the rendered template
(one clone, one build and provenance per app, a parameter, a mutex and outputs per image),
the run of each app's build against the one clone with the real scripts, and the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hera.workflows import Steps, WorkflowTemplate

from argo_buildpacks import BuildConfig, ConfigError, lint, to_manifest, workflow_template
from argo_buildpacks.cli._main import cli
from argo_buildpacks.components import git_clone
from argo_buildpacks.model.monorepo import Monorepo
from argo_buildpacks.templates._workflow import mutex_name
from argo_buildpacks.templates.compose import compose
from argo_buildpacks.templates.monorepo import monorepo_build, monorepo_template
from tests.support.gitrepos import make_repo
from tests.support.lifecycle import FAKE_LIFECYCLE
from tests.support.podfs import Workflow
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

ROOT = Path(__file__).resolve().parents[2]
URL = "https://github.com/acme/shop.git"
API = {"name": "shop-api", "path": "services/api", "image": "ghcr.io/acme/shop-api"}
WEB = {"name": "shop-web", "path": "web", "image": "ghcr.io/acme/shop-web"}


def data(*apps: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"name": "shop", "source": {"url": URL}, "apps": list(apps or (API, WEB)), **over}


def refusal(d: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        Monorepo.from_dict(d, source="shop.yaml")
    return str(caught.value)


def test_each_app_is_a_whole_build_config_of_its_directory() -> None:
    mono = Monorepo.from_dict(data(API, {**WEB, "builder": "heroku/builder:24", "env": {"A": "1"}}))
    api, web = mono.apps
    assert (api.name, api.source.subpath, str(api.image)) == (
        "shop-api",
        "services/api",
        API["image"],
    )
    assert web.builder.image.name == "heroku/builder" and web.env == {"A": "1"}
    assert api.builder == mono.shared.builder and api.env == {}
    assert all(a.source.url == URL and a.layout == "steps" for a in mono.apps)


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        (
            [API, {**WEB, "path": "../api"}],
            "shop.yaml: apps[1] (shop-web): path: path '../api' must be a plain relative path",
        ),
        (
            [API, {**WEB, "path": "/srv/web"}],
            "shop.yaml: apps[1] (shop-web): path: path '/srv/web' must be relative to the "
            "repository root",
        ),
        (
            [API, {**WEB, "image": API["image"]}],
            "shop.yaml: apps[1] (shop-web): image: 'ghcr.io/acme/shop-api' is also apps[0] "
            "(shop-api)'s: two builds pushing one image overwrite each other's tags",
        ),
        (
            [API, {**WEB, "name": "shop-api"}],
            "shop.yaml: apps[1] (shop-api): name: 'shop-api' is also apps[0] (shop-api)'s",
        ),
        (
            [API, {**WEB, "bilder": "heroku/builder:24"}],
            "shop.yaml: apps[1] (shop-web): bilder: not an app setting (did you mean 'builder'?)",
        ),
        (
            [API, {**WEB, "builder": "nope"}],
            "shop.yaml: apps[1] (shop-web): builder: builder 'nope' is not a known builder",
        ),
        ([{"name": "x", "image": "ghcr.io/a/x"}], "shop.yaml: apps[0] (x): path: required"),
    ],
)
def test_refusals_name_the_app_the_key_and_the_value(
    apps: list[dict[str, Any]], message: str
) -> None:
    assert message in refusal(data(*apps))


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"image": "ghcr.io/acme/shop"}, "shop.yaml: image: each app has its own"),
        ({"source": {"url": URL, "subpath": "web"}}, "shop.yaml: source.subpath: 'web'"),
        ({"mode": "pack-dind"}, "shop.yaml: mode: 'pack-dind': a monorepo builds daemonless"),
        ({"layout": "single-pod"}, "shop.yaml: layout: 'single-pod'"),
        ({"overridable": ["image"]}, "shop.yaml: overridable: 'image'"),
        ({"deploy": {}}, "shop.yaml: deploy: not supported for a monorepo yet"),
        ({"apps": []}, "shop.yaml: apps: expected a non-empty list"),
    ],
)
def test_top_level_refusals(over: dict[str, Any], message: str) -> None:
    assert message in refusal(data(**over))


def manifest(**over: Any) -> dict[str, Any]:
    return to_manifest(monorepo_template(Monorepo.from_dict(data(**over))))


def test_one_clone_one_build_and_provenance_per_app() -> None:
    spec = manifest()["spec"]
    names = [t["name"] for t in spec["templates"]]
    assert names.count("git-clone") == 1
    assert {
        "build-shop-api",
        "provenance-shop-api",
        "build-shop-web",
        "provenance-shop-web",
    } <= set(names)
    steps = [[s["name"] for s in group] for group in spec["templates"][0]["steps"]]
    # A ReadWriteOnce claim: one build pod after the other.
    assert steps == [
        ["tag-check"],
        ["git-clone"],
        ["build-shop-api"],
        ["provenance-shop-api"],
        ["build-shop-web"],
        ["provenance-shop-web"],
    ]
    rwx = manifest(workspace={"access_modes": ["ReadWriteMany"]})["spec"]["templates"][0]["steps"]
    assert [[s["name"] for s in g] for g in rwx][2:] == [
        ["build-shop-api", "build-shop-web"],
        ["provenance-shop-api", "provenance-shop-web"],
    ]


def test_every_image_has_its_parameter_mutex_and_outputs() -> None:
    m = manifest()
    params = {p["name"]: p for p in m["spec"]["arguments"]["parameters"]}
    assert "image" not in params
    for app in (API, WEB):
        assert params[f"image-{app['name']}"]["enum"] == [app["image"]]
    # The very mutex a single-app template of the image takes: the two never run at once.
    single = [
        workflow_template(
            BuildConfig.from_dict({"name": a["name"], "source": {"url": URL}, "image": a["image"]})
        )
        for a in (API, WEB)
    ]
    wanted = sorted(to_manifest(t)["spec"]["synchronization"]["mutexes"][0]["name"] for t in single)
    assert [x["name"] for x in m["spec"]["synchronization"]["mutexes"]] == wanted
    outputs = {
        p["globalName"]
        for t in m["spec"]["templates"]
        for p in (t.get("outputs") or {}).get("parameters", [])
        if "globalName" in p
    }
    assert outputs == {
        f"{a['name']}-{k}" for a in (API, WEB) for k in ("image", "digest", "tags", "commit")
    }
    assert mutex_name(Monorepo.from_dict(data()).apps[0]) in wanted


def test_each_provenance_checks_its_own_build_of_the_one_clone() -> None:
    main = manifest()["spec"]["templates"][0]
    calls = {
        s["name"]: {p["name"]: p["value"] for p in s["arguments"]["parameters"]}
        for g in main["steps"]
        for s in g
    }
    assert (
        calls["provenance-shop-web"]["claimed-image"]
        == "{{steps.build-shop-web.outputs.parameters.image}}"
    )
    assert (
        calls["provenance-shop-web"]["claimed-commit"]
        == "{{steps.git-clone.outputs.parameters.commit}}"
    )
    assert calls["build-shop-web"]["commit"] == "{{steps.git-clone.outputs.parameters.commit}}"


@pytest.mark.parametrize("shell", SHELLS)
def test_each_app_builds_its_own_directory_of_the_one_clone(shell: Shell, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.commit("apps", {"services/api/app.py": "api\n", "web/app.js": "web\n"})
    mono = Monorepo.from_dict(data(source={"url": repo.url}))
    template = monorepo_template(mono)
    by_name = {t.name: t for t in template.templates}
    wf = Workflow(tmp_path / "wf")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    clone = by_name["git-clone"]
    done = run(
        shell,
        render(clone),
        params={"revision": "main", "expected-commit": ""},
        env={**wf.pod(clone).env(clone), "RETRY_DELAY": "0"},
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    write_executable(tmp_path / "lifecycle" / "detector", FAKE_LIFECYCLE)
    for app, path, file, content in (
        ("shop-api", "services/api", "app.py", "api\n"),
        ("shop-web", "web", "app.js", "web\n"),
    ):
        pod = wf.pod(by_name[f"build-{app}"])
        fake = pod.root / "fake"
        fake.mkdir(parents=True)
        for node in ("source", "detect"):
            c = pod.container(node)
            done = run(
                shell,
                render(c),
                env=pod.env(c, {"LIFECYCLE": str(tmp_path / "lifecycle"), "FAKE_DIR": str(fake)}),
                cwd=cwd,
            )
            assert done.returncode == 0, (app, node, done.stderr)
        argv = (fake / "detector.argv").read_text().split("\0")
        app_dir = Path(argv[argv.index("-app") + 1])
        assert app_dir == pod.host(pod.container("detect"), f"/workspace/{app}/src/{path}")
        assert (app_dir / file).read_text() == content


def test_the_command_line_renders_a_monorepo_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["render", "-f", str(ROOT / "examples" / "monorepo.yaml"), "-o", "name"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "workflowtemplate.argoproj.io/shop"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: shop\nsource: {url: https://github.com/acme/shop.git}\n"
        "apps:\n- {name: w, path: ../w, image: ghcr.io/a/w}\n"
    )
    result = CliRunner().invoke(cli, ["render", "-f", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}: apps[0] (w): path: path '../w' must be a plain relative path" in result.output
    assert "Traceback" not in result.output
    flags = CliRunner().invoke(
        cli, ["render", "-f", str(ROOT / "examples" / "monorepo.yaml"), "--image", "ghcr.io/a/b"]
    )
    assert flags.exit_code != 0
    assert "a monorepo config (it has 'apps') takes no config flags (--image)" in flags.output


def test_compose_given_the_monorepo_covers_every_image() -> None:
    mono = Monorepo.from_dict(data())
    with WorkflowTemplate(name="shop-ci", namespace="argo", entrypoint="main") as wt:
        clone = git_clone(mono.shared)
        builds = [monorepo_build(app, mono.shared) for app in mono.apps]
        with Steps(name="main"):
            clone(arguments={"revision": "{{workflow.parameters.revision}}"})
            for build in builds:
                build(arguments={"tags": "1.0.0", "commit-epoch": "1", "commit": ""})
    m = to_manifest(compose(wt, mono))
    params = {p["name"]: p for p in m["spec"]["arguments"]["parameters"]}
    assert "image" not in params
    assert [params[f"image-{a['name']}"]["enum"] for a in (API, WEB)] == [
        [API["image"]],
        [WEB["image"]],
    ]
    assert [x["name"] for x in m["spec"]["synchronization"]["mutexes"]] == sorted(
        mutex_name(a) for a in mono.apps
    )
    assert [f.message for f in lint(m) if f.severity == "error"] == []


def test_every_account_the_template_names_is_one_the_stream_renders() -> None:
    result = CliRunner().invoke(cli, ["render", "-f", str(ROOT / "examples" / "monorepo.yaml")])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    rendered = {d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"}
    template = next(d for d in docs if d["kind"] == "WorkflowTemplate")
    named = {v for k, v in _walk(template) if k == "serviceAccountName"}
    assert named == {"shop-executor"}
    assert named <= rendered


def _walk(value: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append((k, v))
            found += _walk(v)
    elif isinstance(value, list):
        for v in value:
            found += _walk(v)
    return found
