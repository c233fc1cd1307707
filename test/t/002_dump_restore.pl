# pg_dump and restore keep provision's state: the models (an extension
# configuration table), the DDL history and its sequence.  In the restored
# database every provisioned table matches its model (provision_diff()
# empty), provision_all() is a no-op for them and still creates a model
# that was declared but never provisioned, and new history rows continue
# after the restored ones.  Types the models use (an enum, a domain in
# another schema) are restored before the models that name them.
#
# Run it with `make installcheck` or test/run-tap.sh (make install first).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf('postgresql.conf', "jit = off\n");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
SET client_min_messages = warning;
CREATE EXTENSION provision;
CREATE TYPE public.mood AS ENUM ('happy', 'sad');
CREATE SCHEMA types;
CREATE DOMAIN types.email AS text CHECK (VALUE LIKE '%@%');
SELECT provision_table('app.users', $$
    id serial PRIMARY KEY,
    username varchar(50) NOT NULL UNIQUE,
    email types.email,
    mood public.mood NOT NULL DEFAULT 'happy',
    tags text[] NOT NULL DEFAULT '{}'
$$);
SELECT provision_table('app.orders', $$
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
    total numeric(12,2) CHECK (total >= 0),
    doubled numeric GENERATED ALWAYS AS (total * 2) STORED
$$);
INSERT INTO app.users (username, email) VALUES ('john_doe', 'john@example.org');
SELECT provision_define('app.users', $$
    id serial PRIMARY KEY,
    username varchar(50) NOT NULL UNIQUE,
    email types.email,
    mood public.mood NOT NULL DEFAULT 'happy',
    tags text[] NOT NULL DEFAULT '{}',
    active boolean NOT NULL DEFAULT true
$$);
SELECT count(*) FROM provision_migrate();
SELECT provision_define('"Later"."Not Yet"', 'id integer PRIMARY KEY, user_id integer REFERENCES app.users');
});

my $models_q =
  'SELECT table_name, definition, declared_by FROM provision_models ORDER BY 1';
my $history_q =
  'SELECT id, executed_at, executed_by, table_name, statement FROM provision_history ORDER BY id';
my $models  = $node->safe_psql('source', $models_q);
my $history = $node->safe_psql('source', $history_q);
like($models, qr/"Later"\."Not Yet"/, 'the source declares the unprovisioned model');
like($history, qr/ADD COLUMN active/, 'the source history holds the migration');

# dump in the custom format, restore into a new database
my $dump = $node->basedir . '/source.dump';
$node->command_ok(
	[ 'pg_dump', '-Fc', '-d', $node->connstr('source'), '-f', $dump ],
	'pg_dump of the source database');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
	'pg_restore into a new database');

is($node->safe_psql('restored', $models_q), $models,
	'every model is restored, definition and declarer unchanged');
is($node->safe_psql('restored', $history_q), $history,
	'the DDL history is restored row for row');
is($node->safe_psql('restored', 'SELECT username FROM app.users'),
	'john_doe', 'the data is restored');

is($node->safe_psql('restored', 'SELECT count(*) FROM provision_diff()'),
	'1', 'provision_diff() in the restored database: only the unprovisioned model');
is( $node->safe_psql(
		'restored', 'SELECT change FROM provision_diff()'),
	'table_missing', 'and that one is reported as table_missing');

is( $node->safe_psql(
		'restored',
		'SET client_min_messages = warning; SELECT table_name || \' \' || action FROM provision_all() ORDER BY table_name COLLATE "C"'),
	"\"Later\".\"Not Yet\" created\napp.orders exists\napp.users exists",
	'provision_all() in the restored database: the rest exists, the new model is created');
is($node->safe_psql('restored', 'SELECT count(*) FROM provision_diff()'),
	'0', 'afterwards nothing differs from the models');

my ($max_before) = $history =~ /\A.*^(\d+)\|/ms;
my $new_ids = $node->safe_psql('restored',
	q{SELECT min(id) FROM provision_history WHERE table_name = '"Later"."Not Yet"'});
cmp_ok($new_ids, '>', $max_before,
	'new history rows continue after the restored ones (the sequence is dumped)');

$node->stop;
done_testing();
