"""Subject categories (arXiv's cs.CV, q-bio.GN...) learnt beside the text of interest papers."""

from __future__ import annotations

import json
import random
import struct
from dataclasses import replace
from functools import cache

import numpy as np

from ranking.core import (
    Paper,
    PaperSpace,
    Profile,
    ProfileFitter,
    RankSettings,
    encode_papers,
    rank,
)
from ranking.core.explain import Explainer
from ranking.core.model import FitSettings, default_fit_settings
from ranking.core.subscriber import MAGIC, InterestModel, SubscriberModel
from tests.ranking.corekit import SUBJECTS, light_world, make_paper

FULL = RankSettings(score_floor=-99.0, trending_weight=0.0)
# Gene papers come in two categories whose text is drawn from the same words: only the category
# tells them apart.
CATEGORY = {"astro": ("astro-ph",), "deep": ("cs.LG",)}


def papers(n: int, prefix: str, seed: int) -> list[Paper]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        for s in SUBJECTS:
            cats = CATEGORY.get(s) or (("q-bio.GN",) if i % 2 else ("q-bio.BM",))
            out.append(make_paper(f"{prefix}-{s}-{i}", s, rng, categories=cats))
    return out


@cache
def catalogue() -> tuple[PaperSpace, list[Paper]]:
    encoder, _, _ = light_world()
    past = papers(60, "old", seed=3)
    return encode_papers(past, encoder, encoder.words), past


def fitter(settings: FitSettings | None = None) -> ProfileFitter:
    encoder, _, _ = light_world()
    return ProfileFitter(catalogue()[0], encoder, encoder.words, settings)


def tonight() -> PaperSpace:
    encoder, _, _ = light_world()
    return encode_papers(papers(20, "new", seed=4), encoder, encoder.words)


def liked_genomics() -> Profile:
    # Gene papers of q-bio.GN only (odd numbers).
    return Profile(id="u", liked_ids=tuple(f"old-genes-{i}" for i in range(1, 40, 2)))


def in_genomics(pid: str, space: PaperSpace) -> bool:
    return "q-bio.GN" in space.categories[space.index[pid]]


def test_an_interest_learns_the_categories_of_its_papers() -> None:
    weights = fitter().fit(liked_genomics()).interests[0].category_weights
    assert weights["q-bio.GN"] > 0
    assert weights["q-bio.GN"] > weights.get("q-bio.BM", 0.0)
    assert weights["q-bio.GN"] > weights.get("astro-ph", 0.0)


def test_papers_in_the_liked_category_rank_above_their_text_twins() -> None:
    space = tonight()
    top = rank(fitter().fit(liked_genomics()), space, FULL).recommendations[:10]
    assert sum(in_genomics(r.paper_id, space) for r in top) >= 8
    # Text only: the two gene categories are mixed.
    text_only = fitter(replace(default_fit_settings(light_world()[0]), category_scale=0.0))
    model = text_only.fit(liked_genomics())
    assert model.interests[0].category_weights == {}
    top = rank(model, space, FULL).recommendations[:10]
    assert all(r.paper_id.split("-")[1] == "genes" for r in top)
    assert sum(in_genomics(r.paper_id, space) for r in top) <= 6


def test_a_keyword_interest_learns_categories_from_its_feedback_papers() -> None:
    interest = fitter().fit(Profile(id="u", keywords=("telescope galaxy",))).interests[0]
    assert interest.kind == "keywords"
    assert max(interest.category_weights, key=interest.category_weights.__getitem__) == "astro-ph"


def test_a_catalogue_without_categories_gives_text_only_models() -> None:
    encoder, plain, _ = light_world()
    model = ProfileFitter(plain, encoder, encoder.words).fit(
        Profile(id="u", liked_ids=("old-genes-1", "old-genes-2"))
    )
    assert model.interests[0].category_weights == {}


def test_categories_unknown_tonight_are_ignored() -> None:
    encoder, _, _ = light_world()
    rng = random.Random(5)
    new = [make_paper(f"n-genes-{i}", "genes", rng, categories=("q-bio.XX",)) for i in range(8)]
    res = rank(fitter().fit(liked_genomics()), encode_papers(new, encoder, encoder.words), FULL)
    assert len(res.recommendations) == 8


def test_category_weights_survive_storage_and_older_models_still_load() -> None:
    model = fitter().fit(liked_genomics())
    again = SubscriberModel.from_bytes(model.to_bytes())
    assert again == model
    assert again.interests[0].category_weights == model.interests[0].category_weights
    # A model stored before categories were learnt has no such key: it loads as text only.
    data = model.to_bytes()
    (n,) = struct.unpack_from("<I", data, 4)
    meta = json.loads(data[8 : 8 + n])
    for h in meta["interests"]:
        del h["category_weights"]
    head = json.dumps(meta).encode()
    old = SubscriberModel.from_bytes(MAGIC + struct.pack("<I", len(head)) + head + data[8 + n :])
    assert old.interests[0].category_weights == {}
    assert rank(old, tonight(), FULL).recommendations


def test_the_explanation_names_a_learnt_category_when_nothing_more_specific_matched() -> None:
    space = tonight()
    j = next(i for i, pid in enumerate(space.ids) if in_genomics(pid, space))
    bare = InterestModel(
        name="liked papers",
        kind="liked",
        weights=np.zeros(space.vectors.shape[1], np.float32),
        category_weights={"q-bio.GN": 0.8, "q-bio.BM": -0.5},
    )
    model = SubscriberModel(profile_id="u", fingerprint=space.fingerprint, interests=[bare])
    assert Explainer(space).explain(model, bare, j) == "Like papers you liked; in q-bio.GN"
    # Words or a liked paper say more: then the category is not repeated.
    fitted = fitter().fit(liked_genomics())
    assert "; in " not in Explainer(space).explain(fitted, fitted.interests[0], j)
