"""A branch must never stand in for a release tag (issue 19, item 3).

The attack: anyone who may push branches pushes a branch ``v1.4.2``; the Sensor passed the
bare tag name, and the clone tried ``refs/heads/`` first, so the branch was built, pushed as
1.4.2, 1.4 and 1, signed and deployed. Here one real repository holds both a tag ``v1.4.2``
(the reviewed commit, annotated) and a branch ``v1.4.2`` (another commit), and the packaged
clone runs under real shells against it. A recording ``git`` logs every fetch; the clone's
object store shows whether the branch's commit ever arrived.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from argo_buildpacks.components import git_clone
from argo_buildpacks.model.config import BuildConfig, Builder, GitSource
from argo_buildpacks.model.release import release_arguments
from argo_buildpacks.templates.triggers import sensor
from tests.support.gitrepos import Repo, make_repo
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
REAL_GIT = shutil.which("git") or "git"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@dataclass(frozen=True)
class Forked:
    repo: Repo
    reviewed: str  # the commit the tag v1.4.2 names
    tag_object: str  # the annotated tag object itself
    branch: str  # the branch v1.4.2's commit


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Forked:
    repo = make_repo(tmp_path_factory.mktemp("release") / "app")
    reviewed = repo.commit("reviewed", {"app.py": "print('ok')\n"})
    repo.tag("v1.4.2", annotated=True)
    repo.branch("v1.4.2")
    repo.switch("v1.4.2")
    branch = repo.commit("not reviewed", {"app.py": "print('pwned')\n"})
    repo.switch("main")
    return Forked(repo, reviewed, repo.git("rev-parse", "refs/tags/v1.4.2"), branch)


@dataclass(frozen=True)
class Result:
    code: int
    stderr: str
    fetches: list[str]
    dest: Path
    out: Path

    def has(self, sha: str) -> bool:
        """Whether the clone's object store holds ``sha`` at all."""
        if not (self.dest / ".git").exists():
            return False
        found = subprocess.run(
            [REAL_GIT, "-C", str(self.dest), "cat-file", "-e", sha],
            capture_output=True,
            check=False,
        )
        return found.returncode == 0


def clone(shell: Shell, tmp_path: Path, repo: Repo, revision: str, expected: str = "") -> Result:
    log = tmp_path / "fetches"
    fake = write_executable(
        tmp_path / "bin" / "git",
        f'if [ "$1" = fetch ]; then printf "%s\\n" "$*" >>"{log}"; fi\nexec "{REAL_GIT}" "$@"\n',
    )
    component = git_clone(GitSource(url=repo.url), builder=BUILDER)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    done = run(
        shell,
        render(component),
        params={"revision": revision, "expected-commit": expected},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "TMPDIR": str(tmp_path / "tmp"),
            "RETRY_DELAY": "0",
        },
        path_prefix=(fake.parent,),
        cwd=tmp_path,
    )
    fetches = log.read_text().splitlines() if log.exists() else []
    ws = tmp_path / "ws"
    return Result(done.returncode, done.stderr, fetches, ws / "src", ws / "out")


@pytest.mark.parametrize("shell", SHELLS)
def test_a_plain_name_that_is_a_branch_and_a_tag_is_refused(
    shell: Shell, tmp_path: Path, forked: Forked
) -> None:
    got = clone(shell, tmp_path, forked.repo, "v1.4.2")
    assert got.code == 1
    assert got.stderr == (
        f"git-clone: revision 'v1.4.2' is both a branch and a tag of '{forked.repo.url}'; "
        "give refs/heads/v1.4.2 or refs/tags/v1.4.2\n"
    )
    assert got.fetches == []  # only asked which refs exist
    assert not got.has(forked.branch) and not got.has(forked.reviewed)
    assert not (got.out / "commit").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_tag_ref_builds_the_tag_and_never_fetches_the_branch(
    shell: Shell, tmp_path: Path, forked: Forked
) -> None:
    got = clone(shell, tmp_path, forked.repo, "refs/tags/v1.4.2", expected=forked.tag_object)
    assert got.code == 0, got.stderr
    assert (got.out / "commit").read_text() == forked.reviewed
    assert (got.dest / "app.py").read_text() == "print('ok')\n"
    assert [f.split()[-1] for f in got.fetches] == ["refs/tags/v1.4.2"]
    assert not got.has(forked.branch)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_pushed_commit_may_be_the_tag_object_or_its_commit(
    shell: Shell, tmp_path: Path, forked: Forked
) -> None:
    got = clone(shell, tmp_path, forked.repo, "refs/tags/v1.4.2", expected=forked.reviewed)
    assert got.code == 0, got.stderr
    assert (got.out / "commit").read_text() == forked.reviewed


@pytest.mark.parametrize("shell", SHELLS)
def test_a_ref_that_names_another_commit_than_the_push_is_refused(
    shell: Shell, tmp_path: Path, forked: Forked
) -> None:
    """The event said the branch's commit; the tag names another: nothing is built."""
    got = clone(shell, tmp_path, forked.repo, "refs/tags/v1.4.2", expected=forked.branch)
    assert got.code == 1
    assert got.stderr == (
        f"git-clone: revision 'refs/tags/v1.4.2' is at {forked.reviewed}, not at the pushed "
        f"commit {forked.branch}; refusing to build it (the ref moved after the push)\n"
    )
    assert not (got.out / "commit").exists()
    assert not (got.dest / "app.py").exists()  # nothing checked out


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("expected", ["abc", "A" * 40, "a" * 39, "a" * 40 + "\nx"])
def test_a_malformed_expected_commit_is_refused_before_git_runs(
    shell: Shell, tmp_path: Path, forked: Forked, expected: str
) -> None:
    got = clone(shell, tmp_path, forked.repo, "refs/tags/v1.4.2", expected=expected)
    assert got.code == 1
    shown = expected.replace("\n", "?")
    assert got.stderr == (
        f"git-clone: expected commit '{shown}' is not a full commit SHA (40 or 64 hex digits)\n"
    )
    assert got.fetches == []


@pytest.mark.parametrize("shell", SHELLS)
def test_the_branch_by_its_full_ref_is_still_the_branch(
    shell: Shell, tmp_path: Path, forked: Forked
) -> None:
    got = clone(shell, tmp_path, forked.repo, "refs/heads/v1.4.2")
    assert got.code == 0, got.stderr
    assert (got.out / "commit").read_text() == forked.branch


@pytest.mark.parametrize("shell", SHELLS)
def test_a_github_tag_push_end_to_end(shell: Shell, tmp_path: Path, forked: Forked) -> None:
    """The Sensor's parameters for a push of the tag, fed to the clone: the tag's commit."""
    config = BuildConfig.from_dict(
        {
            "name": "app",
            "source": {"url": "https://github.com/acme/app.git"},
            "image": "registry.example.com/acme/app",
            "trigger": {"provider": "github", "webhook_secret": "hook"},
        }
    )
    doc = sensor(config)
    params = doc["spec"]["triggers"][0]["template"]["argoWorkflow"]["parameters"]
    templates = {p["dest"].split(".")[3]: p["src"]["dataTemplate"] for p in params}
    # Revision: the full ref from body.ref; expected-commit: body.after (the tag object).
    assert "{{ .Input.body.ref }}" in templates["1"]
    assert "{{ .Input.body.after }}" in templates["2"]
    got = clone(shell, tmp_path, forked.repo, "refs/tags/v1.4.2", expected=forked.tag_object)
    assert (got.code, (got.out / "commit").read_text()) == (0, forked.reviewed)
    assert not got.has(forked.branch)


def test_submit_release_names_the_tag_ref() -> None:
    assert release_arguments("v1.4.2") == ("1.4.2", {"revision": "refs/tags/v1.4.2"})
