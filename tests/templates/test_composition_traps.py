"""Issue 21 item 6: composition traps.

``as_node(buildpacks_build(cfg))`` raised a raw AttributeError; ``compose(templates=...)``
with a template already in the workflow blamed ``name=``; ``resources: {build: {requests:
{cpu: "2"}}}`` dropped the default memory request and limit.
"""

from __future__ import annotations

from typing import Any

import pytest
from hera.workflows import Container, ContainerNode, ContainerSet, Script, Steps, WorkflowTemplate

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from argo_buildpacks.components import as_node, as_nodes, buildpacks_build, git_clone, tag_check
from argo_buildpacks.components.buildpacks_build import PHASES
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import Resources, ResourceSpec
from argo_buildpacks.templates.compose import compose


def cfg(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "web",
        "source": {"url": "https://github.com/acme/web.git"},
        "image": "registry.example.com/acme/web",
    }
    return BuildConfig.model_validate({**data, **extra})


# --- as_node / as_nodes ------------------------------------------------------------------


def test_as_node_of_the_build_container_set_names_it_and_what_to_use() -> None:
    build = buildpacks_build(cfg())
    with pytest.raises(ConfigError) as info:
        as_node(build)
    message = str(info.value)
    assert f"as_node: {build.name!r} is a containerSet of several containers" in message
    assert "analyze, detect" in message
    assert "as_nodes(template, dependencies=[...])" in message
    # The volumes the caller's containerSet must then declare are named.
    volumes = build.volumes if isinstance(build.volumes, list) else []
    assert volumes
    assert all(str(getattr(v, "name", "")) in message for v in volumes)


@pytest.mark.parametrize(
    "template",
    [
        Script(name="unit", image="python:3.12", source="print(1)"),
        Steps(name="main"),
        "tag-check",
    ],
    ids=["script", "steps", "string"],
)
def test_as_node_refuses_what_no_container_set_can_run_naming_its_kind(template: Any) -> None:
    with pytest.raises(ConfigError, match=rf"is a {type(template).__name__}, which a contain"):
        as_node(template)


def test_your_own_test_step_goes_into_the_single_pod_build() -> None:
    config = cfg()
    build = buildpacks_build(config)
    mine = Container(name="unit-tests", image="python:3.12", command=["make", "test"])
    nodes = [
        as_node(mine, dependencies=None),
        *as_nodes(build, dependencies=["unit-tests"]),
    ]
    names = [str(n.name) for n in nodes]
    assert names[0] == "unit-tests"
    assert names[1:] == [str(c.name) for c in build.containers or []]
    # The build starts after the tests; its phases keep their own order.
    first = nodes[1]
    assert first.dependencies == ["unit-tests"]
    originals = {str(c.name): c.dependencies for c in build.containers or []}
    for node in nodes[2:]:
        assert node.dependencies == originals[str(node.name)]
    # Copies: placing the nodes leaves the component's own template as it was.
    assert (build.containers or [])[0].dependencies != ["unit-tests"]
    with WorkflowTemplate(name="web", entrypoint="main") as w:
        ContainerSet(name="main", containers=nodes, volumes=build.volumes)
    manifest = to_manifest(w)
    placed = manifest["spec"]["templates"][0]["containerSet"]["containers"]
    assert [c["name"] for c in placed] == names
    assert {p for p in PHASES if p in names} <= set(names)


def test_as_node_of_a_node_renames_it_and_as_nodes_of_a_container_is_one_node() -> None:
    node = ContainerNode(name="a", image="busybox")
    moved = as_node(node, name="b", dependencies=["x"])
    assert (moved.name, moved.dependencies) == ("b", ["x"])
    assert (node.name, node.dependencies) == ("a", None)
    [one] = as_nodes(tag_check(cfg()), dependencies=["x"])
    assert (one.name, one.dependencies) == ("tag-check", ["x"])


# --- compose(templates=...) --------------------------------------------------------------


def _workflow(config: BuildConfig) -> tuple[WorkflowTemplate, Any]:
    with WorkflowTemplate(name="mine", entrypoint="main") as w:
        clone = git_clone(config)
        with Steps(name="main"):
            clone(arguments={"revision": "{{workflow.parameters.revision}}"})
    return w, clone


def test_a_template_passed_again_in_templates_is_named_and_blamed_on_templates() -> None:
    config = cfg()
    w, clone = _workflow(config)
    before = [t.name for t in w.templates]
    with pytest.raises(ConfigError) as info:
        compose(w, config, templates=[clone])
    message = str(info.value)
    assert message.startswith("compose(templates=...): template 'git-clone' is already in")
    assert "drop it from templates=" in message
    assert "name=" not in message.replace("templates=", "")
    # Refused before anything changed: the workflow is as the caller left it.
    assert [t.name for t in w.templates] == before
    assert getattr(w, "volume_claim_templates", None) is None


def test_another_template_of_the_same_name_points_at_name() -> None:
    config = cfg()
    w, _ = _workflow(config)
    other = git_clone(config.model_copy(update={"name": "api"}))
    with pytest.raises(
        ConfigError,
        match=r"'git-clone' is already in 'mine' with other content.*"
        r"own name=",
    ):
        compose(w, config, templates=[other])


def test_a_template_given_twice_in_templates_is_named() -> None:
    config = cfg()
    w, _ = _workflow(config)
    with pytest.raises(ConfigError, match=r"'tag-check' is passed twice in templates="):
        compose(w, config, templates=[tag_check(config), tag_check(config)])


# --- resources merged per key ------------------------------------------------------------


def _build_resources(config: BuildConfig) -> dict[str, Any]:
    manifest = to_manifest(workflow_template(config))
    build = next(t for t in manifest["spec"]["templates"] if "containerSet" in t)
    node = next(c for c in build["containerSet"]["containers"] if c["name"] == "build")
    resources: dict[str, Any] = node["resources"]
    return resources


def test_one_changed_key_keeps_the_other_defaults_in_the_rendered_pod() -> None:
    config = cfg(resources={"build": {"requests": {"cpu": "2"}}})
    assert _build_resources(config) == {
        "requests": {"cpu": "2", "memory": "2Gi"},
        "limits": {"memory": "4Gi"},
    }
    # The other phases keep theirs untouched.
    assert config.resources.clone == Resources().clone


def test_null_removes_a_default_and_a_new_resource_is_added() -> None:
    config = cfg(
        resources={
            "build": {"limits": {"memory": None, "ephemeral-storage": "10Gi"}},
            "tag_check": {"requests": {"memory": "32Mi"}},
        }
    )
    assert _build_resources(config) == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"ephemeral-storage": "10Gi"},
    }
    assert config.resources.tag_check.requests == {"cpu": "10m", "memory": "32Mi"}
    assert config.resources.tag_check.limits == {"cpu": "200m", "memory": "64Mi"}


def test_python_objects_merge_alike_and_a_dump_round_trips() -> None:
    resources = Resources(build=ResourceSpec(requests={"cpu": "3"}))
    assert resources.build.requests == {"cpu": "3", "memory": "2Gi"}
    assert resources.build.limits == {"memory": "4Gi"}
    assert Resources.model_validate(resources.model_dump()) == resources


def test_an_empty_mapping_removes_every_default_and_the_config_file_round_trips() -> None:
    config = cfg(resources={"build": {"limits": {"memory": None}}, "clone": {"requests": {}}})
    assert config.resources.build.limits == {}
    assert config.resources.clone.requests == {}
    assert config.resources.clone.limits == {"memory": "512Mi"}
    again = BuildConfig.from_yaml(config.to_yaml())
    assert again.resources == config.resources


def test_a_bad_quantity_is_still_named() -> None:
    with pytest.raises(ConfigError, match=r"resources\.build\.requests: cpu: 'lots'"):
        cfg(resources={"build": {"requests": {"cpu": "lots"}}})
