"""A stored, indexed full-text vector of every interview's transcript, on PostgreSQL only.

Search used to parse every visible transcript with to_tsvector at query time (about 8 ms for a 35,000-character
transcript, so over a second for 200 interviews). PostgreSQL keeps the parsed vector instead, in a generated
column that it recomputes itself whenever the transcript changes, with a GIN index for the @@ match.

Why database-specific and why the model does not declare it: tsvector, generated columns and GIN indexes are
PostgreSQL features, and SQLite (the default database) searches with the Python fallback in analysis/search.py,
which needs none of this. So the column is added by SQL that runs only on PostgreSQL, and Interview does not
know it: Django never selects or writes it (every INSERT and UPDATE names its columns), and
`makemigrations --check` stays clean. analysis/search.py reads it through StoredTranscriptVector.

For whoever changes casestudies later: PostgreSQL refuses to change the type of `transcript` while this column
depends on it ("cannot alter type of a column used by a generated column"); a migration that does so must drop
the column first (migrate analysis back past this migration) and add it again afterwards.
"""

from django.db import migrations

COLUMN = "transcript_search"
INDEX = "analysis_interview_transcript_search"


def _interview_table(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model("casestudies", "Interview")._meta.db_table)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table, quote = _interview_table(apps, schema_editor), schema_editor.quote_name
    # The configuration is named, so to_tsvector is immutable, as a generated column requires; it must stay
    # 'english', the configuration that analysis/search.py queries with.
    schema_editor.execute(
        f"ALTER TABLE {table} ADD COLUMN {quote(COLUMN)} tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('english'::regconfig, transcript)) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {quote(INDEX)} ON {table} USING GIN ({quote(COLUMN)})")


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table, quote = _interview_table(apps, schema_editor), schema_editor.quote_name
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(INDEX)}")
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {quote(COLUMN)}")


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0001_framework_summaries_and_saved_queries"),
        ("casestudies", "0001_initial_records"),
    ]

    operations = [migrations.RunPython(add_search_vector, drop_search_vector, elidable=False)]
