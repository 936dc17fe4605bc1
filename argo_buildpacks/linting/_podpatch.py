"""A ``podSpecPatch`` applied as Argo applies it: a Kubernetes strategic merge patch of the
pod spec, the workflow's patch first, then the template's (Argo v4.1.2
``workflow/controller/workflowpod.go`` 299-322 ``processPodSpecPatch``, 736-746;
``workflow/util/util.go`` 1679-1709 ``ApplyPodSpecPatch``, which calls
``strategicpatch.StrategicMergePatch(spec, patch, apiv1.PodSpec{})``; the same in 3.6-4.0).

The merge follows the ``patchStrategy``/``patchMergeKey`` tags of ``k8s.io/api/core/v1``:
``containers``, ``initContainers``, ``ephemeralContainers``, ``volumes``,
``imagePullSecrets``, ``resourceClaims`` and a container's ``env`` merge by ``name``, a
container's ``volumeMounts`` by ``mountPath``, ``ports`` by ``containerPort``,
``hostAliases`` by ``ip``; every other list is replaced; ``null`` deletes a key; an entry
``{"$patch": "delete", <key>: ...}`` deletes the matching entry. A patch entry whose key
matches nothing is APPENDED: a patch naming a container the pod lacks adds a container made
of the patch alone, without an ``image``, which the API server refuses.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any

import yaml

from argo_buildpacks.linting._base import LEAVES

__all__ = ["MERGE_KEYS", "PatchError", "apply_patch", "read_patch", "tree_copy"]

#: List fields merged by key, by where they occur: the pod spec and a container.
MERGE_KEYS: dict[str, dict[str, str]] = {
    "pod": {
        "containers": "name",
        "initContainers": "name",
        "ephemeralContainers": "name",
        "volumes": "name",
        "imagePullSecrets": "name",
        "resourceClaims": "name",
        "hostAliases": "ip",
    },
    "container": {"env": "name", "volumeMounts": "mountPath", "ports": "containerPort"},
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class PatchError(ValueError):
    """A ``podSpecPatch`` Argo could not apply ("Error applying PodSpecPatch")."""


def tree_copy(value: Any) -> Any:
    """A private copy of a JSON-like value (mappings become dicts, lists stay lists, scalars
    are shared): what ``copy.deepcopy`` gives for a manifest, at a fraction of its cost (no
    memo, no dispatch per type), since a manifest holds nothing else. A value that contains
    itself (a YAML alias read by ``yaml.safe_load``) goes to ``copy.deepcopy``, as before."""
    try:
        return _tree(value)
    except RecursionError:
        return copy.deepcopy(value)


def _tree(value: Any) -> Any:
    kind = type(value)
    if kind in LEAVES:  # most values: no ABC instance check for them
        return value
    if kind is dict or isinstance(value, Mapping):
        return {k: _tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tree(v) for v in value]
    return value


@functools.lru_cache(maxsize=256)
def read_patch(patch: str) -> Mapping[str, Any]:
    """The patch as a mapping: JSON or YAML, as Argo's ``ConvertYAMLToJSON`` reads it.

    Cached (each template's pod reads the workflow's patch again): the mapping is shared,
    so callers only read it (`apply_patch` copies what it takes).
    """
    try:
        value = json.loads(patch)
    except ValueError:
        try:
            value = yaml.safe_load(patch)
        except yaml.YAMLError as exc:
            raise PatchError(f"it is neither JSON nor YAML ({exc})") from None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PatchError(f"it is a {type(value).__name__}, not a pod spec mapping")
    return value


def apply_patch(
    spec: Mapping[str, Any], patch: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """``spec`` with ``patch`` merged in, and the containers (``containers`` or
    ``initContainers``: ``<list>/<name>``) the patch appended because the pod had none of
    that name.

    ``spec`` is not changed: the merge copies each mapping and list on the way to what it
    changes, and shares the rest with ``spec`` (copying the whole pod spec first was most of
    the cost of linting a pod).
    """
    added: list[str] = []
    merged = _merge_map(dict(spec), patch, "pod", added)
    return merged, added


def _merge_map(
    base: dict[str, Any], patch: Mapping[str, Any], where: str, added: list[str]
) -> dict[str, Any]:
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # directives ($setElementOrder, $retainKeys) only order or prune
        if value is None:
            base.pop(key, None)
            continue
        merge_key = MERGE_KEYS.get(where, {}).get(key)
        if merge_key is not None and isinstance(value, list):
            child = "container" if key in _CONTAINER_LISTS else ""
            base[key] = _merge_list(list(base.get(key) or []), value, merge_key, child, key, added)
        elif isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            base[key] = _merge_map(dict(base[key]), value, "", added)
        else:
            base[key] = tree_copy(value)
    return base


def _merge_list(
    base: list[Any],
    patch: list[Any],
    merge_key: str,
    child: str,
    field: str,
    added: list[str],
) -> list[Any]:
    for item in patch:
        if not isinstance(item, Mapping) or merge_key not in item:
            raise PatchError(f"an entry of {field} has no {merge_key!r}, its merge key")
        key = item[merge_key]
        found = next(
            (i for i, b in enumerate(base) if isinstance(b, Mapping) and b.get(merge_key) == key),
            None,
        )
        if item.get("$patch") == "delete":
            if found is not None:
                del base[found]
            continue
        body = {k: v for k, v in item.items() if k != "$patch"}
        if found is None:
            if child == "container":
                added.append(f"{field}/{key}")
            base.append(_merge_map({}, body, child, added) if child else tree_copy(body))
        elif item.get("$patch") == "replace":
            base[found] = tree_copy(body)
        else:
            base[found] = _merge_map(dict(base[found]), body, child, added)
    return base
