"""``git_clone.sh``'s refusals of a run's ``repo`` and ``revision``, before git runs.

Behaviour only: a value goes in as a run would submit it (the template's ``repo`` and
``revision`` inputs), the script's one-line refusal comes out, and a recording ``git`` first
on PATH shows that no git command ran at all (not ``init``, not ``fetch``). These guards hold
whatever the script's URL parsing looks like: git would refuse many of these values too
(GIT_ALLOW_PROTOCOL, its refname rules), so only a git that never ran proves the script
refused them itself, before a URL or a refspec reached git.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from argo_buildpacks.components import git_clone
from argo_buildpacks.model.config import Builder, GitSource
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
CONFIGURED = "https://example.invalid/acme/app.git"
#: repo_overridable: a run may submit its own repo (what a hostile submitter would use).
COMPONENT = render(git_clone(GitSource(url=CONFIGURED), builder=BUILDER, repo_overridable=True))


def clone(shell: Shell, tmp_path: Path, *, repo: str, revision: str) -> tuple[int, str, Path]:
    """Run the clone with a recording ``git`` (it logs its arguments and fails); returns the
    exit status, stderr and the log (which exists only if git ran)."""
    log = tmp_path / "git-ran"
    fake = write_executable(tmp_path / "bin" / "git", f'printf "%s\\n" "$*" >>"{log}"\nexit 1\n')
    ws = tmp_path / "ws"
    (tmp_path / "tmp").mkdir()
    done = run(
        shell,
        COMPONENT,
        params={"repo": repo, "revision": revision},
        env={
            "WORKSPACE": str(ws),
            "OUT_DIR": str(ws / "out"),
            "RETRY_DELAY": "0",
            "TMPDIR": str(tmp_path / "tmp"),
        },
        path_prefix=(fake.parent,),
        cwd=tmp_path,
    )
    assert not (ws / "src").exists(), "the clone directory was created"
    return done.returncode, done.stderr, log


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "repo",
    [
        "ftp://example.invalid/acme/app.git",
        "ftps://example.invalid/acme/app.git",
        "rsync://example.invalid/acme/app.git",
        "svn+ssh://example.invalid/acme/app.git",
        "ext://example.invalid/acme/app.git",
        "foo://example.invalid/acme/app.git",
    ],
)
def test_a_scheme_outside_the_allowed_transports_is_refused(
    shell: Shell, tmp_path: Path, repo: str
) -> None:
    code, stderr, log = clone(shell, tmp_path, repo=repo, revision="main")
    assert (code, stderr) == (
        1,
        f"git-clone: repo '{repo}' has a scheme that is not allowed "
        "(https, http, ssh, git, file)\n",
    )
    assert not log.exists(), "git ran: " + log.read_text()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "repo",
    [
        "https://example.invalid/acme/app.git",
        "http://example.invalid/acme/app.git",
        "ssh://git@example.invalid/acme/app.git",
        "git://example.invalid/acme/app.git",
        "git@example.invalid:acme/app.git",
    ],
)
def test_the_allowed_transports_reach_git(shell: Shell, tmp_path: Path, repo: str) -> None:
    # The other side of the scheme rule: these pass the checks, so the recording git runs
    # (and fails, being a fake): the refusals above are the rule's, not the fake's.
    code, _, log = clone(shell, tmp_path, repo=repo, revision="main")
    assert code != 0
    assert log.read_text().splitlines()[0].startswith("init -q ")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "revision",
    [
        "main..feature",  # a range: everything on feature not on main
        "v1.0.0..",
        "..main",
        "a...b",  # a symmetric difference
        "refs/heads/main..refs/heads/evil",  # a full ref name is no exception
        "refs/tags/v1..v2",
        "release/..",
    ],
)
def test_a_revision_range_is_refused_before_git_runs(
    shell: Shell, tmp_path: Path, revision: str
) -> None:
    code, stderr, log = clone(shell, tmp_path, repo=CONFIGURED, revision=revision)
    assert (code, stderr) == (
        1,
        f"git-clone: revision '{revision}' is not a valid branch, tag or commit SHA\n",
    )
    assert not log.exists(), "git ran: " + log.read_text()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("revision", ["main", "release/1.x", "v1.0.0", "a.b"])
def test_a_single_dot_is_not_a_range(shell: Shell, tmp_path: Path, revision: str) -> None:
    code, _, log = clone(shell, tmp_path, repo=CONFIGURED, revision=revision)
    assert code != 0
    assert log.read_text().splitlines()[0].startswith("init -q ")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("brk", ["\n", "\r"])
@pytest.mark.parametrize(
    ("what", "repo", "revision"),
    [
        ("repo", CONFIGURED + "{brk}https://evil.example/x.git", "main"),
        ("repo", CONFIGURED + "{brk}", "main"),
        ("revision", CONFIGURED, "main{brk}evil"),
        ("revision", CONFIGURED, "{brk}main"),
    ],
)
def test_a_line_break_is_refused_before_git_runs(
    shell: Shell, tmp_path: Path, brk: str, what: str, repo: str, revision: str
) -> None:
    # A second line would forge log lines; the refusal names the rule, not a side effect of
    # another one (whitespace, the URL shape), and shows no value.
    code, stderr, log = clone(
        shell, tmp_path, repo=repo.format(brk=brk), revision=revision.format(brk=brk)
    )
    assert (code, stderr) == (1, f"git-clone: {what} contains a line break\n")
    assert not log.exists(), "git ran: " + log.read_text()
