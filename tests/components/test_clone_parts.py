"""Issue 20, item 6: a single app's clone carries only its own credential kind.

A single app's template knows its credential kind when it is rendered (``source.credentials``),
so its clone script holds that kind's block only; the library's clone, whose run chooses the
kind (``git-auth``), holds every kind and the ``GIT_HOSTS`` check of where credentials may go.
A container asked for a kind, or given a ``GIT_HOSTS``, its script has no block for refuses
before git runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import to_manifest
from argo_buildpacks.components.git_clone import RUN_TIME_CREDENTIALS, git_clone
from argo_buildpacks.components.scripts import load
from argo_buildpacks.model.config import Builder, GitSource
from argo_buildpacks.templates.library import library_template
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
URL = "https://github.com/acme/app.git"


def _script(url: str = URL, **source: Any) -> str:
    return render(git_clone(GitSource(url=url, **source), builder=BUILDER)).script


def test_each_kind_carries_its_own_block_only() -> None:
    token = _script(credentials={"https_token_secret": "t"})
    key = _script("git@github.com:acme/app.git", credentials={"ssh_key_secret": "k"})
    public = _script()
    assert token == load("git_clone.sh", "https")
    assert key == load("git_clone.sh", "ssh")
    assert public == load("git_clone.sh", ())
    assert "extraHeader" in token and "GIT_SSH_COMMAND" not in token
    assert "GIT_SSH_COMMAND" in key and "extraHeader" not in key
    assert "extraHeader" not in public and "GIT_SSH_COMMAND" not in public
    # The host check (and the URL rules only it uses) is the library's alone.
    for text in (token, key, public):
        assert "credential_url" not in text and "redact_url" in text


def test_the_library_clone_carries_every_kind_and_the_host_check() -> None:
    library = library_template(registries=["registry.example.com"], git_hosts=["github.com"])
    commands = [
        c["command"]
        for t in to_manifest(library)["spec"]["templates"]
        for c in (t.get("containerSet") or {}).get("containers", [t.get("container") or {}])
        if (c.get("command") or [None] * 4)[3:4] == ["git-clone"]
    ]
    assert commands
    for command in commands:
        assert command[2] == load("git_clone.sh", RUN_TIME_CREDENTIALS)
        assert "credential_url" in command[2]
        assert "extraHeader" in command[2] and "GIT_SSH_COMMAND" in command[2]


def _clone(shell: Shell, tmp_path: Path, env: dict[str, str]) -> tuple[int, str, bool]:
    """Run the https-only clone (a recording fake git first in PATH): exit, stderr, and
    whether git ran at all."""
    calls = tmp_path / "calls"
    fake = write_executable(tmp_path / "bin" / "git", f'echo "$1" >>"{calls}"\nexit 1\n')
    secret = tmp_path / "secret"
    secret.mkdir()
    for name in ("token", "key", "known_hosts"):
        (secret / name).write_text("x\n")
    (tmp_path / "tmp").mkdir()
    component = git_clone(
        GitSource(url=URL, credentials={"https_token_secret": "t"}),
        builder=BUILDER,
        repo_overridable=True,
    )
    done = run(
        shell,
        render(component),
        params={"repo": "https://evil.test/acme/app.git", "revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "GIT_TOKEN_FILE": str(secret / "token"),
            "SSH_KEY_FILE": str(secret / "key"),
            "KNOWN_HOSTS_FILE": str(secret / "known_hosts"),
            "RETRIES": "0",
            "TMPDIR": str(tmp_path / "tmp"),
            **env,
        },
        path_prefix=(fake.parent,),
        cwd=tmp_path,
    )
    return done.returncode, done.stderr, calls.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_a_git_hosts_the_script_cannot_check_is_refused_before_git(
    shell: Shell, tmp_path: Path
) -> None:
    code, stderr, git_ran = _clone(shell, tmp_path, {"GIT_HOSTS": "github.com"})
    assert code == 1
    assert stderr == (
        "git-clone: GIT_HOSTS is set but this template's clone has no host check "
        "(its script part 'hosts')\n"
    )
    assert not git_ran


@pytest.mark.parametrize("shell", SHELLS)
def test_a_kind_the_script_has_no_block_for_is_refused_before_git(
    shell: Shell, tmp_path: Path
) -> None:
    code, stderr, git_ran = _clone(shell, tmp_path, {"AUTH": "ssh"})
    assert code == 1
    assert stderr == (
        "git-clone: AUTH 'ssh': this template's clone has no ssh credentials "
        "(its script part 'ssh')\n"
    )
    assert not git_ran
