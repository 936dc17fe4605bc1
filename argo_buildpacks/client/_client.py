"""Talk to an Argo Workflows server: apply templates, submit runs, wait, read status and logs.

`ArgoClient` reads and lists workflows through Hera's ``WorkflowsService`` (every setting
explicit, never Hera's ``global_config``), its requests routed through `Http`: a timeout,
typed errors that keep the server's message, status, gRPC code and URL (Hera's drop some),
and bounded retries. It makes the other calls itself, on the same session:

- templates are sent and compared as plain JSON, because Hera 7.1's models lack fields that
  Argo v4.1.2 has (``Template.pendingTimeout``, ``WorkflowSpec.podResources``...) and a round
  trip through them would silently drop those fields;
- the submit body is built from Hera's request models but serialised here, because Hera's
  ``submit_workflow`` uses pydantic's deprecated ``.json()``;
- logs are the server's newline-delimited JSON stream, which Hera's ``workflow_logs`` cannot
  parse; and waits are polled here with a timeout (Hera's ``wait`` has none and can return at
  ``Pending``).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import pydantic
import requests
from hera.workflows.models import SubmitOpts, WorkflowSubmitRequest

from argo_buildpacks._kits import names as v
from argo_buildpacks.client._http import (
    HeraService,
    Http,
    RetryPolicy,
    bare_token,
    check_seconds,
    env_bool,
    iter_log_lines,
    manifest_of,
    seg,
    with_hint,
)
from argo_buildpacks.client._logs import chain, merge
from argo_buildpacks.client._submit import (
    SUBMISSION_LABEL,
    find_submission,
    generate_name,
    run_from,
    submit_labels,
    submit_parameters,
)
from argo_buildpacks.client._templates import (
    Known,
    apply_manifest,
    check_parameters,
    checked_manifest,
    read_template,
)
from argo_buildpacks.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    ServerError,
    ServerUnavailableError,
    TransportError,
    WaitTimeoutError,
)
from argo_buildpacks.model.release import release_arguments
from argo_buildpacks.model.runs import ApplyResult, LogLine, Run, RunStatus

__all__ = ["DEFAULT_NAMESPACE", "SUBMISSION_LABEL", "ArgoClient", "RetryPolicy"]

#: Used when neither ``namespace=`` nor ``ARGO_NAMESPACE`` is given (the argo CLI uses the
#: kube context's; this client does not read kubeconfig).
DEFAULT_NAMESPACE = "argo"


class ArgoClient:
    """A client for one Argo Workflows server.

    Example:
        >>> with ArgoClient.from_env() as argo:  # doctest: +SKIP
        ...     argo.apply(template)
        ...     run = argo.submit("my-app", tag="1.4.2")
        ...     print(argo.wait(run, timeout=1800).image)

    Args:
        server: the server's URL, ``https://host:2746`` (scheme required).
        token: a bearer token, with or without its ``Bearer `` prefix; ``None`` for none.
        namespace: the default namespace for templates and runs.
        verify: verify the server's TLS certificate; or a CA bundle path.
        base_href: the server's ``--basehref`` when it is served under a path.
        timeout: connect and read timeout of each request, in seconds.
        retry: bounded retries for idempotent calls.
        sleep: how to wait between retries and polls (tests pass a fake).
        clock: a monotonic clock, for `wait`'s timeout.
        session: the `requests.Session` to use (one is created otherwise); every
            call goes through it, and `close` closes it.

    Raises:
        ConfigError: a setting is invalid.
    """

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        verify: bool | str = True,
        base_href: str = "",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(server, str):
            raise ConfigError(f"server must be a URL string, not {type(server).__name__}")
        if not isinstance(namespace, str):
            raise ConfigError(f"namespace must be a string, not {type(namespace).__name__}")
        parts = urlsplit(server.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"server {server!r} is not an http:// or https:// URL with a host, "
                "e.g. https://localhost:2746"
            )
        if not namespace:
            raise ConfigError("namespace is empty; give a namespace such as 'argo'")
        check_seconds("timeout", timeout)
        href = base_href.strip().strip("/")
        base_url = server.strip().rstrip("/") + "/" + (f"{href}/" if href else "")
        self.namespace = namespace
        self.sleep = sleep
        self.clock = clock
        self._http = Http(
            base_url,
            token=bare_token(token),
            verify=verify,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            sleep=lambda seconds: self.sleep(seconds),
            session=session or requests.Session(),
        )
        self._hera = HeraService(self._http, namespace)
        self._known: Known = {}  # templates this client wrote or read (_templates.Known)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> ArgoClient:
        """Configure a client from the argo CLI's environment variables.

        ``ARGO_SERVER`` (``host:port``, required), ``ARGO_SECURE`` (default ``true``: https;
        ``false``: http), ``ARGO_INSECURE_SKIP_VERIFY`` (default ``false``), ``ARGO_TOKEN``
        (with or without ``Bearer ``), ``ARGO_NAMESPACE`` (default ``argo``; the CLI would use
        the kube context's) and ``ARGO_BASE_HREF``.

        Args:
            environ: the variables to read; ``os.environ`` by default.
            **options: further keyword arguments for `ArgoClient` (``timeout``...).

        Returns:
            The configured client.

        Raises:
            ConfigError: ``ARGO_SERVER`` is missing or a variable has an invalid value.
        """
        env = os.environ if environ is None else environ
        wrong = [k for k, v in env.items() if k.startswith("ARGO_") and not isinstance(v, str)]
        if wrong:
            raise ConfigError(f"{wrong[0]} must be a string, not {type(env[wrong[0]]).__name__}")
        server = env.get("ARGO_SERVER", "").strip()
        if not server:
            raise ConfigError(
                "ARGO_SERVER is not set; set it to the Argo server's host:port, "
                "e.g. ARGO_SERVER=localhost:2746"
            )
        if "://" in server:
            raise ConfigError(
                f"ARGO_SERVER={server!r} must be host:port without a scheme; "
                "use ARGO_SECURE=false for plain http"
            )
        scheme = "https" if env_bool(env, "ARGO_SECURE", True) else "http"
        return cls(
            f"{scheme}://{server}",
            token=env.get("ARGO_TOKEN"),
            namespace=env.get("ARGO_NAMESPACE", "").strip() or DEFAULT_NAMESPACE,
            verify=not env_bool(env, "ARGO_INSECURE_SKIP_VERIFY", False),
            base_href=env.get("ARGO_BASE_HREF", ""),
            **options,
        )

    @property
    def base_url(self) -> str:
        """The URL API paths are resolved against (scheme, host, port, base href, ``/``)."""
        return self._http.base_url

    def __repr__(self) -> str:
        return f"ArgoClient({self.base_url!r}, namespace={self.namespace!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self._http.close()

    def __enter__(self) -> ArgoClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close()

    # -- templates -----------------------------------------------------------------------

    def apply(self, template: Any, *, allow_privileged: bool = False) -> ApplyResult:
        """Create a WorkflowTemplate or ClusterWorkflowTemplate, or update it if it differs.

        The manifest is checked locally first: a pod that would get root on the node is
        refused unless ``allow_privileged``, and lint errors are refused. An existing
        template whose spec, labels and annotations already match (as the server stores
        them: see `argo_buildpacks.client._compare`) is left alone (``"unchanged"``); otherwise it
        is replaced with its current ``resourceVersion``, re-reading and retrying when
        someone else wrote it in between. A create that got no answer or a 503 is sent
        again (the name makes it safe: if the first one landed, the retry's 409 leads to
        the comparison).

        Args:
            template: a Hera ``WorkflowTemplate``/``ClusterWorkflowTemplate`` (anything with
                ``to_dict()``) or a manifest dict. A WorkflowTemplate without
                ``metadata.namespace`` goes to the client's namespace.
            allow_privileged: accept privileged containers, host paths, host namespaces,
                root users and added capabilities (the ``pack-dind`` and ``pack-socket``
                modes need them).

        Returns:
            What was done, and the resulting resourceVersion.

        Raises:
            PrivilegedError: the manifest gives a pod root on the node and
                ``allow_privileged`` is false; nothing was sent.
            LintError: the manifest has lint errors; nothing was sent.
            ConfigError: not a template manifest, or it has no ``metadata.name``.
            ServerError: the server failed the request (a subclass per failure).
        """
        manifest = checked_manifest(template, allow_privileged=allow_privileged)
        return apply_manifest(self._http, self.sleep, manifest, self.namespace, self._known)

    def read_template(self, template: Any) -> dict[str, Any]:
        """The server's copy of a template (manifest or Hera object), as this client last
        wrote or read it. Raises `NotFoundError`, or `ServerError` when the server fails."""
        m = manifest_of(template)
        meta, kind = m.get("metadata") or {}, str(m.get("kind"))
        ns = None if kind == "ClusterWorkflowTemplate" else meta.get("namespace") or self.namespace
        return read_template(self._http, kind, str(meta.get("name")), ns, self._known)

    # -- runs ----------------------------------------------------------------------------

    def submit(
        self,
        name: str,
        tag: str | None = None,
        parameters: Mapping[str, str] | None = None,
        *,
        cluster: bool = False,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        release: str | None = None,
    ) -> Run:
        """Start a workflow from a template.

        The tag is validated before any request. The submission is never blindly retried:
        it carries a client-generated id (label ``argo-buildpacks.io/submission-id``) and a
        name chosen by the client as ``generateName`` would (``<template>-<5 random>``).
        After a lost response or a 5xx the client looks for the workflow it may already
        have created before it tries again, with the same name, so that a first attempt
        still in flight and its retry cannot both start a run.

        Args:
            name: the WorkflowTemplate (or ClusterWorkflowTemplate) to run.
            tag: the version to build (SemVer 2.0.0, one leading ``v`` allowed); ``None``
                passes no ``tag`` parameter, so the template derives it from git.
            parameters: further workflow parameters.
            cluster: submit from a ClusterWorkflowTemplate.
            namespace: where to run; the client's namespace by default.
            labels: extra labels for the Workflow.
            release: a git tag such as ``"v1.4.2"``: sets both ``tag`` (``1.4.2``) and
                ``revision`` (``v1.4.2``); a different ``tag`` or ``revision`` is refused.

        Returns:
            The submitted run.

        Raises:
            TagError: ``tag`` is not a valid version, or it is missing and the template
                does not derive it from git.
            ConfigError: an invalid parameter or label, or a parameter the template does
                not declare (the template is read first; nothing is submitted then).
            ServerError: the server failed the request (a subclass per failure).
        """
        if not isinstance(name, str) or not name:
            raise ConfigError(f"the template name must be a non-empty string, not {name!r}")
        if release is not None:
            tag, parameters = release_arguments(release, tag=tag, parameters=parameters)
        sid = uuid.uuid4().hex
        params = submit_parameters(tag, parameters)
        label_text = submit_labels(labels, sid)
        ns = namespace or self.namespace
        kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
        check_parameters(self._http, kind, name, None if cluster else ns, params or [], self._known)
        url = self._http.url(f"api/v1/workflows/{seg(ns)}/submit")
        wf_name = generate_name(name)
        attempt = 0
        while True:
            request = WorkflowSubmitRequest(
                namespace=ns,
                resource_kind=kind,
                resource_name=name,
                submit_options=SubmitOpts(name=wf_name, labels=label_text, parameters=params),
            )
            data = request.model_dump_json(by_alias=True, exclude_none=True)
            try:
                resp = self._http.request("POST", url, data=data)
                return run_from(resp.json(), sid)
            except NotFoundError as exc:
                self._known.pop((kind, None if cluster else ns, name), None)
                where = "the cluster" if cluster else f"namespace {ns!r}"
                hint = f"no {kind} named {name!r} in {where}; apply it first or check the name"
                raise with_hint(exc, hint) from exc
            except (ConflictError, TransportError, ServerUnavailableError) as exc:
                found = find_submission(self._hera, ns, wf_name, sid, exc)
                if found is not None:
                    return found
                attempt += 1
                if attempt >= self._http.retry.attempts:
                    raise
                if isinstance(exc, ConflictError):
                    wf_name = generate_name(name)  # the name is taken by another workflow
            self.sleep(self._http.retry.delay(attempt - 1))

    def status(self, run: Run | str) -> RunStatus:
        """Read a run's current status.

        Args:
            run: a `Run` or a workflow name in the client's namespace.

        Returns:
            The phase, progress, nodes and outputs.

        Raises:
            NotFoundError: no such workflow.
            ServerError: the server failed the request.
        """
        name, namespace = self._ref(run)
        try:
            wf = self._hera.get_workflow(name, namespace=namespace)
        except NotFoundError as exc:
            hint = f"no workflow {name!r} in namespace {namespace!r} (deleted, or its TTL expired)"
            raise with_hint(exc, hint) from exc
        except pydantic.ValidationError as exc:
            raise ServerError(f"the server's Workflow did not parse: {exc}") from exc
        return RunStatus.from_workflow(wf, name, namespace)

    def latest_run(self, template: str, *, namespace: str | None = None) -> Run | None:
        """The newest run of the WorkflowTemplate ``template`` (by creation time), or
        ``None`` when it has none (Argo's ``workflows.argoproj.io/workflow-template`` label).

        Raises:
            ConfigError: ``template`` is not a template name.
            ServerError: the server failed the request.
        """
        try:
            v.dns_subdomain(template, what="template name")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        ns = namespace or self.namespace
        listed = self._hera.list_workflows(
            namespace=ns, label_selector=f"workflows.argoproj.io/workflow-template={template}"
        )
        items = [w.model_dump(by_alias=True, exclude_none=True) for w in listed.items or []]
        if not items:
            return None
        newest = max(items, key=lambda w: str((w.get("metadata") or {}).get("creationTimestamp")))
        return run_from(newest, "")

    def wait(
        self,
        run: Run | str,
        timeout: float = 3600.0,
        poll_interval: float = 2.0,
        on_update: Callable[[RunStatus], None] | None = None,
    ) -> RunStatus:
        """Poll a run until its phase is final (Succeeded, Failed or Error).

        Args:
            run: a `Run` or a workflow name in the client's namespace.
            timeout: seconds to wait at most (finite).
            poll_interval: seconds between polls.
            on_update: called with the status whenever its phase, progress or a node's phase
                changes (and once with the first status).

        Returns:
            The final status; check ``.succeeded``.

        Raises:
            WaitTimeoutError: still not finished after ``timeout`` seconds.
            ConfigError: a non-positive or infinite ``timeout``/``poll_interval``.
            ServerError: the server failed a request.
        """
        check_seconds("timeout", timeout)
        check_seconds("poll_interval", poll_interval)
        deadline = self.clock() + timeout
        seen: object = None
        while True:
            current = self.status(run)
            key = (current.phase, current.progress, tuple((n.id, n.phase) for n in current.nodes))
            if key != seen:
                seen = key
                if on_update is not None:
                    on_update(current)
            if current.finished:
                return current
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"workflow {current.namespace}/{current.name} is still {current.phase} "
                    f"after {timeout:g} s",
                    last_phase=current.phase,
                )
            self.sleep(min(poll_interval, remaining))

    def logs(
        self,
        run: Run | str,
        *,
        follow: bool = False,
        container: str | None = None,
        pod_name: str | None = None,
    ) -> Iterator[LogLine]:
        """Stream a run's logs (the server's newline-delimited JSON), every container's.

        Without ``container``, every container that has a log is read: each container of
        a containerSet pod (the single-pod layout's tag check, clone and build) and
        ``main`` of any other pod; each line says its pod and container. Without
        ``follow`` the containers are read one after the other; with it, together, lines
        interleaved as they come.

        Args:
            run: a `Run` or a workflow name in the client's namespace.
            follow: keep streaming until the pods finish (no read timeout then, so a quiet
                build step longer than the client's timeout does not end the stream).
            container: read only this container.
            pod_name: only this pod's lines.

        Returns:
            An iterator of lines; iterate it to the end or ``close()`` it.

        Raises:
            ServerError: a request failed; also raised while iterating for an error
                element in the stream or a broken connection.
        """
        name, namespace = self._ref(run)
        if container is not None:
            names = [container]
        else:
            current = self.status(Run(name, namespace) if isinstance(run, str) else run)
            pairs = [p for p in current.containers() if pod_name in (None, p[0])]
            names = list(dict.fromkeys(c for _, c in pairs)) or ["main"]
        streams = [self._log_stream(name, namespace, c, pod_name, follow) for c in names]
        if len(streams) == 1 or not follow:
            return chain(streams)
        return merge(streams)

    def _log_stream(
        self, name: str, namespace: str, container: str, pod_name: str | None, follow: bool
    ) -> Iterator[LogLine]:
        url = self._http.url(f"api/v1/workflows/{seg(namespace)}/{seg(name)}/log")
        params = {
            "podName": pod_name,
            "logOptions.container": container,
            "logOptions.follow": "true" if follow else None,
        }
        try:
            resp = self._http.request(
                "GET",
                url,
                params=params,
                idempotent=True,
                stream=True,
                read_timeout=None if follow else -1.0,
            )
        except NotFoundError as exc:
            raise with_hint(exc, f"no workflow {name!r} in namespace {namespace!r}") from exc
        return (
            LogLine(line.pod_name, line.content, container) for line in iter_log_lines(resp, url)
        )

    def _ref(self, run: Run | str) -> tuple[str, str]:
        if isinstance(run, Run):
            return run.name, run.namespace
        if isinstance(run, str) and run:
            return run, self.namespace
        raise ConfigError(f"run must be a Run or a workflow name, not {run!r}")
