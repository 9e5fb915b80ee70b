from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from emails.mailcatcher import CaughtMail, get_mail, list_mail


def caught_mail_list(request: HttpRequest) -> HttpResponse:
    return render(request, "emails/caught_list.html", {"messages": list_mail(_mail_dir())})


def caught_mail_detail(request: HttpRequest, key: str) -> HttpResponse:
    return render(request, "emails/caught_detail.html", {"mail": _get(key)})


@xframe_options_sameorigin
def caught_mail_html(request: HttpRequest, key: str) -> HttpResponse:
    response = HttpResponse(_get(key).html or "<p>(no HTML part)</p>")
    # The message is untrusted HTML: no scripts, no forms, nothing but looking.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
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
