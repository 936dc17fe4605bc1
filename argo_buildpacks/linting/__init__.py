"""Offline checks on plain manifests: the checks ``argo lint`` makes that matter here.

`lint` takes dicts or YAML text and returns `Finding`s. The rules port Argo's
``workflow/validate`` and Argo Events' validators (each module names the files it follows).
Nothing here imports Hera or the model: a manifest is checked as the server would read it.
"""

from argo_buildpacks.linting._lint import API_VERSION, KINDS, Finding, lint

__all__ = ["API_VERSION", "KINDS", "Finding", "lint"]
