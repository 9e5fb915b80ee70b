"""Headers as they arrive over real SMTP, read from the raw bytes: a Subject that decodes to
exactly what was meant (no leading space from an empty first line), a Message-ID on the site's
own domain, and Auto-Submitted on every automated email."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import default

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from emails.message import build_email
from emails.models import Digest
from emails.services.digest import record_day
from emails.services.send import send_digests
from emails.viewmodel import DigestItem
from subscriptions.services.signup import send_confirmation, send_manage_link
from tests.emails.delivery import DAY, ON_DAY
from tests.emails.test_message import sample_templates  # noqa: F401 (a fixture)
from tests.factories import PaperFactory, SubscriberFactory
from tests.smtp import SMTPServer

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "ascii": "Your weekly roundup of dense retrieval, graph neural networks and diffusion "
    "models for robotics",
    "accented": "Überblick: neue Arbeiten über Graphen, Sprachmodelle und Diffusionsmodelle "
    "für die Robotik",
    "cjk": "論文ダイジェスト、今日の新しい論文は十二本です。検索拡張生成と大規模言語モデルについて",
    "one long word": "Hello " + "retrieval" * 12,
    "looks encoded": "Hello =?utf-8?q?not_an_encoded_word?= as typed in a keyword",
}


def raw_header(raw: bytes, name: str) -> str:
    """The header's value exactly as it travelled: folded lines and all."""
    match = re.search(rb"^" + name.encode() + rb":(.*?)\r\n(?![ \t])", raw, re.M | re.S | re.I)
    assert match, f"no {name} header in {raw[:400]!r}"
    return match.group(1).decode("ascii")


def assert_subject(raw: bytes, subject: str) -> None:
    folded = raw_header(raw, "Subject")
    first_line = folded.split("\r\n")[0]
    assert first_line.strip(), f"the Subject's first line is empty: {folded!r}"
    assert all(len(line) <= 78 for line in f"Subject:{folded}".split("\r\n"))
    unfolded = folded.replace("\r\n", "").removeprefix(" ")
    assert str(make_header(decode_header(unfolded))) == subject
    parsed = BytesHeaderParser(policy=default).parsebytes(raw)
    assert str(parsed["Subject"]) == subject


@pytest.mark.parametrize("kind", SUBJECTS)
def test_a_subject_long_enough_to_fold_decodes_to_itself(
    sample_templates,  # noqa: F811
    smtp_server: SMTPServer,
    kind: str,
) -> None:
    name = SUBJECTS[kind].removeprefix("Hello ")
    build_email("emails/sample", "ada@example.org", {"name": name}).send()
    (raw,) = smtp_server.raw
    assert_subject(raw, f"Hello {name}")


def test_a_short_ascii_subject_travels_as_plain_text(
    sample_templates,  # noqa: F811
    smtp_server: SMTPServer,
) -> None:
    build_email("emails/sample", "ada@example.org", {"name": "Ada"}).send()
    assert raw_header(smtp_server.raw[0], "Subject") == " Hello Ada"


@pytest.fixture
def site(settings: SettingsWrapper) -> str:
    # Not the machine's name nor "localhost": a Message-ID on it cannot be a coincidence.
    settings.SITE_URL = "https://papers.paperboy-mail.example"
    return "papers.paperboy-mail.example"


def assert_automated_from_site(raw: bytes, site: str) -> None:
    message_id = raw_header(raw, "Message-ID").strip()
    assert re.fullmatch(r"<[^@<>\s]+@" + re.escape(site) + ">", message_id), message_id
    assert raw_header(raw, "Auto-Submitted").strip() == "auto-generated"


def test_the_confirmation_email_is_automated_and_from_the_site(
    smtp_server: SMTPServer, site: str
) -> None:
    reader = SubscriberFactory(status="pending", confirmed_at=None)
    assert send_confirmation(reader.pk, timezone.now())
    assert_automated_from_site(smtp_server.raw[0], site)


def test_the_manage_link_email_is_automated_and_from_the_site(
    smtp_server: SMTPServer, site: str
) -> None:
    reader = SubscriberFactory()
    assert send_manage_link(reader.pk, timezone.now())
    assert_automated_from_site(smtp_server.raw[0], site)


def test_two_emails_never_share_a_message_id(smtp_server: SMTPServer, site: str) -> None:
    reader = SubscriberFactory()
    send_manage_link(reader.pk, timezone.now())
    send_manage_link(reader.pk, timezone.now())
    first, second = (raw_header(raw, "Message-ID") for raw in smtp_server.raw)
    assert first != second


@ON_DAY
def test_a_digest_is_automated_from_the_site_with_its_cjk_subject_intact(
    smtp_server: SMTPServer, site: str
) -> None:
    title = "大規模言語モデルによる検索拡張生成の評価、十二の言語と三つの領域での実験"
    reader = SubscriberFactory(keywords=["検索拡張生成"])
    paper = PaperFactory(title=title)
    digest = record_day(reader, DAY, [DigestItem(paper, 0.9, "Matches “検索拡張生成”", "")])
    assert digest is not None
    assert send_digests([digest.pk]).sent == 1
    (raw,) = smtp_server.raw
    assert_automated_from_site(raw, site)
    assert raw_header(raw, "Message-ID").strip() == Digest.objects.get().message_id
    assert_subject(raw, f"1 new paper: {title}")
