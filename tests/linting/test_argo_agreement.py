"""lint against Argo's own judgement, when an Argo checkout is at hand.

Set ``ARGO_CHECKOUT`` to a checkout (or bare mirror, for the validator tests) of
argoproj/argo-workflows v4.1.2; bench/argo_agreement.py reads the cases from it. Nothing of
Argo's is stored in this project, so without it these tests are skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

CHECKOUT = os.environ.get("ARGO_CHECKOUT", "")
pytestmark = pytest.mark.skipif(
    not CHECKOUT,
    reason="measures lint against Argo's own test files, which this project does not "
    "redistribute: set ARGO_CHECKOUT to an argo-workflows v4.1.2 checkout "
    "(tests/linting/test_lint_argo.py checks every ported rule without it)",
)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def test_lint_agrees_with_argo_on_its_validator_cases() -> None:
    from argo_agreement import run_cases

    agree, total = run_cases(Path(CHECKOUT), verbose=True)
    assert total >= 140
    assert agree >= 0.98 * total


def test_no_false_positive_on_argo_examples() -> None:
    from argo_agreement import run_examples

    if not (Path(CHECKOUT) / "examples").is_dir():
        pytest.skip("ARGO_CHECKOUT is a bare mirror: the examples need a checked-out work tree")
    assert run_examples(Path(CHECKOUT), verbose=True) == 0
