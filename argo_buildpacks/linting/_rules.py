"""The semantic checks of one Workflow, (Cluster)WorkflowTemplate or CronWorkflow.

They follow Argo's ``workflow/validate/validate.go`` (v4) where it has a rule, and go further
where Argo only fails at run time (volume mounts, ``{{item}}`` outside a loop).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from argo_buildpacks._kits.contract import CALLER_PROVIDES
from argo_buildpacks.linting import _dag as dag
from argo_buildpacks.linting._base import (
    PARAM_NAME,
    TEMPLATE_KINDS,
    TEMPLATE_TYPES,
    Issue,
    Library,
    Node,
    Options,
    Target,
    caller_provides,
    did_you_mean,
    entries,
    field_name_problem,
    key_path,
    listing,
    mapping,
    names_of,
    reachable,
    ref_kind,
    template_type,
    templates_by_name,
    text,
    workflow_spec,
)
from argo_buildpacks.linting._calls import (
    check_call_arguments,
    local_target,
    not_in_set,
    resolve_call,
)
from argo_buildpacks.linting._runtime import check_runtime
from argo_buildpacks.linting._templates import (
    artifact_locations,
    check_arguments,
    check_executor_plugins,
    check_label_selector,
    check_one_location,
    check_spec_pod_resources,
    check_template_rules,
    check_volume_names,
)
from argo_buildpacks.linting._variables import (
    Scope,
    all_nodes_scope,
    check_variables,
    document_scope,
    item_keys,
    template_scope,
)

_ENUMS = (
    ("retryStrategy", "retryPolicy", ("Always", "OnFailure", "OnError", "OnTransientError")),
    ("resource", "action", ("get", "create", "apply", "delete", "replace", "patch")),
)
_DEFAULT_OPTIONS = Options()
_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_POD_GC = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
_LOOPS = ("withItems", "withParam", "withSequence")


@dataclass(frozen=True)
class _Doc:
    """What the checks of one manifest share."""

    kind: str
    spec_path: str
    spec: Mapping[str, Any]
    templates: Mapping[str, Mapping[str, Any]]
    library: Library
    scope: Scope
    volumes: frozenset[str]
    options: Options
    failures_ok: frozenset[str] = frozenset()

    def call(self, holder: Mapping[str, Any], path: str) -> tuple[Target | None, list[Issue]]:
        """Resolve what ``holder`` (a step, task or hook) calls."""
        return resolve_call(holder, path, self.templates, self.kind, self.library)

    def local(self, name: str, path: str, what: str) -> Target | Issue:
        """Resolve a template of this manifest by name."""
        return local_target(name, path, what, self.templates, self.kind)


def check_workflow(
    doc: Mapping[str, Any], library: Library, options: Options = _DEFAULT_OPTIONS
) -> Iterator[Issue]:
    """Every semantic check of one manifest; ``library`` is the set it is linted with."""
    spec_path, spec = workflow_spec(doc)
    claims = [
        text(mapping(mapping(c).get("metadata")).get("name"))
        for c in entries(spec.get("volumeClaimTemplates"))
    ]
    ctx = _Doc(
        kind=text(doc.get("kind")),
        spec_path=spec_path,
        spec=spec,
        templates=templates_by_name(spec),
        library=library,
        scope=document_scope(doc, library, caller_provides(doc)),
        volumes=frozenset(n for n in [*names_of(spec.get("volumes")), *claims] if n),
        options=options,
        failures_ok=_exit_only_templates(spec),
    )
    yield from _check_spec(ctx)
    yield from check_runtime(doc, library)
    arguments = mapping(spec.get("arguments"))
    for what in ("parameters", "artifacts"):
        where = key_path(key_path(spec_path, "arguments"), what)
        yield from _check_named_list(arguments.get(what), where, what)
    yield from check_arguments(spec, spec_path, allow_empty=not options.submit)
    yield from _check_locations(spec, spec_path, ctx)
    yield from check_spec_pod_resources(spec, spec_path)
    yield from check_executor_plugins(spec, spec_path)
    yield from check_volume_names(spec.get("volumes"), key_path(spec_path, "volumes"))
    for i, claim in enumerate(claims):
        for issue in check_volume_names([{"name": claim}], "x"):
            where = f"{key_path(spec_path, 'volumeClaimTemplates')}[{i}].metadata.name"
            yield Issue(where, issue.message.replace("volume name", "claim name"))
    yield from _check_template_names(ctx)
    for i, tmpl in enumerate(entries(spec.get("templates"))):
        if isinstance(tmpl, Mapping):
            yield from _check_template(tmpl, f"{spec_path}.templates[{i}]", ctx)


# --------------------------------------------------------------------------- spec


def _check_spec(ctx: _Doc) -> Iterator[Issue]:
    spec, path = ctx.spec, ctx.spec_path
    if spec.get("workflowTemplateRef") is not None:
        yield from _check_workflow_template_ref(ctx)
    else:
        yield from _check_entrypoint(ctx)
        on_exit = text(spec.get("onExit"))
        if on_exit:
            target = ctx.local(on_exit, key_path(path, "onExit"), "onExit")
            if isinstance(target, Issue):
                yield target
            else:
                yield from check_call_arguments(spec, path, target, call_site=False)
    yield from _check_hooks(spec, path, ctx)
    strategy = mapping(spec.get("podGC")).get("strategy")
    if strategy not in (None, "", *_POD_GC):
        yield Issue(
            key_path(key_path(path, "podGC"), "strategy"),
            f'podGC strategy "{strategy}" is unknown; allowed: {", ".join(_POD_GC)}',
        )
    selector = mapping(spec.get("podGC")).get("labelSelector")
    if isinstance(selector, Mapping):
        where = key_path(key_path(path, "podGC"), "labelSelector")
        yield from check_label_selector(selector, where)


def _check_entrypoint(ctx: _Doc) -> Iterator[Issue]:
    path = key_path(ctx.spec_path, "entrypoint")
    entrypoint = text(ctx.spec.get("entrypoint"))
    if not entrypoint:
        if ctx.kind not in TEMPLATE_KINDS:
            yield Issue(
                path,
                f"entrypoint is required: name the template this {ctx.kind} starts with "
                f"(templates: {listing(ctx.templates)})",
            )
        return
    target = ctx.local(entrypoint, path, "entrypoint")
    if isinstance(target, Issue):
        yield target
    elif ctx.kind not in TEMPLATE_KINDS:
        # Argo passes spec.arguments to a Workflow's entrypoint, but not to a template's.
        yield from check_call_arguments(ctx.spec, ctx.spec_path, target, call_site=False)


def _check_workflow_template_ref(ctx: _Doc) -> Iterator[Issue]:
    spec, spec_path = ctx.spec, ctx.spec_path
    path = key_path(spec_path, "workflowTemplateRef")
    ref = mapping(spec.get("workflowTemplateRef"))
    if entries(spec.get("templates")):
        yield Issue(
            key_path(spec_path, "templates"),
            "templates must be empty when workflowTemplateRef is set: they come from the "
            "referenced template",
        )
    name = text(ref.get("name"))
    if not name:
        yield Issue(key_path(path, "name"), "workflowTemplateRef.name is required")
        return
    kind = ref_kind(ref.get("clusterScope") is True)
    owner = ctx.library.find(name, cluster_scope=ref.get("clusterScope") is True)
    if owner is None:
        yield not_in_set(ref, key_path(path, "name"), ctx.library, "workflowTemplateRef")
        return
    owner_spec = workflow_spec(owner)[1]
    owner_templates = templates_by_name(owner_spec)
    for what in ("entrypoint", "onExit"):
        chosen = text(spec.get(what)) or text(owner_spec.get(what))
        where = key_path(spec_path, what)
        if not chosen and what == "entrypoint":
            yield Issue(
                where,
                f'entrypoint is required: neither this {ctx.kind} nor {kind} "{name}" sets one',
            )
        elif chosen and chosen not in owner_templates and "{{" not in chosen:
            yield Issue(
                where,
                f'{what} "{chosen}" is not a template of {kind} "{name}" '
                f"(templates: {listing(owner_templates)}){did_you_mean(chosen, owner_templates)}",
            )


def _check_hooks(holder: Mapping[str, Any], path: str, ctx: _Doc) -> Iterator[Issue]:
    for event, hook in mapping(holder.get("hooks")).items():
        hook_path = key_path(key_path(path, "hooks"), event)
        hook = mapping(hook)
        if event != "exit" and not text(hook.get("expression")):
            yield Issue(
                key_path(hook_path, "expression"),
                f'hook "{event}" needs an expression (only the "exit" hook runs without one)',
            )
        target, issues = ctx.call(hook, hook_path)
        yield from issues
        yield from check_call_arguments(hook, hook_path, target)


# --------------------------------------------------------------------------- names


def _check_template_names(ctx: _Doc) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for i, tmpl in enumerate(entries(ctx.spec.get("templates"))):
        path = key_path(f"{ctx.spec_path}.templates[{i}]", "name")
        name = text(mapping(tmpl).get("name"))
        if not name:
            yield Issue(path, "template name is required")
        elif problem := field_name_problem(name):
            yield Issue(path, f'template name "{name}" is invalid: {problem}')
        elif name in first:
            yield Issue(
                path, f'template name "{name}" is not unique: templates[{first[name]}] has it too'
            )
        else:
            first[name] = i


def _check_named_list(value: Any, path: str, what: str) -> Iterator[Issue]:
    """Parameter and artifact names: present, ``[-a-zA-Z0-9_]+`` and unique in their list."""
    seen: set[str] = set()
    noun = what[:-1]
    for i, entry in enumerate(entries(value)):
        where = key_path(f"{path}[{i}]", "name")
        name = text(mapping(entry).get("name"))
        if not name:
            yield Issue(where, f"{noun} name is required")
        elif not PARAM_NAME.match(name):
            yield Issue(
                where, f'{noun} name "{name}" is invalid: use alpha-numeric characters, "_" or "-"'
            )
        elif name in seen:
            yield Issue(where, f'{noun} name "{name}" is not unique')
        seen.add(name)


def _check_node_name(name: str, path: str, noun: str, seen: Mapping[str, Node]) -> Iterator[Issue]:
    where = key_path(path, "name")
    if not name:
        yield Issue(where, f"{noun} name is required")
    elif problem := field_name_problem(
        # isValidStepName: a step name's {{...}} parts are values substituted before the
        # check, so only the literal skeleton around them is checked.
        _TAG.sub("x", name) if noun == "step" else name
    ):
        yield Issue(where, f'{noun} name "{name}" is invalid: {problem}')
    elif name in seen:
        yield Issue(where, f'{noun} name "{name}" is not unique in this template')


# --------------------------------------------------------------------------- templates


def _exit_only_templates(spec: Mapping[str, Any]) -> frozenset[str]:
    """Templates where ``{{workflow.failures}}`` resolves: Argo adds it to the globals only
    when there is an onExit handler, after it has validated what the entrypoint reaches."""
    if not text(spec.get("onExit")):
        return frozenset()
    templates = templates_by_name(spec)
    return frozenset(templates) - set(reachable(templates, [text(spec.get("entrypoint"))]))


def _check_template(tmpl: Mapping[str, Any], path: str, ctx: _Doc) -> Iterator[Issue]:
    yield from _check_template_shape(tmpl, path, text(tmpl.get("name")))
    base = template_scope(tmpl, ctx.scope)
    if text(tmpl.get("name")) in ctx.failures_ok:
        base = replace(base, names=base.names | {"workflow.failures"})
    ttype = template_type(tmpl)
    rest = base
    if ttype == "steps":
        nodes, issues = _check_steps(tmpl, path, base, ctx)
        yield from issues
        rest = all_nodes_scope(base, "steps", nodes)
    elif ttype == "dag":
        nodes, issues = _check_dag(tmpl, path, base, ctx)
        yield from issues
        rest = all_nodes_scope(base, "tasks", nodes)
    for key, value in tmpl.items():
        if not (key == ttype and key in ("steps", "dag")):
            yield from check_variables(value, key_path(path, key), rest)
    yield from _check_volume_mounts(tmpl, path, ctx)
    defaults = mapping(ctx.spec.get("templateDefaults"))
    yield from check_template_rules(tmpl, path, defaults, ctx.volumes)
    yield from _check_locations(tmpl, path, ctx)


def _check_locations(holder: Mapping[str, Any], path: str, ctx: _Doc) -> Iterator[Issue]:
    severity = "error" if ctx.options.argo_version >= (4, 0) else "warning"
    places = list(artifact_locations(holder, path))
    for key in ("steps", "dag"):
        for where, node in _nodes(holder, path, key):
            places.extend(artifact_locations(node, where))
    for where, location in places:
        yield from check_one_location(location, where, severity)


def _nodes(tmpl: Mapping[str, Any], path: str, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if key == "steps":
        for g, group in enumerate(entries(tmpl.get("steps"))):
            for s, step in enumerate(entries(group)):
                yield f"{path}.steps[{g}][{s}]", mapping(step)
    else:
        for i, task in enumerate(entries(mapping(tmpl.get("dag")).get("tasks"))):
            yield f"{path}.dag.tasks[{i}]", mapping(task)


def _check_template_shape(tmpl: Mapping[str, Any], path: str, name: str) -> Iterator[Issue]:
    present = [t for t in TEMPLATE_TYPES if tmpl.get(t) is not None]
    if len(present) != 1:
        problem = f"sets {len(present)} types ({', '.join(present)})" if present else "sets no type"
        yield Issue(
            path, f'template "{name}" {problem}: set exactly one of {", ".join(TEMPLATE_TYPES)}'
        )
    for io in ("inputs", "outputs"):
        for what in ("parameters", "artifacts"):
            where = key_path(key_path(path, io), what)
            yield from _check_named_list(mapping(tmpl.get(io)).get(what), where, what)
    for outer, inner, allowed in _ENUMS:
        value = mapping(tmpl.get(outer)).get(inner)
        if isinstance(value, str) and value and value not in allowed and "{{" not in value:
            yield Issue(
                key_path(key_path(path, outer), inner),
                f'{inner} "{value}" is not allowed; allowed: {", ".join(allowed)}',
            )


def _check_call_site(
    holder: Mapping[str, Any], path: str, ctx: _Doc
) -> tuple[Target | None, list[Issue]]:
    """Everything steps and tasks have in common, except variables."""
    target, issues = ctx.call(holder, path)
    issues.extend(check_call_arguments(holder, path, target))
    issues.extend(check_arguments(holder, path, allow_empty=True))
    sequence = mapping(holder.get("withSequence"))
    if sequence.get("count") is not None and sequence.get("end") is not None:
        issues.append(
            Issue(
                key_path(path, "withSequence"),
                "withSequence sets both count and end; set one of them (with start)",
            )
        )
    loops = [k for k in _LOOPS if holder.get(k) is not None]
    if len(loops) > 1:
        issues.append(
            Issue(path, f"only one of {', '.join(_LOOPS)} may be set; it sets {', '.join(loops)}")
        )
    issues.extend(_check_hooks(holder, path, ctx))
    args = mapping(holder.get("arguments"))
    for what in ("parameters", "artifacts"):
        where = key_path(key_path(path, "arguments"), what)
        issues.extend(_check_named_list(args.get(what), where, what))
    on_exit = text(holder.get("onExit"))
    if on_exit:
        found = ctx.local(on_exit, key_path(path, "onExit"), "onExit")
        if isinstance(found, Issue):
            issues.append(found)
    inline = holder.get("inline")
    if isinstance(inline, Mapping):
        issues.extend(_check_template_shape(inline, key_path(path, "inline"), "inline"))
    return target, issues


def _check_node_variables(
    holder: Mapping[str, Any], path: str, scope: Scope, ctx: _Doc
) -> Iterator[Issue]:
    for key, value in holder.items():
        if key != "inline":
            yield from check_variables(value, key_path(path, key), scope)
    inline = holder.get("inline")
    if isinstance(inline, Mapping):
        own = template_scope(inline, ctx.scope).names
        label = f"{text(holder.get('name'))} (inline)"
        inner = replace(scope, template=label, names=scope.names | own)
        yield from check_variables(inline, key_path(path, "inline"), inner)


def _has_exit_hook(holder: Mapping[str, Any]) -> bool:
    return bool(text(holder.get("onExit"))) or "exit" in mapping(holder.get("hooks"))


def _is_looped(holder: Mapping[str, Any]) -> bool:
    return holder.get("withItems") is not None or holder.get("withParam") is not None


def _check_steps(
    tmpl: Mapping[str, Any], path: str, base: Scope, ctx: _Doc
) -> tuple[dict[str, Node], list[Issue]]:
    issues: list[Issue] = []
    nodes: dict[str, Node] = {}
    group_of: dict[str, int] = {}
    sites: list[tuple[int, str, Mapping[str, Any], str]] = []
    for g, group in enumerate(entries(tmpl.get("steps"))):
        for s, step in enumerate(map(mapping, entries(group))):
            step_path = f"{path}.steps[{g}][{s}]"
            name = text(step.get("name"))
            issues.extend(_check_node_name(name, step_path, "step", nodes))
            target, found = _check_call_site(step, step_path, ctx)
            issues.extend(found)
            if name and name not in nodes:
                nodes[name] = Node(target, _is_looped(step))
                group_of[name] = g
                if "{{" in name:  # {{steps.run-{{inputs.parameters.x}}...}} names it so
                    nodes.setdefault(_TAG.sub("x", name), nodes[name])
                    group_of.setdefault(_TAG.sub("x", name), g)
            sites.append((g, step_path, step, name))
    with_nodes = replace(base, node_kind="steps", nodes=nodes)
    for g, step_path, step, name in sites:
        ready = frozenset(n for n, group in group_of.items() if group < g)
        if _has_exit_hook(step):
            # validate.go: a step with an exit hook has its own outputs in scope.
            ready |= {name}
        scope = replace(with_nodes, ready=ready, status=ready | {name}, items=item_keys(step))
        issues.extend(_check_node_variables(step, step_path, scope, ctx))
    return nodes, issues


def _check_dag(
    tmpl: Mapping[str, Any], path: str, base: Scope, ctx: _Doc
) -> tuple[dict[str, Node], list[Issue]]:
    dag_path = key_path(path, "dag")
    spec = mapping(tmpl.get("dag"))
    tasks = [
        (f"{dag_path}.tasks[{i}]", mapping(t)) for i, t in enumerate(entries(spec.get("tasks")))
    ]
    issues: list[Issue] = []
    if not tasks:
        issues.append(
            Issue(
                key_path(dag_path, "tasks"),
                f'DAG template "{base.template}" needs at least one task',
            )
        )
    nodes: dict[str, Node] = {}
    for task_path, task in tasks:
        name = text(task.get("name"))
        issues.extend(_check_node_name(name, task_path, "task", nodes))
        target, found = _check_call_site(task, task_path, ctx)
        issues.extend(found)
        if name and name not in nodes:
            nodes[name] = Node(target, _is_looped(task))
    using_depends = any(text(task.get("depends")) for _, task in tasks)
    by_name = {text(t.get("name")): t for _, t in tasks if text(t.get("name"))}
    graph: dict[str, list[str]] = {}
    for task_path, task in tasks:
        deps, found = dag.task_dependencies(task, task_path, using_depends, by_name)
        issues.extend(found)
        graph.setdefault(text(task.get("name")), [d for d in deps if d in nodes])
    for cycle in dag.find_cycles(graph):
        where = next(p for p, t in tasks if text(t.get("name")) == cycle[0])
        issues.append(Issue(where, f"dependency cycle: {' -> '.join(cycle)}"))
    issues.extend(check_variables(spec.get("target"), key_path(dag_path, "target"), base))
    for name in text(spec.get("target")).split():
        if name not in nodes and "{{" not in name:
            message = f'target "{name}" is not a task of this DAG{did_you_mean(name, nodes)}'
            issues.append(Issue(key_path(dag_path, "target"), message))
    with_nodes = replace(base, node_kind="tasks", nodes=nodes)
    for task_path, task in tasks:
        name = text(task.get("name"))
        before = dag.ancestors(name, graph)
        scope = replace(
            with_nodes,
            ready=before,
            pending=frozenset(nodes) - before,
            # A task's hooks may ask for its own status.
            status=before | {name} if task.get("hooks") is not None else before,
            items=item_keys(task),
        )
        issues.extend(_check_node_variables(task, task_path, scope, ctx))
        issues.extend(dag.check_argument_dependencies(task, task_path, before, nodes))
    return nodes, issues


# --------------------------------------------------------------------------- volumes


def _mounts(tmpl: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    places: list[tuple[str, Any]] = [
        (key_path(path, kind), tmpl.get(kind)) for kind in ("container", "script", "containerSet")
    ]
    for many, value in (
        (
            key_path(key_path(path, "containerSet"), "containers"),
            mapping(tmpl.get("containerSet")).get("containers"),
        ),
        (key_path(path, "initContainers"), tmpl.get("initContainers")),
        (key_path(path, "sidecars"), tmpl.get("sidecars")),
    ):
        places.extend((f"{many}[{i}]", c) for i, c in enumerate(entries(value)))
    for where, container in places:
        mounts_path = key_path(where, "volumeMounts")
        for i, mount in enumerate(entries(mapping(container).get("volumeMounts"))):
            yield f"{mounts_path}[{i}]", mapping(mount)


def _check_volume_mounts(tmpl: Mapping[str, Any], path: str, ctx: _Doc) -> Iterator[Issue]:
    declared = ctx.volumes | {n for n in names_of(tmpl.get("volumes")) if n}
    # A template only meant to be called through templateRef may mount a volume of its
    # caller: declared in the caller-provides annotation, it is not a finding at all.
    library_only = ctx.kind in TEMPLATE_KINDS and not text(ctx.spec.get("entrypoint"))
    if library_only:
        declared |= ctx.scope.caller_provides
    for where, mount in _mounts(tmpl, path):
        name = text(mount.get("name"))
        if not name or name in declared or "{{" in name:
            continue
        message = (
            f'volume mount "{name}" names no volume: declare it in spec.volumes, the '
            f"template's volumes or spec.volumeClaimTemplates (volumes: {listing(declared)})"
            f"{did_you_mean(name, declared)}"
        )
        if library_only:
            message += (
                "; if the Workflow calling this template provides it, declare that in the "
                f'annotation "{CALLER_PROVIDES}" of this {ctx.kind}'
            )
        yield Issue(key_path(where, "name"), message, "warning" if library_only else "error")
