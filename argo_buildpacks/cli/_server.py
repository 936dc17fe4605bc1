"""The command line's connection to an Argo server: the argo CLI's flags and variables.

``-s/--argo-server``, ``-n/--namespace``, ``--token``, ``-e/--secure``,
``-k/--insecure-skip-verify`` and ``--argo-base-href`` read ``ARGO_SERVER``,
``ARGO_NAMESPACE``, ``ARGO_TOKEN``, ``ARGO_SECURE``, ``ARGO_INSECURE_SKIP_VERIFY`` and
``ARGO_BASE_HREF`` when not given, as the argo CLI does. Hera (through the client) is
imported only when a command actually connects.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from argo_buildpacks.errors import ConfigError

if TYPE_CHECKING:
    from argo_buildpacks.client._client import ArgoClient
    from argo_buildpacks.errors import ServerError

__all__ = ["ServerSettings", "cli_server_error", "server_options"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_NAMESPACE = "argo"  # the client's default; repeated here so --help imports no Hera
_AUTH_HINT = (
    "pass --token or set ARGO_TOKEN to a valid bearer token, e.g. from `argo auth token` "
    "or `kubectl create token SERVICE_ACCOUNT -n NAMESPACE`"
)
_TRANSPORT_HINT = (
    "check -s/--argo-server or ARGO_SERVER (host:port of the Argo server), --no-secure or "
    "ARGO_SECURE=false for plain http, and -k or ARGO_INSECURE_SKIP_VERIFY=true for a "
    "self-signed certificate"
)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


@dataclass(frozen=True)
class ServerSettings:
    """Where and how to reach the Argo server, as given on the command line.

    Attributes:
        server: ``host:port`` (the scheme comes from ``secure``), or a full ``http(s)://`` URL.
        namespace: the namespace of templates and runs.
        token: a bearer token, with or without ``Bearer``.
        secure: use https (``ARGO_SECURE``).
        insecure_skip_verify: do not verify the server's certificate.
        base_href: the server's ``--basehref``.
        request_timeout: seconds each request may take.
    """

    server: str | None
    namespace: str
    token: str | None
    secure: bool
    insecure_skip_verify: bool
    base_href: str
    request_timeout: float

    @property
    def url(self) -> str:
        """The server's base URL.

        Raises:
            ConfigError: no server was given.
        """
        server = (self.server or "").strip()
        if not server:
            raise ConfigError(
                "no Argo server given: pass -s/--argo-server HOST:PORT or set ARGO_SERVER "
                "(e.g. localhost:2746)"
            )
        if "://" in server:
            return server
        return f"{'https' if self.secure else 'http'}://{server}"

    @contextmanager
    def connect(self) -> Iterator[ArgoClient]:
        """An `ArgoClient` for these settings, closed afterwards.

        Server errors raised inside get hints in terms of this command line's flags.

        Raises:
            ConfigError: no server, or an invalid setting.
            ServerError: from the calls made inside, with command-line hints.
        """
        url = self.url  # a missing server is reported before Hera is imported
        from argo_buildpacks.client._client import ArgoClient
        from argo_buildpacks.errors import ServerError

        client = ArgoClient(
            url,
            token=self.token or None,
            namespace=self.namespace,
            verify=not self.insecure_skip_verify,
            base_href=self.base_href,
            timeout=self.request_timeout,
        )
        with client, warnings.catch_warnings():
            if self.insecure_skip_verify:
                # The user asked for it: urllib3's per-request warning would only be noise.
                warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            try:
                yield client
            except ServerError as exc:
                raise cli_server_error(exc) from exc


def cli_server_error(exc: ServerError) -> ServerError:
    """``exc`` with its hint in terms of this command line and a short transport reason."""
    from argo_buildpacks.client._http import TRANSPORT_HINT, with_hint
    from argo_buildpacks.errors import AuthenticationError, TransportError

    if isinstance(exc, AuthenticationError) and "ARGO_TOKEN" in exc.hint:
        return with_hint(exc, _AUTH_HINT)
    if isinstance(exc, TransportError):
        # requests' text nests exceptions three deep; the errno text is what matters.
        match = _ERRNO.search(exc.message)
        message = match.group(1).strip() if match else exc.message
        return TransportError(
            f"cannot reach the Argo server: {message}",
            status=None,
            hint=exc.hint.replace(TRANSPORT_HINT, _TRANSPORT_HINT),
            method=exc.method,
            url=exc.url,
        )
    return exc


def server_options(func: F) -> F:
    """Add the argo CLI's server flags to a command; it receives ``server: ServerSettings``."""
    options = [
        click.option(
            "-s",
            "--argo-server",
            "argo_server",
            metavar="HOST:PORT",
            envvar="ARGO_SERVER",
            show_envvar=True,
            help="The Argo server.",
        ),
        click.option(
            "-n",
            "--namespace",
            metavar="NAMESPACE",
            envvar="ARGO_NAMESPACE",
            show_envvar=True,
            default=DEFAULT_NAMESPACE,
            show_default=True,
            help="Namespace of templates and runs.",
        ),
        click.option(
            "--token",
            metavar="TOKEN",
            envvar="ARGO_TOKEN",
            show_envvar=True,
            help="Bearer token (with or without 'Bearer ').",
        ),
        click.option(
            "--secure/--no-secure",
            "-e",
            default=True,
            envvar="ARGO_SECURE",
            show_envvar=True,
            help="Use https (default) or plain http.",
        ),
        click.option(
            "-k",
            "--insecure-skip-verify",
            is_flag=True,
            envvar="ARGO_INSECURE_SKIP_VERIFY",
            show_envvar=True,
            help="Do not verify the server's TLS certificate.",
        ),
        click.option(
            "--argo-base-href",
            metavar="PATH",
            envvar="ARGO_BASE_HREF",
            show_envvar=True,
            default="",
            help="The server's --basehref.",
        ),
        click.option(
            "--request-timeout",
            metavar="SECONDS",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Timeout of each request.",
        ),
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        settings = ServerSettings(
            server=kwargs.pop("argo_server"),
            namespace=kwargs.pop("namespace"),
            token=kwargs.pop("token"),
            secure=kwargs.pop("secure"),
            insecure_skip_verify=kwargs.pop("insecure_skip_verify"),
            base_href=kwargs.pop("argo_base_href"),
            request_timeout=kwargs.pop("request_timeout"),
        )
        return func(server=settings, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]
