"""The e-mail sender: one plain-text message over SMTP per notification (sender ``email``).

Addresses come from the notification's ``email:<address>`` recipients and from
``[escalation.email.recipients]`` (pattern → addresses). SMTP answers in the 5xx range and
refused logins are definitive; everything else (connection trouble, timeouts, 4xx) is retried.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from careline.clock import Clock
from careline.notifications import NotificationError, NotificationSender
from careline.types import Notification

from careline_escalation.config import EmailConfig
from careline_escalation.recipients import email_addresses

log = logging.getLogger("careline.escalation.email")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(
    config: EmailConfig, notification: Notification, to: list[str], clock: Clock
) -> EmailMessage:
    """The e-mail for ``notification`` addressed to ``to``."""
    message = EmailMessage()
    subject = _one_line(f"{config.subject_prefix} {notification.title}")
    message["Subject"] = subject or notification.kind
    message["From"] = config.from_address
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=config.from_address.rpartition("@")[2])
    message["X-Careline-Kind"] = _one_line(notification.kind)
    if notification.conversation_id is not None:
        message["X-Careline-Conversation"] = str(notification.conversation_id)
    lines = [notification.body, ""]
    if notification.url:
        lines.append(f"Open the conversation: {notification.url}")
    if notification.recipients:
        lines.append(f"Sent to: {', '.join(notification.recipients)}")
    message.set_content("\n".join(lines).strip() + "\n")
    return message


class EmailSender(NotificationSender):
    """Sends notifications by e-mail through the configured SMTP server."""

    name = "email"

    def __init__(self, config: EmailConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def addresses(self, notification: Notification) -> list[str]:
        """Who gets ``notification`` by e-mail."""
        return email_addresses(self.config.recipients, notification.recipients)

    def accepts(self, notification: Notification) -> bool:
        """Whether ``notification`` maps to at least one address."""
        return bool(self.addresses(notification))

    def deliver(self, notification: Notification) -> None:
        """Send the e-mail; raise :class:`NotificationError` when the server does not take it."""
        to = self.addresses(notification)
        if not to:
            log.debug("email: no address for %s", notification.recipients)
            return
        message = build_message(self.config, notification, to, self.clock)
        config = self.config
        where = f"{config.host}:{config.effective_port}"
        try:
            refused = self._send(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise NotificationError(
                f"email ({where}): login refused ({exc.smtp_code})", transient=False
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotificationError(
                f"email ({where}): every recipient refused: {', '.join(sorted(exc.recipients))}",
                transient=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            reply = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise NotificationError(
                f"email ({where}): {exc.smtp_code} {_one_line(reply)[:200]}",
                transient=exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(f"email ({where}): {type(exc).__name__}: {exc}") from None
        if refused:
            log.warning("email (%s): refused recipients %s", where, ", ".join(sorted(refused)))
        log.info(
            "email (%s): sent %s notification for conversation %s to %d address(es)",
            where,
            notification.kind,
            notification.conversation_id,
            len(to) - len(refused),
        )

    def _send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        config = self.config
        timeout = config.timeout.total_seconds()
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if config.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                config.host, config.effective_port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(config.host, config.effective_port, timeout=timeout)
        with smtp:
            if config.security == "starttls":
                smtp.starttls(context=context)
            if config.username:
                smtp.login(config.username, config.password or "")
            return smtp.send_message(message)
