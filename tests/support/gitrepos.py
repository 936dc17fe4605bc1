"""Real git repositories for the clone tests, built with the ``git`` command.

Commits get fixed author/committer dates, so ``commit-epoch`` is known in advance. Every
``git`` call runs with an isolated environment (no user or system config) and a fixed
identity, so the repositories are the same on any machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EPOCH0", "Repo", "git_env", "make_repo", "run_git"]

#: The committer date of the first commit of a repository made by these helpers.
EPOCH0 = 1_700_000_000


def git_env(home: Path | None = None, date: int | None = None) -> dict[str, str]:
    """An environment for ``git`` with no user/system config, a fixed identity and date."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.invalid",
        "LC_ALL": "C",
    }
    if home is not None:
        env["HOME"] = str(home)
    if date is not None:
        env["GIT_AUTHOR_DATE"] = f"@{date} +0000"
        env["GIT_COMMITTER_DATE"] = f"@{date} +0000"
    return env


def run_git(cwd: Path, *args: str, date: int | None = None, **extra: str) -> str:
    """Run ``git args`` in ``cwd`` and return its stdout without the trailing newline.

    Raises:
        subprocess.CalledProcessError: git failed (its stderr is in the exception).
    """
    env = git_env(cwd, date)
    env.update(extra)
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.rstrip("\n")


@dataclass
class Repo:
    """A non-bare repository on disk with a working tree; ``url`` is its ``file://`` URL."""

    path: Path
    next_date: int = EPOCH0

    @property
    def url(self) -> str:
        """The repository's ``file://`` URL."""
        return self.path.as_uri()

    def git(self, *args: str, **extra: str) -> str:
        """Run git in this repository (dated with the next commit's date)."""
        return run_git(self.path, *args, date=self.next_date, **extra)

    def commit(
        self,
        message: str,
        files: Mapping[str, str] | None = None,
        *,
        symlinks: Mapping[str, str] | None = None,
        date: int | None = None,
    ) -> str:
        """Write ``files`` (path -> text) and ``symlinks`` (path -> target), commit them with
        committer date ``date`` (default: one hour after the previous commit), return the SHA."""
        if date is not None:
            self.next_date = date
        for rel, text in (files or {}).items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for rel, dest in (symlinks or {}).items():
            link = self.path / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(dest)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        self.next_date += 3600
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        """The full SHA of ``rev`` (peeled to a commit)."""
        return self.git("rev-parse", f"{rev}^{{commit}}")

    def epoch(self, rev: str = "HEAD") -> int:
        """The committer date of ``rev``, in seconds."""
        return int(self.git("log", "-1", "--format=%ct", rev))

    def branch(self, name: str, at: str = "HEAD") -> None:
        """Create branch ``name`` at ``at`` without switching to it."""
        self.git("branch", name, at)

    def switch(self, name: str) -> None:
        """Check out branch ``name``."""
        self.git("checkout", "-q", name)

    def tag(self, name: str, at: str = "HEAD", *, annotated: bool = False) -> None:
        """A lightweight tag, or an annotated one (a tag object with a message)."""
        if annotated:
            self.git("tag", "-a", "-m", f"release {name}", name, at)
        else:
            self.git("tag", name, at)

    def add_submodule(self, sub: Repo, path: str) -> None:
        """Add ``sub`` (by its ``file://`` URL) as a submodule at ``path``; commit separately."""
        self.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.url, path)


def make_repo(path: Path, *, branch: str = "main", allow_filter: bool = True) -> Repo:
    """A new repository at ``path`` whose default branch is ``branch``.

    ``allow_filter`` lets clients fetch blob-less (``uploadpack.allowFilter``), as GitHub
    and GitLab do.
    """
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", branch)
    if allow_filter:
        run_git(path, "config", "uploadpack.allowFilter", "true")
    return Repo(path)
