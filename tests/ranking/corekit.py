"""A small synthetic catalogue for the ranking-core tests: three subjects, seeded, no files."""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

from ranking.core import LsaEncoder, Paper, PaperSpace, ProfileFitter, encode_papers

SUBJECTS = {
    "astro": "galaxy galaxies telescope redshift supernova cosmic stellar dark matter "
    "quasar spectra luminosity halo cluster survey",
    "genes": "gene genome protein expression sequencing cell mutation dna rna "
    "transcription chromatin enzyme tumor pathway",
    "deep": "neural network training transformer gradient convolutional attention "
    "embedding layer dataset benchmark optimizer segmentation",
}


def make_paper(pid: str, subject: str, rng: random.Random, **extra: object) -> Paper:
    words = SUBJECTS[subject].split()
    title = " ".join(rng.sample(words, 5)).capitalize()
    # Subject words plus shared everyday words, so that papers of a subject differ from each other.
    general = [
        f"{a}{b}"
        for a in ("pro", "con", "re", "de", "in")
        for b in ("sult", "tain", "cess", "sign", "form", "port", "vide", "duce")
    ]
    abstract = " ".join([*(rng.choice(words) for _ in range(15)), *rng.sample(general, 12)])
    return Paper(id=pid, title=title, abstract=abstract, **extra)  # type: ignore[arg-type]


def corpus(n_per_subject: int, prefix: str, seed: int) -> list[Paper]:
    rng = random.Random(seed)
    return [make_paper(f"{prefix}-{s}-{i}", s, rng) for i in range(n_per_subject) for s in SUBJECTS]


@cache
def light_world() -> tuple[LsaEncoder, PaperSpace, list[Paper]]:
    """Encoder fitted on a 150-paper catalogue, plus that catalogue encoded."""
    past = corpus(50, "old", seed=1)
    encoder = LsaEncoder(components=32).fit([p.text for p in past])
    return encoder, encode_papers(past, encoder, encoder.words), past


def fitter() -> ProfileFitter:
    encoder, catalogue, _ = light_world()
    return ProfileFitter(catalogue, encoder, encoder.words)


def tonight(papers: Sequence[Paper]) -> PaperSpace:
    encoder, _, _ = light_world()
    return encode_papers(papers, encoder, encoder.words)


def subject_of(paper_id: str) -> str:
    return paper_id.split("-")[1]
