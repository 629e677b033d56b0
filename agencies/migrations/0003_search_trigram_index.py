"""On PostgreSQL, a trigram index makes the folded-name search (LIKE '%word%') use an index.
SQLite has no such index type; there the table is small enough to scan."""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:
        raise RuntimeError(
            f"The search needs PostgreSQL's pg_trgm extension, and this database user may not "
            f"create it ({error}). Ask a superuser to run CREATE EXTENSION pg_trgm; in this "
            f"database, then migrate again."
        ) from error
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS agency_search_text_trgm ON agencies_agency USING gin (search_text gin_trgm_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS agency_search_acronyms_trgm "
        "ON agencies_agency USING gin (search_acronyms gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS agency_search_text_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS agency_search_acronyms_trgm")


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_initial")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
