"""The one copy of each rule: Kubernetes names, git revisions and paths, cron schedules; and
that the config and the lint, which both use them, agree."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from argo_buildpacks._kits import cron, git, names
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting import lint
from argo_buildpacks.model.rebase import RebaseConfig

_NAME_CHARS = st.text(alphabet="abz09-._/AZ", max_size=70)


def _accepts(validator: Any, value: str) -> bool:
    try:
        validator(value)
    except ValueError:
        return False
    return True


@given(_NAME_CHARS)
def test_each_validator_accepts_what_its_predicate_accepts(value: str) -> None:
    assert names.is_dns_label(value) == _accepts(names.dns_label, value)
    assert names.is_dns_subdomain(value) == _accepts(names.dns_subdomain, value)
    assert names.is_label_key(value) == _accepts(names.label_key, value)
    assert names.is_label_value(value) == _accepts(names.label_value, value)


@pytest.mark.parametrize(
    ("value", "label", "subdomain", "label_key", "label_value"),
    [
        ("app", True, True, True, True),
        ("a.b", False, True, True, True),
        ("A", False, False, True, True),
        ("", False, False, False, True),
        ("-a", False, False, False, False),
        ("a" * 63, True, True, True, True),
        ("a" * 64, False, True, False, False),
        ("a" * 254, False, False, False, False),
        ("example.com/app", False, False, True, False),
        ("Example.com/app", False, False, False, False),
        ("a/b/c", False, False, False, False),
        ("app_1", False, False, True, True),
        ("é", False, False, False, False),
    ],
)
def test_kubernetes_name_rules(
    value: str, label: bool, subdomain: bool, label_key: bool, label_value: bool
) -> None:
    # k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain,
    # IsQualifiedName, IsValidLabelValue.
    assert names.is_dns_label(value) is label
    assert names.is_dns_subdomain(value) is subdomain
    assert names.is_label_key(value) is label_key
    assert names.is_label_value(value) is label_value


def test_validators_name_the_value_and_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"namespace 'A_b' is not a DNS-1123 label: use lower"):
        names.dns_label("A_b", what="namespace")
    with pytest.raises(ValueError, match=r"fleet name 'a{53}' is 53 characters long; at most 52"):
        names.dns_label("a" * 53, what="fleet name", max_length=52)
    with pytest.raises(ValueError, match=r"the prefix 'Bad' must be a DNS-1123 subdomain"):
        names.label_key("Bad/x")
    with pytest.raises(ValueError, match=r"environment variable 'CNB_X' is reserved"):
        names.env_name("CNB_X")


def test_git_rules_live_in_the_git_kit() -> None:
    assert git.git_revision("refs/heads/main") == "refs/heads/main"
    with pytest.raises(ValueError, match="abbreviated commit SHA"):
        git.git_revision("abc1234")
    with pytest.raises(ValueError, match="pull/merge-request ref"):
        git.run_revision("refs/pull/1/head")
    assert git.run_revision("refs/pull/1/head", allow_pull_requests=None) == "refs/pull/1/head"
    assert git.relative_path("apps/web/") == "apps/web"
    with pytest.raises(ValueError, match="must be relative to the repository root"):
        git.relative_path("/apps")
    with pytest.raises(ValueError, match=r"subpath 'a/\.\./b' must be a plain relative path"):
        git.relative_path("a/../b")


# --------------------------------------------------------------------------- cron


def _lint_accepts(schedule: str) -> bool:
    manifest = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedules": [schedule],
            "workflowSpec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": "a"}}],
            },
        },
    }
    findings = lint(manifest)
    assert all(f.path == "spec.schedules[0]" for f in findings), findings
    return not findings


def _model_accepts(schedule: str) -> bool:
    try:
        RebaseConfig(schedule=schedule)
    except ConfigError as exc:
        message = str(exc)
    else:
        return True
    assert "rebase.schedule" in message and repr(schedule) in message
    return False


_CRON_PARTS = st.sampled_from(
    ["*", "?", "0", "5", "59", "60", "1-5", "5-1", "*/15", "*/0", "0,30", "JAN", "mon-fri",
     "x", "7", "@daily", "@midnight", "@every", "1h30m", "TZ=UTC", "CRON_TZ=Mars/Base"]
)  # fmt: skip


@given(st.lists(_CRON_PARTS, min_size=0, max_size=7).map(" ".join))
def test_the_config_accepts_a_schedule_exactly_when_the_lint_does(schedule: str) -> None:
    assert _model_accepts(schedule) == _lint_accepts(schedule)


@pytest.mark.parametrize(
    ("schedule", "ok"),
    [
        ("0 4 * * *", True),
        ("@daily", True),
        ("@every 6h", True),
        ("CRON_TZ=Europe/Paris 0 4 * * 1-5", True),
        ("*/15 0-6,22 1 JAN-mar ?", True),
        ("weekly", False),
        ("0 4 * *", False),
        ("61 * * * *", False),
        ("@fortnightly", False),
        ("", False),
    ],
)
def test_cron_rule(schedule: str, ok: bool) -> None:
    assert (cron.cron_problem(schedule) == "") is ok
    assert _model_accepts(schedule) is ok
    assert _lint_accepts(schedule) is ok


def test_a_refused_schedule_says_why() -> None:
    with pytest.raises(
        ValueError, match=r"^schedule '0 4 \* \*' is not a cron expression: it has 4"
    ):
        cron.cron_expression("0 4 * *")
    with pytest.raises(ValueError, match=r"minute field '61': out of range: allowed 0-59"):
        cron.cron_expression("61 * * * *")
