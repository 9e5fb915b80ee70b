from __future__ import annotations

import pytest
from django.core import signing

from emails import links
from subscriptions import tokens


def _token(url: str) -> str:
    return url.rstrip("/").split("/")[-1]


def test_it_signs_exactly_like_the_stock_django_signer() -> None:
    click, _, _ = links.LinkBuilder().paper_urls(7, 42, 3)
    token = _token(click)
    assert (
        signing.Signer(salt=links.PAPER_SALT, algorithm="sha256").sign_object([7, 42, 3]) == token
    )
    assert links.read_paper_token(token) == links.PaperLink(digest_id=7, paper_id=42, version=3)


def test_it_gives_one_token_to_the_three_links_of_a_paper() -> None:
    click, more, less = links.LinkBuilder().paper_urls(7, 42, 3)
    assert more == click + "more/"
    assert less == click + "less/"
    assert click.startswith("http://testserver/r/")


def test_it_reads_view_tokens_only_as_view_tokens() -> None:
    view_token = _token(links.LinkBuilder().view_url(7, 3))
    assert links.read_view_token(view_token) == links.ViewLink(digest_id=7, version=3)
    with pytest.raises(links.BadLink):
        links.read_paper_token(view_token)
    paper_token = _token(links.LinkBuilder().paper_urls(7, 42, 3)[0])
    with pytest.raises(links.BadLink):
        links.read_view_token(paper_token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x" * 500,
        "not-a-token",
        "WzcsNDIsM10:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        tokens.make_token("unsubscribe", 7, 3),
        signing.Signer(salt=links.PAPER_SALT).sign_object({"d": 7}),
        signing.Signer(salt=links.PAPER_SALT).sign_object([7, 42]),
        signing.Signer(salt=links.PAPER_SALT).sign_object([7, "42", 3]),
        signing.Signer(salt=links.PAPER_SALT).sign_object([0, 42, 3]),
        signing.Signer(salt=links.PAPER_SALT).sign_object([7, True, 3]),
    ],
    # Stable names: the unsubscribe token carries a timestamp, and every xdist worker must
    # collect the same test ids.
    ids=[
        "empty",
        "long",
        "junk",
        "bad-signature",
        "unsubscribe-token",
        "a-dict",
        "two-numbers",
        "string-paper",
        "digest-zero",
        "boolean-paper",
    ],
)
def test_it_rejects_anything_but_its_own_paper_tokens(token: str) -> None:
    with pytest.raises(links.BadLink):
        links.read_paper_token(token)


def test_it_rejects_a_token_with_one_character_changed() -> None:
    token = _token(links.LinkBuilder().paper_urls(7, 42, 3)[0])
    payload, signature = token.split(":")
    forged = signing.b64_encode(b"[7,43,3]").decode() + ":" + signature
    with pytest.raises(links.BadLink):
        links.read_paper_token(forged)
    flipped = payload + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(links.BadLink):
        links.read_paper_token(flipped)


def test_a_paper_token_is_not_a_subscriptions_token() -> None:
    token = _token(links.LinkBuilder().paper_urls(7, 42, 3)[0])
    with pytest.raises(tokens.TokenError):
        tokens.read_token(token, "unsubscribe")
