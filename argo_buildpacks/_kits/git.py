"""Git rules: repository URLs (which forms are accepted and why others are not), revision
names (``git check-ref-format``) and paths inside a repository.

Each validator returns the value or raises ``ValueError`` naming the bad value and what is
allowed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Transports the in-cluster clone allows (``GIT_ALLOW_PROTOCOL``): never ``ext::``, which
#: runs a command, nor ``fd::``.
ALLOWED_PROTOCOLS = ("https", "http", "ssh", "git", "file")

__all__ = [
    "ALLOWED_PROTOCOLS",
    "credential_host",
    "credential_url_problem",
    "git_revision",
    "git_url_kind",
    "redact",
    "relative_path",
    "run_revision",
]

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_PULL_REQUEST = re.compile(r"refs/(pull|merge-requests)/.+")
_SCP_LIKE = re.compile(r"(?P<user>[A-Za-z0-9._-]+@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*|/.+)")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


def git_url_kind(url: str) -> str:
    """Validate ``url`` and say which transport it uses: ``https``, ``http``, ``ssh``,
    ``git`` or ``file``.

    Raises:
        ValueError: naming the URL and what is wrong; a password or token inside the URL is
            refused (credentials come from a Secret reference).
    """
    if not url:
        raise ValueError("repository URL is empty")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise ValueError(
            f"repository URL {redact(url)!r} contains whitespace or control characters"
        )
    if url.startswith("-"):
        raise ValueError(
            f"repository URL {redact(url)!r} starts with '-' (it would be read as an option)"
        )
    if "::" in url.split("/", 1)[0]:
        raise ValueError(
            f"repository URL {redact(url)!r} uses a git remote helper ('::'); "
            f"allowed: {', '.join(ALLOWED_PROTOCOLS)} URLs or user@host:path"
        )
    if "://" not in url:
        match = _SCP_LIKE.fullmatch(url)
        if match is None:
            raise ValueError(
                f"repository URL {redact(url)!r} is neither a URL (https://, ssh://, ...) "
                "nor scp-like user@host:path"
            )
        if match["host"].startswith("-"):
            raise ValueError(f"repository URL {redact(url)!r}: host starts with '-'")
        return "ssh"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_PROTOCOLS:
        raise ValueError(
            f"repository URL {redact(url)!r} has scheme {scheme!r}; "
            f"allowed: {', '.join(ALLOWED_PROTOCOLS)}"
        )
    if scheme == "file":
        if not parts.path:
            raise ValueError(f"repository URL {redact(url)!r} has no path")
        return scheme
    host = parts.netloc.rpartition("@")[2]
    host_only = host.rpartition("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    if not host_only or not _HOST.fullmatch(host_only):
        raise ValueError(f"repository URL {redact(url)!r} has an invalid host {host_only!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError(f"repository URL {redact(url)!r} has an invalid port") from None
    if parts.password is not None or (scheme in {"https", "http"} and parts.username):
        raise ValueError(
            f"repository URL {redact(url)!r} carries credentials; put the token in a Secret "
            "and name it in source.credentials.https_token_secret"
        )
    if not parts.path.strip("/"):
        raise ValueError(f"repository URL {redact(url)!r} names no repository path")
    return scheme


def redact(url: str) -> str:
    """``url`` with any userinfo replaced, safe to print.

    Everything from ``://`` to the last ``@`` before the first ``/`` becomes ``***``: wider
    than any one parser's userinfo (curl ends the host at ``?`` or ``#``, git at ``/``), so
    no reading of the URL leaves a credential showing. The scripts' ``redact_url``
    (``_prelude.sh``, section ``git_url``) does the same.
    """
    scheme, sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0]
    if not sep or "@" not in authority:
        return url
    return f"{scheme}://***@{rest[len(authority.rpartition('@')[0]) + 1 :]}"


#: Credential URLs: a host as git_hosts lists it (lower-case DNS name), path segments of
#: these characters only. Nothing any URL parser could read two ways.
_CRED_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_CRED_SEGMENT = re.compile(r"[A-Za-z0-9._~+-]+")
_CRED_USER = re.compile(r"[A-Za-z0-9._-]+")
_CRED_PORT = re.compile(r"[1-9][0-9]{0,4}")
_PATH_CHARS = (
    "has a path segment with characters other than letters, digits, '.', '_', '~', '+' and '-'"
)
_CRED_FORMS = {
    "https": "an https://HOST[:PORT]/PATH URL",
    "ssh": "an ssh://[USER@]HOST[:PORT]/PATH or [USER@]HOST:PATH URL",
}


def credential_url_problem(url: str, kind: str) -> tuple[str | None, str]:
    """Whether credentials of ``kind`` (``https``: a token, ``ssh``: a key) may be sent
    for ``url``: ``(None, host)``, or ``(problem, "")`` with the problem in words.

    Only one unambiguous form is accepted, ``https://HOST[:PORT]/PATH`` (or, for ssh,
    ``ssh://[USER@]HOST[:PORT]/PATH`` and ``[USER@]HOST:PATH``): no userinfo (https), query,
    fragment, backslash, percent-encoding, IP literal, '.' or '..' segment; a lower-case
    DNS host without a trailing dot. git, curl and the host check then all read the same
    host: ``https://evil.test#@github.com/x`` (curl: evil.test) is refused, not taken for
    github.com. The in-cluster clone applies the same rule (``credential_url`` in
    ``_prelude.sh``; tests/security/test_git_hosts.py holds the two in parity).
    """
    if kind not in _CRED_FORMS:
        raise ValueError(f"credential kind {kind!r} must be https or ssh")
    form = _CRED_FORMS[kind]
    if not url:
        return "is empty", ""
    if any(not 0x20 < ord(c) < 0x7F for c in url):
        return "contains whitespace, control or non-ASCII characters", ""
    if "?" in url or "#" in url:
        return "has a query or fragment ('?' or '#'), which git and curl read differently", ""
    if "\\" in url:
        return "contains a backslash", ""
    if "%" in url:
        return "contains percent-encoding ('%')", ""
    scp = False
    if kind == "https":
        if not url.startswith("https://"):
            return f"is not {form}", ""
        if "@" in url:
            return "carries user information ('@'); the token comes from the Secret", ""
        rest = url.removeprefix("https://")
    elif url.startswith("ssh://"):
        rest = url.removeprefix("ssh://")
    elif "://" in url:
        return f"is not {form}", ""
    else:
        scp = True
        rest = url
    sep = ":" if scp else "/"
    if sep not in rest:
        return "names no repository path", ""
    authority, _, path = rest.partition(sep)
    if "@" in authority:
        user, _, authority = authority.partition("@")
        if "@" in authority:
            return "has more than one '@'", ""
        if not _CRED_USER.fullmatch(user):
            return f"has an invalid user name '{user}'", ""
    if authority.startswith("["):
        return "has an IP address literal as its host; use the host's name", ""
    host, colon, port = authority.partition(":")
    if colon and (scp or not _CRED_PORT.fullmatch(port) or int(port) > 65535):
        return f"has an invalid port '{port}' (1 to 65535)", ""
    if not host:
        return "has no host", ""
    if host.endswith("."):
        return f"has host '{host}', which ends with '.'", ""
    if host != host.lower():
        return f"has host '{host}', which is not lower case (as git_hosts lists hosts)", ""
    if len(host) > 253 or not _CRED_HOST.fullmatch(host):
        return f"has host '{host}', which is not a DNS name", ""
    if scp and path.startswith("/"):
        path = path[1:]
    # In this order, as the shell checks the whole path for each problem in turn.
    segments = path.split("/")
    if "" in segments:
        return "has an empty path segment ('//' or a trailing '/')", ""
    if "." in segments or ".." in segments:
        return "has a '.' or '..' path segment", ""
    if not all(_CRED_SEGMENT.fullmatch(segment) for segment in segments):
        return _PATH_CHARS, ""
    return None, host


def credential_host(url: str, kind: str) -> str:
    """The host credentials of ``kind`` would go to for ``url``: see
    `credential_url_problem`.

    Raises:
        ValueError: naming the URL (redacted) and its problem.
    """
    problem, host = credential_url_problem(url, kind)
    if problem is not None:
        raise ValueError(f"repository URL {redact(url)!r} {problem}")
    return host


def git_revision(value: str) -> str:
    """A branch, a tag, ``HEAD`` or a full commit SHA, by ``git check-ref-format`` rules.

    Abbreviated SHAs are refused: a shallow fetch can only ask the server for full names.
    """
    if _SHA.fullmatch(value) or value == "HEAD":
        return value
    if re.fullmatch(r"[0-9a-f]{7,39}", value):
        raise ValueError(
            f"revision {value!r} looks like an abbreviated commit SHA; give the full 40-character "
            "SHA (a shallow fetch cannot resolve abbreviations)"
        )
    problem = _ref_problem(value)
    if problem:
        raise ValueError(f"revision {value!r} is not a valid git branch or tag name: {problem}")
    return value


def run_revision(value: str, *, allow_pull_requests: bool | None = False) -> str:
    """A revision a run may build: `git_revision`, and of the full ref names only
    branches (``refs/heads/``) and tags (``refs/tags/``), or pull/merge-request refs where
    allowed (``None``: not known here; the cluster decides). The in-cluster clone applies the
    same rules, and checks that a commit SHA is on a branch or tag."""
    git_revision(value)
    if not value.startswith("refs/") or value.startswith(("refs/heads/", "refs/tags/")):
        return value
    if _PULL_REQUEST.fullmatch(value):
        if allow_pull_requests is False:
            raise ValueError(
                f"revision {value!r} is a pull/merge-request ref; this template builds only "
                "branches and tags (the config's source.allow_pull_requests allows them)"
            )
        return value
    raise ValueError(
        f"revision {value!r} is not a branch (refs/heads/...) or a tag (refs/tags/...)"
    )


def _ref_problem(value: str) -> str | None:
    if not value:
        return "it is empty"
    if value.startswith("-"):
        return "it starts with '-'"
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in value):
        return "it contains whitespace or control characters"
    for bad in ("..", "@{", "//"):
        if bad in value:
            return f"it contains {bad!r}"
    for ch in "~^:?*[\\":
        if ch in value:
            return f"it contains {ch!r}"
    if value.startswith("/") or value.endswith(("/", ".", ".lock")) or value == "@":
        return "it starts with '/', or ends with '/', '.' or '.lock'"
    if any(part.startswith(".") for part in value.split("/")):
        return "a path component starts with '.'"
    return None


def relative_path(value: str, *, what: str = "subpath") -> str:
    """A path inside the repository: relative, no '..', no empty or option-like components."""
    if value in {"", "."}:
        return ""
    stripped = value.strip("/") if not value.startswith("/") else value
    if stripped.startswith("/"):
        raise ValueError(f"{what} {value!r} must be relative to the repository root")
    parts = stripped.split("/")
    for part in parts:
        if part in {"", ".", ".."}:
            raise ValueError(
                f"{what} {value!r} must be a plain relative path: no empty, '.' or '..' components"
            )
        if part.startswith("-"):
            raise ValueError(f"{what} {value!r}: the component {part!r} starts with '-'")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in part):
            raise ValueError(f"{what} {value!r} contains control characters")
    return "/".join(parts)
