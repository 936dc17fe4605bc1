"""The machinery behind `argo_buildpacks.linting.lint` (private).

- `.base`: the shared vocabulary (issues, paths, the set of manifests, call targets);
- `.schema`: strict decoding against Hera's generated models of the Argo API;
- `.rules`: the semantic checks of one manifest, which use `.calls` for calls
  between templates, `.variables` for ``{{...}}`` references, `.dag` for DAG
  dependencies and `.templates` for Argo's per-template rules;
- `.privileged` and `.restricted`: root on the node, and the Pod Security
  Standard "restricted".
"""
