"""Deploy after a successful build, by digest: a step after ``build`` in ``main``.

Two ways, from ``config.deploy``:

- `kubernetes_deploy`: ``kubectl set image`` on one container of one Deployment, then
  ``kubectl rollout status``, in a pod of its own whose ServiceAccount (``<name>-deploy``)
  may patch that one Deployment and nothing else (see `argo_buildpacks.templates.rbac`). The
  kubectl image needs no shell: every value is an argument.
- `gitops_deploy`: ``scripts/deploy_gitops.sh`` commits the image reference to a file
  of a GitOps repository and pushes it (Argo CD or Flux roll it out). The repository, file,
  branch and token Secret are literal in the template, never parameters; the token reaches
  only this container, sent as a header scoped to the repository URL.

The image deployed is always the *configured* repository at the digest the build output
(``image@sha256:...``), so a run cannot point the deploy at another image.
`add_deploy` appends the step to a generated template (both layouts).
"""

from __future__ import annotations

from typing import Any

from hera.workflows import ClusterWorkflowTemplate, WorkflowTemplate
from hera.workflows.models import (
    Capabilities,
    ContainerNode,
    ContainerSetTemplate,
    EmptyDirVolumeSource,
    EnvVar,
    ExecutorConfig,
    Inputs,
    ParallelSteps,
    PodSecurityContext,
    ResourceRequirements,
    SeccompProfile,
    SecretVolumeSource,
    SecurityContext,
    Template,
    Volume,
    VolumeMount,
    WorkflowStep,
)
from hera.workflows.models import Container as ModelContainer

from argo_buildpacks.components import _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.release import GitOpsDeploy, KubernetesDeploy

__all__ = [
    "DEPLOY_UID",
    "GITOPS_SECRET_DIR",
    "add_deploy",
    "deploy_service_account",
    "gitops_deploy",
    "kubernetes_deploy",
]

#: The non-root uid/gid the deploy containers run as (neither image needs root).
DEPLOY_UID = 65532
GITOPS_SECRET_DIR = "/var/run/secrets/argo-buildpacks/gitops"
_TMP = "tmp"
# An emptyDir mounted there (the root filesystem is read-only), private to the pod.
_TMP_DIR = "/tmp"  # noqa: S108
# The build's workflow outputs (globalName), not inputs: a submitter who starts the run at
# the deploy template (``--entrypoint deploy``) has no build outputs to give it, so no way
# to choose what is deployed; Argo fails the unresolved reference instead.
_DIGEST = "{{workflow.outputs.parameters.digest}}"
_BUILT = "{{workflow.outputs.parameters.image}}"


def _security() -> SecurityContext:
    return SecurityContext(
        run_as_user=DEPLOY_UID,
        run_as_group=DEPLOY_UID,
        run_as_non_root=True,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=Capabilities(drop=["ALL"]),
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def _pod_security() -> PodSecurityContext:
    return PodSecurityContext(
        run_as_user=DEPLOY_UID,
        run_as_group=DEPLOY_UID,
        run_as_non_root=True,
        fs_group=DEPLOY_UID,
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


_SMALL = ResourceRequirements(requests={"cpu": "50m", "memory": "64Mi"}, limits={"memory": "256Mi"})


def deploy_service_account(config: BuildConfig) -> str:
    """The Kubernetes deploy pod's ServiceAccount (``deploy.kubernetes.service_account`` or
    ``<name>-deploy``)."""
    kube = config.deploy.kubernetes if config.deploy else None
    if kube is None:
        raise ConfigError(f"config {config.name!r} has no deploy.kubernetes section")
    return kube.service_account or f"{config.name}-deploy"


def kubernetes_deploy(
    config: BuildConfig, target: KubernetesDeploy, *, name: str = "deploy"
) -> Template:
    """Set ``target.container`` of ``target.deployment`` to ``IMAGE@DIGEST`` and wait for
    the rollout: a containerSet (``check``, then ``set-image`` and ``main`` running kubectl
    with arguments only), under the deploy ServiceAccount (the only pod of the run with an
    API token). ``check`` (busybox, ``scripts/deploy_check.sh``) refuses anything but a
    ``sha256:`` digest, since kubectl itself would set whatever it is given.

    The digest is the build's workflow output ``digest``: the template has no inputs.
    """
    reference = f"{config.image.name}@{_DIGEST}"
    tmp = VolumeMount(name=_TMP, mount_path=_TMP_DIR)
    env = [EnvVar(name="HOME", value=_TMP_DIR)]
    deployment = f"deployment/{target.deployment}"
    common = {
        "image": target.image,
        "image_pull_policy": "IfNotPresent",
        "command": ["kubectl"],
        "env": env,
        "volume_mounts": [tmp],
        "security_context": _security(),
        "resources": _SMALL,
    }
    check = ContainerNode(
        name="check",
        image=str(config.images.shell),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("deploy_check.sh"), "deploy-check"],
        env=[EnvVar(name="DIGEST", value=_DIGEST)],
        security_context=_security(),
        resources=_SMALL,
    )
    set_image = ContainerNode(
        name="set-image",
        dependencies=["check"],
        args=[
            f"--namespace={target.namespace}",
            "set",
            "image",
            deployment,
            f"{target.container}={reference}",
        ],
        **common,
    )
    rollout = ContainerNode(
        name="main",
        dependencies=["set-image"],
        args=[
            f"--namespace={target.namespace}",
            "rollout",
            "status",
            deployment,
            "--watch=true",
            f"--timeout={target.timeout_seconds}s",
        ],
        **common,
    )
    return Template(
        name=name,
        container_set=ContainerSetTemplate(
            containers=[check, set_image, rollout],
            volume_mounts=None,
        ),
        volumes=[Volume(name=_TMP, empty_dir=EmptyDirVolumeSource())],
        service_account_name=target.service_account or f"{config.name}-deploy",
        automount_service_account_token=True,
        security_context=_pod_security(),
        active_deadline_seconds=target.timeout_seconds + 120,
    )


def gitops_deploy(config: BuildConfig, target: GitOpsDeploy, *, name: str = "deploy") -> Template:
    """Commit ``IMAGE@DIGEST`` to ``target.path`` of ``target.repo`` and push, retrying on
    a concurrent push: ``scripts/deploy_gitops.sh`` in ``target.image`` (git, busybox sh
    and awk). No Kubernetes API token in the pod; the executor uses the workflow's account.

    The digest and the pushed image are the build's workflow outputs ``digest`` and
    ``image`` (which must be a tag of the configured image, or nothing is deployed): the
    template has no inputs.
    """
    creds = target.credentials
    values: dict[str, str] = {
        "GITOPS_REPO": target.repo,
        "GITOPS_BRANCH": target.branch,
        "GITOPS_PATH": target.path,
        "MODE": "yaml" if target.yaml_path else "kustomization",
        "YAML_PATH": target.yaml_path or "",
        "VALUE_KIND": target.value,
        "IMAGE": config.image.name,
        "IMAGE_NAME": target.image_name or config.image.name,
        "DIGEST": _DIGEST,
        "BUILT": _BUILT,
        "APP": config.name,
        "RETRIES": str(target.retries),
        "GIT_AUTHOR_NAME": target.author_name,
        "GIT_AUTHOR_EMAIL": target.author_email,
        "AUTH": "https" if creds else "none",
    }
    mounts = [VolumeMount(name=_TMP, mount_path=_TMP_DIR)]
    volumes = [Volume(name=_TMP, empty_dir=EmptyDirVolumeSource())]
    if creds is not None:
        values["GIT_TOKEN_FILE"] = f"{GITOPS_SECRET_DIR}/{creds.https_token_key}"
        values["GIT_USERNAME"] = creds.https_username
        mounts.append(
            VolumeMount(name="gitops-token", mount_path=GITOPS_SECRET_DIR, read_only=True)
        )
        volumes.append(
            Volume(
                name="gitops-token",
                secret=SecretVolumeSource(secret_name=creds.https_token_secret, default_mode=0o440),
            )
        )
    return script_pod(
        config,
        name=name,
        image=target.image,
        script="deploy_gitops.sh",
        values=values,
        mounts=mounts,
        volumes=volumes,
        deadline=900,
    )


def script_pod(
    config: BuildConfig,
    *,
    name: str,
    image: str,
    script: str,
    values: dict[str, str],
    mounts: list[VolumeMount],
    volumes: list[Volume],
    deadline: int,
    inputs: Inputs | None = None,
    interpreter: str = "/bin/sh",
) -> Template:
    """A pod of one trusted container running the packaged ``script`` (values in its env
    only) under ``interpreter``, with no service-account token (Argo's executor gets its own
    account's), the restricted security contexts and a deadline: the shape of the steps after
    the push."""
    return Template(
        name=name,
        inputs=inputs,
        container=ModelContainer(
            image=image,
            image_pull_policy="IfNotPresent",
            command=[interpreter, "-c", load(script), script.removesuffix(".sh").replace("_", "-")],
            env=[EnvVar(name=k, value=v) for k, v in values.items()],
            volume_mounts=mounts,
            security_context=_security(),
            resources=_SMALL,
        ),
        volumes=volumes,
        automount_service_account_token=False,
        # Argo requires the executor's own account when the pod gets no token.
        executor=ExecutorConfig(service_account_name=_pod.executor_account(config)),
        security_context=_pod_security(),
        active_deadline_seconds=deadline,
    )


def deploy_template(config: BuildConfig, *, name: str = "deploy") -> Template | None:
    """The deploy template ``config.deploy`` asks for, or ``None``."""
    if config.deploy is None:
        return None
    if config.deploy.kubernetes is not None:
        return kubernetes_deploy(config, config.deploy.kubernetes, name=name)
    if config.deploy.gitops is not None:
        return gitops_deploy(config, config.deploy.gitops, name=name)
    return None  # pragma: no cover - DeployConfig guarantees one of the two


def add_deploy(
    template: WorkflowTemplate | ClusterWorkflowTemplate, config: BuildConfig
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """Append the deploy step (after ``build``, in ``main``) and its template when
    ``config.deploy`` is set; return ``template`` (changed in place).

    Raises:
        ConfigError: ``template`` has no ``main`` steps template with a ``build`` step.
    """
    deploy = deploy_template(config)
    if deploy is None:
        return template
    templates: list[Any] = list(template.templates or [])
    main = next((t for t in templates if getattr(t, "name", None) == "main"), None)
    steps = getattr(main, "steps", None)
    names = {s.name for group in steps or [] for s in getattr(group, "root", group)}
    if steps is None or "build" not in names:
        raise ConfigError("deploy needs a 'main' steps template with a 'build' step")
    steps.append(
        ParallelSteps(
            root=[
                # No arguments: the deploy reads the build's workflow outputs itself.
                WorkflowStep(name="deploy", template=deploy.name)
            ]
        )
    )
    templates.append(deploy)
    template.templates = templates
    return template
