from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from ranking.models import Paper
from ranking.services import encoding
from ranking.sources.seed_page import PageFormatError, parse_seed_page


@pytest.mark.django_db
def test_it_loads_the_217_demo_papers_once_and_encodes_them_for_ranking(capsys) -> None:
    call_command("load_demo_papers")
    call_command("load_demo_papers")
    assert Paper.objects.count() == 217
    out = capsys.readouterr().out.splitlines()
    assert "0 created" in out[-2]
    assert "217 papers encoded for ranking" in out[-1]
    assert (encoding.encoder_path()).is_file()
    first = Paper.objects.get(title__startswith="Unsupervised Dense Information Retrieval")
    assert first.abstract.startswith("Recently, information retrieval")
    assert not Paper.objects.filter(title__startswith="Subscribe").exists()


@pytest.mark.django_db
def test_a_missing_model_file_stops_it_with_the_fix(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "model.onnx"
    monkeypatch.setattr("ranking.core.minilm._installed_model", lambda: missing)
    encoding.sentence_encoder.cache_clear()
    try:
        with pytest.raises(CommandError, match=rf"model file {missing} is missing: pip install"):
            call_command("load_demo_papers")
    finally:
        encoding.sentence_encoder.cache_clear()
    assert Paper.objects.count() == 217  # the papers are loaded; only ranking waits for the fix


def test_it_rejects_a_page_with_a_title_but_no_abstract() -> None:
    with pytest.raises(PageFormatError, match="odd count"):
        list(
            parse_seed_page("Get trending papers in your email inbox!\nA title\nAn abstract\nLone")
        )
