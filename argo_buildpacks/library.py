"""Library mode: publish the components once, and give each app a thin template.

A platform team applies one ``ClusterWorkflowTemplate`` (:func:`library_template`) holding
the components with every per-app value turned into an input parameter; each app then gets a
small ``WorkflowTemplate`` (:func:`app_template`) that calls them through ``templateRef``.
Upgrading the pipeline is one ``apply`` of the library; apps keep the contract of
:func:`~argo_buildpacks.pipeline.workflow_template` (parameters ``tag``/``revision``/``repo``/
``image``, outputs ``image``/``digest``/``tags``/``commit``).

What stays fixed in the library, because Kubernetes needs it as a literal: the builder (its
uid/gid are the pods' ``runAsUser``/``runAsGroup``), the helper images, resources and retries.
Secrets are still only referenced: the app passes Secret *names*, mounted as optional volumes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hera.workflows import (
    ClusterWorkflowTemplate,
    Container,
    ContainerSet,
    Parameter,
    WorkflowTemplate,
)
from hera.workflows.models import (
    Arguments,
    KeyToPath,
    SecretVolumeSource,
    Template,
    TemplateRef,
    Volume,
    WorkflowStep,
)
from hera.workflows.models import Parameter as ModelParameter

from argo_buildpacks import pipeline
from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import REGISTRY_SECRET_VOLUME
from argo_buildpacks.components.git_clone import GIT_SECRET_DIR, GIT_SECRET_VOLUME
from argo_buildpacks.config import BuildConfig, Builder, Images, Resources, Retries
from argo_buildpacks.errors import ConfigError

__all__ = ["LIBRARY_INPUTS", "app_template", "library_template"]

DEFAULT_LIBRARY = "argo-buildpacks"
_BUILDER_ANNOTATION = f"{pipeline.LABEL_PREFIX}/builder"
# Secret volumes are optional: an app without credentials names these (absent) Secrets.
NO_GIT_SECRET = "argo-buildpacks-no-git-credentials"
NO_REGISTRY_SECRET = "argo-buildpacks-no-registry-credentials"

#: Every input of the library templates -> its default (``None``: the caller must give it).
LIBRARY_INPUTS: dict[str, str | None] = {
    "tag": None,
    "repo": None,
    "revision": None,
    "image": None,
    "subpath": "",
    "depth": "1",
    "submodules": "false",
    "from-git": "false",
    "floating": "true",
    "latest": "false",
    "allow-untagged": "false",
    "creation-time": "commit",
    "buildpacks": "",
    "build-env": "",
    "cache-image": "",
    "run-image": "",
    "previous-image": "",
    "git-auth": "none",
    "git-secret": NO_GIT_SECRET,
    "git-username": "x-access-token",
    "git-auth-url-prefix": "",
    "registry-secret": NO_REGISTRY_SECRET,
}

# Container env var -> the library input that feeds it.
_ENV_INPUT = {
    "FROM_GIT": "from-git",
    "FLOATING": "floating",
    "LATEST": "latest",
    "ALLOW_UNTAGGED": "allow-untagged",
    "DEPTH": "depth",
    "SUBMODULES": "submodules",
    "SUBPATH": "subpath",
    "DESCRIBE": "from-git",
    "AUTH": "git-auth",
    "GIT_USERNAME": "git-username",
    "AUTH_URL_PREFIX": "git-auth-url-prefix",
    "CREATION_TIME": "creation-time",
    "BUILDPACKS": "buildpacks",
    "CACHE_IMAGE": "cache-image",
    "RUN_IMAGE": "run-image",
    "PREVIOUS_IMAGE": "previous-image",
    "BUILD_ENV": "build-env",
}
_INPUT_REF = re.compile(r"\{\{inputs\.parameters\.([A-Za-z0-9_-]+)\}\}")
# The library's step templates; "build" is the whole pipeline in one pod.
_STEP_TEMPLATES = ("tag-check", "git-clone", "version", "buildpacks-build")


def library_template(
    *,
    name: str = DEFAULT_LIBRARY,
    builder: Builder | str = "paketobuildpacks/builder-jammy-base",
    images: Images | None = None,
    resources: Resources | None = None,
    retries: Retries | None = None,
    log_level: str = "info",
) -> ClusterWorkflowTemplate:
    """The components as one ``ClusterWorkflowTemplate`` for every app to call.

    Templates: ``build`` (tag check, clone, version, build in one pod: a containerSet on an
    emptyDir) and, for apps on the steps layout, ``tag-check``, ``git-clone``, ``version`` and
    ``buildpacks-build`` (one pod each, on the caller's ``workspace`` volume claim). Their
    inputs are :data:`LIBRARY_INPUTS`.

    Raises:
        ConfigError: a value is invalid (same rules as :class:`BuildConfig`).
    """
    platform = _platform_config(name, builder, images, resources, retries, log_level)
    single = pipeline._single_pod(platform, allow_privileged=False)[1]
    steps = pipeline._steps(platform, allow_privileged=False)[1:]
    steps[-1].name = "buildpacks-build"
    templates: list[Any] = [_parameterize(single)]
    templates += [_parameterize(t) for t in steps]
    return ClusterWorkflowTemplate(
        name=name,
        labels={"app.kubernetes.io/managed-by": "argo-buildpacks"},
        annotations={_BUILDER_ANNOTATION: _builder_key(platform.builder)},
        templates=templates,
    )


def app_template(
    config: BuildConfig,
    library: ClusterWorkflowTemplate,
    *,
    kind: pipeline.Kind = "WorkflowTemplate",
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """A thin template for one app that runs ``library``'s templates by ``templateRef``.

    Same parameters, outputs and workflow-wide defaults (deadline, pod GC, TTL, mutex, pod
    security) as :func:`~argo_buildpacks.pipeline.workflow_template`; ``config.layout``
    chooses the library's ``build`` (one pod) or its step templates.

    Raises:
        ConfigError: the app cannot run on this library: another builder, a privileged mode,
            a build env value with a line break, or non-default Secret keys.
    """
    _check_fits(config, library)
    inputs = {str(t.name): _input_names(t) for t in library.templates}
    values = _app_values(config)
    lib = str(library.name)

    def call(step: str, template: str) -> WorkflowStep:
        args = [
            ModelParameter(name=n, value="{{workflow.parameters." + n + "}}")
            if n in ("tag", "repo", "revision", "image")
            else ModelParameter(name=n, value=values[n])
            for n in inputs[template]
            if n in ("tag", "repo", "revision", "image") or n in values
        ]
        return WorkflowStep(
            name=step,
            template_ref=TemplateRef(name=lib, template=template, cluster_scope=True),
            arguments=Arguments(parameters=args),
        )

    claims = None
    if config.layout == "single-pod":
        groups = [[call("build", "build")]]
    else:
        groups = [[call(t if t != "buildpacks-build" else "build", t)] for t in _STEP_TEMPLATES]
        claims = [pipeline.workspace_claim()]
    main = Template(name="main", steps=groups)
    return pipeline.assemble(
        config,
        [main],
        kind=kind,
        volume_claims=claims,
        labels={f"{pipeline.LABEL_PREFIX}/library": lib},
    )


def _platform_config(
    name: str,
    builder: Builder | str,
    images: Images | None,
    resources: Resources | None,
    retries: Retries | None,
    log_level: str,
) -> BuildConfig:
    """A config with every optional part present, so the factories emit every env var and
    volume the library then turns into inputs. Its per-app values never reach the output."""
    return BuildConfig.from_dict(
        {
            "name": name,
            "source": {
                "url": "https://example.invalid/app.git",
                "credentials": {"https_token_secret": "placeholder"},
            },
            "image": "example.invalid/app",
            "builder": builder if isinstance(builder, str) else builder.model_dump(mode="json"),
            "buildpacks": ["placeholder"],
            "env": {"PLACEHOLDER": ""},
            "cache_image": "example.invalid/cache",
            "run_image": "example.invalid/run",
            "previous_image": "example.invalid/previous",
            "registry_secret": "placeholder",
            "tag": {"from_git": True},
            "images": (images or Images()).model_dump(mode="json"),
            "resources": (resources or Resources()).model_dump(mode="json"),
            "retries": (retries or Retries()).model_dump(mode="json"),
            "log_level": log_level,
        },
        source="library",
    )


def _parameterize(template: Container | ContainerSet) -> Container | ContainerSet:
    """Swap the placeholder config's per-app values for ``{{inputs.parameters.*}}``."""
    containers: list[Any] = (
        list(template.containers) if isinstance(template, ContainerSet) else [template]
    )
    for c in containers:
        names = {e.name for e in c.env or []}
        for env in c.env or []:
            if env.name in _ENV_INPUT:
                env.value = "{{inputs.parameters." + _ENV_INPUT[env.name] + "}}"
        if "AUTH" in names:  # the clone: both credential kinds, chosen by git-auth
            c.env = [
                e
                for e in c.env
                if e.name not in ("GIT_TOKEN_FILE", "SSH_KEY_FILE", "KNOWN_HOSTS_FILE")
            ]
            c.env += _pod.env(
                {
                    "GIT_TOKEN_FILE": f"{GIT_SECRET_DIR}/token",
                    "SSH_KEY_FILE": f"{GIT_SECRET_DIR}/ssh-privatekey",
                    "KNOWN_HOSTS_FILE": f"{GIT_SECRET_DIR}/known_hosts",
                }
            )
        if "BUILDPACKS" in names and c.args:  # the build: env vars come in one input
            c.args = None
            c.env += _pod.env({"BUILD_ENV": "{{inputs.parameters.build-env}}"})
    template.volumes = [_optional_secret(v) for v in _pod_volumes(template.volumes)] or None
    used = sorted(
        {m for c in containers for e in c.env or [] for m in _INPUT_REF.findall(str(e.value))}
        | {m for v in template.volumes or [] for m in _INPUT_REF.findall(repr(v))}
    )
    template.inputs = [
        Parameter(name=n)
        if LIBRARY_INPUTS[n] is None
        else Parameter(name=n, default=LIBRARY_INPUTS[n])
        for n in sorted(LIBRARY_INPUTS, key=list(LIBRARY_INPUTS).index)
        if n in used
    ]
    return template


def _pod_volumes(volumes: object) -> list[Volume]:
    items = volumes if isinstance(volumes, list) else [] if volumes is None else [volumes]
    return [v for v in items if isinstance(v, Volume)]


def _optional_secret(volume: Volume) -> Volume:
    if volume.name == GIT_SECRET_VOLUME:
        source = SecretVolumeSource(
            secret_name="{{inputs.parameters.git-secret}}", optional=True, default_mode=0o440
        )
    elif volume.name == REGISTRY_SECRET_VOLUME:
        source = SecretVolumeSource(
            secret_name="{{inputs.parameters.registry-secret}}",
            items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
            optional=True,
            default_mode=0o440,
        )
    else:
        return volume
    return Volume(name=volume.name, secret=source)


def _input_names(template: object) -> list[str]:
    found: list[str] = []
    for p in getattr(template, "inputs", None) or []:
        name = getattr(p, "name", None)
        if isinstance(name, str):
            found.append(name)
    return found


def _builder_key(builder: Builder) -> str:
    return f"{builder.image} {builder.uid}:{builder.gid}"


def _check_fits(config: BuildConfig, library: ClusterWorkflowTemplate) -> None:
    annotations: Mapping[str, str] = library.annotations or {}
    theirs = annotations.get(_BUILDER_ANNOTATION)
    if theirs is None:
        raise ConfigError(
            f"{library.name!r} is not an argo-buildpacks library (no builder annotation)"
        )
    if theirs != _builder_key(config.builder):
        raise ConfigError(
            f"app {config.name!r} builds with {_builder_key(config.builder)!r} but library "
            f"{library.name!r} runs {theirs!r}; the pods' uid/gid come from the library's builder"
        )
    if config.mode != "daemonless":
        raise ConfigError(
            f"app {config.name!r}: the library is daemonless; mode {config.mode!r} is not"
        )
    for key, value in config.env.items():
        if "\n" in value or "\r" in value:
            raise ConfigError(
                f"app {config.name!r}: env.{key} has a line break, which library mode cannot pass "
                "(build env travels as NAME=VALUE lines); use workflow_template instead"
            )
    creds = config.source.credentials
    if creds is not None and (
        creds.https_token_key != "token"
        or creds.ssh_key_key != "ssh-privatekey"
        or creds.known_hosts_key != "known_hosts"
    ):
        raise ConfigError(
            f"app {config.name!r}: library mode reads the git Secret's standard keys "
            "(token, ssh-privatekey, known_hosts); rename the keys or use workflow_template"
        )


def _app_values(config: BuildConfig) -> dict[str, str]:
    """The library inputs an app sets, as strings."""
    from urllib.parse import urlsplit

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
        "registry-secret": config.registry_secret or NO_REGISTRY_SECRET,
        "git-auth": "none" if creds is None else creds.kind,
    }
    if creds is not None:
        values["git-secret"] = creds.https_token_secret or creds.ssh_key_secret or NO_GIT_SECRET
        values["git-username"] = creds.https_username
        if creds.kind == "https":
            values["git-auth-url-prefix"] = f"https://{urlsplit(config.source.url).netloc}/"
    # Only what differs from the library's defaults: the app template stays short.
    return {k: v for k, v in values.items() if v != LIBRARY_INPUTS.get(k)}


def _flag(value: bool) -> str:
    return "true" if value else "false"
