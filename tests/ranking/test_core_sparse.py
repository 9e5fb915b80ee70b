"""The exact-word (sparse tf-idf logistic regression) part of a liked-paper interest."""

from __future__ import annotations

import random

import numpy as np

from ranking.core import (
    ConcatEncoder,
    LsaEncoder,
    Paper,
    Profile,
    ProfileFitter,
    RankSettings,
    encode_papers,
    rank,
)
from ranking.core.model import FitSettings, default_fit_settings
from tests.ranking.corekit import corpus, fitter, light_world, make_paper, subject_of, tonight

FULL = RankSettings(score_floor=-99.0, trending_weight=0.0)
GENES = tuple(f"old-genes-{i}" for i in range(25))


def test_the_light_configuration_learns_words_from_liked_papers() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=GENES))
    liked = model.interests[0]
    assert liked.kind == "liked"
    assert liked.term_scale > 0
    assert 0 < len(liked.term_ids) <= FitSettings().sparse_terms
    assert (liked.term_weights > 0).all()
    encoder, _, _ = light_world()
    words = {str(encoder.words.terms[k]) for k in liked.term_ids}
    assert words & {"gene", "genome", "protein", "dna", "rna"}
    res = rank(model, tonight(corpus(5, "new", seed=2)), FULL)
    assert [subject_of(r.paper_id) for r in res.recommendations[:5]] == ["genes"] * 5


def test_its_weight_grows_with_the_number_of_liked_papers() -> None:
    few = fitter().fit(Profile(id="u", liked_ids=GENES[:2])).interests[0]
    many = fitter().fit(Profile(id="u", liked_ids=GENES)).interests[0]
    # Calibrated exact-word share of the score: 2/20 of the full weight vs. all of it.
    assert 0 < few.term_scale < many.term_scale


def test_keyword_interests_do_not_use_it() -> None:
    model = fitter().fit(Profile(id="u", keywords=("genome",)))
    assert model.interests[0].kind == "keywords"
    assert model.interests[0].term_scale == 0


def test_it_is_off_beside_a_sentence_encoder() -> None:
    encoder, _, _ = light_world()
    assert default_fit_settings(encoder).sparse_weight > 0
    assert default_fit_settings(ConcatEncoder([(encoder, 1.0)])).sparse_weight == 0
    assert FitSettings().sparse_weight == 0


def test_liked_papers_with_empty_or_non_english_text_still_fit() -> None:
    rng = random.Random(3)
    odd = [
        Paper(id="empty", title=""),
        Paper(id="jp", title="遺伝子発現の解析", abstract="ゲノム配列とタンパク質"),
        Paper(id="ru", title="Анализ экспрессии генов", abstract="геном белок клетка"),
    ]
    past = corpus(30, "old", seed=1) + odd + [make_paper("x-genes", "genes", rng)]
    encoder = LsaEncoder(components=16).fit([p.text for p in past])
    catalogue = encode_papers(past, encoder, encoder.words)
    f = ProfileFitter(catalogue, encoder, encoder.words)
    only_odd = f.fit(Profile(id="u", liked_ids=("empty", "jp", "ru")))
    assert only_odd.can_rank
    assert np.isfinite(only_odd.interests[0].weights).all()
    assert np.isfinite([only_odd.interests[0].mu, only_odd.interests[0].sigma]).all()
    mixed = f.fit(Profile(id="u", liked_ids=("empty", "jp", "x-genes", "old-genes-1")))
    res = rank(mixed, encode_papers(corpus(4, "new", seed=2), encoder, encoder.words), FULL)
    assert subject_of(res.recommendations[0].paper_id) == "genes"


def test_the_model_with_its_words_survives_storage() -> None:
    from ranking.core import SubscriberModel

    model = fitter().fit(Profile(id="u", liked_ids=GENES))
    assert SubscriberModel.from_bytes(model.to_bytes()).interests == model.interests


def test_it_fits_a_finite_model_when_every_catalogue_paper_is_liked() -> None:
    # A new site's first subscriber can like the whole (tiny) catalogue: no background papers.
    encoder, catalogue, past = light_world()
    everything = tuple(p.id for p in past)
    model = ProfileFitter(catalogue, encoder, encoder.words).fit(
        Profile(id="all", liked_ids=everything)
    )
    assert all(np.isfinite(i.mu) and np.isfinite(i.sigma) for i in model.interests)
