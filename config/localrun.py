"""`make run`: web, Celery worker and beat, the embedded Redis and the mail catcher, together.

Runs in the foreground; Ctrl-C stops every process (honcho signals each process group, then
kills what is left after a grace period). Uses the embedded Redis unless REDIS_URL is set, in
which case that server must answer first.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from honcho.manager import Manager

from config import embedded_redis
from config.services import redis_error

BASE_DIR = Path(__file__).resolve().parents[1]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    var_dir = Path(os.environ.get("PAPERBOY_VAR_DIR", BASE_DIR / "var"))
    python = shlex.quote(sys.executable)
    manager = Manager()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if "REDIS_URL" in os.environ:
        if error := redis_error(os.environ["REDIS_URL"]):
            sys.stderr.write(f"paperboy: {error}\n")
            return 2
    else:
        socket = var_dir / "redis.sock"
        socket.unlink(missing_ok=True)
        manager.add_process("redis", shlex.join(embedded_redis.server_command(socket)), env=env)
    mail_dir = var_dir / "mail"
    manager.add_process(
        "mail",
        f"{python} -m aiosmtpd -n -l 127.0.0.1:{os.environ.get('EMAIL_PORT', '1025')} "
        f"-c aiosmtpd.handlers.Mailbox {shlex.quote(str(mail_dir))}",
        env=env,
    )
    port = os.environ.get("PORT", "8000")
    manager.add_process("web", f"{python} manage.py runserver 127.0.0.1:{port}", env=env)
    celery = f"{python} -m celery -A config"
    manager.add_process("worker", f"{celery} worker -l INFO --concurrency 2", env=env)
    beat_file = shlex.quote(str(var_dir / "celerybeat-schedule"))
    manager.add_process("beat", f"{celery} beat -l INFO -s {beat_file}", env=env)
    _print_banner(port)
    manager.loop()
    return int(manager.returncode or 0)


def _print_banner(port: str) -> None:
    print(  # noqa: T201
        f"\n  Paperboy is starting: http://127.0.0.1:{port}/\n"
        f"  Admin:        http://127.0.0.1:{port}/{os.environ.get('ADMIN_URL', 'admin/')}\n"
        f"  Caught mail:  http://127.0.0.1:{port}/dev/mail/\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
