"""Switching to a refit encoder without a night of refits.

A new encoder (the catalogue doubled since the current one was fit) changes every subscriber
model's fingerprint. Refitting them inside the nightly run would cost ~0.2-0.35 s each, hours at
100,000 subscribers. Instead, `refresh_encoder`:

1. fits the next encoder beside the current one (`lsa-encoder.next.pickle`);
2. fits each stored model against it into the row's `next_*` fields, a chunk at a time; a run
   stopped anywhere (a `limit`, a killed worker) resumes where it stopped, because a model
   already prepared for the same encoder and profile is skipped;
3. switches in one transaction: every prepared model becomes current, and the next encoder file
   replaces the current one before the transaction commits.

Until the switch the nightly run keeps ranking with the current encoder and models. A profile
changed during preparation is prepared again by the last pass; one changed after it is refit
at its next use, as any stale model is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from ranking import core
from ranking.models import SubscriberModel
from ranking.services import encoding
from ranking.services.recommend import build_profiles, profile_hash

logger = logging.getLogger(__name__)
CHUNK = 500


@dataclass
class SwitchReport:
    state: str  # "current" (nothing to do) | "preparing" (stopped at the limit) | "switched"
    refit: int = 0
    fingerprint: str = ""

    def __str__(self) -> str:
        return f"encoder {self.state}: {self.refit} models prepared {self.fingerprint}".strip()


def refresh_encoder(limit: int | None = None, force: bool = False) -> SwitchReport:
    """Prepare and switch to a new encoder when the catalogue has outgrown the current one (or
    `force`); prepare at most `limit` models per call (None: all, then switch)."""
    nxt = encoding.next_encoder_path()
    if not nxt.is_file():
        if not (force or encoding.outgrown() or encoding.models_behind()):
            return SwitchReport("current")
        encoding.fit_encoder(nxt)
        logger.info("next encoder fit on the catalogue: preparing subscriber models")
    try:
        ws = encoding.next_workspace()
    except core.EncoderUnavailable:
        # Damaged (written by an older version, or a disk fault): fit it again.
        logger.warning("the prepared next encoder could not be read: fitting it again")
        encoding.fit_encoder(nxt)
        ws = encoding.next_workspace()
    refit = _prepare(ws, limit)
    if refit is None:
        return SwitchReport("preparing", limit or 0, ws.fingerprint)
    with transaction.atomic():
        SubscriberModel.objects.filter(next_encoder=ws.fingerprint).update(
            encoder=F("next_encoder"),
            profile_hash=F("next_profile_hash"),
            data=F("next_data"),
            next_encoder="",
            next_profile_hash="",
            next_data=None,
        )
        # Last, inside the transaction: if the rename fails, the models stay as they were.
        encoding.promote_next_encoder()
    logger.info("switched to encoder %s (%d models prepared)", ws.fingerprint, refit)
    return SwitchReport("switched", refit, ws.fingerprint)


def _prepare(ws: encoding.Workspace, limit: int | None) -> int | None:
    """Fit every stored model against `ws` into its next_* fields; the number fit, or None when
    `limit` stopped it before the end."""
    fitter = core.ProfileFitter(ws.catalogue, ws.encoder, ws.lsa.words)
    ids = list(SubscriberModel.objects.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), CHUNK):
        rows = list(
            SubscriberModel.objects.filter(pk__in=ids[start : start + CHUNK])
            .select_related("subscriber")
            .defer("data", "next_data")
        )
        profiles = build_profiles([r.subscriber for r in rows])
        changed: list[SubscriberModel] = []
        for row in rows:
            profile = profiles[row.subscriber_id]
            digest = profile_hash(profile)
            if row.next_encoder == ws.fingerprint and row.next_profile_hash == digest:
                continue
            if limit is not None and done >= limit:
                SubscriberModel.objects.bulk_update(changed, NEXT_FIELDS)
                return None
            row.next_data = fitter.fit(profile).to_bytes()
            row.next_encoder, row.next_profile_hash = ws.fingerprint, digest
            changed.append(row)
            done += 1
        SubscriberModel.objects.bulk_update(changed, NEXT_FIELDS)
    return done


NEXT_FIELDS = ["next_encoder", "next_profile_hash", "next_data"]
