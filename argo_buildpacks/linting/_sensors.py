"""What Argo Events v1.9.11 refuses in a Sensor, or fails on when an event arrives.

- ``pkg/reconciler/sensor/validate.go``: trigger names are unique (line 69); on a NATS
  Streaming EventBus no two dependencies name the same EventSource and event (line 524);
  logical operators (line 544) and data-filter comparators (line 554) are known ones; a data
  filter has a path, a type and values, none of them empty (lines 639 and 644); an expr
  filter has an expression and fields with a path and a name (lines 616 and 621).
- ``pkg/sensors/dependencies/filter.go`` line 363: a string data filter's values are Go
  regular expressions, compiled per event; one that does not compile fails every event
  (checked with RE2, the syntax Go's ``regexp`` implements).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import re2

from argo_buildpacks.linting._base import (
    Issue,
    Library,
    describe,
    entries,
    key_path,
    mapping,
    text,
)

__all__ = ["check_sensor_rules", "event_bus_kind"]

_COMPARATORS = (">=", ">", "=", "!=", "<", "<=")
_OPERATORS = ("and", "or")
_RE2 = re2.Options()
_RE2.log_errors = False  # the finding says it; RE2 would also print to stderr


def event_bus_kind(bus: Mapping[str, Any]) -> str:
    """What an EventBus manifest runs: ``"NATS Streaming"``, ``"Jetstream"``, ``"Kafka"``
    or ``""`` (v1.9.11 ``EventBusSpec``: ``nats``, ``jetstream``, ``kafka``,
    ``jetstreamExotic``)."""
    spec = mapping(bus.get("spec"))
    if spec.get("nats") is not None:
        return "NATS Streaming"
    if spec.get("jetstream") is not None or spec.get("jetstreamExotic") is not None:
        return "Jetstream"
    return "Kafka" if spec.get("kafka") is not None else ""


def check_sensor_rules(doc: Mapping[str, Any], library: Library) -> Iterator[Issue]:
    """The rules above, for one Sensor manifest."""
    spec = mapping(doc.get("spec"))
    yield from _check_bus(doc, spec, library)
    seen: dict[str, int] = {}
    for i, trigger in enumerate(entries(spec.get("triggers"))):
        name = text(mapping(mapping(trigger).get("template")).get("name"))
        if name in seen:
            yield Issue(
                f"spec.triggers[{i}].template.name",
                f'trigger name "{name}" is not unique: triggers[{seen[name]}] has it too '
                "(Argo Events refuses the Sensor: duplicate trigger name)",
            )
        seen.setdefault(name, i)
    for i, dep in enumerate(map(mapping, entries(spec.get("dependencies")))):
        where = f"spec.dependencies[{i}]"
        yield from _operator(dep.get("filtersLogicalOperator"), f"{where}.filtersLogicalOperator")
        filters = mapping(dep.get("filters"))
        where = f"{where}.filters"
        for key in ("exprLogicalOperator", "dataLogicalOperator"):
            yield from _operator(filters.get(key), key_path(where, key))
        for j, data in enumerate(map(mapping, entries(filters.get("data")))):
            yield from _data_filter(data, f"{where}.data[{j}]")
        for j, expr in enumerate(map(mapping, entries(filters.get("exprs")))):
            yield from _expr_filter(expr, f"{where}.exprs[{j}]")


def _check_bus(
    doc: Mapping[str, Any], spec: Mapping[str, Any], library: Library
) -> Iterator[Issue]:
    first: dict[tuple[str, str], str] = {}
    clashes: list[tuple[int, str, str]] = []
    for i, dep in enumerate(map(mapping, entries(spec.get("dependencies")))):
        key = (text(dep.get("eventSourceName")), text(dep.get("eventName")))
        if key in first:
            clashes.append((i, first[key], text(dep.get("name"))))
        first.setdefault(key, text(dep.get("name")))
    if not clashes:
        return
    bus_name = text(spec.get("eventBusName")) or "default"
    namespace = text(mapping(doc.get("metadata")).get("namespace"))
    buses = library.objects("EventBus", bus_name, namespace)
    kind = event_bus_kind(buses[0]) if buses else ""
    if buses and kind != "NATS Streaming":
        return
    for i, earlier, name in clashes:
        dep = mapping(entries(spec.get("dependencies"))[i])
        clash = (
            f'dependencies "{earlier}" and "{name}" both name event '
            f'"{text(dep.get("eventName"))}" of EventSource "{text(dep.get("eventSourceName"))}"'
        )
        rule = (
            "a NATS Streaming EventBus refuses that (Argo Events' quick-start bus; Jetstream "
            "and Kafka accept it): use one dependency and tell the cases apart in the "
            "filters or the trigger's parameters"
        )
        if buses:
            message = f'{clash}, and EventBus "{bus_name}" is NATS Streaming: {rule}'
            yield Issue(f"spec.dependencies[{i}]", message)
        else:
            message = (
                f'{clash}; EventBus "{bus_name}" is not among the linted objects, so its kind '
                f"is unknown: {rule}"
            )
            yield Issue(f"spec.dependencies[{i}]", message, "warning")


def _operator(value: Any, where: str) -> Iterator[Issue]:
    if value not in (None, "", *_OPERATORS):
        yield Issue(
            where,
            f"logical operator {describe(value)} is not supported; allowed: and, or "
            '(or "", which means and)',
        )


def _data_filter(data: Mapping[str, Any], where: str) -> Iterator[Issue]:
    comparator = data.get("comparator")
    if comparator not in (None, "", *_COMPARATORS):
        yield Issue(
            key_path(where, "comparator"),
            f"comparator {describe(comparator)} is not supported; allowed: "
            f"{', '.join(_COMPARATORS)}",
        )
    for key in ("path", "type"):
        if key in data and not text(data.get(key)):
            yield Issue(key_path(where, key), f"a data filter's {key} must not be empty")
    values = data.get("value")
    if isinstance(values, list) and not values:
        yield Issue(key_path(where, "value"), "a data filter needs at least one value")
    for k, value in enumerate(entries(values)):
        here = f"{key_path(where, 'value')}[{k}]"
        if value == "":
            yield Issue(here, "a data filter's values must not be empty")
        elif data.get("type") == "string" and isinstance(value, str):
            try:
                re2.compile(value, _RE2)
            except re2.error as exc:
                problem = exc.args[0].decode() if isinstance(exc.args[0], bytes) else exc
                yield Issue(
                    here,
                    f"{describe(value)} is not a Go regular expression ({problem}): every event "
                    "fails this filter (pkg/sensors/dependencies/filter.go compiles it per event)",
                )


def _expr_filter(expr: Mapping[str, Any], where: str) -> Iterator[Issue]:
    if not text(expr.get("expr")):
        yield Issue(key_path(where, "expr"), "an expr filter's expr must not be empty")
    fields = entries(expr.get("fields"))
    if not fields:
        yield Issue(key_path(where, "fields"), "an expr filter needs at least one field")
    for k, field in enumerate(map(mapping, fields)):
        for key in ("path", "name"):
            if not text(field.get(key)):
                yield Issue(
                    key_path(f"{key_path(where, 'fields')}[{k}]", key),
                    f"an expr filter field's {key} must not be empty",
                )
