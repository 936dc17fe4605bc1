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
  resources, retries and the log level.

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

from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import REGISTRY_SECRET_VOLUME
from argo_buildpacks.components.deploy import add_deploy
from argo_buildpacks.components.git_clone import GIT_SECRET_VOLUME
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._base import CALLER_PROVIDES
from argo_buildpacks.model.config import BuildConfig, Builder, Images, Resources, Retries
from argo_buildpacks.model.images import ImageRef
from argo_buildpacks.templates import pipeline

__all__ = ["GIT_SECRET", "LIBRARY_INPUTS", "REGISTRY_SECRET", "app_template", "library_template"]

DEFAULT_LIBRARY = "argo-buildpacks"
_BUILDER_ANNOTATION = f"{pipeline.LABEL_PREFIX}/builder"
_SETTINGS_ANNOTATION = f"{pipeline.LABEL_PREFIX}/library-settings"
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

# Library input -> the config setting it carries (for error messages).
_SETTING_OF_INPUT = {
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
# The library's templates for apps on the steps layout (one pod each).
_STEP_TEMPLATES = ("tag-check", "git-clone", "version", "buildpacks-build", "buildpacks-export")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]+)?")


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
) -> ClusterWorkflowTemplate:
    """The components as one ``ClusterWorkflowTemplate`` for every app to call.

    Templates: ``build`` (tag check, clone, version and the lifecycle's phases in one pod: a
    containerSet on an emptyDir) and, for apps on the steps layout, ``tag-check``,
    ``git-clone``, ``version``, ``buildpacks-build`` and ``buildpacks-export`` (one pod
    each, on the caller's ``workspace`` volume claim). Their per-app inputs are
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

    Raises:
        ConfigError: a value is invalid (same rules as `BuildConfig`), or no
            registry is given.
    """
    prefixes = _registries(registries)
    hosts = _git_hosts(git_hosts)
    platform = _platform_config(
        name, builder, images, resources, retries, log_level, allow_any_sha, allow_pull_requests
    )
    single = pipeline._single_pod(platform, allow_privileged=False)[1]
    steps = pipeline._steps(platform, allow_privileged=False)[1:]
    steps[-2].name, steps[-1].name = "buildpacks-build", "buildpacks-export"
    templates: list[Any] = [_parameterize(t, prefixes, hosts) for t in [single, *steps]]
    settings = _settings(platform, prefixes, hosts)
    return ClusterWorkflowTemplate(
        name=name,
        labels={"app.kubernetes.io/managed-by": "argo-buildpacks"},
        annotations={
            _BUILDER_ANNOTATION: _builder_key(platform.builder),
            _SETTINGS_ANNOTATION: json.dumps(settings, sort_keys=True, separators=(",", ":")),
            # The step templates mount the calling workflow's workspace claim: said, so
            # that the library alone passes `lint --strict`.
            CALLER_PROVIDES: _pod.WORKSPACE_VOLUME,
        },
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
    security, no service-account token) as
    `argo_buildpacks.templates.pipeline.workflow_template`; ``config.layout`` chooses the
    library's ``build`` (one pod) or its step templates. ``repo`` and ``image`` are passed as
    the config's values unless the config lists them in ``overridable``.

    ``library`` is the library as installed: the object `library_template` returned,
    or its manifest read back (``ClusterWorkflowTemplate.from_yaml``); its settings
    annotation is what the app is checked against. A ``deploy`` section becomes the app's
    own deploy step after the build.

    Raises:
        ConfigError: the app cannot run on this library, naming the setting: another
            builder (image, uid/gid, platform API), images, resources, retries or log level;
            a privileged mode; Secrets other than the library's; an image or git host the
            library does not serve; a looser revision policy; a build env value with a line
            break; ``trigger`` or ``schedule`` (objects beside the template); a value the
            library has no input for (a library older than the setting).
    """
    _check_fits(config, library)
    inputs = {str(t.name): _input_names(t) for t in library.templates or []}
    values = _app_values(config)
    lib = str(library.name)
    run_values = {
        "tag": "{{workflow.parameters.tag}}",
        "revision": "{{workflow.parameters.revision}}",
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
        called = list(_STEP_TEMPLATES)
        groups = [[call(t.removeprefix("buildpacks-"), t)] for t in _STEP_TEMPLATES]
        claims = [pipeline.workspace_claim(config)]
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
                f"app {config.name!r}: {_SETTING_OF_INPUT.get(key, key)} = {values[key]!r} "
                f"has no input {key!r} in library {lib!r}'s templates ({', '.join(called)}); "
                "the library is older than this setting: re-apply it, or use workflow_template"
            )
    main = Template(name="main", steps=groups)
    template = pipeline.assemble(
        config,
        [main],
        kind=kind,
        volume_claims=claims,
        labels={f"{pipeline.LABEL_PREFIX}/library": lib},
    )
    # The deploy is the app's own template (literal target, its own ServiceAccount), after
    # the library's build; it reads the build's workflow outputs.
    return add_deploy(template, config)


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
        if not isinstance(host, str) or not _HOST.fullmatch(host.lower()) or ":" in host:
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


def _parameterize(
    template: Container | ContainerSet, registries: list[str], hosts: list[str]
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
    own = [Parameter(name=p.name) for p in given if isinstance(p, Parameter)]
    per_app = [
        Parameter(name=n)
        if LIBRARY_INPUTS[n] is None
        else Parameter(name=n, default=LIBRARY_INPUTS[n])
        for n in LIBRARY_INPUTS
        if n in used and n not in {p.name for p in own}
    ]
    template.inputs = [*own, *per_app]
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


def _builder_key(builder: Builder) -> str:
    return f"{builder.image} {builder.uid}:{builder.gid}"


def _under(image: ImageRef, prefixes: Sequence[str]) -> bool:
    return any(image.name == p or image.name.startswith(p.rstrip("/") + "/") for p in prefixes)


def _check_fits(config: BuildConfig, library: ClusterWorkflowTemplate) -> None:
    annotations: Mapping[str, str] = library.annotations or {}
    theirs = annotations.get(_BUILDER_ANNOTATION)
    raw = annotations.get(_SETTINGS_ANNOTATION)
    if theirs is None or raw is None:
        raise ConfigError(
            f"{library.name!r} is not an argo-buildpacks library (no builder/settings annotation)"
        )
    app = f"app {config.name!r}"
    if theirs != _builder_key(config.builder):
        raise ConfigError(
            f"{app} builds with {_builder_key(config.builder)!r} but library "
            f"{library.name!r} runs {theirs!r}; the pods' uid/gid come from the library's builder"
        )
    if config.mode != "daemonless":
        raise ConfigError(f"{app}: the library is daemonless; mode {config.mode!r} is not")
    settings = json.loads(raw)
    mine = {
        "images": config.images.model_dump(mode="json"),
        "resources": config.resources.model_dump(mode="json"),
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
    for key in ("trigger", "schedule", "rebase"):
        if getattr(config, key) is not None:
            raise ConfigError(
                f"{app}: {key} is set, but app_template renders the WorkflowTemplate only; "
                f"render the {key}'s objects with rbac.release_manifests from the full "
                "template (workflow_template), or drop it"
            )
    for key, is_set in (("sbom", config.sbom), ("sign", config.sign is not None)):
        if is_set:
            raise ConfigError(
                f"{app}: {key} is set, but library templates neither collect SBOMs nor sign "
                "(the cosign key and the SBOM artifact are per app); use workflow_template, "
                f"or drop {key}"
            )
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
    host = _url_host(source.url)
    if host not in (settings.get("git_hosts") or []):
        raise ConfigError(
            f"{app}: source.url is on {host!r}, where library {library.name!r} sends no git "
            f"credentials (git_hosts: {', '.join(settings.get('git_hosts') or []) or 'none'})"
        )


def _url_host(url: str) -> str:
    from urllib.parse import urlsplit

    if "://" in url:
        return (urlsplit(url).hostname or "").lower()
    return url.split(":", 1)[0].rsplit("@", 1)[-1].lower()  # scp-like user@host:path


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
