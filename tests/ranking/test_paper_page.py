"""/papers/<id>/: the full record, similar papers and "subscribe to papers like this"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from ranking.identifiers import title_id
from subscriptions.models import Subscriber
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue() -> None:
    PaperFactory(
        canonical_id="math.GT/0309136",
        title="Knot invariants of three-manifolds",
        abstract="We study knot invariants of three-manifolds and their surgeries.",
        categories=["math.GT"],
        version=3,
        sources=["arxiv-oai", "hf"],
        upvotes=12,
        comments=2,
        trending_on=date(2026, 11, 20),
        published=datetime(2003, 9, 8, tzinfo=UTC),
        doi="10.1000/knots.1",
        abs_url="https://arxiv.org/abs/math/0309136",
    )
    PaperFactory(
        title="Knot invariants and surgery on three-manifolds",
        abstract="Knot invariants of surgeries.",
    )
    PaperFactory(title="Protein folding with diffusion", abstract="Proteins fold.")


def test_an_old_style_arxiv_id_with_a_slash_has_a_page(client: Client, catalogue) -> None:
    response = client.get("/papers/math.GT/0309136/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Knot invariants of three-manifolds</h1>" in html
    for part in ("arxiv-oai", "hf", "math.GT", "8 September 2003", "12 upvotes", "2 comments"):
        assert part in html
    versions = re.findall(r"https://arxiv.org/abs/math.GT/0309136v(\d)", html)
    assert versions == ["3", "2", "1"]
    assert 'href="https://doi.org/10.1000/knots.1"' in html
    assert 'href="/day/2026-11-20/"' in html


def test_it_lists_similar_papers_from_the_catalogue(client: Client, catalogue) -> None:
    html = client.get("/papers/math.GT/0309136/").content.decode()
    similar = html[html.index("Similar papers") :]
    assert "Knot invariants and surgery on three-manifolds" in similar
    assert "Protein folding" not in similar


def test_a_title_only_paper_has_a_page_and_can_seed_a_subscription(client: Client) -> None:
    paper = PaperFactory(title="A paper known only by its title", abstract="Nothing else.")
    assert paper.canonical_id == title_id(paper.title)
    html = client.get(f"/papers/{paper.canonical_id}/").content.decode()
    link = re.search(r'href="(/\?seed=[^"]+)"', html)
    assert link, "no subscribe link"
    signup = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(rf'name="seed_papers"[^>]*>\s*{paper.canonical_id}</textarea>', signup)
    assert "get papers like" in signup
    assert '<details class="advanced" open>' in signup

    response = client.post("/", {"email": "reader@example.org", "seed_papers": paper.canonical_id})
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.seed_paper_ids == [paper.canonical_id]
    assert list(subscriber.seed_papers.all()) == [paper]


def test_a_doi_paper_can_seed_a_subscription(client: Client) -> None:
    paper = PaperFactory(canonical_id="doi:10.1103/physrevlett.123.456789", title="Physics")
    html = client.get("/papers/doi:10.1103/physrevlett.123.456789/").content.decode()
    assert "<h1>Physics</h1>" in html
    client.post("/", {"email": "reader@example.org", "seed_papers": paper.canonical_id})
    assert list(Subscriber.objects.get().seed_papers.all()) == [paper]


def test_the_seed_field_still_refuses_what_is_not_an_id(client: Client) -> None:
    response = client.post("/", {"email": "a@example.org", "seed_papers": "title:not-hex"})
    assert response.status_code == 400
    assert "Not valid: &#x27;title:not-hex&#x27;" in response.content.decode()


@pytest.mark.parametrize(
    "seed", ["title:0000000000000000", "x" * 5000, "<script>", "", "\x00", "2401.0\x00"]
)
def test_an_unknown_seed_shows_the_plain_form(client: Client, seed: str) -> None:
    response = client.get("/", {"seed": seed})
    assert response.status_code == 200
    assert "get papers like" not in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/papers/2401.99999/",
        "/papers/title:0000000000000000/",
        "/papers/math.GT/0309136/extra/",
        "/papers/%3Cscript%3E/",
        "/papers/" + "a" * 300 + "/",
        "/papers/%00/",
        "/papers/..%2F..%2Fetc%2Fpasswd/",
    ],
)
def test_an_unknown_paper_is_a_404_page(client: Client, catalogue, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "<script>" not in html


def test_a_paper_with_thousands_of_authors_shows_fifty(client: Client) -> None:
    paper = PaperFactory(authors=[f"Author {n}" for n in range(3000)])
    html = client.get(f"/papers/{paper.canonical_id}/").content.decode()
    assert "Author 49" in html
    assert "Author 50," not in html
    assert "and 2950 more" in html


def test_a_title_only_paper_shows_no_id(client: Client) -> None:
    paper = PaperFactory(title="Known by its title alone")
    html = client.get(f"/papers/{paper.canonical_id}/").content.decode()
    record = html[html.index("<h2>Record</h2>") : html.index("Similar papers")]
    assert paper.canonical_id not in record
    assert "arXiv id" not in record
    assert "DOI" not in record


def test_an_arxiv_paper_shows_its_arxiv_id(client: Client) -> None:
    PaperFactory(canonical_id="2401.01234", title="An arXiv paper")
    html = client.get("/papers/2401.01234/").content.decode()
    assert "<dt>arXiv id</dt><dd><code>2401.01234</code></dd>" in html


def test_a_doi_only_paper_shows_its_doi(client: Client) -> None:
    PaperFactory(canonical_id="doi:10.1000/xyz", title="A DOI paper", doi="")
    response = client.get("/papers/doi:10.1000/xyz/")
    assert response.status_code == 200
    html = response.content.decode()
    doi_link = '<a href="https://doi.org/10.1000/xyz" rel="noopener">10.1000/xyz</a>'
    assert f"<dt>DOI</dt><dd>{doi_link}</dd>" in html
    assert "doi:10.1000/xyz</code>" not in html


def test_a_stored_url_that_is_not_a_web_link_is_not_linked(client: Client) -> None:
    """A row written before sources were checked (or edited in the admin) keeps its bad URL."""
    paper = PaperFactory(
        title="An old row", abs_url="file:///etc/passwd", pdf_url="javascript:alert(1)"
    )
    html = client.get(f"/papers/{paper.canonical_id}/").content.decode()
    assert "<h1>An old row</h1>" in html
    assert "javascript:" not in html
    assert "file:" not in html
    assert ">PDF</a>" not in html
