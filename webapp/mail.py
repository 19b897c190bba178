"""Email from the site (password resets, address checks), sent with the standard library once the work is saved.

:func:`send_after_commit` builds the message now and hands it to the SMTP server named by ``MAIL_SERVER``
(``MAIL_PORT``, ``MAIL_USERNAME``/``MAIL_PASSWORD``, STARTTLS with ``MAIL_USE_TLS``, from ``MAIL_FROM``) after
the unit of work commits (webapp/transaction.py): a mail never announces something that was rolled back. Without
``MAIL_SERVER`` the message is written to the log instead, so a development server shows the link to open.
Neutral module: it imports no domain.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from webapp.transaction import after_commit

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 15  # seconds: a stuck mail server must not hold a web worker for long


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send, read from the configuration when the mail is made."""

    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    sender: str

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_USERNAME"], config["MAIL_PASSWORD"],
                   config["MAIL_USE_TLS"], config["MAIL_FROM"])


def make_message(to: str, subject: str, body: str, sender: str) -> EmailMessage:
    """A plain-text message; header injection is impossible (EmailMessage refuses line breaks in headers)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(body)
    return message


def deliver(message: EmailMessage, settings: MailSettings) -> None:
    """Hand ``message`` to the SMTP server, or write it to the log when no server is set."""
    if not settings.server:
        logger.warning("MAIL_SERVER is not set, so this mail was not sent:\n%s", message.as_string())
        return
    with smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
    logger.info("mail %r sent to %s", message["Subject"], message["To"])


def send_after_commit(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail once the current unit of work commits (never if it rolls back)."""
    settings = MailSettings.from_config(current_app.config)
    message = make_message(to, subject, body, settings.sender)
    after_commit(lambda: deliver(message, settings))
