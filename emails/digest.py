"""Moved to emails/viewmodel.py (the digest's view model). This re-export stays only until
emails/services/nightly.py, being changed elsewhere, imports DigestItem from there; then delete
it (issue 19)."""

from __future__ import annotations

from emails.viewmodel import DigestItem as DigestItem
from emails.viewmodel import DigestView as DigestView
from emails.viewmodel import Recipient as Recipient
from emails.viewmodel import make_view as make_view
