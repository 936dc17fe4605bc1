"""Library mode: publish the components once, and give each app a thin template.

A platform team applies one ``ClusterWorkflowTemplate`` (`library_template`) holding
the components with the per-app build settings turned into input parameters; each app then
gets a small ``WorkflowTemplate`` (`app_template`) that calls them through
``templateRef``. Upgrading the pipeline is one ``apply`` of the library; apps keep the
contract of `argo_buildpacks.templates.pipeline.workflow_template` (parameters
``tag``/``revision``/``repo``/``image``, outputs ``image``/``digest``/``tags``/``commit``).

Anyone who may submit workflows can run the library's templates directly, with any inputs,
so nothing that grants access is an input. Fixed when the library is installed:

- the **Secrets**: the conventionally named `GIT_SECRET` and `REGISTRY_SECRET`
  of the namespace the run is in (optional volumes). The namespace is the trust boundary: a
  run uses its own namespace's credentials, never another team's;
- where credentials may go: git credentials only to repositories on ``git_hosts`` (the
  token scoped to the run's repository URL, redirects off); images and cache images only
  under ``registries``;
- the revision policy (commit SHAs a branch or tag reaches, pull-request refs refused, unless
  the library allows them);
- the builder (its uid/gid are the pods' ``runAsUser``/``runAsGroup``), the helper images,
  retries and the log level; resources up to its maxima (an app's own values, checked
  against them when the app is rendered, reach the pods as whole quantities only:
  `argo_buildpacks.templates._resources`).

Every other per-app setting either reaches the app's template (the values the library's
templates take as inputs; namespace, service account, scheduling, deadline, pod GC, TTL,
mutex, workspace claim, executor account and the deploy, which live in the app's own
template) or is refused by `app_template` with the setting named; a library too old to
take one of the app's values is refused as well, never silently used without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hera.workflows import (
    ClusterWorkflowTemplate,
    Container,
    ContainerSet,
    Parameter,
)
from hera.workflows.models import (
    KeyToPath,
    SecretVolumeSource,
    Volume,
)

from argo_buildpacks._kits import names
from argo_buildpacks._kits.contract import CALLER_PROVIDES, LABEL_PREFIX, MANAGED
from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import REGISTRY_SECRET_VOLUME
from argo_buildpacks.components.git_clone import GIT_SECRET_VOLUME, RUN_TIME_CREDENTIALS
from argo_buildpacks.components.provenance import provenance_template
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig, Builder, Images, Resources, Retries
from argo_buildpacks.model.images import ImageRef
from argo_buildpacks.templates import layouts
from argo_buildpacks.templates._resources import (
    Maxima,
    library_maxima,
    resource_inputs,
    resource_patch,
)

__all__ = [
    "BUILDER_ANNOTATION",
    "GIT_SECRET",
    "LIBRARY_INPUTS",
    "REGISTRY_SECRET",
    "SETTINGS_ANNOTATION",
    "SETTING_OF_INPUT",
    "STEP_TEMPLATES",
    "builder_key",
    "library_template",
]

DEFAULT_LIBRARY = "argo-buildpacks"
BUILDER_ANNOTATION = f"{LABEL_PREFIX}/builder"
SETTINGS_ANNOTATION = f"{LABEL_PREFIX}/library-settings"
#: The git credentials every run of the library uses: this Secret of the run's namespace
#: (keys ``token``, or ``ssh-privatekey`` and ``known_hosts``), when it exists.
GIT_SECRET = "argo-buildpacks-git"
#: The push credentials: this ``kubernetes.io/dockerconfigjson`` Secret of the run's namespace.
REGISTRY_SECRET = "argo-buildpacks-registry"

#: Every per-app input of the library templates -> its default (``None``: the caller gives it).
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
    "git-username": "x-access-token",
}

#: Library input -> the config setting it carries (for error messages).
SETTING_OF_INPUT = {
    "subpath": "source.subpath",
    "depth": "source.depth",
    "submodules": "source.submodules",
    "from-git": "tag.from_git",
    "floating": "tag.floating",
    "latest": "tag.latest",
    "allow-untagged": "tag.allow_untagged",
    "creation-time": "creation_time",
    "buildpacks": "buildpacks",
    "build-env": "env",
    "cache-image": "cache_image",
    "run-image": "run_image",
    "previous-image": "previous_image",
    "git-auth": "source.credentials",
    "git-username": "source.credentials.https_username",
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
    "CREATION_TIME": "creation-time",
    "BUILDPACKS": "buildpacks",
    "CACHE_IMAGE": "cache-image",
    "RUN_IMAGE": "run-image",
    "PREVIOUS_IMAGE": "previous-image",
}
_INPUT_REF = re.compile(r"\{\{inputs\.parameters\.([A-Za-z0-9_-]+)\}\}")
#: The library's templates for apps on the steps layout (one pod each).
STEP_TEMPLATES = ("tag-check", "git-clone", "version", "buildpacks-build", "buildpacks-export")


def library_template(
    *,
    registries: Sequence[str],
    git_hosts: Sequence[str] = (),
    name: str = DEFAULT_LIBRARY,
    builder: Builder | str = "paketobuildpacks/builder-jammy-base:0.4.642",
    images: Images | None = None,
    resources: Resources | None = None,
    retries: Retries | None = None,
    log_level: str = "info",
    allow_any_sha: bool = False,
    allow_pull_requests: bool = False,
    max_resources: Mapping[str, Any] | None = None,
) -> ClusterWorkflowTemplate:
    """The components as one ``ClusterWorkflowTemplate`` for every app to call.

    Templates: ``build`` (tag check, clone, version and the lifecycle's phases in one pod: a
    containerSet on an emptyDir) and, for apps on the steps layout, ``tag-check``,
    ``git-clone``, ``version``, ``buildpacks-build`` and ``buildpacks-export`` (one pod
    each, on the caller's ``workspace`` volume claim); ``provenance`` (after either: the
    run's outputs, read back from the registry). Their per-app inputs are
    `LIBRARY_INPUTS`.

    Args:
        registries: where builds may push (``host[:port]`` or a repository prefix such as
            ``registry.example.com/team``); an image or cache image elsewhere is refused
            in the cluster.
        git_hosts: hosts that receive the namespace's git credentials (e.g.
            ``github.com``); a repository on another host is cloned without them.
            Empty: git credentials are never sent.
        name: the ClusterWorkflowTemplate's name.
        builder: the builder image (a known one, or a `Builder`).
        images: helper images; resources, retries, log_level: as in `BuildConfig`.
        allow_any_sha: let runs build commits no branch or tag reaches.
        allow_pull_requests: let runs build pull/merge-request refs.
        max_resources: the most an app may ask per phase, ``{build|clone|tag_check:
            {requests|limits: {name: quantity}}}``, over ``resources`` per key (what is not
            given is capped at the library's own value: an app may ask less, never more).
            An app's resources reach the pods as inputs (through the templates'
            ``podSpecPatch``, as whole quantities only); `app_template` refuses one above a
            maximum, naming the app, phase, value and maximum.

    Raises:
        ConfigError: a value is invalid (same rules as `BuildConfig`), no registry is
            given, or a maximum is below the library's value or bounds nothing it sets.
    """
    prefixes = _registries(registries)
    hosts = _git_hosts(git_hosts)
    platform = _platform_config(
        name, builder, images, resources, retries, log_level, allow_any_sha, allow_pull_requests
    )
    maxima = library_maxima(platform.resources, max_resources)
    # A run chooses from-git: the tag is checked before the clone, as from-git=false needs.
    single = layouts.single_pod(platform, allow_privileged=False, early_tag_check=True)[1]
    # [main, *parts, build, export, provenance]: the provenance step is the library's own.
    steps = layouts.steps(platform, allow_privileged=False)[1:-1]
    steps[-2].name, steps[-1].name = "buildpacks-build", "buildpacks-export"
    templates: list[Any] = [
        _parameterize(t, prefixes, hosts, _Tuning(maxima, platform.resources))
        for t in [single, *steps]
    ]
    templates.append(_provenance(platform, prefixes))
    settings = {**_settings(platform, prefixes, hosts), "max_resources": maxima}
    return ClusterWorkflowTemplate(
        name=name,
        labels=dict(MANAGED),
        annotations={
            BUILDER_ANNOTATION: builder_key(platform.builder),
            SETTINGS_ANNOTATION: json.dumps(settings, sort_keys=True, separators=(",", ":")),
            # The step templates mount the calling workflow's workspace claim: said, so
            # that the library alone passes `lint --strict`.
            CALLER_PROVIDES: _pod.WORKSPACE_VOLUME,
        },
        templates=templates,
    )


def _registries(registries: Sequence[str]) -> list[str]:
    if isinstance(registries, str) or not registries:
        raise ConfigError(
            "library_template needs registries=[...]: the registries (host[:port]) or "
            "repository prefixes its builds may push to, fixed when the library is installed"
        )
    found = []
    for value in registries:
        try:
            ref = ImageRef.parse(str(value).rstrip("/"))
        except ConfigError as exc:
            raise ConfigError(
                f"registries: {value!r} is not a registry or repository: {exc}"
            ) from None
        if ref.tag is not None or ref.digest is not None:
            raise ConfigError(f"registries: {value!r} must have no tag or digest")
        found.append(ref.name)
    return found


def _git_hosts(hosts: Sequence[str]) -> list[str]:
    if isinstance(hosts, str):
        raise ConfigError("git_hosts must be a list of host names, not one string")
    for host in hosts:
        if not isinstance(host, str) or not names.is_dns_subdomain(host.lower()):
            raise ConfigError(
                f"git_hosts: {host!r} is not a host name (e.g. 'github.com', no scheme or port)"
            )
    return [h.lower() for h in hosts]


def _platform_config(
    name: str,
    builder: Builder | str,
    images: Images | None,
    resources: Resources | None,
    retries: Retries | None,
    log_level: str,
    allow_any_sha: bool,
    allow_pull_requests: bool,
) -> BuildConfig:
    """A config with every optional part present, so the factories emit every env var and
    volume the library then turns into inputs. Its per-app values never reach the output."""
    return BuildConfig.from_dict(
        {
            "name": name,
            "source": {
                "url": "https://example.invalid/app.git",
                "credentials": {"https_token_secret": GIT_SECRET},
                "allow_any_sha": allow_any_sha,
                "allow_pull_requests": allow_pull_requests,
            },
            "image": "example.invalid/app",
            "builder": builder if isinstance(builder, str) else builder.model_dump(mode="json"),
            "buildpacks": ["placeholder"],
            "env": {"PLACEHOLDER": ""},
            "cache_image": "example.invalid/cache",
            "run_image": "example.invalid/run",
            "previous_image": "example.invalid/previous",
            "registry_secret": REGISTRY_SECRET,
            "tag": {"from_git": True},
            "images": (images or Images()).model_dump(mode="json"),
            "resources": (resources or Resources()).model_dump(mode="json"),
            "retries": (retries or Retries()).model_dump(mode="json"),
            "log_level": log_level,
            "overridable": ["repo", "image"],
        },
        source="library",
    )


def _settings(platform: BuildConfig, registries: list[str], hosts: list[str]) -> dict[str, Any]:
    """What the library fixes for every app, recorded on it so apps can be checked."""
    return {
        "images": platform.images.model_dump(mode="json"),
        "resources": platform.resources.model_dump(mode="json"),
        "retries": platform.retries.model_dump(mode="json"),
        "log_level": platform.log_level,
        "platform_api": platform.builder.platform_api,
        "registries": registries,
        "git_hosts": hosts,
        "allow_any_sha": platform.source.allow_any_sha,
        "allow_pull_requests": platform.source.allow_pull_requests,
    }


@dataclass(frozen=True)
class _Tuning:
    """What an app may tune per template: its resources, up to the maxima."""

    maxima: Maxima
    resources: Resources


def _parameterize(
    template: Container | ContainerSet, registries: list[str], hosts: list[str], tuning: _Tuning
) -> Container | ContainerSet:
    """Swap the placeholder config's per-app values for ``{{inputs.parameters.*}}``, and fix
    where credentials may go."""
    containers: list[Any] = (
        list(template.containers) if isinstance(template, ContainerSet) else [template]
    )
    for c in containers:
        names = {e.name for e in c.env or []}
        for env in c.env or []:
            if env.name in _ENV_INPUT:
                env.value = "{{inputs.parameters." + _ENV_INPUT[env.name] + "}}"
        if "AUTH" in names:  # the clone: both credential kinds, chosen by git-auth
            # The script's blocks for every kind, and the GIT_HOSTS check.
            c.command = [*c.command[:2], load("git_clone.sh", RUN_TIME_CREDENTIALS), *c.command[3:]]
            c.env = [
                e
                for e in c.env
                if e.name not in ("GIT_TOKEN_FILE", "SSH_KEY_FILE", "KNOWN_HOSTS_FILE", "AUTH_URL")
            ]
            c.env += _pod.env(
                {
                    "GIT_TOKEN_FILE": "/var/run/secrets/argo-buildpacks/git/token",
                    "SSH_KEY_FILE": "/var/run/secrets/argo-buildpacks/git/ssh-privatekey",
                    "KNOWN_HOSTS_FILE": "/var/run/secrets/argo-buildpacks/git/known_hosts",
                    # No host: credentials go nowhere (the script refuses AUTH then).
                    "GIT_HOSTS": "\n".join(hosts) or "argo-buildpacks.invalid",
                }
            )
        if "IMAGE" in names:
            for env in c.env:
                if env.name == "IMAGE_PREFIXES":
                    env.value = "\n".join(registries)
            if "IMAGE_PREFIXES" not in names:
                c.env += _pod.env({"IMAGE_PREFIXES": "\n".join(registries)})
        if "BUILDPACKS" in names and c.args:  # analyze: env vars come in one input
            c.args = None
            c.env += _pod.env({"BUILD_ENV": "{{inputs.parameters.build-env}}"})
    template.volumes = [_optional_secret(v) for v in _pod_volumes(template.volumes)] or None
    # No token for any container, but no executor account of the library's own: the app's
    # workflow names it (executor_service_account); a direct submission without one is
    # refused by Argo rather than given a token.
    template.executor = None
    used = {m for c in containers for e in c.env or [] for m in _INPUT_REF.findall(str(e.value))}
    given = template.inputs if isinstance(template.inputs, list) else []
    # The component's own inputs (tag, revision, repo, image...), without the placeholder
    # config's values as defaults: the caller gives them.
    # expected-commit keeps its empty default: apps rendered before it existed omit it.
    own = [
        Parameter(name=p.name, default="" if p.name == "expected-commit" else None)
        for p in given
        if isinstance(p, Parameter)
    ]
    per_app = [
        Parameter(name=n)
        if LIBRARY_INPUTS[n] is None
        else Parameter(name=n, default=LIBRARY_INPUTS[n])
        for n in LIBRARY_INPUTS
        if n in used and n not in {p.name for p in own}
    ]
    nodes: list[str | None] = (
        [str(c.name) for c in containers] if isinstance(template, ContainerSet) else [None]
    )
    tunable, patch = resource_inputs(str(template.name), nodes, tuning.maxima, tuning.resources)
    template.pod_spec_patch = resource_patch(template.pod_spec_patch, patch)
    resource_params = [Parameter(name=n, default=v) for n, v in tunable.items()]
    template.inputs = [*own, *per_app, *resource_params]
    return template


def _provenance(platform: BuildConfig, registries: list[str]) -> Any:
    """The provenance step, for every layout: the repository an input (checked against the
    library's registries), the run's namespace's registry Secret, no executor account of the
    library's own."""
    template = provenance_template(platform, image_prefixes=registries)
    template.volumes = [_optional_secret(v) for v in _pod_volumes(template.volumes)] or None
    template.executor = None
    return template


def _pod_volumes(volumes: object) -> list[Volume]:
    items = volumes if isinstance(volumes, list) else [] if volumes is None else [volumes]
    return [v for v in items if isinstance(v, Volume)]


def _optional_secret(volume: Volume) -> Volume:
    """The credentials' Secret volumes: fixed names, optional (an app without credentials
    runs where the Secret does not exist)."""
    if volume.name == GIT_SECRET_VOLUME:
        source = SecretVolumeSource(secret_name=GIT_SECRET, optional=True, default_mode=0o440)
    elif volume.name == REGISTRY_SECRET_VOLUME:
        source = SecretVolumeSource(
            secret_name=REGISTRY_SECRET,
            items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
            optional=True,
            default_mode=0o440,
        )
    else:
        return volume
    return Volume(name=volume.name, secret=source)


def builder_key(builder: Builder) -> str:
    """How the library names its builder (image and uid:gid) in its annotation."""
    return f"{builder.image} {builder.uid}:{builder.gid}"
