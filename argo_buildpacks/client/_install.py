"""Install every object of a rendered stream: WorkflowTemplates through argo-server (the
`ArgoClient`), everything else through the Kubernetes API by server-side apply
(`argo_buildpacks.client._kube`), or nothing at all.

Before the first write, everything that can be checked is: each object's kind and
namespace, that Secrets carry no data, the templates' lint and privileged pods, credentials
for both APIs, and a server-side dry run of every Kubernetes object (which answers for RBAC,
a missing CRD or namespace and field conflicts, as the real apply would). A refusal lists
every problem and what to run instead. What cannot be checked in advance is a failure of
argo-server or the API server halfway; everything written is idempotent, so running the
install again finishes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from argo_buildpacks.client._kube import KUBE_KINDS, apply_kube, dry_run_kube
from argo_buildpacks.client._templates import apply_manifest, checked_manifest
from argo_buildpacks.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from argo_buildpacks.model.runs import ApplyResult

if TYPE_CHECKING:
    from lightkube import Client

    from argo_buildpacks.client._client import ArgoClient

__all__ = ["ARGO_KINDS", "INSTALLED_KINDS", "InstallRefusedError", "install", "split_objects"]

#: The kinds argo-server stores (through `ArgoClient.apply`).
ARGO_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
#: Everything `install` installs, in the order it does: identities and their rights before
#: the templates that run as them, the templates before the CronWorkflows and Sensors that
#: start them.
INSTALLED_KINDS = ("ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterWorkflowTemplate",
          "WorkflowTemplate", "CronWorkflow",
          "EventSource", "Sensor")  # fmt: skip
_TOKEN_SECRET = "kubernetes.io/service-account-token"


class InstallRefusedError(ConfigError):
    """Nothing was installed: ``problems`` says why, each with what to do about it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("nothing was applied:\n" + "\n".join(f"  - {p}" for p in problems))


def _describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def split_objects(
    objects: Iterable[Mapping[str, Any]], namespace: str, *, strict_namespace: bool = False
) -> list[dict[str, Any]]:
    """The stream's objects, checked and in install order, each with its namespace.

    An object without ``metadata.namespace`` goes to ``namespace``. With
    ``strict_namespace`` (a namespace the user chose explicitly), an object in another
    namespace is an error, except a Role or RoleBinding: those grant rights where a deploy
    writes (the app's namespace), which is not where the pipeline runs. A Secret must be a
    service-account token Secret without data: secrets reach the cluster only by reference.

    Raises:
        ConfigError: an object is not a manifest, of a kind this does not install, without
            a name, a Secret with data, or in the wrong namespace.
    """
    allowed = ", ".join(INSTALLED_KINDS)
    out: list[dict[str, Any]] = []
    for number, found in enumerate(objects, start=1):
        if not isinstance(found, Mapping) or not isinstance(found.get("kind"), str):
            raise ConfigError(f"object {number} is not a Kubernetes manifest (no kind)")
        obj = dict(found)
        kind = obj["kind"]
        if kind not in INSTALLED_KINDS:
            raise ConfigError(
                f"object {number} is a {kind}; apply installs {allowed} (run a Workflow with "
                "submit)"
            )
        meta = dict(obj.get("metadata") or {})
        if not isinstance(meta.get("name"), str) or not meta["name"]:
            raise ConfigError(f"object {number} ({kind}) has no metadata.name")
        if kind == "ClusterWorkflowTemplate":
            meta.pop("namespace", None)
        else:
            given = meta.get("namespace")
            if strict_namespace and given and given != namespace and kind not in (
                "Role", "RoleBinding"
            ):  # fmt: skip
                raise ConfigError(
                    f"{kind} {meta['name']!r} is in namespace {given!r}, not {namespace!r} "
                    "given by -n/--namespace"
                )
            meta["namespace"] = given or namespace
        obj["metadata"] = meta
        if kind == "Secret" and (
            obj.get("type") != _TOKEN_SECRET or obj.get("data") or obj.get("stringData")
        ):
            # Never echo the values: name the keys at most.
            raise ConfigError(
                f"Secret {meta['namespace']}/{meta['name']}: apply installs only "
                f"service-account token Secrets (type {_TOKEN_SECRET}, no data; the cluster "
                "fills them); create a Secret that carries values with kubectl, and refer "
                "to it by name"
            )
        out.append(obj)
    return sorted(out, key=lambda o: INSTALLED_KINDS.index(o["kind"]))


def _kube_problem(obj: Mapping[str, Any], exc: ServerError, source: str) -> str:
    what = _describe(obj)
    kind = KUBE_KINDS[str(obj["kind"])]
    details = getattr(exc, "details", None)
    detail_kind = getattr(details, "kind", None) if details is not None else None
    if isinstance(exc, NotFoundError) and detail_kind == "namespaces":
        ns = obj["metadata"]["namespace"]
        return f"{what}: namespace {ns!r} does not exist; run: kubectl create namespace {ns}"
    if isinstance(exc, NotFoundError):
        return (
            f"{what}: the cluster does not serve {obj['kind']} ({kind.api_version}); "
            f"install {kind.installed_by}"
        )
    if isinstance(exc, ConflictError):
        return (
            f"{what}: {exc.message}; another field manager set these fields to other "
            "values; pass --force-conflicts (force_conflicts=True) to take them over"
        )
    if isinstance(exc, PermissionDeniedError | AuthenticationError):
        return (
            f"{what}: {exc.message}; use credentials that may get and patch it, or have "
            f"someone who may run: kubectl apply --server-side -f {source}"
        )
    return f"{what}: {exc}"


def install(
    objects: Iterable[Mapping[str, Any]],
    *,
    argo: ArgoClient | None,
    kube: Client | None,
    namespace: str,
    strict_namespace: bool = False,
    allow_privileged: bool = False,
    force_conflicts: bool = False,
    source: str = "FILE",
    on_result: Callable[[ApplyResult], None] | None = None,
) -> list[ApplyResult]:
    """Install every object of a rendered stream, or refuse before changing anything.

    WorkflowTemplates and ClusterWorkflowTemplates go through ``argo`` (`ArgoClient.apply`:
    lint, privileged pods, compare-and-update); ServiceAccounts, token Secrets, Roles,
    RoleBindings, CronWorkflows, EventSources and Sensors through ``kube`` (server-side
    apply as field manager ``argo-buildpacks``). Each object's result is passed to
    ``on_result`` as soon as it is known.

    Args:
        objects: the manifests, such as ``render``'s YAML stream loaded.
        argo: the Argo server's client; ``None`` when the stream holds no template.
        kube: a Kubernetes client (`connect_kube`); ``None`` when there is none.
        namespace: where objects without ``metadata.namespace`` go.
        strict_namespace: refuse objects in another namespace (see `split_objects`).
        allow_privileged: as `ArgoClient.apply`.
        force_conflicts: take over fields another field manager set to other values.
        source: the file to name in the ``kubectl`` commands a refusal suggests.
        on_result: called with each object's result.

    Returns:
        One result per object, in install order.

    Raises:
        InstallRefusedError: something would fail; nothing was written. Its ``problems``
            say what and what to run.
        ConfigError, LintError, PrivilegedError: a bad object; nothing was written.
        ServerError: a server failed after the checks (what was applied before stays;
            installing again is safe).
    """
    ordered = split_objects(objects, namespace, strict_namespace=strict_namespace)
    templates = [o for o in ordered if o["kind"] in ARGO_KINDS]
    others = [o for o in ordered if o["kind"] not in ARGO_KINDS]
    checked = {id(o): checked_manifest(o, allow_privileged=allow_privileged) for o in templates}
    problems: list[str] = []
    if templates and argo is None:
        problems.append(
            f"{len(templates)} template(s) ({', '.join(map(_describe, templates))}) go "
            "through argo-server: set ARGO_SERVER and ARGO_TOKEN"
        )
    if others and kube is None:
        problems.append(
            f"{len(others)} Kubernetes object(s) ({', '.join(map(_describe, others))}) need "
            "Kubernetes credentials and none were found (--kubeconfig, $KUBECONFIG, a pod's "
            "service account, ~/.kube/config); give some, or have someone who has them run: "
            f"kubectl apply --server-side -f {source}"
        )
    if argo is not None and templates and not problems:
        # One read fails on a bad token or an unreachable server (raised as it is) before
        # anything is written to Kubernetes; absent is fine (apply creates it).
        with contextlib.suppress(NotFoundError):
            argo.read_template(templates[0])
    if kube is not None:
        for obj in others:
            try:
                dry_run_kube(kube, obj, force=force_conflicts)
            except AuthenticationError as exc:
                problems.append(_kube_problem(obj, exc, source))
                break  # the same for every object
            except (NotFoundError, ConflictError, PermissionDeniedError) as exc:
                problems.append(_kube_problem(obj, exc, source))
    if problems:
        raise InstallRefusedError(problems)
    results: list[ApplyResult] = []
    for obj in ordered:
        # The checks above refused a stream whose kinds had no client.
        if argo is not None and obj["kind"] in ARGO_KINDS:
            # Checked above (as ArgoClient.apply checks): sent as ArgoClient.apply sends it.
            result = apply_manifest(
                argo._http, argo.sleep, checked[id(obj)], argo.namespace, argo._known
            )
        elif kube is not None:
            result = apply_kube(kube, obj, force=force_conflicts)
        else:  # pragma: no cover - refused above
            continue
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
