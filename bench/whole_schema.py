"""The whole-schema scenario of make bench (bench.py --scenarios schema).

A schema of 500 tables and 1,000 indexes, written in plain DDL and dumped
with pg_dump --schema-only, the way a team keeps its schema file:

  ws.status     an enum type        ws.amount   a domain over numeric(12,2)
  ws.tN         id integer PRIMARY KEY, username varchar(50) NOT NULL,
                email text, status ws.status NOT NULL DEFAULT 'new',
                total ws.amount, created timestamptz NOT NULL DEFAULT now()
  2 indexes     UNIQUE (username), and (lower(email)) WHERE email IS NOT NULL

Contenders, each in a new database made from one template (the extension
installed, nothing else), both run by psql -f as one client process:

  load    psql -f of the pg_dump output itself, against psql -f of a file
          holding provision_load(<that dump>, skip_unsupported => true)
          and provision_all() (declare the models and create everything);
          goal: provision at most 1.2x plain psql
  noop    provision_all() when everything exists; goal under 10 ms
  diff    provision_diff() with nothing differing; goal under 100 ms,
          against Alembic's compare_metadata() over the same tables and
          indexes as SQLAlchemy models; goal: both at least 100x faster
"""

import os
import subprocess
import tempfile

from sqlalchemy import (Column, DateTime, Enum, Index, Integer, MetaData,
                        Numeric, String, Table, Text, func, text)

SCHEMA = "ws"
TABLES = 500
TEMPLATE = "provision_ws_template"


def plain_ddl(n=TABLES):
    parts = [
        "CREATE SCHEMA %s;" % SCHEMA,
        "CREATE TYPE %s.status AS ENUM ('new', 'active', 'closed');" % SCHEMA,
        "CREATE DOMAIN %s.amount AS numeric(12,2) CHECK (VALUE >= 0);" % SCHEMA,
    ]
    for i in range(1, n + 1):
        t = "%s.t%d" % (SCHEMA, i)
        parts.append(
            "CREATE TABLE %s (id integer PRIMARY KEY, username varchar(50) NOT NULL, "
            "email text, status %s.status NOT NULL DEFAULT 'new', total %s.amount, "
            "created timestamptz NOT NULL DEFAULT now());" % (t, SCHEMA, SCHEMA))
        parts.append("CREATE UNIQUE INDEX t%d_username ON %s (username);" % (i, t))
        parts.append("CREATE INDEX t%d_email ON %s (lower(email)) WHERE email IS NOT NULL;"
                     % (i, t))
    return "\n".join(parts) + "\n"


def sqla_metadata(n=TABLES):
    """The same tables and indexes as SQLAlchemy models (the enum as an
    existing type, the domain's column as its base type)."""
    md = MetaData()
    status = Enum("new", "active", "closed", name="status", schema=SCHEMA, create_type=False)
    for i in range(1, n + 1):
        t = Table("t%d" % i, md,
                  Column("id", Integer, primary_key=True, autoincrement=False),
                  Column("username", String(50), nullable=False),
                  Column("email", Text),
                  Column("status", status, nullable=False, server_default="new"),
                  Column("total", Numeric(12, 2)),
                  Column("created", DateTime(timezone=True), nullable=False,
                         server_default=text("now()")),
                  schema=SCHEMA)
        Index("t%d_username" % i, t.c.username, unique=True)
        Index("t%d_email" % i, func.lower(t.c.email),
              postgresql_where=t.c.email.isnot(None))
    return md


def psql_file(dbname, path):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dbname, "-f", path],
                   check=True, stdout=subprocess.DEVNULL)


class WholeSchema:
    def __init__(self, bench, q, timed, log):
        self.b = bench
        self.q = q
        self.timed = timed
        self.log = log
        self.dir = tempfile.mkdtemp(prefix="provision-ws.")
        self.results = []       # (contender, median, runs, times)

    def fresh_db(self, name):
        self.q(self.b.maint, "DROP DATABASE IF EXISTS %s" % name)
        self.q(self.b.maint, "CREATE DATABASE %s TEMPLATE %s" % (name, TEMPLATE))

    def setup(self):
        b, q = self.b, self.q
        b.maint = b.connect_maintenance()
        q(b.maint, "DROP DATABASE IF EXISTS %s" % TEMPLATE)
        q(b.maint, "CREATE DATABASE %s" % TEMPLATE)
        conn = b.connect_db(TEMPLATE)
        q(conn, "CREATE EXTENSION provision")
        if b.pinned:
            q(conn, "UPDATE pg_proc SET probin = '%s' WHERE probin = '$libdir/provision'"
              % b.pinned)
        conn.close()

        # the schema as plain DDL, then as pg_dump writes it
        ddl = os.path.join(self.dir, "plain.sql")
        with open(ddl, "w") as f:
            f.write(plain_ddl())
        self.fresh_db("provision_ws_source")
        psql_file("provision_ws_source", ddl)
        self.dump = os.path.join(self.dir, "dump.sql")
        subprocess.run(["pg_dump", "--schema-only", "-d", "provision_ws_source", "-f", self.dump],
                       check=True)
        q(b.maint, "DROP DATABASE provision_ws_source")
        with open(self.dump) as f:
            script = f.read()
        tag = "$ws_dump$"
        assert tag not in script
        self.load = os.path.join(self.dir, "load.sql")
        with open(self.load, "w") as f:
            f.write("SET client_min_messages = warning;\n"
                    "SELECT count(*) FROM provision_load(%s%s%s, skip_unsupported => true);\n"
                    "SELECT count(*) FROM provision_all();\n" % (tag, script, tag))
        self.indexes = script.count("CREATE UNIQUE INDEX") + script.count("CREATE INDEX")
        self.log("  whole schema: %d tables, %d indexes; pg_dump %d bytes" % (
            TABLES, self.indexes, len(script)))

    def check_db(self, name):
        conn = self.b.connect_db(name)
        got = self.q(conn, """SELECT count(*) FILTER (WHERE relkind = 'r'),
                                     count(*) FILTER (WHERE relkind = 'i')
                                FROM pg_class WHERE relnamespace = '%s'::regnamespace""" % SCHEMA)[0]
        conn.close()
        assert got == (TABLES, 3 * TABLES), got

    def run(self):
        b = self.b
        self.setup()
        runs = b.args.runs_small

        # load: psql -f of the dump against provision_load + provision_all
        times = {"psql_f_pg_dump": [], "provision_load_all": []}
        for i in range(runs):
            order = [("psql_f_pg_dump", self.dump), ("provision_load_all", self.load)]
            if i % 2:
                order.reverse()
            for name, path in order:
                self.fresh_db("provision_ws")
                self.q(b.maint, "CHECKPOINT")
                t, _ = self.timed(lambda: psql_file("provision_ws", path))
                self.check_db("provision_ws")
                times[name].append(t)
        for name in ("provision_load_all", "psql_f_pg_dump"):
            self.record("load", name, times[name])

        # the provisioned database: no-op and diff, then Alembic
        self.fresh_db("provision_ws")
        psql_file("provision_ws", self.load)
        conn = b.connect_db("provision_ws")
        self.q(conn, "VACUUM ANALYZE")
        assert self.q(conn, "SELECT count(*) FROM provision_models")[0][0] == 3 * TABLES + 3
        assert self.q(conn, "SELECT count(*) FROM provision_diff()")[0][0] == 0
        self.q(conn, "SELECT count(*) FROM provision_all()")           # warm-up
        self.q(conn, "SELECT count(*) FROM provision_diff()")
        self.record("noop", "provision_all", [
            self.timed(lambda: self.q(conn, "SELECT count(*) FROM provision_all()"))[0]
            for _ in range(max(runs, 10))])
        self.record("diff", "provision_diff", [
            self.timed(lambda: self.q(conn, "SELECT count(*) FROM provision_diff()"))[0]
            for _ in range(max(runs, 10))])
        conn.close()

        engine = b.engine_for("provision_ws")
        md = sqla_metadata()
        diffs = b.alembic_compare(engine, md, SCHEMA)
        self.alembic_diffs = len(diffs)
        if diffs:
            self.log("  Alembic reports %d differences on the same schema, e.g. %r"
                     % (len(diffs), diffs[:3]))
        times = []
        for _ in range(max(1, min(runs, 3))):
            t, _ = self.timed(lambda: b.alembic_compare(engine, md, SCHEMA))
            times.append(t)
        self.record("diff", "alembic_compare_metadata", times)
        engine.dispose()
        self.q(b.maint, "DROP DATABASE provision_ws")
        self.q(b.maint, "DROP DATABASE %s" % TEMPLATE)
        b.maint.close()

    def record(self, scenario, contender, times):
        import statistics
        med = statistics.median(times)
        self.results.append((scenario, contender, med, len(times), times))
        self.log("    %-8s %-26s median %10.4f s  runs %s" % (
            "schema/" + scenario, contender, med, " ".join("%.4f" % t for t in times)))

    def med(self, scenario, contender):
        for r in self.results:
            if r[0] == scenario and r[1] == contender:
                return r[2]
        return None

    def goals(self, add):
        p = self.med("load", "provision_load_all")
        s = self.med("load", "psql_f_pg_dump")
        if p and s:
            add("schema", "provision_load + provision_all() / psql -f of the pg_dump, "
                "%d tables, %d indexes" % (TABLES, self.indexes),
                p / s, "<= 1.2", p / s <= 1.2, "%.4f s vs %.4f s" % (p, s))
        n = self.med("noop", "provision_all")
        d = self.med("diff", "provision_diff")
        a = self.med("diff", "alembic_compare_metadata")
        if n:
            add("schema", "no-op provision_all() over the whole schema, ms", n * 1000, "< 10",
                n < 0.010, "%.4f s" % n)
        if d:
            add("schema", "provision_diff() over the whole schema, ms", d * 1000, "< 100",
                d < 0.100, "%.4f s" % d)
        if a and n and d:
            add("schema", "Alembic compare_metadata / provision_diff() (tables and indexes)",
                a / d, ">= 100", a / d >= 100, "%.4f s vs %.4f s" % (a, d))
            add("schema", "Alembic compare_metadata / no-op provision_all()",
                a / n, ">= 100", a / n >= 100, "%.4f s vs %.4f s" % (a, n))

    LABEL = {
        ("load", "provision_load_all"): "`provision_load()` + `provision_all()` (psql -f)",
        ("load", "psql_f_pg_dump"): "psql -f of the pg_dump",
        ("noop", "provision_all"): "no-op `provision_all()`",
        ("diff", "provision_diff"): "`provision_diff()`, nothing differs",
        ("diff", "alembic_compare_metadata"): "Alembic `compare_metadata()`, same tables and indexes",
    }

    def markdown(self):
        L = ["| whole schema: %d tables, %d indexes, an enum, a domain (pg_dump --schema-only) "
             "| median | runs |" % (TABLES, self.indexes), "| --- | ---: | ---: |"]
        for r in self.results:
            L.append("| %s | %.4f s | %d |" % (self.LABEL[(r[0], r[1])], r[2], r[3]))
        L.append("")
        L.append("Whole schema: each load run in a new database made from a template that "
                 "holds only the extension; both contenders are one `psql -f` process. "
                 "Alembic compared the same tables, the enum column and both indexes as "
                 "SQLAlchemy models (it reported %d differences)." % self.alembic_diffs)
        L.append("")
        return L
