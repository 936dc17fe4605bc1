"""A monorepo's WorkflowTemplate: one clone, one build (and provenance) per app.

``main`` runs tag-check, the one git-clone (and ``version`` when the tag may come from git),
then for each app ``build-<app>`` and ``provenance-<app>``: one after the other, or side by
side when the workspace claim is ``ReadWriteMany`` (pods on different nodes can then mount it).

The clone is on the workflow's volume claim; each build pod mounts that claim **read-only**
at `SOURCE_MOUNT` (Argo gives a containerSet's own ``volumeMounts``, ``readOnly`` included, to
every container: ``pkg/apis/workflow/v1alpha1/container_set_template_types.go``
``GetContainers``) and a first container, ``source`` (no app code, no credential), copies it
into an emptyDir of the pod before detect runs. So no app's code can change what another
app's build reads: each build's own copy is the only thing its app's code can write.

Each image gets its own workflow parameter ``image-<app>`` (fixed), its own mutex (the one a
single-app template of that image takes, so the two never build it at once; Argo acquires a
workflow's mutexes all or none: ``workflow/sync/sync_manager.go`` ``tryAcquireImpl``; several
mutexes need Argo 3.6) and its own outputs ``<app>-image``, ``<app>-digest``,
``<app>-tags``, ``<app>-commit``.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import ClusterWorkflowTemplate, ContainerSet, Parameter, WorkflowTemplate
from hera.workflows.models import (
    Arguments,
    EmptyDirVolumeSource,
    EnvVar,
    Mutex,
    Synchronization,
    Template,
    Volume,
    VolumeMount,
    WorkflowStep,
)
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import Parameter as ModelParameter

from argo_buildpacks._kits.contract import LABEL_PREFIX
from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import buildpacks_build
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.components.provenance import PROVENANCE_OUTPUTS, provenance_template
from argo_buildpacks.components.scripts import load
from argo_buildpacks.components.tag_check import tag_check
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.monorepo import Monorepo
from argo_buildpacks.templates._workflow import Kind, assemble, mutex_name, workspace_claim
from argo_buildpacks.templates.layouts import provenance_call
from argo_buildpacks.templates.rbac import rbac_objects

__all__ = [
    "APP_VOLUME",
    "SOURCE_MOUNT",
    "app_outputs",
    "image_mutexes",
    "image_parameters",
    "monorepo_build",
    "monorepo_manifests",
    "monorepo_template",
]

#: Where a monorepo build pod mounts the workflow's claim (the one clone), read-only.
SOURCE_MOUNT = "/source"
#: The build pod's own workspace (an emptyDir over ``/workspace``): its copy of the clone.
APP_VOLUME = "app-workspace"
#: The first container of each build pod: the copy.
SOURCE_NODE = "source"


def app_outputs(app: BuildConfig) -> dict[str, str]:
    """The workflow outputs of ``app``'s provenance: ``image`` -> ``<app>-image``..."""
    return {name: f"{app.name}-{name}" for name in PROVENANCE_OUTPUTS}


def _clone_src(shared: BuildConfig) -> str:
    """Where the clone is, as the build pods see the claim (at `SOURCE_MOUNT`)."""
    return SOURCE_MOUNT + _pod.build_paths(shared).src.removeprefix(_pod.WORKSPACE)


def monorepo_build(app: BuildConfig, shared: BuildConfig) -> ContainerSet:
    """``build-<app>``: `buildpacks_build` on the pod's own copy of the clone.

    The claim (where ``git_clone(shared)`` wrote) is mounted read-only at `SOURCE_MOUNT` in
    every container; ``/workspace`` is an emptyDir of the pod. The ``source`` container copies
    the clone there before analyze; the phases then read ``/workspace/<app>/src/<path>``.
    """
    app = _member(app, shared)
    build = buildpacks_build(app, name=f"build-{app.name}")
    paths = _pod.build_paths(app)
    copy = ModelContainerNode(
        name=SOURCE_NODE,
        image=str(app.images.shell),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("monorepo_source.sh"), "monorepo-source"],
        env=[
            EnvVar(name="SOURCE", value=_clone_src(shared)),
            EnvVar(name="WORKSPACE", value=paths.root),
            EnvVar(name="SUBPATH", value=app.source.subpath),
        ],
        security_context=_pod.container_security(app.builder),
        resources=_pod.resources(app.resources.clone),
    )
    nodes = list(build.containers or [])
    # analyze, the first phase, runs once the copy is there.
    nodes[0].dependencies = [SOURCE_NODE]
    build.containers = [copy, *nodes]
    build.volumes = [
        Volume(name=APP_VOLUME, empty_dir=EmptyDirVolumeSource()),
        *(build.volumes if isinstance(build.volumes, list) else []),
    ]
    build.volume_mounts = [
        VolumeMount(name=APP_VOLUME, mount_path=_pod.WORKSPACE),
        VolumeMount(name=_pod.WORKSPACE_VOLUME, mount_path=SOURCE_MOUNT, read_only=True),
    ]
    return build


def _member(app: BuildConfig, shared: BuildConfig) -> BuildConfig:
    """``app`` with the monorepo's executor account: the one its RBAC objects render."""
    return app.model_copy(update={"executor_service_account": _pod.executor_account(shared)})


def _provenance(app: BuildConfig, shared: BuildConfig) -> Template:
    app = _member(app, shared)
    template = provenance_template(app, name=f"provenance-{app.name}")
    outputs = app_outputs(app)
    for param in (template.outputs.parameters if template.outputs else None) or []:
        param.global_name = outputs[str(param.name)]
    return template


def _out(step: str, name: str) -> str:
    return "{{steps." + step + ".outputs.parameters." + name + "}}"


def _args(**values: str) -> Arguments:
    return Arguments(parameters=[ModelParameter(name=k, value=v) for k, v in values.items()])


def monorepo_template(
    mono: Monorepo, *, kind: Kind = "WorkflowTemplate"
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """The WorkflowTemplate ``<mono.name>`` that builds every app of ``mono`` from one clone.

    Parameters: ``tag``, ``revision``, ``repo``, ``expected-commit`` (as a single app's) and
    ``image-<app>`` per app (fixed). Outputs per app: ``<app>-image``, ``<app>-digest``,
    ``<app>-tags``, ``<app>-commit`` (from that app's provenance step only).

    Raises:
        ConfigError: as `argo_buildpacks.templates._workflow.assemble`.
    """
    shared = mono.shared
    wf = "{{workflow.parameters.%s}}"
    parts: list[Any] = [tag_check(shared, name="tag-check"), git_clone(shared, name="git-clone")]
    calls: list[list[WorkflowStep]] = [
        [WorkflowStep(name="tag-check", template="tag-check", arguments=_args(tag=wf % "tag"))],
        [
            WorkflowStep(
                name="git-clone",
                template="git-clone",
                arguments=_args(
                    revision=wf % "revision",
                    **{"expected-commit": wf % "expected-commit"},
                    **({"repo": wf % "repo"} if "repo" in shared.overridable else {}),
                ),
            )
        ],
    ]
    tags_step = "tag-check"
    if shared.tag.from_git:
        parts.append(tag_check(shared, mode="describe", name="version"))
        calls.append(
            [WorkflowStep(name="version", template="version", arguments=_args(tag=wf % "tag"))]
        )
        tags_step = "version"
    builds: list[WorkflowStep] = []
    proofs: list[WorkflowStep] = []
    templates: list[Any] = []
    for app in mono.apps:
        build = monorepo_build(app, shared)
        args = {"tags": _out(tags_step, "tags"), "commit": _out("git-clone", "commit")}
        if app.creation_time == "commit":
            args["commit-epoch"] = _out("git-clone", "commit-epoch")
        builds.append(
            WorkflowStep(name=str(build.name), template=str(build.name), arguments=_args(**args))
        )
        claims = {
            "image": _out(str(build.name), "image"),
            "digest": _out(str(build.name), "digest"),
            "tags": args["tags"],
            "commit": args["commit"],
        }
        _, _, prov_args = provenance_call(claims, app)
        proof = _provenance(app, shared)
        proofs.append(
            WorkflowStep(name=str(proof.name), template=str(proof.name), arguments=prov_args)
        )
        templates += [build, proof]
    if "ReadWriteMany" in shared.workspace.access_modes:
        calls += [builds, proofs]
    else:
        # A ReadWriteOnce claim attaches to one node at a time: one build pod after another.
        for build_step, proof_step in zip(builds, proofs, strict=True):
            calls += [[build_step], [proof_step]]
    main = Template(name="main", steps=calls)
    template = assemble(
        shared,
        [main, *parts, *templates],
        kind=kind,
        volume_claims=[workspace_claim(shared)],
        labels={f"{LABEL_PREFIX}/monorepo": "true"},
    )
    notes = {k: v for k, v in (template.annotations or {}).items() if k != f"{LABEL_PREFIX}/image"}
    template.annotations = {
        **notes,
        f"{LABEL_PREFIX}/images": ",".join(str(a.image) for a in mono.apps),
    }
    declared = template.arguments if isinstance(template.arguments, list) else []
    template.arguments = [
        *(p for p in declared if getattr(p, "name", None) != "image"),
        *image_parameters(mono),
    ]
    template.synchronization = image_mutexes(mono)
    return template


def image_parameters(mono: Monorepo) -> list[Parameter]:
    """The workflow parameter ``image-<app>`` of each app, fixed (``enum``) to its image: what
    the single-app ``image`` parameter is, per image."""
    return [
        Parameter(
            name=f"image-{app.name}",
            value=str(app.image),
            enum=[str(app.image)],
            description=f"Image repository of app {app.name} (no tag); fixed when the "
            "template was installed",
        )
        for app in mono.apps
    ]


def image_mutexes(mono: Monorepo) -> Synchronization | None:
    """One mutex per app image, each the one a single-app template of that image takes
    (`argo_buildpacks.templates._workflow.mutex_name`); ``None`` without ``mutex``.

    Not one combined name: it would not exclude a single-app build of one of the images.
    Argo takes a workflow's mutexes all or none (``workflow/sync/sync_manager.go``,
    ``tryAcquireImpl`` checks every lock before taking any), so overlapping sets cannot
    deadlock; several mutexes need Argo 3.6 (``synchronization.mutexes``).
    """
    if not mono.shared.mutex:
        return None
    names = sorted({mutex_name(app) for app in mono.apps})
    return Synchronization(mutexes=[Mutex(name=n) for n in names])


def monorepo_manifests(mono: Monorepo, *, kind: Kind = "WorkflowTemplate") -> list[Any]:
    """Everything ``argo-buildpacks render`` writes for a monorepo config: the RBAC objects of
    its executor account (`argo_buildpacks.templates.rbac.rbac_objects` of the shared
    settings), then the WorkflowTemplate."""
    return [*rbac_objects(mono.shared), monorepo_template(mono, kind=kind)]
