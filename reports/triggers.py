"""Database triggers that mark rollup days dirty in the transaction of every change
(docs/rollups.md).

Whatever writes a call, tip, case, party, referral, outcome or forwarding deadline (the
services, the admin, `bulk_create`, `QuerySet.update`, raw SQL), a trigger inserts the (metric,
UTC day) of the row before and after the change into reports_dirtyday, in the same transaction:
if the change commits, the mark commits with it; if it rolls back, so does the mark.

They are (re)installed after every `migrate` (a post_migrate handler, see apps.py), because on
SQLite a migration of another app that rebuilds a table drops that table's triggers.
"""

from django.db import connections

DIRTY = "reports_dirtyday"

# Per source table: (metric, the row's date column, or a subquery template for it).
# {row} is OLD or NEW. Parties are counted by the day their case opened.
_MARKS = {
    "hotline_call": [("calls", "ts", "{row}.started_at")],
    "hotline_tip": [("tips", "ts", "{row}.received_at")],
    "cases_case": [
        ("cases_opened", "ts", "{row}.opened_at"),
        ("victims", "ts", "{row}.opened_at"),
        ("cases_closed", "ts", "{row}.closed_at"),
    ],
    "cases_party": [
        (
            "victims",
            "ts_sub",
            "(SELECT {day_c} FROM cases_case c WHERE c.id = {row}.case_id)",
        )
    ],
    "cases_referral": [("referrals", "ts", "{row}.sent_at")],
    "cases_outcome": [("outcomes", "date", "{row}.occurred_on")],
    "cases_forwarding": [("forwardings", "ts", "{row}.due_at")],
}
# A case's referrals, outcomes and forwardings are counted under the case's region, industry
# and type: when those change, the days of all of them are marked too.
_CASE_DIMENSIONS = ("region_id", "industry_id", "trafficking_type")
_CASE_CHILDREN = [
    ("referrals", "cases_referral", "ts", "sent_at"),
    ("outcomes", "cases_outcome", "date", "occurred_on"),
    ("forwardings", "cases_forwarding", "ts", "due_at"),
]

SOURCE_TABLES = tuple(_MARKS)


def trigger_names():
    """Every trigger this module installs, per vendor, for the test that checks they exist."""
    return {
        "postgresql": [f"reports_mark_{table}" for table in SOURCE_TABLES],
        "sqlite": [
            f"reports_mark_{table}_{event}"
            for table in SOURCE_TABLES
            for event in ("insert", "update", "delete")
        ],
    }


def _day(vendor, kind, expression):
    if kind == "date":
        return expression
    if vendor == "postgresql":
        return f"(({expression}) AT TIME ZONE 'UTC')::date"
    return f"date({expression})"


def _mark_statements(vendor, table, row):
    statements = []
    for metric, kind, template in _MARKS[table]:
        if kind == "ts_sub":
            day = template.format(row=row, day_c=_day(vendor, "ts", "c.opened_at"))
        else:
            day = _day(vendor, kind, template.format(row=row))
        statements.append(
            f"INSERT INTO {DIRTY} (metric, day) "
            f"SELECT '{metric}', d FROM (SELECT {day} AS d) s WHERE d IS NOT NULL;"
        )
    return statements


def _case_children_statements(vendor):
    differs = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in _CASE_DIMENSIONS)
    return [
        f"INSERT INTO {DIRTY} (metric, day) "
        f"SELECT '{metric}', {_day(vendor, kind, 'x.' + column)} FROM {child} x "
        f"WHERE x.case_id = NEW.id AND ({changed});"
        for metric, child, kind, column in _CASE_CHILDREN
    ]


def _postgresql(table):
    name = f"reports_mark_{table}"
    old = "\n        ".join(_mark_statements("postgresql", table, "OLD"))
    new = "\n        ".join(_mark_statements("postgresql", table, "NEW"))
    children = ""
    if table == "cases_case":
        children = (
            "IF TG_OP = 'UPDATE' THEN\n        "
            + "\n        ".join(_case_children_statements("postgresql"))
            + "\n    END IF;"
        )
    return [
        f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {old}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {new}
    END IF;
    {children}
    RETURN NULL;
END
$$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}();",
    ]


def _sqlite(table):
    statements = []
    for event, rows in (("insert", ["NEW"]), ("update", ["OLD", "NEW"]), ("delete", ["OLD"])):
        name = f"reports_mark_{table}_{event}"
        body = [s for row in rows for s in _mark_statements("sqlite", table, row)]
        if table == "cases_case" and event == "update":
            body += _case_children_statements("sqlite")
        statements.append(f"DROP TRIGGER IF EXISTS {name};")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN\n"
            + "\n".join(body)
            + "\nEND;"
        )
    return statements


def _tables(connection):
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def install(using="default"):
    """Create or re-create every trigger; safe to run any number of times."""
    connection = connections[using]
    tables = _tables(connection)
    if DIRTY not in tables:
        return False
    build = _postgresql if connection.vendor == "postgresql" else _sqlite
    with connection.cursor() as cursor:
        for table in SOURCE_TABLES:
            if table not in tables:
                continue
            for statement in build(table):
                cursor.execute(statement)
    return True


def uninstall(using="default"):
    connection = connections[using]
    tables = _tables(connection)
    with connection.cursor() as cursor:
        for table in SOURCE_TABLES:
            if connection.vendor == "postgresql":
                if table in tables:
                    cursor.execute(f"DROP TRIGGER IF EXISTS reports_mark_{table} ON {table};")
                cursor.execute(f"DROP FUNCTION IF EXISTS reports_mark_{table}();")
            else:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS reports_mark_{table}_{event};")


def installed(using="default"):
    """The names of this module's triggers present in the database."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'reports_%%'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_%'"
            )
        return {row[0] for row in cursor.fetchall()}
