"""Strict decoding, as ``argo lint --strict`` does it: unknown fields and wrong types.

The manifest is walked alongside Hera's generated pydantic models of the Argo API
(``hera.workflows.models``), by JSON name (field alias). Hera is imported on first use, and
the fields of each model are worked out once (:func:`functools.cache` on the model class).
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argo_buildpacks._lint.base import Issue, describe, did_you_mean, key_path

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
    "io.k8s.api.core.v1.HTTPGetAction": {"port": "scalar"},
}
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
    "list": "a list",
    "map": "a mapping",
    "model": "a mapping",
}


@dataclass(frozen=True)
class _Shape:
    """What a value must look like: ``kind`` plus the model or the element shape."""

    kind: str  # model | list | map | str | int | float | bool | scalar | any
    model: type | None = None
    item: _Shape | None = None


_ANY = _Shape("any")


def check_strict(doc: Mapping[str, Any], kind: str) -> list[Issue]:
    """Unknown fields, missing required fields and wrong types in a manifest of ``kind``."""
    from hera.workflows.models.io.argoproj.workflow import v1alpha1

    out: list[Issue] = []
    _walk(doc, _Shape("model", model=getattr(v1alpha1, kind)), "", out)
    return out


def _walk(value: Any, shape: _Shape, path: str, out: list[Issue]) -> None:
    if value is None or shape.kind == "any":
        return
    if shape.kind == "model" and isinstance(value, Mapping):
        assert shape.model is not None  # noqa: S101 - model shapes always carry one
        fields, required = _fields(shape.model)
        model_name = shape.model.__name__
        for key, child in value.items():
            child_path = key_path(path, key)
            sub = fields.get(key) if isinstance(key, str) else None
            if sub is None:
                hint = did_you_mean(str(key), fields)
                out.append(Issue(child_path, f'unknown field "{key}" in {model_name}{hint}'))
            else:
                _walk(child, sub, child_path, out)
        for name in sorted(required - value.keys()):
            out.append(
                Issue(key_path(path, name), f'missing required field "{name}" in {model_name}')
            )
    elif shape.kind in ("list", "map") and isinstance(
        value, list if shape.kind == "list" else Mapping
    ):
        item = shape.item or _ANY
        if isinstance(value, list):
            for i, child in enumerate(value):
                _walk(child, item, f"{path}[{i}]", out)
        else:
            for key, child in value.items():
                _walk(child, item, key_path(path, key), out)
    elif not _scalar_fits(value, shape.kind):
        out.append(Issue(path, f"expected {_EXPECTED[shape.kind]}, got {describe(value)}"))


def _scalar_fits(value: Any, kind: str) -> bool:
    if kind in ("model", "list", "map") or isinstance(value, (Mapping, list)):
        return False
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    # Strings: Argo's AnyString and Quantity take numbers too, so any scalar passes.
    return True


@functools.cache
def _fields(model: type) -> tuple[dict[str, _Shape], frozenset[str]]:
    """A model's fields by JSON name (alias) with their shapes, and the required ones."""
    model_fields: dict[str, Any] = getattr(model, "model_fields", {})
    fields = {info.alias or name: _shape(info.annotation) for name, info in model_fields.items()}
    schema_name = model.__module__.rpartition("models.")[2] + "." + model.__name__
    for alias, kind in _EXTRA_FIELDS.get(schema_name, {}).items():
        fields[alias] = _Shape(kind, item=_ANY) if kind in ("list", "map") else _Shape(kind)
    required = frozenset(
        info.alias or name for name, info in model_fields.items() if info.is_required()
    ) - _OPTIONAL.get(model.__name__, frozenset())
    return fields, required


def _shape(annotation: Any) -> _Shape:
    from pydantic import BaseModel, RootModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _shape(options[0])
        kinds = {_shape(a).kind for a in options}
        return _Shape("scalar") if kinds <= {"str", "int", "float", "bool", "scalar"} else _ANY
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin is list:
        return _Shape("list", item=_shape(args[0]))
    if origin is dict:
        return _Shape("map", item=_shape(args[1]))
    if annotation is Any or not isinstance(annotation, type):
        return _ANY
    if issubclass(annotation, RootModel):
        return _shape(annotation.model_fields["root"].annotation)
    if issubclass(annotation, BaseModel):
        if annotation.__name__ in _FREE_FORM:
            return _Shape("map", item=_ANY)
        return _Shape("model", model=annotation)
    simple = {bool: "bool", int: "int", float: "float", str: "str"}
    return _Shape(simple.get(annotation, "scalar"))
