"""A local, contract-faithful Argo Server REST API (v4.1.2 ``/api/v1``) for the client tests.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, a free port, in a thread) that
serves the endpoints :class:`~argo_buildpacks.client._client.ArgoClient` uses, as Argo's swagger
describes them: workflow templates and cluster workflow templates (create, get, update
with ``resourceVersion`` preconditions), workflow submit, get and list (label selectors),
and the newline-delimited JSON log stream. Errors are grpc-gateway bodies,
``{"code": <grpc code>, "message": ..., "details": []}``, with the HTTP status grpc-gateway
maps the code to.

Runs are scripted, not timed: each GET of a workflow (after :attr:`FakeArgo.polls_per_step`
GETs) moves it one step along Pending -> Running (one step per pod) ->
:attr:`FakeArgo.final_phase`, so a test controls
exactly what a poll sees.

Fault injection (:meth:`FakeArgo.add_fault`) imitates what lies between a client and a real
server: slow answers, bursts of 5xx, connections closed without an answer, and answers lost
after the server acted.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["GRPC", "ApiError", "FakeArgo", "Fault", "Recorded", "fnv1a32", "pod_name"]

#: gRPC codes the Argo server answers with, and the HTTP status grpc-gateway gives each.
GRPC = {
    "InvalidArgument": 3,
    "NotFound": 5,
    "AlreadyExists": 6,
    "PermissionDenied": 7,
    "Aborted": 10,
    "Internal": 13,
    "Unavailable": 14,
    "Unauthenticated": 16,
}
_HTTP_FOR_CODE = {3: 400, 5: 404, 6: 409, 7: 403, 10: 409, 13: 500, 14: 503, 16: 401}
_CODE_FOR_HTTP = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13, 502: 14, 503: 14, 504: 4}

TOKEN_INVALID = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"
POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"


class ApiError(Exception):
    """An error answer: a grpc code (and the HTTP status grpc-gateway maps it to)."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _HTTP_FOR_CODE.get(code, 500)


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    """A fault applied to the next ``times`` requests matching ``method`` and ``path``.

    Kinds:
        ``delay``: wait ``delay`` seconds, then answer normally.
        ``status``: answer ``status`` without acting: a grpc-gateway body with ``message``,
            or ``body`` as it is (e.g. a proxy's HTML page).
        ``drop``: close the connection without an answer, without acting.
        ``drop_after``: act, then close the connection without an answer.
        ``status_after``: act, then answer ``status`` instead of the result.
        ``concurrent_write``: before acting, bump the targeted template's resourceVersion,
            as if someone else had written it.
    """

    kind: str
    method: str | None = None
    path: str | None = None
    times: int = 1
    status: int = 503
    message: str = "upstream connect error or disconnect/reset before headers"
    delay: float = 0.0
    body: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the request (and has uses left)."""
        if self.hits >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass
class _Workflow:
    obj: dict[str, Any]
    timeline: list[dict[str, Any]]
    step: int = 0
    gets: int = 0
    logs: list[Any] = field(default_factory=list)


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a, as Argo hashes node names into node ids and pod names."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _fault_error(fault: Fault) -> ApiError:
    return ApiError(_CODE_FOR_HTTP.get(fault.status, 2), fault.message, fault.status)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeArgo:
    """The fake server. Use as a context manager, or :meth:`start` and :meth:`stop`.

    Args:
        token: the bearer token every request must carry; ``None`` accepts any request.
        namespaces: the namespaces that exist.
        base_href: serve the API under this path (argo-server ``--basehref``).
    """

    def __init__(
        self,
        token: str | None = "test-token",  # noqa: S107 - a test credential
        namespaces: tuple[str, ...] = ("argo",),
        base_href: str = "",
    ) -> None:
        self.token = token
        self.base_href = "/" + base_href.strip("/") if base_href.strip("/") else ""
        self.namespaces = set(namespaces)
        self.forbidden_namespaces: set[str] = set()
        #: The phase every run submitted from now on ends in.
        self.final_phase = "Succeeded"
        #: How many GETs see each step of a run.
        self.polls_per_step = 1
        #: Seconds between log lines when a client follows the log stream.
        self.follow_delay = 0.05
        #: Maps a run's effective parameters to its global outputs.
        self.outputs_for: Callable[[dict[str, str]], dict[str, str]] = default_outputs
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.templates: dict[tuple[str, str], dict[str, Any]] = {}
        self.cluster_templates: dict[str, dict[str, Any]] = {}
        self.workflows: dict[tuple[str, str], _Workflow] = {}
        self.handler_errors = 0
        self._version = 1000
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeArgo:
        """Start serving on 127.0.0.1 on a free port."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.handle_error = self._handle_error  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeArgo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle_error(self, request: object, client_address: object) -> None:
        # A client that timed out and went away: writing to it fails, as it would in life.
        self.handler_errors += 1

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as ``ARGO_SERVER`` spells it."""
        return self.url.removeprefix("http://")

    # -- test API ------------------------------------------------------------------------

    def add_fault(self, kind: str, **options: Any) -> Fault:
        """Add a :class:`Fault` (see its kinds); returns it, to inspect ``hits``."""
        fault = Fault(kind, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests were received, optionally by method and path regex."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))
            )

    def set_logs(self, namespace: str, name: str, entries: list[Any]) -> None:
        """Replace a run's log stream.

        Args:
            namespace: the run's namespace.
            name: the run's name.
            entries: ``(pod_name, content)`` pairs (container ``main``) and
                ``(pod_name, container, content)`` triples become ``{"result": ...}`` lines,
                sent to a request for that container; a dict
                is sent as one JSON line as it is (e.g. ``{"error": {...}}``); a str is sent
                as a raw line (e.g. ``""`` for a blank line).
        """
        with self._lock:
            self.workflows[(namespace, name)].logs = list(entries)

    def workflow(self, namespace: str, name: str) -> dict[str, Any]:
        """A run's Workflow as the next GET would see it (without advancing it)."""
        with self._lock:
            return self._current(self.workflows[(namespace, name)])

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    # -- request handling ----------------------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        """Serve one request (called on the server's thread for it)."""
        parts = urlsplit(handler.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        method = handler.command
        if self.base_href:
            if not path.startswith(self.base_href + "/"):
                handler.send_raw(404, "404 page not found")
                return
            path = path[len(self.base_href) :]
        with self._lock:
            self.requests.append(
                Recorded(
                    method, path, query, {k.lower(): v for k, v in handler.headers.items()}, body
                )
            )
            faults = [f for f in self.faults if f.matches(method, path)]
            for fault in faults:
                fault.hits += 1
        after: Fault | None = None
        for fault in faults:
            if fault.kind == "delay":
                time.sleep(fault.delay)
            elif fault.kind == "drop":
                handler.drop()
                return
            elif fault.kind == "status":
                if fault.body is not None:
                    handler.send_raw(fault.status, fault.body)
                else:
                    handler.send_error_body(_fault_error(fault))
                return
            elif fault.kind == "concurrent_write":
                self._bump(path)
            elif fault.kind in ("drop_after", "status_after"):
                after = fault
        try:
            self._authorize(handler.headers.get("Authorization"))
            with self._lock:
                result = self._route(method, path, query, body)
        except ApiError as err:
            if after is not None and after.kind == "drop_after":
                handler.drop()
            else:
                handler.send_error_body(err)
            return
        if after is not None:
            if after.kind == "drop_after":
                handler.drop()
            else:
                handler.send_error_body(_fault_error(after))
            return
        if isinstance(result, _LogStream):
            handler.send_stream(result.lines(self.follow_delay if result.follow else 0.0))
        else:
            handler.send_json(200, result)

    def _authorize(self, header: str | None) -> None:
        if self.token is not None and header != f"Bearer {self.token}":
            raise ApiError(GRPC["Unauthenticated"], TOKEN_INVALID)

    def _forbid(self, method: str, resource: str, namespace: str) -> None:
        if namespace in self.forbidden_namespaces:
            verb = {"GET": "get", "POST": "create", "PUT": "update"}.get(method, method.lower())
            raise ApiError(
                GRPC["PermissionDenied"],
                f'{resource}.argoproj.io is forbidden: User "system:serviceaccount:argo:ci" '
                f'cannot {verb} resource "{resource}" in API group "argoproj.io" '
                f'in the namespace "{namespace}"',
            )

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        segs = [unquote(s) for s in path.strip("/").split("/")]
        if segs[:2] != ["api", "v1"] or len(segs) < 3:
            raise ApiError(GRPC["NotFound"], "Not Found", 404)
        resource, rest = segs[2], segs[3:]
        if resource == "cluster-workflow-templates":
            return self._cluster_templates(method, rest, body)
        if not rest:
            raise ApiError(GRPC["NotFound"], "Not Found", 404)
        namespace = rest[0]
        if resource == "workflow-templates":
            self._forbid(method, "workflowtemplates", namespace)
            return self._namespaced_templates(method, namespace, rest[1:], body)
        if resource == "workflows":
            self._forbid(method, "workflows", namespace)
            return self._workflows(method, namespace, rest[1:], query, body)
        raise ApiError(GRPC["NotFound"], "Not Found", 404)

    # -- templates -----------------------------------------------------------------------

    def _namespaced_templates(self, method: str, ns: str, rest: list[str], body: Any) -> Any:
        store = {name: obj for (n, name), obj in self.templates.items() if n == ns}
        if ns not in self.namespaces:
            raise ApiError(GRPC["NotFound"], f'namespaces "{ns}" not found')
        result = self._template_op(method, "workflowtemplates", rest, body, store, ns)
        for name, obj in store.items():
            self.templates[(ns, name)] = obj
        return result

    def _cluster_templates(self, method: str, rest: list[str], body: Any) -> Any:
        return self._template_op(
            method, "clusterworkflowtemplates", rest, body, self.cluster_templates, None
        )

    def _template_op(
        self,
        method: str,
        resource: str,
        rest: list[str],
        body: Any,
        store: dict[str, dict[str, Any]],
        ns: str | None,
    ) -> Any:
        if method == "POST" and not rest:
            template = _template_from(body)
            name = template["metadata"]["name"]
            if name in store:
                raise ApiError(
                    GRPC["AlreadyExists"], f'{resource}.argoproj.io "{name}" already exists'
                )
            _validate_template(template)
            template = as_stored(template)
            meta = template["metadata"]
            meta.update(
                uid=str(uuid.uuid4()),
                resourceVersion=self._next_version(),
                creationTimestamp=_now(),
                generation=1,
            )
            if ns is not None:
                meta["namespace"] = ns
            store[name] = template
            return template
        if len(rest) != 1:
            raise ApiError(GRPC["NotFound"], "Not Found", 404)
        name = rest[0]
        if name not in store:
            raise ApiError(GRPC["NotFound"], f'{resource}.argoproj.io "{name}" not found')
        current = store[name]
        if method == "GET":
            return current
        if method != "PUT":
            raise ApiError(GRPC["NotFound"], "Method Not Allowed", 405)
        template = _template_from(body)
        version = template["metadata"].get("resourceVersion")
        if not version:
            raise ApiError(
                GRPC["InvalidArgument"],
                f'{resource}.argoproj.io "{name}" is invalid: metadata.resourceVersion: '
                "Invalid value: 0x0: must be specified for an update",
            )
        if version != current["metadata"]["resourceVersion"]:
            raise ApiError(
                GRPC["Aborted"],
                f'Operation cannot be fulfilled on {resource}.argoproj.io "{name}": the object '
                "has been modified; please apply your changes to the latest version and try again",
            )
        _validate_template(template)
        template = as_stored(template)
        meta = template["metadata"]
        for key in ("uid", "creationTimestamp", "namespace"):
            if key in current["metadata"]:
                meta[key] = current["metadata"][key]
        changed = template.get("spec") != current.get("spec")
        meta["generation"] = current["metadata"].get("generation", 1) + int(changed)
        meta["resourceVersion"] = self._next_version()
        store[name] = template
        return template

    def _bump(self, path: str) -> None:
        segs = [unquote(s) for s in path.strip("/").split("/")]
        with self._lock:
            if segs[2:3] == ["cluster-workflow-templates"] and len(segs) == 4:
                target = self.cluster_templates.get(segs[3])
            elif segs[2:3] == ["workflow-templates"] and len(segs) == 5:
                target = self.templates.get((segs[3], segs[4]))
            else:
                target = None
            if target is not None:
                target["metadata"]["resourceVersion"] = self._next_version()

    # -- workflows -----------------------------------------------------------------------

    def _workflows(
        self, method: str, ns: str, rest: list[str], query: dict[str, list[str]], body: Any
    ) -> Any:
        if method == "POST" and rest == ["submit"]:
            return self._submit(ns, body)
        if method == "GET" and not rest:
            selector = (query.get("listOptions.labelSelector") or [""])[0]
            items = [
                self._current(wf)
                for (n, _), wf in self.workflows.items()
                if n == ns and _selects(selector, wf.obj["metadata"].get("labels") or {})
            ]
            return {"metadata": {"resourceVersion": str(self._version)}, "items": items or None}
        if method == "GET" and rest:
            key = (ns, rest[0])
            if key not in self.workflows:
                raise ApiError(GRPC["NotFound"], f'workflows.argoproj.io "{rest[0]}" not found')
            wf = self.workflows[key]
            if rest[1:] == ["log"]:
                follow = (query.get("logOptions.follow") or ["false"])[0] == "true"
                pod = (query.get("podName") or [""])[0]
                container = (query.get("logOptions.container") or ["main"])[0]
                return _LogStream(wf.logs, pod, follow, container)
            if len(rest) == 1:
                current = self._current(wf)
                wf.gets += 1
                if wf.gets % self.polls_per_step == 0:
                    wf.step = min(wf.step + 1, len(wf.timeline) - 1)
                return current
        raise ApiError(GRPC["NotFound"], "Not Found", 404)

    def _current(self, wf: _Workflow) -> dict[str, Any]:
        obj = copy.deepcopy(wf.obj)
        obj["status"] = copy.deepcopy(wf.timeline[wf.step])
        return obj

    def _submit(self, ns: str, body: Any) -> dict[str, Any]:
        if ns not in self.namespaces:
            raise ApiError(GRPC["NotFound"], f'namespaces "{ns}" not found')
        if not isinstance(body, dict):
            raise ApiError(GRPC["InvalidArgument"], "request body is not a WorkflowSubmitRequest")
        kind, name = body.get("resourceKind"), body.get("resourceName", "")
        if kind == "WorkflowTemplate":
            template = self.templates.get((ns, name))
            missing = f'workflowtemplates.argoproj.io "{name}" not found'
        elif kind == "ClusterWorkflowTemplate":
            template = self.cluster_templates.get(name)
            missing = f'clusterworkflowtemplates.argoproj.io "{name}" not found'
        else:
            raise ApiError(GRPC["InvalidArgument"], f"resourceKind {kind!r} is invalid")
        if template is None:
            raise ApiError(GRPC["NotFound"], missing)
        opts = body.get("submitOptions") or {}
        given = {}
        for item in opts.get("parameters") or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ApiError(
                    GRPC["InvalidArgument"],
                    f"expected parameter of the form: NAME=VALUE. Received: {item}",
                )
            given[key] = value
        params = {
            p["name"]: str(p.get("value", ""))
            for p in (template["spec"].get("arguments") or {}).get("parameters") or []
        }
        for p in (template["spec"].get("arguments") or {}).get("parameters") or []:
            enum = p.get("enum")
            if enum and p["name"] in given and given[p["name"]] not in enum:
                raise ApiError(
                    GRPC["InvalidArgument"],
                    f"value {given[p['name']]!r} for parameter {p['name']!r} is not one of {enum}",
                )
        params.update(given)
        wf_name = opts.get("name") or (opts.get("generateName") or f"{name}-") + "".join(
            secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)
        )
        if (ns, wf_name) in self.workflows:
            raise ApiError(
                GRPC["AlreadyExists"], f'workflows.argoproj.io "{wf_name}" already exists'
            )
        label_key = (
            "workflows.argoproj.io/cluster-workflow-template"
            if kind == "ClusterWorkflowTemplate"
            else "workflows.argoproj.io/workflow-template"
        )
        labels = {label_key: name}
        for pair in filter(None, (opts.get("labels") or "").split(",")):
            key, _, value = pair.partition("=")
            labels[key] = value
        obj = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {
                "name": wf_name,
                "namespace": ns,
                "uid": str(uuid.uuid4()),
                "resourceVersion": self._next_version(),
                "creationTimestamp": _now(),
                "labels": labels,
                "annotations": {POD_NAME_FORMAT: "v2"},
            },
            "spec": {
                "workflowTemplateRef": {
                    "name": name,
                    "clusterScope": kind == "ClusterWorkflowTemplate",
                }
                if kind == "ClusterWorkflowTemplate"
                else {"name": name},
                "arguments": {"parameters": [{"name": k, "value": v} for k, v in given.items()]},
            },
            "status": {},
        }
        record = _Workflow(
            obj, _timeline(wf_name, template, params, self.final_phase, self.outputs_for)
        )
        record.logs = _default_logs(wf_name, record.timeline[-1])
        self.workflows[(ns, wf_name)] = record
        return copy.deepcopy(obj)


# -- runs ------------------------------------------------------------------------------------


def default_outputs(params: dict[str, str]) -> dict[str, str]:
    """Outputs a build of ``params`` would produce: image, digest, tags, commit."""
    tag = params.get("tag") or "0.1.0-dev.1"
    image = f"{params.get('image') or 'registry.example.com/app'}:{tag.replace('+', '_')}"
    return {
        "image": image,
        "digest": "sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        "tags": tag.replace("+", "_"),
        "commit": hashlib.sha1(params.get("revision", "main").encode()).hexdigest(),  # noqa: S324
    }


def _pod_nodes(
    wf_name: str, template: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec = template["spec"]
    entry = spec.get("entrypoint", "")
    by_name = {t.get("name"): t for t in spec.get("templates") or []}
    main = by_name.get(entry, {})
    root = {"id": wf_name, "name": wf_name, "displayName": wf_name, "templateName": entry}
    children: list[tuple[str, str, str]] = []
    if main.get("steps"):
        for i, group in enumerate(main["steps"]):
            for step in group:
                children.append(
                    (f"{wf_name}[{i}].{step['name']}", step["name"], step.get("template", ""))
                )
        root["type"] = "Steps"
    elif main.get("dag"):
        for task in main["dag"].get("tasks") or []:
            children.append((f"{wf_name}.{task['name']}", task["name"], task.get("template", "")))
        root["type"] = "DAG"
    else:
        root["type"] = "Pod"
        _add_containers(root, wf_name, main)
        return root, [root]
    pods = [
        {
            "id": f"{wf_name}-{fnv1a32(full)}",
            "name": full,
            "displayName": short,
            "type": "Pod",
            "templateName": tmpl,
        }
        for full, short, tmpl in children
    ]
    for pod in pods:
        _add_containers(pod, wf_name, by_name.get(pod["templateName"], {}))
    root["children"] = [p["id"] for p in pods]
    return root, pods


def _add_containers(pod: dict[str, Any], wf_name: str, template: dict[str, Any]) -> None:
    """Argo's executeContainerSet: one node of type Container per container of a
    containerSet, named ``<pod node name>.<container>``, a child of the pod node."""
    containers = (template.get("containerSet") or {}).get("containers") or []
    names = [c.get("name", "") for c in containers]
    if not names:
        return
    pod["containers"] = [
        {
            "id": f"{wf_name}-{fnv1a32(pod['name'] + '.' + name)}",
            "name": f"{pod['name']}.{name}",
            "displayName": name,
            "type": "Container",
            "templateName": pod["templateName"],
        }
        for name in names
    ]
    pod["children"] = [c["id"] for c in pod["containers"]]


def _timeline(
    wf_name: str,
    template: dict[str, Any],
    params: dict[str, str],
    final: str,
    outputs_for: Callable[[dict[str, str]], dict[str, str]],
) -> list[dict[str, Any]]:
    root, pods = _pod_nodes(wf_name, template)
    total = len(pods)
    started = _now()

    def state(
        phase: str, done: int, running: int | None, failed: int | None = None
    ) -> dict[str, Any]:
        nodes = {}
        for i, pod in enumerate(pods):
            node_phase = "Succeeded" if i < done else "Pending"
            if i == running:
                node_phase = "Running"
            if i == failed:
                node_phase = "Failed"
            containers = pod.get("containers") or []
            nodes[pod["id"]] = {
                **{k: v for k, v in pod.items() if k != "containers"},
                "phase": node_phase,
                "startedAt": started,
            }
            if i == failed:
                nodes[pod["id"]]["message"] = "Error (exit code 1)"
            for j, container in enumerate(containers):
                # Containers run one after another: the last one is the one that fails.
                # (Its own name: the run's phase must not take a container's.)
                container_phase = node_phase
                if node_phase in ("Running", "Failed") and j < len(containers) - 1:
                    container_phase = "Succeeded"
                nodes[container["id"]] = {
                    **container,
                    "phase": container_phase,
                    "startedAt": started,
                }
                if container_phase == "Failed":
                    nodes[container["id"]]["message"] = "Error (exit code 1)"
        if root["type"] != "Pod":
            nodes[root["id"]] = {**root, "phase": phase, "startedAt": started}
        status: dict[str, Any] = {
            "phase": phase,
            "startedAt": started,
            "progress": f"{done}/{total}",
            "nodes": nodes,
        }
        return status

    steps = [state("Pending", 0, None)]
    steps += [state("Running", i, i) for i in range(total)]
    if final == "Succeeded":
        last = state("Succeeded", total, None)
        # Only templates that ran export their global outputs.
        ran = {root["templateName"]} | {pod["templateName"] for pod in pods}
        declared = [
            p["globalName"]
            for t in template["spec"].get("templates") or []
            if t.get("name") in ran
            for p in (t.get("outputs") or {}).get("parameters") or []
            if p.get("globalName")
        ]
        values = outputs_for(params)
        if declared:
            last["outputs"] = {
                "parameters": [
                    {"name": n, "value": values.get(n, f"value-of-{n}")} for n in declared
                ]
            }
    else:
        last = state(final, total - 1, None, failed=total - 1)
        last["message"] = f"child '{pods[-1]['id']}' failed"
    last["finishedAt"] = _now()
    steps.append(last)
    return steps


def pod_name(wf_name: str, node: dict[str, Any]) -> str:
    """The pod a Pod node runs in, named as Argo's v2 pod names are."""
    if node["name"] == wf_name:
        return wf_name
    return f"{wf_name}-{node['templateName']}-{fnv1a32(node['name'])}"


def _default_logs(wf_name: str, final: dict[str, Any]) -> list[Any]:
    lines: list[Any] = []
    nodes = final["nodes"]
    for node in nodes.values():
        if node["type"] == "Pod":
            pod = pod_name(wf_name, node)
            containers = [nodes[c] for c in node.get("children") or [] if c in nodes]
            containers = [c for c in containers if c["type"] == "Container"]
            if not containers:
                lines.append((pod, f"{node['templateName']}: started"))
                lines.append((pod, f"{node['templateName']}: {node['phase'].lower()}"))
            for container in containers:
                name = container["displayName"]
                lines.append((pod, name, f"{name}: started"))
                lines.append((pod, name, f"{name}: {container['phase'].lower()}"))
    return lines


@dataclass
class _LogStream:
    entries: list[Any]
    pod: str
    follow: bool
    container: str = "main"

    def lines(self, delay: float) -> Iterator[bytes]:
        for i, entry in enumerate(self.entries):
            if i and delay:
                time.sleep(delay)
            if isinstance(entry, tuple):
                # (pod, content) is a line of container main; (pod, container, content).
                pod, container, content = entry if len(entry) == 3 else (entry[0], "main", entry[1])
                if (self.pod and pod != self.pod) or container != self.container:
                    continue
                yield (json.dumps({"result": {"content": content, "podName": pod}}) + "\n").encode()
            elif isinstance(entry, dict):
                yield (json.dumps(entry) + "\n").encode()
            else:
                yield (str(entry) + "\n").encode()


def _template_from(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("template"), dict):
        raise ApiError(GRPC["InvalidArgument"], "template is required")
    template: dict[str, Any] = copy.deepcopy(body["template"])
    if not (template.get("metadata") or {}).get("name"):
        raise ApiError(
            GRPC["InvalidArgument"],
            "metadata.name: Required value: name or generateName is required",
        )
    return template


def _go_container(container: dict[str, Any]) -> None:
    # k8s Container: `name` has no omitempty; `resources` is a struct (never omitted);
    # EnvVar.value and VolumeMount.readOnly are omitempty non-pointers.
    container.setdefault("name", "")
    container.setdefault("resources", {})
    for env in container.get("env") or []:
        if env.get("value") == "":
            del env["value"]
    for mount in container.get("volumeMounts") or []:
        if mount.get("readOnly") is False:
            del mount["readOnly"]


def as_stored(template: dict[str, Any]) -> dict[str, Any]:
    """A template as argo-server returns it after decoding it into Go structs and encoding it
    again: fields without ``omitempty`` that were left out come back as zero values
    (``name: ""`` of a container template, ``inputs: {}``, ``arguments: {}``,
    ``creationTimestamp: null``...) and omitempty non-pointers sent as zero are left out."""
    stored = copy.deepcopy(template)
    spec = stored.setdefault("spec", {})
    spec.setdefault("arguments", {})
    for pvc in spec.get("volumeClaimTemplates") or []:
        pvc.setdefault("metadata", {})["creationTimestamp"] = None
        pvc.setdefault("spec", {}).setdefault("resources", {})
        pvc["status"] = {}
    for tmpl in spec.get("templates") or []:
        for key in ("inputs", "outputs", "metadata"):
            tmpl.setdefault(key, {})
        for key in ("container", "script"):
            if isinstance(tmpl.get(key), dict):
                _go_container(tmpl[key])
        if "script" in tmpl:
            tmpl["script"].setdefault("source", "")
        for key in ("initContainers", "sidecars"):
            for container in tmpl.get(key) or []:
                _go_container(container)
        for container in (tmpl.get("containerSet") or {}).get("containers") or []:
            _go_container(container)
        for group in tmpl.get("steps") or []:
            for step in group or []:
                step.setdefault("arguments", {})
        for task in (tmpl.get("dag") or {}).get("tasks") or []:
            task.setdefault("arguments", {})
    return stored


def _validate_template(template: dict[str, Any]) -> None:
    spec = template.get("spec") or {}
    names = [t.get("name") for t in spec.get("templates") or []]
    if not names:
        raise ApiError(GRPC["InvalidArgument"], "spec.templates: at least one template is required")
    entry = spec.get("entrypoint")
    if entry and entry not in names:
        raise ApiError(GRPC["InvalidArgument"], f"spec.entrypoint template '{entry}' not found")


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term not in labels:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_fake: FakeArgo

    def do_GET(self) -> None:
        self.server_fake.handle(self)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_raw(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error_body(self, err: ApiError) -> None:
        self.send_json(err.status, {"code": err.code, "message": err.message, "details": []})

    def send_stream(self, chunks: Iterator[bytes]) -> None:
        # grpc-gateway streams with chunked transfer encoding, one JSON object a line.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
