"""The buildpacks builder image and the uid/gid its lifecycle runs as, with presets for the
well-known builders."""

from __future__ import annotations

from pydantic import Field

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model._base import Model
from argo_buildpacks.model.images import ImageRef

__all__ = ["BUILDER_PRESETS", "DEFAULT_BUILDER", "Builder"]

#: The default builder, pinned (Paketo publishes a version tag per release).
DEFAULT_BUILDER = "paketobuildpacks/builder-jammy-base:0.4.642"


class Builder(Model):
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
