from __future__ import annotations

import pytest

from subscriptions.arxiv_ids import InvalidArxivIdError, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", "2401.01234"),
        ("2401.01234v2", "2401.01234"),
        ("1706.0376", "1706.0376"),
        ("arXiv:1706.03762v7", "1706.03762"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("hep-th/9901001v1", "hep-th/9901001"),
        ("https://arxiv.org/abs/1706.03762", "1706.03762"),
        ("https://arxiv.org/pdf/1706.03762v5.pdf", "1706.03762"),
        ("http://arxiv.org/abs/math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/2401.01234v2?context=cs", "2401.01234"),
        ("https://arxiv.org/html/2401.01234v1/", "2401.01234"),
        ("  2401.01234  ", "2401.01234"),
    ],
)
def test_it_reduces_ids_and_urls_to_the_base_id(text: str, expected: str) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "2401",
        "2401.123",
        "2401.1234567",
        "https://example.org/abs/2401.01234",
        "math/03",
        "<script>",
        "2401.01234" + "v1" * 200,
    ],
)
def test_it_rejects_what_is_not_an_arxiv_id(text: str) -> None:
    with pytest.raises(InvalidArxivIdError):
        parse_arxiv_id(text)
