from __future__ import annotations

import random
from dataclasses import replace

from ranking.core import Paper, Profile, RankSettings, SubscriberModel, Topic, rank, rank_many
from tests.ranking.corekit import corpus, fitter, light_world, make_paper, subject_of, tonight

FULL = RankSettings(score_floor=-99.0, trending_weight=0.0)


def liked(subject: str, n: int = 5) -> tuple[str, ...]:
    return tuple(f"old-{subject}-{i}" for i in range(n))


def test_it_ranks_papers_like_the_liked_ones_first() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes")))
    res = rank(model, tonight(corpus(10, "new", seed=2)), FULL)
    top = [subject_of(r.paper_id) for r in res.recommendations[:10]]
    assert top == ["genes"] * 10


def test_it_ranks_a_keyword_only_profile_by_its_words() -> None:
    model = fitter().fit(Profile(id="u", keywords=("telescope redshift",)))
    res = rank(model, tonight(corpus(10, "new", seed=2)), FULL)
    assert [subject_of(r.paper_id) for r in res.recommendations[:8]] == ["astro"] * 8
    assert res.recommendations[0].interest == "telescope redshift"


def test_it_never_returns_papers_already_sent_disliked_or_liked() -> None:
    cands = corpus(10, "new", seed=2)
    sent = [p.id for p in cands if p.id.startswith("new-genes")][:3]
    disliked = [p.id for p in cands if p.id.startswith("new-genes")][3:5]
    profile = Profile(
        id="u", liked_ids=(*liked("genes"), cands[1].id), disliked_ids=tuple(disliked)
    )
    model = fitter().fit(profile)
    res = rank(model, tonight(cands), FULL, exclude=sent)
    got = {r.paper_id for r in res.recommendations}
    assert got
    assert not got & {*sent, *disliked, cands[1].id}


def test_a_score_floor_gives_a_short_digest_not_padding() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=liked("deep")))
    cands = [*corpus(10, "new", seed=2)]
    res = rank(model, tonight(cands), RankSettings(score_floor=1.0, trending_weight=0.0))
    assert 0 < len(res.recommendations) <= 10
    assert {subject_of(r.paper_id) for r in res.recommendations} == {"deep"}
    nothing = rank(model, tonight(corpus(5, "new", seed=3)[:1]), RankSettings(score_floor=50.0))
    assert nothing.recommendations == []
    assert "floor" in nothing.reason


def test_near_duplicates_collapse_to_one() -> None:
    rng = random.Random(5)
    paper = make_paper("new-genes-0", "genes", rng)
    twin = replace(paper, id="new-genes-twin", title=paper.title + ".")
    cands = [paper, twin, *corpus(5, "new", seed=9)[3:]]
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes")))
    ids = [r.paper_id for r in rank(model, tonight(cands), FULL).recommendations]
    assert len({"new-genes-0", "new-genes-twin"} & set(ids)) == 1


def test_each_interest_gets_its_share_of_the_digest() -> None:
    profile = Profile(
        id="u",
        liked_ids=liked("genes", 20),
        topics=(Topic("Galaxies", keywords=("supernova", "quasar")),),
    )
    model = fitter().fit(profile)
    res = rank(model, tonight(corpus(15, "new", seed=2)), replace(FULL, top=10))
    interests = {r.interest for r in res.recommendations}
    assert interests == {"papers you liked", "Galaxies"}
    assert {subject_of(r.paper_id) for r in res.recommendations if r.interest == "Galaxies"} == {
        "astro"
    }


def test_the_trending_prior_lifts_trending_papers_and_says_so() -> None:
    cands = corpus(6, "new", seed=2)
    last_genes = [p for p in cands if p.id.startswith("new-genes")][-1]
    cands = [replace(p, trending=500) if p.id == last_genes.id else p for p in cands]
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes")))
    res = rank(model, tonight(cands), RankSettings(score_floor=-99.0, trending_weight=20.0))
    assert res.recommendations[0].paper_id == last_genes.id
    assert "trending: 500 upvotes" in res.recommendations[0].explanation


def test_negative_keywords_remove_matching_papers() -> None:
    cands = corpus(6, "new", seed=2)
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes"), negative_keywords=("tumor",)))
    for r in rank(model, tonight(cands), FULL).recommendations:
        paper = next(p for p in cands if p.id == r.paper_id)
        assert "tumor" not in paper.text.lower()


def test_followed_authors_rank_first_and_are_named() -> None:
    cands = corpus(5, "new", seed=2)
    cands[0] = replace(cands[0], authors=("Ada Lovelace",))
    model = fitter().fit(Profile(id="u", keywords=("gene expression",), authors=("Lovelace, Ada",)))
    res = rank(model, tonight(cands), FULL)
    assert res.recommendations[0].paper_id == cands[0].id
    assert "by A Lovelace, an author you follow" in res.recommendations[0].explanation


def test_every_recommendation_explains_itself() -> None:
    _, _, past = light_world()
    model = fitter().fit(Profile(id="u", liked_ids=liked("astro")))
    res = rank(model, tonight(corpus(5, "new", seed=2)), FULL, catalogue=fitter().catalogue)
    titles = {p.title[:30] for p in past}
    for r in res.recommendations[:5]:
        assert r.explanation.startswith("Like “")
        assert ", a paper you liked" in r.explanation
        assert any(t in r.explanation for t in titles)
        assert len(r.explanation) < 200


def test_an_empty_candidate_set_gives_no_ranking_and_a_reason() -> None:
    model = fitter().fit(Profile(id="u", liked_ids=liked("genes")))
    res = rank(model, tonight([]), FULL)
    assert res.recommendations == []
    assert res.reason == "no new papers tonight"


def test_rank_many_matches_rank_one_by_one_and_keeps_order() -> None:
    f = fitter()
    models = [f.fit(Profile(id=s, liked_ids=liked(s))) for s in ("genes", "astro", "deep")]
    models.insert(1, f.fit(Profile(id="empty")))
    space = tonight(corpus(8, "new", seed=2))
    many = list(rank_many(models, space, replace(FULL, chunk_rows=2)))
    assert [r.profile_id for r in many] == ["genes", "empty", "astro", "deep"]
    for m, r in zip(models, many, strict=True):
        assert r.recommendations == rank(m, space, FULL).recommendations


def test_a_stored_model_ranks_exactly_like_the_fresh_one() -> None:
    profile = Profile(
        id="u",
        liked_ids=liked("genes"),
        topics=(Topic("Stars", keywords=("supernova",)),),
        categories=("q-bio.GN",),
        authors=("Ada Lovelace",),
        negative_keywords=("tumor",),
    )
    model = fitter().fit(profile)
    stored = SubscriberModel.from_bytes(model.to_bytes())
    space = tonight(corpus(8, "new", seed=2))
    assert rank(stored, space, FULL) == rank(model, space, FULL)


def test_non_english_papers_rank_without_error_and_by_their_words() -> None:
    de = Paper("de-1", "Quantenverschränkung in supraleitenden Schaltkreisen", "Verschränkung " * 5)
    zh = Paper("zh-1", "基于深度学习的图像分割方法", "卷积神经网络 图像 分割")
    cands = [*corpus(3, "new", seed=2), de, zh]
    model = fitter().fit(Profile(id="u", liked_ids=liked("deep")))
    res = rank(model, tonight(cands), FULL)
    assert {r.paper_id for r in res.recommendations} >= {"de-1", "zh-1"} or len(
        res.recommendations
    ) == len(cands)
