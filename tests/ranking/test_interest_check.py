"""The interest check (issue #16) on the real sentence encoder: what each typed interest would
have matched in the last days, and plain advice when it is too broad or matches nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count, islice
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from ranking.core import MiniLMEncoder
from ranking.models import Paper
from ranking.services import encoding, interest_window
from ranking.services.interest_check import InterestReport, check_interests
from tests.factories import PaperFactory, TopicFactory

pytestmark = pytest.mark.django_db

# Eleven themes of four papers; eight are machine learning, so "learning" is in most papers
# (the term index drops it: max_df) and each theme's own phrases are in a few.
THEMES = {
    "retrieval": (
        "Dense retrieval for open-domain question answering",
        "We train a dense retrieval model with contrastive learning over query and passage "
        "pairs; the dual encoder beats BM25 on passage ranking benchmarks.",
    ),
    "graphs": (
        "Graph neural networks for molecular property prediction",
        "Message passing graph neural networks learn molecular representations; learning on "
        "atoms and bonds predicts solubility and toxicity of drug candidates.",
    ),
    "robots": (
        "Reinforcement learning for robotic grasping",
        "A robot arm learns grasping policies with reinforcement learning in simulation and "
        "transfers them to real objects with domain randomisation.",
    ),
    "diffusion": (
        "Diffusion models for image generation",
        "Denoising diffusion models generate images; learning the score of noisy images lets "
        "a sampler produce photorealistic pictures from text prompts.",
    ),
    "privacy": (
        "Differentially private federated learning",
        "Hospitals train a shared classifier by federated learning; differential privacy "
        "noise on the gradients bounds what leaks about any one patient.",
    ),
    "speech": (
        "Self-supervised learning for speech recognition",
        "Representations learned from unlabelled audio by self-supervised learning cut the "
        "word error rate of automatic speech recognition in low-resource languages.",
    ),
    "translation": (
        "Low-resource machine translation with multilingual pretraining",
        "Multilingual pretraining and back-translation improve machine translation between "
        "languages with little parallel text; learning shared subword vocabularies helps.",
    ),
    "traffic": (
        "Forecasting city traffic with spatio-temporal learning",
        "Sensors on urban roads feed a spatio-temporal model; learning daily rhythms of "
        "congestion forecasts traffic speed an hour ahead.",
    ),
    "graphene": (
        "Superconductivity in twisted bilayer graphene",
        "Transport measurements of twisted bilayer graphene near the magic angle show "
        "superconducting domes beside correlated insulating states at low temperature.",
    ),
    "blackholes": (
        "Gravitational waves from merging black holes",
        "Interferometer signals of binary black hole mergers constrain the spins and masses "
        "of the black holes and test general relativity in the strong-field regime.",
    ),
    "primes": (
        "Gaps between consecutive prime numbers",
        "We bound the gaps between consecutive primes with sieve methods and an estimate of "
        "exponential sums over the primes in short intervals.",
    ),
}


_serial = count()


@pytest.fixture(autouse=True)
def _floor(settings) -> None:
    # The check counts in the nightly floor's units; pinned so a change of its default does
    # not move these small catalogues' results (a test below moves it on purpose).
    settings.RANKING_SCORE_FLOOR = 2.0


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    # Primary keys and the encoder differ per test: nothing cached may outlive one.
    interest_window.clear()
    yield
    interest_window.clear()
    encoding._cache.clear()


def make_theme(name: str, count: int = 4, **fields: object) -> list[Paper]:
    title, abstract = THEMES[name]
    return [
        PaperFactory(title=f"{title} ({n})", abstract=f"{abstract} Variant {n}.", **fields)
        for n in islice(_serial, count)
    ]


@pytest.fixture
def catalogue() -> dict[str, list[Paper]]:
    return {name: make_theme(name) for name in THEMES}


def one(reports: list[InterestReport]) -> InterestReport:
    assert len(reports) == 1
    return reports[0]


def test_a_narrow_interest_matches_its_papers_with_them_as_examples(catalogue) -> None:
    report = one(check_interests(["dense retrieval"]))
    assert (report.kind, report.verdict, report.advice, report.days) == ("keyword", "ok", "", 7)
    assert 1 <= report.matched <= 4
    assert 1 <= len(report.examples) <= 3
    assert {p.pk for p in report.examples} <= {p.pk for p in catalogue["retrieval"]}


def test_the_match_threshold_follows_the_nightly_floor(catalogue, settings) -> None:
    settings.RANKING_SCORE_FLOOR = 9.0
    report = one(check_interests(["dense retrieval"]))
    assert (report.matched, report.verdict) == (0, "none")


def test_a_word_in_most_papers_is_broad_and_the_advice_names_a_real_phrase(catalogue) -> None:
    report = one(check_interests(["learning"]))
    assert report.verdict == "broad"
    assert report.matched == 0  # the ranking ignores an interest of only such words
    phrase = report.advice.split("such as “")[1].split("”")[0]
    assert "learning" in phrase.split()
    texts = [f"{p.title}. {p.abstract}".lower() for p in Paper.objects.all()]
    assert sum(phrase in t for t in texts) >= 2


def test_a_made_up_word_matches_nothing_and_says_so(catalogue) -> None:
    report = one(check_interests(["xyzzyplugh"]))
    assert (report.verdict, report.matched, report.examples) == ("none", 0, [])
    assert "Nothing in the last 7 days matched “xyzzyplugh”" in report.advice


def test_a_topic_is_checked_by_its_name_and_keywords(catalogue) -> None:
    topic = TopicFactory(name="Molecules", keywords=["graph neural networks"], categories=[])
    report = one(check_interests([], topics=[topic]))
    assert (report.kind, report.text, report.verdict) == ("topic", "Molecules", "ok")
    assert {p.pk for p in report.examples} <= {p.pk for p in catalogue["graphs"]}


def test_a_category_counts_the_papers_listed_in_it(catalogue) -> None:
    physics = make_theme("graphene", 2, categories=["cond-mat.supr-con"])
    reports = check_interests([], categories=["cond-mat.supr-con", "cs.XX"])
    assert [(r.kind, r.matched, r.verdict) for r in reports] == [
        ("category", 2, "ok"),
        ("category", 0, "none"),
    ]
    assert {p.pk for p in reports[0].examples} == {p.pk for p in physics}
    assert "check the code" in reports[1].advice


def test_a_category_holding_most_papers_is_broad(catalogue) -> None:
    report = one(check_interests([], categories=["cs.LG"]))  # the factory's category: all 44
    assert (report.matched, report.verdict) == (44, "broad")
    assert "add keywords to pick within it" in report.advice


def test_an_author_matches_under_any_spelling_of_the_name(catalogue) -> None:
    make_theme("robots", 1, authors=["Grace Brewster Hopper"])
    reports = check_interests([], authors=["Hopper, Grace", "Nobody Atall"])
    assert [(r.kind, r.matched, r.verdict) for r in reports] == [
        ("author", 1, "ok"),
        ("author", 0, "none"),
    ]


def test_a_seed_paper_is_known_or_not_yet(catalogue) -> None:
    title, abstract = THEMES["graphs"]
    PaperFactory(canonical_id="2401.01234", title=title, abstract=abstract)
    reports = check_interests([], seed_papers=["arXiv:2401.01234v2", "2402.99999", "not an id"])
    assert [r.kind for r in reports] == ["paper"] * 3
    assert reports[0].verdict == "ok"
    assert reports[0].matched >= 1
    assert "2401.01234" not in {p.canonical_id for p in reports[0].examples}
    assert reports[1].verdict == "none"
    assert reports[1].advice == "2402.99999 is not in the catalogue yet: it is used once ingested."
    assert "not an arXiv id" in reports[2].advice


def test_papers_older_than_the_window_do_not_count(catalogue) -> None:
    Paper.objects.filter(pk__in=[p.pk for p in catalogue["retrieval"]]).update(
        first_seen=timezone.now() - timedelta(days=30)
    )
    week = one(check_interests(["dense retrieval"]))
    month = one(check_interests(["dense retrieval"], days=31))
    assert week.verdict == "none"
    assert (month.verdict, len(month.examples)) == ("ok", 3)


def test_a_new_paper_is_picked_up_once_the_window_is_rechecked(
    catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interest_window, "RECHECK_SECONDS", 0.0)
    assert one(check_interests([], authors=["Barbara Liskov"])).matched == 0
    PaperFactory(authors=["Barbara Liskov"])
    assert one(check_interests([], authors=["Barbara Liskov"])).matched == 1


def test_an_empty_catalogue_gives_a_plain_answer_not_an_error() -> None:
    reports = check_interests(["dense retrieval"], categories=["cs.IR"])
    assert [(r.matched, r.verdict) for r in reports] == [(0, "none"), (0, "none")]
    assert "no papers in the catalogue yet" in reports[0].advice


def test_no_interests_give_no_reports(catalogue) -> None:
    assert check_interests(["", "  "]) == []


def test_a_missing_sentence_model_gives_unchecked_reports(
    catalogue, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = MiniLMEncoder(model_file=tmp_path / "missing.onnx")
    monkeypatch.setattr(encoding, "sentence_encoder", lambda: missing)
    encoding._cache.clear()
    report = one(check_interests(["dense retrieval"]))
    assert (report.verdict, report.matched) == ("unchecked", 0)
    assert "unavailable" in report.advice


def test_the_partial_shows_counts_links_and_warnings(catalogue) -> None:
    reports = check_interests(["dense retrieval", "learning"])
    html = render_to_string("subscriptions/_interest_check.html", {"interest_reports": reports})
    assert 'role="status"' in html
    assert f"{reports[0].matched} papers in the last 7 days" in html
    assert f'href="/papers/{reports[0].examples[0].canonical_id}/"' in html
    assert "Too broad:" in html
    assert render_to_string("subscriptions/_interest_check.html", {}).strip() == ""
