"""Attack: a submitter passes a hostile value for a library's per-app resource input.

Library mode lets each app set its resources (issue 21 item 2). Argo decodes a container's
``resources`` before it substitutes variables, so the value reaches the pod through the
library template's ``podSpecPatch`` (a string). A plain ``{{inputs.parameters.x}}`` there
would be pasted into the patch's JSON as is: Argo escapes a substituted value for the
template's own JSON encoding only (util/template/simple_template.go ``simpleReplace``,
``strconv.Quote``; expression_template.go ``expressionReplace``, ``json.Marshal``), and the
controller then decodes the template, so the patch text holds the raw value
(workflow/controller/workflowpod.go ``processPodSpecPatch`` -> ``common.ProcessArgs``, then
``util.ApplyPodSpecPatch``). ``2Gi"}},{"name":"x","securityContext":{"privileged":true`` would
then add a key, a container or a securityContext. The library passes each value through
``sprig.regexFind('^(QUANTITY)$', ...)`` instead: only a whole quantity, or nothing, comes
out (Go's RE2 without ``(?m)``: ``^``/``$`` are the text's ends, which ``re.fullmatch``
models).

The lint (and ``ArgoClient.apply``, which refuses what it flags) accepts that expression only
as a container's resource request or limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks.linting._privileged import privileged_problems
from argo_buildpacks.model.pods import QUANTITY_PATTERN
from argo_buildpacks.templates._resources import QUANTITY_INPUT, quantity_input
from argo_buildpacks.templates.library import library_template

LIB = library_template(registries=["registry.example.com/acme"], git_hosts=["github.com"])
PATCHES = {
    str(getattr(t, "name", "")): str(getattr(t, "pod_spec_patch", ""))
    for t in LIB.templates or []
    if getattr(t, "pod_spec_patch", None)
}
HOSTILE = [
    '2Gi"}},{"name":"x","image":"evil","securityContext":{"privileged":true}}],"hostPID":true,"a":{"b":"',
    "2Gi\n",
    "2Gi'])}}{{inputs.parameters.repo",
    "",
    "-1",
    "1e99999",
]


_TAG = re.compile(r"\{\{(.*?)\}\}")
_REGEX_FIND = re.compile(
    r"=sprig\.regexFind\('\^\((.*)\)\$', inputs\.parameters\['([a-z0-9-]+)'\]\)"
)


def argo_substitutes(patch: str, value: str) -> str:
    """The patch as Argo hands it to ApplyPodSpecPatch when every input is ``value``: a
    ``regexFind`` expression evaluates to the part of ``value`` its own pattern (read from
    the patch) matches whole, or ""; a plain tag to the raw value."""

    def evaluate(tag: re.Match[str]) -> str:
        found = _REGEX_FIND.fullmatch(tag.group(1))
        if found is not None:
            return value if re.fullmatch(found.group(1), value) else ""
        assert tag.group(1).startswith("inputs.parameters."), tag.group(0)
        return value

    return _TAG.sub(evaluate, patch)


def shape(value: Any) -> Any:
    """The keys and nesting of a decoded patch, without the leaf values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return "leaf"


def test_every_library_pod_template_takes_resources_only_through_the_expression() -> None:
    assert {"build", "tag-check", "git-clone", "version", "buildpacks-build"} <= set(PATCHES)
    for name, patch in PATCHES.items():
        # No other variable anywhere in the patch.
        assert "{{" not in QUANTITY_INPUT.sub("x", patch), name


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=80)))
def test_no_input_value_changes_what_the_patch_sets(value: str) -> None:
    for name, patch in PATCHES.items():
        before = json.loads(argo_substitutes(patch, "1"))
        after = json.loads(argo_substitutes(patch, value))
        assert shape(after) == shape(before), name
        for container in after["containers"]:
            for part in ("requests", "limits"):
                for qty in (container.get("resources") or {}).get(part, {}).values():
                    assert qty == "" or re.fullmatch(QUANTITY_PATTERN, qty), (name, qty)
                    assert qty in ("", value)


def test_the_expression_is_accepted_only_as_a_resource_quantity() -> None:
    expression = quantity_input("resources-build-limits-memory")

    def template(patch: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {"name": "t"},
            "spec": {"templates": [{"name": "main", "podSpecPatch": json.dumps(patch)}]},
        }

    ok = {"containers": [{"name": "build", "resources": {"limits": {"memory": expression}}}]}
    assert privileged_problems(template(ok)) == []
    refused: list[dict[str, Any]] = [
        {"containers": [{"name": "build", "image": expression}]},
        {"containers": [{"name": "b", "securityContext": {"runAsUser": expression}}]},
        {"hostname": expression},
        # A plain tag pastes the raw value into the patch: never accepted.
        {
            "containers": [
                {
                    "name": "build",
                    "resources": {"limits": {"memory": "{{inputs.parameters.memory}}"}},
                }
            ]
        },
    ]
    for patch in refused:
        problems = privileged_problems(template(patch))
        assert problems == [
            (
                "spec.templates[0].podSpecPatch",
                "a podSpecPatch that is not a literal mapping could grant anything",
            )
        ], patch
