"""The git clone: one revision of the source, shallow, into the shared workspace.

Runs ``scripts/git_clone.sh`` in a pinned ``alpine/git`` image as the builder's uid. Git
credentials come from their Secret, mounted read-only as files: the token travels as an HTTP
header scoped to the configured repository's URL, with redirects off; the SSH key with strict
host key checking; neither is put in a URL, printed, or left in ``.git/config``.
"""

from __future__ import annotations

from hera.workflows import Container, Parameter
from hera.workflows.models import (
    SecretVolumeSource,
    ValueFrom,
    Volume,
    VolumeMount,
)

from argo_buildpacks.components import _ca, _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import (
    BuildConfig,
    Builder,
    GitSource,
    Images,
    Resources,
    ResourceSpec,
    Retries,
)
from argo_buildpacks.model.images import ImageRef

__all__ = [
    "CLONE_OUTPUT_NAMES",
    "GIT_SECRET_DIR",
    "RUN_TIME_CREDENTIALS",
    "clone_script",
    "git_clone",
    "git_secret_volume",
]

GIT_SECRET_DIR = "/var/run/secrets/argo-buildpacks/git"
GIT_SECRET_VOLUME = "git-credentials"

#: The outputs, each a file of the same name in the build's ``out`` directory.
CLONE_OUTPUT_NAMES = ("commit", "commit-epoch")


#: The clone script's parts where a run chooses the credential kind (the library's
#: ``git-auth``): every kind, and the ``GIT_HOSTS`` check of where credentials may go.
RUN_TIME_CREDENTIALS = ("https", "ssh", "hosts")


def clone_script(source: GitSource, *, any_credentials: bool = False) -> str:
    """The clone script a container for ``source`` runs: only the credential block of the
    kind the template fixes (none for a public repository) and the CA block with
    ``source.ca``; with ``any_credentials``, every kind and the ``GIT_HOSTS`` check
    (`RUN_TIME_CREDENTIALS`). Every byte is in each pod's spec (``ARGO_TEMPLATE``)."""
    kinds: tuple[str, ...] = RUN_TIME_CREDENTIALS if any_credentials else ()
    if not any_credentials and source.credentials is not None:
        kinds = (source.credentials.kind,)
    return load("git_clone.sh", (*_ca.git_parts(source), *kinds))


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
    config: BuildConfig | GitSource,
    *,
    name: str | None = None,
    describe: bool | None = None,
    out_volume: bool = False,
    builder: Builder | None = None,
    image: ImageRef | str | None = None,
    retries: int | None = None,
    resources: ResourceSpec | None = None,
    repo_overridable: bool | None = None,
    any_credentials: bool = False,
) -> Container:
    """A container template that fetches the source (or, where a run may override it,
    ``{{inputs.parameters.repo}}``) at ``{{inputs.parameters.revision}}`` into the build's
    ``src`` directory (``/workspace/<config.name>/src``).

    A run's revision may name a branch or a tag (``refs/heads/NAME``, ``refs/tags/NAME``, or
    a plain name that is one of them and not both); a commit SHA only when a branch or tag
    reaches it (unless ``source.allow_any_sha``); pull/merge-request refs only with
    ``source.allow_pull_requests``. ``expected-commit`` (a push event's SHA) makes the clone
    refuse a ref that names anything else. With credentials, the repository must be a URL
    `argo_buildpacks._kits.git.credential_url_problem` accepts. The in-cluster script
    enforces all of this: runs bypass Python.

    Args:
        config: the build: its ``source`` (url, depth, submodules, subpath, credentials,
            revision policy; ``revision`` is the default of the ``revision`` input), builder
            (uid/gid), ``images.git``, ``retries.clone``, ``resources.clone``,
            ``log_level`` (``debug`` traces git's commands; never its HTTP headers) and
            ``overridable`` (``repo``). (A bare `argo_buildpacks.model.config.GitSource`
            with ``builder=`` still works, on ``/workspace``, for callers of the older
            signature.)
        name: the template/container name (default: ``git-clone``).
        describe: also fetch tags and the blob-less history, and write the output of
            ``git describe --tags --long --always`` (default: ``config.tag.from_git``).
        out_volume: mount the trusted ``out`` volume over the outputs directory (the
            single-pod layout's).
        builder: overrides the config's builder (the uid/gid the container runs as).
        image: overrides ``config.images.git``.
        retries: overrides ``config.retries.clone`` (extra fetch attempts).
        resources: override ``config.resources.clone``.
        repo_overridable: overrides whether ``config.overridable`` lists ``repo``.
        any_credentials: the script for a template whose run chooses the credential kind
            and whose ``GIT_HOSTS`` says where credentials may go (the library's); by
            default it carries only the kind ``source.credentials`` fixes, and refuses a
            ``GIT_HOSTS`` it has no check for.

    Inputs: ``revision``, ``expected-commit`` (and ``repo`` when overridable). Outputs:
    ``commit`` (full SHA), ``commit-epoch`` (committer date, seconds), and ``describe``
    when ``describe``. The
    credentials' Secret volume and the pod securityContext (``fsGroup``: the Secret is
    0440) are on the template; the workspace volume is the workflow's.

    Raises:
        ConfigError: a bare ``GitSource`` without ``builder``.
    """
    log_level = "info"
    if isinstance(config, BuildConfig):
        source = config.source
        builder = builder or config.builder
        image = image or config.images.git
        retries = config.retries.clone if retries is None else retries
        resources = resources or config.resources.clone
        if repo_overridable is None:
            repo_overridable = "repo" in config.overridable
        if describe is None:
            describe = config.tag.from_git
        paths = _pod.build_paths(config)
        cfg: BuildConfig | None = config
        log_level = config.log_level
    else:
        source = config
        if builder is None:
            raise ConfigError("git_clone needs a BuildConfig (or builder= with a GitSource)")
        retries = Retries().clone if retries is None else retries
        paths = _pod.BuildPaths(_pod.WORKSPACE)
        cfg = None
    creds = source.credentials
    auth = "none" if creds is None else creds.kind
    values: dict[str, str | None] = {
        "REPO": "{{inputs.parameters.repo}}" if repo_overridable else source.url,
        "REVISION": "{{inputs.parameters.revision}}",
        "EXPECTED_COMMIT": "{{inputs.parameters.expected-commit}}",
        "ALLOW_ANY_SHA": "true" if source.allow_any_sha else "false",
        "ALLOW_PULL_REQUESTS": "true" if source.allow_pull_requests else "false",
        "DEPTH": str(source.depth or 0),
        "SUBMODULES": "true" if source.submodules else "false",
        "SUBPATH": source.subpath,
        "WORKSPACE": paths.root,
        "OUT_DIR": paths.out,
        "DESCRIBE": "true" if describe else "false",
        "RETRIES": str(retries),
        "AUTH": auth,
        "LOG_LEVEL": log_level if log_level != "info" else None,
    }
    mounts = [_pod.workspace_mount()]
    if out_volume:
        mounts.append(_pod.out_mount(paths))
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
    values.update(_ca.git_env(source))
    mounts += _ca.git_mounts(source)
    outputs = list(CLONE_OUTPUT_NAMES)
    if describe:
        outputs.append("describe")
    return Container(
        name=name or "git-clone",
        image=_pod.image(image or Images().git),
        image_pull_policy="IfNotPresent",
        command=[
            "/bin/sh",
            "-c",
            clone_script(source, any_credentials=any_credentials),
            "git-clone",
        ],
        env=_pod.env(values),
        inputs=[
            *([Parameter(name="repo", default=source.url)] if repo_overridable else []),
            Parameter(name="revision", default=source.revision),
            # A push event's SHA: the fetched ref must name it (empty: no such check).
            Parameter(name="expected-commit", default=""),
        ],
        outputs=[Parameter(name=k, value_from=ValueFrom(path=f"{paths.out}/{k}")) for k in outputs],
        volume_mounts=mounts,
        volumes=[
            *(v for v in [git_secret_volume(source)] if v is not None),
            *_ca.git_volumes(source),
        ]
        or None,
        security_context=_pod.container_security(builder),
        resources=_pod.resources(resources or Resources().clone),
        **_pod.template_pod(builder, cfg),
    )
