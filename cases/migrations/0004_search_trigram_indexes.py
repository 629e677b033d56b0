"""On PostgreSQL, trigram indexes serve the `q` filters of cases (reference, title, summary)
and action items (title, description): Django writes `icontains` as UPPER(column) LIKE
UPPER('%word%'), so each index is on UPPER(column). SQLite has no such index type."""

from django.db import migrations

INDEXES = {
    "case_reference_trgm": ("cases_case", "reference"),
    "case_title_trgm": ("cases_case", "title"),
    "case_summary_trgm": ("cases_case", "summary"),
    "actionitem_title_trgm": ("cases_actionitem", "title"),
    "actionitem_description_trgm": ("cases_actionitem", "description"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_performance_indexes"), ("agencies", "0003_search_trigram_index")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
