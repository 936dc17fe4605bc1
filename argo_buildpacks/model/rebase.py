"""The ``rebase`` section of the config file: keep the pushed image on a patched run image.

```yaml
rebase: {schedule: "0 4 * * *", tag: latest}
```

- ``schedule``: a cron expression (5 fields or ``@daily``...); a CronWorkflow runs the app's
  rebase template on it (`argo_buildpacks.templates.rebase.rebase_cron_workflow`).
- ``tag``: the tag that names the image to keep patched (default ``latest``). The rebase
  moves this tag to the patched image and records every rebase under an immutable tag
  ``<tag>-rebased.<UTC timestamp>``, so it must leave room for that suffix.

Unlike ``schedule`` (a rebuild), a rebase needs no ``tag.from_git``: it keeps the version
the image already has.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from argo_buildpacks.model.release import _CRON_DESCRIPTORS, _CRON_FIELD

__all__ = ["REBASED_SUFFIX_LENGTH", "RebaseConfig", "cron_expression"]

#: Length of ``-rebased.YYYYmmddTHHMMSSZ``, the immutable tag's suffix.
REBASED_SUFFIX_LENGTH = len("-rebased.20260101T000000Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def cron_expression(value: str, *, what: str = "schedule") -> str:
    """``value`` when it is a cron expression Argo accepts (5 fields, or a descriptor such
    as ``@daily``).

    Raises:
        ValueError: naming ``what``, the value and what is allowed.
    """
    fields = value.split()
    ok = (len(fields) == 1 and fields[0] in _CRON_DESCRIPTORS) or (
        len(fields) == 5 and all(_CRON_FIELD.fullmatch(f) for f in fields)
    )
    if not ok:
        raise ValueError(
            f"{what} {value!r} is not a cron expression: expected 5 fields (minute hour "
            f"day-of-month month day-of-week) or one of {', '.join(_CRON_DESCRIPTORS)}"
        )
    return value


class RebaseConfig(BaseModel):
    """``rebase``: put the image's app layers on the current run image on a schedule
    (the lifecycle's ``rebaser``: no app code runs), or rebuild when the builder changed.

    >>> RebaseConfig(schedule="0 4 * * *").tag
    'latest'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: str | None = Field(
        None, description="Cron expression of the rebase CronWorkflow (none: no CronWorkflow)."
    )
    tag: str = Field(
        "latest",
        description="The tag naming the image to keep patched; the rebase moves it to the "
        "patched image and also pushes the immutable '<tag>-rebased.<UTC timestamp>'.",
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else cron_expression(value, what="rebase.schedule")

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
