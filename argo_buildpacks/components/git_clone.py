"""The git clone: one revision of the source, shallow, into the shared workspace.

Runs ``scripts/git_clone.sh`` in a pinned ``alpine/git`` image as the builder's uid. Git
credentials come from their Secret, mounted read-only as files: the token travels as an HTTP
header scoped to the configured repository's URL, with redirects off; the SSH key with strict
host key checking; neither is put in a URL, printed, or left in ``.git/config``.
"""

from __future__ import annotations

from hera.workflows import Container, Parameter
from hera.workflows.models import SecretVolumeSource, ValueFrom, Volume, VolumeMount

from argo_buildpacks.components import _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.config import Builder, GitSource, Images, Resources, ResourceSpec
from argo_buildpacks.images import ImageRef

__all__ = ["CLONE_OUTPUTS", "GIT_SECRET_DIR", "git_clone", "git_secret_volume"]

GIT_SECRET_DIR = "/var/run/secrets/argo-buildpacks/git"
GIT_SECRET_VOLUME = "git-credentials"

#: Output parameter -> file written by the script.
CLONE_OUTPUTS = {
    "commit": f"{_pod.OUT_DIR}/commit",
    "commit-epoch": f"{_pod.OUT_DIR}/commit-epoch",
}


def git_secret_volume(source: GitSource) -> Volume | None:
    """The volume holding the source's git credentials, or ``None`` for a public repo."""
    creds = source.credentials
    if creds is None:
        return None
    # GitCredentials guarantees exactly one of the two.
    secret = creds.https_token_secret or creds.ssh_key_secret or ""
    # 0440: readable by the builder's group (fsGroup), not by others.
    return Volume(
        name=GIT_SECRET_VOLUME,
        secret=SecretVolumeSource(secret_name=secret, default_mode=0o440),
    )


def git_clone(
    source: GitSource,
    *,
    builder: Builder,
    describe: bool = False,
    image: ImageRef | str | None = None,
    retries: int = 3,
    name: str | None = None,
    resources: ResourceSpec | None = None,
    repo_overridable: bool = False,
    out_volume: bool = False,
) -> Container:
    """A container template that fetches ``source.url`` (or, where a run may override it,
    ``{{inputs.parameters.repo}}``) at ``{{inputs.parameters.revision}}`` into
    ``/workspace/src``.

    A run's revision may name a branch or a tag; a commit SHA only when a branch or tag
    reaches it (unless ``source.allow_any_sha``); pull/merge-request refs only with
    ``source.allow_pull_requests``. The in-cluster script enforces this: runs bypass Python.

    Args:
        source: url, depth, submodules, subpath, credentials and the revision policy
            (``revision`` is the default of the ``revision`` input).
        builder: the uid/gid the container runs as.
        describe: also fetch tags and the blob-less history, and write the output of
            ``git describe --tags --long --always`` (for deriving the version from git).
        image: a git image with a POSIX shell (default: the pinned ``Images().git``).
        retries: extra fetch attempts on transient network failures.
        name: the template/container name (default: ``git-clone-<hash>`` of the arguments).
        resources: requests/limits (default: ``Resources().clone``).
        repo_overridable: add a ``repo`` input a run may set; the token still goes only to
            ``source.url``.
        out_volume: write the outputs to the trusted ``out`` volume (the single-pod layout's).

    Inputs: ``revision`` (and ``repo`` when overridable). Outputs: ``commit`` (full SHA),
    ``commit-epoch`` (committer date, seconds), and ``describe`` when ``describe``. The
    credentials' Secret volume is declared on the template; the workspace volume is the
    caller's (``workflow_template`` declares it).
    """
    creds = source.credentials
    auth = "none" if creds is None else creds.kind
    values: dict[str, str | None] = {
        "REPO": "{{inputs.parameters.repo}}" if repo_overridable else source.url,
        "REVISION": "{{inputs.parameters.revision}}",
        "ALLOW_ANY_SHA": "true" if source.allow_any_sha else "false",
        "ALLOW_PULL_REQUESTS": "true" if source.allow_pull_requests else "false",
        "DEPTH": str(source.depth or 0),
        "SUBMODULES": "true" if source.submodules else "false",
        "SUBPATH": source.subpath,
        "WORKSPACE": _pod.WORKSPACE,
        "OUT_DIR": _pod.OUT_DIR,
        "DESCRIBE": "true" if describe else "false",
        "RETRIES": str(retries),
        "AUTH": auth,
    }
    mounts = [_pod.workspace_mount()]
    if out_volume:
        mounts.append(_pod.out_mount())
    if creds is not None:
        mounts.append(
            VolumeMount(name=GIT_SECRET_VOLUME, mount_path=GIT_SECRET_DIR, read_only=True)
        )
        if creds.kind == "https":
            values.update(
                GIT_TOKEN_FILE=f"{GIT_SECRET_DIR}/{creds.https_token_key}",
                GIT_USERNAME=creds.https_username,
                AUTH_URL=source.url,
            )
        else:
            values.update(
                SSH_KEY_FILE=f"{GIT_SECRET_DIR}/{creds.ssh_key_key}",
                KNOWN_HOSTS_FILE=f"{GIT_SECRET_DIR}/{creds.known_hosts_key}",
            )
    outputs = dict(CLONE_OUTPUTS)
    if describe:
        outputs["describe"] = f"{_pod.OUT_DIR}/describe"
    return Container(
        name=name
        or _pod.default_name(
            "git-clone", source, builder, describe, image, retries, repo_overridable
        ),
        image=_pod.image(image or Images().git),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("git_clone.sh"), "git-clone"],
        env=_pod.env(values),
        inputs=[
            *([Parameter(name="repo", default=source.url)] if repo_overridable else []),
            Parameter(name="revision", default=source.revision),
        ],
        outputs=[Parameter(name=k, value_from=ValueFrom(path=p)) for k, p in outputs.items()],
        volume_mounts=mounts,
        volumes=[v for v in [git_secret_volume(source)] if v is not None] or None,
        security_context=_pod.container_security(builder),
        resources=_pod.resources(resources or Resources().clone),
    )
