"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, for tests to read."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, box: "Mailbox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append(message)
        if self.box.on_data is not None:  # a test's hook: the message is in, the 250 not yet sent
            self.box.on_data(message)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        if self.box.on_quit is not None:  # a test's hook: the client said goodbye
            self.box.on_quit()
        return "221 Bye"


class Mailbox:
    # Hooks a test may set (and must set back to None): on_data(message) once a message is in, before the
    # server's 250; on_quit() when the client says goodbye.
    on_data = None
    on_quit = None

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> "Mailbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.to(address)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""
