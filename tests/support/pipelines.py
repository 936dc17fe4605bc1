"""What the display tests draw: the example app's config, small manifests, and the text of an
SVG picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from argo_buildpacks import BuildConfig

__all__ = ["EXAMPLE", "REGISTRY", "ROOT", "SVG", "config", "container", "manifest", "texts"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
REGISTRY = "registry.example.com:5000/acme"
#: The SVG namespace, as ElementTree prefixes tag names.
SVG = "{http://www.w3.org/2000/svg}"


def config(**over: Any) -> BuildConfig:
    """The example app's config with ``over`` replacing top-level keys."""
    return BuildConfig.from_dict({**EXAMPLE.model_dump(mode="json"), **over})


def manifest(templates: list[dict[str, Any]], entrypoint: str = "main") -> dict[str, Any]:
    """A ``Workflow`` manifest with these templates."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "x-"},
        "spec": {"entrypoint": entrypoint, "templates": templates},
    }


def container(name: str, image: str = "busybox") -> dict[str, Any]:
    """A one-container template."""
    return {"name": name, "container": {"image": image}}


def texts(svg: str) -> list[str]:
    """The text lines of an SVG picture in drawing order (parsing also proves it well-formed)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
