"""On PostgreSQL, the folded search columns of contacts, offices, jurisdictions and other
names get the same trigram index as the agencies' (migration 0003), so `?q=` on those lists
does not read the whole table (200,000 contacts at national scale). SQLite has no such index."""

from django.db import migrations

COLUMNS = [
    ("contact_search_text_trgm", "agencies_contact"),
    ("office_search_text_trgm", "agencies_office"),
    ("jurisdiction_search_text_trgm", "agencies_jurisdiction"),
    ("agencyname_search_text_trgm", "agencies_agencyname"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in COLUMNS:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("agencies", "0005_search_folding_and_filter_indexes")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
