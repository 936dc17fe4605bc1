"""Checks of the pods Argo creates (`argo_buildpacks.linting._workflowpod`), not of the
manifest's text: what a ``podSpecPatch`` does to a pod that lacks a container it names,
which containers the kubelet would refuse to start, and who can write each output's source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from argo_buildpacks.linting._base import Issue, entries, key_path, mapping, text, workflow_spec
from argo_buildpacks.linting._podpatch import PatchError, read_patch
from argo_buildpacks.linting._workflowpod import (
    DEFAULT,
    Controller,
    Pod,
    cite,
    construct_pod,
    template_kind,
)

__all__ = ["Writers", "issues_by_pod", "output_writers", "pod_issues", "template_pods"]


def template_pods(
    doc: Mapping[str, Any],
    *,
    argo_version: tuple[int, int] = (4, 1),
    controller: Controller = DEFAULT,
) -> Iterator[tuple[str, Pod]]:
    """``(path of the template, its pod)`` for every template of ``doc`` that makes a pod."""
    spec_path, spec = workflow_spec(doc)
    for i, tmpl in enumerate(map(mapping, entries(spec.get("templates")))):
        if template_kind(tmpl):
            pod = construct_pod(tmpl, spec, argo_version=argo_version, controller=controller)
            yield f"{spec_path}.templates[{i}]", pod


def pod_issues(
    doc: Mapping[str, Any],
    *,
    argo_version: tuple[int, int] = (4, 1),
    controller: Controller = DEFAULT,
) -> Iterator[Issue]:
    """What Argo or the kubelet would refuse in the pods of ``doc``."""
    for _, issue in issues_by_pod(doc, argo_version=argo_version, controller=controller):
        yield issue


def issues_by_pod(
    doc: Mapping[str, Any],
    *,
    argo_version: tuple[int, int] = (4, 1),
    controller: Controller = DEFAULT,
) -> Iterator[tuple[str, Issue]]:
    """`pod_issues`, each with the path of the template whose pod it is about."""
    spec_path, spec = workflow_spec(doc)
    for path, pod in template_pods(doc, argo_version=argo_version, controller=controller):
        tmpl = mapping(entries(spec.get("templates"))[int(path.rsplit("[", 1)[1][:-1])])
        for error in pod.errors:
            yield path, Issue(path, f"template {pod.template!r}: {error}")
        # pod.account_error (automount off, no executor account) is the lint's in
        # _runtime.py, which also follows the templates a Workflow calls; `pods` shows it.
        for added in pod.added:
            where = _patch_naming(added, tmpl, spec, path, spec_path)
            yield path, Issue(where, _added_message(pod, added, argo_version, controller))
        yield from ((path, i) for i in _refused(pod, path, controller))


def _patch_naming(
    added: str, tmpl: Mapping[str, Any], spec: Mapping[str, Any], path: str, spec_path: str
) -> str:
    """The podSpecPatch that names the container: the template's, else the workflow's."""
    field, name = added.split("/", 1)
    try:
        patch = read_patch(text(tmpl.get("podSpecPatch")))
    except PatchError:
        patch = {}
    if name in [mapping(c).get("name") for c in entries(patch.get(field))]:
        return key_path(path, "podSpecPatch")
    return key_path(spec_path, "podSpecPatch")


def _added_message(pod: Pod, added: str, v: tuple[int, int], controller: Controller) -> str:
    field, name = added.split("/", 1)
    have = ", ".join(c.get("name", "") for key, c in pod.containers() if c.get("image")) or "none"
    why = {
        "wait": (
            f"a {pod.kind} pod gets no wait container"
            + (" (3.7 and later: only when the artifact repository sets archiveLogs)"
               if pod.kind == "resource" and v >= (3, 7) else "")
            + f": {cite('aux', v)}"
        ),
        "init": "the init-less layout (4.1 initlessPod) creates no init container: "
        + cite("initless", v),
        "supervisor": "only the init-less layout (4.1 initlessPod) has a supervisor: "
        + cite("aux", v),
    }.get(name, "the pod has no container of that name")  # fmt: skip
    layout = "" if not controller.initless else " with initlessPod enabled"
    return (
        f'podSpecPatch names {field} "{name}", which the pod of template {pod.template!r} '
        f"(a {pod.kind} template, Argo {v[0]}.{v[1]}{layout}) does not have ({why}); the strategic "
        f'merge appends a container "{name}" with no image and the API server refuses the pod '
        f"(spec.{field}: image: Required value). Its containers: {have}. Patch only containers "
        "the pod has, or set executor.securityContext in the workflow-controller-configmap"
    )


def _refused(pod: Pod, path: str, controller: Controller) -> Iterator[Issue]:
    """Argo's own containers the kubelet will not start: runAsNonRoot without a uid on an
    image that runs as root (kubelet ``verifyRunAsNonRoot``). A warning: the controller's
    executor image, which lint cannot see, may be argoexec-nonroot."""
    if controller.executor_user not in (0, None):
        return
    pod_sc = mapping(pod.spec.get("securityContext"))
    for _, c in pod.containers():
        if c.get("image") != controller.executor_image:
            continue
        sc = mapping(c.get("securityContext"))
        uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
        # Asked of Argo's container itself (a podSpecPatch, the controller's config): a pod's
        # runAsNonRoot alone that evidently runs has a non-root executor image.
        if sc.get("runAsNonRoot") is True and uid is None:
            yield Issue(
                key_path(path, "podSpecPatch") if c.get("name") in ("init", "wait") else path,
                f"with the default argoexec image the kubelet refuses to start Argo's "
                f'"{c.get("name")}" container of template '
                f"{pod.template!r}: runAsNonRoot is true and no runAsUser is set (container or "
                "pod), and the default argoexec image runs as root (its Dockerfile sets no USER; "
                "only argoexec-nonroot runs as 8737). Set runAsUser with runAsNonRoot, or run "
                "the argoexec-nonroot image",
                "warning",
            )


@dataclass(frozen=True)
class Writers:
    """Who can write an output's source before Argo reads it.

    Attributes:
        output: ``parameters.<name>`` or ``artifacts.<name>``.
        path: the file or directory Argo reads.
        containers: containers that mount it read-write (Argo's mirror under /mainctrfs
            included), or the one whose own filesystem holds it.
    """

    output: str
    path: str
    containers: tuple[str, ...]


def output_writers(pod: Pod, tmpl: Mapping[str, Any]) -> list[Writers]:
    """For each output read from a path, the containers that can write that path. Every
    container also mounts ``/var/run/argo`` read-write, where the emissary stages outputs."""
    outputs = mapping(tmpl.get("outputs"))
    found = []
    sources = [
        (f"parameters.{text(p.get('name'))}", text(mapping(p.get("valueFrom")).get("path")))
        for p in map(mapping, entries(outputs.get("parameters")))
    ] + [
        (f"artifacts.{text(a.get('name'))}", text(a.get("path")))
        for a in map(mapping, entries(outputs.get("artifacts")))
    ]
    main = pod.container("main")
    for output, path in sources:
        if not path:
            continue
        volume = _volume_at(main, path) if main else None
        if volume is None:
            writers: tuple[str, ...] = ("main",) if main else ()
        else:
            writers = tuple(
                text(c.get("name"))
                for _, c in pod.containers()
                if any(
                    m.get("name") == volume and not m.get("readOnly")
                    for m in map(mapping, entries(c.get("volumeMounts")))
                )
            )
        found.append(Writers(output, path, writers))
    return found


def _volume_at(container: Mapping[str, Any], path: str) -> str | None:
    best = None
    for m in map(mapping, entries(container.get("volumeMounts"))):
        mount = text(m.get("mountPath")).rstrip("/")
        inside = path == mount or path.startswith(mount + "/")
        if inside and (best is None or len(mount) > len(best[0])):
            best = (mount, text(m.get("name")))
    return best[1] if best else None
