"""The ``rebase`` section of the config file: keep the pushed image on a patched run image.

```yaml
rebase: {schedule: "0 4 * * *", tag: latest}
```

- ``schedule``: a cron expression as Argo accepts it (5 fields, ``@daily``, ``@every 6h``...);
  a CronWorkflow runs the app's rebase template on it
  (`argo_buildpacks.templates.rebase.rebase_cron_workflow`).
- ``tag``: the tag that names the image to keep patched (default ``latest``). The rebase
  moves this tag to the patched image and records every rebase under an immutable tag
  ``<tag>-rebased.<UTC timestamp>``, so it must leave room for that suffix.

Unlike ``schedule`` (a rebuild), a rebase needs no ``tag.from_git``: it keeps the version
the image already has. It does need a tag the build pushes (`Rebase` checks it against
``tag``): ``latest`` only with ``tag.latest: true``, ``MAJOR``/``MAJOR.MINOR`` only with
``tag.floating``; a tag the build never pushes would make every rebase fail, or rebase (and
deploy) whatever image someone else left under that tag.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from argo_buildpacks._kits.cron import cron_expression
from argo_buildpacks.model._base import Model
from argo_buildpacks.model.tags import SemverTag

__all__ = ["REBASED_SUFFIX_LENGTH", "Rebase", "RebaseConfig"]

#: Length of ``-rebased.YYYYmmddTHHMMSSZ``, the immutable tag's suffix.
REBASED_SUFFIX_LENGTH = len("-rebased.20260101T000000Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
# What a release pushes besides its own version (model/tags.py oci_tags): MAJOR and
# MAJOR.MINOR with tag.floating; a leading 'v' never reaches a tag.
_FLOATING = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?", re.ASCII)
_V_VERSION = re.compile(r"v[0-9]+(\.[0-9A-Za-z.-]*)?", re.ASCII)
_Schedule = Annotated[str, AfterValidator(partial(cron_expression, what="rebase.schedule"))]


class RebaseConfig(Model):
    """``rebase``: put the image's app layers on the current run image on a schedule
    (the lifecycle's ``rebaser``: no app code runs), or rebuild when the builder changed.

    >>> RebaseConfig(schedule="0 4 * * *").tag
    'latest'
    """

    schedule: _Schedule | None = Field(
        None, description="Cron expression of the rebase CronWorkflow (none: no CronWorkflow)."
    )
    tag: str = Field(
        "latest",
        description="The tag naming the image to keep patched; the rebase moves it to the "
        "patched image and also pushes the immutable '<tag>-rebased.<UTC timestamp>'.",
    )

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        longest = 128 - REBASED_SUFFIX_LENGTH
        if not _TAG.fullmatch(value) or len(value) > longest:
            raise ValueError(
                f"rebase.tag {value!r} is not allowed: an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]*) "
                f"of at most {longest} characters (room for '-rebased.<timestamp>')"
            )
        return value


def _tag_is_pushed(value: RebaseConfig | None, info: ValidationInfo) -> RebaseConfig | None:
    """Refuse a ``rebase.tag`` the config's own builds never push: the rebase reads the
    image under that tag from the registry, so it would fail on every run, or rebase (and
    deploy) an image someone else left there."""
    policy = info.data.get("tag")
    if value is None or policy is None:
        return value
    tag = value.tag
    fix = (
        "set rebase.tag to a tag the build pushes: a version ('1.4.2'), or with "
        "tag.floating (the default) its MAJOR ('1') or MAJOR.MINOR ('1.4'), which each "
        "release moves forward"
    )
    if _pushed(tag, floating=policy.floating, latest=policy.latest) is False:
        if tag == "latest":
            raise ValueError(
                "rebase.tag 'latest' (the default) names a tag the build never pushes "
                f"(tag.latest: {_yaml(policy.latest)}, tag.floating: {_yaml(policy.floating)}), "
                "so a rebase finds no image (and fails on every run) or rebases and deploys a "
                "stale 'latest' someone else pushed; set tag: {latest: true, floating: true} "
                f"(releases then push 'latest'), or {fix}"
            )
        raise ValueError(
            f"rebase.tag {tag!r} is a floating tag, but tag.floating is false, so the build "
            "never pushes it; set tag.floating: true, or set rebase.tag to a full version "
            "('1.4.2')"
        )
    if _V_VERSION.fullmatch(tag):
        raise ValueError(
            f"rebase.tag {tag!r}: the build pushes versions without the leading 'v' "
            f"(use {tag[1:]!r})"
        )
    return value


def _pushed(tag: str, *, floating: bool, latest: bool) -> bool | None:
    """Whether releases push ``tag`` (the rule of `SemverTag.oci_tags`, asked of a release
    the tag would name); ``None``: not a tag releases push by name (a version, or a tag
    someone else maintains)."""
    if tag == "latest":
        probe = "1.0.0"
    elif _FLOATING.fullmatch(tag):
        probe = tag + ".0" * (2 - tag.count("."))
    else:
        return None
    return tag in SemverTag.parse(probe).oci_tags(floating=floating, latest=latest)


def _yaml(flag: bool) -> str:
    return "true" if flag else "false"


#: ``BuildConfig.rebase``: a `RebaseConfig` whose tag the config's builds push.
Rebase = Annotated[RebaseConfig | None, AfterValidator(_tag_is_pushed)]
