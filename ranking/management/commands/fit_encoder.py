"""Fit the text encoder on the whole catalogue; subscriber models refit lazily afterwards."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from ranking.services.encoding import encoder_path, fit_encoder


class Command(BaseCommand):
    help = "Fit the ranking encoder (tf-idf + LSA) on the catalogue and save it."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        lsa = fit_encoder()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"fit_encoder: {lsa.fingerprint()} ({lsa.dim} dimensions) in {seconds:.1f}s "
            f"-> {encoder_path()}"
        )
