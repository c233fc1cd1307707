#!/usr/bin/python3
"""provision live-table benchmark: provision_migrate() against
CALL provision_apply() on tables that are read and written while they change.

Run by bench/run.sh (after bench.py) inside its throwaway cluster, or by
hand against any server (libpq environment: PGHOST, PGPORT, PGUSER).  It
creates its own database, provision_live.

For each size N (default 2,000,000 and 200,000) and each change kind, a fresh
pair of tables:

    live.accounts (id integer PRIMARY KEY, balance integer NOT NULL,
                   name text NOT NULL, note text)            N rows
    live.entries  (id integer PRIMARY KEY, account_id integer NOT NULL
                   REFERENCES live.accounts, amount integer NOT NULL)  N/2 rows

are captured as models, the model is changed, and while one session reads a
row of live.accounts by primary key every 5 ms and another updates one (a
real write of an unchanged value, so the data stays comparable) every 5 ms,
the change is applied with provision_migrate() or with provision_apply().
Reported per run: total time of the migration, worst read stall and worst
write stall while it ran (the longest single statement), failed reads and
writes, a checksum of both tables' original columns before and after, and
provision_diff() after (must be empty).

Change kinds (all rated safe: they lose no data):
    int_to_bigint     accounts.id integer -> bigint (entries references it)
    volatile_default  accounts + created timestamptz NOT NULL DEFAULT clock_timestamp()
    unique            accounts + UNIQUE (name)
    set_not_null      accounts.note NOT NULL (it holds no NULL)
    check             accounts + CHECK (balance >= 0)
    foreign_key       entries + FOREIGN KEY (account_id) REFERENCES accounts

Goals (provision_apply(), every kind): worst read and write stall at most
50 ms at N = 2,000,000 (and not growing with N), 0 failed reads or writes,
identical data, total time at most 3x provision_migrate()'s.
"""

import argparse
import csv
import os
import random
import statistics
import sys
import threading
import time

import psycopg2

DB = "provision_live"
INTERVAL = 0.005

BASE = {
    "accounts": "id integer PRIMARY KEY, balance integer NOT NULL, name text NOT NULL, note text",
    "entries": "id integer PRIMARY KEY, account_id integer NOT NULL, amount integer NOT NULL",
}
FK = "ALTER TABLE live.entries ADD FOREIGN KEY (account_id) REFERENCES live.accounts (id)"

# the new model of each kind: (table, definition)
KINDS = {
    "int_to_bigint": ("live.accounts",
                      "id bigint PRIMARY KEY, balance integer NOT NULL, name text NOT NULL, note text"),
    "volatile_default": ("live.accounts",
                         "id integer PRIMARY KEY, balance integer NOT NULL, name text NOT NULL, note text,"
                         " created timestamptz NOT NULL DEFAULT clock_timestamp()"),
    "unique": ("live.accounts",
               "id integer PRIMARY KEY, balance integer NOT NULL, name text NOT NULL UNIQUE, note text"),
    "set_not_null": ("live.accounts",
                     "id integer PRIMARY KEY, balance integer NOT NULL, name text NOT NULL, note text NOT NULL"),
    "check": ("live.accounts",
              "id integer PRIMARY KEY, balance integer NOT NULL CHECK (balance >= 0), name text NOT NULL, note text"),
    "foreign_key": ("live.entries",
                    "id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES live.accounts (id),"
                    " amount integer NOT NULL"),
}

CHECKSUM = """
SELECT (SELECT count(*) FROM live.accounts)::text || ' ' ||
       (SELECT sum(hashtext(id::text || ' ' || balance || ' ' || name || ' ' || coalesce(note, '-'))::numeric)
          FROM live.accounts)::text || ' ' ||
       (SELECT count(*) FROM live.entries)::text || ' ' ||
       (SELECT sum(hashtext(id::text || ' ' || account_id || ' ' || amount)::numeric)
          FROM live.entries)::text
"""


def log(msg):
    print(msg, flush=True)


def connect(dbname=DB, autocommit=True):
    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = autocommit
    return conn


def setup(n, kind):
    """Fresh tables of n and n/2 rows, captured as models."""
    conn = connect()
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT provision_forget(table_name) FROM provision_models")
    cur.execute("DROP SCHEMA IF EXISTS live CASCADE")
    cur.execute("CREATE SCHEMA live")
    for table, body in BASE.items():
        cur.execute(f"CREATE TABLE live.{table} ({body})")
    cur.execute("INSERT INTO live.accounts SELECT g, g %% 1000, 'name ' || g, 'note ' || g"
                " FROM generate_series(1, %s) g", (n,))
    cur.execute("INSERT INTO live.entries SELECT g, (1 + (g::bigint * 7919) %% %s)::integer, g %% 100"
                " FROM generate_series(1, %s) g", (n, n // 2))
    if kind != "foreign_key":
        cur.execute(FK)
    cur.execute("VACUUM ANALYZE live.accounts")
    cur.execute("VACUUM ANALYZE live.entries")
    cur.execute("CHECKPOINT")
    cur.execute("SELECT provision_capture('live.accounts'), provision_capture('live.entries')")
    table, definition = KINDS[kind]
    cur.execute("SELECT provision_define(%s, %s)", (table, definition))
    cur.execute(CHECKSUM)
    checksum = cur.fetchone()[0]
    conn.close()
    return checksum


class Load(threading.Thread):
    """One session: a statement on a random row every 5 ms, timed."""

    def __init__(self, n, sql):
        super().__init__(daemon=True)
        self.n = n
        self.sql = sql
        self.stop = threading.Event()
        self.latencies = []
        self.samples = []
        self.failures = 0
        self.errors = []

    def overlapping(self, start, end):
        """The latencies of the statements that ran at any time in [start, end]:
        a statement held up by the change counts, whenever it returned."""
        return [e for b, e in self.samples if b < end and b + e > start]

    def run(self):
        conn = connect()
        cur = conn.cursor()
        cur.execute("SET statement_timeout = '60s'")
        rnd = random.Random(42)
        while not self.stop.is_set():
            key = rnd.randint(1, self.n)
            began = time.perf_counter()
            try:
                cur.execute(self.sql, (key,))
                if cur.description:
                    cur.fetchall()
            except psycopg2.Error as e:
                self.failures += 1
                if len(self.errors) < 5:
                    self.errors.append(f"{e.pgcode}: {str(e).strip()}")
                conn.rollback()
            elapsed = time.perf_counter() - began
            self.samples.append((began, elapsed))
            time.sleep(max(0.0, INTERVAL - elapsed))
        conn.close()


def run_one(n, kind, contender):
    before = setup(n, kind)
    reader = Load(n, "SELECT id, balance, name, note FROM live.accounts WHERE id = %s")
    writer = Load(n, "UPDATE live.accounts SET note = note WHERE id = %s")
    reader.start()
    writer.start()
    time.sleep(0.5)             # both running before the change starts
    conn = connect()
    cur = conn.cursor()
    cur.execute("SET client_min_messages = %s" % ("notice" if os.environ.get("LIVE_TRACE") else "warning"))
    began = time.perf_counter()
    if contender == "migrate":
        cur.execute("SELECT count(*) FROM provision_migrate()")
        cur.fetchall()
    else:
        cur.execute("CALL provision_apply()")
    ended = time.perf_counter()
    total = ended - began
    if os.environ.get("LIVE_TRACE"):
        for name, load in (("read", reader), ("write", writer)):
            for t, e in sorted([x for x in load.samples if x[0] < ended and x[0] + x[1] > began],
                               key=lambda x: -x[1])[:8]:
                log(f"    {name} stall {e * 1000:7.1f} ms at {t - began:7.3f} s ({time.strftime('%H:%M:%S', time.gmtime(time.time() - (time.perf_counter() - t)))}.{int(((time.time() - (time.perf_counter() - t)) % 1) * 1000):03d})")
        for note in conn.notices[-80:]:
            log("    " + note.strip().replace("\n", " | "))
    time.sleep(0.2)
    reader.stop.set()
    writer.stop.set()
    reader.join()
    writer.join()
    reader.latencies = reader.overlapping(began, ended)
    writer.latencies = writer.overlapping(began, ended)
    cur.execute(CHECKSUM)
    after = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM provision_diff()")
    drift = cur.fetchone()[0]
    conn.close()
    result = {
        "rows": n, "kind": kind, "contender": contender,
        "total_s": round(total, 3),
        "worst_read_ms": round(max(reader.latencies, default=0) * 1000, 1),
        "worst_write_ms": round(max(writer.latencies, default=0) * 1000, 1),
        "median_read_ms": round(statistics.median(reader.latencies) * 1000, 2) if reader.latencies else 0,
        "reads": len(reader.latencies), "writes": len(writer.latencies),
        "failed_reads": reader.failures, "failed_writes": writer.failures,
        "identical": before == after, "drift_after": drift,
        "errors": "; ".join(reader.errors + writer.errors),
    }
    log("  %-16s %-8s total %7.2f s  worst read %8.1f ms  worst write %8.1f ms  failed %d/%d  identical %s  drift %d%s"
        % (kind, contender, result["total_s"], result["worst_read_ms"], result["worst_write_ms"],
           result["failed_reads"], result["failed_writes"], result["identical"], drift,
           ("  " + result["errors"]) if result["errors"] else ""))
    return result


def goals(results, big):
    """Goal rows: (criterion, measured, threshold, held)."""
    rows = []
    by = {(r["rows"], r["kind"], r["contender"]): r for r in results}
    for kind in KINDS:
        a = by.get((big, kind, "apply"))
        m = by.get((big, kind, "migrate"))
        if not a:
            continue
        stall = max(a["worst_read_ms"], a["worst_write_ms"])
        rows.append((f"{kind}: worst stall with provision_apply() at N={big:,}", f"{stall} ms", "<= 50 ms", stall <= 50))
        rows.append((f"{kind}: failed reads and writes", a["failed_reads"] + a["failed_writes"], "= 0",
                     a["failed_reads"] + a["failed_writes"] == 0))
        rows.append((f"{kind}: identical data, no drift after", "yes" if a["identical"] and a["drift_after"] == 0 else "no",
                     "yes", a["identical"] and a["drift_after"] == 0))
        if m and m["total_s"] > 0:
            ratio = a["total_s"] / m["total_s"]
            rows.append((f"{kind}: total time, apply / migrate", f"{ratio:.2f}x", "<= 3x", ratio <= 3))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000000,200000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--contenders", default="migrate,apply")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    parser.add_argument("--publish", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    admin = connect("postgres")
    cur = admin.cursor()
    cur.execute("DROP DATABASE IF EXISTS " + DB)
    cur.execute("CREATE DATABASE " + DB)
    admin.close()
    conn = connect()
    conn.cursor().execute("CREATE EXTENSION provision")
    so = os.environ.get("BENCH_PROVISION_SO")
    if so:
        # every function of the extension loads run.sh's private copy
        conn.cursor().execute(
            "UPDATE pg_proc SET probin = %s WHERE probin = '$libdir/provision'", (so,))
    conn.close()

    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        log(f"live tables: {n:,} rows and {n // 2:,} rows referencing them")
        for kind in args.kinds.split(","):
            for contender in args.contenders.split(","):
                results.append(run_one(n, kind, contender))

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "live.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0].keys()))
        w.writeheader()
        w.writerows(results)
    big = max(sizes)
    gl = goals(results, big)
    log("")
    log("goal | measured | threshold | held")
    for g in gl:
        log(f"{g[0]} | {g[1]} | {g[2]} | {'yes' if g[3] else 'NO'}")
    held = sum(1 for g in gl if g[3])
    log(f"live goals: {held} of {len(gl)} held")
    if args.publish:
        publish(results, gl, sizes)
    return 0 if held == len(gl) else 1


def publish(results, gl, sizes):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS-live.md")
    with open(path, "w") as f:
        f.write("# provision live-table benchmark results\n\n")
        f.write("Generated by `make bench` (`bench/live.py`). Each run: fresh tables, "
                "one reader and one writer by primary key every 5 ms, the change applied "
                "with `provision_migrate()` or `CALL provision_apply()`.\n\n")
        f.write("| rows | change | contender | total | worst read | worst write | failed | identical data |\n")
        f.write("| ---: | --- | --- | ---: | ---: | ---: | ---: | --- |\n")
        for r in results:
            f.write(f"| {r['rows']:,} | {r['kind']} | {r['contender']} | {r['total_s']:.2f} s | "
                    f"{r['worst_read_ms']:.1f} ms | {r['worst_write_ms']:.1f} ms | "
                    f"{r['failed_reads'] + r['failed_writes']} | {'yes' if r['identical'] else 'NO'} |\n")
        f.write("\n| goal | measured | threshold | held |\n| --- | ---: | ---: | --- |\n")
        for g in gl:
            f.write(f"| {g[0]} | {g[1]} | {g[2]} | {'yes' if g[3] else 'no'} |\n")


if __name__ == "__main__":
    sys.exit(main())
