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
the image already has.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from argo_buildpacks._kits.cron import cron_expression
from argo_buildpacks.model._base import Model

__all__ = ["REBASED_SUFFIX_LENGTH", "RebaseConfig"]

#: Length of ``-rebased.YYYYmmddTHHMMSSZ``, the immutable tag's suffix.
REBASED_SUFFIX_LENGTH = len("-rebased.20260101T000000Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
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
