"""A run's logs read from several containers: one stream each, chained or merged.

argo-server streams one container's log per request (newline-delimited JSON, parsed by
`argo_buildpacks.client._http.iter_log_lines`); a run's logs are several such streams, read
one after the other (``follow=False``) or together as they arrive (``follow=True``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from queue import Queue
from typing import Any

import requests

from argo_buildpacks.model.runs import LogLine

__all__ = ["ContainerLog", "chain", "merge"]


class ContainerLog(Iterator[LogLine]):
    """One container's log stream; ``close()`` closes its response from any thread."""

    def __init__(self, resp: requests.Response, lines: Iterator[LogLine], container: str) -> None:
        self._resp = resp
        self._lines = lines
        self._container = container

    def __next__(self) -> LogLine:
        line = next(self._lines)
        return LogLine(line.pod_name, line.content, self._container)

    def close(self) -> None:
        """Close the response (a reader blocked on it gets an error and stops)."""
        self._resp.close()


def chain(streams: list[Iterator[LogLine]]) -> Iterator[LogLine]:
    """The streams one after the other; every stream is closed when this one is."""
    try:
        for stream in streams:
            yield from stream
    finally:
        for stream in streams:
            close = getattr(stream, "close", None)
            if callable(close):
                close()


def merge(streams: list[Iterator[LogLine]]) -> Iterator[LogLine]:
    """The streams read together (one thread each), lines in the order they arrive.

    An error in one stream is raised here (after the lines that came before it); closing
    this iterator closes every stream.
    """
    done = object()
    queue: Queue[Any] = Queue(maxsize=1000)
    stop = threading.Event()

    def pump(stream: Iterator[LogLine]) -> None:
        try:
            for line in stream:
                if stop.is_set():
                    break
                queue.put(line)
        except BaseException as exc:  # handed to the reader, raised there
            queue.put(exc)
        finally:
            queue.put(done)

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in streams]
    for thread in threads:
        thread.start()
    remaining = len(threads)
    try:
        while remaining:
            item = queue.get()
            if item is done:
                remaining -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        for stream in streams:
            close = getattr(stream, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):
                    close()
