"""The model's values as HTML: a version (`semver_html`) and a run's status (`run_status_html`).

They live here, above the model, and not as ``_repr_html_`` methods on `SemverTag` and
`RunStatus`: the model never imports the display layer. ``%load_ext argo_buildpacks``
(`argo_buildpacks.display._jupyter.load_ipython_extension`) registers them with Jupyter by
class name. The model is imported for type checking only, so loading the extension stays cheap.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from argo_buildpacks.errors import TagError

if TYPE_CHECKING:
    from argo_buildpacks.model.runs import RunStatus
    from argo_buildpacks.model.tags import SemverTag

__all__ = ["CODE", "phase_html", "run_status_html", "semver_html"]

#: A value in a code span (format with an escaped value).
CODE = "<code>{}</code>"

_ALERT = "#b3261e"
_PHASE_COLOURS = {
    "Succeeded": "#1a7f37",
    "Failed": _ALERT,
    "Error": _ALERT,
    "Running": "#0969da",
    "Pending": "#57606a",
}


def phase_html(phase: str) -> str:
    """A workflow or node phase as a coloured dot and word."""
    colour = _PHASE_COLOURS.get(phase, "#57606a")
    return f'<b style="color:{colour}">\u25cf {escape(phase)}</b>'


def semver_html(tag: SemverTag, *, floating: bool = True, latest: bool = False) -> str:
    """A version in one line: the version, release or pre-release, and the image tags a
    build of it pushes (as `SemverTag.oci_tags` with ``floating`` and ``latest``).

    What Jupyter shows for a `SemverTag` after ``%load_ext argo_buildpacks``.

    Args:
        tag: the version.
        floating: include ``MAJOR.MINOR`` and ``MAJOR`` for releases.
        latest: include ``latest`` for releases.

    Returns:
        HTML; a version too long for an OCI tag says so instead of raising.
    """
    kind = "pre-release" if tag.is_prerelease else "release"
    try:
        tags = ", ".join(CODE.format(escape(t)) for t in tag.oci_tags(floating, latest))
        pushes = f"pushes {tags}"
    except TagError as exc:
        # A display must not fail: the reason the version cannot be pushed is what to show.
        pushes = f'<span style="color:{_ALERT}">{escape(str(exc))}</span>'
    if tag.is_prerelease:
        pushes += " (no floating tags for a pre-release)"
    return (
        f'<span class="argo-buildpacks-semver"><b>{escape(str(tag))}</b> '
        f"<i>{kind}</i> \u00b7 {pushes}</span>"
    )


def run_status_html(status: RunStatus) -> str:
    """A run's status as a compact HTML table: phase, progress, times, outputs and nodes
    (collapsed).

    What Jupyter shows for a `RunStatus` after ``%load_ext argo_buildpacks``.

    Args:
        status: the snapshot from `ArgoClient.status` or `ArgoClient.wait`.

    Returns:
        HTML; every value is escaped.
    """
    rows = [
        ("run", CODE.format(escape(f"{status.namespace}/{status.name}"))),
        (
            "phase",
            phase_html(status.phase) + (f" {escape(status.message)}" if status.message else ""),
        ),
    ]
    if status.progress:
        rows.append(("progress", escape(status.progress)))
    if status.started_at:
        when = escape(status.started_at.isoformat())
        if status.finished_at:
            took = status.finished_at - status.started_at
            when += f" \u2192 {escape(status.finished_at.isoformat())} ({escape(str(took))})"
        rows.append(("time", when))
    rows += [(escape(k), CODE.format(escape(v))) for k, v in status.outputs.items()]
    table = "".join(
        f'<tr><th style="text-align:left">{key}</th><td style="text-align:left">{value}</td></tr>'
        for key, value in rows
    )
    html = f'<table class="argo-buildpacks-run">{table}</table>'
    if status.nodes:
        cells = "".join(
            f"<tr><td>{escape(n.display_name)}</td><td>{escape(n.type)}</td>"
            f"<td>{phase_html(n.phase)}</td><td>{escape(n.message)}</td></tr>"
            for n in status.nodes
        )
        html += (
            f"<details><summary>nodes ({len(status.nodes)})</summary><table>"
            "<tr><th>node</th><th>type</th><th>phase</th><th>message</th></tr>"
            f"{cells}</table></details>"
        )
    return html
