"""SQLAlchemy models declared to provision, created and migrated by the server.

    import provision_sqlalchemy
    provision_sqlalchemy.create_all(Base.metadata, engine)   # instead of Base.metadata.create_all(engine)

The MetaData is rendered by SQLAlchemy's own PostgreSQL DDL compiler: the
very statements ``metadata.create_all(checkfirst=False)`` would execute
(``CreateTable``, ``CreateIndex``, ``CreateSequence``, the dialect's
``CreateEnumType``, ``SetTableComment``, ``SetColumnComment``,
``AddConstraint`` for ``use_alter`` foreign keys, and any ``DDL`` attached to
the metadata's events) are compiled into one script and passed, as a bound
parameter, to the server's ``provision_load()``, which parses it and
declares every object as a model.  Nothing here renders SQL by hand; the
server decides what exists, what differs and what to run.

Schemas are not declared: SQLAlchemy does not model them (a schema is only
a name on a Table, Sequence or Enum), so a declaration would assert what
the application never said (no comment: PostgreSQL's own comment on
``public`` would then show as drift).  provision creates a missing schema
along with the first object in it.

Every function takes ``bind``: an ``Engine`` (the work runs in a transaction
of its own, committed), a ``Connection`` (inside its transaction when one is
open, which the caller then commits; else in one it begins and commits) or
an ORM ``Session`` (inside the session's transaction).  Errors raised by the
server propagate as SQLAlchemy's own exceptions (``sqlalchemy.exc.DBAPIError``
subclasses) with an added ``sqlstate`` attribute; see :func:`sqlstate`.
"""

import collections
import contextlib
import importlib
import logging

import sqlalchemy
from sqlalchemy import exc, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "render", "declare", "create_all", "diff", "plan", "migrate", "apply",
    "has_apply", "sqlstate", "Declared", "Provisioned", "Step", "Change",
]
__version__ = "0.1.0"

log = logging.getLogger("provision_sqlalchemy")

#: a row of provision_load(): kind (schema, enum, sequence, table, index, ...),
#: the object's qualified name, and declared / replaced / unchanged (or
#: ``forgotten`` for an index model dropped from the metadata, see declare())
Declared = collections.namedtuple("Declared", "kind object action")
#: a row of provision_all(): a table and what was done (created / exists)
Provisioned = collections.namedtuple("Provisioned", "table_name action")
#: a statement a migration ran, and the model it belongs to
Step = collections.namedtuple("Step", "table_name ddl")

# provision_diff()'s columns as of 1.2; `blocking` arrives with online
# migrations and is None where the server does not report it.  Columns are
# read by name: a server that returns more gets them appended.
_CHANGE_FIELDS = ("table_name", "change", "object", "declared", "actual", "safe",
                  "ddl", "blocking")
_change_types = {}


def _change_type(fields):
    t = _change_types.get(fields)
    if t is None:
        t = collections.namedtuple("Change", fields)
        _change_types[fields] = t
    return t


#: a row of provision_diff() as a named tuple (the type for the 1.2 columns)
Change = _change_type(_CHANGE_FIELDS)


# --------------------------------------------------------------------- errors

def sqlstate(error):
    """The SQLSTATE of a server error, from a SQLAlchemy exception or a
    DB-API one (psycopg2's ``pgcode``, psycopg 3's ``sqlstate``), else None."""
    code = getattr(error, "sqlstate", None)
    if isinstance(code, str):
        return code
    orig = getattr(error, "orig", error)
    for attr in ("pgcode", "sqlstate"):
        code = getattr(orig, attr, None)
        if isinstance(code, str):
            return code
    diag = getattr(orig, "diag", None)
    return getattr(diag, "sqlstate", None)


@contextlib.contextmanager
def _server_errors():
    """Server errors go through untouched, with their SQLSTATE attached."""
    try:
        yield
    except exc.DBAPIError as e:
        try:
            e.sqlstate = sqlstate(e.orig)
        except AttributeError:
            pass
        raise


# ------------------------------------------------------------- transactions

def _connection_of(bind):
    if isinstance(bind, (Engine, Connection)):
        return bind
    connection = getattr(bind, "connection", None)     # an ORM Session
    if callable(connection):
        return connection()
    raise TypeError("bind must be an Engine, a Connection or a Session, not %r" % (bind,))


@contextlib.contextmanager
def _transaction(bind):
    """A connection in a transaction that commits when the block succeeds:
    an Engine's own, a Connection's open one (the caller commits it), or
    one begun on a Connection that had none."""
    bind = _connection_of(bind)
    with _server_errors():
        if isinstance(bind, Engine):
            with bind.begin() as conn:
                yield conn
        elif bind.in_transaction():
            yield bind
        else:
            with bind.begin():
                yield bind


@contextlib.contextmanager
def _scratch(bind):
    """A connection in a transaction (or a savepoint of the caller's) that
    is always rolled back: declarations made in it to compare or plan
    leave nothing behind."""
    bind = _connection_of(bind)
    with _server_errors():
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                trans = conn.begin()
                try:
                    yield conn
                finally:
                    trans.rollback()
        else:
            trans = bind.begin_nested() if bind.in_transaction() else bind.begin()
            try:
                yield bind
            finally:
                if trans.is_active:
                    trans.rollback()


def _dbapi_connection(conn):
    fairy = conn.connection
    return getattr(fairy, "dbapi_connection", None) or getattr(fairy, "connection", fairy)


class _Collector(object):
    __slots__ = ("append",)

    def __init__(self, into):
        self.append = into.append


@contextlib.contextmanager
def _notices(conn, into=None):
    """The server's NOTICEs during the block, logged (INFO) and appended to
    `into`: psycopg2 (its ``notices`` list) and psycopg 3 (a notice
    handler); other drivers keep theirs."""
    got = []
    raw = _dbapi_connection(conn)
    if hasattr(raw, "add_notice_handler"):                      # psycopg 3
        def handler(diag):
            got.append("%s:  %s" % (diag.severity, diag.message_primary))
        raw.add_notice_handler(handler)
        try:
            yield got
        finally:
            raw.remove_notice_handler(handler)
    elif isinstance(getattr(raw, "notices", None), list):       # psycopg2
        # an object with append() only: psycopg2 appends to it, and
        # SQLAlchemy's dialect (which logs and clears an iterable list)
        # leaves it alone
        saved = raw.notices
        raw.notices = _Collector(got)
        try:
            yield got
        finally:
            raw.notices = saved
    else:
        yield got
    for n in got:
        log.info("%s", n.strip())
    if into is not None:
        into.extend(n.strip() for n in got)


def _ext(conn):
    """The schema provision's functions live in, quoted, with a dot: the
    calls never depend on search_path.  Empty when the extension is not
    installed: the unqualified call then fails with the server's own error
    (42883, function does not exist)."""
    name = conn.execute(text(
        "SELECT n.nspname FROM pg_catalog.pg_extension e"
        " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
        " WHERE e.extname OPERATOR(pg_catalog.=) 'provision'")).scalar()
    if name is None:
        return ""
    return conn.dialect.identifier_preparer.quote_schema(name) + "."


# ----------------------------------------------------------------- rendering

def _metadata(metadata):
    """A MetaData, or "package.module:attr.attr" naming one (for migration
    scripts), or a declarative base (its .metadata)."""
    if isinstance(metadata, str):
        module, _, attrs = metadata.partition(":")
        obj = importlib.import_module(module)
        for a in filter(None, attrs.split(".")):
            obj = getattr(obj, a)
        metadata = obj
    if not isinstance(metadata, sqlalchemy.MetaData):
        metadata = getattr(metadata, "metadata", metadata)
    if not isinstance(metadata, sqlalchemy.MetaData):
        raise TypeError("expected a MetaData, got %r" % (metadata,))
    return metadata


def _compile_dialect(bind):
    # paramstyle "named": with psycopg2's default "pyformat" the compiler
    # doubles every % for the driver's interpolation, and a DEFAULT '50%'
    # would reach provision_load() as '50%%'
    dialect = postgresql.dialect(paramstyle="named")
    src = getattr(bind, "dialect", None)
    if src is not None and getattr(src, "name", None) == "postgresql":
        version = getattr(src, "server_version_info", None)
        if version:
            dialect.server_version_info = version
    return dialect


def _translate_map(bind, schema):
    m = {}
    if bind is not None:
        try:
            opts = _connection_of(bind).get_execution_options()
        except (AttributeError, TypeError):
            opts = {}
        m.update(opts.get("schema_translate_map") or {})
    if schema is not None:
        m[None] = schema
    return m


def _statements(metadata, bind=None, schema=None):
    """The DDL elements create_all() would execute, compiled."""
    elements = []

    def executor(element, *multiparams, **params):
        elements.append(element)

    mock = sqlalchemy.create_mock_engine("postgresql://", executor)
    metadata.create_all(mock, checkfirst=False)

    dialect = _compile_dialect(bind)
    tmap = _translate_map(bind, schema)
    kw = {}
    if tmap:
        kw = {"schema_translate_map": tmap, "render_schema_translate": True}
    out = [str(el.compile(dialect=dialect, **kw)) for el in elements]
    return [s.strip().rstrip(";").strip() for s in out]


def render(metadata, bind=None, schema=None):
    """The MetaData as one DDL script, the way provision_load() receives it.

    `schema`: where objects without a schema of their own go (like
    ``schema_translate_map={None: schema}``); a ``schema_translate_map`` set
    on `bind`'s execution options is honoured as create_all() honours it."""
    metadata = _metadata(metadata)
    stmts = _statements(metadata, bind, schema)
    head = "-- provision_sqlalchemy %s, SQLAlchemy %s: %d statements\n" % (
        __version__, sqlalchemy.__version__, len(stmts))
    return head + "".join(s + ";\n\n" for s in stmts)


# --------------------------------------------------------------- declaring

def _load(conn, ext, script, skip_unsupported, prune):
    rows = conn.execute(
        text("SELECT kind, object, action FROM %sprovision_load(:script, :skip)" % ext),
        {"script": script, "skip": bool(skip_unsupported)}).mappings().all()
    declared = [Declared(r["kind"], r["object"], r["action"]) for r in rows]
    if prune:
        declared += _prune_indexes(conn, ext, declared)
    return declared


def _prune_indexes(conn, ext, declared):
    """A table's indexes are what the metadata says: index models of the
    declared tables that the metadata no longer has are forgotten (never
    dropped), so diff() shows them as index_extra and migrate() with
    allow_destructive drops them, as Alembic would."""
    tables = [d.object for d in declared if d.kind in ("table", "partition")]
    indexes = [d.object for d in declared if d.kind == "index"]
    if not tables:
        return []
    stale = conn.execute(text(
        "SELECT pg_catalog.quote_ident(o.schema_name) OPERATOR(pg_catalog.||) '.'"
        "       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(o.object_name) AS name"
        "  FROM %sprovision_objects o"
        " WHERE o.kind OPERATOR(pg_catalog.=) 'index'"
        "   AND pg_catalog.quote_ident(o.table_schema) OPERATOR(pg_catalog.||) '.'"
        "       OPERATOR(pg_catalog.||) pg_catalog.quote_ident(o.table_name)"
        "       OPERATOR(pg_catalog.=) ANY (CAST(:tables AS pg_catalog.text[]))"
        " ORDER BY 1" % ext), {"tables": tables}).scalars().all()
    out = []
    keep = set(indexes)
    for name in stale:
        if name not in keep:
            conn.execute(text("SELECT %sprovision_forget_object('index', :name)" % ext),
                         {"name": name})
            out.append(Declared("index", name, "forgotten"))
    return out


def declare(metadata, bind, schema=None, skip_unsupported=False, prune=True):
    """Declares every object of the MetaData as a provision model, in one
    transaction, and returns provision_load()'s rows as :class:`Declared`.

    Creates nothing (see create_all()).  `skip_unsupported`: statements
    provision does not model (a ``DDL("CREATE FUNCTION ...")`` attached to
    an event) are skipped with a NOTICE instead of failing with 0A000.
    `prune`: index models of the declared tables that the metadata no
    longer has are forgotten (the index itself stays)."""
    script = render(metadata, bind, schema)
    with _transaction(bind) as conn:
        return _load(conn, _ext(conn), script, skip_unsupported, prune)


def _provision_all(conn, ext, notices=None):
    with _notices(conn, notices):
        rows = conn.execute(text("SELECT table_name, action FROM %sprovision_all()" % ext)).mappings().all()
    return [Provisioned(r["table_name"], r["action"]) for r in rows]


def create_all(metadata, bind, schema=None, skip_unsupported=False, prune=True):
    """``metadata.create_all(bind)`` through provision: declares the
    MetaData and runs provision_all() in the same transaction.  Creates
    every declared object that is missing (schemas, enum types, sequences,
    tables, indexes, foreign keys, comments) in dependency order, under
    provision's name locks, so any number of processes may run it at once:
    one creates, the others find everything there.  Returns the tables it
    created (:class:`Provisioned` rows, empty when nothing was missing); the
    count of the other kinds is logged from provision_all()'s NOTICE.
    Existing tables are never changed: see diff() and migrate()."""
    script = render(metadata, bind, schema)
    with _transaction(bind) as conn:
        ext = _ext(conn)
        _load(conn, ext, script, skip_unsupported, prune)
        return [r for r in _provision_all(conn, ext) if r.action == "created"]


# ------------------------------------------------------------------- drift

def _changes(conn, ext, declared):
    """provision_diff()'s rows about the declared objects, in its order."""
    scope = set(d.object for d in declared)
    result = conn.execute(text("SELECT * FROM %sprovision_diff()" % ext))
    keys = tuple(result.keys())
    fields = _CHANGE_FIELDS + tuple(k for k in keys if k not in _CHANGE_FIELDS)
    ctype = _change_type(fields)
    out = []
    for r in result.mappings():
        if r["table_name"] in scope:
            out.append(ctype(*[r.get(f) for f in fields]))
    return out


def _objects_to_migrate(declared, changes):
    """The objects with changes, in the order the script declared them
    (SQLAlchemy's creation order: types and sequences before the tables
    using them, referenced tables first); schemas are created along with
    their first object."""
    changed = set(c.table_name for c in changes)
    kinds = dict((d.object, d.kind) for d in declared)
    out = []
    for d in declared:
        if d.object in changed and kinds.get(d.object) != "schema" and d.object not in out:
            out.append(d.object)
    for c in changes:           # reported on a name the script did not declare
        if c.table_name not in out and kinds.get(c.table_name) != "schema":
            out.append(c.table_name)
    return out


def diff(metadata, bind, schema=None, skip_unsupported=False, prune=True):
    """What differs between the MetaData and the database, as provision sees
    it: the rows of provision_diff() about the metadata's objects, as named
    tuples (table_name, change, object, declared, actual, safe, ddl,
    blocking).  Empty: no drift.  The declaration is made in a transaction
    (or savepoint) that is rolled back: diff() changes nothing."""
    script = render(metadata, bind, schema)
    with _scratch(bind) as conn:
        ext = _ext(conn)
        declared = _load(conn, ext, script, skip_unsupported, prune)
        return _changes(conn, ext, declared)


def plan(metadata, bind, schema=None, skip_unsupported=False, prune=True, online=False):
    """The statements migrate() would run, in order (provision_plan() of
    each object with changes); changes nothing.  `online`: those apply()
    would run instead, where the server has online migrations."""
    if online and not has_apply(bind):
        raise NotImplementedError(
            "this server's provision has no online migrations (provision_apply()): plan(online=False)")
    script = render(metadata, bind, schema)
    with _scratch(bind) as conn:
        ext = _ext(conn)
        declared = _load(conn, ext, script, skip_unsupported, prune)
        call = "SELECT * FROM %sprovision_plan(:name%s)" % (ext, ", online => true" if online else "")
        out = []
        for name in _objects_to_migrate(declared, _changes(conn, ext, declared)):
            result = conn.execute(text(call), {"name": name})
            # provision_plan() returns its statements, or, with online
            # migrations, rows of (plan, step, table_name, ddl, blocking)
            if "ddl" in result.keys():
                out += [r["ddl"] for r in result.mappings()]
            else:
                out += result.scalars().all()
        return out


def migrate(metadata, bind, allow_destructive=False, schema=None, skip_unsupported=False,
            prune=True):
    """Brings the database in line with the MetaData, in one transaction:
    declares it, then runs provision_migrate() for each of the metadata's
    objects that differs (missing ones are created), in the order
    SQLAlchemy creates them: types and sequences before the tables using
    them, referenced tables first.  Unsafe changes (drops, narrowing, ...)
    need `allow_destructive`; without it the server refuses with 55000 and
    nothing is applied.  Returns the statements run, as :class:`Step`
    rows: what plan() listed."""
    script = render(metadata, bind, schema)
    steps = []
    with _transaction(bind) as conn:
        ext = _ext(conn)
        declared = _load(conn, ext, script, skip_unsupported, prune)
        for name in _objects_to_migrate(declared, _changes(conn, ext, declared)):
            with _notices(conn):
                rows = conn.execute(
                    text("SELECT table_name, ddl FROM %sprovision_migrate(:name, :destructive)" % ext),
                    {"name": name, "destructive": bool(allow_destructive)}).mappings().all()
            steps += [Step(r["table_name"], r["ddl"]) for r in rows]
        return steps


# ------------------------------------------------------------------ online

def has_apply(bind):
    """Whether the server's provision has CALL provision_apply() (online
    migrations)."""
    with _scratch(bind) as conn:
        ext = _ext(conn)
        return conn.execute(text("SELECT pg_catalog.to_regprocedure(:sig) IS NOT NULL"),
                            {"sig": ext + "provision_apply(text,boolean)"}).scalar()


def apply(metadata, bind, allow_destructive=False, schema=None, skip_unsupported=False,
          prune=True):
    """Brings live tables in line with the MetaData online: declares it (a
    transaction of its own, committed), then runs
    ``CALL provision_apply(name, allow_destructive)`` for each object that
    differs (missing ones are created) on a connection in autocommit mode,
    in the order migrate() takes them: every step of the server's
    online plan commits on its own, no step blocks readers or writers for
    longer than a catalog update.  Resumable: after an interruption, call it
    again.  `bind` must be an Engine, or a Connection outside a
    transaction: in one, the declaration joins it and the server refuses
    the CALL with 25001 (the caller's transaction is never committed or
    switched to autocommit behind its back).  Returns the server's NOTICEs
    (one or more per step).  NotImplementedError when the server's
    provision has no provision_apply(): use migrate()."""
    if not has_apply(bind):
        raise NotImplementedError(
            "this server's provision has no provision_apply() (online migrations): use migrate()")
    script = render(metadata, bind, schema)
    with _transaction(bind) as conn:
        ext = _ext(conn)
        declared = _load(conn, ext, script, skip_unsupported, prune)
        names = _objects_to_migrate(declared, _changes(conn, ext, declared))
    notices = []
    if not names:
        return notices
    bind = _connection_of(bind)
    with _server_errors():
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                _call_apply(conn.execution_options(isolation_level="AUTOCOMMIT"), ext, names,
                            allow_destructive, notices)
        elif bind.in_transaction():
            _call_apply(bind, ext, names, allow_destructive, notices)     # 25001
        else:
            level = bind.get_isolation_level()
            conn = bind.execution_options(isolation_level="AUTOCOMMIT")
            try:
                _call_apply(conn, ext, names, allow_destructive, notices)
            finally:
                bind.execution_options(isolation_level=level)
    return notices


def _call_apply(conn, ext, names, allow_destructive, notices):
    for name in names:
        with _notices(conn, notices):
            conn.execute(text("CALL %sprovision_apply(:name, :destructive)" % ext),
                         {"name": name, "destructive": bool(allow_destructive)})
