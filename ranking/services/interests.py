"""The interests each subscriber's stored model ranks by, named as digests name them."""

from __future__ import annotations

from collections.abc import Sequence

from ranking import core
from ranking.models import Recommendation, SubscriberModel

# Interests the reader named in words (topics, keywords, categories): the ones that can be too
# broad or too narrow. Liked papers and followed authors are not phrased by the reader.
WORDED = frozenset({"topic", "keywords", "categories"})


def worded_interests(subscriber_ids: Sequence[int]) -> dict[int, list[str]]:
    """{subscriber id: names of its worded interests}, those whose words match nothing in the
    catalogue included, cut as recommendations store them; subscribers without a stored model
    are left out."""
    cut = Recommendation._meta.get_field("interest").max_length
    rows = SubscriberModel.objects.filter(subscriber_id__in=subscriber_ids)
    out: dict[int, list[str]] = {}
    for sid, data in rows.values_list("subscriber_id", "data"):
        try:
            model = core.SubscriberModel.from_bytes(bytes(data))
        except ValueError:  # not a stored model any more: the next refit replaces it
            continue
        names = [i.name for i in model.interests if i.kind in WORDED] + model.unmatched
        out[sid] = [name[:cut] for name in names]
    return out
