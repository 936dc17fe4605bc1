"""Jupyter display: pipelines drawn as pods and containers, runs and versions as small tables.

`pipeline_html` shows a template or workflow as a diagram of its pods (a
``containerSet`` is one pod with its containers in order; ``steps`` and ``dag`` are one box
per step; ``templateRef`` calls name the library they call) beside its collapsible YAML.
The diagram is inline SVG drawn in Python (`argo_buildpacks.display._diagram`, from the pods
read by `argo_buildpacks.display._pods`): it needs no JavaScript and no network, so it
shows the same in JupyterLab, VS Code, nbviewer, GitHub's notebook viewer and exported HTML.
`pipeline_mermaid` gives the same picture as Mermaid text, for Markdown pages.

``%load_ext argo_buildpacks`` (`load_ipython_extension`) makes Hera's ``Workflow``,
``WorkflowTemplate`` and ``ClusterWorkflowTemplate`` display this way. Every value shown is
HTML-escaped. The module imports only the standard library; Hera and YAML are loaded when
something is rendered.

Imports run one way: this module uses the model (`argo_buildpacks.model.tags`,
`argo_buildpacks.model.runs`), never the reverse: a `SemverTag` or `RunStatus` draws its own
HTML (with the small helpers of `argo_buildpacks.display._html`), and the functions here call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from argo_buildpacks.display._diagram import clip, mermaid, svg
from argo_buildpacks.display._html import CODE
from argo_buildpacks.display._pods import identity, manifest_of

if TYPE_CHECKING:
    from argo_buildpacks.model.runs import RunStatus
    from argo_buildpacks.model.tags import SemverTag

__all__ = [
    "load_ipython_extension",
    "pipeline_html",
    "pipeline_mermaid",
    "pipeline_svg",
    "run_status_html",
    "semver_html",
    "unload_ipython_extension",
]


def pipeline_svg(obj: object) -> str:
    """The pipeline of a workflow or template as an inline SVG picture.

    Args:
        obj: a Hera ``Workflow``/``WorkflowTemplate``/``ClusterWorkflowTemplate``, a manifest
            dict (``CronWorkflow`` too), or its YAML text.

    Returns:
        An ``<svg>`` element: one box per pod with its containers in run order (a
        ``containerSet`` is one pod), arrows between steps, dashed boxes for calls to
        templates defined elsewhere, privileged containers and ``hostPath`` volumes in red.
        A template library (no entrypoint) shows its templates side by side.

    Raises:
        ConfigError: ``obj`` is none of the above.
    """
    return svg(manifest_of(obj))


def pipeline_mermaid(obj: object) -> str:
    """The pipeline of a workflow or template as a Mermaid flowchart (for Markdown pages).

    Args:
        obj: what `pipeline_svg` accepts.

    Returns:
        ``flowchart LR`` text: a subgraph per pod holding its containers and their
        dependencies, ``[[call]]`` nodes for ``templateRef`` and ``workflowTemplateRef``, and
        edges from each step group to the next. Labels use Mermaid's entity codes, so no
        value can break out of them.

    Raises:
        ConfigError: ``obj`` is not a workflow, a template or a manifest.
    """
    return mermaid(manifest_of(obj))


# ----------------------------------------------------------------------------- HTML

_CODE = CODE


def _parameters_html(manifest: Mapping[str, Any]) -> str:
    params = ((manifest.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    items = []
    for p in params:
        if not isinstance(p, Mapping):
            continue
        value = p.get("value", p.get("default"))
        text = str(p.get("name")) if value is None else f"{p.get('name')}={value}"
        items.append(_CODE.format(escape(clip(text, 120))))
    return f"<div>parameters: {', '.join(items)}</div>" if items else ""


def pipeline_html(obj: object, *, yaml: bool = True) -> str:
    """A template or workflow as HTML: a title line, its parameters, the pipeline diagram
    (`pipeline_svg`) and, when ``yaml``, its YAML in a collapsed ``<details>``.

    Args:
        obj: a Hera workflow or template, a manifest dict, its YAML text, or a list of these
            (shown one after the other).
        yaml: include the collapsible YAML.

    Returns:
        Self-contained HTML (no scripts, no external resources); every value is escaped.

    Raises:
        ConfigError: ``obj`` is not a workflow, a template or a manifest.
    """
    if isinstance(obj, (list, tuple)):
        return "".join(pipeline_html(o, yaml=yaml) for o in obj)
    manifest = manifest_of(obj)
    kind, name = identity(manifest)
    namespace = (manifest.get("metadata") or {}).get("namespace")
    where = f" in namespace {_CODE.format(escape(str(namespace)))}" if namespace else ""
    parts = [
        '<div class="argo-buildpacks-pipeline" style="font-family:sans-serif">',
        f"<div><b>{escape(kind)}</b> {_CODE.format(escape(name))}{where}</div>",
        _parameters_html(manifest),
        f"<div>{svg(manifest)}</div>",
    ]
    if yaml:
        from argo_buildpacks.templates.pipeline import render

        text = render(manifest)
        parts.append(
            f"<details><summary>YAML ({len(text.splitlines())} lines)</summary>"
            f"<pre>{escape(text)}</pre></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def run_status_html(status: RunStatus) -> str:
    """A run's status as a compact HTML table: phase, progress, times, outputs and nodes.

    The same as ``status._repr_html_()`` (what Jupyter shows for a `RunStatus`).

    Args:
        status: the snapshot from `ArgoClient.status` or `ArgoClient.wait`.

    Returns:
        HTML; every value is escaped.
    """
    from argo_buildpacks.model.runs import run_status_html as html

    return html(status)


def semver_html(tag: SemverTag, *, floating: bool = True, latest: bool = False) -> str:
    """A version in one line: the version, release or pre-release, and the image tags a
    build of it pushes (as `SemverTag.oci_tags` with ``floating`` and ``latest``).

    The same as ``tag._repr_html_()`` with the defaults (what Jupyter shows for a
    `SemverTag`).

    Args:
        tag: the version.
        floating: include ``MAJOR.MINOR`` and ``MAJOR`` for releases.
        latest: include ``latest`` for releases.

    Returns:
        HTML; a version too long for an OCI tag says so instead of raising.
    """
    from argo_buildpacks.model.tags import semver_html as html

    return html(tag, floating=floating, latest=latest)


# ----------------------------------------------------------------------------- IPython

#: Hera's classes, by module and name, so registering them does not import Hera.
_HERA_TYPES = (
    ("hera.workflows.workflow", "Workflow"),
    ("hera.workflows.workflow_template", "WorkflowTemplate"),
    ("hera.workflows.cluster_workflow_template", "ClusterWorkflowTemplate"),
)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext argo_buildpacks``: show Hera workflows and templates as
    `pipeline_html` (diagram and collapsible YAML).

    Args:
        ipython: the running ``InteractiveShell`` (anything with a ``display_formatter``).
    """
    formatter = ipython.display_formatter.formatters["text/html"]
    for module, name in _HERA_TYPES:
        formatter.for_type_by_name(module, name, pipeline_html)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext argo_buildpacks``: back to Hera's own display.

    Args:
        ipython: the running ``InteractiveShell``.
    """
    formatter = ipython.display_formatter.formatters["text/html"]
    for module, name in _HERA_TYPES:
        formatter.pop(f"{module}.{name}", None)
