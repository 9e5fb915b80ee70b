"""A refit encoder replaces the current one only once every stored model is prepared for it."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from ranking import tasks
from ranking.models import SubscriberModel
from ranking.services import encoding
from ranking.services.encoder_switch import refresh_encoder
from ranking.services.ratelimit import get_redis, redis_key
from ranking.services.recommend import build_profile, profile_hash, rank_subscribers
from tests.factories import PaperFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def catalogue(settings, tmp_path):
    settings.RANKING_MODEL_DIR = tmp_path
    call_command("load_demo_papers", stdout=None)
    encoding._cache.clear()
    yield
    encoding._cache.clear()


@pytest.fixture
def readers(today):
    subs = [SubscriberFactory(keywords=[k]) for k in ("retrieval", "language models", "vision")]
    rank_subscribers([s.pk for s in subs], today)
    PaperFactory.create_batch(220)  # the catalogue doubles: the encoder is outgrown
    encoding._cache.clear()
    return subs


def encoders() -> set[str]:
    return set(SubscriberModel.objects.values_list("encoder", flat=True))


def prepared() -> int:
    return SubscriberModel.objects.exclude(next_encoder="").count()


def test_nothing_happens_while_the_encoder_fits_the_catalogue(today) -> None:
    rank_subscribers([SubscriberFactory(keywords=["retrieval"]).pk], today)
    assert refresh_encoder().state == "current"
    assert not encoding.next_encoder_path().exists()


def test_an_outgrown_encoder_is_switched_with_every_model_prepared(readers, today) -> None:
    before = encoders()
    fitted = encoding.encoder_path().stat().st_mtime_ns
    report = refresh_encoder()
    assert (report.state, report.refit) == ("switched", 3)
    assert encoding.encoder_path().stat().st_mtime_ns != fitted
    assert not encoding.next_encoder_path().exists()
    assert encoders() == {report.fingerprint} != before
    assert prepared() == 0
    assert encoding.workspace().fingerprint == report.fingerprint
    # The night after: every model is current, none is refit, every reader is ranked.
    counts = rank_subscribers([s.pk for s in readers], today)
    assert (counts.refit, counts.ranked) == (0, 3)


def test_models_of_an_older_encoder_are_prepared_and_switched_after_an_upgrade(today) -> None:
    subs = [SubscriberFactory(keywords=[k]) for k in ("retrieval", "vision")]
    rank_subscribers([s.pk for s in subs], today)
    # As an install upgraded from LSA-only ranking leaves them (its catalogue did not grow).
    SubscriberModel.objects.update(encoder="lsa:0123456789abcdef")
    assert encoding.models_behind()
    report = refresh_encoder()
    assert (report.state, report.refit) == ("switched", 2)
    assert encoders() == {report.fingerprint}
    assert not encoding.models_behind()
    assert refresh_encoder().state == "current"


def test_a_stopped_preparation_resumes_without_refitting_prepared_models(readers, today) -> None:
    before = encoders()
    assert refresh_encoder(limit=2).state == "preparing"
    assert prepared() == 2
    # Meanwhile the nightly run keeps the current encoder and models.
    counts = rank_subscribers([s.pk for s in readers], today)
    assert (counts.refit, counts.ranked) == (0, 3)
    assert encoders() == before
    report = refresh_encoder(limit=2)
    assert (report.state, report.refit) == ("switched", 1)
    assert encoders() == {report.fingerprint}


def test_a_profile_changed_during_preparation_is_prepared_again(readers, today) -> None:
    assert refresh_encoder(limit=2).state == "preparing"
    first = SubscriberModel.objects.order_by("pk").first()
    assert first is not None
    subscriber = first.subscriber
    subscriber.keywords = ["graph neural networks"]
    subscriber.save()
    report = refresh_encoder()
    # The changed one again, and the third, never prepared.
    assert (report.state, report.refit) == ("switched", 2)
    first.refresh_from_db()
    assert first.profile_hash == profile_hash(build_profile(subscriber))
    assert rank_subscribers([subscriber.pk], today).refit == 0


def test_the_task_prepares_in_batches_and_one_run_at_a_time(readers, settings) -> None:
    settings.RANKING_SWITCH_BATCH = 2
    lock = get_redis(django_settings.REDIS_URL).lock(redis_key("encoder", "switch"), timeout=60)
    assert lock.acquire(blocking=False)
    try:
        assert tasks.refresh_encoder.apply().get().startswith("busy")
        assert prepared() == 0
    finally:
        lock.release()
    # Eager in tests: the batch queues the next one, which finishes the switch.
    assert tasks.refresh_encoder.apply().get().startswith("encoder preparing")
    assert prepared() == 0
    assert len(encoders()) == 1
    assert not encoding.next_encoder_path().exists()


def test_a_damaged_next_encoder_is_fit_again(readers) -> None:
    encoding.next_encoder_path().write_bytes(b"\x80\x05truncated")
    report = refresh_encoder()
    assert (report.state, report.refit) == ("switched", 3)
    assert encoders() == {report.fingerprint}


def test_the_task_on_an_empty_catalogue_says_there_is_nothing_to_fit() -> None:
    from ranking.models import Paper

    Paper.objects.all().delete()  # a new install before any paper: no encoder fit yet either
    for fitted in encoding.encoder_path().parent.glob("lsa-encoder*"):
        fitted.unlink()
    assert "catalogue is empty" in tasks.refresh_encoder.apply().get()
    assert not encoding.next_encoder_path().exists()
