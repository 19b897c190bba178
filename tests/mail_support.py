"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what the site sends: fixtures ``smtp_server`` and
``mailbox``.

``mailbox`` points the app's ``MAIL_SERVER``/``MAIL_PORT`` at the server and empties it; ``mailbox.messages``
are the mails received (``email.message.EmailMessage``), ``mailbox.last(to=...)`` the newest one for an
address, and :func:`link_in` the first link in a mail's text.
"""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

LINK = re.compile(r"https?://\S+")


class Inbox:
    """What the SMTP server received, oldest first (aiosmtpd's handler interface: ``handle_DATA``)."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        """The mails sent to ``address``, oldest first."""
        return [message for message in self.messages if address.lower() in message["X-Envelope-To"].lower()]

    def last(self, to: str, timeout: float = 5.0) -> EmailMessage:
        """The newest mail to ``to``, waiting a little for it (a browser's request may still be finishing)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(to)
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to}; received: {[m['To'] for m in self.messages]}")
            time.sleep(0.05)


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a mail."""
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage) -> str:
    """The first link in a mail."""
    match = LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(0)


@pytest.fixture(scope="session")
def smtp_server():
    """aiosmtpd's SMTP server in its own thread on 127.0.0.1 and a free port, for the whole session."""
    from aiosmtpd.controller import Controller

    from tests.live_server import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app, smtp_server, monkeypatch) -> Inbox:
    """The site's mail goes to the SMTP server on 127.0.0.1; the inbox starts empty."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", smtp_server.hostname)
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "")
    inbox = smtp_server.handler
    inbox.clear()
    return inbox
