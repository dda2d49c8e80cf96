"""Child processes of ./run and ./test, and how they stop.

Ctrl-C in a terminal signals the whole foreground process group; `kill`, `timeout`,
systemd and an IDE's stop button signal only us. So stop signals are blocked while we
run and taken one at a time by StopSignals.wait(): one arriving at any moment (during
start-up or clean-up too) is handled by our code, never as an exception thrown into it.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
SI_KERNEL = 0x80  # Linux si_code of a signal sent by the kernel (a terminal), not by kill()
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


@dataclass(frozen=True)
class StopRequest:
    signum: int
    # True for Ctrl-C or hang-up: the terminal signalled our whole process group.
    from_terminal: bool

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class StopSignals:
    """While entered, SIGINT, SIGTERM and SIGHUP wait for wait() instead of interrupting."""

    def __init__(self) -> None:
        # macOS has no sigtimedwait: handlers note the signal, and a SIGINT is taken as
        # the terminal's Ctrl-C (the usual case there).
        self._blocking = hasattr(signal, "sigtimedwait")
        self._received: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopSignals":
        if self._blocking:
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        else:
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._blocking:
            # Drop signals that came during clean-up: they asked for what is already done.
            while signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
                pass
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        else:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)

    def _note(self, signum: int, frame: object) -> None:
        self._received.append(signum)

    def wait(self, timeout: float) -> StopRequest | None:
        """The next stop signal, or None after `timeout` seconds without one."""
        if self._blocking:
            info = signal.sigtimedwait(STOP_SIGNALS, max(timeout, 0.0))
            if info is None:
                return None
            return StopRequest(info.si_signo, info.si_code == SI_KERNEL)
        deadline = time.monotonic() + timeout
        while not self._received and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._received:
            return None
        signum = self._received.pop(0)
        return StopRequest(signum, signum == signal.SIGINT)


def popen(command: Sequence[str], *, own_group: bool = False, **kwargs: Any) -> subprocess.Popen:
    """Start `command` with the stop signals unblocked (a blocked mask is inherited).

    own_group: a process group of its own, out of reach of the terminal's Ctrl-C (we stop
    it, once, in order), and a SIGTERM from the kernel should we die without cleaning up.
    """

    def child_setup() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if own_group:
            os.setpgid(0, 0)
            if _libc is not None:
                _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return subprocess.Popen(command, preexec_fn=child_setup, **kwargs)


def wait_any(
    processes: Sequence[subprocess.Popen], signals: StopSignals
) -> tuple[subprocess.Popen | None, StopRequest | None]:
    """Until one of `processes` exits (returned first) or a stop signal comes (second)."""
    while True:
        for process in processes:
            if process.poll() is not None:
                return process, None
        request = signals.wait(0.2)
        if request is not None:
            return None, request


def _signal(process: subprocess.Popen, signum: int, group: bool = False) -> None:
    try:
        if group and os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signum)  # also its own children (Celery's pool)
        else:
            process.send_signal(signum)
    except ProcessLookupError:
        pass


def stop(processes: Sequence[subprocess.Popen], signals: StopSignals, grace: float = 15.0) -> None:
    """SIGTERM to each; SIGKILL (to its group) for what still runs after `grace` seconds
    or once another stop signal comes ("Ctrl-C again to kill")."""
    for process in processes:
        if process.poll() is None:
            _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(process.poll() is None for process in processes):
        if time.monotonic() > deadline or signals.wait(0.1) is not None:
            break
    for process in processes:
        if process.poll() is None:
            _signal(process, signal.SIGKILL, group=True)
            process.wait()


def terminate(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def exit_status(returncode: int) -> int:
    """A child's status as a shell reports it: 128 + N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode
