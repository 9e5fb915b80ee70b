"""The Celery app, configured from Django settings (the CELERY_ namespace)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("paperboy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _one_blas_thread_per_process(**_: object) -> None:
    """Each prefork child ranks on one core: BLAS's default of a thread per core in every
    child oversubscribes the machine (measured: 2 processes x 2 threads were slower than one
    process with 2 threads on 2 cores; docs/benchmarks.md, "Ranking speed")."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
