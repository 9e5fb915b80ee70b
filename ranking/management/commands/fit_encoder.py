"""Refit the text encoder on the whole catalogue now, and every subscriber model with it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ranking.services.encoder_switch import refresh_encoder
from ranking.services.encoding import encoder_path


class Command(BaseCommand):
    help = (
        "Fit the ranking encoder (tf-idf + LSA) on the catalogue, prepare every stored "
        "subscriber model for it, then switch to it (the nightly run keeps the current one "
        "until then)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = refresh_encoder(force=True)
        seconds = time.perf_counter() - started
        self.stdout.write(f"fit_encoder: {report} in {seconds:.1f}s -> {encoder_path()}")
