"""Whom the build's tools trust: a private CA for the registry and for the git server, and the
registries the lifecycle may reach without verified TLS.

```yaml
source:
  url: https://git.internal/acme/app.git
  ca: {config_map: internal-ca, key: ca.crt}        # git trusts this CA as well
registry:
  ca: {secret: registry-ca, key: ca.crt}            # lifecycle, crane and cosign trust it
  insecure: [registry.local:5000]                   # plain HTTP or unverified TLS, by name
```

- ``ca`` names a Secret or a ConfigMap (exactly one) and the key holding a PEM bundle. The
  bundle is *added* to the image's own roots, never put in their place
  (`argo_buildpacks.components._ca`). The registry and the git server each get their own,
  so a CA trusted for one party is not trusted for the other; name the same ConfigMap in
  both places when one CA signs both.
- ``insecure`` lists registries as ``host[:port]``, each exactly as the image references
  spell it; there is no wildcard. The lifecycle (``-insecure-registry``, Platform API 0.13,
  lifecycle 0.18 and later), crane (``--insecure``) and cosign
  (``--allow-insecure-registry --allow-http-registry``) then reach them over plain HTTP or
  without verifying their certificate. Only the daemonless mode supports either setting:
  the ``pack-*`` modes push from containers the Docker daemon starts, which mount nothing of
  the pod.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from argo_buildpacks._kits import names
from argo_buildpacks.errors import ImageRefError
from argo_buildpacks.model._base import Model
from argo_buildpacks.model._fields import SecretKey, SecretName
from argo_buildpacks.model.images import ImageRef

__all__ = ["CaBundle", "RegistryHost", "RegistryTrust", "trust_problem"]

#: The first Platform API whose analyzer, restorer, exporter and rebaser take
#: ``-insecure-registry`` (buildpacks/lifecycle cmd/lifecycle/{analyzer,restorer,exporter,
#: rebaser}.go DefineFlags: ``PlatformAPI.AtLeast("0.13")``).
INSECURE_PLATFORM_API = (0, 13)


def _registry_host(value: str) -> str:
    if "*" in value:
        raise ValueError(
            f"registry {value!r} has a wildcard; name each insecure registry as host[:port]"
        )
    if "/" in value:
        raise ValueError(
            f"registry {value!r} must be host[:port] alone, without a scheme or a path "
            "(e.g. 'registry.local:5000')"
        )
    if value != value.lower():
        raise ValueError(
            f"registry {value!r} must be lower-case, as image references spell the registry"
        )
    try:
        ref = ImageRef.parse(f"{value}/x")
    except ImageRefError as exc:
        raise ValueError(str(exc).replace("image '" + value + "/x': ", "")) from None
    if ref.registry != value:
        raise ValueError(
            f"registry {value!r} is not a registry host: it needs a '.' or a ':port', or is "
            "'localhost'"
        )
    return value


#: A registry as ``host[:port]`` (the registry part of an image reference, lower-case).
RegistryHost = Annotated[str, AfterValidator(_registry_host)]
ConfigMapName = Annotated[
    str, AfterValidator(lambda s: names.dns_subdomain(s, what="ConfigMap name"))
]


class CaBundle(Model):
    """A PEM bundle of CA certificates, by reference: one key of a Secret or a ConfigMap
    (a CA certificate is public, so a ConfigMap is fine)."""

    secret: SecretName | None = None
    config_map: ConfigMapName | None = None
    key: SecretKey = Field("ca.crt", description="The key holding the PEM bundle.")

    @model_validator(mode="after")
    def _exactly_one(self) -> CaBundle:
        if (self.secret is None) == (self.config_map is None):
            raise ValueError("give exactly one of secret or config_map (the bundle's source)")
        return self

    @property
    def kind(self) -> Literal["secret", "configMap"]:
        """Which kind of object holds the bundle."""
        return "secret" if self.secret is not None else "configMap"

    @property
    def name(self) -> str:
        """The Secret's or ConfigMap's name."""
        return self.secret or self.config_map or ""


class RegistryTrust(Model):
    """``registry``: what the tools that talk to the registry trust (daemonless mode)."""

    ca: CaBundle | None = Field(
        None,
        description="A CA bundle (Secret or ConfigMap key) the lifecycle's registry phases, "
        "crane and cosign trust besides their own roots.",
    )
    insecure: list[RegistryHost] = Field(
        default_factory=list,
        description="Registries (host[:port], no wildcard) reached over plain HTTP or "
        "unverified TLS; needs builder.platform_api 0.13 or later.",
    )

    @field_validator("insecure")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({h for h in value if value.count(h) > 1})
        if repeated:
            raise ValueError(f"registry {repeated[0]!r} is listed more than once")
        return value

    @property
    def configured(self) -> bool:
        """Whether anything is set."""
        return self.ca is not None or bool(self.insecure)


def trust_problem(registry: RegistryTrust, *, mode: str, platform_api: str) -> str | None:
    """What is wrong with ``registry`` for a build in ``mode`` on ``platform_api``, or
    ``None``."""
    if registry.configured and mode != "daemonless":
        return (
            f"registry.ca and registry.insecure need mode 'daemonless' (mode is {mode!r}): "
            "pack's lifecycle containers are started by the Docker daemon and mount nothing "
            "of the pod"
        )
    major, minor = (int(p) for p in platform_api.split("."))
    if registry.insecure and (major, minor) < INSECURE_PLATFORM_API:
        return (
            f"registry.insecure needs builder.platform_api 0.13 or later (it is "
            f"{platform_api!r}): the lifecycle takes -insecure-registry from Platform API "
            "0.13 (lifecycle 0.18) on"
        )
    return None
