"""Started by Python in processes the tests spawn while the test's clock is moved (tests/clock.py):
travel by the parent's offset from the real clock, ticking, so parent and child agree on "now".

Only on PYTHONPATH when PAPERBOY_TEST_CLOCK_OFFSET is set; never part of Paperboy itself.
"""

from __future__ import annotations

import os
import time

_offset = os.environ.get("PAPERBOY_TEST_CLOCK_OFFSET")
if _offset:
    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
