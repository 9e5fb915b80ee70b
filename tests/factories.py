from __future__ import annotations

import factory

from ranking.identifiers import title_id
from ranking.models import Paper


class PaperFactory(factory.django.DjangoModelFactory[Paper]):
    class Meta:
        model = Paper

    title = factory.Sequence(lambda n: f"A study of thing number {n}")
    canonical_id = factory.LazyAttribute(lambda o: title_id(o.title))
    abstract = factory.Faker("paragraph", nb_sentences=5)
    authors = factory.LazyFunction(lambda: ["Ada Lovelace", "Alan Turing"])
    categories = factory.LazyFunction(lambda: ["cs.LG"])
    primary_category = "cs.LG"
    sources = factory.LazyFunction(lambda: ["file"])
