"""Reading on the other core: on a cold import, a forked process reads, checks and batches the
input (the check pass of importer.reading) while this process loads what creating Koito's
schema needs; then this one creates it and writes every batch.

The reader sends each batch pickled as the spool keeps it, with the counts so far, through a
pipe; a thread here moves them into a bounded queue, so the reader runs ahead by at most
QUEUE_BATCHES batches and memory stays bounded whatever the input's size. An error of the
reader (bad input, --strict) is sent over and raised here as the same exception: the same
one-line message and exit code, and nothing written. Ctrl-C is this process's: the reader
ignores it and is ended here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import queue
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from koito_import.catalog.batch import BatchBuilder
from koito_import.importer.options import ImportOptions, skip_reason
from koito_import.importer.spool import pickled
from koito_import.sources import read_inputs
from koito_import.sources.base import ByteCounter

# Below this, reading is over in about the time a process takes to start and hand over.
WORKER_MIN_BYTES = 4 << 20
QUEUE_BATCHES = 8
PROGRESS_EVERY_ITEMS = 20_000  # a message even when items are skipped for a long stretch


@dataclass(slots=True)
class Report:
    """What the reader has done so far, and the batch it has just completed (pickled)."""

    blob: bytes | None
    listens: int
    read: int
    skips: dict[str, int]
    bytes_done: int


def wanted(input_bytes: int) -> bool:
    """A reader process for inputs worth it, where fork is safe and cheap (Linux)."""
    return input_bytes >= WORKER_MIN_BYTES and sys.platform.startswith("linux")


class Reader:
    """The reader process, and the Reports it sends, in order, until the input is read."""

    def __init__(self, options: ImportOptions, input_bytes: int) -> None:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_read, args=(options, input_bytes, send), name="koito-import-reader"
        )
        self._process.start()
        send.close()  # the reader's end: EOF here once the reader is gone
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_BATCHES)
        self._stop = threading.Event()
        self._mover = threading.Thread(target=self._move, args=(receive,), daemon=True)
        self._mover.start()

    def reports(self) -> Iterator[Report]:
        while True:
            kind, payload = self._queue.get()
            if kind == "error":
                raise payload
            if kind == "eof":
                code = self._process.join(5) or self._process.exitcode
                raise RuntimeError(f"the process reading the input ended early (exit {code})")
            yield payload
            if kind == "done":
                return

    def close(self) -> None:
        self._stop.set()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._mover.join()

    def _move(self, receive: Connection) -> None:
        with receive:
            while not self._stop.is_set():
                try:
                    message = pickle.loads(receive.recv_bytes())
                except (EOFError, OSError):
                    message = ("eof", None)
                self._put(message)
                if message[0] != "batch":
                    return

    def _put(self, message: Any) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(queue.Full):
                self._queue.put(message, timeout=0.1)
                return


def _read(options: ImportOptions, input_bytes: int, send: Connection) -> None:
    """The reader process: every item read and checked, batches sent as they complete."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's
    try:
        _produce(options, input_bytes, lambda kind, report: _send(send, kind, report))
    except BaseException as exc:  # every failure goes to the importer
        send.send_bytes(pickle.dumps(("error", _portable(exc))))
    finally:
        send.close()


def _send(send: Connection, kind: str, report: Report) -> None:
    send.send_bytes(pickle.dumps((kind, report), protocol=pickle.HIGHEST_PROTOCOL))


def _produce(options: ImportOptions, input_bytes: int, emit: Callable[[str, Report], None]) -> None:
    counter = ByteCounter(total=input_bytes)
    builder = BatchBuilder(options.batch_size, options.separators)
    read, skips, quiet = 0, Counter[str](), 0

    def report(kind: str, blob: bytes | None = None, listens: int = 0) -> None:
        emit(kind, Report(blob, listens, read, dict(skips), counter.done))

    for item in read_inputs(options.source, options.paths, counter, options.source_options):
        read += 1
        quiet += 1
        if (reason := skip_reason(item, options)) is not None:
            skips[reason] += 1
        elif (batch := builder.add(item)) is not None:
            report("batch", pickled(batch), len(batch.listens))
            quiet = 0
        if quiet >= PROGRESS_EVERY_ITEMS:
            report("batch")
            quiet = 0
    if (batch := builder.flush()) is not None:
        report("batch", pickled(batch), len(batch.listens))
    report("done")


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling (input errors do), else its text."""
    try:
        return pickle.loads(pickle.dumps(exc))  # type: ignore[no-any-return]
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
