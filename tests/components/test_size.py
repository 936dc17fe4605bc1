"""Issue 20, item 6: what the generated templates cost where Argo and etcd have limits.

The figures are Argo's own: a pod's ``ARGO_TEMPLATE`` is the template as Go's
``json.Marshal`` writes it with its inputs cut down to the artifacts
(``workflow/controller/workflowpod.go`` 636-641), over ``common.MaxEnvVarLen`` (131072,
``workflow/common/common.go`` 246) moved into a ConfigMap per pod (829-848).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, lint, to_manifest, workflow_template
from argo_buildpacks.components import scripts
from argo_buildpacks.components.scripts import load, names, parts
from argo_buildpacks.components.scripts._compact import compact
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._size import (
    ARGO_TEMPLATE_LIMIT,
    OBJECT_LIMIT,
    argo_json_size,
    pod_template_size,
)
from tests.support.packaged import packaged

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: The target of issue 20: an app's build pod template in at most 48 KiB.
TARGET = 48 * 1024


def build_template(example: str) -> dict[str, Any]:
    """The build pod template of ``examples/<example>.yaml`` as rendered now."""
    config = BuildConfig.from_file(EXAMPLES / f"{example}.yaml")
    manifest = to_manifest(workflow_template(config))
    return next(t for t in manifest["spec"]["templates"] if t["name"] == "build")


def test_go_json_size_counts_what_go_escapes() -> None:
    # Go's json.Marshal: compact, UTF-8, '<', '>', '&' and U+2028/2029 as \\uXXXX.
    assert argo_json_size({"a": "x>&2"}) == len('{"a":"x\\u003e\\u00262"}')
    assert argo_json_size(["é", "\u2028"]) == len('["é","\\u2028"]'.encode())
    assert pod_template_size({"name": "t", "inputs": {"parameters": [{"name": "p"}]}}) == len(
        '{"name":"t","inputs":{}}'
    )


def test_the_example_app_fits_the_target() -> None:
    size = pod_template_size(build_template("my-python-app"))
    assert size <= TARGET, f"the build pod's ARGO_TEMPLATE is {size} bytes"


def test_the_release_example_fits_the_target() -> None:
    # The clone carries only the token's block; `version` is the pod's one copy of the tag
    # rules (docs/performance.md, docs/security.md).
    size = pod_template_size(build_template("my-python-app-release"))
    assert size <= TARGET, f"the release's build pod's ARGO_TEMPLATE is {size} bytes"


def test_each_phase_carries_only_its_part() -> None:
    template = build_template("my-python-app")
    whole = len(load("buildpacks_build.sh"))
    for container in template["containerSet"]["containers"]:
        script, phase = container["command"][2], container["command"][-1]
        if container["command"][3] != "buildpacks-build":
            continue
        assert script == load("buildpacks_build.sh", phase)
        assert len(script) < whole
        # No other phase's lifecycle program is in its text.
        others = {"analyzer", "detector", "restorer", "builder", "exporter"}
        own = {"analyze": "analyzer", "detect": "detector", "restore": "restorer"}.get(
            phase, {"build": "builder", "export": "exporter"}.get(phase, "")
        )
        assert [p for p in others - {own} if f"$LIFECYCLE/{p}" in script] == []


@pytest.mark.parametrize(("name", "part"), [(n, p) for n in names() for p in [None, *parts(n)]])
def test_each_part_defines_every_prelude_function_it_calls(name: str, part: str | None) -> None:
    text = load(name, part)
    defined = set(re.findall(r"^([a-z_]+)\(\) \{", text, flags=re.M))
    prelude = set(re.findall(r"^([a-z_]+)\(\) \{", scripts.prelude(*scripts._sections()), re.M))
    called = {
        f for f in prelude if re.search(rf"(^|[;&|(!]|then|do|else|\|\|)\s*{f}\b", text, re.M)
    }
    assert called <= defined, called - defined
    assert not re.search(r"^\s*#(?! shellcheck)", text, flags=re.M)  # no comment left


def test_compact_keeps_every_byte_of_a_multiline_string() -> None:
    text = "a='\n  # not a comment\n'\n  b=\"x\n\n y\"  # gone\n# gone\ncmd \\\n  arg\n"
    assert compact(text) == "a='\n  # not a comment\n'\nb=\"x\n\n y\"\ncmd \\\n arg\n"


@pytest.mark.parametrize("text", ["cat <<EOF\nx\nEOF\n", "a='open\n"])
def test_compact_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ConfigError, match="compact"):
        compact(text)


def test_an_unknown_part_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"has no part 'deploy'; it has analyze, build"):
        load("buildpacks_build.sh", "deploy")


def _container_template(size: int) -> dict[str, Any]:
    return {
        "name": "big",
        "container": {"image": "busybox:1.36", "command": ["/bin/sh", "-c", "x" * size]},
    }


def _workflow_template(templates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "sizes"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "steps": [[{"name": "a", "template": templates[0]["name"]}]]},
                *templates,
            ],
        },
    }


def _size_warnings(manifest: dict[str, Any]) -> list[str]:
    return [f.message for f in lint(manifest) if "bytes" in f.message and f.severity == "warning"]


def test_lint_warns_of_a_pod_template_over_argo_template_limit() -> None:
    small = _container_template(1000)
    assert _size_warnings(_workflow_template([small])) == []
    big = _container_template(ARGO_TEMPLATE_LIMIT)
    size = pod_template_size(big)
    (message,) = _size_warnings(_workflow_template([big]))
    assert f"template 'big' is {size} bytes" in message
    assert "over Argo's limit of 131072" in message and "ConfigMap" in message


def test_lint_warns_of_an_object_over_one_mib() -> None:
    templates = [
        {**_container_template(100_000), "name": f"t{i}"} for i in range(11)
    ]  # each under the pod limit, together over 1 MiB
    manifest = _workflow_template(templates)
    size = argo_json_size(manifest)
    assert size > OBJECT_LIMIT
    assert _size_warnings(manifest) == [
        f"the object is {size} bytes of JSON, over {OBJECT_LIMIT} (1 MiB): etcd refuses "
        "objects over 1.5 MiB by default, and a Workflow stores its templates again in its "
        "status; split it (templateRef to a shared WorkflowTemplate)"
    ]
    assert len(json.dumps(manifest)) > OBJECT_LIMIT


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = [template[k] for k in ("container", "script") if k in template]
    found += (template.get("containerSet") or {}).get("containers") or []
    return found + (template.get("initContainers") or []) + (template.get("sidecars") or [])


@pytest.mark.parametrize("example", ["my-python-app", "my-python-app-release"])
def test_every_script_is_the_packaged_text_in_the_containers_own_command(example: str) -> None:
    config = BuildConfig.from_file(EXAMPLES / f"{example}.yaml")
    manifest = to_manifest(workflow_template(config))
    texts = packaged()
    shells = 0
    for template in manifest["spec"]["templates"]:
        for container in _containers(template):
            command = container.get("command") or []
            if command[:2] != ["/bin/sh", "-c"]:
                continue
            shells += 1
            # The platform's constant text, whole, in the pod spec: nothing of it on a volume.
            assert command[2] in texts, container["name"]
            assert not re.search(
                r"(^|;|&&|\bthen|\bdo|\belse)\s*(\.|source)\s+[^|\s]", command[2], flags=re.M
            )
    assert shells >= 7


def test_a_container_takes_several_parts_or_none() -> None:
    """``load(name, (a, b))`` keeps the blocks of either part, ``()`` none of them: the clone
    carries its CA block only when ``source.ca`` is set."""
    whole, bare, ca = load("git_clone.sh"), load("git_clone.sh", ()), load("git_clone.sh", "ca")
    assert "GIT_SSL_CAINFO" in whole and "GIT_SSL_CAINFO" in ca
    assert "GIT_SSL_CAINFO" not in bare
    assert load("git_clone.sh", ("ca",)) == ca
    assert len(bare) < len(ca) <= len(whole)
    with pytest.raises(ConfigError, match="has no part 'nope'"):
        load("git_clone.sh", ("ca", "nope"))
