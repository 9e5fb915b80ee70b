"""Run in a subprocess by the fault tests: migrate the workers' database and create `count`
subscribers due in the test slot, each with recommendations for the test date.

    python -m tests.emails.fault_setup COUNT
"""

from __future__ import annotations

import sys

import django


def main(count: int) -> None:
    django.setup()
    from django.core.management import call_command

    from tests.emails.faults import DAY
    from tests.factories import PaperFactory, RecommendationFactory, SubscriberFactory

    call_command("migrate", verbosity=0, interactive=False)
    papers = [PaperFactory() for _ in range(3)]
    for n in range(count):
        reader = SubscriberFactory(email=f"fault{n}@example.org", delivery_hour=7)
        for rank, paper in enumerate(papers, start=1):
            RecommendationFactory(subscriber=reader, paper=paper, run_date=DAY, rank=rank)


if __name__ == "__main__":
    main(int(sys.argv[1]))
