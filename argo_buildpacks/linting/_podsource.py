"""What the pod model (`argo_buildpacks.linting._workflowpod`) takes from Argo's source: the
lines each rule follows per release, the constants, and the controller settings no manifest
shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ARGOEXEC_ROOT",
    "DEFAULT",
    "EXECUTOR_SA_MOUNT",
    "MAX_ENV_VALUE",
    "POD_KINDS",
    "SOURCE",
    "Controller",
    "cite",
    "template_kind",
    "token_secret_name",
]

#: Template types that become a pod (``Template.IsPodType``).
POD_KINDS = ("container", "script", "containerSet", "resource", "data")
#: Where an executor container gets its account's token (``common.go`` 235-236).
EXECUTOR_SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
#: ``ARGO_TEMPLATE`` longer than this goes to a ConfigMap (``common.MaxEnvVarLen``).
MAX_ENV_VALUE = 131072
#: The uid the default ``argoexec`` image runs as: its Dockerfile stage sets no ``USER``
#: (Dockerfile 110-114, 4.1.2; 100-104, 3.6.19); ``argoexec-nonroot`` sets ``USER 8737``.
ARGOEXEC_ROOT = 0

#: The lines of workflowpod.go each rule follows, per release (3.7.9 as 3.6.19 unless shown).
SOURCE: dict[str, dict[str, str]] = {
    "volumes": {"3.6": "690", "4.0": "847", "4.1": "1261-1277"},
    "aux": {"3.6": "242", "3.7": "241", "4.0": "252", "4.1": "537-546"},
    "init": {"3.6": "272-273", "4.0": "287", "4.1": "571-576"},
    "main-name": {"3.6": "137", "4.0": "144", "4.1": "419"},
    "containers": {"3.6": "253", "4.0": "264", "4.1": "551"},
    "exec": {"3.6": "695-745", "4.0": "852-902", "4.1": "1280-1322"},
    "resource-sc": {"3.6": "705-713", "4.0": "862-870", "4.1": "1289-1296"},
    "sa-token": {"4.1": "1824-1861"},
    "mirror": {"3.6": "1067-1095", "4.0": "1226-1257", "4.1": "1691-1734"},
    "var-run-argo": {"3.6": "311, 429", "4.0": "328, 455", "4.1": "632, 793"},
    "patch": {"3.6": "396", "4.0": "413", "4.1": "736-746"},
    "emissary": {"4.1": "751-773"},
    "artifacts": {"3.6": "991-1065", "4.0": "1138-1224", "4.1": "1560-1673"},
    "script": {"3.6": "1186", "4.0": "1375", "4.1": "1864-1909"},
    "env": {"3.6": "330-355", "4.0": "345-372", "4.1": "646-697"},
    "offload": {"3.6": "436-480", "4.0": "486-545", "4.1": "829-900"},
    "pod-security": {"4.1": "1399-1404"},
    "initless": {"4.1": "workflowpod_layout.go 68-73, 140-200"},
}


def cite(rule: str, version: tuple[int, int]) -> str:
    """``workflowpod.go <lines> (v<release>)`` for ``rule`` in the release ``version``."""
    lines = SOURCE[rule]
    key = f"{version[0]}.{version[1]}"
    order = ["3.6", "3.7", "4.0", "4.1"]
    known = [v for v in order[: order.index(key) + 1] if v in lines] or ["4.1"]
    where = lines[known[-1]]
    release = {"3.6": "3.6.19", "3.7": "3.7.9", "4.0": "4.0.10", "4.1": "4.1.2"}[known[-1]]
    prefix = "" if where.startswith("workflowpod") else "workflowpod.go "
    return f"{prefix}{where} (v{release})"


@dataclass(frozen=True)
class Controller:
    """What the workflow-controller's ConfigMap decides for every pod.

    Attributes:
        initless: 4.1's ``initlessPod: {enabled: true}`` (beta, off by default): no ``init``
            container, a ``supervisor`` instead of ``wait``.
        archive_logs: the artifact repository's ``archiveLogs`` (3.7 and later: a resource
            template then gets a ``wait`` container to collect its log).
        executor_image: the ``argoexec`` image of Argo's own containers.
        executor_user: the uid that image runs as: ``0`` for ``argoexec`` (the default),
            ``8737`` for ``argoexec-nonroot``.
        executor_security_context: ``executor.securityContext`` of the ConfigMap, if any.
    """

    initless: bool = False
    archive_logs: bool = False
    executor_image: str = "quay.io/argoproj/argoexec"
    executor_user: int | None = ARGOEXEC_ROOT
    executor_security_context: Mapping[str, Any] | None = None


#: The controller as installed: legacy layout, no archiveLogs, the root argoexec image.
DEFAULT = Controller()


def token_secret_name(account: str) -> str:
    """The Secret of an executor ServiceAccount's token when the account lists no secret and
    carries no ``workflows.argoproj.io/service-account-token.name`` annotation
    (``util/secrets/secret_name.go`` ``TokenName``)."""
    return f"{account}.service-account-token"


def template_kind(tmpl: Mapping[str, Any]) -> str:
    """The template's pod type, or ``""`` when it makes no pod."""
    return next((k for k in POD_KINDS if tmpl.get(k) is not None), "")
