"""Start Django for a benchmark: SQLite in a work directory and the embedded Redis unless
DATABASE_URL / REDIS_URL are given, migrated and ready."""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_django(workdir: Path, **environment: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["PAPERBOY_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(environment)
    if "REDIS_URL" not in os.environ:
        from config import embedded_redis

        socket = workdir / "redis.sock"
        process = embedded_redis.start(socket)
        atexit.register(process.terminate)
        os.environ["REDIS_URL"] = f"unix://{socket}"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)
