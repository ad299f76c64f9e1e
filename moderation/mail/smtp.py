"""Sending one message through the SMTP server of SMTP_URL (aiosmtplib)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

SEND_TIMEOUT_S = 30


@dataclass(frozen=True, slots=True)
class SmtpServer:
    hostname: str
    port: int
    use_tls: bool  # smtps://: TLS from the start; smtp://: STARTTLS when the server offers it
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://[user:password@]host[:port]")
        use_tls = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if use_tls else 25), use_tls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)

    async def send(self, message: EmailMessage) -> None:
        """Raises aiosmtplib's errors: the queue retries the job with backoff."""
        await aiosmtplib.send(message, hostname=self.hostname, port=self.port,
                              username=self.username, password=self.password,
                              use_tls=self.use_tls, timeout=SEND_TIMEOUT_S)
