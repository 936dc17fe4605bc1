"""Talking to Argo: `ArgoClient` (apply, submit, wait, status, logs) over argo-server's
REST API, with its HTTP layer (errors by status, retries, the NDJSON log stream) behind it."""

from argo_buildpacks.client._client import ArgoClient

__all__ = ["ArgoClient"]
