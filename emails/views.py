"""Thin views: the pages behind a digest's links, and the local mail catcher's viewer.

A digest's links resolve the signed token, call one service and answer. Every answer is private
(never cached, no Referer leaking the token to other sites, not indexed). "same-origin" rather
than "no-referrer": with no-referrer, browsers send `Origin: null` on the confirm form's POST
and Django's CSRF check rejects it. Feedback only acts on POST: mail scanners open every link in
a message and must not register "less like this".

The mail catcher's pages (urls_dev.py) only answer when settings.MAIL_CATCHER_DIR is set.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from emails.csp import allow_email_styles
from emails.links import LinkError
from emails.mailcatcher import VIEWER_SANDBOX, CaughtMail, get_mail, list_mail
from emails.services.clicks import record_click
from emails.services.digest import recipient_for, render_digest
from emails.services.feedback import (
    ExpiredLink,
    NotInDigest,
    RevokedLink,
    is_expired,
    paper_target_url,
    record_feedback,
    resolve_paper_link,
    resolve_view_link,
)
from subscriptions.services.links import manage_url

View = Callable[..., HttpResponse]


def private(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except LinkError as exc:
            response = _bad_link(request, exc)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return never_cache(wrapper)


def _bad_link(request: HttpRequest, error: LinkError) -> HttpResponse:
    if isinstance(error, ExpiredLink):
        reason = "expired"
    elif isinstance(error, NotInDigest):
        reason = "not_in_digest"
    elif isinstance(error, RevokedLink):
        reason = "revoked"
    else:
        reason = "invalid"
    return render(request, "emails/pages/link_invalid.html", {"reason": reason}, status=400)


@require_http_methods(["GET", "HEAD"])
@private
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    digest, paper = resolve_paper_link(token)
    # Every genuine click lands on the paper; old links and HEADs are not recorded, and
    # record_click decides whether a recorded one counts toward trending.
    if request.method == "GET" and not is_expired(digest):
        record_click(digest, paper, request.headers.get("user-agent", ""))
    return HttpResponseRedirect(paper_target_url(paper))


@require_http_methods(["GET", "POST"])
@private
def feedback_view(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    digest, paper = resolve_paper_link(token)
    if is_expired(digest):
        raise ExpiredLink
    done = request.method == "POST"
    if done:
        record_feedback(digest, paper, kind, request.headers.get("user-agent", ""))
    context = {
        "paper": paper,
        "kind": kind,
        "done": done,
        "paper_url": paper_target_url(paper),
        "manage_url": manage_url(digest.subscriber),
    }
    return render(request, "emails/pages/feedback.html", context)


@require_http_methods(["GET"])
@private
@allow_email_styles
def view_in_browser(request: HttpRequest, token: str) -> HttpResponse:
    digest = resolve_view_link(token)
    _, html = render_digest(digest, recipient_for(digest.subscriber))
    return HttpResponse(html)


# The local mail catcher (make run): the caught messages, one message, its HTML in a sandbox.


def caught_mail_list(request: HttpRequest) -> HttpResponse:
    return render(request, "emails/caught_list.html", {"messages": list_mail(_mail_dir())})


def caught_mail_detail(request: HttpRequest, key: str) -> HttpResponse:
    context = {"mail": _get(key), "sandbox": VIEWER_SANDBOX}
    return render(request, "emails/caught_detail.html", context)


@xframe_options_sameorigin
def caught_mail_html(request: HttpRequest, key: str) -> HttpResponse:
    response = HttpResponse(_get(key).html_for_viewer)
    # The message is untrusted HTML: no scripts, no forms, nothing but looking, and following
    # its links, which open in a new tab (html_for_viewer) as an ordinary page of their site.
    response["Content-Security-Policy"] = (
        f"sandbox {VIEWER_SANDBOX}; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    )
    return response


def _mail_dir() -> Path:
    if settings.MAIL_CATCHER_DIR is None:
        raise Http404("The local mail catcher is not enabled in these settings.")
    return settings.MAIL_CATCHER_DIR


def _get(key: str) -> CaughtMail:
    mail = get_mail(_mail_dir(), key)
    if mail is None:
        raise Http404("No such message.")
    return mail
