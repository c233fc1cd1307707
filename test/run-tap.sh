#!/usr/bin/env bash
# Run the TAP tests in test/t/*.pl (or the ones named as arguments) the way
# PGXS runs them, `make installcheck` with TAP_TESTS (prove_installcheck),
# against the provision extension as installed (make install first), for
# PostgreSQL $PG_MAJOR (default 15).
#
#   test/run-tap.sh                    # every test/t/*.pl
#   test/run-tap.sh test/t/001_replication.pl
#   PG_MAJOR=17 test/run-tap.sh
#
# PGXS's prove_installcheck sets PATH (the server's bindir first), the Perl
# library path (PostgreSQL::Test::Cluster and ::Utils) and PG_REGRESS.  The
# tests run from a copy of the Makefile, test/t and test/fixtures in a fresh
# temporary directory, so tmp_check/ (clusters, logs) never goes into the
# work tree,
# and PG_TEST_PORT_DIR=/tmp/provision-tap-portlock is shared by concurrent
# runs.  initdb refuses to run as root, so as root the tests run as the
# postgres user (runuser) from a directory it owns: the work tree need not
# be readable by postgres.  As any other user they run as that user.
#
# Prints prove's output; exits with make's status.  On failure the node
# logs and regress_log_* files are printed too (and the directory is kept
# when PG_TEST_NOCLEAN is set, or on failure).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
major=${PG_MAJOR:-15}
pgbin=${PGBIN:-/usr/lib/postgresql/$major/bin}
pg_config=$pgbin/pg_config
pgxs=$(dirname "$("$pg_config" --pgxs)")/..   # .../lib/pgxs/src
pgxs=$(cd "$pgxs" && pwd)

for f in "$pgxs/test/perl/PostgreSQL/Test/Cluster.pm" "$pgxs/test/regress/pg_regress"; do
	[ -e "$f" ] || { echo "run-tap.sh: $f missing (postgresql-server-dev-$major)" >&2; exit 2; }
done
grep -qE '^enable_tap_tests[[:space:]]*=[[:space:]]*yes' "$pgxs/Makefile.global" ||
	{ echo "run-tap.sh: this PostgreSQL was built without --enable-tap-tests" >&2; exit 2; }
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
mkdir -p "$testdir/test/t"
cp "$repo/Makefile" "$repo/provision.control" "$testdir/"
names=()
for t in "${tests[@]}"; do
	cp "$t" "$testdir/test/t/"
	names+=("test/t/$(basename "$t")")
done
# the schema files the tests build databases from (test/fixtures)
cp -r "$here/fixtures" "$testdir/test/fixtures"
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
	"${run_as[@]}" env PG_TEST_PORT_DIR="$portdir" \
		make -s installcheck REGRESS= ISOLATION= PG_CONFIG="$pg_config" \
		PROVE_TESTS="${names[*]}" PROVE_FLAGS="-v --timer"
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
