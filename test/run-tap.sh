#!/usr/bin/env bash
# Run the TAP tests in test/t/*.pl (or the ones named as arguments) with
# prove, against the provision extension as installed (make install first).
#
#   test/run-tap.sh                    # every test/t/*.pl
#   test/run-tap.sh test/t/001_replication.pl
#
# What it sets up, so that nothing else has to:
#   PATH        /usr/lib/postgresql/15/bin first (initdb, pg_ctl, postgres, ...)
#   PERL5LIB    PGXS's src/test/perl (PostgreSQL::Test::Cluster and ::Utils)
#   PG_REGRESS  PGXS's pg_regress (Cluster->init calls it with --config-auth)
#   TESTDIR     a fresh temporary directory: tmp_check/ (clusters, logs)
#               goes there, never into the work tree; test/fixtures is
#               copied to fixtures/ there, the tests' working directory
#   PG_TEST_PORT_DIR  /tmp/provision-tap-portlock, shared by concurrent runs
# initdb refuses to run as root, so as root the tests run as the postgres
# user (runuser), from copies of the test files in a directory it owns: the
# work tree need not be readable by postgres.  As any other user they run
# as that user.
#
# Prints prove's output; exits with prove's status.  On failure the node
# logs and regress_log_* files are printed too (and the directory is kept
# when PG_TEST_NOCLEAN is set, or on failure).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
pgxs=$(dirname "$("$pgbin/pg_config" --pgxs)")/..   # .../lib/pgxs/src
pgxs=$(cd "$pgxs" && pwd)
perl_lib=$pgxs/test/perl
pg_regress=$pgxs/test/regress/pg_regress

for f in "$perl_lib/PostgreSQL/Test/Cluster.pm" "$pg_regress"; do
	[ -e "$f" ] || { echo "run-tap.sh: $f missing (postgresql-server-dev-15)" >&2; exit 2; }
done
perl -MIPC::Run -e1 2>/dev/null ||
	{ echo "run-tap.sh: Perl module IPC::Run missing (libipc-run-perl)" >&2; exit 2; }
command -v prove >/dev/null || { echo "run-tap.sh: prove missing (perl)" >&2; exit 2; }

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=("$here"/t/*.pl)
fi

run_as=()
if [ "$(id -u)" = 0 ]; then
	run_as=(runuser -u postgres --)
fi

testdir=$(mktemp -d /tmp/provision-tap.XXXXXX)
mkdir "$testdir/t"
for t in "${tests[@]}"; do
	cp "$t" "$testdir/t/"
done
# the schema files the tests build databases from (test/fixtures)
cp -r "$here/fixtures" "$testdir/fixtures"
# one port-lock directory for every run on this machine, so that runs at
# the same time do not pick the same port
portdir=/tmp/provision-tap-portlock
mkdir -p "$portdir"
if [ "$(id -u)" = 0 ]; then
	chown -R postgres: "$testdir"
	chown postgres: "$portdir"
fi

status=0
(
	cd "$testdir"
	"${run_as[@]}" env \
		PATH="$pgbin:$PATH" \
		PERL5LIB="$perl_lib${PERL5LIB:+:$PERL5LIB}" \
		PG_REGRESS="$pg_regress" \
		TESTDIR="$testdir" \
		PG_TEST_PORT_DIR="$portdir" \
		prove -v --timer t/*.pl
) || status=$?

if [ "$status" != 0 ]; then
	echo "run-tap.sh: prove failed ($status); logs under $testdir/tmp_check/log:" >&2
	for f in "$testdir"/tmp_check/log/*; do
		[ -f "$f" ] || continue
		echo "===== $f" >&2
		tail -n 80 "$f" >&2
	done
elif [ -z "${PG_TEST_NOCLEAN:-}" ]; then
	rm -rf "$testdir"
fi
exit "$status"
