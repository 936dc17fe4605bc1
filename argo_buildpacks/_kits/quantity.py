"""Kubernetes resource quantities, and the Argo expression that passes one on from an input.

Shared by the model (a config's resources), the library templates (per-app quantities
through ``podSpecPatch``) and the lint (which accepts that expression and nothing else in a
patch), so the lint needs neither the model nor Hera to read it.
"""

from __future__ import annotations

import re

__all__ = ["QUANTITY_INPUT", "QUANTITY_PATTERN", "quantity_input"]

#: apimachinery's resource.Quantity syntax (`pkg/api/resource/quantity.go`), unanchored.
QUANTITY_PATTERN = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[mun]|k)?"

_PREFIX = "{{=sprig.regexFind('^(" + QUANTITY_PATTERN + ")$', inputs.parameters['"
_SUFFIX = "'])}}"
#: A value `quantity_input` wrote (group 1: the input's name), and nothing else.
QUANTITY_INPUT = re.compile(re.escape(_PREFIX) + r"(resources-[a-z0-9-]+)" + re.escape(_SUFFIX))


def quantity_input(name: str) -> str:
    """The expression that passes the input ``name`` on only if it is one whole quantity."""
    return _PREFIX + name + _SUFFIX
