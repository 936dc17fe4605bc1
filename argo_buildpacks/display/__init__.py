"""Jupyter display: pipelines drawn as pods and containers, runs and versions as small tables.

``%load_ext argo_buildpacks`` makes Hera's workflows and templates, `SemverTag` and
`RunStatus` display this way in a notebook; the functions give the same HTML, SVG or Mermaid
text anywhere else. `pods_html` shows the pods Argo's controller would create from each
template (`pods_data`: the same as data).
"""

from argo_buildpacks.display._html import run_status_html, semver_html
from argo_buildpacks.display._jupyter import (
    load_ipython_extension,
    pipeline_html,
    pipeline_mermaid,
    pipeline_svg,
    unload_ipython_extension,
)
from argo_buildpacks.display._podview import pods_data, pods_html

__all__ = [
    "load_ipython_extension",
    "pipeline_html",
    "pipeline_mermaid",
    "pipeline_svg",
    "pods_data",
    "pods_html",
    "run_status_html",
    "semver_html",
    "unload_ipython_extension",
]
