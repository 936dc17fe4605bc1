"""argo-buildpacks: build git repositories into OCI images with Cloud Native Buildpacks
on Argo Workflows.

The public names are re-exported here and loaded on first use, so that ``import
argo_buildpacks`` (and the command line's ``--help``) stays fast and does not import Hera
until a template is actually built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "ArgoBuildpacksError": "errors",
    "AuthenticationError": "errors",
    "ConfigError": "errors",
    "ConflictError": "errors",
    "ImageRefError": "errors",
    "InvalidRequestError": "errors",
    "LintError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "PrivilegedError": "errors",
    "ServerError": "errors",
    "ServerUnavailableError": "errors",
    "TagError": "errors",
    "TransportError": "errors",
    "WaitTimeoutError": "errors",
    # the typed model
    "SemverTag": "model.tags",
    "ImageRef": "model.images",
    "Builder": "model.builder",
    "BuildConfig": "model.config",
    "GitCredentials": "model.source",
    "GitSource": "model.source",
    "TagPolicy": "model.config",
    # components (import Hera)
    "as_node": "components",
    "as_nodes": "components",
    "buildpacks_build": "components",
    "git_clone": "components",
    "pack_build": "components",
    "tag_check": "components",
    # pipelines and lint
    "render": "_kits.yaml_emit",
    "to_manifest": "_kits.yaml_emit",
    "compose": "templates.compose",
    "workflow_for": "templates.pipeline",
    "workflow_template": "templates.pipeline",
    "app_template": "templates.app",
    "library_template": "templates.library",
    "Finding": "linting",
    "lint": "linting",
    # from tag push to production
    "DeployConfig": "model.release",
    "TriggerConfig": "model.release",
    "cron_workflow": "templates.triggers",
    "event_source": "templates.triggers",
    "rbac_objects": "templates.rbac",
    "release_manifests": "templates.rbac",
    "release_workflow": "templates.triggers",
    "sensor": "templates.triggers",
    # keeping images patched
    "RebaseConfig": "model.rebase",
    "rebase": "components.rebase",
    "rebase_template": "templates.rebase",
    "fleet": "templates.fleets",
    "fleet_manifests": "templates.fleets",
    "load_fleet": "templates.fleets",
    # talking to Argo
    "ArgoClient": "client",
    "ApplyResult": "model.runs",
    "LogLine": "model.runs",
    "Run": "model.runs",
    "RunStatus": "model.runs",
}

__all__ = ["__version__", *sorted(_EXPORTS)]

if TYPE_CHECKING:  # the same names as _EXPORTS, for type checkers (tests/test_public_names.py)
    from argo_buildpacks._kits.yaml_emit import render as render
    from argo_buildpacks._kits.yaml_emit import to_manifest as to_manifest
    from argo_buildpacks.client import ArgoClient as ArgoClient
    from argo_buildpacks.components import as_node as as_node
    from argo_buildpacks.components import as_nodes as as_nodes
    from argo_buildpacks.components import buildpacks_build as buildpacks_build
    from argo_buildpacks.components import git_clone as git_clone
    from argo_buildpacks.components import pack_build as pack_build
    from argo_buildpacks.components import tag_check as tag_check
    from argo_buildpacks.components.rebase import rebase as rebase
    from argo_buildpacks.errors import ArgoBuildpacksError as ArgoBuildpacksError
    from argo_buildpacks.errors import AuthenticationError as AuthenticationError
    from argo_buildpacks.errors import ConfigError as ConfigError
    from argo_buildpacks.errors import ConflictError as ConflictError
    from argo_buildpacks.errors import ImageRefError as ImageRefError
    from argo_buildpacks.errors import InvalidRequestError as InvalidRequestError
    from argo_buildpacks.errors import LintError as LintError
    from argo_buildpacks.errors import NotFoundError as NotFoundError
    from argo_buildpacks.errors import PermissionDeniedError as PermissionDeniedError
    from argo_buildpacks.errors import PrivilegedError as PrivilegedError
    from argo_buildpacks.errors import ServerError as ServerError
    from argo_buildpacks.errors import ServerUnavailableError as ServerUnavailableError
    from argo_buildpacks.errors import TagError as TagError
    from argo_buildpacks.errors import TransportError as TransportError
    from argo_buildpacks.errors import WaitTimeoutError as WaitTimeoutError
    from argo_buildpacks.linting import Finding as Finding
    from argo_buildpacks.linting import lint as lint
    from argo_buildpacks.model.builder import Builder as Builder
    from argo_buildpacks.model.config import BuildConfig as BuildConfig
    from argo_buildpacks.model.config import TagPolicy as TagPolicy
    from argo_buildpacks.model.images import ImageRef as ImageRef
    from argo_buildpacks.model.rebase import RebaseConfig as RebaseConfig
    from argo_buildpacks.model.release import DeployConfig as DeployConfig
    from argo_buildpacks.model.release import TriggerConfig as TriggerConfig
    from argo_buildpacks.model.runs import ApplyResult as ApplyResult
    from argo_buildpacks.model.runs import LogLine as LogLine
    from argo_buildpacks.model.runs import Run as Run
    from argo_buildpacks.model.runs import RunStatus as RunStatus
    from argo_buildpacks.model.source import GitCredentials as GitCredentials
    from argo_buildpacks.model.source import GitSource as GitSource
    from argo_buildpacks.model.tags import SemverTag as SemverTag
    from argo_buildpacks.templates.app import app_template as app_template
    from argo_buildpacks.templates.compose import compose as compose
    from argo_buildpacks.templates.fleets import fleet as fleet
    from argo_buildpacks.templates.fleets import fleet_manifests as fleet_manifests
    from argo_buildpacks.templates.fleets import load_fleet as load_fleet
    from argo_buildpacks.templates.library import library_template as library_template
    from argo_buildpacks.templates.pipeline import workflow_for as workflow_for
    from argo_buildpacks.templates.pipeline import workflow_template as workflow_template
    from argo_buildpacks.templates.rbac import rbac_objects as rbac_objects
    from argo_buildpacks.templates.rbac import release_manifests as release_manifests
    from argo_buildpacks.templates.rebase import rebase_template as rebase_template
    from argo_buildpacks.templates.triggers import cron_workflow as cron_workflow
    from argo_buildpacks.templates.triggers import event_source as event_source
    from argo_buildpacks.templates.triggers import release_workflow as release_workflow
    from argo_buildpacks.templates.triggers import sensor as sensor


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext argo_buildpacks``: Hera workflows and templates display as a diagram of
    their pods beside their YAML, and versions and run statuses as small tables (see
    `argo_buildpacks.display`)."""
    from argo_buildpacks.display import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext argo_buildpacks``: back to Hera's own display."""
    from argo_buildpacks.display import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'argo_buildpacks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"argo_buildpacks.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
