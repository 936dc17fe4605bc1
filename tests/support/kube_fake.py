"""A local Kubernetes API server for what ``argo-buildpacks apply`` uses: discovery, GET and
server-side apply (``PATCH`` with ``application/apply-patch+yaml``), with field ownership.

It answers as kube-apiserver does (``staging/src/k8s.io/apiserver/pkg/endpoints/handlers``:
``patch.go`` for apply, ``rest.go`` for ``dryRun``; errors as ``Status`` objects from
``apimachinery/pkg/api/errors/errors.go``), for the resources the install writes:

- a resource the server does not serve (Argo Events' CRDs not installed) is a 404 whose
  message is "the server could not find the requested resource" and whose details are empty;
  a missing namespace is a 404 with ``details.kind: namespaces``;
- apply needs ``fieldManager`` (400 otherwise) and the apply content type (415 otherwise);
  the body's apiVersion, kind, name and namespace must match the URL (400);
- an absent object is created; a present one is merged with the fields this manager applied
  before: a field this manager no longer applies is removed unless another manager owns it;
- a field owned by another manager with a different value is a 409 ``Conflict`` whose
  ``details.causes`` name the field and the manager, unless ``force=true``, which takes the
  field over (``fieldmanager/internal/conflict.go``);
- an apply that changes nothing writes nothing: the resourceVersion stays;
- ``dryRun=All`` answers as a write would and stores nothing;
- a ``kubernetes.io/service-account-token`` Secret gets ``data.token``, ``data.ca.crt`` and
  ``data.namespace`` from the token controller (manager ``kube-controller-manager``);
- a missing or wrong bearer token is 401; a denied (verb, resource, namespace) is 403.

Simplification (documented, not hidden): lists are atomic, owned whole by one manager; the
real server merges lists keyed by ``+listMapKey`` fields. The objects the install writes
(rules, subjects, EventSource/Sensor specs) are replaced whole by their one writer either way.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["KUBE_RESOURCES", "FakeKube", "KubeRequest"]

#: (group, version, plural) -> kind; EventSource and Sensor only while ``events`` is on.
KUBE_RESOURCES: dict[tuple[str, str, str], str] = {
    ("", "v1", "namespaces"): "Namespace",
    ("", "v1", "serviceaccounts"): "ServiceAccount",
    ("", "v1", "secrets"): "Secret",
    ("rbac.authorization.k8s.io", "v1", "roles"): "Role",
    ("rbac.authorization.k8s.io", "v1", "rolebindings"): "RoleBinding",
    ("argoproj.io", "v1alpha1", "eventsources"): "EventSource",
    ("argoproj.io", "v1alpha1", "sensors"): "Sensor",
    ("argoproj.io", "v1alpha1", "cronworkflows"): "CronWorkflow",
}
_EVENTS = ("eventsources", "sensors")
_APPLY_TYPE = "application/apply-patch+yaml"
_OWN_META = ("labels", "annotations")  # the metadata a client may own; the rest is the server's


@dataclass
class KubeRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


class _Status(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": details,
            "code": code,
        }
        self.code = code


def _not_served() -> _Status:
    return _Status(404, "NotFound", "the server could not find the requested resource", {})


def _leaves(obj: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Field path -> value; a dict is a set of fields, anything else (lists too) a leaf."""
    if isinstance(obj, dict) and (obj or not prefix):
        out: dict[tuple[str, ...], Any] = {}
        for key, value in obj.items():
            out.update(_leaves(value, (*prefix, key)))
        return out
    return {prefix: obj}


def _applied_fields(body: dict[str, Any]) -> dict[tuple[str, ...], Any]:
    fields = {}
    for path, value in _leaves(body).items():
        if path[0] in ("apiVersion", "kind"):
            continue
        if path[0] == "metadata" and (len(path) < 3 or path[1] not in _OWN_META):
            continue
        fields[path] = value
    return fields


def _set(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    obj[path[-1]] = copy.deepcopy(value)


def _drop(obj: dict[str, Any], path: tuple[str, ...]) -> None:
    parents = [obj]
    for key in path[:-1]:
        obj = obj.get(key, {})
        parents.append(obj)
    obj.pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):  # an emptied map goes too
        if parents[depth] == {}:
            parents[depth - 1].pop(path[depth - 1], None)


def _fields_v1(paths: set[tuple[str, ...]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return tree


class FakeKube:
    """The fake API server; a context manager. ``requests`` logs what it received.

    Args:
        token: the bearer token every request must carry.
        namespaces: the namespaces that exist.
        events: whether Argo Events' CRDs (EventSource, Sensor) are installed.
    """

    def __init__(
        self,
        token: str = "kube-test-token",  # noqa: S107 - a test credential
        namespaces: tuple[str, ...] = ("argo",),
        events: bool = True,
    ) -> None:
        self.token = token
        self.namespaces = set(namespaces)
        self.events = events
        #: (verb, plural, namespace) triples the caller may not do ("patch", "secrets", "argo").
        self.denied: set[tuple[str, str, str]] = set()
        self.requests: list[KubeRequest] = []
        #: (plural, namespace, name) -> the stored object.
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        #: (plural, namespace, name) -> manager -> the fields it owns.
        self.owners: dict[tuple[str, str, str], dict[str, set[tuple[str, ...]]]] = {}
        self._version = 5000
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeKube:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def write_kubeconfig(self, path: Path, *, namespace: str = "argo", token: str = "") -> Path:
        """A kubeconfig whose current context points at this server."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": token or self.token}}],
            "contexts": [
                {
                    "name": "fake",
                    "context": {"cluster": "fake", "user": "fake", "namespace": namespace},
                }
            ],
            "current-context": "fake",
        }
        path.write_text(json.dumps(config), encoding="utf-8")
        return path

    def writes(self) -> list[KubeRequest]:
        """The requests that could have changed something (not dry runs, not reads)."""
        return [r for r in self.requests if r.method != "GET" and "dryRun" not in r.query]

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, or ``None``."""
        return self.objects.get((plural, namespace, name))

    def seed(self, obj: dict[str, Any], plural: str, manager: str) -> None:
        """Store ``obj`` as if ``manager`` had written it (say, ``kubectl`` client-side)."""
        with self._lock:
            ns = obj["metadata"]["namespace"]
            self._apply(plural, ns, obj["metadata"]["name"], obj, manager, True, False)

    # -- handling --------------------------------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        query = parse_qs(parts.query)
        ctype = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(KubeRequest(handler.command, parts.path, query, ctype, body))
            try:
                if handler.headers.get("Authorization") != f"Bearer {self.token}":
                    raise _Status(401, "Unauthorized", "Unauthorized", {})
                status, payload = self._route(handler.command, parts.path, query, ctype, body)
            except _Status as err:
                status, payload = err.code, err.body
        handler.send_json(status, payload)

    def _discovery(self, segs: list[str]) -> dict[str, Any] | None:
        served = {k: v for k, v in KUBE_RESOURCES.items() if self.events or k[2] not in _EVENTS}
        if segs == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"]}
        if segs == ["apis"]:
            groups = sorted({(g, v) for g, v, _ in served if g})
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}]}
                    for g, v in groups
                ],
            }
        group, version = ("", segs[1]) if segs[0] == "api" else (segs[1], segs[2])
        if len(segs) != (2 if segs[0] == "api" else 3):
            return None
        resources = [
            {"name": p, "namespaced": p != "namespaces", "kind": kind, "verbs": ["get", "patch"]}
            for (g, v, p), kind in served.items()
            if (g, v) == (group, version)
        ]
        if not resources:
            raise _not_served()
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], ctype: str, body: Any
    ) -> tuple[int, Any]:
        segs = [unquote(s) for s in path.strip("/").split("/")]
        if method == "GET" and segs[:1] in (["api"], ["apis"]) and len(segs) <= 3:
            found = self._discovery(segs)
            if found is not None:
                return 200, found
        if segs[:1] == ["api"]:
            group, version, rest = "", segs[1] if len(segs) > 1 else "", segs[2:]
        elif segs[:1] == ["apis"] and len(segs) > 2:
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise _not_served()
        if rest[:1] == ["namespaces"] and len(rest) == 2 and method == "GET":
            return 200, self._namespace(rest[1])
        if len(rest) != 4 or rest[0] != "namespaces":
            raise _not_served()
        ns, plural, name = rest[1], rest[2], rest[3]
        kind = KUBE_RESOURCES.get((group, version, plural))
        if kind is None or (plural in _EVENTS and not self.events):
            raise _not_served()
        verb = {"GET": "get", "PATCH": "patch"}.get(method)
        if verb is None:
            raise _Status(405, "MethodNotAllowed", f"{method} is not supported", {})
        if (verb, plural, ns) in self.denied:
            gname = f'"{group}"' if group else '""'
            raise _Status(
                403,
                "Forbidden",
                f'{plural}{"." + group if group else ""} "{name}" is forbidden: User '
                f'"system:serviceaccount:ci:installer" cannot {verb} resource "{plural}" in '
                f'API group {gname} in the namespace "{ns}"',
                {"name": name, "group": group, "kind": plural},
            )
        self._namespace(ns)
        key = (plural, ns, name)
        if method == "GET":
            if key not in self.objects:
                raise _Status(
                    404,
                    "NotFound",
                    f'{plural}{"." + group if group else ""} "{name}" not found',
                    {"name": name, "group": group, "kind": plural},
                )
            return 200, self.objects[key]
        if ctype != _APPLY_TYPE:
            raise _Status(
                415, "UnsupportedMediaType", f"the body of the request was in an unknown format "
                f"- accepted media types include: {_APPLY_TYPE}", {}
            )  # fmt: skip
        manager = (query.get("fieldManager") or [""])[0]
        if not manager:
            raise _Status(400, "BadRequest", "fieldManager is required for apply requests", {})
        if not isinstance(body, dict):
            raise _Status(400, "BadRequest", "error decoding YAML: the body is not an object", {})
        api_version = f"{group}/{version}" if group else version
        meta = body.get("metadata") or {}
        if body.get("apiVersion") != api_version or body.get("kind") != kind:
            raise _Status(
                400, "BadRequest", f"the API version in the data ({body.get('apiVersion')}) "
                f"does not match the expected API version ({api_version})", {}
            )  # fmt: skip
        if meta.get("name") != name:
            raise _Status(
                400, "BadRequest", "the name of the object "
                f"({meta.get('name')}) does not match the name on the URL ({name})", {}
            )  # fmt: skip
        if meta.get("namespace", ns) != ns:
            raise _Status(
                400, "BadRequest", "the namespace of the provided object does not match the "
                "namespace sent on the request", {}
            )  # fmt: skip
        force = (query.get("force") or ["false"])[0] == "true"
        dry = (query.get("dryRun") or [""])[0] == "All"
        return self._apply(plural, ns, name, body, manager, force, dry)

    def _namespace(self, ns: str) -> dict[str, Any]:
        if ns not in self.namespaces:
            raise _Status(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    def _apply(
        self,
        plural: str,
        ns: str,
        name: str,
        body: dict[str, Any],
        manager: str,
        force: bool,
        dry: bool,
    ) -> tuple[int, Any]:
        key = (plural, ns, name)
        current = self.objects.get(key)
        owners = copy.deepcopy(self.owners.get(key, {}))
        fields = _applied_fields(body)
        if current is None:
            stored = copy.deepcopy(body)
            stored["metadata"] = {
                **{k: v for k, v in (body.get("metadata") or {}).items() if k in _OWN_META},
                "name": name,
                "namespace": ns,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": "2026-12-07T00:00:00Z",
            }
            owners = {manager: set(fields)}
            self._token_controller(plural, stored, owners)
            return self._store(key, stored, owners, dry, 201)
        have = _leaves(current)
        conflicts = [
            (path, other)
            for path, value in fields.items()
            for other, owned in owners.items()
            if other != manager and path in owned and have.get(path) != value
        ]
        if conflicts and not force:
            causes = [
                {
                    "type": "FieldManagerConflict",
                    "message": f'conflict with "{other}"',
                    "field": "." + ".".join(path),
                }
                for path, other in conflicts
            ]
            raise _Status(
                409,
                "Conflict",
                f"Apply failed with {len(causes)} conflict(s): "
                + "; ".join(f"{c['message']}: {c['field']}" for c in causes),
                {"name": name, "kind": plural, "causes": causes},
            )
        for other in owners:
            if other != manager:
                owners[other] -= set(fields)
        stored = copy.deepcopy(current)
        for path in owners.get(manager, set()) - set(fields):
            if not any(path in owned for m, owned in owners.items() if m != manager):
                _drop(stored, path)
        for path, value in fields.items():
            _set(stored, path, value)
        owners[manager] = set(fields)
        owners = {m: owned for m, owned in owners.items() if owned}
        if stored == current:
            return 200, self._shown(current, self.owners.get(key, {}))
        return self._store(key, stored, owners, dry, 200)

    def _token_controller(
        self, plural: str, obj: dict[str, Any], owners: dict[str, set[tuple[str, ...]]]
    ) -> None:
        # pkg/controller/serviceaccount/tokens_controller.go fills the Secret's data.
        if plural != "secrets" or obj.get("type") != "kubernetes.io/service-account-token":
            return
        data = {
            "token": base64.b64encode(b"eyJhbGciOi.fake-sa-token.signature").decode(),
            "ca.crt": base64.b64encode(b"-----BEGIN CERTIFICATE-----fake").decode(),
            "namespace": base64.b64encode(obj["metadata"]["namespace"].encode()).decode(),
        }
        obj["data"] = data
        owners["kube-controller-manager"] = {("data", k) for k in data}

    def _store(
        self,
        key: tuple[str, str, str],
        obj: dict[str, Any],
        owners: dict[str, set[tuple[str, ...]]],
        dry: bool,
        status: int,
    ) -> tuple[int, Any]:
        obj["metadata"]["resourceVersion"] = "" if dry else self._next_version()
        if not dry:
            self.objects[key] = obj
            self.owners[key] = owners
        return status, self._shown(obj, owners)

    @staticmethod
    def _shown(obj: dict[str, Any], owners: dict[str, set[tuple[str, ...]]]) -> dict[str, Any]:
        shown = copy.deepcopy(obj)
        shown["metadata"]["managedFields"] = [
            {
                "manager": m,
                "operation": "Update" if m == "kube-controller-manager" else "Apply",
                "fieldsType": "FieldsV1",
                "fieldsV1": _fields_v1(owned),
            }
            for m, owned in sorted(owners.items())
        ]
        return shown


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeKube

    def do_GET(self) -> None:
        self.server_fake.handle(self)

    do_PATCH = do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
