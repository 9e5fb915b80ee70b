"""Per-view widening of the Content Security Policy (CONTENT_SECURITY_POLICY in settings) for
the pages that show an email: "view in browser" and the admin's digest preview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.decorators import csp_update

View = TypeVar("View", bound=Callable[..., Any])
# An email's HTML is styled with inline style attributes and a <style> block (premailer), and
# has no scripts: the pages that show one, directly or in a srcdoc frame, allow inline styles.
_email_styles = csp_update({"style-src": ["'unsafe-inline'"]})


def allow_email_styles(view: View) -> View:
    return cast(View, _email_styles(view))
