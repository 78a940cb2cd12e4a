"""Running a file parser in a child process that has limits on memory, processing time and waiting time.

The readers in `importers` check what they can before and while they parse (sizes, nesting, counts), but they
lean on libraries (python-docx, odfpy, pdfminer, Markdown, lxml) whose worst cases nobody can list in full. So the
parse runs in a child forked from the web worker: the child gets an address-space limit (RLIMIT_AS) and a
CPU-time limit (RLIMIT_CPU), and the worker waits for it no longer than a wall-clock timeout. Whatever a hostile
file makes a library do, the worker keeps its memory and is free again within the timeout; the child's failure
becomes a `LimitExceeded` that the importer turns into a message.

Why fork rather than spawn or a pool: a forked child starts in a few milliseconds with every module already
imported, where a spawned one would import Django and the readers again (about a second); and a fresh child per
file means nothing a parse leaves behind outlives it. The child never touches the database connection it
inherits: it only parses and writes its answer to a pipe, then leaves with os._exit so that no cleanup of the
parent's state (atexit, finalisers, connection close) runs in it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# What a parse may add to the address space it inherits. In bench/hostile_uploads.py no read adds more than about
# 150 MB of resident memory (a 19 MB text file, a 15 MB content.xml); this leaves room for address space reserved
# but not used, and stops a bomb long before it could hurt a machine that runs several workers.
PARSE_MEMORY_BYTES = 768 * 1024 * 1024
# Processing time a parse may use. The slowest real case, pdfminer laying out a 73,000-word PDF, takes about 3 s.
PARSE_CPU_SECONDS = 10
# How long the worker waits for the child in all, under gunicorn's 30-second worker timeout with room to spare.
PARSE_TIMEOUT_SECONDS = 12.0
# The largest answer the child may send back: a transcript at the importer's length limit in UTF-8, with room.
RESULT_MAX_BYTES = 16 * 1024 * 1024

_READ_CHUNK = 1024 * 1024
_EXIT_OUT_OF_MEMORY = 3
_EXIT_FAILED = 4


class LimitExceeded(Exception):
    """The child went past a limit or stopped without an answer; `reason` says which, as a sentence ends."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChildUsage:
    """What the last child used, for benchmarks and logs: its peak resident memory and its wall-clock time."""

    peak_rss_bytes: int
    seconds: float


last_child_usage: ChildUsage | None = None


def run_bounded(
    task: Callable[[], str],
    *,
    memory_bytes: int = 0,
    cpu_seconds: int = 0,
    timeout_seconds: float = 0.0,
) -> str:
    """The text `task` returns, computed in a child process within the limits (the module's constants by default).

    A ValidationError raised by `task` is raised again here with its message and code; any other exception in the
    child is logged there and becomes a LimitExceeded("the reader failed ..."). Where the platform cannot fork
    (Windows), `task` runs in this process, bounded only by the checks the readers make themselves.
    """
    memory_bytes = memory_bytes or PARSE_MEMORY_BYTES
    cpu_seconds = cpu_seconds or PARSE_CPU_SECONDS
    timeout_seconds = timeout_seconds or PARSE_TIMEOUT_SECONDS
    if not hasattr(os, "fork"):
        return task()

    global last_child_usage
    started = time.monotonic()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: it never returns from this branch
        os.close(read_end)
        _run_child(task, write_end, memory_bytes=memory_bytes, cpu_seconds=cpu_seconds)
    os.close(write_end)
    status, answered, answer, timed_out, too_long = 0, False, b"", False, False
    try:
        answer, timed_out, too_long = _read_answer(read_end, deadline=started + timeout_seconds)
        answered = not (timed_out or too_long)
    finally:
        os.close(read_end)
        if not answered:  # over a limit, or this process was interrupted while waiting: the child must not linger
            _kill(pid)
        try:
            _, status, usage = os.wait4(pid, 0)
        except ChildProcessError:  # children are reaped automatically where SIGCHLD is ignored
            pass
        else:
            last_child_usage = ChildUsage(peak_rss_bytes=usage.ru_maxrss * 1024, seconds=time.monotonic() - started)
            logger.debug("Parsed in a child: %.2f s, peak %d kB", last_child_usage.seconds, usage.ru_maxrss)
    if timed_out:
        raise LimitExceeded(f"reading it took longer than {_seconds(timeout_seconds)}")
    if too_long:
        raise LimitExceeded("what it contains is longer than a transcript can be")
    return _outcome(answer, status, memory_bytes=memory_bytes, cpu_seconds=cpu_seconds)


def _run_child(task: Callable[[], str], write_end: int, *, memory_bytes: int, cpu_seconds: int) -> None:
    code = 0
    try:
        with contextlib.suppress(ValueError):  # a web server may have set its own handlers
            signal.signal(signal.SIGXCPU, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _set_limits(memory_bytes=memory_bytes, cpu_seconds=cpu_seconds)
        try:
            payload = {"text": task()}
        except ValidationError as error:
            payload = {"refused": error.messages[0], "code": error.code or ""}
        except MemoryError:
            payload = {"memory": True}
        except Exception as error:  # noqa: BLE001 — told to the parent as a failure; the detail stays in the log
            logger.info("A reader failed in its child process", exc_info=True)
            payload = {"failed": type(error).__name__}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except MemoryError:
        code = _EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001 — whatever happens, the child must leave here and never run the caller's code
        code = _EXIT_FAILED
    finally:
        os._exit(code)


def _set_limits(*, memory_bytes: int, cpu_seconds: int) -> None:
    # RLIMIT_AS counts the address space the child inherited, so the limit is what it has now plus the allowance.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space_now() + memory_bytes
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # The hard limit one second later: SIGXCPU at the soft limit ends the child, SIGKILL if it ignores that. Neither
    # may rise above a hard limit the server already has.
    used = int(sum(os.times()[:2]))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft_cpu, hard_cpu = used + cpu_seconds, used + cpu_seconds + 1
    if hard != resource.RLIM_INFINITY:
        soft_cpu, hard_cpu = min(soft_cpu, hard), min(hard_cpu, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft_cpu, hard_cpu))


def _address_space_now() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _read_answer(fd: int, *, deadline: float) -> tuple[bytes, bool, bool]:
    """The child's answer, whether the deadline passed first, and whether the answer ran past RESULT_MAX_BYTES."""
    chunks: list[bytes] = []
    received = 0
    poller = select.poll()  # not select(), which fails on a descriptor numbered past 1,023 in a busy server
    poller.register(fd, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return b"", True, False
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b"".join(chunks), False, False
        received += len(chunk)
        if received > RESULT_MAX_BYTES:
            return b"", False, True
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have ended on its own meanwhile
        os.kill(pid, signal.SIGKILL)


def _outcome(answer: bytes, status: int, *, memory_bytes: int, cpu_seconds: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number in (signal.SIGXCPU, signal.SIGKILL):  # SIGKILL here can only be the hard CPU limit
            raise LimitExceeded(f"reading it used more than {_seconds(cpu_seconds)} of processing time")
        raise LimitExceeded(f"the reader stopped unexpectedly ({signal.Signals(number).name})")
    if os.WEXITSTATUS(status) == _EXIT_OUT_OF_MEMORY:
        raise LimitExceeded(f"reading it needed more than {_megabytes(memory_bytes)} of memory")
    try:
        payload = json.loads(answer.decode("utf-8", "surrogatepass"))
    except ValueError:
        raise LimitExceeded("the reader stopped without an answer") from None
    if "text" in payload:
        return payload["text"]
    if "refused" in payload:
        raise ValidationError(payload["refused"], code=payload["code"] or None)
    if "memory" in payload:
        raise LimitExceeded(f"reading it needed more than {_megabytes(memory_bytes)} of memory")
    raise LimitExceeded(f"the reader failed ({payload.get('failed', 'no answer')})")


def _seconds(value: float) -> str:
    return f"{value:g} second{'s' if value != 1 else ''}"


def _megabytes(value: int) -> str:
    return f"{value / (1024 * 1024):,.0f} MB"
