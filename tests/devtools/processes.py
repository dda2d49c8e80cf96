"""Starting ./run's and ./test's programs as real processes, and looking at what is left."""

import fcntl
import os
import re
import signal
import socket
import subprocess
import termios
import threading
import time
from pathlib import Path


def as_a_foreground_job() -> None:
    """In the child, before exec: SIGINT and SIGQUIT back to their defaults, as a shell
    gives a job it starts in the foreground. A runner started in the background (sh's
    `&`, as CI may be) hands its children both ignored, and Python then keeps ignoring
    them: the signals these tests send would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Launched:
    """A command in a session of its own, its output (stdout and stderr) read by a thread.

    tty=True: on a pseudo-terminal that is its controlling terminal, as in a shell, so
    ctrl_c() is a real Ctrl-C (the kernel signals the terminal's foreground group)."""

    def __init__(
        self, command: list[str], env: dict[str, str], cwd: Path | None = None, tty: bool = False
    ) -> None:
        self._chunks: list[str] = []
        self._master: int | None = None
        if tty:
            self._master, slave = os.openpty()

            def take_terminal() -> None:  # runs after setsid(): make it ours
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
                as_a_foreground_job()

            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
                preexec_fn=take_terminal,
            )
            os.close(slave)
            read = self._read_terminal
        else:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=as_a_foreground_job,
            )
            read = self._read_pipe
        self.pid = self.process.pid
        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def _read_pipe(self) -> None:
        assert self.process.stdout
        while chunk := self.process.stdout.read1(4096):
            self._chunks.append(chunk.decode(errors="replace"))

    def _read_terminal(self) -> None:
        assert self._master is not None
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO: every process holding the terminal has gone
                return
            if not chunk:
                return
            self._chunks.append(chunk.decode(errors="replace").replace("\r\n", "\n"))

    @property
    def output(self) -> str:
        return "".join(self._chunks)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.output):
                return found
            if self.process.poll() is not None:
                self._reader.join(2)
                if found := re.search(pattern, self.output):
                    return found
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the output:\n{self.output[-3000:]}")

    def ctrl_c(self) -> None:
        assert self._master is not None, "started without a terminal"
        os.write(self._master, b"\x03")

    def wait(self, timeout: float) -> int:
        """The exit status; fails (and kills) when the process outlives `timeout`."""
        try:
            returncode = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running after {timeout}s:\n{self.output[-3000:]}"
            ) from None
        self._reader.join(5)
        return returncode

    def kill(self) -> None:
        """Whatever is left after a failed test: the session we started, at once."""
        for pid in [self.pid, *descendants(self.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        if self._master is not None:
            os.close(self._master)
            self._master = None


def children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren, ...), from /proc."""
    tree = children_of()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until_accepts(port: int, launched: Launched, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not accepts_connections(port):
        if launched.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"nothing on port {port}:\n{launched.output[-3000:]}")
        time.sleep(0.1)


def wait_for_child(launched: Launched, name: str, timeout: float = 10) -> int:
    """The pid of the program `name` started below `launched`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in descendants(launched.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if cmdline.read().split(b"\0")[0].endswith(name.encode()):
                        return pid
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError(f"no {name} under {launched.pid}:\n{launched.output}")
