"""Kubernetes names: the one copy of the rules (``k8s.io/apimachinery`` validation).

Two forms of each rule, built on the same patterns:

- predicates (``is_dns_label``...), for callers that word their own message (the lint
  reports in Argo's style);
- validators (``dns_label``...) that return the value or raise ``ValueError`` naming the
  bad value and what is allowed; pydantic turns those into located validation errors.
"""

from __future__ import annotations

import re

# A git rule, kept importable here until templates/pipeline.py and client/_http.py import it
# from argo_buildpacks._kits.git (it lived here before issue 22).

__all__ = [
    "DNS_LABEL_MAX",
    "DNS_SUBDOMAIN_MAX",
    "LABEL_MAX",
    "dns_label",
    "dns_subdomain",
    "env_name",
    "is_dns_label",
    "is_dns_subdomain",
    "is_label_key",
    "is_label_name",
    "is_label_value",
    "label_key",
    "label_value",
    "secret_key",
]

#: IsDNS1123Label: at most 63 characters.
DNS_LABEL_MAX = 63
#: IsDNS1123Subdomain: at most 253 characters.
DNS_SUBDOMAIN_MAX = 253
#: A label value, and the name part of a label key (IsQualifiedName): at most 63.
LABEL_MAX = 63

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def is_dns_label(value: str, *, max_length: int = DNS_LABEL_MAX) -> bool:
    """A DNS-1123 label (namespaces, container names): lower-case alphanumerics and '-',
    starting and ending with an alphanumeric, at most ``max_length`` characters."""
    return len(value) <= max_length and _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str, *, max_length: int = DNS_SUBDOMAIN_MAX) -> bool:
    """A DNS-1123 subdomain (most object names, host names): dot-separated DNS labels."""
    return len(value) <= max_length and _DNS_SUBDOMAIN.fullmatch(value) is not None


def is_label_name(value: str) -> bool:
    """The name part of a qualified name (a label key without its prefix): 1 to 63
    letters, digits, '-', '_' or '.', starting and ending with a letter or digit."""
    return len(value) <= LABEL_MAX and _LABEL_NAME.fullmatch(value) is not None


def is_label_key(value: str) -> bool:
    """A label key (``IsQualifiedName``): ``[prefix/]name``, the prefix a DNS-1123 subdomain."""
    prefix, slash, name = value.rpartition("/")
    return (not slash or is_dns_subdomain(prefix)) and is_label_name(name)


def is_label_value(value: str) -> bool:
    """A label value: empty, or as the name part of a label key."""
    return not value or is_label_name(value)


def label_key(value: str, *, what: str = "label key") -> str:
    """``value`` if it is a label key (`is_label_key`), else ``ValueError`` saying which part
    is wrong."""
    prefix, slash, name = value.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        raise ValueError(
            f"{what} {value!r}: the prefix {prefix!r} must be a DNS-1123 subdomain "
            "(lower-case letters, digits, '-' and '.')"
        )
    if not is_label_name(name):
        raise ValueError(
            f"{what} {value!r} is not a valid label key: the name part must be 1 to 63 "
            "letters, digits, '-', '_' or '.', starting and ending with a letter or digit, "
            "with an optional DNS subdomain prefix and '/'"
        )
    return value


def label_value(value: str, *, what: str = "label value") -> str:
    """``value`` if it is a label value (`is_label_value`), else ``ValueError``."""
    if not is_label_value(value):
        raise ValueError(
            f"{what} {value!r} is invalid: empty, or at most 63 letters, digits, '-', '_' or "
            "'.', starting and ending with a letter or digit"
        )
    return value


def dns_label(value: str, *, what: str = "name", max_length: int = DNS_LABEL_MAX) -> str:
    """``value`` if it is a DNS-1123 label of at most ``max_length`` characters (app names
    leave room for suffixes), else ``ValueError``."""
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 label: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if len(value) > max_length:
        raise ValueError(f"{what} {value!r} is {len(value)} characters long; at most {max_length}")
    return value


def dns_subdomain(value: str, *, what: str = "name") -> str:
    """``value`` if it is a DNS-1123 subdomain (Secret and ServiceAccount names), else
    ``ValueError``."""
    if not _DNS_SUBDOMAIN.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 subdomain: use lower-case letters, digits, "
            "'-' and '.', starting and ending with a letter or digit"
        )
    if len(value) > DNS_SUBDOMAIN_MAX:
        raise ValueError(
            f"{what} {value!r} is {len(value)} characters long; at most {DNS_SUBDOMAIN_MAX}"
        )
    return value


def secret_key(value: str) -> str:
    """A key inside a Secret (``IsConfigMapKey``): ``[-._a-zA-Z0-9]+``, not ``.`` or ``..``."""
    if not _SECRET_KEY.fullmatch(value) or value in {".", ".."}:
        raise ValueError(f"Secret key {value!r} may only contain letters, digits, '-', '_' and '.'")
    return value


def env_name(value: str) -> str:
    """A POSIX environment variable name (also a file name in ``<platform>/env/``), not one
    of the lifecycle's own ``CNB_*``."""
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
