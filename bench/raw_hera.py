"""The benchmark's baseline: the same WorkflowTemplate written by hand with raw Hera.

What a platform engineer would write without argo-buildpacks for the benchmark's apps
(public repo, registry secret, build env, every other setting at its default), field for
field, so that the render benchmark compares like with like (``tests/docs/test_bench.py`` checks
that both produce the same manifest). The scripts are the library's constants, as a hand
writer would paste them.
"""

from __future__ import annotations

import re

from hera.workflows import Container, ContainerNode, ContainerSet, Env, Parameter, WorkflowTemplate
from hera.workflows.models import (
    Arguments,
    Capabilities,
    EmptyDirVolumeSource,
    EnvVar,
    ExecutorConfig,
    Inputs,
    KeyToPath,
    Mutex,
    Outputs,
    PodGC,
    PodSecurityContext,
    ResourceRequirements,
    SeccompProfile,
    SecretVolumeSource,
    SecurityContext,
    Synchronization,
    Template,
    TTLStrategy,
    ValueFrom,
    Volume,
    VolumeMount,
    WorkflowStep,
)
from hera.workflows.models import Container as ModelContainer
from hera.workflows.models import Parameter as ModelParameter
from hera.workflows.models import ValueFrom as ModelValueFrom

from argo_buildpacks import BuildConfig
from argo_buildpacks.components.scripts import load

TAG_CHECK, GIT_CLONE, PROVENANCE = (
    load("tag_check.sh", "check"),
    load("git_clone.sh", ()),
    load("provenance.sh"),
)
WS = VolumeMount(name="workspace", mount_path="/workspace")
_RESTRICTED = (
    '{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},'
    '"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}'
)
# Argo's own init and wait containers get the restricted context through a pod spec patch.
EXECUTOR_PATCH = (
    '{"containers":[{"name":"wait","securityContext":' + _RESTRICTED + "}],"
    '"initContainers":[{"name":"init","securityContext":' + _RESTRICTED + "}]}"
)


def _security() -> SecurityContext:
    return SecurityContext(
        run_as_user=1001,
        run_as_group=1000,
        run_as_non_root=True,
        allow_privilege_escalation=False,
        capabilities=Capabilities(drop=["ALL"]),
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def _env(**values: str) -> list[Env]:
    return [Env(name=k, value=v) for k, v in values.items()]


def raw_template(cfg: BuildConfig) -> WorkflowTemplate:
    """The single-pod daemonless WorkflowTemplate for one benchmark app, by hand."""
    _ = Container  # the by-hand version needs no separate container templates
    image = str(cfg.image)
    ws = f"/workspace/{cfg.name}"  # each build's own directory on the workspace
    out = VolumeMount(name="out", mount_path=f"{ws}/out")
    layers = VolumeMount(name="layers", mount_path="/layers")
    registry = VolumeMount(
        name="registry-credentials",
        mount_path="/var/run/secrets/argo-buildpacks/registry",
        read_only=True,
    )
    build_resources = ResourceRequirements(
        requests={"cpu": "1", "memory": "2Gi"}, limits={"memory": "4Gi"}
    )
    common = {
        "WORKSPACE": ws,
        "SUBPATH": "",
        "LAYERS_DIR": "/layers",
        "BUILD_UID": "1001",
        "BUILD_GID": "1000",
        "CNB_PLATFORM_API": "0.12",
    }
    # The registry phases retry their lifecycle program themselves (retries.push).
    docker = {"RETRIES": "2", "DOCKER_CONFIG": "/var/run/secrets/argo-buildpacks/registry"}
    target = {"IMAGE": image, "OUT_DIR": f"{ws}/out"}
    phases = [
        ("analyze", {**common, **target, **docker}, [WS, layers, out, registry]),
        ("detect", common, [WS, layers]),
        ("restore", {**common, **docker}, [WS, layers, registry]),
        ("build", common, [WS, layers]),
        (
            "export",
            {**common, **target, "CREATION_TIME": "commit", "RUN_ID": "{{workflow.uid}}", **docker},
            [WS, layers, out, registry],
        ),
    ]
    nodes = [
        ContainerNode(
            name="tag-check",
            image="busybox:1.37.0",
            image_pull_policy="IfNotPresent",
            command=["/bin/sh", "-c", TAG_CHECK, "tag-check", "check"],
            env=_env(
                TAG="{{inputs.parameters.tag}}",
                FROM_GIT="false",
                FLOATING="true",
                LATEST="false",
                ALLOW_UNTAGGED="false",
                OUT_DIR=f"{ws}/out",
            ),
            volume_mounts=[WS, out],
            security_context=_security(),
            resources=ResourceRequirements(
                requests={"cpu": "10m", "memory": "16Mi"},
                limits={"cpu": "200m", "memory": "64Mi"},
            ),
        ),
        ContainerNode(
            name="git-clone",
            image="alpine/git:v2.49.1",
            image_pull_policy="IfNotPresent",
            command=["/bin/sh", "-c", GIT_CLONE, "git-clone"],
            env=_env(
                REPO=cfg.source.url,
                REVISION="{{inputs.parameters.revision}}",
                EXPECTED_COMMIT="{{inputs.parameters.expected-commit}}",
                ALLOW_ANY_SHA="false",
                ALLOW_PULL_REQUESTS="false",
                DEPTH="1",
                SUBMODULES="false",
                SUBPATH="",
                WORKSPACE=ws,
                OUT_DIR=f"{ws}/out",
                DESCRIBE="false",
                RETRIES="3",
                AUTH="none",
            ),
            volume_mounts=[WS, out],
            security_context=_security(),
            resources=ResourceRequirements(
                requests={"cpu": "100m", "memory": "128Mi"},
                limits={"memory": "512Mi"},
            ),
            dependencies=["tag-check"],
        ),
    ]
    previous = "git-clone"
    for phase, env, mounts in phases:
        name = "main" if phase == "export" else phase
        nodes.append(
            ContainerNode(
                name=name,
                image="paketobuildpacks/builder-jammy-base:0.4.642",
                image_pull_policy="IfNotPresent",
                command=[
                    "/bin/sh",
                    "-c",
                    load("buildpacks_build.sh", phase),
                    "buildpacks-build",
                    phase,
                ],
                args=[item for k in sorted(cfg.env) for item in (k, cfg.env[k])]
                if phase == "analyze"
                else None,
                env=_env(**env),
                volume_mounts=mounts,
                security_context=_security(),
                resources=build_resources,
                dependencies=[previous],
            )
        )
        previous = name
    build = ContainerSet(
        name="build",
        containers=nodes,  # type: ignore[arg-type]
        volumes=[
            Volume(name="workspace", empty_dir=EmptyDirVolumeSource()),
            Volume(name="out", empty_dir=EmptyDirVolumeSource()),
            Volume(name="layers", empty_dir=EmptyDirVolumeSource()),
            Volume(
                name="registry-credentials",
                secret=SecretVolumeSource(
                    secret_name=str(cfg.registry_secret),
                    items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
                    default_mode=0o440,
                ),
            ),
        ],
        inputs=[
            Parameter(name=n, default="" if n == "expected-commit" else None)
            for n in ("tag", "revision", "expected-commit")
        ],
        # Claims: the provenance step reads them back from the registry and publishes.
        outputs=[
            Parameter(name=n, value_from=ValueFrom(path=f"{ws}/out/{n}"))
            for n in ("image", "digest", "tags", "commit")
        ],
        pod_security_context=PodSecurityContext(
            run_as_user=1001,
            run_as_group=1000,
            run_as_non_root=True,
            fs_group=1000,
            seccomp_profile=SeccompProfile(type="RuntimeDefault"),
        ),
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=f"{cfg.name}-executor"),
        pod_spec_patch=EXECUTOR_PATCH,
    )
    main = Template(
        name="main",
        steps=[
            [
                WorkflowStep(
                    name="build",
                    template="build",
                    arguments=Arguments(
                        parameters=[
                            ModelParameter(name=n, value="{{workflow.parameters." + n + "}}")
                            for n in ("tag", "revision", "expected-commit")
                        ]
                    ),
                )
            ],
            [
                WorkflowStep(
                    name="provenance",
                    template="provenance",
                    arguments=Arguments(
                        parameters=[
                            ModelParameter(
                                name=f"claimed-{n}",
                                value="{{steps.build.outputs.parameters." + n + "}}",
                            )
                            for n in ("image", "digest", "tags", "commit")
                        ]
                    ),
                )
            ],
        ],
    )
    provenance = _provenance(cfg, registry)
    mutex = "argo-buildpacks-" + re.sub(r"[^a-z0-9-]+", "-", cfg.image.name).strip("-")
    return WorkflowTemplate(
        name=cfg.name,
        namespace=cfg.namespace,
        labels={
            "app.kubernetes.io/managed-by": "argo-buildpacks",
            "argo-buildpacks.io/layout": "single-pod",
            "argo-buildpacks.io/mode": "daemonless",
        },
        annotations={"argo-buildpacks.io/image": image},
        entrypoint="main",
        arguments=[
            Parameter(
                name="tag", description="SemVer 2.0.0 version to build (one leading 'v' allowed)"
            ),
            Parameter(name="revision", value="main", description="Branch, tag or commit"),
            Parameter(
                name="repo",
                value=cfg.source.url,
                enum=[cfg.source.url],
                description="Git repository URL; fixed when the template was installed",
            ),
            Parameter(
                name="image",
                value=image,
                enum=[image],
                description="Image repository (no tag); fixed when the template was installed",
            ),
            Parameter(
                name="expected-commit",
                value="",
                description="The commit the revision must name (a push event's SHA); empty: any",
            ),
        ],
        templates=[main, build, provenance],
        security_context=PodSecurityContext(
            run_as_user=1001,
            run_as_group=1000,
            run_as_non_root=True,
            fs_group=1000,
            seccomp_profile=SeccompProfile(type="RuntimeDefault"),
        ),
        active_deadline_seconds=3600,
        pod_gc=PodGC(strategy="OnPodSuccess"),
        ttl_strategy=TTLStrategy(seconds_after_success=86400, seconds_after_failure=604800),
        synchronization=Synchronization(mutexes=[Mutex(name=mutex)]),
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=f"{cfg.name}-executor"),
    )


def _provenance(cfg: BuildConfig, registry: VolumeMount) -> Template:
    """The step after the build that publishes the run's outputs from the registry."""
    nonroot = 65532
    tmp = VolumeMount(name="tmp", mount_path="/tmp")  # noqa: S108
    return Template(
        name="provenance",
        inputs=Inputs(
            parameters=[
                ModelParameter(name="claimed-image"),
                ModelParameter(name="claimed-tags"),
                ModelParameter(name="claimed-digest", default=""),
                ModelParameter(name="claimed-commit", default=""),
            ]
        ),
        container=ModelContainer(
            image="gcr.io/go-containerregistry/crane/debug:v0.20.6",
            image_pull_policy="IfNotPresent",
            command=["/busybox/sh", "-c", PROVENANCE, "provenance"],
            env=[
                EnvVar(name=k, value=v)
                for k, v in {
                    "IMAGE": cfg.image.name,
                    "RUN_ID": "{{workflow.uid}}",
                    **{
                        f"CLAIMED_{n.upper()}": "{{inputs.parameters.claimed-" + n + "}}"
                        for n in ("image", "digest", "tags", "commit")
                    },
                    "OUT_DIR": "/tmp/out",  # noqa: S108
                    "HOME": "/tmp",  # noqa: S108
                    "DOCKER_CONFIG": "/var/run/secrets/argo-buildpacks/registry",
                }.items()
            ],
            volume_mounts=[tmp, registry],
            security_context=SecurityContext(
                run_as_user=nonroot,
                run_as_group=nonroot,
                run_as_non_root=True,
                allow_privilege_escalation=False,
                read_only_root_filesystem=True,
                capabilities=Capabilities(drop=["ALL"]),
                seccomp_profile=SeccompProfile(type="RuntimeDefault"),
            ),
            resources=ResourceRequirements(
                requests={"cpu": "50m", "memory": "64Mi"}, limits={"memory": "256Mi"}
            ),
        ),
        volumes=[
            Volume(name="tmp", empty_dir=EmptyDirVolumeSource()),
            Volume(
                name="registry-credentials",
                secret=SecretVolumeSource(
                    secret_name=str(cfg.registry_secret),
                    items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
                    default_mode=0o440,
                ),
            ),
        ],
        outputs=Outputs(
            parameters=[
                ModelParameter(
                    name=n,
                    value_from=ModelValueFrom(path=f"/tmp/out/{n}"),  # noqa: S108
                    global_name=n,
                )
                for n in ("image", "digest", "tags", "commit")
            ]
        ),
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=f"{cfg.name}-executor"),
        security_context=PodSecurityContext(
            run_as_user=nonroot,
            run_as_group=nonroot,
            run_as_non_root=True,
            fs_group=nonroot,
            seccomp_profile=SeccompProfile(type="RuntimeDefault"),
        ),
        active_deadline_seconds=300,
        pod_spec_patch=EXECUTOR_PATCH,
    )
