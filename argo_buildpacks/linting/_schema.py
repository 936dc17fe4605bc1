"""Strict decoding, as ``argo lint --strict`` does it: unknown fields and wrong types.

The manifest is walked alongside the shapes of Hera's generated pydantic models of the Argo
API (``hera.workflows.models``), by JSON name (field alias). Importing those models takes most
of a second, more than the rest of ``argo-buildpacks lint``, so their shapes are read from
``argo_shapes.json``, a table `hera_shapes` derives from them; a test regenerates it and
compares (``UPDATE_SHAPES=1`` rewrites it after a Hera upgrade). The lint imports neither
Hera nor pydantic.
"""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from argo_buildpacks.linting._base import Issue, Where, describe, did_you_mean, key_path, spell
from argo_buildpacks.linting._identity import KINDS

# Fields of Argo v4.1.2 (api/jsonschema/schema.json) that Hera 7.1's generated models lack,
# by schema definition name: without them valid v4 manifests would have "unknown" fields.
# The last entry corrects a type: Kubernetes takes a port name or number there.
_EXTRA_FIELDS: dict[str, dict[str, str]] = {
    "io.argoproj.workflow.v1alpha1.Template": {
        "pendingTimeout": "str",
        "podResources": "map",
        "resourceClaims": "list",
    },
    "io.argoproj.workflow.v1alpha1.WorkflowSpec": {
        "executorPlugins": "list",
        "podResources": "map",
        "resourceClaims": "list",
    },
    "io.argoproj.workflow.v1alpha1.ContainerNode": {"restartPolicyRules": "list"},
    "io.argoproj.workflow.v1alpha1.ScriptTemplate": {"restartPolicyRules": "list"},
    "io.argoproj.workflow.v1alpha1.UserContainer": {"restartPolicyRules": "list"},
    "io.k8s.api.core.v1.Container": {"restartPolicyRules": "list"},
    "io.argoproj.workflow.v1alpha1.HTTPArtifact": {"saveStreamViaFile": "bool"},
    "io.argoproj.workflow.v1alpha1.S3Artifact": {"addressingStyle": "str"},
    "io.argoproj.workflow.v1alpha1.S3ArtifactRepository": {"addressingStyle": "str"},
    "io.k8s.api.core.v1.EnvVarSource": {"fileKeyRef": "map"},
    "io.k8s.api.core.v1.VolumeProjection": {"podCertificate": "map"},
    "io.k8s.api.core.v1.HTTPGetAction": {"port": "intstr"},
    "io.k8s.api.core.v1.TCPSocketAction": {"port": "intstr"},
}
_WF = "io.argoproj.workflow.v1alpha1."
_CORE = "io.k8s.api.core.v1."
# Fields that not every supported Argo release knows, from the differences between the
# JSON schemas of v3.6.19, v3.7.18, v4.0.10 and v4.1.2 (api/jsonschema/schema.json) and
# docs/deprecations.md: (schema definition, field) -> (first release, last release).
_FIELD_RELEASES: dict[tuple[str, str], tuple[tuple[int, int], tuple[int, int]]] = {
    **{
        (f"{_WF}{model}", field): ((3, 7), (9, 9))
        for model, field in (
            ("Backoff", "cap"),
            ("Mutex", "database"),
            ("SemaphoreRef", "database"),
            ("Template", "annotations"),
        )
    },
    (f"{_CORE}Lifecycle", "stopSignal"): ((3, 7), (9, 9)),
    **{
        (f"{_WF}{model}", "plugin"): ((4, 0), (9, 9))
        for model in ("Artifact", "ArtifactLocation", "ArtifactPaths", "ArtifactRepository")
    },
    **{
        (f"{_WF}{model}", field): ((4, 1), (9, 9))
        for model, fields in (
            ("Template", ("pendingTimeout", "podResources", "resourceClaims")),
            ("WorkflowSpec", ("executorPlugins", "podResources", "resourceClaims")),
            ("ContainerNode", ("restartPolicyRules",)),
            ("ScriptTemplate", ("restartPolicyRules",)),
            ("UserContainer", ("restartPolicyRules",)),
            ("HTTPArtifact", ("saveStreamViaFile",)),
            ("S3Artifact", ("addressingStyle",)),
            ("S3ArtifactRepository", ("addressingStyle",)),
        )
        for field in fields
    },
    (f"{_CORE}Container", "restartPolicyRules"): ((4, 1), (9, 9)),
    (f"{_CORE}EnvVarSource", "fileKeyRef"): ((4, 1), (9, 9)),
    (f"{_CORE}VolumeProjection", "podCertificate"): ((4, 1), (9, 9)),
    # Removed: deprecated in 3.6, gone in 3.7 (priorities) and 4.0 (the single forms).
    (f"{_WF}Template", "priority"): ((3, 6), (3, 6)),
    (f"{_WF}WorkflowSpec", "podPriority"): ((3, 6), (3, 6)),
    (f"{_WF}CronWorkflowSpec", "schedule"): ((3, 6), (3, 7)),
    (f"{_WF}Synchronization", "mutex"): ((3, 6), (3, 7)),
    (f"{_WF}Synchronization", "semaphore"): ((3, 6), (3, 7)),
}
_NEXT_RELEASE = {(3, 6): "3.7", (3, 7): "4.0"}
# What replaces a removed field, for the message.
_REPLACED_BY = {
    "schedule": "schedules (a list)",
    "mutex": "mutexes (a list)",
    "semaphore": "semaphores (a list)",
    "priority": "nothing: it was removed",
    "podPriority": "priorityClassName",
}
_REMOVED_TYPES = {
    (f"{_WF}Template", "priority"): "int",
    (f"{_WF}WorkflowSpec", "podPriority"): "int",
    (f"{_WF}CronWorkflowSpec", "schedule"): "str",
    (f"{_WF}Synchronization", "mutex"): "map",
    (f"{_WF}Synchronization", "semaphore"): "map",
}
# Argo's AnyString fields (pkg/apis/workflow/v1alpha1): Go decodes a number or boolean
# into them as its text. Every other string field refuses anything but a string.
_ANY_STRING = {
    "Parameter": frozenset({"default", "value", "description", "enum"}),
    "ValueFrom": frozenset({"default"}),
}
# resource.Quantity: a JSON number, or a string of ASCII digits with an optional suffix.
_QUANTITY = re.compile(
    r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?\Z"
)
# Fields Hera's models require that Argo's Go types leave optional (pointer, omitempty).
_OPTIONAL = {
    "Gauge": frozenset({"realtime"}),
    # Argo does not need metadata; the identity check warns that Kubernetes does.
    **{kind: frozenset({"metadata"}) for kind in ("Workflow", "WorkflowTemplate")},
    **{kind: frozenset({"metadata"}) for kind in ("ClusterWorkflowTemplate", "CronWorkflow")},
}
# Models with no fields that stand for free-form objects (the rest are empty structs).
_FREE_FORM = frozenset({"Plugin", "FieldsV1"})
_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "str": "a string",
    "scalar": "a string or number",
    "anystring": "a string, number or boolean",
    "intstr": "an integer or a string",
    "quantity": 'a quantity: a number, or a string such as "500m", "2", "1.5Gi"',
    "list": "a list",
    "map": "a mapping",
    "model": "a mapping",
}


@dataclass(frozen=True)
class _Shape:
    """What a value must look like: ``kind`` plus the model or the element shape."""

    kind: str  # model | list | map | str | int | float | bool | scalar | any
    model: str | None = None  # the schema definition name of a model
    item: _Shape | None = None


_ANY = _Shape("any")


def check_strict(
    doc: Mapping[str, Any], kind: str, argo_version: tuple[int, int] = (4, 1)
) -> list[Issue]:
    """Unknown fields, missing required fields and wrong types in a manifest of ``kind``,
    as the Argo release ``argo_version`` decodes it."""
    out: list[Issue] = []
    _walk(doc, _Shape("model", model=f"{_WF}{kind}"), "", out, argo_version)
    return out


def check_pod_spec(value: Mapping[str, Any], path: str) -> list[Issue]:
    """Unknown fields, missing required fields and wrong types of a Kubernetes PodSpec
    (a ``podSpecPatch``), as Go's decoder reads it. Hera has no PodSpec model (Argo's API
    names none): its fields are listed here, with Hera's models of the parts it has."""
    fields = _pod_spec_fields()
    out: list[Issue] = []
    for key, child in value.items():
        shape = fields.get(key) if isinstance(key, str) else None
        if shape is None:
            hint = did_you_mean(str(key), fields)
            out.append(Issue(key_path(path, key), f'unknown field "{key}" in PodSpec{hint}'))
        else:
            _walk(child, shape, key_path(path, key), out)
    return out


@functools.cache
def _pod_spec_fields() -> dict[str, _Shape]:
    v1 = "io.k8s.api.core.v1."  # the table's names of Hera's models of the parts

    def many(model: str | None) -> _Shape:
        return _Shape("list", item=_Shape("model", model=model) if model else _ANY)

    simple = {
        "bool": (
            "automountServiceAccountToken enableServiceLinks hostIPC hostNetwork hostPID "
            "hostUsers setHostnameAsFQDN shareProcessNamespace"
        ),
        "int": "activeDeadlineSeconds priority terminationGracePeriodSeconds",
        "str": (
            "dnsPolicy hostname hostnameOverride nodeName preemptionPolicy priorityClassName "
            "restartPolicy runtimeClassName schedulerName serviceAccount serviceAccountName "
            "subdomain"
        ),
    }
    fields = {name: _Shape(kind) for kind, names in simple.items() for name in names.split()}
    fields.update(
        affinity=_Shape("model", model=v1 + "Affinity"),
        containers=many(v1 + "Container"),
        dnsConfig=_Shape("model", model=v1 + "PodDNSConfig"),
        hostAliases=many(v1 + "HostAlias"),
        imagePullSecrets=many(v1 + "LocalObjectReference"),
        initContainers=many(v1 + "Container"),
        nodeSelector=_Shape("map", item=_Shape("str")),
        os=_Shape("map", item=_ANY),
        overhead=_Shape("map", item=_Shape("quantity")),
        resources=_Shape("model", model=v1 + "ResourceRequirements"),
        securityContext=_Shape("model", model=v1 + "PodSecurityContext"),
        tolerations=many(v1 + "Toleration"),
        volumes=many(v1 + "Volume"),
        **{
            name: many(None)
            for name in [
                "ephemeralContainers",
                "readinessGates",
                "resourceClaims",
                "schedulingGates",
                "topologySpreadConstraints",
            ]
        },
    )
    return fields


def _release_problem(schema_name: str, key: str, target: tuple[int, int]) -> str:
    releases = _FIELD_RELEASES.get((schema_name, key))
    if releases is None or releases[0] <= target <= releases[1]:
        return ""
    model = schema_name.rpartition(".")[2]
    unknown = f'unknown field "{key}" in {model} for Argo {target[0]}.{target[1]} (the target)'
    first, last = releases
    if target < first:
        return f"{unknown}: it is new in Argo {first[0]}.{first[1]}"
    return (
        f"{unknown}: it was removed in Argo {_NEXT_RELEASE[last]}; use "
        f"{_REPLACED_BY.get(key, 'its replacement')}"
    )


def _walk(
    value: Any, shape: _Shape, path: Where, out: list[Issue], target: tuple[int, int] = (4, 1)
) -> None:
    # ``path`` is spelled only for a finding (`spell`): most values have none.
    if value is None or shape.kind == "any":
        return
    if shape.kind == "model" and isinstance(value, Mapping):
        assert shape.model is not None  # noqa: S101 - model shapes always carry one
        fields, required = _fields(shape.model)
        schema_name = shape.model
        model_name = schema_name.rpartition(".")[2]
        for key, child in value.items():
            child_path: Where = (path, key, False)
            sub = fields.get(key) if isinstance(key, str) else None
            problem = _release_problem(schema_name, str(key), target)
            if problem:
                out.append(Issue(spell(child_path), problem))
                continue
            if (schema_name, key) in _REMOVED_TYPES:
                last = _FIELD_RELEASES[(schema_name, key)][1]
                out.append(
                    Issue(
                        spell(child_path),
                        f'field "{key}" is deprecated: Argo {_NEXT_RELEASE[last]} removes it; '
                        f"use {_REPLACED_BY[key]}",
                        "warning",
                    )
                )
            if sub is None:
                hint = did_you_mean(str(key), fields)
                out.append(Issue(spell(child_path), f'unknown field "{key}" in {model_name}{hint}'))
            elif (type(child), sub.kind) not in _FITS:
                _walk(child, sub, child_path, out, target)
        if schema_name == f"{_WF}CronWorkflowSpec" and "schedule" in value and target < (4, 0):
            required = required - {"schedules"}
        for name in sorted(required - value.keys()):
            out.append(
                Issue(
                    key_path(spell(path), name), f'missing required field "{name}" in {model_name}'
                )
            )
    elif shape.kind in ("list", "map") and isinstance(
        value, list if shape.kind == "list" else Mapping
    ):
        item = shape.item or _ANY
        if item.kind == "any":
            return
        if isinstance(value, list):
            for i, child in enumerate(value):
                if (type(child), item.kind) not in _FITS:
                    _walk(child, item, (path, i, True), out, target)
        else:
            for key, child in value.items():
                if (type(child), item.kind) not in _FITS:
                    _walk(child, item, (path, key, False), out, target)
    elif not _scalar_fits(value, shape.kind):
        message = f"expected {_EXPECTED[shape.kind]}, got {describe(value)}"
        if shape.kind == "quantity" and isinstance(value, str) and "{{" in value:
            message += (
                "; Argo decodes quantities before it substitutes variables: set a "
                "parameterised quantity through podSpecPatch"
            )
        out.append(Issue(spell(path), message))


# (type of a scalar, shape kind) pairs that `_scalar_fits` (or `_walk`'s first test) always
# accepts, whatever the value: such a field needs no call to check (most fields are these).
_FITS = frozenset(
    {(kind, "any") for kind in (str, int, float, bool)}
    | {(kind, shape) for kind in (str, int, float, bool) for shape in ("anystring", "scalar")}
    | {(str, "str"), (str, "intstr"), (int, "intstr"), (int, "int"), (bool, "bool")}
    | {(int, "float"), (float, "float"), (int, "quantity"), (float, "quantity")}
    | {(type(None), shape) for shape in _EXPECTED.keys() | {"any"}}
)


def _scalar_fits(value: Any, kind: str) -> bool:
    if kind in ("model", "list", "map") or isinstance(value, (Mapping, list)):
        return False
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "intstr":
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "quantity":
        if isinstance(value, str):
            return bool(_QUANTITY.match(value))
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    # anystring, scalar: any scalar.
    return True


@functools.cache
def _table() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("argo_shapes.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)["models"]
    return table


def _decode(shape: Any) -> _Shape:
    """A shape of the table: a kind name, or ``{"model": name}``, ``{"list": shape}``,
    ``{"map": shape}``."""
    if isinstance(shape, str):
        return _ANY if shape == "any" else _Shape(shape)
    ((kind, inner),) = shape.items()
    if kind == "model":
        return _Shape("model", model=inner)
    return _Shape(kind, item=_decode(inner))


@functools.cache
def _fields(schema_name: str) -> tuple[dict[str, _Shape], frozenset[str]]:
    """A model's fields by JSON name (alias) with their shapes, and the required ones: Hera's
    (the table) corrected by what Argo's Go types say (the tables above)."""
    entry = _table()[schema_name]
    model_name = schema_name.rpartition(".")[2]
    fields = {alias: _decode(shape) for alias, shape in entry["fields"].items()}
    for alias in _ANY_STRING.get(model_name, ()):
        if alias in fields:
            shape = fields[alias]
            any_string = _Shape("anystring")
            fields[alias] = _Shape("list", item=any_string) if shape.kind == "list" else any_string
    extra = dict(_EXTRA_FIELDS.get(schema_name, {}))
    extra.update({f: t for (m, f), t in _REMOVED_TYPES.items() if m == schema_name})
    for alias, kind in extra.items():
        fields[alias] = _Shape(kind, item=_ANY) if kind in ("list", "map") else _Shape(kind)
    required = frozenset(entry["required"]) - _OPTIONAL.get(model_name, frozenset())
    return fields, required


# --------------------------------------------------------------------- the table, from Hera


def hera_shapes() -> dict[str, Any]:
    """The shapes of Hera's models of every kind the lint decodes, and of the models they
    reach: what ``argo_shapes.json`` holds. Imports Hera (most of a second)."""
    from hera.workflows.models.io.argoproj.workflow import v1alpha1

    models: dict[str, Any] = {}
    pending: list[type] = [getattr(v1alpha1, kind) for kind in KINDS]
    while pending:
        model = pending.pop()
        name = _schema_name(model)
        if name in models:
            continue
        fields: dict[str, Any] = {}
        required: list[str] = []
        for field_name, info in getattr(model, "model_fields", {}).items():
            alias = info.alias or field_name
            fields[alias] = _encode(info.annotation, pending)
            if info.is_required():
                required.append(alias)
        models[name] = {"fields": fields, "required": sorted(required)}
    return {"models": dict(sorted(models.items()))}


def _schema_name(model: type) -> str:
    """The schema definition name of a Hera model (``io.argoproj.workflow.v1alpha1.X``)."""
    return model.__module__.rpartition("models.")[2] + "." + model.__name__


def _encode(annotation: Any, pending: list[type]) -> Any:
    """The table's form of a field's shape; the models it names are added to ``pending``."""
    from pydantic import BaseModel, RootModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _encode(options[0], pending)
        kinds = {_kind(_encode(a, pending)) for a in options}
        return "scalar" if kinds <= {"str", "int", "float", "bool", "scalar"} else "any"
    if origin is typing.Annotated:
        return _encode(args[0], pending)
    if origin is list:
        return {"list": _encode(args[0], pending)}
    if origin is dict:
        return {"map": _encode(args[1], pending)}
    if annotation is Any or not isinstance(annotation, type):
        return "any"
    if annotation.__name__ in ("Quantity", "IntOrString"):
        return "quantity" if annotation.__name__ == "Quantity" else "intstr"
    if issubclass(annotation, RootModel):
        return _encode(annotation.model_fields["root"].annotation, pending)
    if issubclass(annotation, BaseModel):
        if annotation.__name__ in _FREE_FORM:
            return {"map": "any"}
        pending.append(annotation)
        return {"model": _schema_name(annotation)}
    simple = {bool: "bool", int: "int", float: "float", str: "str"}
    return simple.get(annotation, "scalar")


def _kind(shape: Any) -> str:
    return shape if isinstance(shape, str) else next(iter(shape))
