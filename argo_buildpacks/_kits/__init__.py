"""Kits: small leaf helpers every layer may use (text escaping, the YAML reader and writer,
Kubernetes and git name rules, the cron rule, the contract's shared names).

Nothing here knows the model, Hera or Argo's objects: a kit imports only the standard
library, PyYAML and `argo_buildpacks.errors`.
"""
