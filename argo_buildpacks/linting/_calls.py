"""Calls between templates: what a ``template``, ``templateRef`` or ``inline`` resolves to, and
whether the call passes what the called template needs.

A ``templateRef`` (or ``workflowTemplateRef``) resolves against the manifests linted together;
one to a manifest outside the set is a warning, since it could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks.linting._base import (
    Issue,
    Library,
    Target,
    did_you_mean,
    entries,
    key_path,
    listing,
    mapping,
    names_of,
    ref_kind,
    templates_by_name,
    text,
    workflow_spec,
)

# Where an input artifact can come from besides the call's arguments.
_ARTIFACT_SOURCES = frozenset(
    {"from", "fromExpression", "s3", "git", "http", "artifactory", "hdfs", "raw", "oss", "gcs"}
    | {"azure", "plugin"}
)


def local_target(
    name: str, path: str, what: str, templates: Mapping[str, Mapping[str, Any]], kind: str
) -> Target | Issue:
    """The template ``name`` of this manifest, or the issue that it does not exist.

    Args:
        name: the template name.
        path: where the name is written.
        what: what names it, for the message ("entrypoint", "onExit", "called").
        templates: this manifest's templates by name.
        kind: this manifest's kind, for the message.
    """
    if name in templates or "{{" in name:
        return Target(f'template "{name}"', templates.get(name))
    return Issue(
        path,
        f'{what} template "{name}" is not defined in this {kind} '
        f"(templates: {listing(templates)}){did_you_mean(name, templates)}",
    )


def resolve_call(
    holder: Mapping[str, Any],
    path: str,
    templates: Mapping[str, Mapping[str, Any]],
    kind: str,
    library: Library,
) -> tuple[Target | None, list[Issue]]:
    """The template a step, task or hook calls; ``None`` when the call itself is wrong."""
    given = [k for k in ("template", "templateRef", "inline") if holder.get(k) is not None]
    if len(given) != 1:
        problem = f"it sets {', '.join(given)}" if given else "it sets none"
        message = f"exactly one of template, templateRef and inline is required; {problem}"
        return None, [Issue(path, message)]
    if given[0] == "inline":
        return Target("its inline template", mapping(holder.get("inline"))), []
    if given[0] == "templateRef":
        ref = mapping(holder.get("templateRef"))
        return resolve_template_ref(ref, key_path(path, "templateRef"), library)
    name = text(holder.get("template"))
    found = local_target(name, key_path(path, "template"), "called", templates, kind)
    return (None, [found]) if isinstance(found, Issue) else (found, [])


def resolve_template_ref(
    ref: Mapping[str, Any], path: str, library: Library
) -> tuple[Target | None, list[Issue]]:
    """Resolve a ``templateRef`` in the set; a warning when its manifest is not in the set."""
    name, template = text(ref.get("name")), text(ref.get("template"))
    missing = [
        Issue(key_path(path, k), f"templateRef.{k} is required")
        for k in ("name", "template")
        if not text(ref.get(k))
    ]
    if missing:
        return None, missing
    cluster = ref.get("clusterScope") is True
    kind = ref_kind(cluster)
    label = f'template "{template}" of {kind} "{name}"'
    if "{{" in name or "{{" in template:
        return Target(label), []
    owner = library.find(name, cluster_scope=cluster)
    if owner is None:
        what = f'templateRef to "{template}"'
        return Target(label), [not_in_set(ref, key_path(path, "name"), library, what)]
    found = templates_by_name(workflow_spec(owner)[1])
    if template not in found:
        message = (
            f'template "{template}" is not defined in {kind} "{name}" '
            f"(templates: {listing(found)}){did_you_mean(template, found)}"
        )
        return None, [Issue(key_path(path, "template"), message)]
    return Target(label, found[template]), []


def not_in_set(ref: Mapping[str, Any], path: str, library: Library, what: str) -> Issue:
    """The warning that a reference's manifest is not among those linted."""
    name = text(ref.get("name"))
    cluster = ref.get("clusterScope") is True
    if library.find(name, cluster_scope=not cluster) is not None:
        # Argo looks the name up in one scope only (templateresolution: clusterScope picks
        # the ClusterWorkflowTemplate getter), so the one in the set is never found.
        fix = "without clusterScope: true" if not cluster else "with clusterScope: true"
        return Issue(
            path,
            f'{what} names "{name}", a {ref_kind(not cluster)} in the set, {fix}: Argo looks '
            f'for a {ref_kind(cluster)} "{name}" instead and fails ("template reference ... '
            f'not found"); {"set" if not cluster else "remove"} clusterScope: true',
        )
    return Issue(
        path,
        f'{ref_kind(cluster)} "{name}" is not among the linted manifests, so {what} could '
        "not be checked",
        library.missing_severity,
    )


def _required_inputs(tmpl: Mapping[str, Any], what: str) -> list[str]:
    """Inputs the caller must pass: no value, default or valueFrom; artifacts without source."""
    required = []
    for entry in map(mapping, entries(mapping(tmpl.get("inputs")).get(what))):
        if what == "parameters":
            supplied = any(entry.get(k) is not None for k in ("value", "default", "valueFrom"))
        else:
            supplied = entry.get("optional") is True or bool(_ARTIFACT_SOURCES & entry.keys())
        if text(entry.get("name")) and not supplied:
            required.append(text(entry.get("name")))
    return required


def check_call_arguments(
    holder: Mapping[str, Any], path: str, target: Target | None, *, call_site: bool = True
) -> Iterator[Issue]:
    """The arguments of a call: each has a value, required inputs are passed, none is unknown.

    Args:
        holder: what holds the ``arguments`` (a step, task, hook, or the spec).
        path: where ``holder`` is.
        target: the called template (nothing about inputs is checked if it is unknown).
        call_site: ``False`` for ``spec.arguments``, which are also global parameters (so
            they need no value and may be more than the entrypoint's inputs).
    """
    args = mapping(holder.get("arguments"))
    args_path = key_path(path, "arguments")
    for i, param in enumerate(map(mapping, entries(args.get("parameters")))):
        if call_site and param.get("value") is None and param.get("valueFrom") is None:
            yield Issue(
                f"{key_path(args_path, 'parameters')}[{i}]",
                f'argument parameter "{text(param.get("name"))}" needs a value or valueFrom',
            )
    if target is None or target.template is None:
        return
    for what in ("parameters", "artifacts"):
        where = key_path(args_path, what)
        passed = names_of(args.get(what))
        for name in _required_inputs(target.template, what):
            if name not in passed:
                yield Issue(
                    where,
                    f'input {what[:-1]} "{name}" of {target.label} has no value or default '
                    f"and is not passed in arguments.{what}",
                )
        declared = names_of(mapping(target.template.get("inputs")).get(what))
        for i, name in enumerate(passed):
            if call_site and name and name not in declared:
                yield Issue(
                    key_path(f"{where}[{i}]", "name"),
                    f'argument "{name}" is not an input {what[:-1]} of {target.label} '
                    f"(inputs: {listing(declared)}){did_you_mean(name, declared)}; it is ignored",
                    "warning",
                )
