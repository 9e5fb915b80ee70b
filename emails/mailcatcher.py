"""Read the local mail catcher's Maildir (the quick start's stand-in for an inbox)."""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

NEW_TAB_BASE = '<base target="_blank">'
# What a caught email's frame may do besides showing itself: open its links in new tabs that
# are ordinary pages (not sandboxed), so a confirm page's form works there.
VIEWER_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)


@dataclass(frozen=True)
class CaughtMail:
    key: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def html_for_viewer(self) -> str:
        """The HTML part with every link opening a new tab: the site refuses to be framed, so
        a link followed inside the viewer's frame (the confirm link, say) would only show an
        error. The first <base> with a target wins, so ours goes first."""
        html = self.html or "<p>(no HTML part)</p>"
        head = _HEAD.search(html)
        at = head.end() if head else 0
        return f"{html[:at]}{NEW_TAB_BASE}{html[at:]}"

    @property
    def source(self) -> str:
        return self.message.as_string()


def list_mail(mail_dir: Path, limit: int = 200) -> list[CaughtMail]:
    if not mail_dir.exists():
        return []
    box = mailbox.Maildir(mail_dir, create=False)
    messages = [_parse(key, box.get_bytes(key)) for key in box.iterkeys()]
    messages.sort(key=lambda m: m.date.timestamp() if m.date else 0, reverse=True)
    return messages[:limit]


def get_mail(mail_dir: Path, key: str) -> CaughtMail | None:
    if not mail_dir.exists():
        return None
    box = mailbox.Maildir(mail_dir, create=False)
    try:
        return _parse(key, box.get_bytes(key))
    except KeyError:
        return None


def _parse(key: str, raw: bytes) -> CaughtMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # noqa: S101 (policy.default guarantees it)
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return CaughtMail(
        key=key,
        subject=str(message["Subject"] or "(no subject)"),
        sender=str(message["From"] or ""),
        to=str(message["To"] or ""),
        date=date,
        message=message,
    )
