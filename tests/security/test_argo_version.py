"""Lint refuses to target an Argo that leaks the executor's token (issue 19 item 6c).

Argo 3.4.8 to 3.5.11 mount the executor account's service-account token into every main
container when ``automountServiceAccountToken`` is false (argoproj/argo-workflows#10945,
backported to 3.4.8 and in 3.5.0; reverted by #13820 in 3.5.12 and 3.6.0, per the Argo
changelog): there the app's code, run by buildpacks, would hold the token that may create
and patch WorkflowTaskResults. The templates' "no token in any build container" holds only
from 3.6 on, so ``lint`` and ``argo-buildpacks lint --argo-version`` refuse those releases
and say why, before checking anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from argo_buildpacks.cli._main import cli
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._lint import lint

WHY = (
    "Argo 3.4.8 to 3.5.11 mount the executor's service-account token into every main "
    "container even with automountServiceAccountToken: false (argoproj/argo-workflows#10945, "
    "reverted by #13820 in 3.5.12 and 3.6.0), so the app's code run by buildpacks would hold "
    "the token that may create and patch WorkflowTaskResults"
)
LEAKY = ["3.4", "3.4.8", "v3.4.17", "3.5", "3.5.0", "3.5.11"]
OTHER = ["3.4.7", "3.5.12", "3.3", "2.9", "5.0", "latest"]
TEMPLATE = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: x}
spec:
  entrypoint: main
  templates: [{name: main, container: {image: alpine}}]
"""


@pytest.mark.parametrize("version", LEAKY)
def test_lint_refuses_a_leaking_argo_and_says_why(version: str) -> None:
    with pytest.raises(ConfigError) as refused:
        lint(TEMPLATE, argo_version=version)
    assert WHY in str(refused.value)
    assert "use one of 3.6, 3.7, 4.0, 4.1" in str(refused.value)


@pytest.mark.parametrize("version", OTHER)
def test_other_unsupported_releases_get_the_plain_refusal(version: str) -> None:
    plain = re.escape("is not supported; use one of 3.6, 3.7, 4.0, 4.1")
    with pytest.raises(ConfigError, match=plain):
        lint(TEMPLATE, argo_version=version)


@pytest.mark.parametrize("version", ["3.5", "3.4.8"])
def test_the_cli_refuses_before_checking_anything(version: str, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE.replace("name: x", "name: Bad_Name"))  # would be a finding
    done = CliRunner().invoke(cli, ["lint", "--argo-version", version, str(path)])
    assert done.exit_code == 2
    assert WHY in done.output
    assert "Bad_Name" not in done.output and "finding" not in done.output
    # A supported target checks the file.
    ok = CliRunner().invoke(cli, ["lint", "--argo-version", "3.6", str(path)])
    assert ok.exit_code == 1 and "Bad_Name" in ok.output
