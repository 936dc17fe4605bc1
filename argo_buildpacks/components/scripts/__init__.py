"""The constant shell scripts the components run in the cluster.

They ship inside the package (as data files next to this module) and are read with
`importlib.resources`, so they load the same from a checkout, a wheel or a zip. They are
never formatted or templated: every user value reaches them as an environment variable.
"""

from __future__ import annotations

import functools
from importlib import resources

from argo_buildpacks.errors import ConfigError

__all__ = ["load"]


@functools.cache
def load(name: str) -> str:
    """Return the text of the packaged script ``name`` (a file name such as ``tag_check.sh``).

    The scripts are constants of the installed package, so each is read once.

    Raises:
        ConfigError: no script of that name is packaged.
    """
    resource = resources.files(__name__).joinpath(name)
    if "/" in name or "\\" in name or not name.endswith(".sh") or not resource.is_file():
        available = sorted(
            entry.name
            for entry in resources.files(__name__).iterdir()
            if entry.name.endswith(".sh")
        )
        raise ConfigError(f"script {name!r} is not packaged; available: {', '.join(available)}")
    return resource.read_text(encoding="utf-8")
