#!/usr/bin/python3
"""provision benchmark: provision_all()/provision_diff() against plain SQL,
SQLAlchemy create_all() and Alembic's compare_metadata().

Run by bench/run.sh inside a throwaway cluster (pg_virtualenv); connects with
the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD) to a database it
creates itself.  Every contender uses one client connection, opened fresh for
each (scenario, N, contender), and is timed on the client with
time.perf_counter() around the full round trip of its statement(s).

Scenarios, on the same declared tables bench.t1 .. bench.tN:
  create  create schema and N tables from nothing, one transaction each
  noop    the same again when everything exists
  drift   check the N tables against their declaration, no drift present
  race    8 sessions x 100 rounds provisioning the same schema and table
  schema  a whole schema of 500 tables and 1,000 indexes from pg_dump:
          provision_load + provision_all against psql -f, no-op and diff
          against Alembic (bench/whole_schema.py)
  python  the Python path, at N in --python-sizes (default 1000), on the same
          tables as SQLAlchemy models in schema pybench: the bridge's
          provision_sqlalchemy.create_all() (render, provision_load(),
          provision_all()) against metadata.create_all(), from nothing and
          as a no-op, and provision_sqlalchemy.diff() against Alembic's
          compare_metadata()
"""

import argparse
import csv
import datetime
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errors
import sqlalchemy
from sqlalchemy import (Column, DateTime, Integer, MetaData, String, Table,
                        Text, create_engine, text)
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateSchema

import alembic
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from whole_schema import WholeSchema
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import provision_sqlalchemy  # noqa: E402  (the bridge, from the tree)

SCHEMA = "bench"
PY_SCHEMA = "pybench"      # the Python path's tables: declared by the bridge
BODY = ("id integer primary key, username varchar(50) not null, "
        "password text, created timestamptz default now()")

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------
# connections

class DB:
    def __init__(self, dbname):
        self.dbname = dbname

    def connect(self, autocommit=True, quiet=True):
        conn = psycopg2.connect(dbname=self.dbname)
        conn.autocommit = autocommit
        if quiet:
            # no NOTICE flood from IF NOT EXISTS; set for every contender
            with conn.cursor() as cur:
                cur.execute("SET client_min_messages = warning")
            if not autocommit:
                conn.commit()
        return conn

    def engine(self):
        """A SQLAlchemy engine holding exactly one DBAPI connection."""
        return create_engine("postgresql+psycopg2://",
                             creator=lambda: self.connect(autocommit=False),
                             poolclass=StaticPool)


def fs_of(path):
    """Filesystem type of the mount holding path (from /proc/mounts)."""
    best, fstype = "", "?"
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mnt = parts[1]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, fstype = mnt, parts[2]
    except OSError:
        pass
    return fstype


def file_md5(path):
    import hashlib
    try:
        with open(path, "rb") as f:
            return hashlib.md5(f.read()).hexdigest()
    except OSError:
        return None


def installed_so():
    """The provision.so every new backend loads ($libdir/provision)."""
    try:
        libdir = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--pkglibdir"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        libdir = "/usr/lib/postgresql/15/lib"
    return os.path.join(libdir, "provision.so")


def git_state():
    """Commit of the tree that was built, and the files under src/ (and the
    install scripts) that differ from it."""
    def git(*a):
        try:
            return subprocess.run(["git", "-C", os.path.dirname(HERE)] + list(a),
                                  capture_output=True, text=True, check=True).stdout.rstrip("\n")
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = [l[3:] for l in git("status", "--porcelain", "--", "src", "provision--*",
                                "provision.control", "Makefile").splitlines()]
    return head, dirty


def q(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        if cur.description is not None:
            return cur.fetchall()
        return None


def timed(fn):
    t0 = time.perf_counter()
    res = fn()
    return time.perf_counter() - t0, res


# --------------------------------------------------------------------------
# the workload

def table_names(n):
    return ["t%d" % i for i in range(1, n + 1)]


def create_batch(n, if_not_exists):
    ine = " IF NOT EXISTS" if if_not_exists else ""
    parts = ["CREATE SCHEMA%s %s;" % (ine, SCHEMA)]
    for t in table_names(n):
        parts.append("CREATE TABLE%s %s.%s (%s);" % (ine, SCHEMA, t, BODY))
    return "\n".join(parts)


def do_block(n):
    # the seed's pattern, server side: information_schema checks per table
    return """
DO $do$
DECLARE
    i integer;
BEGIN
    FOR i IN 1..%d LOOP
        IF NOT EXISTS (SELECT 1 FROM information_schema.schemata
                        WHERE schema_name = '%s') THEN
            EXECUTE 'CREATE SCHEMA %s';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM information_schema.tables
                        WHERE table_schema = '%s' AND table_name = 't' || i) THEN
            EXECUTE format('CREATE TABLE %s.%%I (%s)', 't' || i);
        END IF;
    END LOOP;
END
$do$""" % (n, SCHEMA, SCHEMA, SCHEMA, SCHEMA, BODY)


def sqla_metadata(n, schema=SCHEMA):
    """The same tables as SQLAlchemy models.  autoincrement=False: without it
    an integer primary key becomes SERIAL, which is not the declared table.
    server_default=text('now()') reflects back as now() (no spurious
    server-default diff); String(50)/Text/DateTime(timezone=True) reflect
    as VARCHAR(50)/TEXT/TIMESTAMP(timezone=True)."""
    md = MetaData()
    for t in table_names(n):
        Table(t, md,
              Column("id", Integer, primary_key=True, autoincrement=False),
              Column("username", String(50), nullable=False),
              Column("password", Text),
              Column("created", DateTime(timezone=True),
                     server_default=text("now()")),
              schema=schema)
    return md


def sqla_create_all(engine, md, schema=SCHEMA):
    # what an application does: make the schema if missing, then create_all
    # (checkfirst=True, the default), all in one transaction
    with engine.begin() as conn:
        if not conn.dialect.has_schema(conn, schema):
            conn.execute(CreateSchema(schema))
        md.create_all(conn)


def alembic_opts(schema=SCHEMA):
    def include_name(name, type_, parent_names):
        if type_ == "schema":
            return name == schema
        return True
    return {
        "include_schemas": True,
        "include_name": include_name,
        # compare what provision_diff compares: types and defaults too
        "compare_type": True,
        "compare_server_default": True,
    }


def alembic_compare(engine, md, schema=SCHEMA):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts=alembic_opts(schema))
        return compare_metadata(ctx, md)


# --------------------------------------------------------------------------
# state management (never timed)

class Bench:
    def __init__(self, args):
        self.args = args
        self.db = DB(args.dbname)
        self.admin = None
        self.declared = 0
        self.results = []       # (scenario, contender, n, median, runs, times)
        self.notes = []
        self.race = []
        self.sanity_done = False
        self.whole = None       # WholeSchema, when the schema scenario ran

    def setup(self):
        # the build being measured: a `make install` by someone else during
        # the run would make later connections load another library
        self.so_path = installed_so()
        self.so_md5 = file_md5(self.so_path)
        self.git_head, self.git_dirty = git_state()
        c = psycopg2.connect(dbname=self.args.maintenance_db)
        c.autocommit = True
        q(c, "DROP DATABASE IF EXISTS %s" % self.args.dbname)
        q(c, "CREATE DATABASE %s" % self.args.dbname)
        c.close()
        self.admin = self.db.connect()
        q(self.admin, "CREATE EXTENSION provision")
        self.pinned = os.environ.get("BENCH_PROVISION_SO")
        if self.pinned:
            # bench/run.sh's private copy of the library it built: every
            # backend of this database loads it, whatever `make install`
            # others run meanwhile (the throwaway cluster's catalog only)
            with self.admin.cursor() as cur:
                cur.execute("UPDATE pg_proc SET probin = %s WHERE probin = '$libdir/provision'",
                            (self.pinned,))
                assert cur.rowcount > 0
            self.so_path = self.pinned
            self.so_md5 = file_md5(self.pinned)
            self.admin.close()
            self.admin = self.db.connect()
            got = q(self.admin, "SELECT DISTINCT probin FROM pg_proc WHERE probin LIKE '%%provision%%'")
            assert got == [(self.pinned,)], got
        self.server_version = q(self.admin, "SHOW server_version")[0][0]
        self.settings = dict(q(self.admin, """
            SELECT name, current_setting(name) FROM pg_settings
             WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
                            'shared_buffers', 'max_locks_per_transaction',
                            'autovacuum', 'max_wal_size')"""))
        self.data_fs = fs_of(q(self.admin, "SHOW data_directory")[0][0])
        self.ext_version = q(self.admin,
                             "SELECT extversion FROM pg_extension WHERE extname = 'provision'")[0][0]
        # precondition the catalogs: the first tables ever created in a new
        # database extend pg_class, pg_attribute, pg_depend, ... page by page
        # and are slower than later ones; create and drop the largest N once
        # so that every timed run finds the catalogs at their working size
        n = max(self.args.sizes)
        t0 = time.perf_counter()
        q(self.admin, create_batch(n, False))
        self.reset()
        log("catalogs preconditioned: %d tables created and dropped (%.0f s, untimed)" % (
            n, time.perf_counter() - t0))

    # connections to the other databases of the whole-schema scenario
    def connect_maintenance(self):
        c = psycopg2.connect(dbname=self.args.maintenance_db)
        c.autocommit = True
        return c

    def connect_db(self, dbname):
        return DB(dbname).connect()

    def engine_for(self, dbname):
        return DB(dbname).engine()

    def alembic_compare(self, engine, md, schema):
        return alembic_compare(engine, md, schema)

    def declare(self, n):
        """Exactly bench.t1 .. bench.tN declared (N only grows)."""
        assert n >= self.declared
        if n > self.declared:
            q(self.admin, "BEGIN")
            with self.admin.cursor() as cur:
                for i in range(self.declared + 1, n + 1):
                    cur.execute("SELECT provision_define(%s, %s)",
                                ("%s.t%d" % (SCHEMA, i), BODY))
            q(self.admin, "COMMIT")
            self.declared = n
        cnt = q(self.admin, "SELECT count(*) FROM provision_models")[0][0]
        assert cnt == n, "registry holds %d models, expected %d" % (cnt, n)

    def reset(self):
        """Back to nothing: no bench schema, catalogs vacuumed."""
        q(self.admin, "DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)
        q(self.admin, "VACUUM")
        q(self.admin, "CHECKPOINT")

    def ensure_created(self, n):
        self.reset()
        r = q(self.admin, "SELECT count(*) FROM provision_all()")[0][0]
        assert r == n
        q(self.admin, "VACUUM ANALYZE")
        q(self.admin, "CHECKPOINT")
        self.history = q(self.admin, "SELECT count(*) FROM provision_history")[0][0]

    def count_tables(self):
        return q(self.admin, """SELECT count(*) FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '%s' AND c.relkind = 'r'""" % SCHEMA)[0][0]

    def runs_for(self, n):
        return self.args.runs_small if n <= 1000 else self.args.runs_large

    def record(self, scenario, contender, n, times):
        med = statistics.median(times)
        self.results.append((scenario, contender, n, med, len(times), times))
        log("    %-8s %-22s N=%-6d median %10.4f s  runs %s" % (
            scenario, contender, n, med,
            " ".join("%.4f" % t for t in times)))

    def interleave(self, scenario, n, contenders, reset_each=False, check=None, reset=None):
        """Timed runs, the contenders taking turns (run 1 of each, then run 2
        of each, ..., the order rotated every round), so that a passing
        burst of load on the machine hits all of them alike.
        contenders: (name, fn, runs); fn() is timed, check() after it is not."""
        times = {name: [] for name, _, _ in contenders}
        rounds = max(r for _, _, r in contenders)
        for i in range(rounds):
            k = i % len(contenders)
            for name, fn, runs in contenders[k:] + contenders[:k]:
                if i >= runs:
                    continue
                if reset_each:
                    (reset or self.reset)()
                t, _ = timed(fn)
                if check:
                    check()
                times[name].append(t)
        if reset_each:
            (reset or self.reset)()
        for name, _, _ in contenders:
            self.record(scenario, name, n, times[name])

    # ---------------------------------------------------------------- create

    def bench_create(self, n, md):
        runs = self.runs_for(n)
        batch = create_batch(n, False)
        pconn = self.db.connect()
        bconn = self.db.connect()
        engine = self.db.engine()

        def check():
            assert self.count_tables() == n

        def run_provision():
            r = q(pconn, "SELECT count(*) FROM provision_all()")[0][0]
            assert r == n

        def run_plain():
            q(bconn, batch)   # one simple-query string: one implicit transaction

        def run_sqla():
            sqla_create_all(engine, md)

        contenders = [("provision_all", run_provision, runs),
                      ("create_table_batch", run_plain, runs),
                      ("sqlalchemy_create_all", run_sqla, runs)]
        # warm-up: a full untimed run of each (then reset) up to N=1000;
        # above, a run takes many seconds and a light warm-up (the
        # connection's first call: library load, caches) is enough
        if n <= 1000:
            for _, fn, _ in contenders:
                self.reset()
                fn()
                check()
        else:
            q(pconn, "SELECT count(*) FROM provision_diff('%s.t1')" % SCHEMA)
            q(bconn, "SELECT 1")
            with engine.connect() as c:
                c.execute(text("SELECT 1"))

        self.interleave("create", n, contenders, reset_each=True, check=check)
        for c in (pconn, bconn):
            c.close()
        engine.dispose()

    # ------------------------------------------------------------------ noop

    def bench_noop(self, n, md):
        runs = self.runs_for(n)
        self.ensure_created(n)
        batch = create_batch(n, True)
        doblk = do_block(n)
        pconn = self.db.connect()
        bconn = self.db.connect()
        dconn = self.db.connect()
        engine = self.db.engine()

        def run_provision():
            r = q(pconn, "SELECT count(*) FROM provision_all()")[0][0]
            assert r == n

        contenders = [
            ("provision_all", run_provision, runs),
            ("create_if_not_exists", lambda: q(bconn, batch), runs),
            ("plpgsql_infoschema", lambda: q(dconn, doblk), runs),
            ("sqlalchemy_create_all", lambda: sqla_create_all(engine, md), runs),
        ]
        for _, fn, _ in contenders:
            fn()                                  # warm-up
        self.interleave("noop", n, contenders)
        for c in (pconn, bconn, dconn):
            c.close()
        engine.dispose()
        # nothing was created or changed
        assert self.count_tables() == n
        assert q(self.admin, "SELECT count(*) FROM pg_namespace WHERE nspname = 'bench'")[0][0] == 1
        hist = q(self.admin, "SELECT count(*) FROM provision_history")[0][0]
        assert hist == self.history, "the no-op runs wrote history: %d -> %d" % (self.history, hist)

    # ----------------------------------------------------------------- drift

    def bench_drift(self, n, md):
        runs = self.runs_for(n)
        # the tables exist (ensure_created, then only no-op runs)
        pconn = self.db.connect()
        engine = self.db.engine()

        def run_provision():
            r = q(pconn, "SELECT count(*) FROM provision_diff()")[0][0]
            assert r == 0, "provision_diff() returned %d rows" % r

        def run_alembic():
            diffs = alembic_compare(engine, md)
            assert diffs == [], "Alembic reports diffs: %r" % diffs[:5]

        arun = runs
        if n > self.args.alembic_full_max_n:
            arun = 1
        elif self.args.alembic_budget and n > 1000:
            # estimate from N=1000 (linear) whether all runs fit the budget
            prev = [r for r in self.results
                    if r[0] == "drift" and r[1] == "alembic_compare_metadata" and r[2] == 1000]
            if prev:
                est = prev[0][3] * n / 1000.0 * (runs + 1)
                if est > self.args.alembic_budget:
                    arun = 1
                    self.notes.append(
                        "Alembic at N=%d: estimated %.0f s for %d runs + warm-up, over the "
                        "%d s budget: measured 1 run, no warm-up." % (
                            n, est, runs, self.args.alembic_budget))
        if arun < runs:
            self.notes.append("Alembic at N=%d: measured %d run(s)." % (n, arun))

        rows = q(pconn, "SELECT * FROM provision_diff()")        # warm-up
        assert rows == [], "provision_diff() reports drift: %r" % rows[:5]
        if arun == runs:
            run_alembic()                                          # warm-up
        else:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))
        self.interleave("drift", n, [("provision_diff", run_provision, runs),
                                     ("alembic_compare_metadata", run_alembic, arun)])
        if not self.sanity_done:
            self.drift_sanity(engine, md)
        pconn.close()
        engine.dispose()

    def drift_sanity(self, engine, md):
        """Both contenders really look: a changed table is reported by both
        (untimed, once), and reverting it gives no diffs again."""
        t1 = "%s.t1" % SCHEMA
        q(self.admin, "ALTER TABLE %s ALTER COLUMN username TYPE varchar(60)" % t1)
        q(self.admin, "ALTER TABLE %s ADD COLUMN extra integer" % t1)
        q(self.admin, "ALTER TABLE %s ALTER COLUMN created SET DEFAULT '2000-01-01'" % t1)
        prov = q(self.admin, "SELECT change, object FROM provision_diff()")
        alem = alembic_compare(engine, md)
        q(self.admin, "ALTER TABLE %s ALTER COLUMN username TYPE varchar(50)" % t1)
        q(self.admin, "ALTER TABLE %s DROP COLUMN extra" % t1)
        q(self.admin, "ALTER TABLE %s ALTER COLUMN created SET DEFAULT now()" % t1)
        assert len(prov) == 3, "provision_diff() on a changed table: %r" % prov
        assert len(alem) == 3, "Alembic on a changed table: %r" % alem
        assert q(self.admin, "SELECT count(*) FROM provision_diff()")[0][0] == 0
        assert alembic_compare(engine, md) == []
        self.sanity_done = True
        log("    sanity: a changed bench.t1 (type, extra column, default) is reported "
            "by both: provision_diff %d rows, Alembic %d diffs; reverted: none" % (
                len(prov), len(alem)))

    # ---------------------------------------------------------------- python

    def py_reset(self):
        """Nothing of the Python path left: no pybench schema, no models of
        it (forgotten, untimed), catalogs vacuumed."""
        with self.admin.cursor() as cur:
            cur.execute("SELECT table_name FROM provision_models WHERE schema_name = %s "
                        "AND kind IN ('table', 'partition')", (PY_SCHEMA,))
            for (t,) in cur.fetchall():
                cur.execute("SELECT provision_forget(%s)", (t,))
            cur.execute("SELECT kind, table_name FROM provision_models WHERE schema_name = %s",
                        (PY_SCHEMA,))
            for kind, name in cur.fetchall():
                cur.execute("SELECT provision_forget_object(%s, %s)", (kind, name))
        q(self.admin, "DROP SCHEMA IF EXISTS %s CASCADE" % PY_SCHEMA)
        q(self.admin, "VACUUM")
        q(self.admin, "CHECKPOINT")

    def py_count(self):
        return q(self.admin, """SELECT count(*) FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = '%s' AND c.relkind = 'r'""" % PY_SCHEMA)[0][0]

    def bench_python(self, n):
        runs = self.runs_for(n)
        md = sqla_metadata(n, PY_SCHEMA)
        engine = self.db.engine()          # one DBAPI connection for both
        script = provision_sqlalchemy.render(md)

        def check():
            assert self.py_count() == n

        def run_bridge():
            created = provision_sqlalchemy.create_all(md, engine)
            return created

        def run_sqla():
            sqla_create_all(engine, md, PY_SCHEMA)

        # ---- from nothing: no model, no schema, no table
        contenders = [("psa_create_all", run_bridge, runs),
                      ("sqlalchemy_create_all", run_sqla, runs)]
        for _, fn, _ in contenders:            # warm-up
            self.py_reset()
            fn()
            check()
        self.interleave("py_create", n, contenders, reset_each=True, check=check,
                        reset=self.py_reset)

        # ---- no-op: declared and created; the bridge re-declares (every
        # statement parsed and tried again by provision_load) and provisions
        self.py_reset()
        assert len(run_bridge()) == n
        q(self.admin, "VACUUM ANALYZE")
        q(self.admin, "CHECKPOINT")
        hist = q(self.admin, "SELECT count(*) FROM provision_history")[0][0]

        def run_bridge_noop():
            assert run_bridge() == []

        def run_render():
            provision_sqlalchemy.render(md)

        def run_load():
            # what the no-op spends in the server declaring: the same
            # script, in a transaction rolled back
            with engine.connect() as c:
                tr = c.begin()
                c.execute(text("SELECT count(*) FROM provision_load(:s)"), {"s": script})
                tr.rollback()

        contenders = [("psa_create_all", run_bridge_noop, runs),
                      ("sqlalchemy_create_all", run_sqla, runs),
                      ("psa_render", run_render, runs),
                      ("psa_load", run_load, runs)]
        for _, fn, _ in contenders:
            fn()
        self.interleave("py_noop", n, contenders)
        assert self.py_count() == n
        assert q(self.admin, "SELECT count(*) FROM provision_history")[0][0] == hist, \
            "the bridge's no-op wrote history"

        # ---- drift, none present
        def run_bridge_diff():
            rows = provision_sqlalchemy.diff(md, engine)
            assert rows == [], rows[:5]

        def run_alembic():
            diffs = alembic_compare(engine, md, PY_SCHEMA)
            assert diffs == [], diffs[:5]

        contenders = [("psa_diff", run_bridge_diff, runs),
                      ("alembic_compare_metadata", run_alembic, runs)]
        for _, fn, _ in contenders:
            fn()
        self.interleave("py_drift", n, contenders)
        # both really look: a wider column is reported by both
        q(self.admin, "ALTER TABLE %s.t1 ALTER COLUMN username TYPE varchar(60)" % PY_SCHEMA)
        got = provision_sqlalchemy.diff(md, engine)
        alem = alembic_compare(engine, md, PY_SCHEMA)
        q(self.admin, "ALTER TABLE %s.t1 ALTER COLUMN username TYPE varchar(50)" % PY_SCHEMA)
        assert [c.change for c in got] == ["column_type"], got
        assert len(alem) == 1, alem
        log("    sanity: a wider %s.t1.username is reported by both: diff() %d row, "
            "Alembic %d diff" % (PY_SCHEMA, len(got), len(alem)))
        engine.dispose()
        self.py_reset()

    # ------------------------------------------------------------------ race

    def bench_race(self, sessions, rounds):
        def run(contender, stmts):
            conns = [self.db.connect() for _ in range(sessions)]
            barrier = threading.Barrier(sessions)
            errors = []
            lock = threading.Lock()

            def worker(conn):
                for r in range(rounds):
                    barrier.wait()
                    for sql in stmts(r):
                        try:
                            q(conn, sql)
                        except psycopg2.Error as e:
                            with lock:
                                errors.append((e.pgcode, str(e).splitlines()[0]))

            threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
            t0 = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - t0
            for c in conns:
                c.close()
            codes = {}
            for code, _ in errors:
                codes[code] = codes.get(code, 0) + 1
            sample = errors[0][1] if errors else ""
            self.race.append((contender, sessions, rounds, sessions * rounds * 2,
                              len(errors), codes, sample, elapsed))
            log("    race     %-22s %d sessions x %d rounds: %d errors %s (%.1f s)%s" % (
                contender, sessions, rounds, len(errors),
                " ".join("%s:%d" % kv for kv in sorted(codes.items())) or "",
                elapsed, ("  e.g. " + sample) if sample else ""))

        run("provision", lambda r: [
            "SELECT provision_schema('race_%d')" % r,
            "SELECT provision_table('race_%d.t', 'id integer primary key')" % r])
        run("plain_if_not_exists", lambda r: [
            "CREATE SCHEMA IF NOT EXISTS race2_%d" % r,
            "CREATE TABLE IF NOT EXISTS race2_%d.t (id integer primary key)" % r])

        # every round left exactly one schema and one table
        made = q(self.admin, """SELECT count(*) FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname ~ '^race_[0-9]+$' AND c.relname = 't'""")[0][0]
        assert made == rounds, "provision race made %d tables" % made
        with self.admin.cursor() as cur:
            for r in range(rounds):
                cur.execute("SELECT provision_forget(%s)", ("race_%d.t" % r,))
                cur.execute("DROP SCHEMA race_%d CASCADE" % r)
                cur.execute("DROP SCHEMA IF EXISTS race2_%d CASCADE" % r)

    # ------------------------------------------------------------------ main

    def sample_load(self):
        """1-minute load average every 10 s: other processes on the machine
        make the figures noisier, and the report says so."""
        while not self.stop_sampling.wait(10):
            try:
                with open("/proc/loadavg") as f:
                    self.loads.append(float(f.read().split()[0]))
            except OSError:
                return

    def check_so(self):
        now = file_md5(self.so_path)
        if now != self.so_md5:
            self.so_changed = True
            return False
        return True

    def run(self):
        self.so_changed = False
        self.loads = []
        self.stop_sampling = threading.Event()
        sampler = threading.Thread(target=self.sample_load, daemon=True)
        sampler.start()
        try:
            self._run()
        finally:
            self.stop_sampling.set()

    def _run(self):
        self.setup()
        for n in self.args.sizes:
            log("N = %d (%d runs each, median)" % (n, self.runs_for(n)))
            t0 = time.perf_counter()
            self.declare(n)
            md = sqla_metadata(n)
            if "create" in self.args.scenarios:
                self.bench_create(n, md)
            if "noop" in self.args.scenarios or "drift" in self.args.scenarios:
                if "noop" in self.args.scenarios:
                    self.bench_noop(n, md)
                else:
                    self.ensure_created(n)
                if "drift" in self.args.scenarios:
                    self.bench_drift(n, md)
            log("  N = %d done in %.0f s" % (n, time.perf_counter() - t0))
            if not self.check_so():
                log("  WARNING: %s changed during the run (make install by someone else?)" % self.so_path)
            self.reset()
        if "python" in self.args.scenarios:
            for n in self.args.python_sizes:
                log("python path, N = %d (%d runs each, median)" % (n, self.runs_for(n)))
                t0 = time.perf_counter()
                self.bench_python(n)
                log("  python path N = %d done in %.0f s" % (n, time.perf_counter() - t0))
        if "race" in self.args.scenarios:
            log("race")
            self.bench_race(self.args.race_sessions, self.args.race_rounds)
        if "schema" in self.args.scenarios:
            log("whole schema")
            self.whole = WholeSchema(self, q, timed, log)
            self.whole.run()
        if not self.check_so():
            log("WARNING: %s changed during the run" % self.so_path)
        if self.so_changed:
            self.notes.append(
                "%s was replaced during this run (a `make install` elsewhere): connections "
                "opened after that loaded another build, so the figures mix two builds. "
                "Re-run on a quiet machine." % self.so_path)


# --------------------------------------------------------------------------
# report

LABEL = {
    "provision_all": "provision_all()",
    "create_table_batch": "CREATE TABLE batch (1 round trip)",
    "create_if_not_exists": "CREATE TABLE IF NOT EXISTS batch (1 round trip)",
    "sqlalchemy_create_all": "SQLAlchemy metadata.create_all()",
    "plpgsql_infoschema": "DO block, information_schema checks",
    "provision_diff": "provision_diff()",
    "alembic_compare_metadata": "Alembic compare_metadata()",
    "psa_create_all": "provision_sqlalchemy.create_all()",
    "psa_render": "  of which: rendering the MetaData (client)",
    "psa_load": "  of which: provision_load() of the script",
    "psa_diff": "provision_sqlalchemy.diff()",
}
SCEN = {
    "create": "create from nothing",
    "noop": "no-op re-run (everything exists)",
    "drift": "drift check (no drift)",
    "py_create": "Python: create from nothing",
    "py_noop": "Python: no-op re-run",
    "py_drift": "Python: drift check (no drift)",
}
BASE = {"create": "provision_all", "noop": "provision_all", "drift": "provision_diff",
        "py_create": "psa_create_all", "py_noop": "psa_create_all", "py_drift": "psa_diff"}
SCENARIOS = ("create", "noop", "drift", "py_create", "py_noop", "py_drift")


def med(results, scenario, contender, n):
    for r in results:
        if r[0] == scenario and r[1] == contender and r[2] == n:
            return r[3]
    return None


def goals(b):
    R = b.results
    out = []

    def add(goal, criterion, value, threshold, held, detail):
        # threshold is a string: "<= 1.1", ">= 50"
        out.append((goal, criterion, value, threshold, held, detail))

    p = med(R, "noop", "provision_all", 1000)
    s = med(R, "noop", "sqlalchemy_create_all", 1000)
    i = med(R, "noop", "create_if_not_exists", 1000)
    if p and s and i:
        add("noop", "SQLAlchemy create_all / provision_all() at N=1000", s / p, ">= 50",
            s / p >= 50, "%.4f s vs %.4f s" % (s, p))
        add("noop", "provision_all() / CREATE TABLE IF NOT EXISTS batch at N=1000", p / i, "<= 1",
            p <= i, "%.4f s vs %.4f s" % (p, i))
    p = med(R, "drift", "provision_diff", 1000)
    a = med(R, "drift", "alembic_compare_metadata", 1000)
    if p and a:
        add("drift", "Alembic compare_metadata / provision_diff() at N=1000", a / p, ">= 200",
            a / p >= 200, "%.4f s vs %.4f s" % (a, p))
    p = med(R, "create", "provision_all", 1000)
    c = med(R, "create", "create_table_batch", 1000)
    if p and c:
        add("create", "provision_all() / CREATE TABLE batch at N=1000", p / c, "<= 1.10",
            p / c <= 1.10, "%.4f s vs %.4f s" % (p, c))
    for scen, cont in (("noop", "provision_all"), ("drift", "provision_diff")):
        a = med(R, scen, cont, 1000)
        z = med(R, scen, cont, 10000)
        if a and z:
            add("scale", "%s %s N=10000 / N=1000" % (scen, LABEL[cont]), z / a, "<= 12",
                z / a <= 12, "%.4f s vs %.4f s" % (z, a))
    if not (med(R, "noop", "provision_all", 10000) and med(R, "drift", "provision_diff", 10000)):
        b.notes.append("scale goal not evaluated: it needs N=1000 and N=10000 for no-op and drift.")
    if b.whole:
        b.whole.goals(add)
    for race in b.race:
        if race[0] == "provision":
            plain = [r for r in b.race if r[0] != "provision"]
            add("race", "errors, provision, %d sessions x %d rounds" % (race[1], race[2]),
                race[4], "= 0", race[4] == 0,
                "plain IF NOT EXISTS: %d errors" % (plain[0][4] if plain else -1))
    return out


def fmt_ratio(x):
    return "%.1fx" % x if x >= 10 else "%.2fx" % x


def table_lines(b, markdown):
    R = b.results
    sizes = sorted({r[2] for r in R})
    lines = []
    if markdown:
        hdr = "| scenario | contender | " + " | ".join("N=%d" % n for n in sizes) + " |"
        lines.append(hdr)
        lines.append("| --- | --- | " + " | ".join("---:" for _ in sizes) + " |")
    else:
        lines.append("%-34s %-48s" % ("scenario", "contender") +
                     "".join("%22s" % ("N=%d" % n) for n in sizes))
        lines.append("-" * (82 + 22 * len(sizes)))
    for scen in SCENARIOS:
        conts = []
        for r in R:
            if r[0] == scen and r[1] not in conts:
                conts.append(r[1])
        for cont in conts:
            cells = []
            for n in sizes:
                m = med(R, scen, cont, n)
                base = med(R, scen, BASE[scen], n)
                runs = [r[4] for r in R if r[0] == scen and r[1] == cont and r[2] == n]
                if m is None:
                    cells.append("")
                    continue
                cell = "%.4f s" % m
                if cont != BASE[scen] and base:
                    cell += " (%s)" % fmt_ratio(m / base)
                if runs and runs[0] == 1 and max(b.runs_for(n) for n in sizes) > 1:
                    cell += " [1 run]" if markdown else "*"
                cells.append(cell)
            if markdown:
                lines.append("| %s | %s | %s |" % (SCEN[scen], LABEL[cont], " | ".join(cells)))
            else:
                lines.append("%-34s %-48s" % (SCEN[scen], LABEL[cont]) +
                             "".join("%22s" % c for c in cells))
    return lines


def write_outputs(b, outdir, total_seconds):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "contender", "n", "median_seconds", "runs"])
        for r in b.results:
            w.writerow([r[0], r[1], r[2], "%.6f" % r[3], r[4]])
    with open(os.path.join(outdir, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "contender", "n", "run", "seconds"])
        for r in b.results:
            for k, t in enumerate(r[5], 1):
                w.writerow([r[0], r[1], r[2], k, "%.6f" % t])
    G = goals(b)
    with open(os.path.join(outdir, "goals.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["goal", "criterion", "value", "threshold", "held", "detail"])
        for g in G:
            w.writerow([g[0], g[1], "%.4g" % g[2], g[3], "yes" if g[4] else "no", g[5]])
    with open(os.path.join(outdir, "race.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contender", "sessions", "rounds", "statements", "errors",
                    "sqlstates", "seconds"])
        for r in b.race:
            w.writerow([r[0], r[1], r[2], r[3], r[4],
                        " ".join("%s:%d" % kv for kv in sorted(r[5].items())),
                        "%.3f" % r[7]])
    return G


def env_lines(b, total_seconds):
    s = b.settings
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        "built from commit %s%s; %s md5 %s%s" % (
            b.git_head,
            (" with uncommitted changes in " + ", ".join(b.git_dirty)) if b.git_dirty else " (clean)",
            os.path.basename(b.so_path), (b.so_md5 or "?")[:12],
            ", REPLACED during the run" if b.so_changed else ", unchanged during the run")
        + ("; every connection loads run.sh's private copy of it (a `make install` elsewhere "
           "cannot change the build mid-run)" if b.pinned else ""),
        "PostgreSQL %s, provision %s, SQLAlchemy %s, Alembic %s, psycopg2 %s, Python %s" % (
            b.server_version, b.ext_version, sqlalchemy.__version__, alembic.__version__,
            psycopg2.__version__.split()[0], platform.python_version()),
        "%d CPUs (%s), %s" % (os.cpu_count(), cpu, platform.platform()),
        "throwaway cluster, data directory on %s: fsync=%s synchronous_commit=%s full_page_writes=%s "
        "autovacuum=%s shared_buffers=%s max_locks_per_transaction=%s max_wal_size=%s" % (
            b.data_fs, s.get("fsync"), s.get("synchronous_commit"), s.get("full_page_writes"),
            s.get("autovacuum"), s.get("shared_buffers"), s.get("max_locks_per_transaction"),
            s.get("max_wal_size")),
        ("machine load during the run (1-minute load average, sampled every 10 s): "
         "mean %.1f, max %.1f on %d CPUs; the benchmark itself keeps about one CPU busy, "
         "more means other processes shared the machine" % (
             statistics.mean(b.loads), max(b.loads), os.cpu_count()))
        if b.loads else "machine load: not sampled (run shorter than 10 s)",
        "runs: %d per point for N<=1000, %d above (median), the contenders of a scenario "
        "taking turns; one untimed warm-up run per contender first (above N=1000 for "
        "create: only the connection's first call); total runtime %.0f s" % (
            b.args.runs_small, b.args.runs_large, total_seconds),
    ]


def report(b, G, total_seconds):
    log("")
    log("Median seconds per run (ratio: contender / provision)")
    for line in table_lines(b, False):
        log(line)
    if any(r[4] == 1 for r in b.results) and max(b.runs_for(n) for n in {r[2] for r in b.results}) > 1:
        log("  * measured once")
    log("")
    for r in b.race:
        log("race %-22s %d sessions x %d rounds, %d statements: %d errors %s" % (
            r[0], r[1], r[2], r[3], r[4],
            " ".join("%s:%d" % kv for kv in sorted(r[5].items()))))
    log("")
    log("Goals (ratios at N=1000; scale: N=10000 against N=1000):")
    for g in G:
        log("  [%s] %-6s %-66s %8.4g (goal %s)  %s" % (
            "held" if g[4] else "MISS", g[0], g[1], g[2], g[3], g[5]))
    for note in b.notes:
        log("note: " + note)
    for line in env_lines(b, total_seconds):
        log(line)


def write_markdown(b, G, path, total_seconds):
    L = ["# provision benchmark results", "",
         "Generated by `make bench` (`bench/run.sh`, `bench/bench.py`) on %s." %
         datetime.date.today().isoformat(), "",
         "Tables `bench.t1` .. `bench.tN`, each `%s`, declared once; every contender uses one "
         "client connection and is timed on the client around its statement's full round trip. "
         "Median seconds; in parentheses the ratio to provision (above 1: provision is faster)." % BODY,
         ""]
    L += table_lines(b, True)
    L += [""]
    if b.race:
        L += ["| race: %d sessions x %d rounds, same schema and table per round | statements | errors |" % (
            b.race[0][1], b.race[0][2]), "| --- | ---: | ---: |"]
        for r in b.race:
            name = ("`provision_schema()` + `provision_table()`" if r[0] == "provision"
                    else "`CREATE SCHEMA IF NOT EXISTS` + `CREATE TABLE IF NOT EXISTS`")
            codes = " ".join("%s: %d" % kv for kv in sorted(r[5].items()))
            L.append("| %s | %d | %d%s |" % (name, r[3], r[4], (" (%s)" % codes) if codes else ""))
        L += [""]
    if b.whole:
        L += b.whole.markdown()
    L += ["| goal | criterion | measured | threshold | held |", "| --- | --- | ---: | ---: | --- |"]
    for g in G:
        L.append("| %s | %s | %.4g | %s | %s |" % (g[0], g[1], g[2], g[3], "yes" if g[4] else "**no**"))
    L += [""]
    L += ["Contenders:", "",
          "- create: `SELECT count(*) FROM provision_all()` (models declared beforehand); all "
          "`CREATE SCHEMA` + `CREATE TABLE` statements sent as one simple-query string (one round "
          "trip, one implicit transaction); SQLAlchemy: `has_schema`/`CreateSchema` then "
          "`metadata.create_all()` in one transaction (Table objects built beforehand). "
          "The schema is dropped (and the catalogs vacuumed) between runs, untimed.",
          "- no-op: the same three, everything existing (`IF NOT EXISTS` for the batch, "
          "`checkfirst=True` for SQLAlchemy), plus a PL/pgSQL `DO` block looping over the N tables "
          "with the `information_schema.schemata` / `information_schema.tables` checks. "
          "`client_min_messages = warning` on every connection.",
          "- drift: `SELECT count(*) FROM provision_diff()` (asserted 0) vs Alembic "
          "`compare_metadata()` with `include_schemas=True`, `include_name` limited to the "
          "bench schema, `compare_type=True`, `compare_server_default=True` (asserted `[]`). "
          "SQLAlchemy model: `Integer, primary_key=True, autoincrement=False`, `String(50), "
          "nullable=False`, `Text`, `DateTime(timezone=True), server_default=text('now()')`.",
          "- Python (the SQLAlchemy bridge, python/): the same model in schema `pybench`, nothing "
          "declared beforehand. `provision_sqlalchemy.create_all(metadata, engine)` renders the "
          "MetaData with SQLAlchemy's compiler, declares it with `provision_load()` and runs "
          "`provision_all()`, in one transaction; against `has_schema`/`CreateSchema` + "
          "`metadata.create_all()`. From nothing: models forgotten and schema dropped between runs "
          "(untimed). No-op: the bridge declares again (`provision_load()` parses and tries every "
          "statement again) before `provision_all()`; the rows \"of which\" time its two parts "
          "alone. Drift: `provision_sqlalchemy.diff()` (render, `provision_load()` and "
          "`provision_diff()` in a rolled-back transaction) against Alembic's `compare_metadata()` "
          "as above.",
          ""]
    for note in b.notes:
        L.append("Note: " + note)
    if b.notes:
        L.append("")
    L += ["Environment:", ""] + ["- " + x for x in env_lines(b, total_seconds)] + [""]
    L += ["![time vs N](bench.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot(outdir, b, png):
    gp = shutil.which("gnuplot")
    if gp is None:
        log("gnuplot not found: no plot")
        return
    csvp = os.path.join(outdir, "results.csv")
    panels = []
    colors = {"provision_all": "#1b9e77", "provision_diff": "#1b9e77",
              "create_table_batch": "#7570b3", "create_if_not_exists": "#7570b3",
              "sqlalchemy_create_all": "#d95f02", "plpgsql_infoschema": "#e7298a",
              "alembic_compare_metadata": "#d95f02"}
    for scen in ("create", "noop", "drift"):
        conts = []
        for r in b.results:
            if r[0] == scen and r[1] not in conts:
                conts.append(r[1])
        if not conts:
            continue
        plots = []
        for c in conts:
            # one series per contender, picked out of results.csv with a
            # ternary; gnuplot skips the NaN rows and still joins the points
            plots.append(
                "'%s' skip 1 using (strcol(1) eq '%s' && strcol(2) eq '%s' ? $3 : NaN):4 "
                "with linespoints lw 2 pt 7 lc rgb '%s' title '%s'" % (
                    csvp, scen, c, colors.get(c, "black"), LABEL[c].replace("_", "\\_")))
        # whole decades, one spare at the top for the key
        vals = [r[3] for r in b.results if r[0] == scen and r[3] > 0]
        lo = 10 ** math.floor(math.log10(min(vals)) - 0.2)
        hi = 10 ** (math.ceil(math.log10(max(vals))) + 1)
        panels.append("set title '%s'\nset yrange [%g:%g]\nplot %s\n" % (
            SCEN[scen], lo, hi, ", \\\n     ".join(plots)))
    race = ""
    if b.race:
        racep = os.path.join(outdir, "race.csv")
        race = ("set title 'race: %d sessions x %d rounds, same schema and table: failed statements'\n"
                "unset logscale\nset style fill solid 0.8\nset boxwidth 0.5\n"
                "set xrange [-0.6:%f]\nset xlabel ''\nset ylabel 'failed statements'\n"
                "set key off\nset yrange [0:%d]\n"
                "plot '%s' skip 1 using 0:5:(stringcolumn(1) eq 'provision' ? 0x1b9e77 : 0xd95f02):"
                "xticlabels(stringcolumn(1) eq 'provision' ? "
                "'provision\\_schema() + provision\\_table()' : 'CREATE ... IF NOT EXISTS') "
                "with boxes lc rgb variable, '' skip 1 using 0:5:5 with labels offset 0,1\n" % (
                    b.race[0][1], b.race[0][2], len(b.race) - 0.4,
                    max(10, int(max(r[4] for r in b.race) * 1.15) + 1), racep))
    npanels = len(panels) + (1 if race else 0)
    if npanels == 0:
        log("nothing to plot")
        return
    cols = 2 if npanels > 1 else 1
    rows = (npanels + cols - 1) // cols
    script = """
set terminal pngcairo size %d,%d font 'DejaVu Sans,10'
set output '%s'
set datafile separator ','
set datafile missing NaN
set multiplot layout %d,%d title 'provision benchmark (median of runs, one connection each; log-log)'
set logscale xy
set xlabel 'N tables'
set ylabel 'seconds'
set xrange [70:14000]
set format y '%%g'
set grid
set key top left
""" % (cols * 640, rows * 460, png, rows, cols)
    script += "\n".join(panels) + race + "unset multiplot\n"
    with open(os.path.join(outdir, "bench.gp"), "w") as f:
        f.write(script)
    subprocess.run([gp, os.path.join(outdir, "bench.gp")], check=True)
    log("plot: %s" % png)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                    default=[100, 1000, 10000])
    ap.add_argument("--scenarios", type=lambda s: s.split(","),
                    default=["create", "noop", "drift", "race", "schema", "python"])
    ap.add_argument("--python-sizes", type=lambda s: [int(x) for x in s.split(",")],
                    default=[1000], help="N for the python scenario")
    ap.add_argument("--runs-small", type=int, default=5, help="runs for N <= 1000")
    ap.add_argument("--runs-large", type=int, default=3, help="runs for N > 1000")
    ap.add_argument("--alembic-budget", type=int, default=600,
                    help="seconds Alembic may take at N > 1000 before it is measured once")
    ap.add_argument("--alembic-full-max-n", type=int, default=10 ** 9,
                    help="measure Alembic once above this N")
    ap.add_argument("--race-sessions", type=int, default=8)
    ap.add_argument("--race-rounds", type=int, default=100)
    ap.add_argument("--dbname", default="provision_bench")
    ap.add_argument("--maintenance-db", default="postgres")
    ap.add_argument("--outdir", default=os.path.join(HERE, "out"))
    ap.add_argument("--publish", action="store_true",
                    help="also copy the plot to bench/bench.png and write bench/RESULTS.md")
    args = ap.parse_args()

    t0 = time.perf_counter()
    b = Bench(args)
    b.run()
    total = time.perf_counter() - t0
    G = write_outputs(b, args.outdir, total)
    report(b, G, total)
    png = os.path.join(args.outdir, "bench.png")
    plot(args.outdir, b, png)
    write_markdown(b, G, os.path.join(args.outdir, "RESULTS.md"), total)
    if args.publish:
        shutil.copyfile(png, os.path.join(HERE, "bench.png"))
        shutil.copyfile(os.path.join(args.outdir, "RESULTS.md"), os.path.join(HERE, "RESULTS.md"))
        log("wrote %s and %s" % (os.path.join(HERE, "bench.png"), os.path.join(HERE, "RESULTS.md")))
    q(b.admin, "SELECT 1")
    b.admin.close()


if __name__ == "__main__":
    main()
