"""The chunk path of the nightly ranking (`rank_chunks`, `load_models`): whole chunks scored,
picked and explained with array operations, checked against plain per-row rules."""

from __future__ import annotations

import gc
from dataclasses import replace

import numpy as np
import pytest

from ranking.core import (
    LsaEncoder,
    Paper,
    Profile,
    ProfileFitter,
    RankSettings,
    SubscriberModel,
    Topic,
    encode_papers,
    load_models,
    rank,
    rank_chunks,
    rank_many,
)
from ranking.core.explain import Explainer
from ranking.core.pick import pick
from tests.ranking.corekit import corpus, fitter, light_world, tonight

FULL = RankSettings(score_floor=-99.0, trending_weight=0.0)


def liked(subject: str, n: int = 5) -> tuple[str, ...]:
    return tuple(f"old-{subject}-{i}" for i in range(n))


def some_models() -> list[SubscriberModel]:
    f = fitter()
    return [
        f.fit(Profile(id="genes", liked_ids=liked("genes"))),
        f.fit(Profile(id="empty")),
        f.fit(
            Profile(
                id="mixed",
                liked_ids=liked("astro"),
                topics=(Topic("Deep", keywords=("transformer", "attention")),),
                categories=("q-bio.GN",),
                authors=("Ada Lovelace",),
            )
        ),
        f.fit(Profile(id="words", keywords=("gene expression", "protein"))),
    ]


def test_rows_are_the_results_as_columns_ranked_from_one() -> None:
    _, catalogue, _ = light_world()
    space = tonight(corpus(8, "new", seed=2))
    models = some_models()
    chunks = list(rank_chunks(models, space, replace(FULL, chunk_rows=3), catalogue=catalogue))
    assert [len(c.profile_ids) for c in chunks] == [3, 1]
    rows = [row for c in chunks for row in c.rows()]
    results = list(rank_many(models, space, FULL, catalogue=catalogue))
    expected = [
        (res.profile_id, r.paper_id, k, r.score, r.explanation, r.interest)
        for res in results
        for k, r in enumerate(res.recommendations, 1)
    ]
    assert rows == expected
    assert chunks[0].reasons[1].startswith("no interests")


def test_a_chunk_gives_each_subscriber_what_it_gets_alone() -> None:
    _, catalogue, _ = light_world()
    space = tonight(corpus(8, "new", seed=2))
    models = some_models()
    together = list(rank_many(models, space, FULL, catalogue=catalogue))
    for m, r in zip(models, together, strict=True):
        assert r == rank(m, space, FULL, catalogue=catalogue)


def test_the_array_pick_matches_the_greedy_share_rule() -> None:
    """Random scores, 1-4 interests per subscriber: the array path against the greedy loop."""
    rng = np.random.default_rng(3)
    settings = RankSettings(top=7, score_floor=0.5, interest_share=0.6)
    scores = rng.normal(size=(200, 40)).astype(np.float32)
    n_interests = rng.integers(1, 5, size=200)
    best = (rng.random((200, 40)) * n_interests[:, None]).astype(np.int32)
    got = pick(scores, best, n_interests, {}, settings)
    for r in range(200):
        order = np.argsort(-scores[r], kind="stable")
        keep = [int(j) for j in order if scores[r, j] >= settings.score_floor]
        chosen: list[int] = []
        if n_interests[r] > 1:
            share = max(1, int(settings.top * settings.interest_share / n_interests[r]))
            for k in range(n_interests[r]):
                chosen += [j for j in keep if best[r, j] == k][:share]
        rest = [j for j in keep if j not in chosen]
        chosen += rest[: max(0, settings.top - len(chosen))]
        want = [j for j in keep if j in chosen]
        assert got.paper[got.sub == r].tolist() == want


def test_an_explanation_quotes_a_phrase_not_also_the_word_inside_it() -> None:
    papers = [
        Paper("p1", "Neural network pruning", "neural network neural network neural pruning"),
        *corpus(3, "new", seed=2),
    ]
    model = fitter().fit(Profile(id="u", keywords=("neural network", "neural", "pruning")))
    space = tonight(papers)
    explainer = Explainer(space)
    words = explainer.matched_term_ids(model.interests, np.array([0]), np.array([0]))[0]
    quoted = [str(space.vocabulary[k]) for k in words if k >= 0]
    assert quoted
    for a in quoted:
        assert not any(a != b and (a in b or b in a) for b in quoted)


def test_an_explanation_names_the_liked_paper_and_the_trending_count() -> None:
    _, catalogue, past = light_world()
    cands = [replace(p, trending=7) for p in corpus(4, "new", seed=2)]
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes")))
    res = rank(model, tonight(cands), FULL, catalogue=catalogue)
    titles = {p.title for p in past if p.id in liked("genes")}
    first = res.recommendations[0].explanation
    assert any(first.startswith(f"Like “{t}”, a paper you liked") for t in titles)
    assert first.endswith("; trending: 7 upvotes")


def test_an_explanation_says_a_typed_in_paper_was_chosen_not_liked() -> None:
    _, catalogue, _ = light_world()
    model = fitter().fit(Profile(id="u", seed_ids=liked("genes")))
    assert model.interests[0].name == "papers you chose"
    res = rank(model, tonight(corpus(4, "new", seed=2)), FULL, catalogue=catalogue)
    assert all(", a paper you chose" in r.explanation for r in res.recommendations)
    assert not any("liked" in r.explanation for r in res.recommendations)


def test_an_explanation_never_quotes_generic_words_or_phrases_nobody_wrote() -> None:
    text = (
        "A new method shows better performance for deep learning. We propose new methods. "
        "Reinforcement learning with dense retrieval improves existing results."
    )
    filler = [Paper(f"f{i}", f"Filler paper {i}", "unrelated words here") for i in range(4)]
    papers = [Paper("p1", text.split(". ")[0], text), Paper("p2", "Dense retrieval", text)]
    encoder = LsaEncoder(components=4).fit([p.text for p in papers + filler])
    catalogue = encode_papers(papers + filler, encoder, encoder.words)
    keywords = ("new methods", "performance", "learning", "reinforcement", "dense retrieval")
    model = ProfileFitter(catalogue, encoder, encoder.words).fit(Profile("u", keywords=keywords))
    space = encode_papers(papers[:1], encoder, encoder.words)
    why = Explainer(space).explain(model, model.interests[0], 0)
    assert why.startswith("For new methods, performance, learning, reinforcement, dense")
    quoted = why.split("; mentions ", 1)[1]
    assert "“dense retrieval”" in quoted
    for word in ("new", "methods", "performance", "learning reinforcement", "learning"):
        assert f"“{word}”" not in quoted


def test_load_models_reads_what_to_bytes_wrote_and_restores_the_collector() -> None:
    models = some_models()
    assert load_models([m.to_bytes() for m in models]) == models
    assert gc.isenabled()
    with pytest.raises(ValueError, match="not a stored subscriber model"):
        load_models([models[0].to_bytes(), b"garbage"])
    assert gc.isenabled()


def test_an_empty_chunk_and_an_empty_night_give_reasons_not_errors() -> None:
    models = some_models()
    assert list(rank_chunks([], tonight(corpus(2, "new", seed=2)), FULL)) == []
    (chunk,) = rank_chunks(models, tonight([]), FULL)
    assert list(chunk.rows()) == []
    assert chunk.reasons[0] == "no new papers tonight"


def test_it_explains_a_night_whose_words_never_contain_one_another() -> None:
    # The nightly benchmark's first real run failed here: with no word pair where one word
    # contains the other, the lookup indexed an empty array.
    _, catalogue, _ = light_world()
    space = tonight(corpus(8, "new", seed=2))
    explainer = Explainer(space, catalogue)
    explainer._clash = np.empty(0, np.int64)
    models = some_models()
    model = models[3]
    rows = len(space.ids)
    lines = explainer.explain_rows(
        [model], model.interests[:1] * rows, np.zeros(rows, int), np.zeros(rows, int), range(rows)
    )
    assert len(lines) == rows
    assert any("mentions" in line for line in lines)
