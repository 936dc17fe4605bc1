"""How the build's pods run: resources, retries, the steps layout's workspace, how long runs
are kept, tolerations and the pinned helper images."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from argo_buildpacks._kits import names
from argo_buildpacks._kits.quantity import QUANTITY_PATTERN
from argo_buildpacks.model._base import Model
from argo_buildpacks.model.images import ImageRef

__all__ = [
    "QUANTITY_PATTERN",
    "TTL",
    "Images",
    "ResourceSpec",
    "Resources",
    "Retries",
    "Toleration",
    "Workspace",
    "quantity_value",
]

#: A Kubernetes quantity (resource.Quantity's grammar), read alike by Python's ``re`` and Go's
#: RE2, and free of backslashes and colons: library mode puts it into an Argo expression.
#: ASCII digits only: Python's \d also matches the digits of other scripts.
_QUANTITY = re.compile(QUANTITY_PATTERN)
_SUFFIX = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_RESOURCE_NAME = re.compile(r"[a-z0-9A-Z./-]+", re.ASCII)
_SIZE = re.compile(r"[1-9][0-9]*(\.[0-9]+)?([KMGTPE]i?|k)?")


def quantity_value(quantity: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``"512Mi"`` -> 536870912,
    ``"500m"`` -> 0.5), to compare two of them.

    Raises:
        ValueError: ``quantity`` is not a quantity.
    """
    if not _QUANTITY.fullmatch(quantity):
        raise ValueError(f"{quantity!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 4Gi)")
    suffix = re.sub(r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)", "", quantity)
    value = Decimal(quantity[: len(quantity) - len(suffix)])
    if suffix[:1] in ("e", "E"):
        return value * (Decimal(10) ** int(suffix[1:]))
    small = {"m": Decimal("1e-3"), "u": Decimal("1e-6"), "n": Decimal("1e-9")}
    return value * (small[suffix] if suffix in small else _SUFFIX[suffix])


class ResourceSpec(Model):
    """Kubernetes resource requests and limits of one container (``cpu``, ``memory``...)."""

    requests: dict[str, str] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)

    @field_validator("requests", "limits")
    @classmethod
    def _quantities(cls, value: dict[str, str]) -> dict[str, str]:
        for key, qty in value.items():
            if not _RESOURCE_NAME.fullmatch(key):
                raise ValueError(f"resource name {key!r} is invalid")
            if not _QUANTITY.fullmatch(qty):
                raise ValueError(
                    f"{key}: {qty!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 4Gi)"
                )
        return value


class Resources(Model):
    """Resources per container. The build is what needs memory; the rest is small.

    What a config gives is merged over the defaults per phase, per ``requests``/``limits``
    and per resource name: ``{build: {requests: {cpu: "2"}}}`` changes the build's CPU
    request and keeps its memory request and limit. ``null`` removes a default
    (``{build: {limits: {memory: null}}}``: no memory limit), and an empty mapping removes
    them all (``{build: {limits: {}}}``: no limits).
    """

    build: ResourceSpec = ResourceSpec(
        requests={"cpu": "1", "memory": "2Gi"}, limits={"memory": "4Gi"}
    )
    clone: ResourceSpec = ResourceSpec(
        requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "512Mi"}
    )
    tag_check: ResourceSpec = ResourceSpec(
        requests={"cpu": "10m", "memory": "16Mi"}, limits={"cpu": "200m", "memory": "64Mi"}
    )

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        merged = dict(data)
        for phase, given in data.items():
            field = cls.model_fields.get(phase)
            if field is None or not isinstance(field.default, ResourceSpec):
                continue  # an unknown key: the model names it
            if isinstance(given, ResourceSpec):
                given = given.model_dump(exclude_unset=True)
            if not isinstance(given, Mapping):
                continue  # not a mapping: the model says what it expects
            spec: dict[str, Any] = dict(given)
            for part in ("requests", "limits"):
                own = given.get(part)
                if isinstance(own, Mapping) and not own:
                    spec[part] = {}  # said empty: none (what a dump of removed keys reads)
                elif isinstance(own, Mapping):
                    values = {**getattr(field.default, part), **own}
                    spec[part] = {k: v for k, v in values.items() if v is not None}
                elif part not in given:
                    spec[part] = dict(getattr(field.default, part))
            merged[phase] = spec
        return merged


class Retries(Model):
    """Bounded retries for what fails transiently: fetching the source and pushing the image."""

    clone: int = Field(3, ge=0, le=10, description="Extra fetch attempts inside the clone.")
    push: int = Field(2, ge=0, le=10, description="Extra attempts of the build/push step.")


AccessMode = Literal["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]


def _read_write_once() -> list[AccessMode]:
    return ["ReadWriteOnce"]


class Workspace(Model):
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
        if not _SIZE.fullmatch(value):
            raise ValueError(
                f"workspace size {value!r} is not a positive Kubernetes quantity "
                "(e.g. 2Gi, 500Mi, 10G)"
            )
        return value

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None:
            names.dns_subdomain(value, what="storage class")
        return value

    @field_validator("access_modes")
    @classmethod
    def _unique(cls, value: list[AccessMode]) -> list[AccessMode]:
        if len(set(value)) != len(value):
            raise ValueError(f"access_modes {value!r} lists a mode twice")
        return value


class TTL(Model):
    """How long finished runs are kept (Argo ``ttlStrategy``), in seconds."""

    after_success: int | None = Field(86_400, ge=0)
    after_failure: int | None = Field(7 * 86_400, ge=0)


class Toleration(Model):
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
            names.label_key(self.key, what="toleration key")
        elif self.operator != "Exists":
            raise ValueError(
                "operator must be 'Exists' when key is empty (which matches every taint), "
                f"not {self.operator!r}"
            )
        if self.operator == "Exists" and self.value:
            raise ValueError(f"value must be empty when operator is 'Exists', not {self.value!r}")
        if self.operator == "Equal" and self.value:
            names.label_value(self.value, what="toleration value")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError(
                f"effect must be 'NoExecute' when toleration_seconds is set, not {self.effect!r}"
            )
        return self


class Images(Model):
    """The helper images, pinned. Override to use a mirror or a digest."""

    # v2.49.1: git 2.49.1 fixes CVE-2025-48384 (submodule paths with a trailing CR).
    git: ImageRef = ImageRef.parse("alpine/git:v2.49.1")
    shell: ImageRef = ImageRef.parse("busybox:1.37.0")
    pack: ImageRef = ImageRef.parse("buildpacksio/pack:0.38.2")
    dind: ImageRef = ImageRef.parse("docker:28.5-dind")
    #: Reads image configs for the rebase's decision (a busybox shell at /busybox/sh).
    crane: ImageRef = ImageRef.parse("gcr.io/go-containerregistry/crane/debug:v0.20.6")
