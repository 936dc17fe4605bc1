"""Git repository URLs: which forms are accepted and why others are not."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Transports the in-cluster clone allows (``GIT_ALLOW_PROTOCOL``): never ``ext::``, which
#: runs a command, nor ``fd::``.
ALLOWED_PROTOCOLS = ("https", "http", "ssh", "git", "file")

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
        raise ValueError(f"repository URL {url!r} contains whitespace or control characters")
    if url.startswith("-"):
        raise ValueError(f"repository URL {url!r} starts with '-' (it would be read as an option)")
    if "::" in url.split("/", 1)[0]:
        raise ValueError(
            f"repository URL {url!r} uses a git remote helper ('::'); "
            f"allowed: {', '.join(ALLOWED_PROTOCOLS)} URLs or user@host:path"
        )
    if "://" not in url:
        match = _SCP_LIKE.fullmatch(url)
        if match is None:
            raise ValueError(
                f"repository URL {url!r} is neither a URL (https://, ssh://, ...) "
                "nor scp-like user@host:path"
            )
        if match["host"].startswith("-"):
            raise ValueError(f"repository URL {url!r}: host starts with '-'")
        return "ssh"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_PROTOCOLS:
        raise ValueError(
            f"repository URL {url!r} has scheme {scheme!r}; allowed: {', '.join(ALLOWED_PROTOCOLS)}"
        )
    if scheme == "file":
        if not parts.path:
            raise ValueError(f"repository URL {url!r} has no path")
        return scheme
    host = parts.netloc.rpartition("@")[2]
    host_only = host.rpartition("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    if not host_only or not _HOST.fullmatch(host_only):
        raise ValueError(f"repository URL {url!r} has an invalid host {host_only!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError(f"repository URL {url!r} has an invalid port") from None
    if parts.password is not None or (scheme in {"https", "http"} and parts.username):
        raise ValueError(
            f"repository URL {redact(url)!r} carries credentials; put the token in a Secret "
            "and name it in source.credentials.https_token_secret"
        )
    if not parts.path.strip("/"):
        raise ValueError(f"repository URL {url!r} names no repository path")
    return scheme


def redact(url: str) -> str:
    """``url`` with any userinfo replaced, safe to print."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()
