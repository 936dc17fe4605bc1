"""The exception tree.

Everything the library raises on purpose derives from `ArgoBuildpacksError`, so
callers can catch one type. Input errors are also ``ValueError``\\ s; server failures carry
the server's own message and a hint of what to do about it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ArgoBuildpacksError",
    "AuthenticationError",
    "ConfigError",
    "ConflictError",
    "ImageRefError",
    "InvalidRequestError",
    "LintError",
    "NotFoundError",
    "PermissionDeniedError",
    "PrivilegedError",
    "ServerError",
    "ServerUnavailableError",
    "TagError",
    "TransportError",
    "WaitTimeoutError",
]


class ArgoBuildpacksError(Exception):
    """Base of every error raised by argo-buildpacks."""


class ConfigError(ArgoBuildpacksError, ValueError):
    """A build configuration, option or argument is invalid.

    A `ValueError`, so ``except ValueError`` catches it too. The message has one line per
    problem, ``SOURCE: key.path: what is wrong``. Code written for pydantic's
    ``ValidationError`` keeps working with ``error.errors()`` and ``error.error_count()``.
    """

    def __init__(self, *args: object, errors: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(*args)
        self._errors = [dict(error) for error in errors]

    def errors(self) -> list[dict[str, Any]]:
        """Each problem of a config that failed validation, as pydantic's
        ``ValidationError.errors()`` gives them without the input values: dicts with
        ``loc`` (the key path, a tuple), ``msg`` and ``type``. Empty for other errors."""
        return [dict(error) for error in self._errors]

    def error_count(self) -> int:
        """How many problems `errors` lists."""
        return len(self._errors)


class TagError(ConfigError):
    """A version string is not a valid SemVer 2.0.0 version (or OCI tag)."""


class ImageRefError(ConfigError):
    """A string is not a valid OCI image reference."""


class PrivilegedError(ConfigError):
    """A manifest would give a pod root on the node and privileged pods were not allowed.

    Raised by `ArgoClient.apply` before anything is sent; ``issues`` holds each place, as
    ``(path, message)`` pairs.
    """

    def __init__(self, message: str, issues: Sequence[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.issues = list(issues or [])


class LintError(ArgoBuildpacksError):
    """A manifest has lint findings and was not sent to the server.

    ``findings`` holds every finding, in document order.
    """

    def __init__(self, message: str, findings: Sequence[object] | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])


class ServerError(ArgoBuildpacksError):
    """The Argo server (or the way to it) failed a request.

    Attributes:
        status: the HTTP status code, or ``None`` when no response arrived.
        message: the server's own message (gRPC-gateway ``message``), or the transport error.
        hint: what the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        hint: str = "",
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.method = method
        self.url = url
        where = f"{method} {url}: " if method else ""
        status_text = f"HTTP {status}: " if status is not None else ""
        text = f"{where}{status_text}{message}"
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class AuthenticationError(ServerError):
    """HTTP 401: no token, or the token was rejected."""


class PermissionDeniedError(ServerError):
    """HTTP 403: the token's service account may not do this."""


class NotFoundError(ServerError):
    """HTTP 404: the template, workflow or namespace does not exist."""


class ConflictError(ServerError):
    """HTTP 409: the object exists already, or it changed under us (stale resourceVersion)."""


class InvalidRequestError(ServerError):
    """HTTP 400/422: Argo rejected the object; ``message`` is Argo's validation message."""


class ServerUnavailableError(ServerError):
    """HTTP 5xx (after bounded retries for idempotent calls)."""


class TransportError(ServerError):
    """No usable response: connection refused or reset, DNS, TLS or a read timeout."""


class WaitTimeoutError(ArgoBuildpacksError, TimeoutError):
    """A run did not reach a final phase within the timeout given to ``wait``."""

    def __init__(self, message: str, *, last_phase: str | None = None) -> None:
        super().__init__(message)
        self.last_phase = last_phase
