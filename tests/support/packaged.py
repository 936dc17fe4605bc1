"""Every text a container may carry of the packaged scripts: the whole script, or any set of
its ``#@part`` blocks (a phase, a credential kind, the CA block...), as `load` joins them."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from argo_buildpacks.components.scripts import load, names, parts


def packaged(scripts: Iterable[str] | None = None) -> set[str]:
    """The texts `load` gives for ``scripts`` (default: every packaged one), each with no
    part, every combination of its parts, or all of them."""
    texts: set[str] = set()
    for name in names() if scripts is None else scripts:
        own = parts(name)
        texts.add(load(name))
        for size in range(len(own) + 1):
            texts.update(load(name, combo) for combo in combinations(own, size))
    return texts
