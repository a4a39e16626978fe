"""Rules the database enforces whatever path a write takes (services, admin, raw SQL):

- a case's status changes only along the workflow of cases/workflow.py (a trigger);
- case events cannot be updated (a trigger on both) or deleted (a trigger on PostgreSQL; on
  SQLite, whose tests reset tables with DELETE for want of TRUNCATE, the model refuses and no
  role holds the permission).

The transition pairs are frozen here, as a migration must be; a test checks every pair against
cases/workflow.py, so a change there without a new migration fails the suite.
"""

from django.db import migrations

TRANSITION_PAIRS = [
    ("active", "closed"),
    ("active", "closed_referred"),
    ("active", "follow_up"),
    ("active", "referred"),
    ("closed", "active"),
    ("closed_referred", "active"),
    ("follow_up", "active"),
    ("follow_up", "closed"),
    ("follow_up", "closed_referred"),
    ("follow_up", "referred"),
    ("new", "active"),
    ("new", "closed"),
    ("new", "referred"),
    ("referred", "active"),
    ("referred", "closed"),
    ("referred", "closed_referred"),
    ("referred", "follow_up"),
]

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION cases_case_status_transition() RETURNS trigger AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status || '>' || NEW.status) NOT IN ({pairs}) THEN
        RAISE EXCEPTION 'case % cannot move from status % to %',
            OLD.reference, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_status_transition BEFORE UPDATE OF status ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_case_status_transition();

CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_append_only();
DROP TRIGGER IF EXISTS cases_case_status_transition ON cases_case;
DROP FUNCTION IF EXISTS cases_case_status_transition();
"""

SQLITE_FORWARD = [
    """
CREATE TRIGGER cases_case_status_transition BEFORE UPDATE OF status ON cases_case
FOR EACH ROW WHEN NEW.status <> OLD.status
    AND (OLD.status || '>' || NEW.status) NOT IN ({pairs})
BEGIN
    SELECT RAISE(ABORT, 'case status transition not allowed');
END;
""",
    """
CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE ON cases_caseevent
BEGIN
    SELECT RAISE(ABORT, 'case events are append-only (UPDATE refused)');
END;
""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_caseevent_append_only;",
    "DROP TRIGGER IF EXISTS cases_case_status_transition;",
]


def _pairs():
    return ", ".join(f"'{old}>{new}'" for old, new in TRANSITION_PAIRS)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD.replace("{pairs}", _pairs()), params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement.replace("{pairs}", _pairs()))


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
