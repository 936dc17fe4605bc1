"""DAG dependencies: ``dependencies`` lists, ``depends`` expressions, cycles and ancestry.

Mirrors Argo's ``workflow/common/ancestry.go`` (task results) and the DAG part of
``workflow/validate/validate.go`` (v4); a ``depends`` expression is also checked for syntax,
which Argo only finds out when it evaluates it at run time.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from argo_buildpacks.linting._base import Issue, did_you_mean, entries, key_path, mapping, text

_TASK_RESULTS = (
    "Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed",
)  # fmt: skip
_ITEMS_RESULTS = frozenset({"AnySucceeded", "AllFailed"})
_LOOPS = ("withItems", "withParam", "withSequence")
_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z0-9][-A-Za-z0-9]*)(?:\.(\w+))?)")


def task_dependencies(
    task: Mapping[str, Any],
    path: str,
    using_depends: bool,
    tasks: Mapping[str, Mapping[str, Any]],
) -> tuple[list[str], list[Issue]]:
    """The tasks ``task`` depends on, and what is wrong with how it says so.

    Args:
        task: the DAG task.
        path: where it is.
        using_depends: whether any task of the DAG uses ``depends``.
        tasks: every task of the DAG by name.
    """
    name = text(task.get("name"))
    dependencies = [text(d) for d in entries(task.get("dependencies"))]
    issues = []
    if (using_depends or dependencies) and name[:1].isdigit():
        issues.append(
            Issue(
                key_path(path, "name"),
                f'task name "{name}" cannot begin with a digit when depends or dependencies '
                "are used",
            )
        )
    if using_depends and dependencies:
        issues.append(
            Issue(key_path(path, "dependencies"), "a DAG cannot use both depends and dependencies")
        )
    if using_depends and task.get("continueOn") is not None:
        issues.append(
            Issue(
                key_path(path, "continueOn"),
                'continueOn cannot be used with depends: write e.g. "a.Failed" in depends',
            )
        )
    depends = text(task.get("depends"))
    if depends:
        refs, problem = parse_depends(depends)
        if problem:
            issues.append(
                Issue(key_path(path, "depends"), f'depends "{depends}" is invalid: {problem}')
            )
        found = [(key_path(path, "depends"), dep, result) for dep, result in refs]
    else:
        where = key_path(path, "dependencies")
        found = [(f"{where}[{i}]", dep, "") for i, dep in enumerate(dependencies)]
    for where, dep, result in found:
        if dep not in tasks:
            message = f'dependency "{dep}" is not a task of this DAG{did_you_mean(dep, tasks)}'
            issues.append(Issue(where, message))
        elif result in _ITEMS_RESULTS and all(tasks[dep].get(k) is None for k in _LOOPS):
            message = f'"{dep}.{result}" needs task "{dep}" to loop ({", ".join(_LOOPS)})'
            issues.append(Issue(where, message))
    return [dep for _, dep, _ in found], issues


def parse_depends(expression: str) -> tuple[list[tuple[str, str]], str]:
    """The ``(task, result)`` pairs a ``depends`` expression names, and its problem or ``""``."""
    tokens: list[tuple[str, str, str]] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None or match.end() == pos:
            rest = expression[pos:].strip()
            if not rest:
                break
            return [], f'unexpected "{rest}"'
        tokens.append((match.group(1) or "", match.group(2) or "", match.group(3) or ""))
        pos = match.end()
    refs = [(name, result) for _, name, result in tokens if name]
    for name, result in refs:
        if result and result not in _TASK_RESULTS:
            allowed = ", ".join(_TASK_RESULTS)
            return refs, f'task result "{result}" of "{name}" is not one of {allowed}'
    return refs, _syntax_problem([op or "task" for op, _, _ in tokens])


def _syntax_problem(tokens: list[str]) -> str:
    """Check ``operand ((&& | ||) operand)*`` with ``!`` and parentheses; ``""`` when fine."""
    depth = 0
    expect_operand = True
    for token in tokens:
        if expect_operand:
            if token == "task":
                expect_operand = False
            elif token == "(":
                depth += 1
            elif token != "!":
                return f'expected a task, "!" or "(" before "{token}"'
        elif token in ("&&", "||"):
            expect_operand = True
        elif token == ")" and depth > 0:
            depth -= 1
        else:
            return f'expected "&&", "||" or ")" before a {token}'
    if expect_operand:
        return "it ends where a task is expected" if tokens else "it is empty"
    return "unbalanced parentheses" if depth else ""


def find_cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Cycles of ``task -> its dependencies``, each a path ending where it starts."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []
    for root in graph:
        if root in state:
            continue
        # Iterative, so that a long chain of tasks cannot exhaust Python's recursion limit.
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(graph.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                on_path = [n for n, _ in stack]
                cycles.append([*on_path[on_path.index(child) :], child])
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(graph.get(child, ()))))
    return cycles


def ancestors(name: str, graph: Mapping[str, list[str]]) -> frozenset[str]:
    """Every task ``name`` depends on, directly or not."""
    seen: set[str] = set()
    pending = list(graph.get(name, ()))
    while pending:
        dep = pending.pop()
        if dep not in seen:
            seen.add(dep)
            pending.extend(graph.get(dep, ()))
    return frozenset(seen)


def check_argument_dependencies(
    task: Mapping[str, Any], path: str, before: frozenset[str], tasks: Collection[str]
) -> Iterator[Issue]:
    """Argo's validateDAGTaskArgumentDependency: ``{{tasks.X...}}`` arguments need X before.

    Args:
        task: the DAG task.
        path: where it is.
        before: the task's ancestors.
        tasks: the names of all tasks of the DAG.
    """
    args = mapping(task.get("arguments"))
    for what, key in (("parameters", "value"), ("artifacts", "from")):
        where = key_path(key_path(path, "arguments"), what)
        for i, entry in enumerate(entries(args.get(what))):
            value = text(mapping(entry).get(key))
            ref = value.split(".")[1] if value.startswith("{{tasks.") else ""
            if ref and ref in tasks and ref not in before:
                yield Issue(
                    key_path(f"{where}[{i}]", key),
                    f'"{value}" uses task "{ref}", which is not a dependency of this task: '
                    "add it to depends or dependencies",
                )
