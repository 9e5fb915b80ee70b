from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_creates_the_admin_once_and_prints_the_password_once(capsys) -> None:
    call_command("ensure_admin")
    first = capsys.readouterr().out
    call_command("ensure_admin")
    second = capsys.readouterr().out
    assert "password:" in first
    assert "password:" not in second
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
