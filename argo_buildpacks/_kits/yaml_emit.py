"""Writing manifests as YAML: one object or several, in the key order people read.

The reader (limits, duplicate keys, no aliases) is `argo_buildpacks._kits.yaml_io`; this is
the writer every command and page uses, so the YAML a user sees is the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from argo_buildpacks.errors import ConfigError

__all__ = ["render", "to_manifest"]

_TOP = ("apiVersion", "kind", "metadata", "spec", "status")


def render(objs: Any) -> str:
    """Render one object or several as YAML (``---``-separated), in a stable key order.

    Accepts Hera workflows/templates, anything with ``to_dict()``, or plain dicts. Keys are
    ordered as Kubernetes users read them (``apiVersion``, ``kind``, ``metadata``,
    ``spec``) and then alphabetically, so diffs in git stay small.

    Raises:
        ConfigError: an object is neither a mapping nor has a ``to_dict()`` giving one.
    """
    items = objs if isinstance(objs, (list, tuple)) else [objs]
    docs = [to_manifest(o) for o in items]
    return "---\n".join(
        yaml.dump(
            _ordered(d),
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=100,
        )
        for d in docs
    )


def to_manifest(obj: Any) -> dict[str, Any]:
    """A plain dict manifest from a Hera object, a pydantic model or a dict.

    Raises:
        ConfigError: ``obj`` is neither a mapping nor has a ``to_dict()`` giving one.
    """
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    raise ConfigError(f"cannot render {type(obj).__name__}: expected a Hera workflow or a dict")


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = [k for k in _TOP if k in value] + sorted(k for k in value if k not in _TOP)
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML through libyaml when present (10x faster than pure Python)."""


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Scripts and other multi-line strings as literal blocks: readable and diffable.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)
