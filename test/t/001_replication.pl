# provision under streaming replication.
#
# A primary declares and creates tables with provision; a streaming standby
# made from a base backup must then show the same schema, tables, columns
# and models, answer the read-only functions (provision_diff, provision_plan)
# and refuse every writing function with SQLSTATE 25006 and a hint, before
# doing any work.  Drift made by hand on the primary must show up in
# provision_diff() on the standby once it has caught up.
#
# Run it with `make installcheck` (PGXS's TAP_TESTS sets PATH, the Perl
# library path, PG_REGRESS and TESTDIR), or with test/run-tap.sh, which does
# that from a temporary directory and, as root, as the postgres user
# (initdb refuses root).
# The extension must be installed (make install) beforehand.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# ---------------------------------------------------------------- primary
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "jit = off\n");
$primary->start;

# Check that the extension is installed at all: a clear failure beats forty
# confusing ones.
my ($ret, $out, $err) = $primary->psql('postgres',
	'CREATE EXTENSION provision', on_error_stop => 1);
is($ret, 0, 'CREATE EXTENSION provision on the primary')
  or BAIL_OUT("provision is not installed (run make install first): $err");

is( $primary->safe_psql('postgres', "SELECT provision_schema('app')"),
	'created', 'provision_schema() creates a schema on the primary');

is( $primary->safe_psql(
		'postgres',
		q{SELECT provision_table('app.users',
		    $$ id integer PRIMARY KEY, username varchar(50) NOT NULL UNIQUE,
		       email text, created timestamptz NOT NULL DEFAULT now() $$)}),
	'created',
	'provision_table() with a definition creates the table');

# A few models, one of them with foreign keys to the others, declared out of
# dependency order: provision_all() creates referenced tables first.
$primary->safe_psql(
	'postgres', q{
SELECT provision_define('shop.order_lines',
    $$ order_id integer REFERENCES shop.orders ON DELETE CASCADE,
       line integer,
       product_id integer NOT NULL REFERENCES shop.products,
       qty integer NOT NULL CHECK (qty > 0),
       PRIMARY KEY (order_id, line) $$);
SELECT provision_define('shop.orders',
    $$ id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       user_id integer NOT NULL REFERENCES app.users,
       placed timestamptz NOT NULL DEFAULT now() $$);
SELECT provision_define('shop.products',
    $$ id integer PRIMARY KEY, name text NOT NULL UNIQUE,
       price numeric(10,2) CHECK (price > 0) $$);
});

is( $primary->safe_psql(
		'postgres',
		q{SELECT string_agg(table_name || '=' || action, ',' ORDER BY table_name)
		    FROM provision_all()}),
	'app.users=exists,shop.order_lines=created,shop.orders=created,shop.products=created',
	'provision_all() creates the remaining models');

is( $primary->safe_psql(
		'postgres', q{SELECT count(*) FROM pg_constraint
		   WHERE contype = 'f' AND conrelid IN ('shop.order_lines'::regclass,
		                                        'shop.orders'::regclass)}),
	'3',
	'the foreign keys exist on the primary');

# Some rows, so the standby has data to read through the new tables.
$primary->safe_psql(
	'postgres', q{
INSERT INTO app.users (id, username) VALUES (1, 'alice');
INSERT INTO shop.products VALUES (10, 'widget', 2.50);
INSERT INTO shop.orders (user_id) VALUES (1);
INSERT INTO shop.order_lines VALUES (1, 1, 10, 3);
});

is($primary->safe_psql('postgres', 'SELECT count(*) FROM provision_diff()'),
	'0', 'no drift on the primary');

# ---------------------------------------------------------------- standby
# Made after the extension exists, from a base backup; catches up by
# streaming from then on.
$primary->backup('bkp');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bkp', has_streaming => 1);
$standby->append_conf('postgresql.conf', "jit = off\n");
$standby->start;

# Another model after the backup: it reaches the standby by streaming only.
$primary->safe_psql(
	'postgres', q{
SELECT provision_table('shop.reviews',
    $$ id serial PRIMARY KEY,
       product_id integer NOT NULL REFERENCES shop.products ON DELETE CASCADE,
       stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
       body text $$);
});

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

is( $standby->safe_psql(
		'postgres', q{SELECT string_agg(nspname, ',' ORDER BY nspname)
		   FROM pg_namespace WHERE nspname IN ('app', 'shop')}),
	'app,shop',
	'the schemas exist on the standby');

# Columns as information_schema shows them, table by table.
my %columns = (
	'app.users' =>
	  'id:integer:NO,username:character varying(50):NO,email:text:YES,created:timestamp with time zone:NO',
	'shop.products' =>
	  'id:integer:NO,name:text:NO,price:numeric(10,2):YES',
	'shop.orders' =>
	  'id:bigint:NO,user_id:integer:NO,placed:timestamp with time zone:NO',
	'shop.order_lines' =>
	  'order_id:integer:NO,line:integer:NO,product_id:integer:NO,qty:integer:NO',
	'shop.reviews' =>
	  'id:integer:NO,product_id:integer:NO,stars:smallint:NO,body:text:YES',);

foreach my $table (sort keys %columns)
{
	my ($schema, $name) = split /\./, $table;
	is( $standby->safe_psql(
			'postgres', qq{
SELECT string_agg(c.column_name || ':' ||
                  format_type(a.atttypid, a.atttypmod) || ':' || c.is_nullable,
                  ',' ORDER BY c.ordinal_position)
  FROM information_schema.columns c
  JOIN pg_attribute a
    ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
   AND a.attname = c.column_name
 WHERE c.table_schema = '$schema' AND c.table_name = '$name'}),
		$columns{$table},
		"$table has the declared columns on the standby");
}

is( $standby->safe_psql(
		'postgres', q{SELECT count(*) FROM pg_constraint
		   WHERE contype = 'f' AND connamespace = 'shop'::regnamespace}),
	'4',
	'the foreign keys exist on the standby');

is( $standby->safe_psql(
		'postgres', q{SELECT u.username || '/' || p.name || '/' || l.qty
		   FROM shop.order_lines l JOIN shop.orders o ON o.id = l.order_id
		   JOIN app.users u ON u.id = o.user_id
		   JOIN shop.products p ON p.id = l.product_id}),
	'alice/widget/3',
	'the rows are readable on the standby');

is( $standby->safe_psql(
		'postgres',
		q{SELECT string_agg(table_name, ',' ORDER BY table_name) FROM provision_models}),
	'app.users,shop.order_lines,shop.orders,shop.products,shop.reviews',
	'provision_models shows every model on the standby');

($ret, $out, $err) = $standby->psql('postgres',
	'SELECT count(*) FROM provision_diff()', on_error_stop => 1);
is($ret, 0, 'provision_diff() works on the standby') or diag($err);
is($out, '0', 'provision_diff() finds no drift on the standby');

($ret, $out, $err) = $standby->psql('postgres',
	"SELECT count(*) FROM provision_diff('shop.orders')", on_error_stop => 1);
is($ret, 0, 'provision_diff(table) works on the standby') or diag($err);
is($out, '0', 'provision_diff(table) finds no drift on the standby');

($ret, $out, $err) = $standby->psql('postgres',
	'SELECT count(*) FROM provision_plan()', on_error_stop => 1);
is($ret, 0, 'provision_plan() works on the standby') or diag($err);
is($out, '0', 'provision_plan() plans nothing on the standby');

($ret, $out, $err) = $standby->psql('postgres',
	"SELECT count(*) FROM provision_plan('app.users')", on_error_stop => 1);
is($ret, 0, 'provision_plan(table) works on the standby') or diag($err);

# ------------------------------------------- writing functions on the standby
# Each must fail with 25006 and the hint.  VERBOSITY=verbose makes psql print
# the SQLSTATE on the ERROR line.
my @writing = (
	[ 'provision_schema()',  q{SELECT provision_schema('standby_schema')} ],
	[ 'provision_schema()',  q{SELECT provision_schema('app')} ],
	[ 'provision_define()',  q{SELECT provision_define('app.t2', 'id int')} ],
	[ 'provision_table()',   q{SELECT provision_table('app.users')} ],
	[ 'provision_table()',   q{SELECT provision_table('app.t3', 'id int')} ],
	[ 'provision_all()',     q{SELECT * FROM provision_all()} ],
	[ 'provision_forget()',  q{SELECT provision_forget('app.users')} ],
	[ 'provision_migrate()', q{SELECT * FROM provision_migrate()} ],
	[ 'provision_migrate()', q{SELECT * FROM provision_migrate('app.users', true)} ],
	[ 'provision_capture()', q{SELECT provision_capture('shop.orders')} ],);

foreach my $case (@writing)
{
	my ($func, $sql) = @$case;
	my ($r, $o, $e) = $standby->psql(
		'postgres', $sql,
		on_error_stop => 1,
		extra_params  => [ '-v', 'VERBOSITY=verbose' ]);
	isnt($r, 0, "$sql fails on the standby");
	like(
		$e,
		qr/ERROR:\s+25006: cannot execute \Q$func\E during recovery/,
		"$sql: SQLSTATE 25006 and the message");
	like($e, qr/HINT:\s+Run it on the primary server\./, "$sql: the hint");
}

# The same through a DO block that catches the error and reports the SQLSTATE:
# the check comes first, so nothing else (no lock, no catalog read that might
# fail differently) gets in the way.
is( $standby->safe_psql(
		'postgres', q{
DO $$
DECLARE st text; h text;
BEGIN
    PERFORM provision_table('app.users', 'id int');
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, h = PG_EXCEPTION_HINT;
    RAISE NOTICE 'sqlstate=% hint=%', st, h;
END $$;
SELECT 'done';
}),
	'done',
	'a DO block on the standby can catch the error');

{
	my $stderr;
	$standby->psql(
		'postgres', q{
DO $$
DECLARE st text; h text;
BEGIN
    PERFORM provision_define('app.users', 'id int');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, h = PG_EXCEPTION_HINT;
    RAISE NOTICE 'sqlstate=% hint=%', st, h;
END $$;
}, stderr => \$stderr);
	like(
		$stderr,
		qr/sqlstate=25006 hint=Run it on the primary server\./,
		'the caught error carries SQLSTATE 25006 and the hint');
}

# Nothing changed on the standby's side of things, and nothing was replayed
# from a write that should not have happened: the primary still has five
# models and no table app.t3.
is( $primary->safe_psql(
		'postgres',
		q{SELECT count(*) || ',' || (to_regclass('app.t3') IS NULL) FROM provision_models}),
	'5,true',
	'the refused calls changed nothing');

# A read-only transaction on the primary is refused in the same way, with
# its own wording.
($ret, $out, $err) = $primary->psql(
	'postgres',
	q{SET default_transaction_read_only = on; SELECT provision_table('app.t4', 'id int')},
	on_error_stop => 1,
	extra_params  => [ '-v', 'VERBOSITY=verbose' ]);
like(
	$err,
	qr/ERROR:\s+25006: cannot execute provision_table\(\) in a read-only transaction/,
	'a read-only transaction on the primary gets 25006 too');

# ------------------------------------------------------ drift on the primary
$primary->safe_psql('postgres',
	'ALTER TABLE app.users ADD COLUMN nickname text');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

is( $standby->safe_psql(
		'postgres',
		q{SELECT table_name || '|' || change || '|' || object || '|' ||
		         coalesce(actual, '') || '|' || safe || '|' || ddl
		    FROM provision_diff()}),
	'app.users|column_extra|nickname|text|false|ALTER TABLE app.users DROP COLUMN nickname',
	'a column added by hand on the primary shows up in provision_diff() on the standby'
);

is( $standby->safe_psql(
		'postgres', q{SELECT count(*) FROM provision_diff('shop.orders')}),
	'0', 'the other tables are still in line');

is( $standby->safe_psql('postgres', q{SELECT ddl FROM provision_plan()}),
	'ALTER TABLE app.users DROP COLUMN nickname',
	'provision_plan() on the standby lists the fix');

($ret, $out, $err) = $standby->psql(
	'postgres', q{SELECT provision_migrate('app.users', true)},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like(
	$err,
	qr/ERROR:\s+25006: cannot execute provision_migrate\(\) during recovery/,
	'provision_migrate() still refuses on the standby when there is drift');

# The primary applies the fix; the standby sees the table back in line.
$primary->safe_psql('postgres',
	q{SELECT * FROM provision_migrate('app.users', allow_destructive => true)});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', 'SELECT count(*) FROM provision_diff()'),
	'0', 'after provision_migrate() on the primary the standby shows no drift');
is( $standby->safe_psql(
		'postgres', q{SELECT count(*) FROM provision_history
		   WHERE statement = 'ALTER TABLE app.users DROP COLUMN nickname'}),
	'1',
	'the migration is in provision_history on the standby');

$standby->stop;
$primary->stop;

done_testing();
