"""``git_clone.sh`` under real shells, against real repositories reached by ``file://`` URLs.

Each test renders the Hera component, substitutes the ``repo``/``revision`` inputs into its
env as Argo would, remaps ``/workspace`` to a temporary directory and runs the packaged
script. The checked-out tree and every output file are compared with what ``git`` says about
the source repository.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks.components import git_clone
from argo_buildpacks.components.scripts import load
from argo_buildpacks.model.config import Builder, GitSource
from argo_buildpacks.model.tags import SemverTag
from tests.support.gitrepos import EPOCH0, Repo, make_repo, run_git
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
REAL_GIT = shutil.which("git") or "git"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@dataclass(frozen=True)
class Source:
    """The module's repositories and the commits tests refer to."""

    repo: Repo
    untagged: Repo
    sub: Repo
    c1: str  # v1.0.0 (lightweight)
    c2: str  # v1.1.0 (annotated), adds the submodule
    c3: str  # main's tip: symlinks
    c4: str  # feature's tip
    sub_pinned: str  # the submodule commit c2 records (not the submodule's tip)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """A repository with a history, tags, a feature branch, a submodule, a monorepo app
    directory and symlinks; a submodule repository; a repository without tags."""
    root = tmp_path_factory.mktemp("repos")
    sub = make_repo(root / "lib")
    sub_pinned = sub.commit("lib v1", {"lib.txt": "lib v1\n"})
    sub.commit("lib v2", {"lib.txt": "lib v2\n"})

    repo = make_repo(root / "app")
    c1 = repo.commit(
        "first", {"README.md": "app\n", "services/api/app.py": "print('v1')\n"}, date=EPOCH0
    )
    repo.tag("v1.0.0")
    repo.add_submodule(sub, "vendor/lib")
    run_git(repo.path / "vendor/lib", "checkout", "-q", sub_pinned)
    c2 = repo.commit("second", {"services/api/app.py": "print('v2')\n"})
    repo.tag("v1.1.0", annotated=True)
    repo.branch("feature")
    c3 = repo.commit(
        "third",
        {"CHANGELOG.md": "3\n"},
        symlinks={"escape": "../out", "alias": "services/api", "etc": "/etc"},
    )
    repo.switch("feature")
    c4 = repo.commit("feature work", {"feature.txt": "f\n"})
    repo.switch("main")

    # A server that does not allow filters (uploadpack.allowFilter unset) sends blobs too.
    untagged = make_repo(root / "untagged", allow_filter=False)
    untagged.commit("one", {"a.txt": "1\n"})
    untagged.commit("two", {"a.txt": "2\n"})
    return Source(repo, untagged, sub, c1, c2, c3, c4, sub_pinned)


@dataclass(frozen=True)
class Clone:
    """One run of the script: its result and where it wrote."""

    code: int
    stdout: str
    stderr: str
    dest: Path
    out: Path
    tmp: Path

    def output(self, name: str) -> str:
        """An output file's exact content."""
        return (self.out / name).read_text(encoding="utf-8")

    def git(self, *args: str) -> str:
        """git in the clone."""
        return run_git(self.dest, *args)


def do_clone(
    shell: Shell,
    tmp_path: Path,
    *,
    repo: str,
    revision: str = "main",
    env: dict[str, str | None] | None = None,
    path_prefix: tuple[Path, ...] = (),
    describe: bool = False,
    **source: Any,
) -> Clone:
    """Render ``git_clone`` for a ``GitSource(url=repo, **source)`` and run it; with a
    separate ``url``, the run overrides the configured repository with ``repo``."""
    url = source.pop("url", repo)
    component = git_clone(
        GitSource(url=url, **source),
        builder=BUILDER,
        describe=describe,
        repo_overridable=url != repo,
        # GIT_HOSTS: the clone as the library runs it (every kind, the host check).
        any_credentials=bool((env or {}).get("GIT_HOSTS")),
    )
    ws = tmp_path / "ws"
    tmp = tmp_path / "tmp"
    cwd = tmp_path / "cwd"
    for d in (tmp, cwd):
        d.mkdir(exist_ok=True)
    done = run(
        shell,
        render(component),
        params={"repo": repo, "revision": revision},
        env={
            "WORKSPACE": str(ws),
            "OUT_DIR": str(ws / "out"),
            "RETRY_DELAY": "0",
            "TMPDIR": str(tmp),
            **(env or {}),
        },
        path_prefix=path_prefix,
        cwd=cwd,
    )
    return Clone(done.returncode, done.stdout, done.stderr, ws / "src", ws / "out", tmp)


def assert_outputs(clone: Clone, repo: Repo, rev: str) -> None:
    """The clone is at ``rev`` and its outputs say so."""
    assert clone.code == 0, clone.stderr
    sha = repo.head(rev)
    assert clone.git("rev-parse", "HEAD") == sha
    assert clone.output("commit") == sha
    assert clone.output("commit-epoch") == str(repo.epoch(rev))
    assert clone.git("status", "--porcelain", "--ignore-submodules") == ""
    assert clone.git("config", "remote.origin.url") == repo.url
    # The per-run HOME (mktemp under TMPDIR) is gone.
    assert list(clone.tmp.iterdir()) == []


@pytest.mark.parametrize("shell", SHELLS)
class TestRevisions:
    def test_default_branch(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="main")
        assert_outputs(clone, src.repo, "main")
        assert clone.output("commit") == src.c3
        assert clone.output("commit-epoch") == str(EPOCH0 + 2 * 3600)
        assert (clone.dest / "CHANGELOG.md").read_text() == "3\n"
        assert (clone.dest / "services/api/app.py").read_text() == "print('v2')\n"
        assert not (clone.out / "describe").exists()
        assert clone.stdout == f"git-clone: main at {src.c3}\n"

    def test_other_branch(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="feature")
        assert_outputs(clone, src.repo, "feature")
        assert clone.output("commit") == src.c4
        assert (clone.dest / "feature.txt").exists()
        assert not (clone.dest / "CHANGELOG.md").exists()

    def test_lightweight_tag(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="v1.0.0")
        assert_outputs(clone, src.repo, "v1.0.0")
        assert clone.output("commit") == src.c1
        assert clone.output("commit-epoch") == str(EPOCH0)
        assert (clone.dest / "services/api/app.py").read_text() == "print('v1')\n"

    def test_annotated_tag_is_peeled_to_its_commit(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="v1.1.0")
        assert_outputs(clone, src.repo, "v1.1.0")
        assert clone.output("commit") == src.c2
        assert src.repo.git("cat-file", "-t", "v1.1.0") == "tag"

    def test_full_sha_that_is_no_branch_tip(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision=src.c1)
        assert_outputs(clone, src.repo, src.c1)

    def test_head(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="HEAD")
        assert_outputs(clone, src.repo, "HEAD")
        assert clone.output("commit") == src.c3

    def test_empty_revision_means_head(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="")
        assert_outputs(clone, src.repo, "HEAD")

    def test_reclone_into_a_used_workspace(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        # A retried step on a persistent workspace finds the previous attempt's tree.
        first = do_clone(shell, tmp_path, repo=src.repo.url, revision="feature")
        assert first.code == 0, first.stderr
        (first.dest / "feature.txt").write_text("edited\n")
        (first.dest / "leftover.txt").write_text("stale\n")
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="v1.0.0")
        assert_outputs(clone, src.repo, "v1.0.0")
        assert not (clone.dest / "leftover.txt").exists()
        assert not (clone.dest / "feature.txt").exists()


@pytest.mark.parametrize("shell", SHELLS)
class TestHistory:
    def test_shallow_by_default(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url)
        assert_outputs(clone, src.repo, "main")
        assert clone.git("rev-list", "--count", "HEAD") == "1"
        assert clone.git("rev-parse", "--is-shallow-repository") == "true"
        assert clone.git("tag", "--list") == ""

    def test_depth_none_fetches_the_full_history(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, depth=None)
        assert_outputs(clone, src.repo, "main")
        assert clone.git("rev-list", "--count", "HEAD") == "3"
        assert clone.git("rev-parse", "--is-shallow-repository") == "false"

    def test_depth_two(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, depth=2)
        assert_outputs(clone, src.repo, "main")
        assert clone.git("rev-list", "--count", "HEAD") == "2"

    def test_describe_fetches_blobless_history_and_tags(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, describe=True)
        assert_outputs(clone, src.repo, "main")
        expected = src.repo.git("describe", "--tags", "--long", "--always", src.c3)
        assert clone.output("describe") == expected
        assert expected == f"v1.1.0-1-g{src.c3[:7]}"
        assert str(SemverTag.from_git_describe(clone.output("describe"))) == (
            f"1.1.1-dev.1+g{src.c3[:7]}"
        )
        assert int(clone.git("rev-list", "--count", "HEAD")) == 3
        assert clone.git("config", "remote.origin.partialclonefilter") == "blob:none"
        # Old file versions were never fetched (listed without a lazy fetch).
        objects = clone.git("rev-list", "--objects", "--missing=print", "HEAD").splitlines()
        assert f"?{src.repo.git('rev-parse', f'{src.c1}:services/api/app.py')}" in objects
        assert clone.git("config", "remote.origin.promisor") == "true"
        assert set(clone.git("tag", "--list").split()) == {"v1.0.0", "v1.1.0"}

    def test_describe_at_a_tag(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="v1.1.0", describe=True)
        assert_outputs(clone, src.repo, "v1.1.0")
        assert clone.output("describe") == f"v1.1.0-0-g{src.c2[:7]}"
        assert str(SemverTag.from_git_describe(clone.output("describe"))) == "1.1.0"

    def test_describe_without_tags_is_the_bare_sha(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.untagged.url, describe=True)
        assert_outputs(clone, src.untagged, "main")
        sha = src.untagged.head()
        assert clone.output("describe") == sha[:7]
        assert str(SemverTag.from_git_describe(clone.output("describe"), fallback=True)) == (
            f"0.0.0-dev+g{sha[:7]}"
        )


@pytest.mark.parametrize("shell", SHELLS)
class TestSubmodulesAndSubpath:
    def test_submodules_on(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, submodules=True)
        assert_outputs(clone, src.repo, "main")
        # The recorded commit, not the submodule's tip, and shallow like the parent.
        assert (clone.dest / "vendor/lib/lib.txt").read_text() == "lib v1\n"
        assert run_git(clone.dest / "vendor/lib", "rev-parse", "HEAD") == src.sub_pinned

    def test_submodules_with_describe(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        # The blob-less clone fetches .gitmodules and the files lazily, from the same remote.
        clone = do_clone(shell, tmp_path, repo=src.repo.url, submodules=True, describe=True)
        assert_outputs(clone, src.repo, "main")
        assert (clone.dest / "vendor/lib/lib.txt").read_text() == "lib v1\n"
        assert clone.output("describe") == f"v1.1.0-1-g{src.c3[:7]}"

    def test_submodules_off(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url)
        assert_outputs(clone, src.repo, "main")
        assert (clone.dest / "vendor/lib").is_dir()
        assert list((clone.dest / "vendor/lib").iterdir()) == []

    def test_subpath_exists(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, subpath="services/api")
        assert_outputs(clone, src.repo, "main")

    def test_subpath_symlink_inside_the_repo(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, subpath="alias")
        assert_outputs(clone, src.repo, "main")

    def test_subpath_missing(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, subpath="services/web")
        assert clone.code == 1
        assert clone.stderr == "git-clone: subpath 'services/web' is not a directory in main\n"
        assert not (clone.out / "commit").exists()

    @pytest.mark.parametrize("subpath", ["escape", "etc", "etc/ssl"])
    def test_subpath_symlink_leading_outside_is_refused(
        self, shell: Shell, tmp_path: Path, src: Source, subpath: str
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, subpath=subpath)
        assert clone.code == 1
        assert "leads outside the repository" in clone.stderr
        assert not (clone.out / "commit").exists()

    def test_subpath_that_is_a_file(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, subpath="README.md")
        assert clone.code == 1
        assert "subpath 'README.md' is not a directory" in clone.stderr


def git_wrapper(bin_dir: Path, body: str) -> Path:
    """A fake ``git`` first in PATH: runs ``body`` (shell) and then the real git."""
    return write_executable(bin_dir / "git", f'{body}\nexec "{REAL_GIT}" "$@"\n')


@pytest.mark.parametrize("shell", SHELLS)
class TestFailures:
    def test_unknown_revision_fails_without_retrying(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        calls = tmp_path / "calls"
        bin_dir = git_wrapper(tmp_path / "bin", f'[ "$1" != fetch ] || echo x >>"{calls}"').parent
        clone = do_clone(
            shell, tmp_path, repo=src.repo.url, revision="no-such-branch", path_prefix=(bin_dir,)
        )
        assert clone.code == 1
        assert clone.stderr == (
            f"git-clone: fetching 'no-such-branch' from '{src.repo.url}' failed and would fail "
            "again: no such branch or tag\n"
        )
        # A plain name is looked up (ls-remote) as a branch and a tag: neither, no fetch.
        assert not calls.exists()

    def test_unknown_sha_fails_without_retrying(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, revision="0" * 40, allow_any_sha=True)
        assert clone.code == 1
        assert "would fail again" in clone.stderr
        assert "retry" not in clone.stderr

    def test_nonexistent_repository_fails(self, shell: Shell, tmp_path: Path) -> None:
        missing = (tmp_path / "nowhere.git").as_uri()
        clone = do_clone(shell, tmp_path, repo=missing)
        assert clone.code == 1
        assert "does not appear to be a git repository" in clone.stderr
        assert "would fail again" in clone.stderr
        assert not (clone.out / "commit").exists()
        assert list(clone.tmp.iterdir()) == []

    def test_transient_failure_is_retried(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        marker = tmp_path / "failed-once"
        body = (
            f'if [ "$1" = fetch ] && [ ! -e "{marker}" ]; then\n'
            f'  : >"{marker}"\n'
            "  echo \"fatal: unable to access 'https://example.invalid/': "
            'Could not resolve host: example.invalid" >&2\n'
            "  exit 128\n"
            "fi"
        )
        bin_dir = git_wrapper(tmp_path / "bin", body).parent
        clone = do_clone(shell, tmp_path, repo=src.repo.url, path_prefix=(bin_dir,))
        assert_outputs(clone, src.repo, "main")
        assert "Could not resolve host" in clone.stderr
        assert "git-clone: fetch failed; retry 1 of 3 in 0s" in clone.stderr

    def test_retries_are_bounded(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        calls = tmp_path / "calls"
        body = (
            f'if [ "$1" = fetch ]; then echo x >>"{calls}"; '
            'echo "fatal: the remote end hung up unexpectedly" >&2; exit 128; fi'
        )
        bin_dir = git_wrapper(tmp_path / "bin", body).parent
        clone = do_clone(
            shell, tmp_path, repo=src.repo.url, path_prefix=(bin_dir,), env={"RETRIES": "2"}
        )
        assert clone.code == 1
        assert clone.stderr.endswith("failed 3 times\n")
        assert calls.read_text() == "x\n" * 3

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("DEPTH", "1x", "depth '1x' must be a whole number"),
            ("RETRIES", "-1", "retries '-1' must be a whole number"),
            ("AUTH", "basic", "AUTH 'basic' must be none, https or ssh"),
            ("SUBPATH", "a/../../x", "must be a plain relative path"),
            ("SUBPATH", "/etc", "must be a plain relative path"),
        ],
    )
    def test_bad_settings(
        self, shell: Shell, tmp_path: Path, src: Source, name: str, value: str, message: str
    ) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url, env={name: value})
        assert clone.code == 1
        assert message in clone.stderr
        assert not clone.dest.exists()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("repo", "why"),
    [
        ("-oProxyCommand=touch${IFS}SENTINEL:x", "starts with '-'"),
        ("--upload-pack=touch${IFS}SENTINEL", "starts with '-'"),
        (
            "ext::sh${IFS}-c${IFS}touch${IFS}SENTINEL",
            "uses a git remote helper ('::'), which is not allowed",
        ),
        ("fd::3", "uses a git remote helper ('::'), which is not allowed"),
        ("fd::3/x.git", "uses a git remote helper ('::'), which is not allowed"),
    ],
)
def test_option_like_repos_and_remote_helpers_are_refused_before_git_runs(
    shell: Shell, tmp_path: Path, repo: str, why: str
) -> None:
    # git refuses these too (GIT_ALLOW_PROTOCOL, its own option checks): a recording git that
    # does nothing shows it is the script's own check that stops them, before any git runs.
    ran = tmp_path / "git-ran"
    fake = write_executable(tmp_path / "bin" / "git", f'printf "%s\\n" "$*" >>"{ran}"\nexit 1\n')
    clone = do_clone(
        shell,
        tmp_path,
        repo=repo,
        url="https://example.invalid/acme/app.git",  # a run's override of the configured one
        path_prefix=(fake.parent,),
    )
    assert (clone.code, clone.stderr) == (1, f"git-clone: repo '{repo}' {why}\n")
    assert not ran.exists()
    assert not clone.dest.exists()


def all_bytes_under(root: Path) -> bytes:
    """Every regular file under ``root``, concatenated (symlinks are not followed)."""
    return b"".join(
        p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()
    )


@pytest.mark.parametrize("shell", SHELLS)
class TestCredentials:
    TOKEN = "ghp_SECRETtoken1234567890"

    def test_https_token_is_a_scoped_header_and_never_stored(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        token = tmp_path / "secret" / "token"
        token.parent.mkdir()
        token.write_text(self.TOKEN + "\n")
        # The fake git asks git itself which extraHeader applies to the configured
        # repository, to another repository of the same host and to another host, at the
        # moment of the fetch (git's own URL matching), and whether redirects are followed.
        seen = tmp_path / "seen"
        urls = {
            "ours": "https://example.invalid/acme/app.git",
            "sibling": "https://example.invalid/acme/app.git-evil",
            "other-repo": "https://example.invalid/evil/app.git",
            "other-host": "https://evil.invalid/acme/app.git",
        }
        body = 'if [ "$1" = fetch ]; then\n'
        for key, url in urls.items():
            body += (
                f'  "{REAL_GIT}" config --get-urlmatch http.extraHeader {url} '
                f'>"{seen}.{key}" || true\n'
            )
        body += f'  "{REAL_GIT}" config --get http.followRedirects >"{seen}.redirects" || true\n'
        body += "fi"
        bin_dir = git_wrapper(tmp_path / "bin", body).parent
        clone = do_clone(
            shell,
            tmp_path,
            url="https://example.invalid/acme/app.git",
            credentials={"https_token_secret": "git-token"},
            repo=src.repo.url,  # the run overrides the repo; the header stays scoped
            env={"GIT_TOKEN_FILE": str(token)},
            path_prefix=(bin_dir,),
        )
        assert_outputs(clone, src.repo, "main")
        header = Path(f"{seen}.ours").read_text().strip()
        basic = base64.b64encode(f"x-access-token:{self.TOKEN}".encode()).decode()
        assert header == f"Authorization: Basic {basic}"
        for key in ("sibling", "other-repo", "other-host"):
            assert Path(f"{seen}.{key}").read_text() == "", key
        assert Path(f"{seen}.redirects").read_text().strip() == "false"
        for secret in (self.TOKEN.encode(), basic.encode()):
            assert secret not in clone.stdout.encode() + clone.stderr.encode()
            assert secret not in all_bytes_under(tmp_path / "ws")
        assert "extraheader" not in clone.git("config", "--list").lower()

    def test_https_username_and_empty_token(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        token = tmp_path / "token"
        token.write_text("")
        clone = do_clone(
            shell,
            tmp_path,
            url="https://gitlab.example.invalid/acme/app.git",
            credentials={"https_token_secret": "git-token", "https_username": "oauth2"},
            repo=src.repo.url,
            env={"GIT_TOKEN_FILE": str(token)},
        )
        assert clone.code == 1
        assert clone.stderr == f"git-clone: the git token file '{token}' is empty\n"

    def test_https_prefix_must_be_an_https_origin(
        self, shell: Shell, tmp_path: Path, src: Source
    ) -> None:
        token = tmp_path / "token"
        token.write_text(self.TOKEN)
        clone = do_clone(
            shell,
            tmp_path,
            url="https://example.invalid/acme/app.git",
            credentials={"https_token_secret": "git-token"},
            repo=src.repo.url,
            env={"GIT_TOKEN_FILE": str(token), "AUTH_URL": "http://example.invalid/acme/app.git"},
        )
        assert clone.code == 1
        assert "AUTH_URL must be the https:// repository URL the token is for" in clone.stderr
        assert self.TOKEN not in clone.stderr

    def test_https_without_token_file(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(
            shell,
            tmp_path,
            url="https://example.invalid/acme/app.git",
            credentials={"https_token_secret": "git-token"},
            repo=src.repo.url,
            env={"GIT_TOKEN_FILE": str(tmp_path / "missing")},
        )
        assert clone.code == 1
        assert "the git token Secret is not mounted" in clone.stderr

    def test_ssh_key_and_host_key_checking(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        secret = tmp_path / "secret dir $(touch SENTINEL)"
        secret.mkdir()
        key = secret / "ssh-privatekey"
        key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n")
        key.chmod(0o440)
        known = secret / "known_hosts"
        known.write_text("example.invalid ssh-ed25519 AAAA\n")
        log = tmp_path / "ssh-log"
        # A fake ssh: records its arguments, the key's mode and content, then fails.
        fake_ssh = (
            f'for a in "$@"; do printf "%s\\n" "$a" >>"{log}.args"; done\n'
            "while [ $# -gt 0 ]; do\n"
            f'  if [ "$1" = -i ]; then stat -c %a "$2" >"{log}.mode"; '
            f'cat "$2" >"{log}.key"; fi\n'
            "  shift\n"
            "done\n"
            'echo "ssh: connect to host example.invalid port 22: Connection refused" >&2\n'
            "exit 255\n"
        )
        bin_dir = write_executable(tmp_path / "bin" / "ssh", fake_ssh).parent
        clone = do_clone(
            shell,
            tmp_path,
            repo="ssh://git@example.invalid/acme/app.git",
            credentials={"ssh_key_secret": "git-ssh"},
            env={"SSH_KEY_FILE": str(key), "KNOWN_HOSTS_FILE": str(known), "RETRIES": "0"},
            path_prefix=(bin_dir,),
        )
        assert clone.code == 1
        args = Path(f"{log}.args").read_text().splitlines()
        assert "StrictHostKeyChecking=yes" in args
        assert f"UserKnownHostsFile={known}" in args
        assert "BatchMode=yes" in args
        assert "IdentitiesOnly=yes" in args
        assert args[-2:] == ["git@example.invalid", "git-upload-pack '/acme/app.git'"]
        key_copy = Path(args[args.index("-i") + 1])
        assert key_copy.parent.parent == clone.tmp  # the per-run HOME
        assert Path(f"{log}.mode").read_text().strip() == "600"
        assert Path(f"{log}.key").read_text() == key.read_text()
        assert not key_copy.exists()
        assert list(clone.tmp.iterdir()) == []
        assert not list(tmp_path.rglob("SENTINEL"))

    def test_ssh_without_known_hosts(self, shell: Shell, tmp_path: Path) -> None:
        key = tmp_path / "id"
        key.write_text("k\n")
        clone = do_clone(
            shell,
            tmp_path,
            repo="git@example.invalid:acme/app.git",
            credentials={"ssh_key_secret": "git-ssh"},
            env={"SSH_KEY_FILE": str(key), "KNOWN_HOSTS_FILE": str(tmp_path / "missing")},
        )
        assert clone.code == 1
        assert "known_hosts is not mounted" in clone.stderr

    def test_config_holds_no_credentials(self, shell: Shell, tmp_path: Path, src: Source) -> None:
        clone = do_clone(shell, tmp_path, repo=src.repo.url)
        assert_outputs(clone, src.repo, "main")
        config = (clone.dest / ".git" / "config").read_text()
        assert "extraheader" not in config.lower()
        assert "sshcommand" not in config.lower()
        assert "credential" not in config.lower()
        mode = stat.S_IMODE(os.stat(clone.dest / ".git" / "config").st_mode)
        assert mode & 0o002 == 0


def test_the_component_runs_the_packaged_script() -> None:
    component = git_clone(GitSource(url="https://example.invalid/a.git"), builder=BUILDER)
    rendered = render(component)
    assert rendered.script == load("git_clone.sh", ())
    assert "GIT_CA_FILE" not in rendered.script  # the CA block is source.ca's part only
    with_ca = GitSource(url="https://example.invalid/a.git", ca={"config_map": "corp-ca"})
    assert render(git_clone(with_ca, builder=BUILDER)).script == load("git_clone.sh", "ca")
    assert rendered.name == "git-clone"
    assert rendered.args == ()


@dataclass(frozen=True)
class Forge:
    """A repository as a forge holds it: main, a tag, and a pull request's commit that only
    ``refs/pull/1/head`` reaches (unreviewed code)."""

    repo: Repo
    main: str
    pr: str


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Forge:
    repo = make_repo(tmp_path_factory.mktemp("forge") / "app")
    main = repo.commit("reviewed", {"app.py": "print('ok')\n"})
    repo.tag("v1.0.0")
    repo.branch("contributor")
    repo.switch("contributor")
    pr = repo.commit("unreviewed", {"app.py": "print('pwned')\n"})
    repo.switch("main")
    repo.git("update-ref", "refs/pull/1/head", pr)
    repo.git("update-ref", "refs/merge-requests/1/head", pr)
    repo.git("branch", "-D", "contributor")
    return Forge(repo, main, pr)


def fetched_refs(log: Path) -> list[str]:
    """The arguments of every ``git fetch`` the script ran."""
    return log.read_text().split() if log.exists() else []


@pytest.mark.parametrize("shell", SHELLS)
class TestRevisionPolicy:
    """What a run's ``revision`` may name: branches and tags; a commit SHA only where a
    branch or tag reaches it; pull/merge-request refs only where the config allows them."""

    def clone(
        self, shell: Shell, tmp_path: Path, forge: Forge, revision: str, **source: Any
    ) -> tuple[Clone, Path]:
        log = tmp_path / "fetches"
        body = f'if [ "$1" = fetch ]; then printf "%s\\n" "$@" >>"{log}"; fi'
        bin_dir = git_wrapper(tmp_path / "bin", body).parent
        clone = do_clone(
            shell,
            tmp_path,
            repo=forge.repo.url,
            revision=revision,
            path_prefix=(bin_dir,),
            **source,
        )
        return clone, log

    @pytest.mark.parametrize("revision", ["refs/pull/1/head", "refs/merge-requests/1/head"])
    def test_pull_request_refs_are_refused(
        self, shell: Shell, tmp_path: Path, forge: Forge, revision: str
    ) -> None:
        clone, log = self.clone(shell, tmp_path, forge, revision)
        assert clone.code == 1
        assert clone.stderr == (
            f"git-clone: revision '{revision}' is a pull/merge-request ref; this template "
            "builds only branches and tags\n"
        )
        assert not log.exists()  # git never fetched anything
        assert not (clone.out / "commit").exists()

    def test_pull_request_refs_where_allowed(
        self, shell: Shell, tmp_path: Path, forge: Forge
    ) -> None:
        clone, _ = self.clone(shell, tmp_path, forge, "refs/pull/1/head", allow_pull_requests=True)
        assert clone.code == 0, clone.stderr
        assert clone.output("commit") == forge.pr

    def test_a_plain_name_is_never_taken_for_another_ref(
        self, shell: Shell, tmp_path: Path, forge: Forge
    ) -> None:
        # git's own lookup would take 'pull/1/head' for refs/pull/1/head.
        clone, log = self.clone(shell, tmp_path, forge, "pull/1/head")
        assert clone.code == 1
        assert "no such branch or tag" in clone.stderr
        assert not log.exists()  # nothing fetched: neither refs/heads/ nor refs/tags/ has it
        assert not (clone.out / "commit").exists()

    @pytest.mark.parametrize("revision", ["refs/notes/commits", "refs/remotes/origin/main"])
    def test_other_refs_are_refused(
        self, shell: Shell, tmp_path: Path, forge: Forge, revision: str
    ) -> None:
        clone, log = self.clone(shell, tmp_path, forge, revision)
        assert clone.code == 1
        assert clone.stderr == (
            f"git-clone: revision '{revision}' is not a branch (refs/heads/) or tag (refs/tags/)\n"
        )
        assert not log.exists()

    def test_a_sha_only_a_pull_request_reaches_is_refused(
        self, shell: Shell, tmp_path: Path, forge: Forge
    ) -> None:
        clone, log = self.clone(shell, tmp_path, forge, forge.pr)
        assert clone.code == 1
        assert clone.stderr == (
            f"git-clone: revision '{forge.pr}' is not on any branch or tag of "
            f"'{forge.repo.url}'; this template builds only commits a branch or tag reaches\n"
        )
        # Only branches and tags were fetched, never the commit itself; nothing checked out.
        assert forge.pr not in fetched_refs(log)
        assert not (clone.out / "commit").exists()
        assert not (clone.dest / "app.py").exists()

    def test_a_sha_a_branch_reaches_is_built(
        self, shell: Shell, tmp_path: Path, forge: Forge
    ) -> None:
        clone, _ = self.clone(shell, tmp_path, forge, forge.main)
        assert clone.code == 0, clone.stderr
        assert clone.output("commit") == forge.main
        assert (clone.dest / "app.py").read_text() == "print('ok')\n"

    def test_any_sha_where_allowed(self, shell: Shell, tmp_path: Path, forge: Forge) -> None:
        clone, log = self.clone(shell, tmp_path, forge, forge.pr, allow_any_sha=True)
        assert clone.code == 0, clone.stderr
        assert clone.output("commit") == forge.pr
        assert "refs/heads/*:refs/remotes/origin/*" not in " ".join(fetched_refs(log))

    def test_a_tag_by_its_plain_name(self, shell: Shell, tmp_path: Path, forge: Forge) -> None:
        clone, log = self.clone(shell, tmp_path, forge, "v1.0.0")
        assert clone.code == 0, clone.stderr
        assert clone.output("commit") == forge.main
        assert "refs/tags/v1.0.0" in fetched_refs(log)


@pytest.mark.parametrize("shell", SHELLS)
class TestGitHosts:
    """A template serving many repositories (library mode) sends credentials only to hosts
    fixed at install."""

    @pytest.mark.parametrize(
        ("repo", "problem"),
        [
            ("https://evil.test/acme/app.git", None),
            ("https://github.com.evil.test/acme/app.git", None),
            ("https://evil.test/github.com/app.git", None),
            ("ssh://git@evil.test/acme/app.git", "is not an https://HOST[:PORT]/PATH URL"),
            ("git@evil.test:acme/app.git", "is not an https://HOST[:PORT]/PATH URL"),
        ],
    )
    def test_another_host_gets_nothing(
        self, shell: Shell, tmp_path: Path, repo: str, problem: str | None
    ) -> None:
        token = tmp_path / "token"
        token.write_text("ghp_secret")
        calls = tmp_path / "calls"
        bin_dir = git_wrapper(tmp_path / "bin", f'echo "$1" >>"{calls}"').parent
        clone = do_clone(
            shell,
            tmp_path,
            url="https://github.com/acme/app.git",
            credentials={"https_token_secret": "git-token"},
            repo=repo,
            env={"GIT_TOKEN_FILE": str(token), "GIT_HOSTS": "github.com\ngitlab.com"},
            path_prefix=(bin_dir,),
        )
        assert clone.code == 1
        shown = repo.replace("git@", "***@") if "://" in repo else repo
        assert clone.stderr == (
            f"git-clone: repo '{shown}' "
            + (
                problem
                or "is not on a host this template sends credentials to (github.com gitlab.com)"
            )
            + "\n"
        )
        assert not calls.exists()

    @pytest.mark.parametrize(
        ("repo", "auth"),
        [
            ("https://github.com/acme/app.git", "https"),
            ("https://github.com:443/acme/app.git", "https"),
            ("ssh://git@github.com:22/acme/app.git", "ssh"),
            ("git@github.com:acme/app.git", "ssh"),
        ],
    )
    def test_a_listed_host_is_recognised(
        self, shell: Shell, tmp_path: Path, repo: str, auth: str
    ) -> None:
        calls = tmp_path / "calls"
        bin_dir = git_wrapper(tmp_path / "bin", f'echo "$1" >>"{calls}"; exit 1').parent
        secret = tmp_path / "secret"
        secret.mkdir()
        for name in ("token", "key", "known_hosts"):
            (secret / name).write_text("x\n")
        clone = do_clone(
            shell,
            tmp_path,
            url="https://github.com/acme/app.git",
            repo=repo,
            env={
                "AUTH": auth,
                "GIT_HOSTS": "gitlab.com\ngithub.com",
                "RETRIES": "0",
                "GIT_TOKEN_FILE": str(secret / "token"),
                "SSH_KEY_FILE": str(secret / "key"),
                "KNOWN_HOSTS_FILE": str(secret / "known_hosts"),
            },
            path_prefix=(bin_dir,),
        )
        # Past the host check: git ran (and the fake failed).
        assert "not on a host" not in clone.stderr
        assert calls.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_log_level_debug_traces_git_commands_but_never_http(
    shell: Shell, tmp_path: Path, src: Source
) -> None:
    """``log_level: debug`` sets GIT_TRACE (git's commands); the HTTP and packet traces, which
    would print the Authorization header, stay off even where the image's env sets them."""
    record = tmp_path / "git-env"
    real = shutil.which("git") or "git"
    fake = write_executable(
        tmp_path / "bin" / "git",
        f'printf \'%s|%s|%s\\n\' "${{GIT_TRACE-unset}}" "${{GIT_TRACE_CURL-unset}}" '
        f'"${{GIT_TRACE_PACKET-unset}}" >>"{record}"\nexec "{real}" "$@"\n',
    )
    clone = do_clone(
        shell,
        tmp_path,
        repo=src.repo.url,
        env={"LOG_LEVEL": "debug", "GIT_TRACE_CURL": "1", "GIT_TRACE_PACKET": "1"},
        path_prefix=(fake.parent,),
    )
    assert_outputs(clone, src.repo, "main")
    assert set(record.read_text().splitlines()) == {"1|unset|unset"}
    assert "trace:" in clone.stderr
    (tmp_path / "info").mkdir()
    quiet = do_clone(shell, tmp_path / "info", repo=src.repo.url)
    assert "trace:" not in quiet.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_an_unknown_log_level_is_refused(shell: Shell, tmp_path: Path, src: Source) -> None:
    clone = do_clone(shell, tmp_path, repo=src.repo.url, env={"LOG_LEVEL": "verbose"})
    assert clone.code == 1
    assert "log level 'verbose' must be debug, info, warn or error" in clone.stderr
