"""The build configuration: one app's build, as a validated pydantic model.

`BuildConfig` mirrors the YAML config file key for key (see DESIGN.md and
``docs/config.md``). Everything is validated where it is declared, so a bad value is
reported with its location (``source.revision``), the value and what is allowed. Secrets
appear only as references (Secret names), never as values.

The sections live in their own modules (`argo_buildpacks.model.source`, ``.builder``,
``.pods``, ``.release``, ``.rebase``); their classes are importable from here too, as
they always were.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, Field, field_validator, model_validator

from argo_buildpacks._kits import yaml_io
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model._base import Model, format_validation_error
from argo_buildpacks.model._fields import (
    AppName,
    EnvName,
    LabelKey,
    LabelValue,
    Namespace,
    SecretName,
    ServiceAccountName,
)
from argo_buildpacks.model.builder import BUILDER_PRESETS, DEFAULT_BUILDER, Builder
from argo_buildpacks.model.images import ImageRef
from argo_buildpacks.model.pods import (
    TTL,
    Images,
    Resources,
    ResourceSpec,
    Retries,
    Toleration,
    Workspace,
)
from argo_buildpacks.model.rebase import Rebase
from argo_buildpacks.model.release import Deploy, Schedule, Sign, Trigger
from argo_buildpacks.model.source import GitCredentials, GitSource
from argo_buildpacks.model.trust import RegistryTrust, trust_problem

__all__ = [
    "BUILDER_PRESETS",
    "DEFAULT_BUILDER",
    "TTL",
    "BuildConfig",
    "Builder",
    "GitCredentials",
    "GitSource",
    "Images",
    "ResourceSpec",
    "Resources",
    "Retries",
    "TagPolicy",
    "Toleration",
    "Workspace",
    "format_validation_error",
]


class TagPolicy(Model):
    """How a run's version becomes image tags."""

    from_git: bool = Field(
        False,
        description="Allow an empty tag parameter: derive it from `git describe` after the clone.",
    )
    floating: bool = Field(True, description="Also push MAJOR.MINOR and MAJOR for releases.")
    latest: bool = Field(False, description="Also push `latest` for releases.")
    allow_untagged: bool = Field(
        False, description="With from_git: a commit with no tag becomes 0.0.0-dev+g<sha>."
    )


def _image_name_only(value: ImageRef) -> ImageRef:
    if value.tag is not None or value.digest is not None:
        raise ValueError(
            f"image {str(value)!r} must have no tag or digest: the tag comes from the version "
            f"of each run (use {value.name!r})"
        )
    return value


class BuildConfig(Model):
    """The whole description of one app's build; loadable from YAML with `from_file`.

    >>> cfg = BuildConfig(name="app", source={"url": "https://github.com/acme/app.git"},
    ...                   image="ghcr.io/acme/app")
    >>> cfg.builder.uid, cfg.layout, cfg.mode
    (1001, 'single-pod', 'daemonless')
    """

    name: AppName = Field(
        description="WorkflowTemplate name (DNS-1123 label, at most 57 characters)."
    )
    namespace: Namespace = "argo"
    source: GitSource
    image: Annotated[ImageRef, AfterValidator(_image_name_only)] = Field(
        description="Image repository to push to, without a tag."
    )
    builder: Builder = Field(
        default_factory=lambda: Builder.from_image(DEFAULT_BUILDER),
        description="A known builder image name, or {image, uid, gid}. Pin a version tag or a "
        "digest: an unpinned builder is whichever 'latest' each node pulled first.",
    )
    buildpacks: list[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*(@[A-Za-z0-9._+-]+)?$")]
    ] = Field(
        default_factory=list,
        description="Buildpack ids (id or id@version) to use instead of the builder's order.",
    )
    env: dict[EnvName, str] = Field(
        default_factory=dict, description="Build-time environment (platform env files)."
    )
    cache_image: ImageRef | None = None
    run_image: ImageRef | None = None
    previous_image: ImageRef | None = Field(
        None, description="Image whose layers the export may reuse (e.g. IMAGE:latest)."
    )
    registry_secret: SecretName | None = Field(
        None, description="kubernetes.io/dockerconfigjson Secret used to push."
    )
    registry: RegistryTrust = Field(
        default_factory=RegistryTrust,
        description="A private CA for the registry and the registries reached over plain "
        "HTTP or unverified TLS (argo_buildpacks.model.trust).",
    )
    tag: TagPolicy = TagPolicy()
    creation_time: Literal["commit", "epoch", "now"] = "commit"
    layout: Literal["single-pod", "steps"] = "single-pod"
    mode: Literal["daemonless", "pack-dind", "pack-socket"] = "daemonless"
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    service_account: ServiceAccountName | None = Field(
        None, description="ServiceAccount of the pods."
    )
    node_selector: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Node labels the pods must match (label key: value)."
    )
    tolerations: list[Toleration] = Field(default_factory=list)
    resources: Resources = Resources()
    retries: Retries = Retries()
    workspace: Workspace = Workspace()
    active_deadline_seconds: int = Field(3600, ge=60, description="Whole-run deadline.")
    pod_gc: Literal[
        "OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"
    ] = "OnPodSuccess"
    ttl: TTL = TTL()
    mutex: bool = Field(True, description="Serialise builds of one image (shared cache).")
    images: Images = Images()
    overridable: list[Literal["repo", "image"]] = Field(
        default_factory=list,
        description="Workflow parameters besides tag and revision that a run may change "
        "(repo, image). Anything not listed is fixed when the template is installed.",
    )
    executor_service_account: ServiceAccountName | None = Field(
        None,
        description="ServiceAccount of Argo's executor (init/wait containers), which alone gets "
        "a service-account token; default: service_account, else '<name>-executor' (rendered "
        "with its token Secret and Role).",
    )
    executor_security: Literal["patch", "controller"] = Field(
        "patch",
        description="How Argo's init/wait containers get the restricted securityContext: "
        "'patch' (a podSpecPatch in the template) or 'controller' (the workflow-controller's "
        "executor.securityContext already sets it).",
    )
    # From tag push to production (argo_buildpacks.model.release): Argo Events trigger,
    # scheduled rebuilds, deploy after a successful build.
    trigger: Trigger = None
    schedule: Schedule = None
    deploy: Deploy = None
    # Keeping images patched (argo_buildpacks.model.rebase): rebase onto the current run
    # image on a schedule, rebuild when the builder changed.
    rebase: Rebase = None
    # Keeping images provable (argo_buildpacks.model.release): the buildpacks' SBOMs kept
    # with each run, the pushed digest signed and the SBOM attested with cosign.
    sbom: bool = Field(
        False,
        description="Keep the buildpacks' SBOMs (CycloneDX, SPDX, Syft) with each run as the "
        "output artifact 'sbom' of the push (needs an Argo artifact repository).",
    )
    sign: Sign = None

    @field_validator("builder", mode="before")
    @classmethod
    def _builder_from_string(cls, value: Any) -> Any:
        if isinstance(value, (str, ImageRef)):
            try:
                return Builder.from_image(value)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        if isinstance(value, Mapping) and set(value) == {"image"}:
            try:
                return Builder.from_image(str(value["image"]))
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("cache_image")
    @classmethod
    def _cache_no_digest(cls, value: ImageRef | None) -> ImageRef | None:
        if value is not None and value.digest is not None:
            raise ValueError(
                f"cache_image {str(value)!r} cannot be pinned by digest: it is written"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BuildConfig:
        if self.cache_image is not None and self.cache_image.name == self.image.name:
            raise ValueError(
                f"cache_image {str(self.cache_image)!r} must be a different repository than "
                f"image {str(self.image)!r}, or the cache overwrites the app's tags"
            )
        if self.sbom and self.mode != "daemonless":
            raise ValueError(
                f"sbom: true needs mode 'daemonless' (mode is {self.mode!r}): the SBOMs are "
                "collected by the export phase"
            )
        trust = trust_problem(self.registry, mode=self.mode, platform_api=self.builder.platform_api)
        if trust is not None:
            raise ValueError(trust)
        if self.mode != "daemonless" and self.tag.from_git:
            raise ValueError(
                f"tag.from_git needs mode 'daemonless': mode {self.mode!r} runs the pack image, "
                "which has no shell to read the derived tag"
            )
        return self

    @property
    def image_ref(self) -> ImageRef:
        """`image` (an alias kept for readability at call sites)."""
        return self.image

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> BuildConfig:
        """Validate a mapping (parsed YAML/JSON).

        Raises:
            ConfigError: listing every problem as ``<source>: <key.path>: <message>``.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: expected a mapping of config keys, got {type(data).__name__}"
            )
        if "apps" in data:
            # argo_buildpacks.model.monorepo reads these; say so instead of "unknown key".
            raise ConfigError(
                f"{source}: apps: a monorepo config (several apps of one repository) is read by "
                "Monorepo.from_file (argo_buildpacks.model.monorepo); 'argo-buildpacks render' "
                "takes it as it is"
            )
        return cls._validated(dict(data), source=source)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<yaml>") -> BuildConfig:
        """Parse and validate YAML text (one document).

        The text is read by the package's safe loader: duplicate keys, deep nesting,
        expanding aliases, NUL characters and lone surrogates are refused.

        Raises:
            ConfigError: ``text`` is not a str, not valid YAML, or the config is invalid.
        """
        if not isinstance(text, str):
            raise ConfigError(f"from_yaml: text must be a str, not {type(text).__name__}")
        data = yaml_io.load(text, source=source)
        if data is None:
            raise ConfigError(f"{source}: the file is empty")
        return cls.from_dict(data, source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> BuildConfig:
        """Load a config file (YAML).

        Raises:
            ConfigError: ``path`` is not a path, the file is missing, unreadable, not a
                regular file or too big, is not YAML, or any key is wrong (unknown keys are
                named, with the closest known key).
        """
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(
                f"from_file: path must be a str or os.PathLike, not {type(path).__name__}"
            )
        p = Path(path)
        text = yaml_io.read_file(p, what="config file")
        return cls.from_yaml(text, source=str(p))

    def to_yaml(self) -> str:
        """This config as YAML, in the config file's format."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        if "resources" in data:  # whole: an empty part left out would read back as the default
            data["resources"] = self.resources.model_dump(mode="json")
        return yaml.safe_dump(data, sort_keys=False)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the config file, for editors (``argo-buildpacks schema``)."""
        schema = cls.model_json_schema(mode="validation")
        # The file may name a known builder by image alone (resolved by Builder.from_image).
        builder = schema["properties"]["builder"]
        schema["properties"]["builder"] = {
            "description": builder.get("description", ""),
            "anyOf": [
                {"type": "string", "examples": sorted({repo for repo, _ in BUILDER_PRESETS})},
                {key: value for key, value in builder.items() if key != "description"},
            ],
        }
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", "argo-buildpacks build config")
        return schema
