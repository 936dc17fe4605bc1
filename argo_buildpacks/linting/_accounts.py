"""Executor accounts and the token Secrets Argo mounts for them.

With ``executor.serviceAccountName`` (workflow-wide, in ``templateDefaults`` or per
template; workflow/controller/workflowpod.go ``executorServiceAccountName``, v4.1.2 line
1813) the controller looks the account up and mounts a Secret volume for its token
(``setupServiceAccount``, line 1841): not optional, so a missing Secret leaves every pod in
ContainerCreating. Which Secret follows util/secrets/secret_name.go
``TokenNameForServiceAccount``: the account's first listed ``secrets`` entry, else the one
its ``workflows.argoproj.io/service-account-token.name`` annotation names
(workflow/common/common.go line 29), else ``<account>.service-account-token``. Kubernetes
1.24 and later create no such Secret, and Argo's install ships none.

Lint judges the objects it is given: when they hold ServiceAccounts (a release stream), an
executor account outside them may still exist in the cluster (a warning), and an account
among them whose Secret is not is an error. Templates linted without any account are not
judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks.linting._base import (
    Issue,
    Library,
    entries,
    key_path,
    mapping,
    text,
    workflow_spec,
)

__all__ = ["check_executor_tokens", "token_secret_name"]

TOKEN_TYPE = "kubernetes.io/service-account-token"
#: workflow/common/common.go line 29: AnnotationKeyServiceAccountTokenName.
TOKEN_ANNOTATION = "workflows.argoproj.io/service-account-token.name"
_ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"


def token_secret_name(account: Mapping[str, Any]) -> tuple[str, str]:
    """The Secret Argo mounts for the ServiceAccount manifest ``account``, and why that one
    (util/secrets/secret_name.go ``TokenNameForServiceAccount``, in its order)."""
    meta = mapping(account.get("metadata"))
    listed = entries(account.get("secrets"))
    if listed:
        return text(mapping(listed[0]).get("name")), "the first Secret the account lists"
    annotations = mapping(meta.get("annotations"))
    if TOKEN_ANNOTATION in annotations:
        return text(annotations.get(TOKEN_ANNOTATION)), f"the account's {TOKEN_ANNOTATION}"
    name = text(meta.get("name"))
    return f"{name}.service-account-token", "the name Argo uses for an account without secrets"


def _executor_accounts(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    spec_path, spec = workflow_spec(doc)
    holders = [(spec_path, spec)]
    holders.append((key_path(spec_path, "templateDefaults"), mapping(spec.get("templateDefaults"))))
    holders += [
        (f"{spec_path}.templates[{i}]", mapping(t))
        for i, t in enumerate(entries(spec.get("templates")))
    ]
    for path, holder in holders:
        name = text(mapping(holder.get("executor")).get("serviceAccountName"))
        if name and "{{" not in name:
            yield key_path(key_path(path, "executor"), "serviceAccountName"), name


def check_executor_tokens(doc: Mapping[str, Any], library: Library) -> Iterator[Issue]:
    """Each executor account of ``doc`` and its token Secret, among the objects linted."""
    namespace = text(mapping(doc.get("metadata")).get("namespace"))
    for path, name in _executor_accounts(doc):
        accounts = library.objects("ServiceAccount", name, namespace)
        if not accounts and not library.has_kind("ServiceAccount"):
            continue  # templates alone, no accounts: nothing to judge the reference against
        if not accounts:
            yield Issue(
                path,
                f'executor account "{name}" is not among the linted objects, so its token '
                f'Secret could not be checked: Argo mounts one ("{name}.service-account-token" '
                "unless the account lists a Secret or names one in the annotation "
                f"{TOKEN_ANNOTATION}), which Kubernetes 1.24 and later do not create; lint the "
                "ServiceAccount and its Secret with this manifest",
                "warning",
            )
            continue
        account = accounts[0]
        secret_name, why = token_secret_name(account)
        where = namespace or text(mapping(account.get("metadata")).get("namespace"))
        secrets = library.objects("Secret", secret_name, where)
        fix = (
            f'a Secret "{secret_name}" of type {TOKEN_TYPE} annotated {_ACCOUNT_ANNOTATION}: {name}'
        )
        if not secrets:
            yield Issue(
                path,
                f'executor account "{name}" has no token Secret among the linted objects: Argo '
                f'mounts the Secret "{secret_name}" ({why}; util/secrets/secret_name.go), not '
                "optional, so every pod stays in ContainerCreating (Kubernetes 1.24 and later "
                f"create no token Secret); add {fix}",
            )
            continue
        secret = secrets[0]
        annotated = text(
            mapping(mapping(secret.get("metadata")).get("annotations")).get(_ACCOUNT_ANNOTATION)
        )
        given = "token" in mapping(secret.get("data")) or "token" in mapping(
            secret.get("stringData")
        )
        if not given and (secret.get("type") != TOKEN_TYPE or annotated != name):
            yield Issue(
                path,
                f'the Secret "{secret_name}" that Argo mounts for executor account "{name}" '
                f"holds no token: it is of type {secret.get('type') or 'Opaque'} annotated "
                f'{_ACCOUNT_ANNOTATION}: "{annotated}", and Kubernetes fills in a token only '
                f"for {fix}",
            )
