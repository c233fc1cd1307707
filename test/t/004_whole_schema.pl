# A whole schema survives the trip through provision: a database built
# with plain DDL that uses every kind provision models
# (test/fixtures/every_kind.sql, plus NULLS NOT DISTINCT where the server
# has it) is dumped with pg_dump --schema-only; provision_load() of that
# dump (skip_unsupported, for its OWNER TO lines) into an empty database
# and provision_all() make a database whose pg_dump --schema-only is the
# same, line for line, once pg_dump's comments, \restrict lines and the
# provision extension itself are set aside.  provision_diff() is empty
# there, and also in the first database once the same dump is loaded
# over the objects that already exist (nothing is created there).
#
# Run it with `make installcheck` or test/run-tap.sh (make install first).

use strict;
use warnings;

use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# test/fixtures, wherever prove runs this file from
my $fixtures = dirname(__FILE__) . '/../fixtures';

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf('postgresql.conf', "jit = off\n");
$node->start;

my $version = $node->safe_psql('postgres', 'SHOW server_version_num');

$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('postgres', 'CREATE DATABASE provisioned');
$node->command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('plain'),
	  '-f', "$fixtures/every_kind.sql" ],
	'the plain DDL of every kind runs');
if ($version >= 150000)
{
	$node->safe_psql('plain',
		'CREATE UNIQUE INDEX customers_name_nnd ON shop.customers (name) NULLS NOT DISTINCT');
}

my $dumpfile = $node->basedir . '/plain.sql';
$node->command_ok(
	[ 'pg_dump', '--schema-only', '-d', $node->connstr('plain'), '-f', $dumpfile ],
	'pg_dump --schema-only of the plain database');
my $script = slurp_file($dumpfile);
like($script, qr/CREATE INDEX orders_open ON shop\.orders/, 'the dump has the indexes');

# the dump as a dollar-quoted literal
my $tag = 'dump' . int(rand(1_000_000));
die "tag in dump" if index($script, "\$$tag\$") >= 0;
my $literal = "\$$tag\$$script\$$tag\$";

my ($ret, $out, $err) = $node->psql('provisioned', qq{
SET client_min_messages = notice;
CREATE EXTENSION provision;
SELECT kind, count(*) FROM provision_load($literal, skip_unsupported => true)
GROUP BY kind ORDER BY kind;
});
is($ret, 0, 'provision_load() of the dump succeeds') or diag($err);
like($err, qr/NOTICE:  skipped \d+ statements provision does not model/,
	'the OWNER TO lines are skipped with one NOTICE');
my $indexes = $version >= 150000 ? 13 : 12;
is($out, "domain|2\nenum|2\nindex|$indexes\npartition|9\nschema|2\nsequence|1\ntable|8",
	'every model of the dump is declared');

is($node->safe_psql('provisioned',
		"SELECT count(*) FROM provision_all() WHERE action = 'created'"),
	'17', 'provision_all() creates the 17 tables and partitions');
is($node->safe_psql('provisioned',
		"SELECT count(*) FROM provision_all() WHERE action = 'created'"),
	'0', 'the next provision_all() is a no-op');
is($node->safe_psql('provisioned', 'SELECT count(*) FROM provision_diff()'),
	'0', 'provision_diff() is empty in the provisioned database');

# pg_dump's own lines and the extension set aside, both dumps in full
sub schema_of
{
	my ($db) = @_;
	my $file = $node->basedir . "/$db.schema.sql";
	$node->command_ok(
		[ 'pg_dump', '--schema-only', '-d', $node->connstr($db), '-f', $file ],
		"pg_dump --schema-only of $db");
	my @lines = grep {
		!/^--/ && !/^\s*$/ && !/^\\(un)?restrict / &&
		!/EXTENSION (IF NOT EXISTS )?provision/
	} split /\n/, slurp_file($file);
	return join("\n", @lines) . "\n";
}

my $plain_schema = schema_of('plain');
my $provisioned_schema = schema_of('provisioned');
like($plain_schema, qr/PARTITION BY RANGE \(at\)/, 'the plain schema has its partitioning');
is($provisioned_schema, $plain_schema,
	'the provisioned database dumps to the same schema as the plain one');
if ($provisioned_schema ne $plain_schema)
{
	my $a = $node->basedir . '/a.sql';
	my $b = $node->basedir . '/b.sql';
	open my $fa, '>', $a or die; print $fa $plain_schema; close $fa;
	open my $fb, '>', $b or die; print $fb $provisioned_schema; close $fb;
	diag(scalar `diff -u $a $b`);
}

# the same dump loaded over the plain database, whose objects exist
($ret, $out, $err) = $node->psql('plain', qq{
SET client_min_messages = warning;
CREATE EXTENSION provision;
SELECT count(*) FROM provision_load($literal, skip_unsupported => true);
});
is($ret, 0, 'provision_load() into the plain database succeeds') or diag($err);
is($node->safe_psql('plain',
		"SELECT string_agg(DISTINCT action, ',') FROM provision_all()"),
	'exists', 'provision_all() over existing objects creates nothing');
is($node->safe_psql('plain', 'SELECT count(*) FROM provision_diff()'),
	'0', 'provision_diff() is empty in the plain database');

# and provision_dump() reads back the same in both
is($node->safe_psql('plain', 'SELECT md5(provision_dump())'),
	$node->safe_psql('provisioned', 'SELECT md5(provision_dump())'),
	'both databases hold the same models');

$node->stop;
done_testing();
