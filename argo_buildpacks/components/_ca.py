"""The private CA and the insecure registries (`argo_buildpacks.model.trust`), rendered: the
volumes, mounts and environment of the containers that talk to the registry or the git
server, and of no other.

Who gets what:

- the registry CA and the insecure registries: the lifecycle's analyze, restore and export
  (and the rebaser), crane (provenance, the rebase's inspect) and cosign (sign, the rebase's
  verify). Never detect, build or the SBOM copy: they run the app's code or read what it
  wrote, and do not talk to the registry.
- the git CA: the clone only.

A bundle is mounted read-only, one key only, at ``<dir>/ca.crt``. It is added to the
image's roots, never put in their place:

- Go programs (lifecycle, crane, cosign) get ``SSL_CERT_DIR`` = the bundle's directory and
  Go's own default directories. Go reads its default bundle files whatever
  ``SSL_CERT_DIR`` says and every file of each listed directory (crypto/x509
  root_unix.go ``loadSystemRoots``; root_linux.go ``certFiles``/``certDirectories``), so
  the image's roots stay (``SSL_CERT_FILE`` would have replaced the bundle files).
- git (libcurl) reads one bundle (``GIT_SSL_CAINFO`` replaces the default), so the clone
  script writes the image's bundle followed by this one to a file of its own and points
  ``GIT_SSL_CAINFO`` there (``GIT_CA_FILE``).

The insecure registries reach the lifecycle as ``CNB_INSECURE_REGISTRIES`` (comma-separated:
the lifecycle's own environment form of ``-insecure-registry``, platform/defaults.go) and
the crane and cosign scripts as ``INSECURE_REGISTRIES`` (one a line), which add their tools'
flags for a reference on one of them only (the prelude's ``insecure`` section). Values are
environment variables, never script text.
"""

from __future__ import annotations

from hera.workflows.models import (
    ConfigMapVolumeSource,
    KeyToPath,
    SecretVolumeSource,
    Volume,
    VolumeMount,
)

from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.source import GitSource
from argo_buildpacks.model.trust import CaBundle

__all__ = [
    "CA_FILE",
    "GIT_CA_DIR",
    "GIT_CA_VOLUME",
    "GO_CERT_DIRS",
    "REGISTRY_CA_DIR",
    "REGISTRY_CA_VOLUME",
    "git_env",
    "git_mounts",
    "git_volumes",
    "registry_env",
    "registry_mounts",
    "registry_volumes",
]

#: The bundle's file name in its directory.
CA_FILE = "ca.crt"
REGISTRY_CA_DIR = "/var/run/argo-buildpacks/ca/registry"
GIT_CA_DIR = "/var/run/argo-buildpacks/ca/git"
REGISTRY_CA_VOLUME = "registry-ca"
GIT_CA_VOLUME = "git-ca"
#: Go's default certificate directories on Linux (crypto/x509 root_linux.go), kept in
#: ``SSL_CERT_DIR`` after the bundle's.
GO_CERT_DIRS = ("/etc/ssl/certs", "/etc/pki/tls/certs")


def _volume(bundle: CaBundle, name: str) -> Volume:
    # One key only, world-readable: a CA certificate is public, and every container runs
    # as the builder's uid anyway.
    items = [KeyToPath(key=bundle.key, path=CA_FILE)]
    if bundle.secret is not None:
        return Volume(
            name=name,
            secret=SecretVolumeSource(secret_name=bundle.secret, items=items, default_mode=0o444),
        )
    return Volume(
        name=name,
        config_map=ConfigMapVolumeSource(name=bundle.config_map, items=items, default_mode=0o444),
    )


def registry_volumes(config: BuildConfig) -> list[Volume]:
    """The registry CA's volume (none without ``registry.ca``)."""
    ca = config.registry.ca
    return [] if ca is None else [_volume(ca, REGISTRY_CA_VOLUME)]


def registry_mounts(config: BuildConfig) -> list[VolumeMount]:
    """The registry CA's read-only mount, for a container that talks to the registry."""
    if config.registry.ca is None:
        return []
    return [VolumeMount(name=REGISTRY_CA_VOLUME, mount_path=REGISTRY_CA_DIR, read_only=True)]


def registry_env(config: BuildConfig, *, lifecycle: bool = False) -> dict[str, str]:
    """The environment of a container that talks to the registry: ``SSL_CERT_DIR`` (with
    ``registry.ca``) and the insecure registries, as ``CNB_INSECURE_REGISTRIES`` for the
    lifecycle (``lifecycle``), else ``INSECURE_REGISTRIES`` for the crane/cosign scripts."""
    env: dict[str, str] = {}
    if config.registry.ca is not None:
        env["SSL_CERT_DIR"] = ":".join((REGISTRY_CA_DIR, *GO_CERT_DIRS))
    if config.registry.insecure:
        if lifecycle:
            env["CNB_INSECURE_REGISTRIES"] = ",".join(config.registry.insecure)
        else:
            env["INSECURE_REGISTRIES"] = "\n".join(config.registry.insecure)
    return env


def git_volumes(source: GitSource) -> list[Volume]:
    """The git CA's volume (none without ``source.ca``)."""
    return [] if source.ca is None else [_volume(source.ca, GIT_CA_VOLUME)]


def git_mounts(source: GitSource) -> list[VolumeMount]:
    """The git CA's read-only mount, for the clone."""
    if source.ca is None:
        return []
    return [VolumeMount(name=GIT_CA_VOLUME, mount_path=GIT_CA_DIR, read_only=True)]


def git_parts(source: GitSource) -> tuple[str, ...]:
    """The clone script's parts (``#@part``) for ``source``: its CA block with ``source.ca``."""
    return () if source.ca is None else ("ca",)


def git_env(source: GitSource) -> dict[str, str]:
    """The clone's ``GIT_CA_FILE`` (with ``source.ca``): the bundle its script adds to the
    image's roots for git."""
    return {} if source.ca is None else {"GIT_CA_FILE": f"{GIT_CA_DIR}/{CA_FILE}"}
