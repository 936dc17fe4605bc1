"""Jupyter display: pipelines drawn as pods and containers, runs and versions as small tables.

`pipeline_html` shows a template or workflow as a diagram of its pods (a
``containerSet`` is one pod with its containers in order; ``steps`` and ``dag`` are one box
per step; ``templateRef`` calls name the library they call) beside its collapsible YAML.
The diagram is inline SVG drawn in Python (`argo_buildpacks.display._diagram`, from the pods
read by `argo_buildpacks.display._pods`): it needs no JavaScript and no network, so it
shows the same in JupyterLab, VS Code, nbviewer, GitHub's notebook viewer and exported HTML.
`pipeline_mermaid` gives the same picture as Mermaid text, for Markdown pages.

``%load_ext argo_buildpacks`` (`load_ipython_extension`) makes Hera's ``Workflow``,
``WorkflowTemplate`` and ``ClusterWorkflowTemplate`` display this way, and a `SemverTag` or
`RunStatus` as `semver_html` or `run_status_html` (`argo_buildpacks.display._html`): the
model draws nothing itself, because it never imports the display layer above it. Every
value shown is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from argo_buildpacks._kits.yaml_emit import render
from argo_buildpacks.display._diagram import clip, mermaid, svg
from argo_buildpacks.display._html import CODE, run_status_html, semver_html
from argo_buildpacks.display._pods import identity, manifest_of

__all__ = [
    "load_ipython_extension",
    "pipeline_html",
    "pipeline_mermaid",
    "pipeline_svg",
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


def _parameters_html(manifest: Mapping[str, Any]) -> str:
    params = ((manifest.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    items = []
    for p in params:
        if not isinstance(p, Mapping):
            continue
        value = p.get("value", p.get("default"))
        text = str(p.get("name")) if value is None else f"{p.get('name')}={value}"
        items.append(CODE.format(escape(clip(text, 120))))
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
    where = f" in namespace {CODE.format(escape(str(namespace)))}" if namespace else ""
    parts = [
        '<div class="argo-buildpacks-pipeline" style="font-family:sans-serif">',
        f"<div><b>{escape(kind)}</b> {CODE.format(escape(name))}{where}</div>",
        _parameters_html(manifest),
        f"<div>{svg(manifest)}</div>",
    ]
    if yaml:
        text = render(manifest)
        parts.append(
            f"<details><summary>YAML ({len(text.splitlines())} lines)</summary>"
            f"<pre>{escape(text)}</pre></details>"
        )
    parts.append("</div>")
    return "".join(parts)


# ----------------------------------------------------------------------------- IPython

#: What ``%load_ext`` shows as HTML. Classes by module and name, so this table needs neither
#: Hera nor the model imported (IPython matches the name when it first meets such an object).
_FORMATTERS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("hera.workflows.workflow", "Workflow", pipeline_html),
    ("hera.workflows.workflow_template", "WorkflowTemplate", pipeline_html),
    ("hera.workflows.cluster_workflow_template", "ClusterWorkflowTemplate", pipeline_html),
    ("argo_buildpacks.model.tags", "SemverTag", semver_html),
    ("argo_buildpacks.model.runs", "RunStatus", run_status_html),
)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext argo_buildpacks``: show Hera workflows and templates as `pipeline_html`
    (diagram and collapsible YAML), a `SemverTag` as `semver_html` and a `RunStatus` as
    `run_status_html`.

    Args:
        ipython: the running ``InteractiveShell`` (anything with a ``display_formatter``).
    """
    formatter = ipython.display_formatter.formatters["text/html"]
    for module, name, html in _FORMATTERS:
        formatter.for_type_by_name(module, name, html)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext argo_buildpacks``: back to Hera's own display, and plain text for
    versions and run statuses.

    Args:
        ipython: the running ``InteractiveShell``.
    """
    formatter = ipython.display_formatter.formatters["text/html"]
    for module, name, _ in _FORMATTERS:
        formatter.pop(f"{module}.{name}", None)
