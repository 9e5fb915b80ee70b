"""Plain data the ranking core works on: profiles in, recommendations out. No Django."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Trending signal (Hugging Face upvotes, likes by other subscribers); 0 where there is none.
    trending: int = 0

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(frozen=True)
class Topic:
    """A named interest: a curated topic, or a subscriber's own keyword group."""

    name: str
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    seed_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Everything `subscriptions/` records about what one subscriber wants."""

    id: str
    keywords: tuple[str, ...] = ()
    negative_keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    liked_ids: tuple[str, ...] = ()
    disliked_ids: tuple[str, ...] = ()
    seed_ids: tuple[str, ...] = ()
    # Papers already mailed: never recommended again.
    sent_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_interests(self) -> bool:
        return bool(
            any(k.strip() for k in self.keywords)
            or self.categories
            or any(a.strip() for a in self.authors)
            or self.topics
            or self.liked_ids
            or self.seed_ids
        )


@dataclass(frozen=True)
class Recommendation:
    paper_id: str
    score: float
    explanation: str
    interest: str


@dataclass
class RankSettings:
    top: int = 20
    # Calibrated score (standard deviations above this subscriber's typical catalogue paper)
    # below which a paper is not sent: a thin day gives a short digest, not padding.
    score_floor: float = 2.0
    # Weight of log1p(trending count), scaled to the day's maximum, added to the score.
    trending_weight: float = 0.3
    # Cosine similarity above which two recommended papers count as the same work.
    duplicate_similarity: float = 0.95
    # Share of the digest reserved for each interest before the rest is filled by score.
    interest_share: float = 0.6
    # Pseudo-relevance feedback over tonight's papers: how many top papers, and how much.
    feedback_papers: int = 10
    feedback_weight: float = 1.0
    # Only papers at least this good (calibrated score) take part in that feedback.
    feedback_min_score: float = 2.0
    chunk_rows: int = 4096
