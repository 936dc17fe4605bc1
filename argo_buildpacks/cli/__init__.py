"""The ``argo-buildpacks`` command line (see `argo_buildpacks.cli._main`)."""

from argo_buildpacks.cli._main import cli, main

__all__ = ["cli", "main"]
