from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from config import embedded_redis
from tests import clock
from tests.clock import _test_clock, add_option
from tests.smtp import SMTPServer

__all__ = ["_test_clock"]  # autouse: every test starts on the run's clock (tests/clock.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_option(parser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fast tests first (a broken change fails within a minute), then the ones marked `slow`
    or `browser`; otherwise in pytest-django's order."""
    items.sort(key=lambda item: any(item.get_closest_marker(m) for m in ("slow", "browser")))


def pytest_configure(config: pytest.Config) -> None:
    # Start the embedded Redis before anything can open a connection to it (see
    # config/settings/test.py: only when no REDIS_URL was given).
    socket = os.environ.get("PAPERBOY_TEST_EMBEDDED_REDIS")
    if socket and not hasattr(config, "_paperboy_redis"):
        config._paperboy_redis = embedded_redis.start(Path(socket))


def pytest_unconfigure(config: pytest.Config) -> None:
    process = getattr(config, "_paperboy_redis", None)
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Every test starts with an empty cache (rate limits, locks): this flushes the Redis db."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _own_ranking_encoder(settings: SettingsWrapper, tmp_path: Path) -> None:
    """Each test fits its ranking encoder on its own catalogue, never on an earlier test's."""
    settings.RANKING_MODEL_DIR = tmp_path / "ranking-models"


@pytest.fixture
def today() -> date:
    """Today (UTC) on the test's clock: never a date computed when the module was imported."""
    return clock.today()


@pytest.fixture
def smtp_server(settings: SettingsWrapper) -> Iterator[SMTPServer]:
    """A real SMTP server on a free local port; Django's SMTP backend sends to it."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One encoder fit per module: every test of it loads the same demo texts.
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def demo_catalogue(settings: SettingsWrapper, demo_model_dir: Path) -> Iterator[None]:
    """The 217 demo papers, loaded and encoded as `make run` does (real sentence encoder)."""
    from django.core.management import call_command

    from ranking.services import encoding

    settings.RANKING_MODEL_DIR = demo_model_dir
    call_command("load_demo_papers", stdout=None)
    yield
    # Paper primary keys differ per test: the encoded catalogue must not outlive one.
    encoding._cache.pop("workspace", None)
