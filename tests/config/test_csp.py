"""The Content Security Policy: strict on our pages, inline styles only where an email is shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.procs import ROOT

pytestmark = pytest.mark.django_db

# Emails are styled inline by design (mail clients need it) and are never served as our pages
# except through the views that allow it.
EMAIL_TEMPLATES = re.compile(r"templates/emails/(?!caught_|pages/)")
APPS = ["subscriptions", "ranking", "emails"]
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def policy(client: Client, url: str) -> dict[str, str]:
    header = client.get(url).headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_our_pages_allow_no_inline_code(client: Client) -> None:
    directives = policy(client, "/")
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_the_admin_is_covered_too(client: Client) -> None:
    assert policy(client, "/admin/login/")["script-src"] == "'self'"


def test_no_template_of_ours_has_inline_scripts_styles_or_handlers() -> None:
    offenders = []
    roots = [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]
    for path in sorted(p for root in roots for p in root.glob("**/*.html")):
        relative = str(path.relative_to(ROOT))
        if EMAIL_TEMPLATES.search(relative):
            continue
        for number, line in enumerate(Path(path).read_text().splitlines(), 1):
            if INLINE_CODE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()[:80]}")
    assert offenders == []
