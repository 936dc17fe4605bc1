"""HTTP plumbing and request building for `ArgoClient`.

One `requests.Session` per client; every failure becomes a typed
`ServerError` carrying the server's own message (the
grpc-gateway body ``{"code": <grpc code>, "message": ...}``), the method and the URL; bounded
retries with exponential backoff, for idempotent calls only.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from hera.workflows.service import WorkflowsService

from argo_buildpacks.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    ServerUnavailableError,
    TransportError,
)
from argo_buildpacks.model.runs import LogLine

__all__ = [
    "HeraService",
    "Http",
    "RetryPolicy",
    "bare_token",
    "check_seconds",
    "env_bool",
    "error_from_body",
    "iter_log_lines",
    "manifest_of",
    "seg",
    "transport_error",
    "with_hint",
]

#: Statuses a proxy or a restarting argo-server answers with; worth retrying when safe.
RETRY_STATUSES = frozenset({502, 503, 504})

# grpc code -> HTTP status, as grpc-gateway maps them (runtime.HTTPStatusFromCode); used for
# errors that arrive inside a 200 stream, which carry only the grpc code.
_GRPC_TO_HTTP = {
    1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}  # fmt: skip

_HINTS: dict[type[ServerError], str] = {
    AuthenticationError: (
        "set ARGO_TOKEN (or token=...) to a valid bearer token, e.g. "
        "`kubectl create token <service-account> -n <namespace>` or `argo auth token`"
    ),
    PermissionDeniedError: (
        "the token's service account lacks RBAC permission for this; grant it a Role with "
        "the needed verbs on workflows/workflowtemplates in that namespace"
    ),
    NotFoundError: "check the name and the namespace (ARGO_NAMESPACE)",
    InvalidRequestError: "Argo rejected the request; fix what its message names",
    ServerUnavailableError: "the Argo server or a proxy in front of it failed; try again later",
}

#: Label carrying the client-generated id of one submission.
# Labels/annotations Argo itself adds (creator, actor...) are not the user's to compare.
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

TRANSPORT_HINT = (
    "check ARGO_SERVER (host:port of the Argo server), ARGO_SECURE (false for plain http) "
    "and ARGO_INSECURE_SKIP_VERIFY (true for a self-signed certificate)"
)


def _error_class(status: int) -> type[ServerError]:
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status in (400, 422):
        return InvalidRequestError
    if status >= 500:
        return ServerUnavailableError
    return ServerError


def error_from_body(
    status: int | None, body: Mapping[str, Any], *, text: str = "", method: str, url: str
) -> ServerError:
    """Build the typed error for a grpc-gateway error body.

    Args:
        status: the HTTP status; ``None`` for an error element inside a log stream, whose
            status is taken from its ``http_code`` or derived from its grpc code.
        body: ``{"code", "message", "details"}`` (or a stream error's ``grpc_code``,
            ``http_code``, ``message``).
        text: the raw body, used when it has no ``message``.
        method: the HTTP method, for the error text.
        url: the URL, for the error text.

    Returns:
        An instance of the `ServerError` subclass for the status.
    """
    code = body.get("code", body.get("grpc_code"))
    grpc_code = code if isinstance(code, int) else None
    if status is None:
        http_code = body.get("http_code")
        status = http_code if isinstance(http_code, int) and http_code else None
        if status is None:
            status = _GRPC_TO_HTTP.get(grpc_code or 2, 500)
    message = body.get("message") or body.get("error") or text or f"HTTP {status}"
    cls = _error_class(status)
    return cls(
        str(message).strip(),
        status=status,
        code=grpc_code,
        hint=_HINTS.get(cls, ""),
        method=method,
        url=url,
    )


def _error_from_response(resp: requests.Response, method: str, url: str) -> ServerError:
    text = resp.text.strip()
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return error_from_body(resp.status_code, body, text=text, method=method, url=url)


def transport_error(exc: requests.RequestException, method: str, url: str) -> TransportError:
    """Build the `TransportError` for a request that got no response."""
    hint = TRANSPORT_HINT
    if isinstance(exc, requests.exceptions.SSLError):
        hint = "TLS failed; " + hint
    elif isinstance(exc, requests.Timeout):
        hint = "the server did not answer in time; " + hint
    return TransportError(
        f"{type(exc).__name__}: {exc}", status=None, hint=hint, method=method, url=url
    )


def _retryable(exc: requests.RequestException) -> bool:
    # A TLS failure or a malformed URL will fail the same way again.
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    )


def with_hint(error: ServerError, hint: str) -> ServerError:
    """Return a copy of ``error`` (same class, status, message) with a more specific hint."""
    return type(error)(
        error.message,
        status=error.status,
        code=error.code,
        hint=hint,
        method=error.method,
        url=error.url,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff, for idempotent calls only.

    Attributes:
        attempts: how many times an idempotent call is tried in all (1 = no retry).
        backoff: seconds before the first retry; doubled for each further one.
        max_backoff: the longest single wait.
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        return float(min(self.max_backoff, self.backoff * 2**retry))


class Http:
    """Send requests to one Argo server over one session and turn failures into errors."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        verify: bool | str,
        timeout: float,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        session: requests.Session,
    ) -> None:
        """Bind the settings used by every request.

        Args:
            base_url: scheme, host, port and base href, ending in ``/``.
            token: the bearer token without its ``Bearer `` prefix, or ``None``.
            verify: verify the server's certificate (or a CA bundle path).
            timeout: connect and read timeout in seconds.
            retry: the retry policy for idempotent calls.
            sleep: how to wait between retries (injectable for tests).
            session: the session every request goes through.
        """
        self.base_url = base_url
        self.token = token
        self.verify = verify
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.session = session

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``api/v1/workflows/argo``."""
        return self.base_url + path.lstrip("/")

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        data: str | bytes | None = None,
        idempotent: bool = False,
        stream: bool = False,
        read_timeout: float | None = -1.0,
    ) -> requests.Response:
        """Send one request and return the successful response.

        Args:
            method: the HTTP method.
            url: the absolute URL (see `url`).
            params: query parameters; ``None`` values are left out.
            body: a JSON-serialisable request body.
            data: an already serialised JSON body (instead of ``body``).
            idempotent: retry on 502/503/504 and connection failures (GET, or PUT guarded
                by a resourceVersion). Never set it for create or submit.
            stream: leave the body unread, for streaming responses.
            read_timeout: seconds to wait for data; ``None`` waits for ever (log follow);
                the default is the client's timeout.

        Returns:
            The response, with a 2xx status.

        Raises:
            ServerError: a subclass for the status, or TransportError when no response came.
        """
        method = method.upper()
        headers = {"Accept": "application/json"}
        if body is not None or data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body) if body is not None else data
        query = {k: v for k, v in (params or {}).items() if v is not None}
        read = self.timeout if read_timeout == -1.0 else read_timeout
        attempts = max(1, self.retry.attempts) if idempotent else 1
        error: ServerError = TransportError("no attempt made", method=method, url=url)
        cause: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.retry.delay(attempt - 1))
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=query,
                    data=payload,
                    headers=headers,
                    verify=self.verify,
                    timeout=(self.timeout, read),
                    stream=stream,
                )
            except requests.RequestException as exc:
                error, cause = transport_error(exc, method, url), exc
                if not _retryable(exc):
                    break
                continue
            if resp.ok:
                return resp
            error, cause = _error_from_response(resp, method, url), None
            resp.close()
            if resp.status_code not in RETRY_STATUSES:
                break
        raise error from cause

    def close(self) -> None:
        """Close the session and its pooled connections."""
        self.session.close()


def iter_log_lines(resp: requests.Response, url: str) -> Iterator[LogLine]:
    """Parse a ``/log`` response: one ``{"result": {...}}`` or ``{"error": {...}}`` a line.

    Blank lines are skipped; an error element raises the matching `ServerError`;
    the response is closed when the iterator ends or is closed.
    """
    try:
        for raw in resp.iter_lines():
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                item = None
            if not isinstance(item, dict):
                raise ServerError(
                    f"the log stream sent a line that is not a JSON object: {raw[:200]!r}",
                    status=resp.status_code,
                    method="GET",
                    url=url,
                )
            if item.get("error"):
                raise error_from_body(None, item["error"], method="GET", url=url)
            result = item.get("result") or {}
            yield LogLine(str(result.get("podName", "")), str(result.get("content", "")))
    except requests.RequestException as exc:
        raise transport_error(exc, "GET", url) from exc
    finally:
        resp.close()


# -- request building ------------------------------------------------------------------------


def check_seconds(field: str, value: float) -> None:
    """Refuse a duration that is not a finite number of seconds > 0."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{field} must be a finite number of seconds > 0, not {value!r}")


def bare_token(token: str | None) -> str | None:
    """The token without surrounding space or a ``Bearer `` prefix; ``None`` if empty."""
    text = (token or "").strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text or None


def env_bool(env: Mapping[str, str], var: str, default: bool) -> bool:
    """Read a boolean environment variable (true/false, 1/0, yes/no, on/off)."""
    raw = env.get(var, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{var}={env[var]!r} is not a boolean; use true or false")


def manifest_of(template: Any) -> dict[str, Any]:
    """A private copy of a manifest dict, or of a Hera object's ``to_dict()``."""
    if isinstance(template, Mapping):
        return copy.deepcopy(dict(template))
    to_dict = getattr(template, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            # Hera builds a new dict on every call: already private, no copy needed (a deep
            # copy was 10% of applying a template: make bench, client row).
            return result
    raise ConfigError(
        "apply() takes a Hera WorkflowTemplate/ClusterWorkflowTemplate or a manifest dict, "
        f"not {type(template).__name__}"
    )


def seg(text: str) -> str:
    """``text`` as one URL path segment (every ``/`` and ``?`` escaped)."""
    return quote(text, safe="")


class HeraService(WorkflowsService):
    """Hera's service with every request sent through `Http`."""

    def __init__(self, http: Http, namespace: str) -> None:
        super().__init__(
            host=http.base_url,
            verify_ssl=http.verify is not False,
            token=http.token,
            client_certs=None,
            namespace=namespace,
            session=http.session,
        )
        self._http = http

    def _request(self, method: str, **kwargs: Any) -> requests.Response:
        # Hera's own headers, verify and (missing) timeout are replaced by Http's.
        return self._http.request(
            method,
            kwargs["url"],
            params=kwargs.get("params"),
            data=kwargs.get("data"),
            idempotent=method.lower() == "get",
        )
