"""The race: 8 processes start an application at the same moment against a
fresh database, each calling create_all().  Through provision: no errors,
one process creates each table, the others find it.  SQLAlchemy's own
metadata.create_all() (after the seed's schema check) in the same race:
its failures are counted and printed, not asserted (they depend on timing).
"""

import collections
import multiprocessing
import os
import sys

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema

import provision_sqlalchemy as ps
import models
from conftest import Database, db_name

PROCESSES = 8
ROUNDS = int(os.environ.get("PROVISION_PY_RACE_ROUNDS", "5"))
ctx = multiprocessing.get_context("fork")


def _via_provision(url, barrier, out):
    md = models.every_kind()
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect():          # connected before the start signal
        pass
    barrier.wait()
    try:
        created = ps.create_all(md, engine)
        out.put(("ok", len(created), None))
    except Exception as e:          # counted, not swallowed: the test fails on it
        out.put(("error", 0, "%s %s" % (ps.sqlstate(e), str(e).splitlines()[0])))


def _plain(url, barrier, out):
    """The seed's steps 3 and 4: check the schemas, create them if missing,
    then metadata.create_all() (checkfirst), in one transaction."""
    md = models.every_kind()
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect():
        pass
    barrier.wait()
    try:
        with engine.begin() as conn:
            for schema in ("app", "audit"):
                if not conn.dialect.has_schema(conn, schema):
                    conn.execute(CreateSchema(schema))
            md.create_all(conn)
        out.put(("ok", 0, None))
    except Exception as e:
        out.put(("error", 0, "%s %s" % (ps.sqlstate(e), str(e).splitlines()[0])))


def race(request, worker, extension):
    results = []
    for r in range(ROUNDS):
        d = Database(db_name(request, "_%d" % r), extension=extension)
        try:
            barrier = ctx.Barrier(PROCESSES)
            out = ctx.Queue()
            procs = [ctx.Process(target=worker, args=(d.url, barrier, out))
                     for _ in range(PROCESSES)]
            for p in procs:
                p.start()
            got = [out.get(timeout=120) for _ in procs]
            for p in procs:
                p.join(30)
            results.append(got)
            if extension:
                assert d.scalar("SELECT count(*) FROM pg_tables WHERE schemaname IN ('app', 'audit')") == 8
        finally:
            d.close()
    return results


def report(name, results):
    errors = [g for rnd in results for g in rnd if g[0] == "error"]
    kinds = collections.Counter(e[2].split(" ", 2)[0] + " " + e[2].split(" ", 2)[1] for e in errors)
    line = "race %-34s %d rounds x %d processes: %d of %d failed%s" % (
        name, len(results), PROCESSES, len(errors), len(results) * PROCESSES,
        (" (" + ", ".join("%s: %d" % kv for kv in sorted(kinds.items())) + ")") if errors else "")
    sys.stderr.write("\n" + line + "\n")
    with open(os.environ.get("PROVISION_PY_RACE_LOG", os.devnull), "a") as f:
        f.write(line + "\n")
    return errors


def test_race_create_all_through_provision(request):
    results = race(request, _via_provision, True)
    errors = report("provision_sqlalchemy.create_all()", results)
    assert errors == []
    for rnd in results:
        # one process created the 8 tables, the others created nothing
        assert sorted(g[1] for g in rnd) == [0] * (PROCESSES - 1) + [8]


def test_race_plain_metadata_create_all(request):
    results = race(request, _plain, False)
    report("metadata.create_all() (plain)", results)
    # every process either succeeded or failed with a server error; nothing hung
    assert sum(len(rnd) for rnd in results) == ROUNDS * PROCESSES
