"""Pods of one workflow as host directories, by the mounts their templates declare.

A workflow volume (the ``workspace`` claim) is one directory every pod shares; a template's
own volume (an emptyDir) is a fresh directory per pod. A container sees its own
``volumeMounts`` plus its containerSet's (Argo appends those to every container:
``pkg/apis/workflow/v1alpha1/container_set_template_types.go`` ``GetContainers``), and a path
is on the volume of the deepest mount holding it. ``readOnly`` is the kernel's to enforce, so
the app's code is modelled as writing every directory its container mounts writable, and
nothing else.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.runscript import Rendered, render

__all__ = ["Pod", "Workflow"]


def _mounts(container: Any, template: Any) -> list[Any]:
    own = list(getattr(container, "volume_mounts", None) or [])
    return own + list(getattr(template, "volume_mounts", None) or [])


@dataclass
class Workflow:
    """The workflow's volumes (claims) as directories under ``root``."""

    root: Path
    shared: tuple[str, ...] = ("workspace",)
    pods: int = 0

    def claim(self, name: str = "workspace") -> Path:
        """The host directory of workflow volume ``name``."""
        path = self.root / "claims" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def pod(self, template: Any) -> Pod:
        """A new pod of ``template`` (its own volumes empty)."""
        self.pods += 1
        return Pod(self, template, self.root / f"pod{self.pods}")


@dataclass
class Pod:
    """One pod of a template: where each container's paths are on the host."""

    workflow: Workflow
    template: Any
    root: Path

    def containers(self) -> list[Any]:
        """The template's containers (a containerSet's nodes, or the one container)."""
        nodes = getattr(self.template, "containers", None)
        return list(nodes) if nodes is not None else [self.template]

    def container(self, name: str) -> Any:
        """The container called ``name``."""
        return next(c for c in self.containers() if c.name == name)

    def volume_dir(self, volume: str) -> Path:
        """The host directory of ``volume`` as this pod sees it."""
        if volume in self.workflow.shared:
            return self.workflow.claim(volume)
        path = self.root / "volumes" / volume
        path.mkdir(parents=True, exist_ok=True)
        return path

    def host(self, container: Any, path: str) -> Path:
        """Where cluster path ``path`` of ``container`` is on the host."""
        path = posixpath.normpath(path)
        best = None
        for m in _mounts(container, self.template):
            mp = posixpath.normpath(m.mount_path)
            if (path == mp or path.startswith(mp + "/")) and (
                best is None or len(mp) > len(best.mount_path)
            ):
                best = m
        if best is None:
            return self.root / "own" / str(container.name) / path.lstrip("/")
        rest = posixpath.relpath(path, posixpath.normpath(best.mount_path))
        base = self.volume_dir(best.name) / (best.sub_path or "")
        return (base / rest) if rest != "." else base

    def writable(self, container: Any) -> list[Path]:
        """The host directories ``container`` can write: its mounts that are not read-only."""
        return [
            self.volume_dir(m.name) / (m.sub_path or "")
            for m in _mounts(container, self.template)
            if not m.read_only
        ]

    def env(self, container: Any, extra: Mapping[str, str] | None = None) -> dict[str, str | None]:
        """The container's env with every cluster path remapped to the host."""
        found: dict[str, str | None] = {}
        for e in container.env or []:
            value = str(e.value or "")
            if value.startswith(("/workspace", "/source", "/layers")):
                found[e.name] = str(self.host(container, value))
        found.update(extra or {})
        return found

    def rendered(self, name: str) -> Rendered:
        """The container ``name``'s script, ``$0``, arguments and env."""
        return render(self.container(name))
