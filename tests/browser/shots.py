"""Where browser tests save screenshots: docs/screenshots/ only when asked (`make screenshots`),
so an ordinary test run never rewrites the committed pictures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot_dir() -> Path:
    if os.environ.get("PAPERBOY_SCREENSHOTS"):
        return DOCS
    return Path(tempfile.gettempdir()) / "paperboy-screenshots"
