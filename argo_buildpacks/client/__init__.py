"""Talking to Argo: `ArgoClient` (apply, submit, wait, status, logs) over argo-server's
REST API, with its HTTP layer (errors by status, retries, the NDJSON log stream) behind it;
and `install`, which installs a whole rendered stream (templates through argo-server, the
Kubernetes objects by server-side apply through `connect_kube`'s client)."""

from argo_buildpacks.client._client import ArgoClient
from argo_buildpacks.client._install import InstallRefusedError, install
from argo_buildpacks.client._kube import connect_kube

__all__ = ["ArgoClient", "InstallRefusedError", "connect_kube", "install"]
