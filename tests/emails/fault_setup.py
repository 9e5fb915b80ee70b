"""Run in a subprocess by the fault tests: migrate the workers' database and create `count`
subscribers due in the slot (a UTC hour), each with recommendations for its date.

    python -m tests.emails.fault_setup COUNT SLOT
"""

from __future__ import annotations

import sys
from datetime import datetime

import django


def main(count: int, slot: datetime) -> None:
    django.setup()
    from django.core.management import call_command

    from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory

    call_command("migrate", verbosity=0, interactive=False)
    papers = [PaperFactory() for _ in range(3)]
    for n in range(count):
        reader = SubscriberFactory(
            email=f"fault{n}@example.org", delivery_hour=slot.hour, time_zone="UTC"
        )
        for rank, paper in enumerate(papers, start=1):
            RecommendationFactory(subscriber=reader, paper=paper, run_date=slot.date(), rank=rank)


if __name__ == "__main__":
    main(int(sys.argv[1]), datetime.fromisoformat(sys.argv[2]))
