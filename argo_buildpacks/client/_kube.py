"""The Kubernetes objects of a rendered stream (RBAC, the executor's token Secret, Argo
Events' EventSource and Sensor, CronWorkflows), installed by server-side apply.

The client is lightkube (``docs/client.md`` says why, not the official ``kubernetes``
package): small, typed, with server-side apply and dict-backed generic resources built in.
It is imported only when something is installed, so ``--help`` never pays for it.

Every call is a ``PATCH`` with ``application/apply-patch+yaml`` and
``fieldManager=argo-buildpacks`` (what ``kubectl apply --server-side`` sends), so a second
apply of the same objects changes nothing. ``force`` is off unless asked for: a field that
someone else set to another value (a ``kubectl edit``, another tool) is a conflict to
report, never silently taken over.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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
from argo_buildpacks.model.runs import ApplyAction, ApplyResult

if TYPE_CHECKING:
    from lightkube import Client

__all__ = [
    "FIELD_MANAGER",
    "KUBE_KINDS",
    "KubeKind",
    "apply_kube",
    "connect_kube",
    "dry_run_kube",
    "is_kube_error",
    "kube_error",
]

#: The name server-side apply records as the owner of every field this library applies.
FIELD_MANAGER = "argo-buildpacks"
_IN_CLUSTER = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubeKind(NamedTuple):
    """Where the API server serves a kind, and what installs it when it is missing."""

    api_version: str
    plural: str
    installed_by: str


_EVENTS = "Argo Events' CRDs (kubectl apply --server-side -f https://github.com/argoproj/argo-events/releases/download/v1.9.11/install.yaml)"
_WORKFLOWS = "Argo Workflows' CRDs (kubectl apply --server-side -f https://github.com/argoproj/argo-workflows/releases/download/v4.1.2/install.yaml)"

#: The kinds installed through the Kubernetes API; every one is namespaced.
KUBE_KINDS: dict[str, KubeKind] = {
    "ServiceAccount": KubeKind("v1", "serviceaccounts", "Kubernetes"),
    "Secret": KubeKind("v1", "secrets", "Kubernetes"),
    "Role": KubeKind("rbac.authorization.k8s.io/v1", "roles", "Kubernetes"),
    "RoleBinding": KubeKind("rbac.authorization.k8s.io/v1", "rolebindings", "Kubernetes"),
    "EventSource": KubeKind("argoproj.io/v1alpha1", "eventsources", _EVENTS),
    "Sensor": KubeKind("argoproj.io/v1alpha1", "sensors", _EVENTS),
    "CronWorkflow": KubeKind("argoproj.io/v1alpha1", "cronworkflows", _WORKFLOWS),
}


def connect_kube(
    kubeconfig: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Client | None:
    """A Kubernetes client, configured as kubectl would be; ``None`` when nothing configures
    one.

    The first of: ``kubeconfig`` (a path), ``$KUBECONFIG`` (its first path), the pod's
    service account (in a cluster: ``KUBERNETES_SERVICE_HOST`` and the mounted token), and
    ``~/.kube/config`` when it exists. ``context`` picks a kubeconfig context (its
    ``current-context`` otherwise). Nothing is read from the network here.

    Raises:
        ConfigError: the kubeconfig cannot be read, or has no such context.
    """
    import yaml
    from lightkube import Client, KubeConfig
    from lightkube import ConfigError as KubeConfigError

    env = os.environ if environ is None else environ
    path: str | None = os.fspath(kubeconfig) if kubeconfig is not None else None
    if path is None and env.get("KUBECONFIG"):
        path = env["KUBECONFIG"].split(os.pathsep)[0]
    try:
        if path is not None:
            try:
                config = KubeConfig.from_file(path)
            except OSError as exc:
                raise ConfigError(f"kubeconfig {path!r} cannot be read: {exc.strerror}") from None
        elif env.get("KUBERNETES_SERVICE_HOST") and Path(_IN_CLUSTER, "token").exists():
            config = KubeConfig.from_service_account(_IN_CLUSTER)
        elif Path("~/.kube/config").expanduser().exists():
            path = str(Path("~/.kube/config").expanduser())
            config = KubeConfig.from_file(path)
        else:
            return None
        single = config.get(context_name=context)
    except (
        KubeConfigError,
        yaml.YAMLError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        where = f"kubeconfig {path!r}" if path else "the in-cluster service account"
        detail = f"no context {context!r}" if context else str(exc) or type(exc).__name__
        raise ConfigError(f"{where} is not usable: {detail}") from None
    if single is None:
        raise ConfigError(f"kubeconfig {path!r} has no context {context!r} and no current-context")
    import httpx2

    return Client(
        single, field_manager=FIELD_MANAGER, timeout=httpx2.Timeout(timeout), trust_env=True
    )


def _resource(obj: Mapping[str, Any]) -> Any:
    from lightkube.core.resource_registry import resource_registry
    from lightkube.generic_resource import create_namespaced_resource, get_generic_resource

    kind = str(obj["kind"])
    spec = KUBE_KINDS[kind]
    found = get_generic_resource(spec.api_version, kind)  # type: ignore[no-untyped-call]
    if found is not None:
        return found
    group, _, version = spec.api_version.rpartition("/")
    try:
        # A dict-backed resource: fields lightkube's models do not know are sent as they are.
        return create_namespaced_resource(group, version, kind, spec.plural)
    except ValueError:
        # lightkube's typed class for the kind was registered first (by other code in this
        # process): the same API path, through its model.
        return resource_registry.get(spec.api_version, kind)


def kube_error(exc: Exception, method: str, what: str) -> ServerError:
    """The library's error for lightkube's ``ApiError`` or httpx's transport errors."""
    from lightkube import ApiError

    try:
        url = str(exc.request.url)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # httpx raises RuntimeError for "no request"
        url = ""
    method = method if url else ""
    if not isinstance(exc, ApiError):
        failed = TransportError(
            f"{what}: cannot reach the Kubernetes API: {type(exc).__name__}: {exc}",
            method=method,
            url=url,
            hint="check the kubeconfig's server (--kubeconfig, --context, $KUBECONFIG)",
        )
        failed.kubernetes = True  # type: ignore[attr-defined]
        return failed
    status = exc.status
    code = int(status.code or exc.response.status_code)
    message = f"{what}: {status.message or status.reason or 'no message'}"
    reason = status.reason or ""
    cls: type[ServerError] = {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
    }.get(code, ServerUnavailableError if code >= 500 else InvalidRequestError)
    error = cls(message, status=code, method=method, url=url)
    error.reason = reason  # type: ignore[attr-defined]
    error.details = status.details  # type: ignore[attr-defined]
    error.kubernetes = True  # type: ignore[attr-defined]
    return error


def is_kube_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the Kubernetes API (`kube_error`), not from argo-server."""
    return isinstance(exc, ServerError) and bool(getattr(exc, "kubernetes", False))


def _body(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"):
        meta.pop(key, None)
    return {k: v for k, v in obj.items() if k != "status"} | {"metadata": meta}


def _apply(client: Client, obj: Mapping[str, Any], *, force: bool, dry_run: bool) -> Any:
    import httpx2
    from lightkube import ApiError

    resource = _resource(obj)
    meta = obj["metadata"]
    what = f"{obj['kind']} {meta['namespace']}/{meta['name']}"
    try:
        return client.apply(
            resource(_body(obj)),  # its metadata.namespace says where
            field_manager=FIELD_MANAGER,
            force=force,
            dry_run=dry_run,
        )
    except (ApiError, httpx2.HTTPError) as exc:
        raise kube_error(exc, "PATCH", what) from None


def dry_run_kube(client: Client, obj: Mapping[str, Any], *, force: bool = False) -> None:
    """Server-side apply ``obj`` with ``dryRun=All``: everything a real apply checks
    (credentials, RBAC, the CRD, the namespace, field conflicts, validation), nothing stored.

    Raises:
        ServerError: what the real apply would have failed with (a subclass per status).
    """
    _apply(client, obj, force=force, dry_run=True)


def apply_kube(client: Client, obj: Mapping[str, Any], *, force: bool = False) -> ApplyResult:
    """Server-side apply ``obj`` (namespaced, ``metadata.namespace`` set) and say what it did.

    ``created`` when it did not exist, ``unchanged`` when the API server wrote nothing (its
    resourceVersion is the same), ``updated`` otherwise.

    Raises:
        ServerError: the API server refused (a subclass per status).
    """
    import httpx2
    from lightkube import ApiError

    resource = _resource(obj)
    meta = obj["metadata"]
    kind, name, namespace = str(obj["kind"]), str(meta["name"]), str(meta["namespace"])
    before: str | None
    try:
        found = client.get(resource, name, namespace=namespace)
        before = str(found.metadata.resourceVersion)
    except ApiError as exc:
        if exc.status.code != 404:
            raise kube_error(exc, "GET", f"{kind} {namespace}/{name}") from None
        before = None
    except httpx2.HTTPError as exc:
        raise kube_error(exc, "GET", f"{kind} {namespace}/{name}") from None
    after = _apply(client, obj, force=force, dry_run=False)
    version = str(after.metadata.resourceVersion or "")
    action: ApplyAction = (
        "created" if before is None else "unchanged" if version == before else "updated"
    )
    return ApplyResult(kind, name, namespace, action, version)
