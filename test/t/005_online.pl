# CALL provision_apply() killed and run again: the backend running it is
# killed in the middle of a backfill (SIGKILL: the server restarts and
# recovers) and in the middle of a concurrent index build (SIGTERM: its
# background worker goes with it, the index is left INVALID); each time
# the same CALL finishes the job, provision_diff() finds nothing, and every
# row is intact (count and checksum).  Then 30,000 missing tables are
# created by one CALL at the default max_locks_per_transaction, where
# provision_all() runs out of shared memory.
#
# Run it with test/run-tap.sh (make install first).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf('postgresql.conf', "jit = off\nrestart_after_crash = on\n");
$node->start;

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION provision;
CREATE TABLE big (id integer PRIMARY KEY, v integer NOT NULL, note text);
INSERT INTO big SELECT g, g % 1000, 'note ' || g FROM generate_series(1, 300000) g;
CREATE TABLE ref (id integer PRIMARY KEY, big_id integer NOT NULL REFERENCES big (id));
INSERT INTO ref SELECT g, g * 3 FROM generate_series(1, 100000) g;
SELECT provision_capture('public.big'), provision_capture('public.ref');
});

my $checksum_sql = q{
SELECT count(*) || ' ' || sum(hashtext(id || ' ' || v || ' ' || coalesce(note, '-'))::numeric)
       || ' / ' || (SELECT count(*) || ' ' || sum(hashtext(id || ' ' || big_id)::numeric) FROM ref)
  FROM big};
my $before = $node->safe_psql('postgres', $checksum_sql);

# wait until a query on the server returns true
sub wait_for
{
	my ($sql, $what) = @_;
	for (my $i = 0; $i < 3000; $i++)
	{
		my $r = $node->safe_psql('postgres', $sql);
		return 1 if $r eq 't';
		usleep(20_000);
	}
	diag("timed out waiting for $what");
	return 0;
}

# the backend running CALL provision_apply(), started in the background
sub start_apply
{
	my @settings = @_;
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'),
		  (map { ('-c', $_) } @settings), '-c', 'CALL provision_apply()' ],
		'<', \$in, '>', \$out, '2>', \$err);
	return ($h, \$out, \$err);
}

# 1. killed in the middle of a backfill: SIGKILL, crash and recovery
$node->safe_psql('postgres',
	q{SELECT provision_define('public.big', 'id bigint PRIMARY KEY, v integer NOT NULL, note text')});
my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(4713, 3)');
my ($h, $out, $err) = start_apply('SET provision.pause_key = 4713',
	'SET provision.backfill_workers = 0');
ok(wait_for(q{SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'CALL provision_apply(): filling%' AND wait_event_type = 'Lock')},
	'the backfill to pause'), 'the apply is in the middle of its backfill') or diag($$err);
my $filled = $node->safe_psql('postgres', 'SELECT count(*) FILTER (WHERE id_pvnew = id) FROM big');
ok($filled > 0 && $filled < 300000, "part of the shadow column is filled ($filled rows)");
# The steps commit without waiting for the WAL flush: a step the crash
# catches in the WAL buffers is lost, and done again by the next run
# (tests 5 to 9).  Here the WAL is flushed first (CHECKPOINT: a commit
# that wrote nothing but its commit record does not wait for the flush),
# so that the crash always finds the shadow column; without it, on a busy
# machine the kill could come before the WAL writer wrote the step.
$node->safe_psql('postgres', 'CHECKPOINT');
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL provision_apply(): filling%'});
kill 'KILL', $pid;
$h->finish;
eval { $holder->quit; };
$node->poll_query_until('postgres', 'SELECT true') or die 'the server did not come back';
like($node->safe_psql('postgres', q{SELECT string_agg(change, ', ' ORDER BY change) FROM provision_diff()}),
	qr/column_type, online_incomplete/, 'after the crash, provision_diff() reports the half-done change');
is($node->safe_psql('postgres', $checksum_sql), $before, 'every row is intact after the crash');
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'CALL provision_apply()');
is($ret, 0, 'the same CALL runs again') or diag($stderr);
is($node->safe_psql('postgres', 'SELECT count(*) FROM provision_diff()'), '0', 'no drift after it');
is($node->safe_psql('postgres', $checksum_sql), $before, 'every row is intact (count and checksum)');
is($node->safe_psql('postgres', q{SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'id'}),
	'bigint', 'the column is bigint');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_constraint WHERE conrelid = 'ref'::regclass AND contype = 'f' AND convalidated}),
	'1', 'the foreign key that references it is there and valid');

# 2. killed in the middle of a concurrent index build: an older snapshot
# holds the build in its last wait; SIGTERM to the session ends its worker
$node->safe_psql('postgres',
	q{SELECT provision_define('public.big', 'id bigint PRIMARY KEY, v integer NOT NULL, note text UNIQUE')});
my $snapshot = $node->background_psql('postgres');
$snapshot->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$snapshot->query_safe('SELECT count(*) FROM ref');
($h, $out, $err) = start_apply();
ok(wait_for(q{SELECT EXISTS (SELECT FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for old snapshots%')},
	'the index build to wait'), 'the concurrent index build is under way');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'provision online worker'}),
	'1', 'a background worker builds it');
$pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL provision_apply(): %CONCURRENTLY%'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$h->finish;
ok(wait_for(q{SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'provision online worker')},
	'the worker to end'), 'the worker ended with its session');
$snapshot->query_safe('COMMIT');
$snapshot->quit;
is($node->safe_psql('postgres', q{SELECT string_agg(indexrelid::regclass || ' ' || indisvalid, ', ') FROM pg_index WHERE indrelid = 'big'::regclass AND NOT indisvalid}),
	'big_note_key_pvnew false', 'an INVALID index is left');
like($node->safe_psql('postgres', q{SELECT string_agg(change || ' ' || object, ', ' ORDER BY change) FROM provision_diff()}),
	qr/constraint_missing big_note_key, online_incomplete big_note_key_pvnew/, 'provision_diff() reports it');
($ret, $stdout, $stderr) = $node->psql('postgres', 'CALL provision_apply()');
is($ret, 0, 'the same CALL runs again') or diag($stderr);
is($node->safe_psql('postgres', 'SELECT count(*) FROM provision_diff()'), '0', 'no drift after it');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass AND NOT indisvalid}),
	'0', 'the INVALID index was dropped and built again');
is($node->safe_psql('postgres', $checksum_sql), $before, 'every row is intact (count and checksum)');

# 3. 30,000 missing tables, default max_locks_per_transaction
is($node->safe_psql('postgres', 'SHOW max_locks_per_transaction'), '64', 'the default lock table');
$node->safe_psql('postgres', q{
SELECT provision_define('many.t0', 'id integer PRIMARY KEY, v text');
CREATE TEMP TABLE copies AS
SELECT r.*, n FROM provision_registry r, generate_series(1, 29999) n
 WHERE r.schema_name = 'many' AND r.table_name = 't0';
UPDATE copies SET table_name = 't' || n;
ALTER TABLE copies DROP COLUMN n;
INSERT INTO provision_registry SELECT * FROM copies;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM provision_models WHERE schema_name = 'many'}),
	'30000', '30,000 models declared');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT count(*) FROM provision_all()');
isnt($ret, 0, 'provision_all() cannot create them in one transaction');
like($stderr, qr/out of shared memory/, 'it runs out of shared memory, as plain CREATE TABLE would');
($ret, $stdout, $stderr) = $node->psql('postgres', 'SET client_min_messages = warning; CALL provision_apply()');
is($ret, 0, 'one CALL provision_apply() creates them, a batch per transaction') or diag($stderr);
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'many'}),
	'30000', 'every table is there');
is($node->safe_psql('postgres', 'SELECT count(*) FROM provision_diff()'), '0', 'no drift');

$node->stop;
done_testing();
