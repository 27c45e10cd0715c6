"""A forked helper process that loads its libraries while this one reads the workbook.

Used by ``pipeline.generate`` on Linux: the helper is started before the workbook is opened, so
its imports (matplotlib, python-docx, docxtpl) overlap the reading and checking here; the job
(a module-level function and its arguments) is sent once it is known and the result comes back
pickled. The helper writes only to its pipe, uses fresh stream objects and leaves with
``os._exit``, so it never touches the parent's locks, open files or exit handlers.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import Any, Callable

from .errors import PmoError


class HelperLost(RuntimeError):
    """The helper ended without sending a result (killed, or out of memory)."""


def available() -> bool:
    """Forking is used on Linux only (macOS frameworks are not fork-safe; Windows cannot fork)."""
    return sys.platform == "linux" and hasattr(os, "fork") and os.environ.get("PMO_REPORT_NO_FORK") != "1"


def start(warm_up: Callable[[], object]) -> "Helper | None":
    """A helper running ``warm_up``, or None where forking is not used or no process can be had."""
    if not available():
        return None
    try:
        return Helper(warm_up)
    except OSError:  # no process to spare: the caller does the work itself
        return None


class Helper:
    """``Helper(warm_up)`` forks; ``send(job, *args)`` gives it work; ``result()`` waits for it.

    ``cancel()`` (also on leaving a ``with`` block without a result) tells an idle helper to
    leave and reaps it, so no process outlives the command.
    """

    def __init__(self, warm_up: Callable[[], object]):
        import warnings

        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "process is multi-threaded" (Python >= 3.12)
            pid = os.fork()
        if pid == 0:
            os.close(job_w)
            os.close(result_r)
            _child(warm_up, job_r, result_w)  # never returns
        os.close(job_r)
        os.close(result_w)
        self._pid: int | None = pid
        self._job: int | None = job_w
        self._result: int | None = result_r

    def __enter__(self) -> "Helper":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def send(self, job: Callable[..., Any], *args: object) -> None:
        """Give the helper its one job (``job`` must be importable by name, ``args`` picklable)."""
        assert self._job is not None, "a helper does one job"
        fd, self._job = self._job, None
        try:
            with os.fdopen(fd, "wb") as pipe:
                pipe.write(pickle.dumps((job, args), protocol=pickle.HIGHEST_PROTOCOL))
        except BrokenPipeError:
            pass  # the helper is gone; result() says so

    def result(self) -> Any:
        """The job's return value; its PmoError raised again here, any other failure as
        RuntimeError (HelperLost when the helper died without a word)."""
        assert self._result is not None and self._job is None, "send() the job first, once"
        fd, self._result = self._result, None
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
        self._reap()
        if not data:
            raise HelperLost("the helper process ended without a result")
        kind, value = pickle.loads(data)
        if kind == "user":
            raise value
        if kind == "bug":
            raise RuntimeError(f"the helper process failed:\n{value}")
        return value

    def cancel(self) -> None:
        """Tell an idle helper there is no job, or stop one at work, and wait for it to leave."""
        if self._pid is not None and self._job is None and self._result is not None:
            import signal

            os.kill(self._pid, signal.SIGKILL)  # at work on a result nobody will read
        for name in ("_job", "_result"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                os.close(fd)
        self._reap()

    def _reap(self) -> None:
        if self._pid is not None:
            pid, self._pid = self._pid, None
            os.waitpid(pid, 0)


def _child(warm_up: Callable[[], object], job_fd: int, result_fd: int) -> None:
    import traceback

    try:
        # fresh objects on the same descriptors: another thread of the parent may have held
        # the old ones' locks at the moment of the fork
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
        try:
            warm_up()
        except BaseException:  # noqa: BLE001 - the job meets the same failure and reports it
            pass
        with os.fdopen(job_fd, "rb") as pipe:
            data = pipe.read()
        if not data:  # cancelled
            os._exit(0)
        try:
            job, args = pickle.loads(data)
            outcome: tuple[str, object] = ("ok", job(*args))
        except PmoError as exc:
            outcome = ("user", _portable(exc))
        except BaseException:  # noqa: BLE001 - reported by the parent, with this traceback
            outcome = ("bug", traceback.format_exc())
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001
            payload = pickle.dumps(("bug", traceback.format_exc()))
        with os.fdopen(result_fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001 - a broken pipe: the parent stopped listening
        pass
    finally:
        os._exit(0)


def _portable(exc: PmoError) -> PmoError:
    """``exc`` if it survives pickling, else a PmoError with its message and exit code."""
    try:
        return pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception class whose __init__ takes other arguments
        plain = PmoError(str(exc))
        plain.exit_code = exc.exit_code
        return plain
