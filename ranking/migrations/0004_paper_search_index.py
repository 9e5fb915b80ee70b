"""Full-text search index for PostgreSQL (ranking.services.search); nothing on other databases."""

from django.db import migrations

INDEX = "ranking_paper_search_gin"
# Must stay identical to ranking.services.search.PG_DOCUMENT, or queries cannot use the index.
PG_DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, ''))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON ranking_paper USING gin (({PG_DOCUMENT}))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("ranking", "0003_recommendations")]

    operations = [migrations.RunPython(create_index, drop_index)]
