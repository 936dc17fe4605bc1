"""Jupyter display: pipelines drawn as pods and containers, runs and versions as small tables
(see `argo_buildpacks.display._jupyter`)."""

from argo_buildpacks.display._jupyter import (
    load_ipython_extension,
    pipeline_html,
    pipeline_mermaid,
    pipeline_svg,
    run_status_html,
    semver_html,
    unload_ipython_extension,
)

__all__ = [
    "load_ipython_extension",
    "pipeline_html",
    "pipeline_mermaid",
    "pipeline_svg",
    "run_status_html",
    "semver_html",
    "unload_ipython_extension",
]
