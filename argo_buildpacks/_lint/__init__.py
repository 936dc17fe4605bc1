"""The machinery behind :func:`argo_buildpacks.linting.lint` (private).

- :mod:`.base`: the shared vocabulary (issues, paths, the set of manifests, call targets);
- :mod:`.schema`: strict decoding against Hera's generated models of the Argo API;
- :mod:`.rules`: the semantic checks of one manifest, which use :mod:`.calls` for calls
  between templates, :mod:`.variables` for ``{{...}}`` references, :mod:`.dag` for DAG
  dependencies and :mod:`.templates` for Argo's per-template rules;
- :mod:`.privileged` and :mod:`.restricted`: root on the node, and the Pod Security
  Standard "restricted".
"""
