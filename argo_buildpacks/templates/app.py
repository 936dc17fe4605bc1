"""An app's thin template over the installed library: `app_template`.

The app's ``WorkflowTemplate`` calls the library's templates by ``templateRef`` and passes
the app's values as inputs. Before anything is rendered, the app is checked against the
library's settings annotation (what `argo_buildpacks.templates.library.library_template`
fixed when it was installed): another builder, images, retries, resources above its maxima,
Secrets, a registry or git host the library does not serve, or a looser revision policy is
refused with the setting named, never silently run with the library's instead.
`app_manifests` renders every object the app needs (RBAC, triggers, schedules, the rebase)
around the thin template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hera.workflows import ClusterWorkflowTemplate, WorkflowTemplate
from hera.workflows.models import Arguments, Template, TemplateRef, WorkflowStep
from hera.workflows.models import Parameter as ModelParameter

from argo_buildpacks._kits.contract import LABEL_PREFIX
from argo_buildpacks._kits.git import credential_host
from argo_buildpacks.components._pod import restrict_executors
from argo_buildpacks.components.deploy import add_deploy
from argo_buildpacks.components.provenance import CLAIMS, PROVENANCE_TEMPLATE
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.images import ImageRef
from argo_buildpacks.templates._resources import app_resource_values, check_app_resources
from argo_buildpacks.templates._workflow import Kind, assemble, workspace_claim
from argo_buildpacks.templates.library import (
    BUILDER_ANNOTATION,
    GIT_SECRET,
    LIBRARY_INPUTS,
    REGISTRY_SECRET,
    SETTING_OF_INPUT,
    SETTINGS_ANNOTATION,
    STEP_TEMPLATES,
    builder_key,
)
from argo_buildpacks.templates.rbac import release_manifests

__all__ = ["app_manifests", "app_template"]


def app_template(
    config: BuildConfig,
    library: ClusterWorkflowTemplate,
    *,
    kind: Kind = "WorkflowTemplate",
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """A thin template for one app that runs ``library``'s templates by ``templateRef``.

    Same parameters, outputs and workflow-wide defaults (deadline, pod GC, TTL, mutex, pod
    security, no service-account token) as
    `argo_buildpacks.templates.pipeline.workflow_template`; ``config.layout`` chooses the
    library's ``build`` (one pod) or its step templates. ``repo`` and ``image`` are passed as
    the config's values unless the config lists them in ``overridable``.

    ``library`` is the library as installed: the object `library_template` returned,
    or its manifest read back (``ClusterWorkflowTemplate.from_yaml``); its settings
    annotation is what the app is checked against. A ``deploy`` section becomes the app's
    own deploy step after the build (its ServiceAccount and Role: `app_manifests`, which
    renders every object the app needs).

    Raises:
        ConfigError: the app cannot run on this library, naming the setting: another
            builder (image, uid/gid, platform API), images, retries or log level; resources
            above the library's maxima (naming app, phase, value and maximum);
            a privileged mode; Secrets other than the library's; an image or git host the
            library does not serve; a looser revision policy; a build env value with a line
            break; ``trigger``, ``schedule`` or ``rebase`` (objects beside the template:
            `app_manifests` renders them); a value the library has no input for (a library
            older than the setting).
    """
    _check_fits(config, library)
    for key in ("trigger", "schedule", "rebase"):
        if getattr(config, key) is not None:
            raise ConfigError(
                f"app {config.name!r}: {key} is set, but app_template renders the "
                f"WorkflowTemplate only; render it with the {key}'s objects (and their RBAC) "
                "with app_manifests(config, library), or drop it"
            )
    return _thin_template(config, library, kind)


def app_manifests(
    config: BuildConfig,
    library: ClusterWorkflowTemplate,
    *,
    kind: Kind = "WorkflowTemplate",
) -> list[dict[str, Any]]:
    """Every object an app on ``library`` needs, in ``kubectl apply`` order: what
    `argo_buildpacks.templates.rbac.release_manifests` renders for a standalone app (the
    executor account and its token Secret, RBAC for deploy, trigger and rebase, the
    EventSource, Sensor, CronWorkflows and the rebase template), with the app's thin
    template (`app_template`) in place of the full one. The Sensor, the CronWorkflow and the
    rebase's rebuild run that thin template, so every build goes through the library.

    Raises:
        ConfigError: as `app_template` (trigger, schedule and rebase aside), or as
            ``release_manifests``.
    """
    _check_fits(config, library)
    return release_manifests(config, kind=kind, template=_thin_template(config, library, kind))


def _thin_template(
    config: BuildConfig, library: ClusterWorkflowTemplate, kind: Kind
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    inputs = {str(t.name): _input_names(t) for t in library.templates or []}
    settings = json.loads((library.annotations or {})[SETTINGS_ANNOTATION])
    values = {**_app_values(config), **app_resource_values(config.resources, settings)}
    lib = str(library.name)
    run_values = {
        "tag": "{{workflow.parameters.tag}}",
        "revision": "{{workflow.parameters.revision}}",
        "expected-commit": "{{workflow.parameters.expected-commit}}",
        "repo": "{{workflow.parameters.repo}}"
        if "repo" in config.overridable
        else config.source.url,
        "image": "{{workflow.parameters.image}}"
        if "image" in config.overridable
        else str(config.image),
    }
    # The steps layout always runs the library's version step: it passes a given tag
    # through (checked again) or derives one from git, and its outputs are the tags.
    step_values = {
        "tags": "{{steps.version.outputs.parameters.tags}}",
        "commit-epoch": "{{steps.git-clone.outputs.parameters.commit-epoch}}",
        "commit": "{{steps.git-clone.outputs.parameters.commit}}",
    }

    def call(step: str, template: str) -> WorkflowStep:
        given = {**run_values, **step_values, **values}
        args = [ModelParameter(name=n, value=given[n]) for n in inputs[template] if n in given]
        return WorkflowStep(
            name=step,
            template_ref=TemplateRef(name=lib, template=template, cluster_scope=True),
            arguments=Arguments(parameters=args),
        )

    claims = None
    if config.layout == "single-pod":
        called = ["build"]
        groups = [[call("build", "build")]]
    else:
        called = list(STEP_TEMPLATES)
        groups = [[call(t.removeprefix("buildpacks-"), t)] for t in STEP_TEMPLATES]
        claims = [workspace_claim(config)]
    # The run's outputs come from the library's provenance step, which checks what the build
    # claims against the registry (docs/security.md).
    push = "build" if config.layout == "single-pod" else "export"
    claimed = {"image": push, "digest": push, "tags": push, "commit": push}
    if config.layout != "single-pod":
        claimed.update(tags="version", commit="git-clone")
    step_values.update(
        {CLAIMS[k]: "{{steps." + s + ".outputs.parameters." + k + "}}" for k, s in claimed.items()}
    )
    called.append(PROVENANCE_TEMPLATE)
    groups.append([call(PROVENANCE_TEMPLATE, PROVENANCE_TEMPLATE)])
    missing = [t for t in called if t not in inputs]
    if missing:
        raise ConfigError(
            f"app {config.name!r}: library {lib!r} has no template {', '.join(missing)} "
            f"(layout {config.layout!r}); re-apply the library or use workflow_template"
        )
    # Every per-app value must reach a template that reads it: never dropped in silence.
    taken = {n for t in called for n in inputs[t]}
    for key in values:
        if key not in taken:
            raise ConfigError(
                f"app {config.name!r}: {SETTING_OF_INPUT.get(key, key)} = {values[key]!r} "
                f"has no input {key!r} in library {lib!r}'s templates ({', '.join(called)}); "
                "the library is older than this setting: re-apply it, or use workflow_template"
            )
    main = Template(name="main", steps=groups)
    template = assemble(
        config,
        [main],
        kind=kind,
        volume_claims=claims,
        labels={f"{LABEL_PREFIX}/library": lib},
    )
    # The deploy is the app's own template (literal target, its own ServiceAccount), after
    # the library's build; it reads the build's workflow outputs.
    template = add_deploy(template, config)
    restrict_executors(template.templates or [], config)  # the deploy's pod too
    return template


def _input_names(template: object) -> list[str]:
    """A template's input parameter names: a Hera template's list, or the ``Inputs`` of a
    model template (a library read back from YAML)."""
    found: list[str] = []
    inputs = getattr(template, "inputs", None)
    params = getattr(inputs, "parameters", inputs) if inputs is not None else None
    for p in params or []:
        name = getattr(p, "name", None)
        if isinstance(name, str):
            found.append(name)
    return found


def _under(image: ImageRef, prefixes: Sequence[str]) -> bool:
    return any(image.name == p or image.name.startswith(p.rstrip("/") + "/") for p in prefixes)


def _check_fits(config: BuildConfig, library: ClusterWorkflowTemplate) -> None:
    annotations: Mapping[str, str] = library.annotations or {}
    theirs = annotations.get(BUILDER_ANNOTATION)
    raw = annotations.get(SETTINGS_ANNOTATION)
    if theirs is None or raw is None:
        raise ConfigError(
            f"{library.name!r} is not an argo-buildpacks library (no builder/settings annotation)"
        )
    app = f"app {config.name!r}"
    if theirs != builder_key(config.builder):
        raise ConfigError(
            f"{app} builds with {builder_key(config.builder)!r} but library "
            f"{library.name!r} runs {theirs!r}; the pods' uid/gid come from the library's builder"
        )
    if config.mode != "daemonless":
        raise ConfigError(f"{app}: the library is daemonless; mode {config.mode!r} is not")
    if config.executor_security != "patch":
        # The patch lives on the library's pod templates (never workflow-wide: the resource
        # pods have no wait container), so the app cannot drop it.
        raise ConfigError(
            f"{app}: executor_security {config.executor_security!r}, but the library's "
            "templates carry the podSpecPatch that restricts Argo's init and wait containers "
            "(executor_security 'patch'); use workflow_template for 'controller'"
        )
    settings = json.loads(raw)
    mine = {
        "images": config.images.model_dump(mode="json"),
        "retries": config.retries.model_dump(mode="json"),
        "log_level": config.log_level,
        "builder.platform_api": config.builder.platform_api,
    }
    for key, setting in mine.items():
        theirs_value = settings.get(key.removeprefix("builder."))
        if theirs_value != setting:
            raise ConfigError(
                f"{app}: {key} {json.dumps(setting)} differs from library {library.name!r}'s "
                f"{json.dumps(theirs_value)}; the library fixes it for every app "
                "(use workflow_template, or a library with these settings)"
            )
    for key, is_set in (("sbom", config.sbom), ("sign", config.sign is not None)):
        if is_set:
            raise ConfigError(
                f"{app}: {key} is set, but library templates neither collect SBOMs nor sign "
                "(the cosign key and the SBOM artifact are per app); use workflow_template, "
                f"or drop {key}"
            )
    trust = (
        ("registry.ca", config.registry.ca is not None),
        ("registry.insecure", bool(config.registry.insecure)),
        ("source.ca", config.source.ca is not None),
    )
    for key, is_set in trust:
        if is_set:
            raise ConfigError(
                f"{app}: {key} is set, but library templates mount no CA and reach every "
                f"registry over verified TLS (the library is shared); use workflow_template, "
                f"or drop {key}"
            )

    check_app_resources(config.name, str(library.name), config.resources, settings)
    registries = settings.get("registries") or []
    for what, image in (("image", config.image), ("cache_image", config.cache_image)):
        if image is not None and not _under(image, registries):
            raise ConfigError(
                f"{app}: {what} {str(image)!r} is not under a registry library "
                f"{library.name!r} pushes to ({', '.join(registries)})"
            )
    if config.registry_secret not in (None, REGISTRY_SECRET):
        raise ConfigError(
            f"{app}: registry_secret {config.registry_secret!r}: the library mounts the "
            f"namespace's Secret {REGISTRY_SECRET!r} for every app; name yours so"
        )
    source = config.source
    for key in ("allow_any_sha", "allow_pull_requests"):
        if getattr(source, key) and not settings.get(key):
            raise ConfigError(
                f"{app}: source.{key} is true but library {library.name!r} does not allow it"
            )
    for key, value in config.env.items():
        if "\n" in value or "\r" in value:
            raise ConfigError(
                f"{app}: env.{key} has a line break, which library mode cannot pass "
                "(build env travels as NAME=VALUE lines); use workflow_template instead"
            )
    creds = source.credentials
    if creds is None:
        return
    secret = creds.https_token_secret or creds.ssh_key_secret
    if secret != GIT_SECRET:
        raise ConfigError(
            f"{app}: source.credentials names Secret {secret!r}: the library mounts the "
            f"namespace's Secret {GIT_SECRET!r} for every app; name yours so"
        )
    if (
        creds.https_token_key != "token"
        or creds.ssh_key_key != "ssh-privatekey"
        or creds.known_hosts_key != "known_hosts"
    ):
        raise ConfigError(
            f"{app}: library mode reads the git Secret's standard keys "
            "(token, ssh-privatekey, known_hosts); rename the keys or use workflow_template"
        )
    try:  # the clone's rule (credential_url in _prelude.sh): one host, read alike by all
        host = credential_host(source.url, creds.kind)
    except ValueError as exc:
        raise ConfigError(f"{app}: source.url: {exc}") from None
    if host not in (settings.get("git_hosts") or []):
        raise ConfigError(
            f"{app}: source.url is on {host!r}, where library {library.name!r} sends no git "
            f"credentials (git_hosts: {', '.join(settings.get('git_hosts') or []) or 'none'})"
        )


def _app_values(config: BuildConfig) -> dict[str, str]:
    """The library inputs an app sets, as strings."""
    creds = config.source.credentials
    values = {
        "subpath": config.source.subpath,
        "depth": str(config.source.depth or 0),
        "submodules": _flag(config.source.submodules),
        "from-git": _flag(config.tag.from_git),
        "floating": _flag(config.tag.floating),
        "latest": _flag(config.tag.latest),
        "allow-untagged": _flag(config.tag.allow_untagged),
        "creation-time": config.creation_time,
        "buildpacks": ",".join(config.buildpacks),
        "build-env": "\n".join(f"{k}={config.env[k]}" for k in sorted(config.env)),
        "cache-image": str(config.cache_image or ""),
        "run-image": str(config.run_image or ""),
        "previous-image": str(config.previous_image or ""),
        "git-auth": "none" if creds is None else creds.kind,
    }
    if creds is not None:
        values["git-username"] = creds.https_username
    # Only what differs from the library's defaults: the app template stays short.
    return {k: v for k, v in values.items() if v != LIBRARY_INPUTS.get(k)}


def _flag(value: bool) -> str:
    return "true" if value else "false"
