"""Where an app's source comes from: the repository, the revision, and the reference to the
Secret that lets the clone reach a private repository (never the secret itself)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from argo_buildpacks._kits.git import credential_url_problem, git_url_kind, redact
from argo_buildpacks.model._base import Model
from argo_buildpacks.model._fields import GitRevision, RepoPath, SecretKey, SecretName
from argo_buildpacks.model.trust import CaBundle

__all__ = ["GitCredentials", "GitSource"]


class GitCredentials(Model):
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


class GitSource(Model):
    """Where the app's source comes from."""

    url: str = Field(description="https://, ssh://, git://, file:// or scp-like user@host:path")
    revision: GitRevision = Field("main", description="Branch, tag, HEAD or a full commit SHA.")
    depth: int | None = Field(
        1, ge=1, description="History depth fetched; null for the full history."
    )
    submodules: bool = False
    subpath: RepoPath = Field(
        "", description="The app's directory inside the repository (monorepos)."
    )
    credentials: GitCredentials | None = None
    ca: CaBundle | None = Field(
        None,
        description="A CA bundle (Secret or ConfigMap key) the clone trusts besides the git "
        "image's own roots: a git server with a private CA.",
    )
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
                f"https_token_secret needs an https:// URL, got {kind} URL {redact(self.url)!r}"
                + (" (a token is never sent over plain http)" if kind == "http" else "")
            )
        if self.credentials.kind == "ssh" and kind != "ssh":
            raise ValueError(
                f"ssh_key_secret needs an ssh URL, got {kind} URL {redact(self.url)!r}"
            )
        # Credentials go only to a URL that git, curl and the host checks read alike.
        problem, _ = credential_url_problem(self.url, self.credentials.kind)
        if problem is not None:
            raise ValueError(
                f"url {redact(self.url)!r} {problem}; credentials are sent only for "
                + ("https://HOST[:PORT]/PATH" if self.credentials.kind == "https" else "ssh")
                + " URLs with a lower-case host name and plain path segments"
            )
        return self
