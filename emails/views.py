from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from emails.mailcatcher import VIEWER_SANDBOX, CaughtMail, get_mail, list_mail


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
