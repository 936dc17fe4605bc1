"""Small validators shared by the typed model (Kubernetes names, env names, git refs).

Each returns the value or raises ``ValueError`` with a message that names the bad value and
what is allowed; pydantic turns those into located validation errors.
"""

from __future__ import annotations

import re

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def label_key(value: str, *, what: str = "label key") -> str:
    """A Kubernetes label key (a qualified name): ``[prefix/]name``, as ``IsQualifiedName``.

    The name is at most 63 letters, digits, '-', '_' or '.', starting and ending with a
    letter or digit; the optional prefix is a DNS-1123 subdomain.
    """
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise ValueError(
            f"{what} {value!r}: the prefix {prefix!r} must be a DNS-1123 subdomain "
            "(lower-case letters, digits, '-' and '.')"
        )
    if not _LABEL_NAME.fullmatch(name) or len(name) > 63:
        raise ValueError(
            f"{what} {value!r} is not a valid label key: the name part must be 1 to 63 "
            "letters, digits, '-', '_' or '.', starting and ending with a letter or digit, "
            "with an optional DNS subdomain prefix and '/'"
        )
    return value


def label_value(value: str, *, what: str = "label value") -> str:
    """A Kubernetes label value: empty, or at most 63 letters, digits, '-', '_' or '.',
    starting and ending with a letter or digit."""
    if value and (not _LABEL_NAME.fullmatch(value) or len(value) > 63):
        raise ValueError(
            f"{what} {value!r} is invalid: empty, or at most 63 letters, digits, '-', '_' or "
            "'.', starting and ending with a letter or digit"
        )
    return value


def dns_label(value: str, *, what: str = "name", max_length: int = 63) -> str:
    """A DNS-1123 label (namespaces, app names): lower-case alphanumerics and '-'."""
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 label: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if len(value) > max_length:
        raise ValueError(f"{what} {value!r} is {len(value)} characters long; at most {max_length}")
    return value


def dns_subdomain(value: str, *, what: str = "name") -> str:
    """A DNS-1123 subdomain (Secret and ServiceAccount names), at most 253 characters."""
    if not _DNS_SUBDOMAIN.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 subdomain: use lower-case letters, digits, "
            "'-' and '.', starting and ending with a letter or digit"
        )
    if len(value) > 253:
        raise ValueError(f"{what} {value!r} is {len(value)} characters long; at most 253")
    return value


def secret_key(value: str) -> str:
    """A key inside a Secret: ``[-._a-zA-Z0-9]+``."""
    if not _SECRET_KEY.fullmatch(value) or value in {".", ".."}:
        raise ValueError(f"Secret key {value!r} may only contain letters, digits, '-', '_' and '.'")
    return value


def env_name(value: str) -> str:
    """A POSIX environment variable name (also a file name in ``<platform>/env/``)."""
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"environment variable name {value!r} is invalid: use letters, digits and '_', "
            "not starting with a digit"
        )
    if value.startswith("CNB_"):
        raise ValueError(
            f"environment variable {value!r} is reserved: CNB_* variables configure the lifecycle"
        )
    return value


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


_PULL_REQUEST = re.compile(r"refs/(pull|merge-requests)/.+")


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
