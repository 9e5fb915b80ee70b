from __future__ import annotations

from django.apps import AppConfig


class PaperboyConfig(AppConfig):
    """Project-wide commands (ensure_admin, check_services) that belong to no single app."""

    name = "config"
    label = "paperboy"
    verbose_name = "Paperboy"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - registers the checks
