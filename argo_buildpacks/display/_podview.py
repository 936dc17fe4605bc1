"""The pods Argo's controller would create from a workflow or template, for a chosen Argo
release, as data, text and HTML (``argo-buildpacks pods``, and in Jupyter `pods_html`).

Built by `argo_buildpacks.linting._workflowpod` from ``workflowpod.go``'s rules: the init
and wait containers (or 4.1's init-less supervisor), every container with its mounts
(``/var/run/argo`` and the executor's token included), the size of the env, the
``podSpecPatch`` applied, who can write each output's source, and what Argo, the API server
or the kubelet would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from argo_buildpacks.display._html import CODE
from argo_buildpacks.display._pods import identity, manifest_of
from argo_buildpacks.linting._base import entries, mapping, parse_version, text, workflow_spec
from argo_buildpacks.linting._podchecks import issues_by_pod, output_writers, template_pods
from argo_buildpacks.linting._workflowpod import Controller, Pod

__all__ = ["pods_data", "pods_html", "pods_text"]

_ARGO = ("init", "wait", "supervisor")


def pods_data(
    obj: object,
    *,
    argo_version: str = "4.1",
    initless: bool = False,
    archive_logs: bool = False,
    executor_user: int | None = 0,
) -> list[dict[str, Any]]:
    """One entry per template of ``obj`` that makes a pod: what Argo would create.

    Args:
        obj: a Hera workflow or template, a manifest dict or its YAML text.
        argo_version: ``"3.6"``, ``"3.7"``, ``"4.0"`` or ``"4.1"``.
        initless: the 4.1 controller's ``initlessPod.enabled`` (no init, a supervisor).
        archive_logs: the artifact repository's ``archiveLogs`` (a resource pod gets wait).
        executor_user: the uid of the controller's argoexec image (``0``: ``argoexec``, the
            default; ``8737``: ``argoexec-nonroot``).

    Returns:
        JSON-ready dicts: ``template``, ``path``, ``kind``, ``layout``, ``pod`` (the pod
        spec), ``containers`` (a summary of each), ``template_env_bytes``, ``patches``,
        ``added_by_patch``, ``outputs`` (each with the containers that can write its
        source), ``problems`` and ``rules`` (the source lines followed).

    Raises:
        ConfigError: ``obj`` is not a workflow or template, or ``argo_version`` is not
            supported.
        ValueError: ``initless`` before Argo 4.1.
    """
    version = parse_version(argo_version)
    if initless and version < (4, 1):
        raise ValueError("--initless needs Argo 4.1: the init-less layout exists from 4.1 on")
    manifest = manifest_of(obj)
    controller = Controller(
        initless=initless, archive_logs=archive_logs, executor_user=executor_user
    )
    _, spec = workflow_spec(manifest)
    templates = {text(t.get("name")): t for t in map(mapping, entries(spec.get("templates")))}
    problems: dict[str, list[str]] = {}
    for where, issue in issues_by_pod(manifest, argo_version=version, controller=controller):
        problems.setdefault(where, []).append(issue.message)
    found = []
    for path, pod in template_pods(manifest, argo_version=version, controller=controller):
        tmpl = templates.get(pod.template, {})
        found.append(
            {
                "template": pod.template,
                "path": path,
                "kind": pod.kind,
                "layout": pod.layout,
                "argo_version": argo_version,
                "containers": _containers(pod),
                "volumes": [_volume(v) for v in map(mapping, entries(pod.spec.get("volumes")))],
                "template_env_bytes": pod.template_env,
                "patches": pod.patches,
                "added_by_patch": pod.added,
                "outputs": [
                    {"output": w.output, "path": w.path, "writers": list(w.containers)}
                    for w in output_writers(pod, tmpl)
                ],
                "problems": problems.get(path, []) + _unread(pod),
                "rules": pod.notes,
                "pod": {"apiVersion": "v1", "kind": "Pod", "spec": pod.spec},
            }
        )
    return found


def _unread(pod: Pod) -> list[str]:
    if not pod.patch_error:
        return []
    return [f"template {pod.template!r}: podSpecPatch not modelled: {pod.patch_error}"]


def _containers(pod: Pod) -> list[dict[str, Any]]:
    pod_sc = mapping(pod.spec.get("securityContext"))
    out = []
    for key, c in pod.containers():
        sc = mapping(c.get("securityContext"))
        name = text(c.get("name"))
        out.append(
            {
                "name": name,
                "list": key,
                "argo": name in pod.executor_names or name in _ARGO,
                "image": text(c.get("image")) or None,
                "mounts": [
                    f"{text(m.get('name'))}:{text(m.get('mountPath'))}"
                    + (":ro" if m.get("readOnly") else "")
                    for m in map(mapping, entries(c.get("volumeMounts")))
                ],
                "env_bytes": _env_bytes(c, pod.template_env),
                "run_as_user": sc.get("runAsUser", pod_sc.get("runAsUser")),
                "run_as_non_root": sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")),
                "allow_privilege_escalation": sc.get("allowPrivilegeEscalation"),
                "drop": list(entries(mapping(sc.get("capabilities")).get("drop"))),
            }
        )
    return out


def _env_bytes(container: Mapping[str, Any], template_env: int) -> int:
    total = 0
    for e in map(mapping, entries(container.get("env"))):
        name = text(e.get("name"))
        value = template_env if name == "ARGO_TEMPLATE" else len(text(e.get("value")).encode())
        total += len(name) + value
    return total


def _volume(volume: Mapping[str, Any]) -> dict[str, str]:
    kind = next((k for k in volume if k != "name"), "")
    ref = mapping(volume.get(kind))
    detail = text(ref.get("secretName") or ref.get("claimName") or ref.get("reference"))
    return {"name": text(volume.get("name")), "type": kind, "ref": detail}


def pods_text(pods: list[dict[str, Any]]) -> str:
    """`pods_data` as plain text: one block per pod."""
    lines = []
    for p in pods:
        lines.append(
            f"{p['path']} {p['template']}: a {p['kind']} pod, {p['layout']} (Argo "
            f"{p['argo_version']}), ARGO_TEMPLATE {p['template_env_bytes']} bytes"
        )
        for c in p["containers"]:
            who = "argo" if c["argo"] else "user"
            image = c["image"] or "NO IMAGE (added by the podSpecPatch)"
            user = "uid ?" if c["run_as_user"] is None else f"uid {c['run_as_user']}"
            nonroot = " runAsNonRoot" if c["run_as_non_root"] else ""
            lines.append(f"  {c['list'][:-1]} {c['name']} [{who}] {image} ({user}{nonroot}, "
                         f"env {c['env_bytes']} bytes)")  # fmt: skip
            lines.append(f"    mounts: {', '.join(c['mounts']) or '-'}")
        volumes = ", ".join(f"{v['name']} ({v['type']}{': ' + v['ref'] if v['ref'] else ''})"
                            for v in p["volumes"])  # fmt: skip
        lines.append(f"  volumes: {volumes}")
        if p["patches"]:
            lines.append(f"  podSpecPatch applied: {', '.join(p['patches'])}")
        if p["outputs"]:
            lines.append("  outputs (every container can also write /var/run/argo, where the "
                         "emissary stages them):")  # fmt: skip
        for o in p["outputs"]:
            writers = ", ".join(o["writers"]) or "-"
            lines.append(f"  output {o['output']} ({o['path']}) writable by: {writers}")
        for problem in p["problems"]:
            lines.append(f"  PROBLEM: {problem}")
    return "\n".join(lines)


def pods_html(
    obj: object,
    *,
    argo_version: str = "4.1",
    initless: bool = False,
    archive_logs: bool = False,
    executor_user: int | None = 0,
) -> str:
    """The pods of ``obj`` (`pods_data`, same arguments) as an HTML table per pod, for a
    notebook. Every value is HTML-escaped.

    Raises:
        ConfigError: ``obj`` is not a workflow or template, or the release is unsupported.
    """
    pods = pods_data(
        obj,
        argo_version=argo_version,
        initless=initless,
        archive_logs=archive_logs,
        executor_user=executor_user,
    )
    kind, name = identity(manifest_of(obj))
    parts = [
        '<div class="argo-buildpacks-pods" style="font-family:sans-serif">',
        f"<div><b>{escape(kind)}</b> {CODE.format(escape(name))}: the pods Argo "
        f"{escape(argo_version)} creates</div>",
    ]
    for p in pods:
        parts.append(
            f"<h4>{escape(p['template'])} ({escape(p['kind'])}, {escape(p['layout'])}, "
            f"ARGO_TEMPLATE {p['template_env_bytes']} bytes)</h4>"
            "<table><tr><th>container</th><th>image</th><th>uid</th><th>mounts</th>"
            "<th>env bytes</th></tr>"
        )
        for c in p["containers"]:
            style = ' style="color:#b00"' if c["image"] is None else ""
            parts.append(
                f"<tr{style}><td>{escape(c['name'])}{' (argo)' if c['argo'] else ''}</td>"
                f"<td>{escape(c['image'] or 'no image: added by the podSpecPatch')}</td>"
                f"<td>{escape(str(c['run_as_user']))}</td>"
                f"<td>{escape(', '.join(c['mounts']))}</td><td>{c['env_bytes']}</td></tr>"
            )
        parts.append("</table>")
        for o in p["outputs"]:
            parts.append(
                f"<div>output {CODE.format(escape(o['output']))} writable by "
                f"{escape(', '.join(o['writers']) or '-')}</div>"
            )
        for problem in p["problems"]:
            parts.append(f'<div style="color:#b00">{escape(problem)}</div>')
        parts.append(
            f"<details><summary>rules</summary><pre>{escape(chr(10).join(p['rules']))}</pre>"
            "</details>"
        )
    parts.append("</div>")
    return "".join(parts)
