"""Compose the components into workflows of your own.

The components (`argo_buildpacks.components.tag_check`,
`argo_buildpacks.components.git_clone`,
`argo_buildpacks.components.buildpacks_build`...) are self-contained templates: each
carries its pod securityContext, its Secret volumes and no service-account token. What only
a *workflow* can hold is added by `compose`, once your Hera ``Workflow`` (or
``WorkflowTemplate``, ``ClusterWorkflowTemplate``) has its templates:

- the shared workspace (a per-run volume claim sized by ``config.workspace``);
- the workflow parameters of the contract (``tag``, ``revision``, ``repo``, ``image``);
- pod security for every pod, Argo's executor containers included, and no service-account
  token but the executor's;
- the production defaults of ``config``: deadline, pod GC, TTL, the image's mutex, node
  selector and tolerations;
- a check that no two templates share a name.

`mark_global` exposes template outputs as workflow outputs (``globalName``), and
`build_paths` tells your own steps where a build's clone is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from hera.workflows.models import Arguments, ExecutorConfig, SecurityContext

from argo_buildpacks.components._pod import (
    WORKSPACE,
    WORKSPACE_VOLUME,
    BuildPaths,
    build_paths,
    container_security,
    executor_account,
    pod_security,
    restrict_executors,
    workspace_mount,
)
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.monorepo import Monorepo
from argo_buildpacks.templates._workflow import (
    workflow_defaults,
    workflow_parameters,
    workspace_claim,
)
from argo_buildpacks.templates.monorepo import image_mutexes, image_parameters

__all__ = [
    "WORKSPACE",
    "BuildPaths",
    "build_paths",
    "compose",
    "mark_global",
    "restricted_security",
    "workspace_claim",
    "workspace_mount",
]

T = TypeVar("T")


def mark_global(template: T, names: Iterable[str] | Mapping[str, str] | None = None) -> T:
    """Expose outputs of ``template`` as workflow outputs (``globalName``), so later steps
    and the run's status read them as ``{{workflow.outputs.parameters.NAME}}``.

    Args:
        template: a component's template (anything with output parameters).
        names: the outputs to expose, each under its own name, or a mapping
            ``output -> global name``; ``None``: every output parameter.

    Returns:
        ``template``, changed in place.

    Raises:
        ConfigError: a name is not an output of ``template`` (the message lists them).
    """
    outputs = getattr(template, "outputs", None)
    items = outputs if isinstance(outputs, list) else [outputs] if outputs is not None else []
    params = [p for p in items if getattr(p, "name", None) and hasattr(p, "global_name")]
    declared = [str(p.name) for p in params]
    if names is None:
        wanted = {n: n for n in declared}
    elif isinstance(names, Mapping):
        wanted = dict(names)
    else:
        wanted = {n: n for n in names}
    unknown = sorted(set(wanted) - set(declared))
    if unknown:
        raise ConfigError(
            f"mark_global: {', '.join(repr(n) for n in unknown)} is not an output of template "
            f"{getattr(template, 'name', '?')!r} (outputs: {', '.join(declared) or 'none'})"
        )
    for p in params:
        if p.name in wanted:
            p.global_name = wanted[str(p.name)]
    return template


def restricted_security(config: BuildConfig) -> SecurityContext:
    """The restricted container securityContext the components' containers run with (the
    builder's non-root uid/gid, no privilege escalation, no capabilities, the runtime's
    default seccomp profile), for containers of your own."""
    return container_security(config.builder)


def compose(
    workflow: T,
    config: BuildConfig | Monorepo,
    *,
    workspace: Literal["claim", "none"] = "claim",
    parameters: bool = True,
    templates: Sequence[Any] = (),
) -> T:
    """Add to ``workflow`` the workflow-level pieces the components need.

    Call it after the ``with`` block that created your templates and steps. It never
    replaces what you set yourself (a securityContext, a claim, a parameter of the same
    name), except ``automountServiceAccountToken``, always ``false``: only Argo's executor
    gets a token (a template that needs one, like the deploy's, says so itself).

    Args:
        workflow: a Hera ``Workflow``, ``WorkflowTemplate`` or ``ClusterWorkflowTemplate``.
        config: the build whose components it runs (for several builds, the one whose
            builder's uid/gid the pods run as; give each build its own config name), or a
            `argo_buildpacks.model.monorepo.Monorepo`: its shared settings, with a parameter
            ``image-<app>`` and a mutex per app image instead of one ``image``.
        workspace: ``claim``: a per-run volume claim named ``workspace`` from
            ``config.workspace`` (what components in separate pods share); ``none``: the
            workflow declares no workspace (every template brings its own, as the
            generated ``build`` template does).
        parameters: declare the contract's workflow parameters ``tag`` (empty by default
            when ``config.tag.from_git``), ``revision``, ``repo`` and ``image`` (fixed to the
            config's values unless ``config.overridable`` lists them).
        templates: more templates to add (e.g. the deploy component's model templates).

    Besides, where the workflow has none: the deadline, pod GC, TTL, mutex, node selector,
    tolerations and ServiceAccount of ``config``, as ``workflow_template`` sets them.

    Returns:
        ``workflow``, changed in place.

    Raises:
        ConfigError: two templates share a name (pass ``name=`` to one of the factories);
            two build templates share a build directory (configs of one name); a
            containerSet mounts the workflow's workspace per container, which Argo does not
            add to a containerSet pod; ``workspace`` is not ``claim`` or ``none``.
    """
    if workspace not in ("claim", "none"):
        raise ConfigError(f"compose: workspace {workspace!r} is not allowed; use 'claim' or 'none'")
    mono = None
    if isinstance(config, Monorepo):
        mono, config = config, config.shared
    current = list(getattr(workflow, "templates", None) or [])
    _check_extra(current, list(templates), getattr(workflow, "name", None) or "workflow")
    current += list(templates)
    _check_names(current, getattr(workflow, "name", None) or "workflow")
    _check_build_dirs(current)
    workflow.templates = current  # type: ignore[attr-defined]
    if workspace == "claim":
        _check_container_sets(current)
        claims = list(getattr(workflow, "volume_claim_templates", None) or [])
        if not any(_name(c.metadata) == WORKSPACE_VOLUME for c in claims):
            claims.append(workspace_claim(config))
        workflow.volume_claim_templates = claims  # type: ignore[attr-defined]
    elif workspace != "none":
        raise ConfigError(f"compose: workspace {workspace!r} is not allowed; use 'claim' or 'none'")
    if getattr(workflow, "security_context", None) is None:
        workflow.security_context = pod_security(  # type: ignore[attr-defined]
            config.builder, non_root=config.mode == "daemonless"
        )
    # No container of the run gets a service-account token; Argo's executor its own.
    workflow.automount_service_account_token = False  # type: ignore[attr-defined]
    if getattr(workflow, "executor", None) is None:
        workflow.executor = ExecutorConfig(  # type: ignore[attr-defined]
            service_account_name=executor_account(config)
        )
    if getattr(workflow, "service_account_name", None) is None and config.service_account:
        workflow.service_account_name = config.service_account  # type: ignore[attr-defined]
    # Per pod template: a workflow-wide podSpecPatch would reach the resource pods too,
    # which have no wait container (a patch naming one adds an image-less container).
    restrict_executors(current, config)
    wanted = workflow_parameters(config)
    if mono is not None:
        # Every image, not the shared settings' one (docs/monorepo.md).
        wanted = [p for p in wanted if p.name != "image"] + image_parameters(mono)
        if getattr(workflow, "synchronization", None) is None:
            workflow.synchronization = image_mutexes(mono)  # type: ignore[attr-defined]
    if parameters:
        _add_parameters(workflow, wanted)
    _add_production_defaults(workflow, config)
    return workflow


def _add_production_defaults(workflow: Any, config: BuildConfig) -> None:
    """What ``workflow_template`` sets workflow-wide, where the workflow has none: deadline,
    pod GC, TTL, the image's mutex, scheduling."""
    for key, value in workflow_defaults(config).items():
        if value is not None and getattr(workflow, key, None) is None:
            setattr(workflow, key, value)


def _name(obj: Any) -> str | None:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else None


def _check_extra(current: Sequence[Any], extra: Sequence[Any], workflow: str) -> None:
    """``templates=`` is for templates the workflow does not have yet: one created inside
    its ``with`` block is in it already, and passing it again is the mistake to name (not
    the factories' ``name=``)."""
    have = {_name(t): t for t in current if _name(t)}
    seen: dict[str, Any] = {}
    for t in extra:
        name = _name(t)
        if name is None:
            continue
        if name in seen:
            raise ConfigError(
                f"compose(templates=...): template {name!r} is passed twice in templates=; "
                "pass each once (two different templates need their own name=)"
            )
        seen[name] = t
        if name in have:
            same = have[name] is t or _dump(have[name]) == _dump(t)
            fix = (
                "(created inside its `with` block, which adds it): drop it from templates="
                if same
                else "with other content: give one of the two its own name= "
                f"(e.g. git_clone(config, name='{name}-2'))"
            )
            raise ConfigError(
                f"compose(templates=...): template {name!r} is already in {workflow!r} {fix}"
            )


def _dump(template: Any) -> Any:
    build = getattr(template, "_build_template", None)
    try:
        return build() if build is not None else template
    except Exception:  # a template Hera cannot build yet compares by identity only
        return object()


def _check_names(templates: Sequence[Any], workflow: str) -> None:
    counts = Counter(n for n in map(_name, templates) if n)
    twice = sorted(n for n, c in counts.items() if c > 1)
    if twice:
        raise ConfigError(
            f"{workflow}: template name(s) {', '.join(repr(n) for n in twice)} used more than "
            "once; give each component its own name= (e.g. git_clone(config, "
            "name='git-clone-api'))"
        )


def _check_build_dirs(templates: Sequence[Any]) -> None:
    """Two build templates on one build directory would overwrite each other's platform env
    and outputs: each build needs a config of its own name."""
    seen: dict[str, str] = {}
    for t in templates:
        for node in _containers(t):
            command = list(getattr(node, "command", None) or [])
            analyze = command[-2:] == ["buildpacks-build", "analyze"]
            if not analyze and "/usr/local/bin/pack" not in command:
                continue
            env = {e.name: e.value for e in getattr(node, "env", None) or []}
            root = env.get("WORKSPACE") or env.get("PACK_HOME", "").removesuffix("/.pack")
            if not root:
                continue
            other = seen.setdefault(root, str(_name(t)))
            if other != _name(t):
                raise ConfigError(
                    f"templates {other!r} and {_name(t)!r} both build in {root}: give each "
                    "build a config with its own name (its directory is /workspace/<name>)"
                )


def _containers(template: Any) -> list[Any]:
    containers = getattr(template, "containers", None)
    if containers is None:
        containers = getattr(getattr(template, "container_set", None), "containers", None)
    return list(containers or [])


def _check_container_sets(templates: Sequence[Any]) -> None:
    """A containerSet pod gets the workflow's workspace only through the containerSet's
    own ``volumeMounts`` (Argo's workflowpod.go); a per-container mount of it is refused."""
    for t in templates:
        containers = _containers(t)
        if not containers:
            continue
        own = {_name(v) for v in _as_list(getattr(t, "volumes", None))}
        if WORKSPACE_VOLUME in own:
            continue
        set_mounts = getattr(t, "volume_mounts", None)
        if set_mounts is None:
            set_mounts = getattr(getattr(t, "container_set", None), "volume_mounts", None)
        if any(_name(m) == WORKSPACE_VOLUME for m in _as_list(set_mounts)):
            continue
        for c in containers:
            if any(_name(m) == WORKSPACE_VOLUME for m in _as_list(c.volume_mounts)):
                raise ConfigError(
                    f"containerSet {_name(t)!r}: container {_name(c)!r} mounts the workflow's "
                    f"{WORKSPACE_VOLUME!r} volume, which Argo adds to a containerSet pod only "
                    "when the containerSet's own volumeMounts name it; mount it there "
                    f"(volume_mounts=[workspace_mount()]) and not per container"
                )


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _add_parameters(workflow: Any, wanted: list[Any]) -> None:
    args = workflow.arguments
    if isinstance(args, Arguments):
        items: list[Any] = list(args.parameters or [])
    else:
        items = _as_list(args)
    have = {_name(p) for p in items}
    items += [p for p in wanted if p.name not in have]
    workflow.arguments = items or None
