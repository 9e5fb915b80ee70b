#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Misconfiguration is the operator's to fix: one line naming the variable, no traceback.
        sys.stderr.write(f"paperboy: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
