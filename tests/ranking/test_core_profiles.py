"""Bad and unusual profiles: each gets a clear outcome, never random papers."""

from __future__ import annotations

import random

import pytest

from ranking.core import (
    LsaEncoder,
    Profile,
    ProfileFitter,
    RankSettings,
    StaleModel,
    Topic,
    encode_papers,
    rank,
)
from ranking.core.model import NO_INTERESTS, NOTHING_KNOWN
from tests.ranking.corekit import corpus, fitter, light_world, make_paper, subject_of, tonight

FULL = RankSettings(score_floor=-99.0, trending_weight=0.0)


def test_a_profile_with_no_interests_gets_no_ranking_and_the_reason() -> None:
    model = fitter().fit(Profile(id="u", keywords=("  ",), negative_keywords=("tumor",)))
    assert not model.can_rank
    assert model.reason == NO_INTERESTS
    res = rank(model, tonight(corpus(5, "new", seed=2)), FULL)
    assert res.recommendations == []
    assert res.reason == NO_INTERESTS


def test_liked_papers_unknown_to_the_catalogue_are_skipped_and_counted() -> None:
    profile = Profile(id="u", liked_ids=("old-genes-1", "nope-1", "nope-2"), disliked_ids=("x",))
    model = fitter().fit(profile)
    assert model.unknown_papers == 3
    res = rank(model, tonight(corpus(5, "new", seed=2)), FULL)
    assert subject_of(res.recommendations[0].paper_id) == "genes"


def test_a_profile_whose_papers_are_all_unknown_gets_a_reason() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=("nope-1", "nope-2")))
    assert model.unknown_papers == 2
    assert not model.can_rank
    assert model.reason == NOTHING_KNOWN


def test_keywords_that_match_nothing_give_no_random_papers() -> None:
    model = fitter().fit(Profile(id="u", keywords=("zzyzx qwxq",)))
    assert not model.can_rank
    assert model.unmatched == ["zzyzx qwxq"]
    assert rank(model, tonight(corpus(5, "new", seed=2)), FULL).recommendations == []


def test_an_unmatched_topic_is_reported_and_the_others_still_rank() -> None:
    profile = Profile(
        id="u", topics=(Topic("Qwxq", keywords=("zzyzx",)), Topic("Cells", keywords=("genome",)))
    )
    model = fitter().fit(profile)
    assert model.unmatched == ["Qwxq"]
    assert [m.name for m in model.interests] == ["Cells"]


def test_a_profile_with_2000_liked_papers_learns_from_the_latest() -> None:
    rng = random.Random(4)
    past = [make_paper(f"big-genes-{i}", "genes", rng) for i in range(2000)]
    past += [make_paper(f"big-astro-{i}", "astro", rng) for i in range(200)]
    encoder = LsaEncoder(components=32).fit([p.text for p in past])
    catalogue = encode_papers(past, encoder, encoder.words)
    profile = Profile(id="u", liked_ids=tuple(p.id for p in past[:2000]))
    model = ProfileFitter(catalogue, encoder, encoder.words).fit(profile)
    assert model.can_rank
    assert len(model.interests[0].exemplar_ids) == 20
    cands = encode_papers(corpus(5, "new", seed=2), encoder, encoder.words)
    assert subject_of(rank(model, cands, FULL).recommendations[0].paper_id) == "genes"


def test_a_category_only_profile_is_a_cold_start_not_an_error() -> None:
    _, _, past = light_world()
    cats = [("astro-ph",) if p.id.startswith("old-astro") else ("q-bio",) for p in past]
    encoder = LsaEncoder(components=32).fit([p.text for p in past])
    tagged = [
        p.__class__(**{**p.__dict__, "categories": c}) for p, c in zip(past, cats, strict=True)
    ]
    cat_space = encode_papers(tagged, encoder, encoder.words)
    model = ProfileFitter(cat_space, encoder, encoder.words).fit(
        Profile(id="u", categories=("astro-ph",))
    )
    cands = encode_papers(corpus(5, "new", seed=2), encoder, encoder.words)
    res = rank(model, cands, FULL)
    assert [subject_of(r.paper_id) for r in res.recommendations[:5]] == ["astro"] * 5


def test_a_model_fitted_for_another_encoder_is_refused() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=("old-genes-1",)))
    other = LsaEncoder(components=16).fit([p.text for p in corpus(20, "x", seed=8)])
    cands = encode_papers(corpus(3, "new", seed=2), other, other.words)
    with pytest.raises(StaleModel, match="refit"):
        rank(model, cands, FULL)
