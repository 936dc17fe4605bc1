"""Validate Argo Events objects against Argo Events v1.9.11's JSON Schema, strictly.

``tests/support/data/argo-events-schema.json`` holds the schema's definitions reachable from
``EventSource`` and ``Sensor``, copied unchanged. The schema itself allows unknown fields (no
``additionalProperties: false``), so :func:`validator` adds that to every definition that
lists its properties: a misspelled field is an error here, as it is for the controller's
strict decoding. Free-form objects (``K8SResource``, maps) stay free-form.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = Path(__file__).parent / "data" / "argo-events-schema.json"
_PREFIX = "io.argoproj.events.v1alpha1."


def _closed(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@functools.cache
def _schema() -> dict[str, Any]:
    raw = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return {"definitions": _closed(copy.deepcopy(raw["definitions"]))}


def validator(kind: str) -> Any:
    """A Draft 7 validator for ``kind`` (``EventSource`` or ``Sensor``), unknown fields refused."""
    schema = {**_schema(), "$ref": f"#/definitions/{_PREFIX}{kind}"}
    return jsonschema.Draft7Validator(schema)


def errors(doc: dict[str, Any]) -> list[str]:
    """Every schema violation of ``doc`` (by its ``kind``), as ``path: message`` lines."""
    kind = doc.get("kind")
    assert kind in ("EventSource", "Sensor"), kind
    return [
        f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator(str(kind)).iter_errors(doc)
    ]
