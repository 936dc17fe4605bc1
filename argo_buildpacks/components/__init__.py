"""Reusable Hera components: plain factories returning templates for any Hera workflow.

Each takes the `argo_buildpacks.model.config.BuildConfig` and ``name=``; default names are
readable (``tag-check``, ``git-clone``, ``build-<app>``). Nothing registers itself on import;
called inside a Hera ``with Workflow(...)`` block, a template joins that workflow. Every
template is self-contained (its pod securityContext, Secret volumes, no service-account token)
and works on its build's own directory, ``/workspace/<config.name>``.
`argo_buildpacks.templates.compose.compose` adds what a workflow must hold.

- `tag_check`: the in-cluster SemVer check of the ``tag`` input (busybox ``sh``).
- `git_clone`: a shallow clone of one revision (alpine/git).
- `buildpacks_build`: the daemonless lifecycle, phase by phase, in the builder image.
- `pack_build`: ``pack build`` against a Docker daemon (privileged; opt-in).
- `as_node`: any of the container templates as a ``containerSet`` node; `as_nodes`: every
  container of a template (a containerSet's too).
"""

from argo_buildpacks.components._pod import as_node, as_nodes, build_paths
from argo_buildpacks.components.buildpacks_build import buildpacks_build
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.components.pack_build import pack_build
from argo_buildpacks.components.tag_check import tag_check

__all__ = [
    "as_node",
    "as_nodes",
    "build_paths",
    "buildpacks_build",
    "git_clone",
    "pack_build",
    "tag_check",
]
