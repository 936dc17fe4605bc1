"""Field types shared by the config sections: Kubernetes names, Secret references, env names,
labels, git revisions and paths, cron schedules.

Each is a ``str`` checked by a rule of `argo_buildpacks._kits` (one copy of each rule), so a
bad value is reported at its key with the value and what is allowed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from argo_buildpacks._kits import cron, git, names

__all__ = [
    "AppName",
    "CronSchedule",
    "DnsLabel",
    "DnsSubdomain",
    "EnvName",
    "GitRevision",
    "LabelKey",
    "LabelValue",
    "Namespace",
    "RepoPath",
    "SecretKey",
    "SecretName",
    "ServiceAccountName",
]

#: An app's name: a DNS-1123 label of at most 57 characters, leaving room for the suffixes
#: of the objects named after it (``-rebase``, ``-sensor``...).
AppName = Annotated[str, AfterValidator(lambda s: names.dns_label(s, what="name", max_length=57))]
#: A namespace (a DNS-1123 label).
Namespace = Annotated[str, AfterValidator(lambda s: names.dns_label(s, what="namespace"))]
#: Any other object named by a DNS-1123 label (a container, a namespace given as a name).
DnsLabel = Annotated[str, AfterValidator(lambda s: names.dns_label(s, what="name"))]
#: Any object named by a DNS-1123 subdomain (a Deployment, a ServiceAccount, an EventBus).
DnsSubdomain = Annotated[str, AfterValidator(lambda s: names.dns_subdomain(s, what="name"))]
#: The name of a Secret (never its value).
SecretName = Annotated[str, AfterValidator(lambda s: names.dns_subdomain(s, what="Secret name"))]
#: The name of a ServiceAccount.
ServiceAccountName = Annotated[
    str, AfterValidator(lambda s: names.dns_subdomain(s, what="ServiceAccount name"))
]
#: A key inside a Secret.
SecretKey = Annotated[str, AfterValidator(names.secret_key)]
#: A build-time environment variable name.
EnvName = Annotated[str, AfterValidator(names.env_name)]
#: A Kubernetes label key (node selectors).
LabelKey = Annotated[str, AfterValidator(lambda s: names.label_key(s, what="label key"))]
#: A Kubernetes label value.
LabelValue = Annotated[str, AfterValidator(lambda s: names.label_value(s, what="label value"))]
#: A branch, a tag, ``HEAD`` or a full commit SHA.
GitRevision = Annotated[str, AfterValidator(git.git_revision)]
#: A path inside the repository (``""`` for its root).
RepoPath = Annotated[str, AfterValidator(git.relative_path)]
#: A cron schedule as Argo's CronWorkflow accepts it.
CronSchedule = Annotated[str, AfterValidator(cron.cron_expression)]
