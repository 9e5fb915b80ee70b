from __future__ import annotations

import pytest
from django.core.management import call_command

from ranking.models import Paper
from ranking.sources.seed_page import PageFormatError, parse_seed_page


@pytest.mark.django_db
def test_it_loads_the_217_demo_papers_once(capsys) -> None:
    call_command("load_demo_papers")
    call_command("load_demo_papers")
    assert Paper.objects.count() == 217
    assert "0 created" in capsys.readouterr().out.splitlines()[-1]
    first = Paper.objects.get(title__startswith="Unsupervised Dense Information Retrieval")
    assert first.abstract.startswith("Recently, information retrieval")
    assert not Paper.objects.filter(title__startswith="Subscribe").exists()


def test_it_rejects_a_page_with_a_title_but_no_abstract() -> None:
    with pytest.raises(PageFormatError, match="odd count"):
        list(
            parse_seed_page("Get trending papers in your email inbox!\nA title\nAn abstract\nLone")
        )
