"""How often ``lint`` agrees with Argo's own validator, measured on Argo's validator tests.

Usage::

    python bench/argo_agreement.py ARGO_CHECKOUT [-v]

``ARGO_CHECKOUT`` is a git checkout (or bare mirror) of argoproj/argo-workflows at the
release to compare with (v4.1.2). Nothing of Argo's is stored in this project: the cases are
read from that checkout when the script runs. For every call of the test helpers
``validate``, ``validateWorkflowTemplate``, ``Workflow`` (on an unmodified ``unmarshalWf``)
in ``workflow/validate/validate_test.go`` and ``validate_dag_test.go`` whose result the test
asserts (``require.NoError``: valid; ``require.Error*``/``EqualError``: invalid), the YAML the
test passes is linted the way the Go call validates it:

- ``Opts{}`` on a Workflow requires argument values: ``lint(..., submit=True)``;
- ``Opts{Lint: true}``: ``lint(...)``; ``Opts{Submit: true}``: ``lint(..., submit=True)``;
- the WorkflowTemplates the tests store with ``createWorkflowTemplateFromSpec`` are the
  context that ``templateRef`` resolves against, as in Argo's fake clientset.

A case agrees when ``lint`` reports an error exactly when Argo does. Calls on objects the
test builds or edits in Go (not YAML) are not cases: they are counted as skipped.

With ``--examples`` it also lints every YAML file of the checkout's ``examples/`` folder
(valid per Argo's CI) and lists each error as a false positive.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argo_buildpacks import lint  # noqa: E402

_FILES = ("workflow/validate/validate_test.go", "workflow/validate/validate_dag_test.go")
_STRING = re.compile(r"\b(\w+)\s*:?=\s*`([^`]*)`", re.S)
_FUNC = re.compile(r"^func (Test\w+)\(t \*testing\.T\) \{$", re.M)
_CALL = re.compile(
    r"err\s*:?=\s*(validate|validateWorkflowTemplate|createWorkflowTemplateFromSpec|Workflow)"
    r"\((.*)\)\s*$"
)
_ASSERT = re.compile(r"(?:require|assert)\.(\w+)\(t,\s*err\b")
_UNMARSHAL = re.compile(
    r"(\w+)\s*:?=\s*(?:unmarshalWf|wfv1\.MustUnmarshalWorkflow)\((\w+|`[^`]*`)\)"
)
_UNMARSHAL_TEMPLATE = re.compile(
    r"(\w+)\s*:?=\s*(?:unmarshalWftmpl|wfv1\.MustUnmarshalWorkflowTemplate)\((\w+)\)"
)
_CREATE = re.compile(r"createWorkflowTemplate\(ctx,\s*(\w+)\)")


@dataclass
class Case:
    test: str
    source: str
    submit: bool
    argo_valid: bool


def _read(checkout: Path, path: str) -> str:
    if (checkout / path).exists():
        return (checkout / path).read_text()
    return subprocess.run(
        ["git", "-C", str(checkout), "show", f"HEAD:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _submit(call_args: str, workflow_like: bool) -> bool:
    if "Lint: true" in call_args:
        return False
    # Opts{}: neither lint nor submit; for a Workflow that means argument values are needed.
    return "Submit: true" in call_args or workflow_like


def extract(checkout: Path) -> tuple[list[Case], list[str], int]:
    """The cases, the stored WorkflowTemplates (context) and how many calls were skipped."""
    cases: list[Case] = []
    stored: list[str] = []
    skipped = 0
    for file in _FILES:
        source = _read(checkout, file)
        strings = {m.group(1): m.group(2) for m in _STRING.finditer(source)}
        starts = [(m.start(), m.group(1)) for m in _FUNC.finditer(source)]
        for n, (start, test) in enumerate(starts):
            end = starts[n + 1][0] if n + 1 < len(starts) else len(source)
            body = source[start:end]
            local = {m.group(1): m.group(2) for m in _STRING.finditer(body)}
            # Inline backtick literals in calls: give them names.
            literals: dict[str, str] = {}

            def name_literal(m: re.Match[str], literals: dict[str, str] = literals) -> str:
                key = f"__lit{len(literals)}"
                literals[key] = m.group(0)[1:-1]
                return key

            body = re.sub(r"`[^`]*`", name_literal, body)
            known = {**strings, **local, **literals}
            lines = body.splitlines()
            unmarshalled: dict[str, str | None] = {}
            templates: dict[str, str] = {}
            for i, line in enumerate(lines):
                ut = _UNMARSHAL_TEMPLATE.search(line)
                if ut and ut.group(2) in known:
                    templates[ut.group(1)] = known[ut.group(2)]
                created = _CREATE.search(line)
                if created and created.group(1) in templates:
                    stored.append(templates[created.group(1)])
                um = _UNMARSHAL.search(line)
                if um:
                    unmarshalled[um.group(1)] = um.group(2)
                    continue
                for var in list(unmarshalled):
                    if re.search(rf"\b{var}\.\w[\w.\[\]]*\s*=[^=]", line):
                        unmarshalled[var] = None  # edited in Go: not a YAML case
                call = _CALL.search(line)
                if not call:
                    continue
                helper, args = call.groups()
                parts = [a.strip() for a in args.split(",")]
                if helper == "createWorkflowTemplateFromSpec":
                    if len(parts) > 1 and parts[1] in known:
                        stored.append(known[parts[1]])
                    continue
                if helper == "Workflow":
                    var = parts[3] if len(parts) > 3 else ""
                    name = unmarshalled.get(var)
                    yaml_text = known.get(name or "")
                    workflow_like = True
                else:
                    yaml_text = known.get(parts[1]) if len(parts) > 1 else None
                    workflow_like = helper == "validate"
                verdict = None
                for later in lines[i + 1 : i + 6]:
                    asserted = _ASSERT.search(later)
                    if asserted:
                        verdict = asserted.group(1) == "NoError"
                        break
                    if _CALL.search(later):
                        break
                if yaml_text is None or verdict is None:
                    skipped += 1
                    continue
                if not re.search(r"^kind:", yaml_text, re.M):
                    # Go decodes into the helper's type whatever the YAML says its kind is.
                    kind = (
                        "WorkflowTemplate" if helper == "validateWorkflowTemplate" else "Workflow"
                    )
                    yaml_text = f"apiVersion: argoproj.io/v1alpha1\nkind: {kind}\n{yaml_text}"
                cases.append(Case(test, yaml_text, _submit(args, workflow_like), verdict))
    return cases, stored, skipped


def _context(stored: list[str]) -> list[Any]:
    docs: list[Any] = []
    for text in stored:
        with contextlib.suppress(yaml.YAMLError):
            docs.extend(d for d in yaml.safe_load_all(text) if isinstance(d, dict))
    return docs


def run_cases(checkout: Path, verbose: bool) -> tuple[int, int]:
    cases, stored, skipped = extract(checkout)
    context = _context(stored)
    agree = 0
    for case in cases:
        findings = lint(case.source, context=context, submit=case.submit)
        errors = [f for f in findings if f.severity == "error"]
        ours_valid = not errors
        if ours_valid == case.argo_valid:
            agree += 1
        elif verbose:
            want = "valid" if case.argo_valid else "invalid"
            print(f"DISAGREE {case.test} (Argo: {want}, submit={case.submit})")
            for finding in errors[:3]:
                print(f"    {finding}")
    total = len(cases)
    print(
        f"Argo validator cases: {agree} of {total} agree ({100 * agree / max(total, 1):.1f}%); "
        f"{skipped} calls on Go-built objects skipped"
    )
    return agree, total


def run_examples(checkout: Path, verbose: bool) -> int:
    files = sorted((checkout / "examples").rglob("*.yaml"))
    texts = {f: f.read_text() for f in files}
    documents: list[Any] = []
    for text in texts.values():
        with contextlib.suppress(yaml.YAMLError):
            documents.extend(d for d in yaml.safe_load_all(text) if isinstance(d, dict))
    false_positives = 0
    count = 0
    for file, text in texts.items():
        findings = lint(text, context=documents)
        count += 1
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            false_positives += 1
            if verbose:
                print(f"FALSE POSITIVE {file.relative_to(checkout)}")
                for finding in errors[:3]:
                    print(f"    {finding}")
    print(f"Argo examples: {false_positives} of {count} files with a false positive")
    return false_positives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="an argoproj/argo-workflows checkout")
    parser.add_argument("--examples", action="store_true", help="also lint examples/")
    parser.add_argument("-v", "--verbose", action="store_true", help="list disagreements")
    args = parser.parse_args()
    run_cases(args.checkout, args.verbose)
    if args.examples:
        run_examples(args.checkout, args.verbose)


if __name__ == "__main__":
    main()
