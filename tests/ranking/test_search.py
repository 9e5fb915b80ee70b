"""Search over titles and abstracts (full-text on PostgreSQL, icontains on SQLite)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ranking.services import search
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/papers/[^"]+/">([^<]+)</a></h3>', html)


@pytest.fixture
def catalogue() -> None:
    PaperFactory(title="Dense retrieval with contrastive learning", abstract="We train retrievers.")
    PaperFactory(title="Graph neural networks", abstract="Message passing for molecules.")
    PaperFactory(title="Protein structure", abstract="Contrastive pretraining of protein models.")


def test_it_finds_words_in_titles_and_abstracts(client: Client, catalogue) -> None:
    assert titles(client.get("/search/?q=contrastive").content.decode()) == [
        "Protein structure",
        "Dense retrieval with contrastive learning",
    ]
    assert titles(client.get("/search/?q=molecules").content.decode()) == ["Graph neural networks"]


def test_every_word_must_match(client: Client, catalogue) -> None:
    html = client.get("/search/?q=contrastive+protein").content.decode()
    assert titles(html) == ["Protein structure"]
    assert re.search(r"\b1 match\s", html)


def test_no_match_says_so(client: Client, catalogue) -> None:
    html = client.get("/search/?q=quasar").content.decode()
    assert titles(html) == []
    assert "No papers match that search" in html


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        "%",
        "_",
        '"unclosed',
        "a & b | !c <-> d:*",
        "<script>alert(1)</script>",
        "\x00\x01\x1f",
        "مرحبا 🤖 ∑",
        "(((((((((",
        "a b c d e f g h i j k l m n o p",
        "   ",
    ],
)
def test_hostile_queries_are_answered_not_crashed(client: Client, catalogue, query: str) -> None:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html


def test_the_query_is_escaped_in_the_page(client: Client, catalogue) -> None:
    html = client.get("/search/", {"q": '"><script>x</script>'}).content.decode()
    assert "<script>x</script>" not in html
    assert "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" in html


def test_a_too_long_query_is_a_400_with_the_search_box(client: Client, catalogue) -> None:
    response = client.get("/search/", {"q": "retrieval " * 100})
    assert response.status_code == 400
    html = response.content.decode()
    assert "limited to 200 characters" in html
    assert 'name="q"' in html


def test_terms_are_capped_and_results_bounded(monkeypatch, catalogue) -> None:
    query = search.clean_query(" ".join(f"w{n}" for n in range(50)))
    assert len(query.terms) == search.MAX_TERMS
    monkeypatch.setattr(search, "MAX_RESULTS", 1)
    assert len(search.search_papers(search.clean_query("contrastive"))) == 1


def test_pages_of_results_keep_the_query(client: Client) -> None:
    for n in range(30):
        PaperFactory(title=f"Retrieval paper {n}")
    html = client.get("/search/?q=retrieval").content.decode()
    assert 'href="?q=retrieval&amp;page=2"' in html
    assert len(titles(client.get("/search/?q=retrieval&page=2").content.decode())) == 5
    assert client.get("/search/?q=retrieval&page=3").status_code == 404
