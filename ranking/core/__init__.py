"""The ranking core: pure Python + NumPy/scikit-learn, no Django, shared by the nightly task, the
admin preview and the offline CLI (`python -m ranking.offline`). See docs/ranking.md."""

from ranking.core.configs import CONFIGS, DEFAULT_CONFIG, build_encoder
from ranking.core.encoders import (
    ConcatEncoder,
    Encoder,
    EncoderUnavailable,
    LsaEncoder,
    TermIndex,
)
from ranking.core.minilm import MiniLMEncoder
from ranking.core.model import FitSettings, ProfileFitter, fit_profile_model
from ranking.core.rank import RankedChunk, RankResult, StaleModel, rank, rank_chunks, rank_many
from ranking.core.space import PaperSpace, encode_papers
from ranking.core.subscriber import InterestModel, SubscriberModel, load_models
from ranking.core.types import Paper, Profile, RankSettings, Recommendation, Topic

__all__ = [
    "CONFIGS",
    "DEFAULT_CONFIG",
    "ConcatEncoder",
    "Encoder",
    "EncoderUnavailable",
    "FitSettings",
    "InterestModel",
    "LsaEncoder",
    "MiniLMEncoder",
    "Paper",
    "PaperSpace",
    "Profile",
    "ProfileFitter",
    "RankResult",
    "RankSettings",
    "RankedChunk",
    "Recommendation",
    "StaleModel",
    "SubscriberModel",
    "TermIndex",
    "Topic",
    "build_encoder",
    "encode_papers",
    "fit_profile_model",
    "load_models",
    "rank",
    "rank_chunks",
    "rank_many",
]
