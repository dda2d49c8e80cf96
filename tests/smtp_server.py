"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd): it keeps every mail it
accepts, and can answer the next DATA commands with a temporary failure."""

import email
import email.policy
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from devtools.embedded import free_port


class SmtpServer:
    """`with SmtpServer() as smtp:` listens on smtp.host:smtp.port until the block ends."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.refusals = 0  # DATA commands answered 451 so far
        self._refuse: dict[str, int] = {}  # address -> DATA commands still to refuse
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def refuse_next(self, address: str, count: int = 1) -> None:
        """Answer the next `count` mails to `address` "451 try again later", as a busy
        server does."""
        with self._lock:
            self._refuse[address] = count

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        with self._lock:
            target = next((a for a in envelope.rcpt_tos if self._refuse.get(a)), None)
            if target:
                self._refuse[target] -= 1
                self.refusals += 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)
        return "250 OK"

    def mails_to(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The mails received for `address`, waiting until there are at least `count`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [m for m in self.messages if address in m["To"]]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
