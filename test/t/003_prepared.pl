# Declaring leaves a transaction preparable: the trial that validates a
# definition creates nothing temporary (its scratch schema and table are
# rolled back with the subtransaction), so PREPARE TRANSACTION works after
# provision_define() and provision_capture(), and COMMIT PREPARED keeps
# the models.  A trial never clashes with the session's temporary objects,
# and leaves no scratch schema behind.
#
# Run it with test/run-tap.sh (make install first).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf('postgresql.conf', "max_prepared_transactions = 5\njit = off\n");
$node->start;

$node->safe_psql('postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION provision;
CREATE SCHEMA app;
CREATE TABLE app.existing (id integer PRIMARY KEY, name text NOT NULL);
});

my ($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
SELECT provision_define('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
PREPARE TRANSACTION 'after_define';
});
is($ret, 0, 'PREPARE TRANSACTION after provision_define() succeeds');
unlike($err, qr/ERROR/, 'no error preparing after a define') or diag($err);

($ret, $out, $err) = $node->psql('postgres', q{
BEGIN;
SELECT provision_capture('app.existing');
PREPARE TRANSACTION 'after_capture';
});
is($ret, 0, 'PREPARE TRANSACTION after provision_capture() succeeds');
unlike($err, qr/ERROR/, 'no error preparing after a capture') or diag($err);

is($node->safe_psql('postgres', q{SELECT count(*) FROM provision_models}),
	'0', 'prepared, not yet committed: no model visible');
$node->safe_psql('postgres', q{COMMIT PREPARED 'after_define'});
$node->safe_psql('postgres', q{COMMIT PREPARED 'after_capture'});
is($node->safe_psql('postgres',
		q{SELECT string_agg(table_name, ', ' ORDER BY table_name) FROM provision_models}),
	'app.existing, app.users', 'both models are there after COMMIT PREPARED');

# the session has a temporary table named like the model's constraint: the
# trial does not clash with it, and the transaction stays preparable (the
# constraint is not named like another model: its index would be that
# relation, refused with 42P07)
($ret, $out, $err) = $node->psql('postgres', q{
CREATE TEMP TABLE more (x integer);
CREATE TEMP TABLE more_uq (x integer);
BEGIN;
SELECT provision_define('app.more', $$ id integer, CONSTRAINT more_uq UNIQUE (id) $$);
PREPARE TRANSACTION 'with_clash';
COMMIT PREPARED 'with_clash';
});
is($ret, 0, 'a temporary table named like the model or its constraint does not disturb the trial')
  or diag($err);
is($node->safe_psql('postgres',
		q{SELECT definition FROM provision_models WHERE table_name = 'app.more'}),
	'id integer, CONSTRAINT more_uq UNIQUE (id)', 'the model was declared and committed');

is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'provision_trial%'}),
	'0', 'no scratch schema is left behind');

$node->stop;
done_testing();
