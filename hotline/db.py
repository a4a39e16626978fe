"""Small helpers for declaring database constraints the same way in every model, and for
saving a model with the database checking them (save_validated)."""

import contextlib
import decimal
import hashlib
import re

from django.core.exceptions import NON_FIELD_ERRORS, EmptyResultSet, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, router, transaction
from django.db.models import signals
from django.db.models.constants import LOOKUP_SEP
from django.db.models.sql import Query


def choices_constraint(field, choices, *, allow_blank=False, allow_null=False):
    """A CHECK constraint that keeps `field` inside its choices in the database itself.

    Django validates choices only in forms; this makes bulk inserts, raw SQL and the shell obey
    them too.
    """
    values = list(choices.values)
    if allow_blank:
        values.append("")
    condition = models.Q(**{f"{field}__in": values})
    if allow_null:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(
        condition=condition,
        name=f"%(app_label)s_%(class)s_{field}_valid",
        violation_error_message=f"Choose a valid {field.replace('_', ' ')}.",
    )


class AppendOnlyQuerySet(models.QuerySet):
    """For tables that are only ever appended to: bulk updates and deletes through the ORM are
    refused, as the model refuses them one row at a time."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be changed.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be deleted.")


# --- Letting the database check the constraints -------------------------------------------
#
# Model.full_clean() validates every CheckConstraint with a SELECT of its own (in a savepoint),
# and every foreign key with another: about twenty queries for a call, for rules the INSERT
# checks again anyway. save_validated() validates fields (types, lengths, choices, validators)
# in Python as before, skips what the database enforces, and turns the database's refusal of
# a named constraint back into the ValidationError full_clean() would have raised: the
# constraint's own message, on its field.

_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def constraint_name(error):
    """The name of the constraint an IntegrityError reports, or None (PostgreSQL and SQLite)."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if name:
        return name
    match = _SQLITE_CHECK.search(str(error))
    return match.group(1) if match else None


def constraint_field(model, constraint):
    """The field a constraint's violation is reported on: the field of a choices_constraint
    (named <app>_<model>_<field>_valid) or the one field a check reads; otherwise none
    (NON_FIELD_ERRORS), as full_clean() reports every constraint."""
    meta = model._meta
    prefix = f"{meta.app_label}_{meta.model_name}_"
    name = constraint.name
    if name.startswith(prefix) and name.endswith("_valid"):
        field = name[len(prefix) : -len("_valid")]
        if any(f.name == field for f in meta.concrete_fields):
            return field
    if isinstance(constraint, models.CheckConstraint):
        fields = {ref.split(LOOKUP_SEP)[0] for ref in constraint.condition.referenced_base_fields}
    else:
        fields = set(constraint.fields)
    return fields.pop() if len(fields) == 1 else NON_FIELD_ERRORS


def constraint_violation(model, error):
    """The ValidationError for an IntegrityError raised by one of `model`'s check constraints,
    or None when the error is about something else."""
    name = constraint_name(error)
    if name is None:
        return None
    for constraint in model._meta.constraints:
        if constraint.name == name and isinstance(constraint, models.CheckConstraint):
            message = ValidationError(
                constraint.get_violation_error_message(),
                code=constraint.violation_error_code or "constraint",
            )
            return ValidationError({constraint_field(model, constraint): [message]})
    return None


def _resolved_relations(instance):
    """Foreign keys whose related row the caller already loaded from the database (a region
    a serializer looked up, the signed-in user): checking that they exist again is a query
    for nothing, and the database's foreign key still guards the row."""
    resolved = []
    for field in instance._meta.concrete_fields:
        if not field.is_relation or not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if (
            related is not None
            and not related._state.adding
            and related.pk is not None
            and getattr(instance, field.attname) == getattr(related, field.target_field.attname)
        ):
            resolved.append(field.name)
    return resolved


def validate_fields(instance, *, exclude=(), validate_unique=True):
    """full_clean() without the queries the database makes redundant: fields, clean() and
    unique constraints as ever; no check-constraint SELECTs (the database checks them on save,
    see save_checked); no existence check for a foreign key whose row is already loaded."""
    exclude = {*exclude, *_resolved_relations(instance)}
    errors = {}
    try:
        instance.full_clean(
            exclude=exclude, validate_unique=validate_unique, validate_constraints=False
        )
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if validate_unique:
        errors = _validate_unique_constraints(instance, exclude | set(errors), errors)
    if errors:
        raise ValidationError(errors)


def _validate_unique_constraints(instance, exclude, errors):
    """Model.validate_constraints() for the unique constraints only: a duplicate is found by a
    SELECT, as before, so that it is reported by field rather than by the INSERT failing."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        try:
            constraint.validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                errors.setdefault(constraint.fields[0], []).append(error)
            else:
                errors = error.update_error_dict(errors)
    return errors


def save_checked(instance, *, savepoint=True, **save_kwargs):
    """instance.save(); a named check constraint's refusal becomes its ValidationError, and
    anything else is raised as it is.

    In a savepoint by default, so that the transaction around stays usable after the refusal.
    A service whose own @transaction.atomic surrounds the save and lets the error out (the
    atomic rolls back, to its own savepoint when it is nested in another transaction) may pass
    savepoint=False and spare the two round trips."""
    with _constraint_errors(type(instance)), transaction.atomic(savepoint=savepoint):
        if save_kwargs or not _insert_prepared(instance):
            instance.save(**save_kwargs)
    return instance


@contextlib.contextmanager
def _constraint_errors(model):
    """A check constraint of `model` refusing a write, as its ValidationError."""
    try:
        yield
    except IntegrityError as error:
        violation = constraint_violation(model, error)
        if violation is None:
            raise
        raise violation from error


def _plain_insert(model):
    """Whether a new `model` row is one INSERT of its fields' values, with nothing else that
    Model.save() would do: no save() of its own, no parent table, no value left to the
    database (a database default, a generated column), and no signal receivers (checked
    every time: a receiver may be connected at any moment)."""
    static = _PLAIN_INSERT.get(model)
    if static is None:
        meta = model._meta
        static = _PLAIN_INSERT[model] = (
            model.save is models.Model.save
            and not meta.parents
            and all(
                field.db_default is models.NOT_PROVIDED and not getattr(field, "generated", False)
                for field in meta.concrete_fields
            )
        )
    return (
        static
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    )


_INSERTS = {}
_PLAIN_INSERT = {}


def insert_statement(model, connection):
    """The INSERT of one `model` row for this kind of database (with RETURNING its primary
    key where the database can), and the fields of its columns in order: written once from
    the model's metadata."""
    key = (model, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        meta = model._meta
        fields = [field for field in meta.concrete_fields if not field.primary_key]
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(meta.db_table)} "
            f"({', '.join(qn(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {qn(meta.pk.column)}"
        found = _INSERTS[key] = (sql, fields)
    return found


def insert_row(model, connection, params):
    """Run insert_statement() with `params` (the fields' database values, in its order), as a
    statement prepared once per connection; returns the new row's primary key."""
    sql = insert_statement(model, connection)[0]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        execute_prepared(connection, cursor, f"hotline_insert_{table}", sql, params)
        if connection.features.can_return_columns_from_insert:
            return cursor.fetchone()[0]
        return connection.ops.last_insert_id(cursor, table, model._meta.pk.column)


def can_insert_with_follower(instance, follower_model):
    """Whether insert_with_follower() can save `instance` with a row of `follower_model`:
    on PostgreSQL, outside a transaction (one statement is then a transaction of its own),
    both on the same database, for a new instance whose save is nothing but its INSERT."""
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and router.db_for_write(follower_model) == connection.alias
        and _new_plain_row(instance)
    )


def insert_with_follower(instance, follower_model, follower_params, link):
    """INSERT a new `instance` and, in the same statement, one row of `follower_model` whose
    `link` field takes the new row's primary key (an audit row naming what was created):
    both rows or neither, in one round trip instead of four (BEGIN, two INSERTs, COMMIT).
    Only where can_insert_with_follower(); `follower_params()` gives the follower's other
    fields' database values by field name, and is called after the instance's own values
    are made (its auto_now times come first). Returns the follower's primary key. A check
    constraint's refusal is its ValidationError, as in save_checked."""
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    sql, follower_fields = _insert_with_follower_statement(model, follower_model, link, connection)
    params = _new_row_params(instance, connection)
    follower_values = follower_params()
    params += [follower_values[field.name] for field in follower_fields]
    name = f"hotline_insert_{model._meta.db_table}_with_{follower_model._meta.db_table}"
    if len(name) > 63:  # PostgreSQL's longest name
        name = "hotline_insert_" + hashlib.sha1(name.encode()).hexdigest()[:32]
    with _constraint_errors(model), connection.cursor() as cursor:
        execute_prepared(connection, cursor, name, sql, params)
        pk, follower_pk = cursor.fetchone()
    _mark_saved(instance, pk, connection)
    return follower_pk


def _insert_with_follower_statement(model, follower_model, link, connection):
    key = (model, follower_model, link, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        qn = connection.ops.quote_name
        sql = insert_statement(model, connection)[0]
        meta = follower_model._meta
        columns = [field for field in meta.concrete_fields if not field.primary_key]
        values = ", ".join(
            f"(SELECT {qn(model._meta.pk.column)} FROM new_row)" if field.name == link else "%s"
            for field in columns
        )
        follower_sql = (
            f"INSERT INTO {qn(meta.db_table)} "
            f"({', '.join(qn(field.column) for field in columns)}) VALUES ({values}) "
            f"RETURNING {qn(meta.get_field(link).column)}, {qn(meta.pk.column)}"
        )
        found = _INSERTS[key] = (
            f"WITH new_row AS ({sql}) {follower_sql}",
            [field for field in columns if field.name != link],
        )
    return found


def execute_with_follower(connection, cursor, name, sql, params, follower_model, follower_params):
    """Run the SELECT `sql` and, in the same statement, INSERT one row of `follower_model` (an
    audit row naming what the SELECT reads): `WITH follower AS (INSERT ...) SELECT ...`, one
    round trip instead of two, and both or neither. PostgreSQL only; prepared once per
    connection as `name` + "_with_follower". `follower_params` are the follower's database
    values in insert_statement()'s order."""
    key = (sql, follower_model, "select", connection.vendor)
    combined = _INSERTS.get(key)
    if combined is None:
        insert_sql = insert_statement(follower_model, connection)[0]
        combined = _INSERTS[key] = f"WITH follower AS ({insert_sql}) {sql}"
    execute_prepared(
        connection, cursor, f"{name}_with_follower", combined, [*follower_params, *params]
    )


def _insert_prepared(instance):
    """INSERT a new `instance` as Model.save() would (each field's pre_save() and database
    value, the primary key read back), by a statement written once per model from its
    metadata and prepared once per connection (execute_prepared): compiling the ORM's INSERT
    was most of what saving a call cost. False, having done nothing, when the model or the
    instance needs more than that (_plain_insert)."""
    if not _new_plain_row(instance):
        return False
    model = type(instance)
    connection = connections[router.db_for_write(model, instance=instance)]
    params = _new_row_params(instance, connection)
    _mark_saved(instance, insert_row(model, connection, params), connection)
    return True


def _new_plain_row(instance):
    return instance._state.adding and instance.pk is None and _plain_insert(type(instance))


def _new_row_params(instance, connection):
    """What Model.save() sends for a new `instance`, in insert_statement()'s order: after its
    checks that no relation is unsaved, each field's pre_save() value made ready for the
    database."""
    instance._prepare_related_fields_for_save(operation_name="save")
    return [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in insert_statement(type(instance), connection)[1]
    ]


def _mark_saved(instance, pk, connection):
    setattr(instance, instance._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = connection.alias


def save_validated(instance, *, exclude=(), validate_unique=True, **save_kwargs):
    """Validate (validate_fields) and save (save_checked): full_clean() + save() with the
    same errors, a handful of queries fewer."""
    validate_fields(instance, exclude=exclude, validate_unique=validate_unique)
    return save_checked(instance, **save_kwargs)


# --- Prepared statements for the hottest hand-written queries ------------------------------
#
# PostgreSQL plans every statement it is sent; for the few statements every API request runs
# (the token lookup, the audit row, a page's code lists) planning cost the server several
# times what running them did. execute_prepared() PREPAREs such a statement once per database
# connection and EXECUTEs it after that, so it is planned once per connection. A prepared
# statement belongs to the session and survives a rolled-back transaction; a new connection
# (Django reconnects after CONN_MAX_AGE or an error) starts with none, and so prepares again.
# Not for a pooler in transaction mode (PgBouncer), where the next statement may run in
# another session: the deployment connects directly (docs/operations.md).

_PLACEHOLDER = re.compile(r"%s")


def _numbered(sql):
    if "%%" in sql or "%(" in sql:
        raise ValueError("execute_prepared takes SQL with plain %s placeholders only")
    counter = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


# Statements prepared per connection by prepared_statements(), at most: each holds a plan in
# the server process, and the filters a list accepts combine into many distinct statements.
MAX_PREPARED = 200


def _session_state(connection):
    """(prepared, refused): the statements prepared on `connection`'s current session, and
    those PostgreSQL would not prepare there."""
    raw = connection.connection
    state = connection.__dict__.get("_hotline_prepared")
    if state is None or state[0] is not raw:
        state = connection.__dict__["_hotline_prepared"] = (raw, set(), set())
    return state[1], state[2]


def deallocate_prepared(using=DEFAULT_DB_ALIAS):
    """Drop every statement prepared on the connection's session (the per-connection limit
    starts again)."""
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.connection is not None:
        with connection.connection.cursor() as raw_cursor:
            raw_cursor.execute("DEALLOCATE ALL")
    connection.__dict__.pop("_hotline_prepared", None)


def _execute_sql(name, params):
    if not params:
        return f"EXECUTE {name}"
    return f"EXECUTE {name} ({', '.join(['%s'] * len(params))})"


def execute_prepared(connection, cursor, name, sql, params):
    """cursor.execute(sql, params), through a statement prepared once per connection on
    PostgreSQL (`name` must be unique per `sql`); a plain execute elsewhere."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    prepared = _session_state(connection)[0]
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        prepared.add(name)
    cursor.execute(_execute_sql(name, params), params)


# What the ORM sends that PREPARE takes (not BEGIN, SAVEPOINT, SET, ...).
PREPARABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


# Python values that psycopg2 writes as typed literals (a number, true, a quoted timestamp
# with its type): in a plain statement PostgreSQL reads them as what they are, but a parameter
# of a prepared statement takes the type PostgreSQL infers from the statement, which where
# nothing tells it is text ("9" < "10" is false). Such a statement is not prepared.
_TEXT_TYPES = frozenset({"text", "character varying", "character", "unknown", "name"})
_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})


def _inferred_types_fit(params, types):
    for value, pg_type in zip(params, types, strict=True):
        if isinstance(value, str):
            continue  # sent quoted, of no type: read as the parameter's type either way
        if pg_type in _TEXT_TYPES:
            return False
        if isinstance(value, float | decimal.Decimal) and pg_type in _INTEGER_TYPES:
            return False
    return True


def _prepare(connection, raw_cursor, name, sql, params):
    """PREPARE `sql` as `name`; False when PostgreSQL refuses it (a parameter whose type the
    statement does not tell, a statement PREPARE does not take) or when a parameter's
    inferred type would read the value differently than the plain statement does
    (_inferred_types_fit). Inside a transaction the attempt is fenced by a savepoint, so that
    a refusal leaves the transaction as it was; any other error (a lost connection, an
    aborted transaction) is raised as Django raises database errors. Through the raw cursor:
    these statements are not the application's queries (query counts do not see them)."""
    fenced = not connection.get_autocommit()
    with connection.wrap_database_errors:
        if fenced:
            raw_cursor.execute("SAVEPOINT hotline_prepare")
        try:
            raw_cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        except connection.Database.Error as error:
            # Class 42: the statement itself (syntax, a parameter of no type). Anything else
            # is not about preparing it.
            if not (getattr(error, "pgcode", None) or "").startswith("42"):
                raise
            if fenced:
                raw_cursor.execute("ROLLBACK TO SAVEPOINT hotline_prepare")
                raw_cursor.execute("RELEASE SAVEPOINT hotline_prepare")
            return False
        raw_cursor.execute(
            "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s", [name]
        )
        fits = _inferred_types_fit(params, raw_cursor.fetchone()[0] or [])
        if not fits:
            raw_cursor.execute(f"DEALLOCATE {name}")
        if fenced:
            raw_cursor.execute("RELEASE SAVEPOINT hotline_prepare")
    return fits


@contextlib.contextmanager
def prepared_statements(using=DEFAULT_DB_ALIAS):
    """Inside the block, every single statement the ORM sends through `using` runs as a
    statement prepared once per connection (named by its SQL), on PostgreSQL: for the reads
    that repeat with new values on every request (a case, the case queue). A statement
    PostgreSQL will not prepare, or whose parameters it would read differently, runs as it
    is."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return

    def through_prepared(execute, sql, params, many, context):
        raw_cursor = context["cursor"].cursor
        if (
            many
            or getattr(raw_cursor, "name", None)  # a server-side cursor: DECLARE ... FOR
            or "%%" in sql
            or "%(" in sql
            or not sql.startswith(PREPARABLE)
        ):
            return execute(sql, params, many, context)
        prepared, refused = _session_state(connection)
        name = "hotline_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()
        if name not in prepared:
            if name in refused or len(prepared) >= MAX_PREPARED:
                return execute(sql, params, many, context)
            if not _prepare(connection, raw_cursor, name, sql, list(params or ())):
                if len(refused) < MAX_PREPARED:
                    refused.add(name)
                return execute(sql, params, many, context)
            prepared.add(name)
        return execute(_execute_sql(name, params), params, many, context)

    with connection.execute_wrapper(through_prepared):
        yield


# --- One row by a unique value, from SQL compiled once per shape ---------------------------
#
# Reading one record through the API built the scoped queryset (the access rule, the joins,
# the lookup) and compiled it on every request: more of the request's time than running the
# query. For a given shape (the viewset, the rule's values, the lookup field) only the looked
# up value changes, so the compiled statement is kept and run again with that one parameter
# changed, through the ORM's own compiler (the same columns, converters and instances).


class _CompiledLookup:
    """A compiler whose statement was compiled with a sentinel value, and where the
    sentinel sits among its parameters."""

    def __init__(self, queryset, sentinel):
        self.queryset = queryset
        self.compiler = queryset.query.clone().get_compiler(using=queryset.db)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # a rule that admits nothing: no statement to keep
            self.position = None
            return
        self.params = list(params)
        positions = [
            index
            for index, param in enumerate(self.params)
            if type(param) is type(sentinel) and param == sentinel
        ]
        self.position = positions[0] if len(positions) == 1 else None

    def rows(self, value):
        params = list(self.params)
        params[self.position] = value
        compiler = self.compiler
        # The ORM's iteration (ModelIterable) runs this compiler's statement: as_sql() gives
        # the statement compiled once, with this request's value.
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        queryset = self.queryset._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


class _NotCompiled:
    position = None


_NOT_COMPILED = _NotCompiled()


class CompiledLookups:
    """The row whose unique field equals a value, from `build(value)` (a queryset of at most
    one row) compiled once per `key`: `key` must name everything besides the value that
    shapes the statement. A queryset whose compiled parameters do not hold the value as it
    was given (the field converts it) is run through the ORM every time."""

    SENTINELS = {str: "\x00hotline-lookup\x00", int: -7_919_271_931}

    def __init__(self, maxsize=1024):
        self.maxsize = maxsize
        self._compiled = {}

    def get(self, key, model, build, value):
        """The rows (at most one) of `build(value)`, a queryset of `model`."""
        sentinel = self.SENTINELS.get(type(value))
        if sentinel is None:
            return list(build(value))
        # Connections are per thread, and so is each compiled statement.
        key = (key, type(value), connections[router.db_for_read(model)])
        compiled = self._compiled.get(key)
        if compiled is None:
            try:
                compiled = _CompiledLookup(build(sentinel), sentinel)
            except (TypeError, ValueError, ValidationError):
                # A field that refuses the sentinel (a UUID, ...): the ORM every time, so that
                # a value it accepts is still found.
                compiled = _NOT_COMPILED
            if len(self._compiled) >= self.maxsize:
                self._compiled.clear()
            self._compiled[key] = compiled
        if compiled.position is None:
            return list(build(value))
        return compiled.rows(value)


# --- A list's first page, from what was built and compiled once per request shape ----------
#
# The first page of a list (the queue a client polls) was built on every request: the access
# rule, the filters' form and querysets, the ordering, then the statement compiled, together
# more than half of what the request cost. For requests of the same shape (the resource,
# the access rule's values, the same query string) all of that comes out the same, so the
# filtered queryset and the statement its page ran are kept and run again, through the
# ORM's own compiler (the same columns, converters and rows). Only for query strings whose
# statement depends on nothing but the string itself (ScopedViewSet.pages_kept_for says
# which).


class _PageRun:
    """One request's use of a kept entry: its first compiled query is the page's."""

    def __init__(self, entry):
        self.entry = entry
        self.done = False


class _PageQuery(Query):
    """A Query whose first compilation in a request is the kept statement (or, the first
    time, is kept). Clones keep the class and the request's run (Query.clone copies both)."""

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        run = self.__dict__.get("_hotline_run")
        if run is None or run.done:
            return super().get_compiler(using, connection, elide_empty)
        run.done = True
        entry = run.entry
        if entry.compiler is not None:
            return entry.compiler
        compiler = super().get_compiler(using, connection, elide_empty)
        compile_once = compiler.as_sql

        def as_sql(*args, **kwargs):
            sql, params = compile_once(*args, **kwargs)
            if not args and not kwargs:
                kept = (sql, tuple(params))
                compiler.as_sql = lambda *args, **kwargs: kept
                entry.compiler = compiler
            return sql, params

        compiler.as_sql = as_sql
        return compiler


class _PageEntry:
    def __init__(self, queryset):
        self.queryset = queryset
        self.compiler = None


class CompiledPages:
    """Filtered querysets kept per request shape, with the statement of the page each ran."""

    def __init__(self, maxsize=1024):
        self.maxsize = maxsize
        self._entries = {}

    def queryset(self, key, model, build):
        """build() (the filtered rows), or for a `key` seen before, a copy of what it built
        then, whose page runs the statement compiled then. `key` must name everything that
        shapes the statement."""
        key = (key, connections[router.db_for_read(model)])
        entry = self._entries.get(key)
        if entry is None:
            entry = _PageEntry(build())
            if len(self._entries) >= self.maxsize:
                self._entries.clear()
            self._entries[key] = entry
        queryset = entry.queryset._chain()
        queryset.query.__class__ = _PageQuery
        queryset.query._hotline_run = _PageRun(entry)
        return queryset
