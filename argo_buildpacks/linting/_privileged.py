"""What in a manifest gives a pod more than the Pod Security Standard "restricted" allows
at the level that matters most: root on the node (privileged containers, host paths,
host namespaces, root users, added capabilities).

Used by ``lint`` (reported) and by ``ArgoClient.apply`` (refused unless allowed), so a
rendered manifest cannot slip past the ``allow_privileged`` gate that configs go through.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks._kits import yaml_io
from argo_buildpacks._kits.quantity import QUANTITY_INPUT
from argo_buildpacks.linting._base import Issue, entries, mapping

__all__ = ["privileged_issues"]

# Container lists of a template, by key (Argo's Template type).
_CONTAINER_LISTS = ("sidecars", "initContainers")
# Stands for a per-app quantity while the patch is read (any other templated value fails).
_QUANTITY_SENTINEL = "argo-buildpacks-per-app-quantity"


def privileged_issues(manifest: Mapping[str, Any]) -> list[Issue]:
    """Every place in ``manifest`` (a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or
    CronWorkflow) that gives a pod root on the node, as issues with their paths.

    Checked: ``privileged: true``, ``runAsUser: 0``, ``runAsNonRoot: false``,
    ``allowPrivilegeEscalation: true``, added capabilities, ``hostPath`` volumes and
    ``hostNetwork``/``hostPID``/``hostIPC`` (workflow and template level), and the same inside a
    ``podSpecPatch`` (one that is templated or unparseable is reported as such).
    """
    spec = mapping(manifest.get("spec"))
    base = "spec"
    if manifest.get("kind") == "CronWorkflow":
        spec, base = mapping(spec.get("workflowSpec")), "spec.workflowSpec"
    return list(_spec_issues(spec, base))


def _spec_issues(spec: Mapping[str, Any], base: str) -> Iterator[Issue]:
    yield from _pod_level(spec, base)
    for i, template in enumerate(entries(spec.get("templates"))):
        template = mapping(template)
        where = f"{base}.templates[{i}]"
        yield from _pod_level(template, where)
        for key in ("container", "script"):
            if key in template:
                yield from _container(mapping(template[key]), f"{where}.{key}")
        for key in _CONTAINER_LISTS:
            for j, c in enumerate(entries(template.get(key))):
                yield from _container(mapping(c), f"{where}.{key}[{j}]")
        container_set = mapping(template.get("containerSet"))
        for j, c in enumerate(entries(container_set.get("containers"))):
            yield from _container(mapping(c), f"{where}.containerSet.containers[{j}]")


def _pod_level(obj: Mapping[str, Any], where: str) -> Iterator[Issue]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if obj.get(key) is True:
            yield Issue(f"{where}.{key}", f"{key}: true shares the node's namespace with the pod")
    for i, volume in enumerate(entries(obj.get("volumes"))):
        volume = mapping(volume)
        if "hostPath" in volume:
            path = mapping(volume["hostPath"]).get("path")
            yield Issue(
                f"{where}.volumes[{i}].hostPath",
                f"volume {volume.get('name')!r} mounts the node's path {path!r} (hostPath)",
            )
    security = mapping(obj.get("securityContext"))
    yield from _user(security, f"{where}.securityContext")
    patch = obj.get("podSpecPatch")
    if patch:
        yield from _patch(patch, f"{where}.podSpecPatch")


def _patch(patch: object, where: str) -> Iterator[Issue]:
    """A ``podSpecPatch`` is merged into the pod spec: check it as a pod spec. One that is
    not a literal mapping (templated, malformed) could set anything, so it is reported;
    the one templated value allowed is a library's per-app quantity (`QUANTITY_INPUT`: only
    a whole quantity comes out of it) as a container's resource request or limit."""
    parsed: object = None
    stray = False
    if isinstance(patch, str) and len(patch) <= 65_536:
        patch = QUANTITY_INPUT.sub(_QUANTITY_SENTINEL, patch)
    if isinstance(patch, str) and "{{" not in patch and len(patch) <= 65_536:
        problem, parsed, stray = _read(patch)
        if problem:
            yield Issue(
                where, f"a podSpecPatch that cannot be read ({problem}) could grant anything"
            )
            return
    if not isinstance(parsed, Mapping) or stray:
        yield Issue(where, "a podSpecPatch that is not a literal mapping could grant anything")
        return
    yield from _pod_level(parsed, where)
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for j, c in enumerate(entries(parsed.get(key))):
            yield from _container(mapping(c), f"{where}.{key}[{j}]")


@functools.lru_cache(maxsize=256)
def _read(patch: str) -> tuple[str, object, bool]:
    """Why ``patch`` cannot be read (or ``""``), what it holds when it is one document, and
    whether a per-app quantity stands outside a container's resources. Cached: the gate
    and lint read the same patch of every template of every apply (the parsed value is
    shared, so it is only read, never changed)."""
    documents = yaml_io.read_documents(patch)
    if problem := next((d.problem for d in documents if d.problem), ""):
        return problem, None, False
    parsed = documents[0].data if len(documents) == 1 else None
    stray = isinstance(parsed, Mapping) and _QUANTITY_SENTINEL in str(_without_quantities(parsed))
    return "", parsed, stray


def _without_quantities(patch: Mapping[str, Any]) -> Any:
    """``patch`` without the per-app quantities where they may stand (a container's
    resources), so any left is one elsewhere."""
    rest = dict(patch)
    containers = []
    for c in entries(patch.get("containers")):
        c = dict(mapping(c))
        resources = dict(mapping(c.get("resources")))
        for part in ("requests", "limits"):
            values = mapping(resources.get(part))
            resources[part] = {k: v for k, v in values.items() if v != _QUANTITY_SENTINEL}
        c["resources"] = resources
        containers.append(c)
    rest["containers"] = containers
    return rest


def _user(security: Mapping[str, Any], where: str) -> Iterator[Issue]:
    if security.get("runAsUser") == 0:
        yield Issue(f"{where}.runAsUser", "runAsUser: 0 runs as root")
    if security.get("runAsNonRoot") is False:
        yield Issue(f"{where}.runAsNonRoot", "runAsNonRoot: false allows running as root")


def _container(container: Mapping[str, Any], where: str) -> Iterator[Issue]:
    security = mapping(container.get("securityContext"))
    name = container.get("name")
    label = f"container {name!r}" if isinstance(name, str) and name else "the container"
    sc = f"{where}.securityContext"
    if security.get("privileged") is True:
        yield Issue(f"{sc}.privileged", f"{label} is privileged: root on the node")
    if security.get("allowPrivilegeEscalation") is True:
        yield Issue(f"{sc}.allowPrivilegeEscalation", f"{label} allows privilege escalation")
    # NET_BIND_SERVICE (a port below 1024) is the one capability the Pod Security Standard
    # "restricted" allows: no root on the node, so the gate lets it through as the profile does.
    added = [a for a in entries(mapping(security.get("capabilities")).get("add")) if a != _BIND]
    if added:
        yield Issue(
            f"{sc}.capabilities.add",
            f"{label} adds capabilities {', '.join(str(a) for a in added)}",
        )
    yield from _user(security, sc)


_BIND = "NET_BIND_SERVICE"


def privileged_problems(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where ``manifest`` gives a pod root on the node, as ``(path, message)`` pairs.

    Fails closed: a manifest the check cannot read to the end (a ``podSpecPatch`` nested
    thousands of levels deep) is one problem, not a crash and not a pass.
    """
    try:
        return [(issue.path, issue.message) for issue in privileged_issues(manifest)]
    except RecursionError:
        return [("spec", "too deeply nested to be checked for privileges")]
