"""Reusable Hera components: plain factories returning templates for any Hera workflow.

Nothing registers itself in a Hera context on import or on call; names are parameters, so two
calls with different names never clash.

- `tag_check`: the in-cluster SemVer check of the ``tag`` input (busybox ``sh``).
- `git_clone`: a shallow clone of one revision (alpine/git).
- `buildpacks_build`: the daemonless lifecycle ``creator`` in the builder image.
- `pack_build`: ``pack build`` against a Docker daemon (privileged; opt-in).
- `as_node`: any of the container templates as a ``containerSet`` node.
"""

from argo_buildpacks.components._pod import as_node
from argo_buildpacks.components.buildpacks_build import buildpacks_build
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.components.pack_build import pack_build
from argo_buildpacks.components.tag_check import tag_check

__all__ = ["as_node", "buildpacks_build", "git_clone", "pack_build", "tag_check"]
