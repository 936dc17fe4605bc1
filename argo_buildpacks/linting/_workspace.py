"""Where each build reads its app and where the clones of the same workflow write.

What fails at run time but validates in Argo: a build whose app directory
(``$WORKSPACE/src/$SUBPATH`` of its detect phase, ``scripts/buildpacks_build.sh``) is where no
clone of the workflow writes (``$WORKSPACE/src`` of ``scripts/git_clone.sh``, or a monorepo
build's own copy, ``scripts/monorepo_source.sh``), say one clone feeding two builds made from
configs of different names; a monorepo copy whose ``SOURCE`` is no clone; an app directory
that leaves the repository (``..``, absolute), which the scripts refuse; and two templates
pushing one image, which overwrite each other's tags.

Paths are compared as volume + path inside it, from each container's mounts (the
containerSet's own ``volumeMounts`` included: Argo appends them to every container,
``container_set_template_types.go`` ``GetContainers``): a template's own volume is its pod's
alone, a workflow volume or volume claim is every pod's. Values that Argo fills in at run time
(``{{...}}``) are not judged.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from argo_buildpacks._kits import git
from argo_buildpacks.linting._base import Issue, entries, mapping, names_of, text, workflow_spec

__all__ = ["workspace_issues"]

_CLONE = "git-clone"
_BUILD = "buildpacks-build"
_COPY = "monorepo-source"


class _Place(NamedTuple):
    """A directory as ``(volume key, path inside the volume)``."""

    volume: tuple[str, ...]
    path: str

    def under(self, other: _Place) -> bool:
        return self.volume == other.volume and (
            self.path == other.path or self.path.startswith(other.path.rstrip("/") + "/")
        )


class _Script(NamedTuple):
    template: str
    where: str
    name: str
    phase: str
    env: Mapping[str, str]
    mounts: list[Mapping[str, Any]]
    local: frozenset[str]


def workspace_issues(doc: Mapping[str, Any]) -> list[Issue]:
    """The issues of one Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow."""
    spec_path, spec = workflow_spec(doc)
    shared = frozenset(
        [
            *names_of(spec.get("volumes")),
            *(
                text(mapping(c.get("metadata")).get("name"))
                for c in map(mapping, entries(spec.get("volumeClaimTemplates")))
            ),
        ]
    )
    scripts = list(_scripts(spec, spec_path))
    issues = [i for s in scripts for i in _subpath_issues(s)]
    writers: list[tuple[_Place, _Script]] = []
    for s in scripts:
        if s.name == _CLONE and "{{" not in s.env.get("WORKSPACE", "{{"):
            place = _place(s, s.env["WORKSPACE"] + "/src", shared)
            if place is not None:
                writers.append((place, s))
    clones = list(writers)
    for s in scripts:
        if s.name == _COPY and "{{" not in s.env.get("WORKSPACE", "{{"):
            place = _place(s, s.env["WORKSPACE"] + "/src", shared)
            if place is not None:
                writers.append((place, s))
    if clones:
        issues += _reader_issues(scripts, writers, clones, shared)
    issues += _image_issues(scripts)
    return issues


def _scripts(spec: Mapping[str, Any], spec_path: str) -> Iterator[_Script]:
    for i, tmpl in enumerate(map(mapping, entries(spec.get("templates")))):
        where = f"{spec_path}.templates[{i}]"
        name = text(tmpl.get("name"))
        local = frozenset(names_of(tmpl.get("volumes")))
        found: list[tuple[Mapping[str, Any], str, list[Any]]] = []
        if "container" in tmpl:
            found.append((mapping(tmpl["container"]), f"{where}.container", []))
        cset = mapping(tmpl.get("containerSet"))
        for j, c in enumerate(entries(cset.get("containers"))):
            found.append(
                (
                    mapping(c),
                    f"{where}.containerSet.containers[{j}]",
                    entries(cset.get("volumeMounts")),
                )
            )
        for container, path, set_mounts in found:
            command = [text(x) for x in entries(container.get("command"))]
            if command[:2] != ["/bin/sh", "-c"] or len(command) < 4:
                continue
            if command[3] not in (_CLONE, _BUILD, _COPY):
                continue
            env = {
                text(mapping(e).get("name")): text(mapping(e).get("value"))
                for e in entries(container.get("env"))
            }
            mounts = [mapping(m) for m in [*entries(container.get("volumeMounts")), *set_mounts]]
            phase = command[4] if len(command) > 4 else ""
            yield _Script(name, path, command[3], phase, env, mounts, local)


def _place(s: _Script, path: str, shared: frozenset[str]) -> _Place | None:
    """Where ``path`` is, as ``s``'s container sees it: the volume whose mount holds it
    (the deepest), and the path inside (after the mount's ``subPath``)."""
    path = posixpath.normpath(path)
    best: Mapping[str, Any] | None = None
    for m in s.mounts:
        mount_path = posixpath.normpath(text(m.get("mountPath")) or "/-")
        holds = path == mount_path or path.startswith(mount_path.rstrip("/") + "/")
        if holds and (best is None or len(mount_path) > len(text(best.get("mountPath")))):
            best = m
    if best is None:
        # The container's own filesystem: no other container sees it.
        return _Place(("container", s.template, s.where), path)
    inside = posixpath.relpath(path, posixpath.normpath(text(best.get("mountPath"))))
    inside = posixpath.normpath(posixpath.join("/", text(best.get("subPath")), inside))
    volume = text(best.get("name"))
    if volume in s.local:
        return _Place(("pod", s.template, volume), inside)
    if volume in shared:
        return _Place(("workflow", volume), inside)
    return None  # a volume the template's caller provides: not judged here


def _reader_issues(
    scripts: list[_Script],
    writers: list[tuple[_Place, _Script]],
    clones: list[tuple[_Place, _Script]],
    shared: frozenset[str],
) -> list[Issue]:
    issues = []
    written = "; ".join(
        f"{s.template!r} writes {s.env['WORKSPACE']}/src (volume {p.volume[-1]!r})"
        for p, s in clones
    )
    for s in scripts:
        if s.name == _BUILD and s.phase == "detect":
            root, sub = s.env.get("WORKSPACE", "/workspace"), s.env.get("SUBPATH", "")
            app = root + "/src" + (f"/{sub}" if sub else "")
            sources = writers
            what = "its app directory"
        elif s.name == _COPY:
            app, sources, what = s.env.get("SOURCE", ""), clones, "the clone it copies (SOURCE)"
        else:
            continue
        if "{{" in app or not app:
            continue
        place = _place(s, app, shared)
        if place is None or any(place.under(p) for p, _ in sources):
            continue
        issues.append(
            Issue(
                s.where,
                f"template {s.template!r} reads {what} from {app}, where no clone of this "
                f"workflow writes (the clone in {written}): it fails at run time with 'app "
                "directory ... does not exist'. A clone writes /workspace/<config name>/src and "
                "a build reads its own config's: build each app from its own clone, or several "
                "apps of one repository from one clone with the monorepo form (docs/monorepo.md)",
            )
        )
    return issues


def _subpath_issues(s: _Script) -> list[Issue]:
    value = s.env.get("SUBPATH", "")
    if not value or "{{" in value:
        return []
    try:
        git.relative_path(value)
    except ValueError as exc:
        return [
            Issue(
                s.where,
                f"template {s.template!r}: SUBPATH {value!r}: {exc}; the script refuses it "
                "at run time",
            )
        ]
    return []


def _image_issues(scripts: list[_Script]) -> list[Issue]:
    pushers: dict[str, list[_Script]] = {}
    for s in scripts:
        image = s.env.get("IMAGE", "")
        if s.name == _BUILD and s.phase == "export" and image and "{{" not in image:
            pushers.setdefault(image, []).append(s)
    issues = []
    for image, found in pushers.items():
        names = list(dict.fromkeys(s.template for s in found))
        if len(names) > 1:
            issues.append(
                Issue(
                    found[-1].where,
                    f"templates {', '.join(repr(n) for n in names)} all push image {image!r}: "
                    "each overwrites the other's tags; give each app its own image",
                )
            )
    return issues
