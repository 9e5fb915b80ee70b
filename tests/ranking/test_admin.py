from __future__ import annotations

import pytest
from django.test import Client

from ranking.models import IngestionRun
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_paper_admin_filters_by_source_with_counts(admin_client: Client) -> None:
    PaperFactory(sources=["hf", "arxiv-oai"], title="Trending and harvested")
    PaperFactory(sources=["demo"], title="Only in the demo")

    page = admin_client.get("/admin/ranking/paper/", {"source": "hf"})
    search = admin_client.get("/admin/ranking/paper/", {"q": "demo"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Trending and harvested" in text
    assert "Only in the demo" not in text
    assert "hf (1)" in text
    assert "demo (1)" in text
    assert "arxiv-oai (1)" in text
    assert "Only in the demo" in search.content.decode()


def test_ingestion_runs_are_listed_with_counts_errors_and_per_source_totals(
    admin_client: Client,
) -> None:
    IngestionRun.objects.create(source="oai", status="succeeded", fetched=2265, created=2265)
    IngestionRun.objects.create(source="hf", status="failed", errors="HF: answered HTTP 503\nmore")

    page = admin_client.get("/admin/ranking/ingestionrun/")
    failed = admin_client.get("/admin/ranking/ingestionrun/", {"status__exact": "failed"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "2265" in text
    assert "arXiv OAI-PMH (1 runs)" in text
    assert "HF: answered HTTP 503" in failed.content.decode()
    assert "2265" not in failed.content.decode()


def test_a_subscriber_models_page_shows_what_it_learnt(admin_client: Client) -> None:
    from django.urls import reverse

    from ranking.models import SubscriberModel
    from ranking.services.recommend import refresh_subscriber_model
    from tests.factories import PaperFactory, SubscriberFactory

    papers = PaperFactory.create_batch(30, categories=["cs.CL"], abstract="language models")
    PaperFactory.create_batch(30, categories=["astro-ph"], abstract="galaxy telescope survey")
    reader = SubscriberFactory(keywords=["language models"], negative_keywords=[])
    assert refresh_subscriber_model(reader)
    row = SubscriberModel.objects.get(subscriber=reader)
    page = admin_client.get(reverse("admin:ranking_subscribermodel_change", args=[row.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "language models (keywords)" in html
    assert "cs.CL +" in html
    assert "astro-ph -" in html
    assert papers
