"""Names the generated objects share with each other and with the lint: the API group,
labels and annotations. One place, so a template, the RBAC that names it and the lint that
reads it never disagree."""

from __future__ import annotations

__all__ = [
    "ALLOW_PULL_REQUESTS_ANNOTATION",
    "ARGO_API",
    "CALLER_PROVIDES",
    "LABEL_PREFIX",
    "MANAGED",
    "app_labels",
]

#: The API group and version of every Argo Workflows and Argo Events object.
ARGO_API = "argoproj.io/v1alpha1"
#: Prefix of this project's labels and annotations.
LABEL_PREFIX = "argo-buildpacks.io"
#: The label every generated object carries.
MANAGED = {"app.kubernetes.io/managed-by": "argo-buildpacks"}
#: Set on templates whose runs may build pull/merge-request refs (``workflow_for`` reads it).
ALLOW_PULL_REQUESTS_ANNOTATION = f"{LABEL_PREFIX}/allow-pull-requests"
#: Annotation of a library template: what its callers must declare (e.g. the workspace
#: claim), so that the lint does not report it as missing inside the library itself.
CALLER_PROVIDES = "lint.argo-buildpacks.io/caller-provides"


def app_labels(app: str) -> dict[str, str]:
    """The labels of an object generated for one app."""
    return {**MANAGED, f"{LABEL_PREFIX}/app": app}
