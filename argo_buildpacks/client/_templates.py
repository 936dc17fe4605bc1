"""Templates on the server: create-or-update (idempotent, resourceVersion-checked) and the
read of a template's declared parameters before a submission."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from argo_buildpacks.client._compare import same_template
from argo_buildpacks.client._http import RETRY_STATUSES, Http, manifest_of, seg, with_hint
from argo_buildpacks.errors import (
    ConfigError,
    ConflictError,
    LintError,
    NotFoundError,
    PrivilegedError,
    ServerUnavailableError,
    TagError,
    TransportError,
)
from argo_buildpacks.linting import lint
from argo_buildpacks.linting._privileged import privileged_problems
from argo_buildpacks.model.runs import ApplyResult

_TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
# Metadata the server owns: never sent back, never compared.
_SERVER_METADATA = (
    "resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds",
)  # fmt: skip


__all__ = [
    "UPDATE_ATTEMPTS",
    "Known",
    "applied",
    "apply_manifest",
    "check_parameters",
    "checked_manifest",
    "put_template",
    "read_template",
]

#: How often an update re-reads and retries when someone else changed the template.
UPDATE_ATTEMPTS = 5

#: The templates one client wrote or read, as the server returned them, by (kind, namespace,
#: name): a submit right after an apply checks its parameters against what the apply got
#: back instead of reading the template again. Per client object, never shared.
Known = dict[tuple[str, "str | None", str], dict[str, Any]]


def checked_manifest(template: Any, *, allow_privileged: bool) -> dict[str, Any]:
    """A private copy of ``template``'s manifest, ready to send: refused before anything is
    sent when it gives a pod root on the node (unless allowed), has lint errors, is not a
    template or has no name; the metadata the server owns removed.

    Raises:
        PrivilegedError, LintError, ConfigError: as `ArgoClient.apply` says.
    """
    manifest = manifest_of(template)
    kind = manifest.get("kind")
    metadata = manifest.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    issues = [] if allow_privileged else privileged_problems(manifest)
    if issues:
        where = "; ".join(f"{path}: {message}" for path, message in issues)
        raise PrivilegedError(
            f"{kind} {name!r} was not applied: it gives a pod root on the node "
            f"({where}); pass allow_privileged=True (CLI: --allow-privileged) to accept it",
            issues,
        )
    findings = lint(manifest)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise LintError(
            f"{kind} {name!r} was not applied: {len(errors)} lint error(s): "
            + "; ".join(str(f) for f in errors),
            list[object](findings),
        )
    if kind not in _TEMPLATE_KINDS:
        raise ConfigError(
            f"apply() takes kind WorkflowTemplate or ClusterWorkflowTemplate, not {kind!r}"
        )
    if not isinstance(metadata, dict) or not isinstance(name, str) or not name:
        raise ConfigError(f"the {kind} has no metadata.name; apply needs a fixed name")
    for key in _SERVER_METADATA:
        metadata.pop(key, None)
    manifest.pop("status", None)
    return manifest


def apply_manifest(
    http: Http,
    sleep: Callable[[float], None],
    manifest: dict[str, Any],
    default_namespace: str,
    known: Known | None = None,
) -> ApplyResult:
    """Create or update the checked template ``manifest`` (in its namespace, else
    ``default_namespace``; a ClusterWorkflowTemplate in the cluster)."""
    kind = str(manifest["kind"])
    metadata = manifest["metadata"]
    name = str(metadata["name"])
    cluster = kind == "ClusterWorkflowTemplate"
    namespace = None if cluster else (metadata.get("namespace") or default_namespace)
    if namespace is not None:
        metadata["namespace"] = namespace
    result, stored = put_template(http, sleep, kind, name, namespace, manifest)
    if known is not None:
        known[(kind, namespace, name)] = stored
    return result


def put_template(
    http: Http,
    sleep: Callable[[float], None],
    kind: str,
    name: str,
    namespace: str | None,
    desired: dict[str, Any],
) -> tuple[ApplyResult, dict[str, Any]]:
    """Create or update one template; what was done, and the template as the server has it."""
    where = f"namespace {namespace!r}" if namespace else "the cluster"
    if namespace is None:
        collection = http.url("api/v1/cluster-workflow-templates")
        envelope: dict[str, Any] = {}
    else:
        collection = http.url(f"api/v1/workflow-templates/{seg(namespace)}")
        envelope = {"namespace": namespace}
    item = f"{collection}/{seg(name)}"
    created = _create(http, sleep, collection, {**envelope, "template": desired}, where)
    if created is not None:
        return applied(kind, name, namespace, "created", created), created
    attempt = 0
    while True:
        attempt += 1
        current = http.request("GET", item, idempotent=True).json()
        if same_template(current, desired):
            action = "updated" if attempt > 1 else "unchanged"
            return applied(kind, name, namespace, action, current), current
        body = copy.deepcopy(desired)
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            # The resourceVersion precondition makes a repeated PUT harmless.
            resp = http.request(
                "PUT", item, body={**envelope, "name": name, "template": body}, idempotent=True
            )
            stored = resp.json()
            return applied(kind, name, namespace, "updated", stored), stored
        except ConflictError as exc:
            # Someone else wrote it, or our own PUT landed before a retry: re-read.
            if attempt >= UPDATE_ATTEMPTS:
                raise ConflictError(
                    f"{kind} {name!r} in {where} kept changing while being updated "
                    f"({UPDATE_ATTEMPTS} attempts): {exc.message}",
                    status=409,
                    code=exc.code,
                    hint="something else is writing it; try again",
                    method="PUT",
                    url=item,
                ) from exc


def _create(
    http: Http, sleep: Callable[[float], None], collection: str, body: dict[str, Any], where: str
) -> Any:
    """POST a named template; its JSON, or ``None`` when it already exists.

    A create of a named object cannot make two of it, so a 503 or a lost answer is
    retried (bounded by the retry policy); a 409 then means it exists, maybe because
    the first attempt landed, and the caller compares and updates.
    """
    attempt = 0
    while True:
        try:
            return http.request("POST", collection, body=body).json()
        except ConflictError:
            return None  # AlreadyExists: compare and update
        except NotFoundError as exc:
            hint = f"{where} does not exist; create it or set ARGO_NAMESPACE"
            raise with_hint(exc, hint) from exc
        except (ServerUnavailableError, TransportError) as exc:
            if exc.status is not None and exc.status not in RETRY_STATUSES:
                raise  # a 500 is the server's answer, not a missing one
            attempt += 1
            if attempt >= http.retry.attempts:
                raise
        sleep(http.retry.delay(attempt - 1))


def read_template(
    http: Http, kind: str, name: str, namespace: str | None, known: Known | None = None
) -> dict[str, Any]:
    """The template as the server has it (or as this client last wrote or read it, when
    ``known`` holds it).

    Raises:
        NotFoundError: no such template (with a hint to apply it).
        ServerError: the server failed the request.
    """
    key = (kind, namespace, name)
    if known is not None and key in known:
        return known[key]
    if namespace is None:
        url = http.url(f"api/v1/cluster-workflow-templates/{seg(name)}")
        where = "the cluster"
    else:
        url = http.url(f"api/v1/workflow-templates/{seg(namespace)}/{seg(name)}")
        where = f"namespace {namespace!r}"
    try:
        template: dict[str, Any] = http.request("GET", url, idempotent=True).json()
    except NotFoundError as exc:
        hint = f"no {kind} named {name!r} in {where}; apply it first or check the name"
        raise with_hint(exc, hint) from exc
    if known is not None:
        known[key] = template
    return template


def check_parameters(
    http: Http,
    kind: str,
    name: str,
    namespace: str | None,
    params: list[str],
    known: Known | None = None,
) -> None:
    """Refuse parameters the template does not declare, and a missing required tag.

    The server would accept an undeclared parameter (``revison=main``, a typo) and run
    with the default; ``workflow_for`` refuses it offline, and so does this, by reading
    the template first (or taking it from ``known``).
    """
    template = read_template(http, kind, name, namespace, known)
    spec = template.get("spec") if isinstance(template, dict) else None
    arguments = (spec or {}).get("arguments") or {}
    declared = {
        p["name"]: p
        for p in arguments.get("parameters") or []
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }
    given = [item.partition("=")[0] for item in params]
    unknown = sorted(set(given) - set(declared))
    if unknown:
        listed = ", ".join(sorted(declared)) or "none"
        raise ConfigError(
            f"parameter(s) {', '.join(map(repr, unknown))} are not declared by {kind} "
            f"{name!r} (declared: {listed}); nothing was submitted"
        )
    tag = declared.get("tag")
    required = tag is not None and tag.get("value") is None and tag.get("default") is None
    if required and "tag" not in given:
        raise TagError(
            f"{kind} {name!r} needs a tag: it does not derive one from git; "
            "give the version to build (tag=..., CLI: --tag)"
        )


def applied(
    kind: str, name: str, namespace: str | None, action: Any, obj: Mapping[str, Any]
) -> ApplyResult:
    version = str((obj.get("metadata") or {}).get("resourceVersion", ""))
    return ApplyResult(kind, name, namespace, action, version)
