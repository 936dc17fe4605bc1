"""The release sections of the config file: ``trigger``, ``schedule`` and ``deploy``.

They describe the road from a pushed git tag to a running app (DESIGN.md, "From tag push
to production"):

- `TriggerConfig`: an Argo Events EventSource and Sensor that submit the app's
  WorkflowTemplate when a matching tag (or, optionally, a listed branch) is pushed.
- ``schedule``: a cron expression; a CronWorkflow rebuilds the source revision with the
  version from git, so images pick up patched run images and buildpacks.
- `DeployConfig`: after a successful build, roll the pushed digest out, either by
  patching one container of one Deployment (`KubernetesDeploy`) or by committing it
  to a GitOps repository (`GitOpsDeploy`).

Every Secret appears by name only. Checks that need the rest of the config (branch builds
and schedules need ``tag.from_git``; the repository must be one the provider can name) run
as validators of the `argo_buildpacks.model.config.BuildConfig` fields, so errors are
located (``trigger.branches``) like every other config error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from argo_buildpacks._kits.git import git_revision, git_url_kind, redact, relative_path
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model._base import Model
from argo_buildpacks.model._fields import (
    CronSchedule,
    DnsLabel,
    DnsSubdomain,
    SecretKey,
    SecretName,
    ServiceAccountName,
)
from argo_buildpacks.model.tags import SemverTag

__all__ = [
    "Deploy",
    "DeployConfig",
    "GitOpsDeploy",
    "KubernetesDeploy",
    "Schedule",
    "Sign",
    "SignConfig",
    "Trigger",
    "TriggerConfig",
    "release_arguments",
    "repository_path",
    "tag_pattern_regex",
]

# A tag glob: git-tag characters plus the wildcards * and ?. Kept narrow so that its
# translation to a (Go RE2 and Python) regular expression is exact and obvious.
_TAG_GLOB = re.compile(r"[A-Za-z0-9._+*?-]{1,128}")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]{1,200}")
_ENDPOINT = re.compile(r"/[A-Za-z0-9._/-]{0,200}")
_YAML_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,15}")


def _tag_glob(value: str) -> str:
    if not _TAG_GLOB.fullmatch(value):
        raise ValueError(
            f"tag pattern {value!r} is not allowed: use letters, digits, '.', '_', '+', '-' and "
            "the wildcards '*' (any characters) and '?' (one character), e.g. 'v*'"
        )
    return value


def _branch(value: str) -> str:
    if not _BRANCH.fullmatch(value):
        raise ValueError(
            f"branch {value!r} is not allowed: use letters, digits, '.', '_', '-' and '/'"
        )
    try:
        return git_revision(value)
    except ValueError as exc:
        raise ValueError(str(exc).replace("revision", "branch", 1)) from None


def tag_pattern_regex(glob: str) -> str:
    """The anchored regular expression (valid in Go RE2 and Python) for a tag glob.

    ``*`` matches any run of characters except ``/``, ``?`` one such character; everything
    else is literal. ``"v*"`` becomes ``^v[^/]*$``.
    """
    out = []
    for ch in _tag_glob(glob):
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch in ".+":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "^" + "".join(out) + "$"


def repository_path(url: str) -> str:
    """``owner/name`` (GitHub) or ``group/sub/project`` (GitLab) from a repository URL.

    Raises:
        ValueError: the URL has no such path (e.g. a ``file://`` URL).
    """
    kind = git_url_kind(url)
    if kind in {"https", "http", "ssh", "git"} and "://" in url:
        path = urlsplit(url).path
    elif kind == "ssh":  # scp-like user@host:path
        path = url.split(":", 1)[1]
    else:
        raise ValueError(f"repository URL {url!r} names no hosted repository (owner/name)")
    path = path.strip("/").removesuffix(".git")
    if path.count("/") < 1 or not re.fullmatch(r"[A-Za-z0-9._/-]+", path):
        raise ValueError(f"repository URL {url!r} does not end in owner/name")
    return path


def _https_url(value: str) -> str:
    # The message shows the URL redacted: a token pasted into it must not reach a log.
    parts = urlsplit(value)
    shown = redact(value)
    if parts.scheme != "https" or not parts.netloc or "@" in value:
        raise ValueError(f"{shown!r} must be an https:// URL without credentials")
    if any(ord(c) <= 0x20 for c in value):
        raise ValueError(f"{shown!r} contains whitespace or control characters")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError(f"{shown!r} has an invalid port") from None
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


class TriggerConfig(Model):
    """Build when a matching git tag is pushed to this repository (Argo Events).

    The pushed tag is both the version (``tag``) and the revision: ``refs/tags/v1.4.2``
    submits ``tag=v1.4.2, revision=v1.4.2``; the in-cluster tag check still decides
    whether it is a valid version. Branch builds (``branches``) submit ``tag=""`` and the
    branch as revision, so they need ``tag.from_git``.
    """

    provider: Literal["github", "gitlab", "webhook"] = Field(
        description="github | gitlab | webhook (a generic JSON webhook: {ref, repository})."
    )
    tags: Annotated[str, AfterValidator(_tag_glob)] = Field(
        "v*", description="Tag pattern: '*' any characters but '/', '?' one character."
    )
    branches: list[Annotated[str, AfterValidator(_branch)]] = Field(
        default_factory=list,
        description="Branches whose pushes build with the version from git (tag.from_git).",
    )
    webhook_secret: SecretName = Field(
        description="Secret holding the webhook secret (GitHub HMAC secret, GitLab token, or "
        "the generic webhook's bearer token); fixed at install."
    )
    webhook_secret_key: SecretKey = "secret"
    access_token_secret: SecretName | None = Field(
        None,
        description="GitLab only (required): Secret with an API token that may manage the "
        "project's webhooks. Argo Events v1.9 checks the X-Gitlab-Token header only for "
        "webhooks it manages itself.",
    )
    access_token_key: SecretKey = "token"
    webhook_url: HttpsUrl | None = Field(
        None,
        description="GitLab only (required): the public https URL of the EventSource's "
        "endpoint, registered as the project's webhook.",
    )
    gitlab_url: HttpsUrl | None = Field(
        None, description="GitLab base URL (default: the origin of source.url)."
    )
    endpoint: Annotated[str, Field(pattern=f"^{_ENDPOINT.pattern}$")] = "/push"
    port: int = Field(12000, ge=1024, le=65535)
    event_bus: DnsSubdomain = Field("default", description="The EventBus to publish on.")
    service_account: ServiceAccountName | None = Field(
        None, description="The Sensor's ServiceAccount (default: <name>-sensor)."
    )

    @model_validator(mode="after")
    def _provider_fields(self) -> TriggerConfig:
        if self.provider == "gitlab":
            missing = [
                key for key in ("access_token_secret", "webhook_url") if getattr(self, key) is None
            ]
            if missing:
                raise ValueError(
                    f"provider 'gitlab' needs {' and '.join(missing)}: Argo Events v1.9 checks "
                    "the webhook token (X-Gitlab-Token) only for webhooks it registers itself, "
                    "which takes an API token and the endpoint's public URL; without them any "
                    "request would be accepted"
                )
        else:
            extra = [
                key
                for key in ("access_token_secret", "webhook_url", "gitlab_url")
                if getattr(self, key) is not None
            ]
            if extra:
                raise ValueError(
                    f"{', '.join(extra)} apply to provider 'gitlab' only "
                    f"(provider is {self.provider!r})"
                )
        return self


class KubernetesDeploy(Model):
    """Set one container of one Deployment to the built digest and wait for its rollout."""

    namespace: DnsLabel
    deployment: DnsSubdomain
    container: DnsLabel
    service_account: ServiceAccountName | None = Field(
        None, description="ServiceAccount of the deploy pod (default: <name>-deploy)."
    )
    timeout_seconds: int = Field(600, ge=30, le=3600, description="Rollout wait.")
    image: str = Field(
        "registry.k8s.io/kubectl:v1.32.9",
        description="kubectl image (no shell needed: kubectl runs with arguments only).",
    )


class GitOpsCredentials(Model):
    """The token that may push to the GitOps repository (a Secret reference)."""

    https_token_secret: SecretName
    https_token_key: SecretKey = "token"
    https_username: Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]+$")] = "x-access-token"


class GitOpsDeploy(Model):
    """Commit the built image reference to a GitOps repository and push it.

    ``path`` is a kustomization (its ``images:`` entry for the app's image gets
    ``newName`` and ``digest``) unless ``yaml_path`` is given: then that dotted key path of a
    plain YAML file (e.g. Helm values ``image.digest``) is set to the ``value``.
    """

    repo: str = Field(description="https:// (or file:// for tests) URL of the GitOps repo.")
    path: str = Field(description="File to update, relative to the repository root.")
    branch: Annotated[str, AfterValidator(_branch)] = "main"
    credentials: GitOpsCredentials | None = None
    yaml_path: Annotated[str, Field(pattern=f"^{_YAML_PATH.pattern}$")] | None = Field(
        None, description="Dotted key path of a scalar to set (Helm values), e.g. image.digest."
    )
    value: Literal["reference", "digest"] = Field(
        "reference", description="With yaml_path: the full image@sha256:... or the digest only."
    )
    image_name: str | None = Field(
        None, description="Kustomization images[].name to update (default: the app's image)."
    )
    author_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9 ._-]{1,64}$")] = "argo-buildpacks"
    author_email: Annotated[str, Field(pattern=r"^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$")] = (
        "argo-buildpacks@localhost"
    )
    retries: int = Field(5, ge=0, le=20, description="Push attempts after a concurrent push.")
    image: str = Field(
        "alpine/git:v2.47.2", description="Image with git and a POSIX shell (busybox awk)."
    )

    @model_validator(mode="after")
    def _check(self) -> GitOpsDeploy:
        kind = git_url_kind(self.repo)
        if kind not in {"https", "file"}:
            raise ValueError(f"gitops repo {self.repo!r} must be an https:// URL (got {kind})")
        if self.credentials is not None and kind != "https":
            raise ValueError("gitops credentials need an https:// repo URL")
        rel = relative_path(self.path, what="gitops path")
        if not rel:
            raise ValueError("gitops path is empty: name the file to update")
        if self.yaml_path is None and rel.rsplit("/", 1)[-1] not in {
            "kustomization.yaml",
            "kustomization.yml",
            "Kustomization",
        }:
            raise ValueError(
                f"gitops path {self.path!r} is not a kustomization.yaml: give yaml_path "
                "(e.g. image.digest) to update another YAML file"
            )
        if self.image_name is not None and not re.fullmatch(
            r"[a-z0-9][a-z0-9._/:-]*", self.image_name
        ):
            raise ValueError(f"image_name {self.image_name!r} is not an image name")
        return self


class DeployConfig(Model):
    """Where a successful build goes: exactly one of ``kubernetes`` or ``gitops``."""

    kubernetes: KubernetesDeploy | None = None
    gitops: GitOpsDeploy | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DeployConfig:
        if (self.kubernetes is None) == (self.gitops is None):
            raise ValueError("give exactly one of deploy.kubernetes or deploy.gitops")
        return self


#: cosign, pinned. The ``-dev`` variant is the same release with a busybox shell, which the
#: signing script needs (the plain image is distroless: cosign alone).
COSIGN_IMAGE = "ghcr.io/sigstore/cosign/cosign:v2.6.1-dev"


class SignConfig(Model):
    """Sign the pushed digest (and, with ``sbom: true``, attest its SBOMs) with cosign.

    The key is a Secret fixed when the template is installed (as ``cosign
    generate-key-pair k8s://NAMESPACE/NAME`` writes it: keys ``cosign.key``,
    ``cosign.password`` and ``cosign.pub``). The private key is mounted only in the signing
    container, which runs no app code; the rebase's verify container gets the public key
    only.
    """

    cosign_key_secret: SecretName = Field(
        description="Secret holding the cosign private key and its password (name only)."
    )
    key: SecretKey = Field("cosign.key", description="Key of the private key in the Secret.")
    password_key: SecretKey = Field(
        "cosign.password", description="Key of the key's password in the Secret."
    )
    public_key: SecretKey = Field(
        "cosign.pub",
        description="Key of the public key in the Secret (cosign generate-key-pair k8s:// "
        "writes it): the rebase verifies the image's signature with it before trusting "
        "its metadata.",
    )
    tlog_upload: bool = Field(
        False,
        description="Also record the signatures in the Rekor transparency log (public: the "
        "image name and digest become public). Off by default: verify with --insecure-ignore-tlog.",
    )
    image: str = Field(
        COSIGN_IMAGE,
        pattern=r"^[a-z0-9][a-z0-9._/:@-]*$",
        description="cosign image with a POSIX shell (the -dev variant of cosign's release).",
    )


def _from_git(info: ValidationInfo) -> bool | None:
    tag = info.data.get("tag")
    return None if tag is None else bool(getattr(tag, "from_git", False))


def _trigger_fits(value: TriggerConfig | None, info: ValidationInfo) -> TriggerConfig | None:
    if value is None:
        return value
    if value.branches and _from_git(info) is False:
        raise ValueError(
            f"trigger.branches {value.branches} need tag.from_git: true: a branch push has no "
            "version of its own, so the build derives it from `git describe`; set "
            "tag: {from_git: true} or remove the branches"
        )
    source = info.data.get("source")
    if source is not None and value.provider in {"github", "gitlab"}:
        repository_path(source.url)  # raises ValueError naming the URL
    return value


def _schedule_needs_from_git(value: str | None, info: ValidationInfo) -> str | None:
    if value is not None and _from_git(info) is False:
        raise ValueError(
            f"schedule {value!r} needs tag.from_git: true: a scheduled rebuild has no pushed "
            "tag, so its version must come from `git describe` (a fixed tag would overwrite "
            "the same version on every run); set tag: {from_git: true}"
        )
    return value


#: ``BuildConfig.trigger``: a `TriggerConfig` checked against ``tag`` and ``source``.
Trigger = Annotated[TriggerConfig | None, AfterValidator(_trigger_fits)]
#: ``BuildConfig.schedule``: a cron expression; needs ``tag.from_git``.
Schedule = Annotated[CronSchedule | None, AfterValidator(_schedule_needs_from_git)]
#: ``BuildConfig.deploy``.
Deploy = DeployConfig | None
#: ``BuildConfig.sign``.
Sign = SignConfig | None


def release_arguments(
    release: str,
    *,
    tag: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """``tag`` and ``revision`` of a run from one git tag: ``"v1.4.2"`` builds the commit
    the git tag ``v1.4.2`` names (revision ``refs/tags/v1.4.2``: never a branch of that
    name), as version ``1.4.2``.

    Args:
        release: the git tag (a SemVer version, one leading ``v`` allowed).
        tag: a version also given separately: must be the same version.
        parameters: further parameters; a ``revision`` among them must be ``release`` or
            ``refs/tags/<release>``.

    Returns:
        The version (normalised, as the ``tag`` parameter) and the parameters with
        ``revision`` set to ``refs/tags/<release>``.

    Raises:
        TagError: ``release`` is not a SemVer version.
        ConfigError: ``tag`` or ``revision`` conflicts with ``release``, or ``release`` is
            not a valid git tag name.
    """
    version = SemverTag.parse(release)
    try:
        git_revision(release)
    except ValueError as exc:
        raise ConfigError(f"release {release!r}: {exc}") from None
    if tag is not None and str(SemverTag.parse(tag)) != str(version):
        raise ConfigError(
            f"release {release!r} is version {version} but tag {tag!r} was also given; "
            "give --release alone (it sets both tag and revision)"
        )
    params = dict(parameters or {})
    if "tag" in params and str(SemverTag.parse(params["tag"])) != str(version):
        raise ConfigError(
            f"release {release!r} is version {version} but parameter tag={params['tag']!r} "
            "was also given; give the release alone"
        )
    params.pop("tag", None)
    ref = f"refs/tags/{release}"
    if params.get("revision", ref) not in (release, ref):
        raise ConfigError(
            f"release {release!r} builds the git tag {ref!r} but revision="
            f"{params['revision']!r} was also given; give the release alone"
        )
    params["revision"] = ref
    return str(version), params
