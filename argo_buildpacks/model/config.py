"""The build configuration: one app's build, as a validated pydantic model.

`BuildConfig` mirrors the YAML config file key for key (see DESIGN.md and
``docs/config.md``). Everything is validated where it is declared, so a bad value is
reported with its location (``source.revision``), the value and what is allowed. Secrets
appear only as references (Secret names), never as values.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass

from argo_buildpacks._kits import names as v
from argo_buildpacks._kits.git import git_url_kind
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.images import ImageRef
from argo_buildpacks.model.rebase import RebaseConfig
from argo_buildpacks.model.release import Deploy, Schedule, Sign, Trigger

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
]

#: The default builder, pinned (Paketo publishes a version tag per release).
DEFAULT_BUILDER = "paketobuildpacks/builder-jammy-base:0.4.642"

Name = Annotated[str, AfterValidator(lambda s: v.dns_label(s, what="name", max_length=57))]
Namespace = Annotated[str, AfterValidator(lambda s: v.dns_label(s, what="namespace"))]
SecretName = Annotated[str, AfterValidator(lambda s: v.dns_subdomain(s, what="Secret name"))]
SecretKey = Annotated[str, AfterValidator(v.secret_key)]
EnvName = Annotated[str, AfterValidator(v.env_name)]
LabelKey = Annotated[str, AfterValidator(lambda s: v.label_key(s, what="label key"))]
LabelValue = Annotated[str, AfterValidator(lambda s: v.label_value(s, what="label value"))]


class _RaisesConfigError(ModelMetaclass):
    """Turns the constructor's ``ValidationError`` into `ConfigError`.

    On the metaclass, not in ``__init__``: pydantic calls a model's own ``__init__`` when it
    validates it as a nested field too, and the error must stay pydantic's there so that it
    keeps its location.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise _config_error(exc, cls.__name__, cast("type[BaseModel]", cls)) from None


class _Model(BaseModel, metaclass=_RaisesConfigError):
    """Frozen, no unknown keys; constructing or copying one raises `ConfigError`."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy; the fields in ``update`` are validated as the constructor validates them.

        Raises:
            ConfigError: an updated value is invalid (pydantic's own ``model_copy`` would
                store it unchecked).
        """
        if not update:
            return super().model_copy(deep=deep)
        if not isinstance(update, Mapping):
            raise ConfigError(f"model_copy: update must be a mapping, not {type(update).__name__}")
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise _config_error(exc, f"{type(self).__name__}.model_copy", type(self)) from None

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_or_surrogate(cls, value: Any) -> Any:
        # A NUL cannot reach a container's argument or environment, and a lone surrogate
        # cannot be encoded at all: refuse both where they are given (YAML goes through
        # _yaml, which refuses them too; this covers the Python API and the CLI's flags).
        for text, where in _strings(value, ""):
            where = f"{where.lstrip('.')}: " if where else ""
            if "\x00" in text:
                raise ValueError(f"{where}contains a NUL character")
            if any("\ud800" <= c <= "\udfff" for c in text):
                raise ValueError(f"{where}contains a lone surrogate, not a character")
        return value


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield value, where
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield key, where
            if not isinstance(item, BaseModel):
                yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if not isinstance(item, BaseModel):
                yield from _strings(item, f"{where}[{i}]")


def _config_error(exc: ValidationError, source: str, model: type[BaseModel]) -> ConfigError:
    return ConfigError(
        format_validation_error(exc, source=source, model=model),
        errors=[
            {"loc": tuple(e["loc"]), "msg": str(e["msg"]), "type": e["type"]}
            for e in exc.errors(include_url=False)
        ],
    )


class GitCredentials(_Model):
    """A reference to the Kubernetes Secret that lets the clone reach a private repository.

    Give exactly one of ``https_token_secret`` (a Secret with an access token under
    ``https_token_key``) or ``ssh_key_secret`` (a ``kubernetes.io/ssh-auth`` Secret with the
    private key under ``ssh-privatekey`` and the server's ``known_hosts``). The token is sent
    as an HTTP header, never put in a URL or written to ``.git/config``; host keys are
    always checked.
    """

    https_token_secret: SecretName | None = None
    https_token_key: SecretKey = "token"
    https_username: str = Field(
        "x-access-token",
        description="User name sent with the token (GitHub: x-access-token, GitLab: oauth2).",
        pattern=r"^[A-Za-z0-9._@-]+$",
    )
    ssh_key_secret: SecretName | None = None
    ssh_key_key: SecretKey = "ssh-privatekey"
    known_hosts_key: SecretKey = "known_hosts"

    @model_validator(mode="after")
    def _exactly_one(self) -> GitCredentials:
        if (self.https_token_secret is None) == (self.ssh_key_secret is None):
            raise ValueError("give exactly one of https_token_secret or ssh_key_secret")
        return self

    @property
    def kind(self) -> Literal["https", "ssh"]:
        """Which kind of credential this is."""
        return "https" if self.https_token_secret is not None else "ssh"


class GitSource(_Model):
    """Where the app's source comes from."""

    url: str = Field(description="https://, ssh://, git://, file:// or scp-like user@host:path")
    revision: Annotated[str, AfterValidator(v.git_revision)] = Field(
        "main", description="Branch, tag, HEAD or a full commit SHA."
    )
    depth: int | None = Field(
        1, ge=1, description="History depth fetched; null for the full history."
    )
    submodules: bool = False
    subpath: Annotated[str, AfterValidator(v.relative_path)] = Field(
        "", description="The app's directory inside the repository (monorepos)."
    )
    credentials: GitCredentials | None = None
    allow_any_sha: bool = Field(
        False,
        description="Let a run build any commit SHA; by default a SHA must be reachable from a "
        "branch or tag of the repository.",
    )
    allow_pull_requests: bool = Field(
        False,
        description="Let a run build pull/merge-request refs (refs/pull/N/head, "
        "refs/merge-requests/N/head): unreviewed code.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        git_url_kind(value)
        return value

    @model_validator(mode="after")
    def _credentials_fit_url(self) -> GitSource:
        kind = git_url_kind(self.url)
        if self.credentials is None:
            return self
        if self.credentials.kind == "https" and kind != "https":
            raise ValueError(
                f"https_token_secret needs an https:// URL, got {kind} URL {self.url!r}"
                + (" (a token is never sent over plain http)" if kind == "http" else "")
            )
        if self.credentials.kind == "ssh" and kind != "ssh":
            raise ValueError(f"ssh_key_secret needs an ssh URL, got {kind} URL {self.url!r}")
        return self


class Builder(_Model):
    """A buildpacks builder image and the uid/gid its lifecycle runs as.

    The uid/gid must match the builder's ``CNB_USER_ID``/``CNB_GROUP_ID``: the daemonless
    build runs every container as that user (never root), so a mismatch shows up as
    permission errors. Known builders are resolved by `from_image`; for any other
    builder give ``{image, uid, gid}``.
    """

    image: ImageRef
    uid: int = Field(ge=1, le=2_147_483_647, description="CNB_USER_ID; root (0) is refused.")
    gid: int = Field(ge=0, le=2_147_483_647, description="CNB_GROUP_ID.")
    platform_api: str = Field(
        "0.12",
        pattern=r"^0\.(?:[7-9]|1[0-9])$",
        description="CNB_PLATFORM_API; 0.12 is supported by lifecycle 0.17 through 0.20.",
    )

    @classmethod
    def from_image(cls, image: str | ImageRef) -> Builder:
        """The builder for a known image (any tag or digest), with its preset uid/gid.

        Raises:
            ConfigError: the image is not a known builder; the message lists the known ones.
        """
        ref = ImageRef.parse(str(image))
        preset = _preset_for(ref)
        if preset is None:
            known = ", ".join(sorted({k for k, _ in BUILDER_PRESETS}))
            raise ConfigError(
                f"builder {str(ref)!r} is not a known builder, so its uid/gid are unknown; give "
                "builder: {image: ..., uid: CNB_USER_ID, gid: CNB_GROUP_ID} "
                f"(known builders: {known})"
            )
        uid, gid = preset
        return cls(image=ref, uid=uid, gid=gid)


# (repository, tag prefix or "" for any) -> (CNB_USER_ID, CNB_GROUP_ID). Sources:
# - Paketo jammy/noble stacks: paketo-buildpacks/jammy-base-stack stack/stack.toml
#   ([build] uid = 1001, gid = 1000); the full, tiny and noble stacks use the same ids.
# - heroku/builder:24: heroku/base-images heroku-24-build/Dockerfile (CNB_USER_ID=1002,
#   CNB_GROUP_ID=1000); heroku/builder:22: heroku-22-cnb-build/Dockerfile (1000:1000).
# - gcr.io/buildpacks/builder: GoogleCloudPlatform/buildpacks stacks/google_22/build.Dockerfile
#   (cnb_uid=1000, cnb_gid=1000); google-24: stacks/google_24_full/build.Dockerfile (33:33).
_PAKETO = (1001, 1000)
_PRESET_TABLE: tuple[tuple[tuple[str, str], tuple[int, int]], ...] = (
    (("paketobuildpacks/builder-jammy-base", ""), _PAKETO),
    (("paketobuildpacks/builder-jammy-full", ""), _PAKETO),
    (("paketobuildpacks/builder-jammy-tiny", ""), _PAKETO),
    (("paketobuildpacks/builder-jammy-buildpackless-base", ""), _PAKETO),
    (("paketobuildpacks/builder-noble-java-tiny", ""), _PAKETO),
    (("paketobuildpacks/ubuntu-noble-builder", ""), _PAKETO),
    (("paketobuildpacks/ubuntu-noble-builder-buildpackless", ""), _PAKETO),
    (("heroku/builder", "24"), (1002, 1000)),
    (("heroku/builder", "22"), (1000, 1000)),
    (("gcr.io/buildpacks/builder", "google-24"), (33, 33)),
    (("gcr.io/buildpacks/builder", "google-22"), (1000, 1000)),
    (("gcr.io/buildpacks/builder", "v1"), (1000, 1000)),
)
#: The known builders: ``(repository, tag)`` (``""`` = any tag) -> ``(uid, gid)``.
BUILDER_PRESETS: tuple[tuple[str, str], ...] = tuple(k for k, _ in _PRESET_TABLE)


def _preset_for(ref: ImageRef) -> tuple[int, int] | None:
    name = ref.name
    for prefix in ("docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    for (repo, tag), ids in _PRESET_TABLE:
        if name == repo and (not tag or (ref.tag or "") == tag):
            return ids
    return None


class TagPolicy(_Model):
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


class ResourceSpec(_Model):
    """Kubernetes resource requests and limits of one container (``cpu``, ``memory``...)."""

    requests: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)

    @field_validator("requests", "limits")
    @classmethod
    def _quantities(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for key, qty in value.items():
            if not re.fullmatch(r"[a-z0-9A-Z./-]+", key, re.ASCII):
                raise ValueError(f"resource name {key!r} is invalid")
            # ASCII digits only: Python's \d also matches the digits of other scripts.
            if not re.fullmatch(
                r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[mun]|k)?", qty
            ):
                raise ValueError(
                    f"{key}: {qty!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 4Gi)"
                )
        return value


class Resources(_Model):
    """Resources per container. The build is what needs memory; the rest is small."""

    build: ResourceSpec = ResourceSpec(
        requests={"cpu": "1", "memory": "2Gi"}, limits={"memory": "4Gi"}
    )
    clone: ResourceSpec = ResourceSpec(
        requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "512Mi"}
    )
    tag_check: ResourceSpec = ResourceSpec(
        requests={"cpu": "10m", "memory": "16Mi"}, limits={"cpu": "200m", "memory": "64Mi"}
    )


class Retries(_Model):
    """Bounded retries for what fails transiently: fetching the source and pushing the image."""

    clone: int = Field(3, ge=0, le=10, description="Extra fetch attempts inside the clone.")
    push: int = Field(2, ge=0, le=10, description="Extra attempts of the build/push step.")


AccessMode = Literal["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]


def _read_write_once() -> list[AccessMode]:
    return ["ReadWriteOnce"]


class Workspace(_Model):
    """The steps layout's shared workspace: a volume claim made per run (deleted with it).

    Every build has its own directory on it (``/workspace/<name>``). Size it for the clone,
    the lifecycle's layers and what the buildpacks download; ``ReadWriteMany`` (with a
    storage class that offers it) lets the step pods run on different nodes.
    """

    size: str = Field("2Gi", description="Requested storage (a Kubernetes quantity: 2Gi, 500Mi).")
    storage_class: str | None = Field(
        None, description="StorageClass of the claim; null: the cluster's default class."
    )
    access_modes: list[AccessMode] = Field(
        default_factory=_read_write_once,
        min_length=1,
        description="Access modes of the claim (ReadWriteOnce: every step pod on one node).",
    )

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"[1-9][0-9]*(\.[0-9]+)?([KMGTPE]i?|k)?", value):
            raise ValueError(
                f"workspace size {value!r} is not a positive Kubernetes quantity "
                "(e.g. 2Gi, 500Mi, 10G)"
            )
        return value

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None:
            v.dns_subdomain(value, what="storage class")
        return value

    @field_validator("access_modes")
    @classmethod
    def _unique(cls, value: list[AccessMode]) -> list[AccessMode]:
        if len(set(value)) != len(value):
            raise ValueError(f"access_modes {value!r} lists a mode twice")
        return value


class TTL(_Model):
    """How long finished runs are kept (Argo ``ttlStrategy``), in seconds."""

    after_success: int | None = Field(86_400, ge=0)
    after_failure: int | None = Field(7 * 86_400, ge=0)


class Toleration(_Model):
    """A Kubernetes toleration for the build pods."""

    key: str | None = None
    operator: Literal["Exists", "Equal"] = "Equal"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _as_kubernetes_validates(self) -> Toleration:
        # Kubernetes' validateTolerations (pkg/apis/core/validation).
        if self.key:
            v.label_key(self.key, what="toleration key")
        elif self.operator != "Exists":
            raise ValueError(
                "operator must be 'Exists' when key is empty (which matches every taint), "
                f"not {self.operator!r}"
            )
        if self.operator == "Exists" and self.value:
            raise ValueError(f"value must be empty when operator is 'Exists', not {self.value!r}")
        if self.operator == "Equal" and self.value:
            v.label_value(self.value, what="toleration value")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError(
                f"effect must be 'NoExecute' when toleration_seconds is set, not {self.effect!r}"
            )
        return self


class Images(_Model):
    """The helper images, pinned. Override to use a mirror or a digest."""

    # v2.49.1: git 2.49.1 fixes CVE-2025-48384 (submodule paths with a trailing CR).
    git: ImageRef = ImageRef.parse("alpine/git:v2.49.1")
    shell: ImageRef = ImageRef.parse("busybox:1.37.0")
    pack: ImageRef = ImageRef.parse("buildpacksio/pack:0.38.2")
    dind: ImageRef = ImageRef.parse("docker:28.5-dind")
    #: Reads image configs for the rebase's decision (a busybox shell at /busybox/sh).
    crane: ImageRef = ImageRef.parse("gcr.io/go-containerregistry/crane/debug:v0.20.6")


def _image_name_only(value: ImageRef) -> ImageRef:
    if value.tag is not None or value.digest is not None:
        raise ValueError(
            f"image {str(value)!r} must have no tag or digest: the tag comes from the version "
            f"of each run (use {value.name!r})"
        )
    return value


class BuildConfig(_Model):
    """The whole description of one app's build; loadable from YAML with `from_file`.

    >>> cfg = BuildConfig(name="app", source={"url": "https://github.com/acme/app.git"},
    ...                   image="ghcr.io/acme/app")
    >>> cfg.builder.uid, cfg.layout, cfg.mode
    (1001, 'single-pod', 'daemonless')
    """

    name: Name = Field(description="WorkflowTemplate name (DNS-1123 label, at most 57 characters).")
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
    tag: TagPolicy = TagPolicy()
    creation_time: Literal["commit", "epoch", "now"] = "commit"
    layout: Literal["single-pod", "steps"] = "single-pod"
    mode: Literal["daemonless", "pack-dind", "pack-socket"] = "daemonless"
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    service_account: SecretName | None = Field(None, description="ServiceAccount of the pods.")
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
    executor_service_account: SecretName | None = Field(
        None,
        description="ServiceAccount of Argo's executor (init/wait containers), which alone gets "
        "a service-account token; default: service_account, else 'default'.",
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
    rebase: RebaseConfig | None = None
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
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise _config_error(exc, source, cls) from None

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<yaml>") -> BuildConfig:
        """Parse and validate YAML text (one document).

        The text is read by the package's safe loader: duplicate keys, deep nesting,
        expanding aliases, NUL characters and lone surrogates are refused.

        Raises:
            ConfigError: ``text`` is not a str, not valid YAML, or the config is invalid.
        """
        from argo_buildpacks._kits import yaml_io as _yaml

        if not isinstance(text, str):
            raise ConfigError(f"from_yaml: text must be a str, not {type(text).__name__}")
        data = _yaml.load(text, source=source)
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
        import os

        from argo_buildpacks._kits import yaml_io as _yaml

        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(
                f"from_file: path must be a str or os.PathLike, not {type(path).__name__}"
            )
        p = Path(path)
        text = _yaml.read_file(p, what="config file")
        return cls.from_yaml(text, source=str(p))

    def to_yaml(self) -> str:
        """This config as YAML, in the config file's format."""
        import yaml

        return yaml.safe_dump(self.model_dump(mode="json", exclude_defaults=True), sort_keys=False)

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


def _model_at(
    loc: tuple[int | str, ...], root: type[BaseModel] | None = None
) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for "did you mean" on unknown keys)."""
    model: Any = root or BuildConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def format_validation_error(
    exc: ValidationError, *, source: str, model: type[BaseModel] | None = None
) -> str:
    """Turn a pydantic error into one line per problem: ``source: key.path: message``.

    Args:
        exc: the error.
        source: what the lines start with (a file name, ``BuildConfig``...).
        model: the model validated (for "did you mean"); `BuildConfig` by default.
    """
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc if p != "[key]") or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1], model)
            key = str(loc[-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            lines.append(
                f"{source}: {path}: unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
            )
            continue
        msg = str(err["msg"])
        msg = msg.removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] == "missing":
            lines.append(f"{source}: {path}: required key is missing")
        elif loc and loc[-1] == "url":  # may hold a credential: the message shows it redacted
            lines.append(f"{source}: {path}: {msg}")
        elif isinstance(given, (str, int, float, bool)) and repr(given) not in msg:
            lines.append(f"{source}: {path}: {msg} (got {given!r})")
        else:
            lines.append(f"{source}: {path}: {msg}")
    return "\n".join(lines)
