"""A monorepo's apps cannot tamper with each other's sources (docs/security.md, "Monorepos").

Every build pod of a monorepo runs its app's code (detect, build) while the one clone lies on
the workflow's claim. The clone is mounted read-only in every build pod, and each build copies
it into an emptyDir of its own before any app code runs. The attack: app A's code writes
everything its build container can write, aiming at app B's sources; app B's build must still
get the committed tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.model.monorepo import Monorepo
from argo_buildpacks.templates.monorepo import SOURCE_MOUNT, monorepo_build
from tests.support.gitrepos import Repo, make_repo
from tests.support.lifecycle import FAKE_LIFECYCLE
from tests.support.podfs import Pod, Workflow
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

API_CODE = "print('api')\n"
WEB_CODE = "console.log('web')\n"
HOSTILE = "stolen = True\n"


def mono(repo: Repo, **over: object) -> Monorepo:
    return Monorepo.from_dict(
        {
            "name": "shop",
            "source": {"url": repo.url},
            "apps": [
                {"name": "shop-api", "path": "services/api", "image": "ghcr.io/acme/shop-api"},
                {"name": "shop-web", "path": "web", "image": "ghcr.io/acme/shop-web"},
            ],
            **over,
        }
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    r = make_repo(tmp_path_factory.mktemp("repos") / "shop")
    r.commit(
        "apps",
        {"services/api/app.py": API_CODE, "web/app.js": WEB_CODE, "README.md": "shop\n"},
        symlinks={"escape": "/etc"},
    )
    return r


def clone(shell: Shell, wf: Workflow, m: Monorepo) -> None:
    """The one git-clone pod, on the claim."""
    component = git_clone(m.shared, name="git-clone")
    pod = wf.pod(component)
    (wf.root / "cwd").mkdir(exist_ok=True)
    done = run(
        shell,
        render(component),
        params={"revision": "main", "expected-commit": ""},
        env={**pod.env(component), "RETRY_DELAY": "0"},
        cwd=wf.root / "cwd",
    )
    assert done.returncode == 0, done.stderr


def run_node(shell: Shell, pod: Pod, name: str, tmp: Path) -> tuple[int, str]:
    node = pod.container(name)
    rendered = render(node)
    lifecycle = tmp / "lifecycle"
    write_executable(lifecycle / "detector", FAKE_LIFECYCLE)
    fake = pod.root / "fake"
    fake.mkdir(parents=True, exist_ok=True)
    (tmp / "cwd").mkdir(exist_ok=True)
    done = run(
        shell,
        rendered,
        params={"tags": "1.0.0", "commit": "0" * 40, "commit-epoch": "1700000000"},
        env=pod.env(node, {"LIFECYCLE": str(lifecycle), "FAKE_DIR": str(fake)}),
        cwd=tmp / "cwd",
    )
    return done.returncode, done.stderr


def app_code_attacks(pod: Pod) -> list[Path]:
    """App A's code in its ``build`` container: overwrite every app file it can reach and plant
    app B's files wherever B might read them. Returns what it wrote."""
    wrote = []
    for root in pod.writable(pod.container("build")):
        for found in [*root.rglob("app.js"), *root.rglob("app.py")]:
            found.chmod(0o644)
            found.write_text(HOSTILE)
            wrote.append(found)
        for planted in (root / "shop" / "src" / "web" / "app.js", root / "shop-web/src/web/app.js"):
            planted.parent.mkdir(parents=True, exist_ok=True)
            planted.write_text(HOSTILE)
            wrote.append(planted)
    return wrote


@pytest.mark.parametrize("shell", SHELLS)
def test_one_apps_code_cannot_change_what_the_next_app_builds(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    m = mono(repo)
    wf = Workflow(tmp_path)
    clone(shell, wf, m)
    api, web = (monorepo_build(app, m.shared) for app in m.apps)
    # Every container of a build pod sees the clone read-only (the kernel enforces it).
    for build in (api, web):
        claim = [v for v in build.volume_mounts or [] if v.name == "workspace"]
        assert [(v.mount_path, v.read_only) for v in claim] == [(SOURCE_MOUNT, True)]
        assert all(
            not any(v.name == "workspace" for v in c.volume_mounts or []) for c in build.containers
        )
    pod_a = wf.pod(api)
    assert run_node(shell, pod_a, "source", tmp_path) == (0, "")
    wrote = app_code_attacks(pod_a)
    assert any("shop-api" in str(p) for p in wrote)  # A's own copy: its to change
    pod_b = wf.pod(web)
    code, err = run_node(shell, pod_b, "source", tmp_path)
    assert code == 0, err
    code, err = run_node(shell, pod_b, "detect", tmp_path)
    assert code == 0, err
    argv = (pod_b.root / "fake" / "detector.argv").read_text().split("\0")
    app_dir = Path(argv[argv.index("-app") + 1])
    assert app_dir == pod_b.host(pod_b.container("detect"), "/workspace/shop-web/src/web")
    assert (app_dir / "app.js").read_text() == WEB_CODE
    # The clone itself is untouched, for any later build.
    assert (wf.claim() / "shop" / "src" / "web" / "app.js").read_text() == WEB_CODE


@pytest.mark.parametrize("shell", SHELLS)
def test_the_copy_refuses_an_app_path_that_leaves_the_repository(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    m = mono(repo)
    wf = Workflow(tmp_path)
    clone(shell, wf, m)
    m_escape = Monorepo.from_dict(
        {
            "name": "shop",
            "source": {"url": repo.url},
            "apps": [{"name": "shop-x", "path": "escape", "image": "ghcr.io/acme/x"}],
        }
    )
    pod = wf.pod(monorepo_build(m_escape.apps[0], m_escape.shared))
    code, err = run_node(shell, pod, "source", tmp_path)
    assert code == 1
    assert "monorepo-source: app directory 'escape' leads outside the repository" in err


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("subpath", "message"),
    [
        ("../other", "must be a plain relative path"),
        ("/etc", "must be relative to the repository root"),
        ("web/./x", "must be a plain relative path"),
    ],
)
def test_the_copy_refuses_a_subpath_a_run_bypassing_python_could_give(
    shell: Shell, tmp_path: Path, repo: Repo, subpath: str, message: str
) -> None:
    m = mono(repo)
    wf = Workflow(tmp_path)
    clone(shell, wf, m)
    pod = wf.pod(monorepo_build(m.apps[1], m.shared))
    node = pod.container("source")
    done = run(
        shell,
        render(node),
        env={**pod.env(node), "SUBPATH": subpath},
        cwd=wf.root / "cwd",
    )
    assert done.returncode == 1
    assert f"monorepo-source: app directory '{subpath}' {message}" in done.stderr
    # Nothing was copied: the refusal came before the copy.
    assert not (pod.host(node, "/workspace/shop-web/src")).exists()
