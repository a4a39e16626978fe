"""Reading the SQL a test captured: on PostgreSQL the hot paths run prepared statements
(hotline.db), captured as `EXECUTE name (...)`; statement_of() gives the statement behind
such a name, so that tests can still say which tables and verbs a request used."""

from django.db import connection


def statement_of(sql):
    """`sql`, or for `EXECUTE name (...)` the statement prepared as `name` on this connection."""
    verb, *rest = sql.split(maxsplit=2)
    if verb.upper() != "EXECUTE" or connection.vendor != "postgresql":
        return sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [rest[0]])
        prepared = cursor.fetchone()[0]
    return prepared.split(" AS ", 1)[1]


def statements(queries):
    """The statements of a CaptureQueriesContext, prepared ones resolved; the PREPAREs of a
    connection's first use left out (the EXECUTE that follows each is the statement)."""
    return [
        statement_of(query["sql"])
        for query in queries.captured_queries
        if not query["sql"].startswith("PREPARE ")
    ]
