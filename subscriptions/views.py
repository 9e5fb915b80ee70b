"""Thin views: authenticate (signed token), validate (a Form), call one service, render.

What the pages show from the apps above (the trending list, a seed paper, the interest check,
a suppression) comes through subscriptions/hooks.py: this app imports neither of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from subscriptions import ratelimits, tokens
from subscriptions.forms import (
    DeleteAccountForm,
    EmailOnlyForm,
    ManagePreferencesForm,
    SignupForm,
    UndoFeedbackForm,
)
from subscriptions.hooks import hooks
from subscriptions.models import Subscriber
from subscriptions.services import centre, erasure, preferences, signup
from subscriptions.services.links import (
    feed_url,
    manage_url,
    subscriber_from_token,
    unsubscribe_url,
)

View = Callable[..., HttpResponse]


def token_view(purpose: tokens.Purpose) -> Callable[[View], View]:
    """Resolve `token` to a subscriber or answer with a page saying what is wrong with the link.

    Token pages are private: never cached, never leaking the URL in a Referer header to another
    site. ("no-referrer" would make browsers send `Origin: null` and fail our own CSRF check.)
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
            try:
                subscriber = subscriber_from_token(token, purpose)
            except tokens.TokenError as exc:
                response = _bad_link(request, exc)
            else:
                response = view(request, subscriber, token=token, **kwargs)
            response["Referrer-Policy"] = "same-origin"
            response["X-Robots-Tag"] = "noindex"
            return response

        return never_cache(wrapper)

    return decorator


def _bad_link(request: HttpRequest, error: tokens.TokenError) -> HttpResponse:
    if isinstance(error, tokens.WrongPurpose):
        reason, status = "wrong_purpose", 403
    elif isinstance(error, tokens.ExpiredToken):
        reason, status = "expired", 400
    else:
        reason, status = "invalid", 400
    context = {"reason": reason, "form": EmailOnlyForm()}
    return render(request, "subscriptions/link_invalid.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    seed = _seed_paper(request)
    initial = {"seed_papers": [seed.canonical_id]} if seed is not None else None
    form = SignupForm(_posted(request), initial=initial)
    if request.method == "POST":
        if ratelimits.ip_limited(request, "signup"):
            return _too_many(request)
        if request.POST.get("action") == "check":
            # "Check my interests": nothing is saved and no address is needed yet.
            form.is_valid()
            context = {"form": form, "seed_paper": seed, **hooks.trending_context(request)}
            context["interest_reports"] = _interest_reports(form)
            context["checked"] = True
            return render(request, "subscriptions/signup.html", context)
        if form.is_valid():
            if form.is_bot:
                return redirect("subscriptions:check_inbox")
            email = form.cleaned_data["email"]
            if ratelimits.address_limited(request, "signup", email):
                return _too_many(request)
            signup.subscribe(email, form.cleaned_data)
            return redirect("subscriptions:check_inbox")
    context = {"form": form, "seed_paper": seed, **hooks.trending_context(request)}
    status = 400 if form.errors else 200
    return render(request, "subscriptions/signup.html", context, status=status)


def _interest_reports(form: Any) -> list[Any]:
    """The interest check of what the form holds (its fields that validated)."""
    data = getattr(form, "cleaned_data", {})
    return hooks.check_interests(
        keywords=data.get("keywords") or [],
        topics=data.get("topics") or [],
        categories=data.get("categories") or [],
        authors=data.get("authors") or [],
        seed_papers=data.get("seed_papers") or [],
    )


def _seed_paper(request: HttpRequest) -> Any:
    """The paper of "subscribe to papers like this" (?seed=<canonical id>); unknown ids: none."""
    return hooks.find_paper(request.GET.get("seed", ""))


def check_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/check_inbox.html")


@require_http_methods(["GET", "POST"])
def request_link_view(request: HttpRequest) -> HttpResponse:
    form = EmailOnlyForm(_posted(request))
    if request.method == "POST":
        if ratelimits.ip_limited(request, "link"):
            return _too_many(request)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if not ratelimits.address_limited(request, "link", email):
                signup.request_link(email)
            # Same answer for known, unknown and rate-limited addresses: no enumeration.
            return redirect("subscriptions:check_inbox")
    status = 400 if form.errors else 200
    return render(request, "subscriptions/request_link.html", {"form": form}, status=status)


def _posted(request: HttpRequest) -> Any:
    """POST data to bind a form to (even if empty: an empty POST gets errors), else None."""
    return request.POST if request.method == "POST" else None


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/too_many.html", status=429)


@require_http_methods(["GET", "POST"])
@token_view("confirm")
def confirm_view(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    # GET never confirms: link scanners open every URL in a message.
    confirmed_now = request.method == "POST" and signup.confirm_subscription(subscriber)
    # The preference-centre link only answers the click that confirmed: a confirm link lives for
    # days in a mailbox and must not hand out fresh manage links to whoever opens it later.
    link = manage_url(subscriber) if confirmed_now else ""
    context = {"subscriber": subscriber, "manage_url": link, "token": token}
    return render(request, "subscriptions/confirm.html", context)


@require_http_methods(["GET", "POST"])
@token_view("manage")
def manage_view(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    if request.method == "GET":
        return _manage_page(
            request, subscriber, token, _preferences_form(subscriber),
            interest_reports=_subscriber_reports(subscriber),
        )  # fmt: skip
    action = request.POST.get("action", "save")
    if action in {"pause", "resume"}:
        preferences.set_paused(subscriber, paused=action == "pause")
        return redirect("subscriptions:manage", token=token)
    if action == "resubscribe":
        preferences.resubscribe(subscriber)
        return redirect("subscriptions:manage", token=token)
    if action == "reset_feed":
        preferences.reset_feed_link(subscriber)
        return redirect("subscriptions:manage", token=token)
    if action == "undo_feedback":
        return _undo_feedback(request, subscriber, token)
    form = _preferences_form(subscriber, request.POST)
    if action == "check":
        form.is_valid()
        reports = _interest_reports(form)
        return _manage_page(
            request, subscriber, token, form, interest_reports=reports, checked=True
        )
    if not form.is_valid():
        return _manage_page(request, subscriber, token, form, status=400)
    preferences.update_preferences(subscriber, form.cleaned_data)
    # A fresh form: the kept and added papers are now one list, and the "add" box is empty.
    form = _preferences_form(subscriber)
    return _manage_page(request, subscriber, token, form, saved=True)


def _subscriber_reports(subscriber: Subscriber) -> list[Any]:
    """What the saved interests found in the last days: the preference centre opens with it."""
    return hooks.check_interests(
        keywords=subscriber.keywords,
        topics=[t for t in subscriber.topics.all() if t.active],
        categories=subscriber.categories,
        authors=subscriber.authors,
        seed_papers=subscriber.seed_paper_ids,
    )


def _preferences_form(subscriber: Subscriber, data: Any = None) -> ManagePreferencesForm:
    initial = {name: getattr(subscriber, name) for name in preferences.PREFERENCE_FIELDS}
    initial["topics"] = [topic.slug for topic in subscriber.topics.all()]
    initial["keep_seed_papers"] = subscriber.seed_paper_ids
    return ManagePreferencesForm(data, initial=initial, current_seed_ids=subscriber.seed_paper_ids)


def _undo_feedback(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    form = UndoFeedbackForm(request.POST)
    if not form.is_valid():
        notice, status = "That rating could not be read; nothing was changed.", 400
    elif not preferences.undo_feedback(subscriber, form.cleaned_data["feedback"]):
        notice, status = "That rating is not in your list (already undone?); nothing changed.", 404
    else:
        messages.success(request, "Undone: your digests no longer learn from that rating.")
        return redirect(reverse("subscriptions:manage", kwargs={"token": token}) + "#rated")
    form_page = _preferences_form(subscriber)
    return _manage_page(request, subscriber, token, form_page, status=status, undo_error=notice)


def _manage_page(
    request: HttpRequest,
    subscriber: Subscriber,
    token: str,
    form: ManagePreferencesForm,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "subscriber": subscriber,
        "form": form,
        "token": token,
        "seed_rows": centre.seed_papers_of(subscriber),
        "kept_seed_ids": set(form["keep_seed_papers"].value() or []),
        "rated": centre.rated_papers(subscriber),
        "unsubscribe_url": unsubscribe_url(subscriber),
        "feed_url": feed_url(subscriber),
        "suppression": hooks.suppression_of(subscriber.email),
        **extra,
    }
    return render(request, "subscriptions/manage.html", context, status=status)


@require_http_methods(["GET"])
@token_view("manage")
def export_view(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    data = preferences.export_subscriber_data(subscriber)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="paperboy-subscription.json"'
    return response


@require_http_methods(["GET", "POST"])
@token_view("manage")
def delete_view(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    form = DeleteAccountForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        erasure.delete_subscriber(subscriber)
        return render(request, "subscriptions/deleted.html")
    context = {"subscriber": subscriber, "form": form, "token": token}
    return render(request, "subscriptions/delete.html", context, status=400 if form.errors else 200)


# RFC 8058: mail providers POST here with no cookies and no CSRF token; the signed token is
# the authentication. GET only shows a button. Never redirect: some clients do not follow.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@token_view("unsubscribe")
def unsubscribe_view(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    done = False
    if request.method == "POST":
        preferences.unsubscribe(subscriber, via=_unsubscribe_via(request))
        done = True
    context = {"subscriber": subscriber, "done": done, "manage_url": manage_url(subscriber)}
    return render(request, "subscriptions/unsubscribe.html", context)


def _unsubscribe_via(request: HttpRequest) -> str:
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    return "one_click" if one_click else "page"
