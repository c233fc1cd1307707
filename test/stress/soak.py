#!/usr/bin/python3
"""soak.py: concurrent provisioning and migration soak test for provision.

First a creation race: the models are declared at their first version but
no table exists; every session calls provision_all() at once, and each
table must be created by exactly one of them (every other session gets
"exists"), with no error.  Rows are then inserted into every table.

Then --sessions (default 16) sessions for --duration seconds (default 60) mix
provision_table/provision_all, provision_diff, provision_plan,
provision_migrate (allow_destructive true and false), provision_define
flipping models between four versions (add a column, widen types, set NOT
NULL on a column without NULLs, add a check and foreign keys, and back:
narrowing, dropping), deploy-like transactions (define + migrate), and
with --inserts row inserts, over one overlapping set of --models (default
50) models in three schemas, half the traffic on the first ten, some with
foreign keys between them (permanent ones, and pairs that reference each
other in the last version).

Every error is counted by SQLSTATE.  Expected: 55000 (migration refused,
unsafe) and 55P03 (lock timeout).  40P01 (deadlock) must not happen, nor
any other SQLSTATE: each such error is printed with its statement, message
and detail (they are race conditions in the extension).  Each session runs
statement by statement in autocommit mode, except the deploy-like
transactions.

At the end every model is declared at its final version, one
provision_migrate(allow_destructive => true) runs, and provision_diff()
must return zero rows.

Checks are printed as "ok - ..." / "not ok - ...: why"; exit status 1 if
any failed.  Runs in a database of its own (--database, default
provision_soak, dropped and created at start).
"""

import argparse
import collections
import os
import random
import re
import sys
import threading
import time
import traceback

import psycopg2
import psycopg2.extensions

SCHEMAS = ['soak_a', 'soak_b', 'soak_c']
EXPECTED = {'55000', '55P03'}
CRASH_PATTERNS = re.compile(
    r'terminated by signal|server process .* was terminated|'
    r'was terminated by exception|terminating any other active server processes|'
    r'all server processes terminated; reinitializing|PANIC:|TRAP:|'
    r'database system was interrupted|exited with exit code [1-9]')


def qname(i):
    return '%s.m%02d' % (SCHEMAS[i % 3], i)


class Models:
    """the versions of every model"""

    def __init__(self, n):
        self.n = n
        self.names = [qname(i) for i in range(n)]
        self.versions = [self.model_versions(i) for i in range(n)]

    def partner(self, i):
        """pairs (0,1), (4,5), ... reference each other in the last version"""
        if i % 4 == 0 and i + 1 < self.n:
            return i + 1
        if i % 4 == 1:
            return i - 1
        return None

    def model_versions(self, i):
        permanent = ''
        if i % 10 == 2:         # a foreign key in every version
            permanent = ', owner_id integer REFERENCES %s (id) ON DELETE SET NULL' % \
                qname((i + 3) % self.n)
        v0 = 'id integer PRIMARY KEY, name varchar(40), created timestamptz DEFAULT now()'
        v1 = v0 + ', email text'
        v2 = ('id integer PRIMARY KEY, name varchar(80) NOT NULL, created timestamptz DEFAULT now(), '
              'email text, score integer DEFAULT 0')
        v3 = ('id integer PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now(), '
              'email text, score bigint DEFAULT 0, CHECK (score >= 0)')
        p = self.partner(i)
        if p is not None:
            v3 += ', partner_id integer REFERENCES %s (id)' % qname(p)
        elif i % 7 == 3:
            v3 += ', parent_id integer REFERENCES %s (id) ON DELETE CASCADE' % qname((i + 11) % self.n)
        return [v + permanent for v in (v0, v1, v2, v3)]


def connect(args, dbname, appname):
    conn = psycopg2.connect(dbname=dbname, application_name=appname, connect_timeout=10)
    conn.set_client_encoding('UTF8')
    return conn


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = collections.Counter()
        self.ok = collections.Counter()
        self.codes = collections.Counter()
        self.op_codes = collections.Counter()
        self.results = collections.Counter()       # (op, result text)
        self.first_all = collections.Counter()     # (table, action) of the creation race
        self.created = None     # barrier: every session has run its first provision_all()
        self.go = None          # barrier: rows are in, the timed mix starts
        self.unexpected = []
        self.lost = []
        self.current = {}       # pid -> (session, statement running now)
        self.stop = False


class Session(threading.Thread):
    def __init__(self, sid, args, shared, models, fn):
        super().__init__(name='soak-s%d' % sid, daemon=True)
        self.sid = sid
        self.args = args
        self.shared = shared
        self.models = models
        self.fn = fn
        self.rng = random.Random('%s-session-%d' % (args.seed, sid))
        self.recent = collections.deque(maxlen=12)
        self.error = None
        self.conn = None
        self.pid = None

    def open(self):
        self.conn = connect(self.args, self.args.database, 'soak-s%d' % self.sid)
        self.conn.autocommit = True
        cur = self.conn.cursor()
        cur.execute("SET statement_timeout = '120s'")
        cur.execute("SET lock_timeout = %s", ('%dms' % self.args.lock_timeout_ms,))
        cur.execute("SET provision.lock_timeout = %s", ('%dms' % self.args.lock_timeout_ms,))
        cur.execute("SET client_min_messages = error")
        cur.execute("SELECT pg_backend_pid()")
        self.pid = cur.fetchone()[0]

    def run_sql(self, op, sql, params=()):
        cur = self.conn.cursor()
        text = cur.mogrify(sql, params).decode('utf-8', 'replace')
        self.recent.append((time.time(), text))
        with self.shared.lock:
            self.shared.ops[op] += 1
            self.shared.current[self.pid] = (self.sid, text)
        try:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
            with self.shared.lock:
                self.shared.ok[op] += 1
                self.shared.current.pop(self.pid, None)
            return True, rows
        except psycopg2.Error as e:
            code = e.pgcode
            if code is None or self.conn.closed:
                with self.shared.lock:
                    self.shared.lost.append((self.sid, text, str(e).strip()))
                raise
            with self.shared.lock:
                self.shared.current.pop(self.pid, None)
                self.shared.codes[code] += 1
                self.shared.op_codes[(op, code)] += 1
                involved = {}
                for pid in re.findall(r'Process (\d+)', e.diag.message_detail or ''):
                    pid = int(pid)
                    if pid != self.pid and pid in self.shared.current:
                        involved[pid] = self.shared.current[pid]
                if code not in EXPECTED:
                    self.shared.unexpected.append({
                        'involved': involved,
                        'session': self.sid, 'pid': self.pid, 'op': op, 'code': code,
                        'statement': text, 'message': (e.pgerror or str(e)).strip(),
                        'detail': e.diag.message_detail, 'context': e.diag.context,
                        'time': time.time(), 'recent': list(self.recent)})
            if not self.conn.autocommit:
                self.conn.rollback()
            return False, None

    def pick(self):
        # a hot subset gets half of the traffic, so that sessions collide
        if self.rng.random() < 0.5:
            return self.rng.randrange(min(10, self.models.n))
        return self.rng.randrange(self.models.n)

    def step(self):
        rng = self.rng
        fn = self.fn
        i = self.pick()
        name = self.models.names[i]
        r = rng.random()
        if r < 0.18:
            v = rng.randrange(4)
            self.run_sql('define', 'SELECT %s(%%s, %%s)' % fn['define'],
                         (name, self.models.versions[i][v]))
        elif r < 0.30:
            ok, rows = self.run_sql('table', 'SELECT %s(%%s)' % fn['table'], (name,))
            if ok:
                with self.shared.lock:
                    self.shared.results[('table', rows[0][0])] += 1
        elif r < 0.34:
            self.run_sql('all', 'SELECT * FROM %s()' % fn['all'])
        elif r < 0.46:
            self.run_sql('diff', 'SELECT * FROM %s(%%s)' % fn['diff'], (name,))
        elif r < 0.49:
            self.run_sql('diff_all', 'SELECT * FROM %s()' % fn['diff'])
        elif r < 0.52:
            self.run_sql('plan', 'SELECT * FROM %s(%%s)' % fn['plan'], (name,))
        elif r < 0.66:
            self.run_sql('migrate', 'SELECT * FROM %s(%%s, allow_destructive => false)'
                         % fn['migrate'], (name,))
        elif r < 0.80:
            self.run_sql('migrate_d', 'SELECT * FROM %s(%%s, allow_destructive => true)'
                         % fn['migrate'], (name,))
        elif r < 0.82:
            self.run_sql('migrate_all', 'SELECT * FROM %s(NULL, allow_destructive => %%s)'
                         % fn['migrate'], (rng.random() < 0.5,))
        elif r < 0.90 and self.args.inserts:
            self.run_sql('insert', 'INSERT INTO %s (id, name) VALUES (%%s, %%s) '
                         'ON CONFLICT DO NOTHING' % name, (rng.randint(1, 1000), 'n%d' % i))
        elif r < 0.90:
            self.run_sql('plan', 'SELECT * FROM %s(%%s)' % fn['plan'], (name,))
        else:
            # deploy-like: declare and migrate in one transaction
            self.conn.autocommit = False
            try:
                ok, _ = self.run_sql('deploy', 'SELECT %s(%%s, %%s)' % fn['define'],
                                     (name, self.models.versions[i][rng.randrange(4)]))
                if ok:
                    ok, _ = self.run_sql('deploy', 'SELECT * FROM %s(%%s, allow_destructive => %%s)'
                                         % fn['migrate'], (name, rng.random() < 0.5))
                if ok:
                    self.conn.commit()
                    with self.shared.lock:
                        self.shared.ok['deploy_tx'] += 1
            finally:
                if not self.conn.closed:
                    if self.conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                        self.conn.rollback()
                    self.conn.autocommit = True

    def run(self):
        try:
            self.open()
            # the creation race: every session provisions every model at once
            ok, rows = self.run_sql('all_first', 'SELECT * FROM %s()' % self.fn['all'])
            with self.shared.lock:
                for table, action in rows or []:
                    self.shared.first_all[(table, action)] += 1
            self.shared.created.wait(timeout=300)
            self.shared.go.wait(timeout=300)
            while not self.shared.stop:
                try:
                    self.step()
                except psycopg2.Error:
                    if self.conn.closed:
                        if self.shared.stop:
                            break
                        self.open()
                    else:
                        raise
        except Exception as e:      # noqa: BLE001
            self.error = '%s\n%s' % (e, traceback.format_exc())


def ok_line(results, name, ok, detail=''):
    results.append(ok)
    line = '%s - %s' % ('ok' if ok else 'not ok', name)
    if detail:
        line += ': ' + detail
    print(line, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--duration', type=float, default=60, help='seconds (default 60)')
    ap.add_argument('--sessions', type=int, default=16)
    ap.add_argument('--models', type=int, default=50)
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--database', default='provision_soak')
    ap.add_argument('--maintenance-db', default='postgres')
    ap.add_argument('--lock-timeout-ms', type=int, default=5000,
                    help='provision.lock_timeout and lock_timeout (default 5000; keep it '
                    'above deadlock_timeout so deadlocks are not hidden behind timeouts)')
    ap.add_argument('--server-log', default=None)
    ap.add_argument('--inserts', action='store_true',
                    help='sessions also insert rows (a plain INSERT into a table that '
                    'references one being migrated can deadlock with the migration)')
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 1000000007
    print('soak: seed %d, %d sessions, %.0f s, %d models, database %s' % (
        args.seed, args.sessions, args.duration, args.models, args.database), flush=True)

    admin = connect(args, args.maintenance_db, 'soak-setup')
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % args.database)
    cur.execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'" % args.database)
    admin.close()

    main_conn = connect(args, args.database, 'soak-main')
    main_conn.autocommit = True
    cur = main_conn.cursor()
    cur.execute('SET client_min_messages = warning')
    cur.execute('CREATE EXTENSION provision')
    cur.execute("SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension "
                "WHERE extname = 'provision'")
    ns = cur.fetchone()[0]
    fn = {k: '%s.provision_%s' % (ns, k) for k in
          ['define', 'table', 'all', 'diff', 'plan', 'migrate', 'schema']}
    cur.execute('SELECT pg_backend_pid()')
    main_pid = cur.fetchone()[0]
    log_path = args.server_log or os.environ.get('PROVISION_SERVER_LOG')
    if not log_path:
        cur.execute("SELECT pg_current_logfile(), current_setting('data_directory')")
        lf, dd = cur.fetchone()
        if lf:
            log_path = lf if os.path.isabs(lf) else os.path.join(dd, lf)
    log_offset = os.path.getsize(log_path) if log_path and os.path.exists(log_path) else 0

    models = Models(args.models)
    for i in range(models.n):
        cur.execute('SELECT %s(%%s, %%s)' % fn['define'], (models.names[i], models.versions[i][0]))
    print('soak: %d models declared at version 0, no table yet' % models.n, flush=True)

    shared = Shared()
    shared.created = threading.Barrier(args.sessions + 1)
    shared.go = threading.Barrier(args.sessions + 1)
    sessions = [Session(s, args, shared, models, fn) for s in range(args.sessions)]
    results = []
    t0 = time.time()
    for s in sessions:
        s.start()
    race_err = ''
    try:
        shared.created.wait(timeout=300)
    except threading.BrokenBarrierError:
        race_err = 'a session did not finish its first provision_all()'
    race_time = time.time() - t0
    print('soak: session pids %s' % ' '.join('s%d=%s' % (s.sid, s.pid) for s in sessions), flush=True)
    per_table = collections.defaultdict(collections.Counter)
    for (table, action), n in shared.first_all.items():
        per_table[table][action] += n
    wrong = ['%s: %s' % (t, dict(c)) for t, c in sorted(per_table.items())
             if c['created'] != 1 or c['exists'] != args.sessions - 1]
    if len(per_table) != models.n:
        wrong.insert(0, '%d tables reported, not %d' % (len(per_table), models.n))
    ok_line(results, 'creation race: %d sessions ran provision_all() at once over %d models in '
            '%.1f s; each table created once, "exists" for the other sessions, no error'
            % (args.sessions, models.n, race_time),
            not race_err and not wrong and not shared.codes,
            '; '.join(([race_err] if race_err else []) + wrong[:5] +
                      ['%s %d' % kv for kv in sorted(shared.codes.items())]))
    for i in range(models.n):
        cur.execute('INSERT INTO %s (id, name) SELECT g, %%s FROM generate_series(1, 5) g'
                    % models.names[i], ('n%d' % i,))
    try:
        shared.go.wait(timeout=300)
    except threading.BrokenBarrierError:
        pass
    start = time.time()
    last = start
    while time.time() - start < args.duration:
        time.sleep(0.5)
        if time.time() - last >= 15:
            last = time.time()
            print('soak: %.0f s, %d statements, %d errors (%s)' % (
                last - start, sum(shared.ops.values()), sum(shared.codes.values()),
                ' '.join('%s:%d' % kv for kv in sorted(shared.codes.items()))), flush=True)
    shared.stop = True
    for s in sessions:
        s.join(timeout=180)
    elapsed = time.time() - start
    stuck = [s.sid for s in sessions if s.is_alive()]

    total = sum(shared.ops.values())
    print('soak: %d statements in %.1f s (%.0f/s) from %d sessions' % (
        total, elapsed, total / elapsed, args.sessions))
    print('statements by kind (done / ok):')
    for op in sorted(shared.ops):
        codes = ' '.join('%s:%d' % (c, n) for (o, c), n in sorted(shared.op_codes.items()) if o == op)
        print('  %-12s %7d / %7d  %s' % (op, shared.ops[op], shared.ok[op], codes))
    print('  deploy transactions committed: %d' % shared.ok['deploy_tx'])
    print('provision_table results: %s' % ', '.join(
        '%s %d' % (r, n) for (o, r), n in sorted(shared.results.items())))
    print('errors by SQLSTATE: %s' % (', '.join(
        '%s %d' % kv for kv in sorted(shared.codes.items())) or 'none'))

    werr = [s for s in sessions if s.error]
    ok_line(results, 'all %d sessions ran %.0f s and stopped' % (args.sessions, args.duration),
            not werr and not stuck,
            '; '.join(['session %d: %s' % (s.sid, s.error.splitlines()[0]) for s in werr] +
                      ['session %d still running' % s for s in stuck]))
    alive = []
    for s in sessions:
        try:
            c = s.conn.cursor()
            c.execute('SELECT pg_backend_pid()')
            if c.fetchone()[0] != s.pid:
                alive.append('session %d reconnected' % s.sid)
        except (psycopg2.Error, AttributeError) as e:
            alive.append('session %d: %s' % (s.sid, str(e).strip()))
    try:
        cur.execute('SELECT pg_backend_pid()')
        if cur.fetchone()[0] != main_pid:
            alive.append('main connection changed')
    except psycopg2.Error as e:
        alive.append('main connection: %s' % e)
    alive += ['session %d lost its connection: %s [%s]' % (sid, msg, text[:200])
              for sid, text, msg in shared.lost]
    ok_line(results, 'every connection alive, none lost', not alive, '; '.join(alive[:5]))

    internal = [u for u in shared.unexpected if u['code'][:2] in ('XX', '58')]
    deadlocks = [u for u in shared.unexpected if u['code'] == '40P01']
    others = [u for u in shared.unexpected if u not in internal and u not in deadlocks]
    ok_line(results, 'no internal error (class XX or 58)', not internal,
            '%d: %s' % (len(internal), internal[0]['message'].splitlines()[0]) if internal else '')
    ok_line(results, 'no deadlock (40P01)', not deadlocks, '%d deadlocks' % len(deadlocks)
            if deadlocks else '')
    ok_line(results, 'no SQLSTATE but 55000 and 55P03', not others,
            ', '.join('%s %d' % kv for kv in sorted(collections.Counter(
                u['code'] for u in others).items())))
    if shared.unexpected:
        print('unexpected errors, first 3 of each SQLSTATE and operation:')
        seen = collections.Counter()
        for u in shared.unexpected:
            key = (u['code'], u['op'])
            seen[key] += 1
            if seen[key] > 3:
                continue
            print('--- session %d (pid %d) %s: SQLSTATE %s' % (u['session'], u['pid'], u['op'], u['code']))
            print('    statement: %s' % u['statement'][:1000])
            print('    message:   %s' % u['message'].replace('\n', '\n               '))
            if u['context']:
                print('    context:   %s' % u['context'].strip().replace('\n', ' | '))
            for pid, (sid, text) in sorted(u.get('involved', {}).items()):
                print('    pid %d (session %d) was running: %s' % (pid, sid, text[:300]))
            print('    this session before it: %s' % ' ; '.join(
                sql[:200] for _, sql in u['recent'][-4:-1]))
        for key, n in sorted(seen.items()):
            print('  %s in %s: %d' % (key[0], key[1], n))

    # the end state: every model at its final version
    final_err = ''
    try:
        for i in range(models.n):
            cur.execute('SELECT %s(%%s, %%s)' % fn['define'], (models.names[i], models.versions[i][-1]))
        cur.execute('SELECT * FROM %s(NULL, allow_destructive => true)' % fn['migrate'])
        ran = cur.fetchall()
        print('final migration ran %d statements' % len(ran))
    except psycopg2.Error as e:
        final_err = '%s %s' % (e.pgcode, (e.pgerror or str(e)).strip())
    ok_line(results, 'final provision_migrate(allow_destructive => true) to the last versions',
            not final_err, final_err)
    try:
        cur.execute('SELECT table_name, change, object, declared, actual FROM %s()' % fn['diff'])
        rows = cur.fetchall()
        ok_line(results, 'provision_diff() returns zero rows after it', not rows,
                '%d rows: %s' % (len(rows), '; '.join(str(r) for r in rows[:5])))
    except psycopg2.Error as e:
        ok_line(results, 'provision_diff() returns zero rows after it', False,
                '%s %s' % (e.pgcode, (e.pgerror or '').strip()))

    if log_path and os.path.exists(log_path):
        with open(log_path, 'rb') as f:
            f.seek(log_offset)
            crash = [ln for ln in f.read().decode('utf-8', 'replace').splitlines()
                     if CRASH_PATTERNS.search(ln)]
        ok_line(results, 'server log has no crash or restart (%s)' % log_path, not crash,
                '; '.join(crash[:5]))
    else:
        ok_line(results, 'server log has no crash or restart', False,
                'no server log to read (give --server-log)')

    for s in sessions:
        try:
            s.conn.close()
        except Exception:       # noqa: BLE001
            pass
    main_conn.close()
    npass = sum(results)
    nfail = len(results) - npass
    print('soak: seed %d, %d sessions, %.0f s, %d statements (%.0f/s), errors: %s; '
          'checks: %d passed, %d failed' % (
              args.seed, args.sessions, elapsed, total, total / elapsed,
              ', '.join('%s %d' % kv for kv in sorted(shared.codes.items())) or 'none',
              npass, nfail), flush=True)
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
