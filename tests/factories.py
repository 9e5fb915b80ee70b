from __future__ import annotations

import factory
from django.utils import timezone

from ranking.identifiers import title_id
from ranking.models import Paper, Recommendation
from subscriptions.models import Feedback, Subscriber, Topic


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


class TopicFactory(factory.django.DjangoModelFactory[Topic]):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    keywords = factory.LazyFunction(lambda: ["graph neural network"])
    categories = factory.LazyFunction(lambda: ["cs.LG"])


class SubscriberFactory(factory.django.DjangoModelFactory[Subscriber]):
    """An active, confirmed subscriber; pass status="pending" for a fresh sign-up."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyFunction(timezone.now)
    keywords = factory.LazyFunction(lambda: ["retrieval"])


class RecommendationFactory(factory.django.DjangoModelFactory[Recommendation]):
    """A ranked paper for a subscriber and date, as the nightly ranking stage writes it."""

    class Meta:
        model = Recommendation

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    run_date = factory.LazyFunction(lambda: timezone.now().date())
    rank = factory.Sequence(lambda n: n % 30000 + 1)
    score = 0.9
    explanation = "Matches “retrieval”"
    interest = "retrieval"


class FeedbackFactory(factory.django.DjangoModelFactory[Feedback]):
    """A "more like this" rating from a digest; pass kind="disliked" for "less like this"."""

    class Meta:
        model = Feedback

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    kind = Feedback.Kind.LIKED
