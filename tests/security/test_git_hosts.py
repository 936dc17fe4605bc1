"""Where the namespace's git token may go in library mode, against URLs built to confuse.

The attack (issue 19, item 1): ``https://evil.test#@github.com/acme/app.git`` passed the
old ``git_hosts`` check (it cut at the first ``/`` and the last ``@``: github.com), while
curl ends the host at ``#`` and connected to evil.test, with the token header scoped to the
same string. Here the "other host" is a local HTTPS server that logs every request; the
trusted host name is one that resolves nowhere. Each confusion is refused with its own
message and the server receives nothing. The rule exists twice (``_kits/git.py`` and the
prelude's ``git_url`` section): a property test holds the two to the same answers.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks._kits.git import credential_url_problem, redact
from argo_buildpacks.components import git_clone
from argo_buildpacks.components.scripts import prelude
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig, Builder, GitSource
from tests.security.test_git_token import BASIC, TOKEN, Server, serve
from tests.support.runscript import SHELLS, Shell, base_path, render, run

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
TRUSTED = "github.com"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


# ------------------------------------------------------------------ one rule, two languages

HARNESS = (
    "set -euf\nexport LC_ALL=C\nme=t\n"
    + prelude("fail", "matches", "redact_url", "git_url")
    + """
kind=$1
shift
for v in "$@"; do
  if credential_url "$kind" "$v"; then printf 'ok %s\\n' "$_uh"; else printf 'no %s\\n' "$_up"; fi
  printf 'redacted %s\\n' "$(redact_url "$v")"
done
"""
)


def shell_answers(shell: Shell, kind: str, values: Sequence[str]) -> list[tuple[str, str]]:
    done = subprocess.run(
        [*shell, "-c", HARNESS, "harness", kind, *values],
        env={"PATH": base_path()},
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.split("\n")[:-1]
    assert len(lines) == 2 * len(values), done.stdout
    return [(lines[i], lines[i + 1]) for i in range(0, len(lines), 2)]


def python_answer(kind: str, value: str) -> tuple[str, str]:
    problem, host = credential_url_problem(value, kind)
    return (f"no {problem}" if problem else f"ok {host}"), f"redacted {redact(value)}"


def assert_parity(shell: Shell, values: Sequence[str]) -> None:
    # A shell argument cannot hold NUL; a line break would split the harness' output.
    values = [v for v in values if "\0" not in v and "\n" not in v]
    for kind in ("https", "ssh"):
        got = shell_answers(shell, kind, values)
        want = [python_answer(kind, v) for v in values]
        assert [(v, g, w) for v, g, w in zip(values, got, want, strict=True) if g != w] == []


CONFUSIONS = {
    # What curl, git and the old check would each take for the host differ in all of these.
    f"https://evil.test#@{TRUSTED}/acme/app.git": (
        "has a query or fragment ('?' or '#'), which git and curl read differently"
    ),
    f"https://evil.test?@{TRUSTED}/acme/app.git": (
        "has a query or fragment ('?' or '#'), which git and curl read differently"
    ),
    f"https://evil.test\\@{TRUSTED}/acme/app.git": "contains a backslash",
    f"https://{TRUSTED}/acme%2f..%2f..%2fevil/app.git": "contains percent-encoding ('%')",
    f"https://{TRUSTED}/acme/../../evil/app.git": "has a '.' or '..' path segment",
    f"https://evil.test@{TRUSTED}/acme/app.git": (
        "carries user information ('@'); the token comes from the Secret"
    ),
    f"https://x:tok@{TRUSTED}/acme/app.git": (
        "carries user information ('@'); the token comes from the Secret"
    ),
    "https://GitHub.com/acme/app.git": (
        "has host 'GitHub.com', which is not lower case (as git_hosts lists hosts)"
    ),
    f"https://{TRUSTED}./acme/app.git": f"has host '{TRUSTED}.', which ends with '.'",
    "https://[::1]/acme/app.git": "has an IP address literal as its host; use the host's name",
    f"https://{TRUSTED}:0/acme/app.git": "has an invalid port '0' (1 to 65535)",
    f"https://{TRUSTED}:99999/acme/app.git": "has an invalid port '99999' (1 to 65535)",
    f"https://{TRUSTED}/acme//app.git": "has an empty path segment ('//' or a trailing '/')",
    f"https://{TRUSTED}/acme/app;x.git": (
        "has a path segment with characters other than letters, digits, '.', '_', '~', '+' and '-'"
    ),
    f"HTTPS://{TRUSTED}/acme/app.git": "is not an https://HOST[:PORT]/PATH URL",
    f"git@{TRUSTED}:acme/app.git": "is not an https://HOST[:PORT]/PATH URL",
    f"https://{TRUSTED}": "names no repository path",
}


def test_every_confusion_has_its_own_message_in_python() -> None:
    for url, problem in CONFUSIONS.items():
        assert credential_url_problem(url, "https") == (problem, ""), url
    assert credential_url_problem(f"https://{TRUSTED}:8443/acme/app.git", "https") == (
        None,
        TRUSTED,
    )
    for ok in (f"ssh://git@{TRUSTED}:22/acme/app.git", f"git@{TRUSTED}:acme/app.git"):
        assert credential_url_problem(ok, "ssh") == (None, TRUSTED)
    assert credential_url_problem(f"ssh://a@b@{TRUSTED}/x", "ssh")[0] == "has more than one '@'"


@pytest.mark.parametrize("shell", SHELLS)
def test_the_shell_and_python_agree_on_hostile_urls(shell: Shell) -> None:
    values = [
        *CONFUSIONS,
        f"https://{TRUSTED}/acme/app.git",
        f"https://{TRUSTED}:443/acme/app.git",
        f"https://{TRUSTED}:065535/x",
        f"ssh://git@{TRUSTED}/acme/app.git",
        f"ssh://git@evil.test#@{TRUSTED}/acme/app.git",
        f"ssh://a@b@{TRUSTED}/x",
        f"ssh://-oProxyCommand=x@{TRUSTED}/x",
        f"git@{TRUSTED}:/srv/app.git",
        f"{TRUSTED}:acme/app.git",
        "https://h/é",
        "https://h/a b",
        "https://h/\x7f",
        "https:///x",
        "https://:443/x",
        "https://a..b/x",
        "https://-a.b/x",
        "https://a-.b/x",
        f"https://{'a' * 254}/x",
        f"https://{TRUSTED}/.",
        f"https://{TRUSTED}/./x",
        f"https://{TRUSTED}/x/",
        "",
        "ext::sh -c x",
        "file:///srv/app.git",
    ]
    assert_parity(shell, values)


_PIECES = st.sampled_from(
    [
        "https://",
        "ssh://",
        "http://",
        "git@",
        "@",
        ":",
        "/",
        "//",
        ".",
        "..",
        "#",
        "?",
        "\\",
        "%2f",
        "[::1]",
        "github.com",
        "GitHub.com",
        "evil.test",
        "a-b",
        "-",
        "443",
        "0",
        "65536",
        "acme",
        "app.git",
        "~+_",
        " ",
        "é",
        "x;y",
        "'",
    ]
)


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=40, deadline=None)
@given(batch=st.lists(st.lists(_PIECES, min_size=1, max_size=8).map("".join), min_size=30))
def test_the_shell_and_python_accept_exactly_the_same_urls(shell: Shell, batch: list[str]) -> None:
    """Generated from the pieces every confusion is made of, in any order: the same host or
    the same problem, and the same redaction, for each."""
    assert_parity(shell, batch)


# ------------------------------------------------------------------ against a live server


@pytest.fixture
def evil(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """An HTTPS server on 127.0.0.1 standing for the host the token must never reach."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = serve("https", ctx, None)
    yield server, ca_file
    server.httpd.shutdown()
    server.httpd.server_close()


def library_clone(
    shell: Shell, tmp_path: Path, repo: str, ca_file: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """The clone as library mode runs it: a run's repo, the namespace's token, git_hosts."""
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    component = git_clone(
        GitSource(url=f"https://{TRUSTED}/acme/app.git", credentials={"https_token_secret": "t"}),
        builder=BUILDER,
        repo_overridable=True,
        any_credentials=True,
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return run(
        shell,
        render(component),
        params={"repo": repo, "revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "GIT_TOKEN_FILE": str(token),
            "GIT_SSL_CAINFO": str(ca_file),
            "GIT_HOSTS": f"{TRUSTED}\ngitlab.com",
            "RETRY_DELAY": "0",
            "RETRIES": "0",
            "TMPDIR": str(tmp_path / "tmp"),
            **env,
        },
        cwd=tmp_path,
        timeout=60,
    )


ATTACKS = [
    ("https://{evil}#@" + TRUSTED + "/acme/app.git", "has a query or fragment"),
    ("https://{evil}?@" + TRUSTED + "/acme/app.git", "has a query or fragment"),
    ("https://{evil}\\@" + TRUSTED + "/acme/app.git", "contains a backslash"),
    ("https://{evil}/x#@" + TRUSTED + "/acme/app.git", "has a query or fragment"),
    ("https://" + TRUSTED + ":tok@{evil}/acme/app.git", "carries user information"),
    ("https://{evil}/" + TRUSTED + "/%2e%2e/app.git", "contains percent-encoding"),
]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("template", "problem"), ATTACKS)
def test_a_confusing_url_is_refused_and_the_other_host_gets_nothing(
    shell: Shell, tmp_path: Path, evil: tuple[Server, Path], template: str, problem: str
) -> None:
    server, ca_file = evil
    repo = template.format(evil=server.origin.removeprefix("https://"))
    done = library_clone(shell, tmp_path, repo, ca_file)
    assert [headers.get("Authorization") for _, headers in server.seen] == []  # no request
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"git-clone: repo '{redact(repo)}' {problem}"), line
    assert TOKEN not in done.stderr and BASIC not in done.stderr
    assert "tok@" not in done.stderr  # a userinfo shows redacted
    assert not (tmp_path / "ws" / "out" / "commit").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_control_curl_reads_the_fragment_url_as_the_other_host(
    shell: Shell, tmp_path: Path, evil: tuple[Server, Path]
) -> None:
    """Proof the attack is real: with AUTH none (no host check) git fetches the fragment
    URL from the local server, not from the name after the '@'."""
    server, ca_file = evil
    repo = f"{server.origin}#@{TRUSTED}/acme/app.git"
    library_clone(shell, tmp_path, repo, ca_file, AUTH="none")
    assert server.seen, "git did not reach the server the URL's fragment hides"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("confusion", ["#@", "?@"])
def test_a_configs_own_token_stays_with_its_repository(
    shell: Shell, tmp_path: Path, evil: tuple[Server, Path], confusion: str
) -> None:
    """Not library mode: the token is scoped by git's URL matching to the configured
    repository. A run's overridden repo that names it after a '#@' or '?@' reaches the other
    server (the template lets runs clone other repositories), without the token."""
    server, ca_file = evil
    configured = f"https://{TRUSTED}/acme/app.git"
    repo = f"{server.origin}{confusion}{TRUSTED}/acme/app.git"
    done = library_clone(shell, tmp_path, repo, ca_file, GIT_HOSTS="", AUTH_URL=configured)
    assert done.returncode == 1
    assert server.seen, "the run's repository was fetched"
    assert all("Authorization" not in headers for _, headers in server.seen), server.seen
    assert TOKEN not in done.stderr and BASIC not in done.stderr


# ------------------------------------------------------------------ credentials in messages

SECRET = "s3cr3tTOKEN"


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ("source.url", f"https://u:{SECRET}@github.com:bad/acme/app.git"),
        ("source.url", f"https://u:{SECRET}@github.com/acme/app.git"),
        ("source.url", f"https://evil.test#u:{SECRET}@github.com/acme/app.git"),
        ("trigger.webhook_url", f"https://u:{SECRET}@hooks.example.com/push"),
        ("trigger.webhook_url", f"https://u:{SECRET}@hooks.example.com:bad/push"),
        ("trigger.gitlab_url", f"https://{SECRET}@gitlab.example.com"),
        ("deploy.gitops.repo", f"https://u:{SECRET}@git.example.com/acme/deploy.git"),
    ],
)
def test_a_credential_in_a_url_never_reaches_the_error(section: str, value: str) -> None:
    data: dict[str, object] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": "registry.example.com/acme/app",
    }
    gitlab = {
        "provider": "gitlab",
        "webhook_secret": "hook",
        "access_token_secret": "api",
        "webhook_url": "https://hooks.example.com/push",
    }
    if section == "source.url":
        data["source"] = {"url": value, "credentials": {"https_token_secret": "git"}}
    elif section.startswith("trigger."):
        data["trigger"] = {**gitlab, section.removeprefix("trigger."): value}
    else:
        data["deploy"] = {"gitops": {"repo": value, "path": "kustomization.yaml"}}
    with pytest.raises(ConfigError) as info:
        BuildConfig.from_dict(data)
    message = str(info.value)
    assert SECRET not in message
    assert "***@" in message, message  # the field is named, its value shown redacted


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "repo",
    [
        f"gopher://u:{SECRET}@github.com/acme/app.git",
        f"https://u:{SECRET}@127.0.0.1:1/acme/app.git",
        f"https://u:{SECRET}@evil.test/acme/app.git",
    ],
)
def test_a_credential_in_a_runs_repo_never_reaches_stderr(
    shell: Shell, tmp_path: Path, repo: str
) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    component = git_clone(
        GitSource(url=f"https://{TRUSTED}/acme/app.git"),
        builder=BUILDER,
        repo_overridable=True,
        any_credentials=True,
    )
    (tmp_path / "tmp").mkdir()
    done = run(
        shell,
        render(component),
        params={"repo": repo, "revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "RETRIES": "0",
            "TMPDIR": str(tmp_path / "tmp"),
            **(
                {"AUTH": "https", "GIT_TOKEN_FILE": str(token), "GIT_HOSTS": TRUSTED}
                if "evil" in repo
                else {}
            ),
        },
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1
    assert SECRET not in done.stdout + done.stderr
    assert f"repo '{redact(repo)}'" in done.stderr or f"from '{redact(repo)}'" in done.stderr
