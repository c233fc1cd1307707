#!/usr/bin/env bash
# Build and install provision, then run every fast suite against throwaway
# clusters: pg_regress (sql/, expected/), isolation specs (specs/), pgTAP
# (test/pgtap/*.sql, through pg_prove, each file in a database of its own),
# the SQLAlchemy bridge's pytest suite (python/tests, with Debian's python3)
# and TAP tests (test/t/*.pl, each starting its own clusters), plus the check
# of META.json (test/meta-check.pl).  Every suite runs even when an earlier
# one failed.  The last line counts every test of every suite:
# "N passed, N failed".  Exit status 0 only if nothing failed and something
# ran.
#
#   PG_MAJOR=17 test/run-all.sh      # PostgreSQL 17 (default 15)
#   test/run-all.sh --installed      # build nothing: test the extension as
#                                    # installed (make matrix: the .deb)
#
# The build treats warnings as errors (COPT=-Werror).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PG_MAJOR=${PG_MAJOR:-15}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
installed=
if [ "${1:-}" = --installed ]; then
	installed=1
	shift
fi
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

logdir=$(mktemp -d /tmp/provision-test.XXXXXX)
chmod 755 "$logdir"
passed=0
failed=0
summary=()

# count_suite NAME STATUS PASSED FAILED: adds a suite's counts; a suite that
# failed without a failing test counted (crash, bad plan, setup error)
# counts as one failure, and so does a suite that ran nothing
count_suite() {
	local name=$1 status=$2 p=$3 f=$4
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	summary+=("$(printf '%-12s %4d passed, %d failed' "$name" "$p" "$f")")
}

# pg_regress, both formats: up to 15 "test name ... ok" / "... FAILED",
# from 16 on TAP-like "ok 1 - name" / "not ok 1 - name" ("+" for tests of a
# parallel group)
count_regress() {
	local log=$1 status=$2 name=$3
	count_suite "$name" "$status" \
		"$(grep -cE '\.\.\. ok|^ok [0-9]+ +[-+] ' "$log")" \
		"$(grep -cE '\.\.\. (FAILED|failed)|^not ok [0-9]+ +[-+] ' "$log")"
}

# TAP streams (pg_prove -v, prove -v): "ok N" / "not ok N"
count_tap() {
	local log=$1 status=$2 name=$3
	count_suite "$name" "$status" \
		"$(grep -cE '^(\S+ \.+ )?ok [0-9]+' "$log")" \
		"$(grep -cE '^(\S+ \.+ )?not ok [0-9]+' "$log")"
}

if [ -z "${PROVISION_TEST_CLUSTER:-}" ]; then
	if [ -z "$installed" ]; then
		# warnings are errors: gcc's through COPT, and any other (clang's
		# bitcode for JIT) by the log
		echo "==== build (COPT=-Werror) and install, PostgreSQL $PG_MAJOR"
		make -s PG_CONFIG="$PG_CONFIG" COPT=-Werror 2>&1 | tee "$logdir/build.log"
		build_status=${PIPESTATUS[0]}
		if [ "$build_status" != 0 ] || grep -q 'warning:' "$logdir/build.log" ||
			! "${sudo[@]}" make -s PG_CONFIG="$PG_CONFIG" install; then
			echo "run-all: the build failed or warned"
			echo "0 passed, 1 failed"
			exit 1
		fi
	else
		# the extension as installed, from a tree where nothing was built
		lib=$("$PG_CONFIG" --pkglibdir)/provision.so
		control=$("$PG_CONFIG" --sharedir)/extension/provision.control
		echo "==== the installed extension, PostgreSQL $PG_MAJOR"
		for f in "$lib" "$control"; do
			owner=$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)
			echo "$f${owner:+ (package $owner)}"
			[ -e "$f" ] || { echo "run-all: $f is not installed"; echo "0 passed, 1 failed"; exit 1; }
		done
		if ls src/*.o ./*.so >/dev/null 2>&1; then
			echo "run-all: --installed wants a tree where nothing was built"
			echo "0 passed, 1 failed"
			exit 1
		fi
	fi

	echo "==== META.json (test/meta-check.pl)"
	perl test/meta-check.pl 2>&1 | tee "$logdir/meta.log"
	count_tap "$logdir/meta.log" "${PIPESTATUS[0]}" meta

	# The suites needing one server run inside one throwaway cluster;
	# pg_virtualenv sets PGHOST, PGPORT, PGUSER and PGPASSWORD for them.
	echo "==== throwaway cluster (pg_virtualenv -v $PG_MAJOR)"
	PROVISION_TEST_CLUSTER=1 PROVISION_TEST_LOGDIR=$logdir \
		pg_virtualenv -v "$PG_MAJOR" "$0" --inside
	rc=$?
	if [ ! -f "$logdir/counts" ]; then
		echo "run-all: the cluster could not be started (pg_virtualenv exit $rc)"
		count_suite cluster 1 0 1
	else
		# shellcheck source=/dev/null
		inner_summary=() inner_passed=0 inner_failed=0
		. "$logdir/counts"
		passed=$((passed + inner_passed))
		failed=$((failed + inner_failed))
		summary+=("${inner_summary[@]}")
	fi

	echo "==== TAP tests (test/t)"
	shopt -s nullglob
	tap=(test/t/*.pl)
	if [ ${#tap[@]} -gt 0 ]; then
		test/run-tap.sh "${tap[@]}" 2>&1 | tee "$logdir/tap.log"
		count_tap "$logdir/tap.log" "${PIPESTATUS[0]}" tap
	fi

	echo
	echo "==== summary (logs in $logdir)"
	printf '  %s\n' "${summary[@]}"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

# ---- inside the throwaway cluster
logdir=$PROVISION_TEST_LOGDIR

echo "==== pg_regress (sql/)"
make -s PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= TAP_TESTS= 2>&1 | tee "$logdir/regress.log"
count_regress "$logdir/regress.log" "${PIPESTATUS[0]}" regress
[ -f regression.diffs ] && cat regression.diffs

echo "==== isolation (specs/)"
make -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS= TAP_TESTS= 2>&1 | tee "$logdir/isolation.log"
count_regress "$logdir/isolation.log" "${PIPESTATUS[0]}" isolation
[ -f results_isolation/regression.diffs ] && cat results_isolation/regression.diffs

echo "==== pgTAP (test/pgtap)"
: > "$logdir/pgtap.log"
pgtap_status=0
for f in test/pgtap/*.sql; do
	db=provision_tap_$(basename "$f" .sql)
	{
		dropdb --if-exists "$db" &&
		createdb "$db" &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
			-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION provision' &&
		pg_prove -v -d "$db" "$f"
	} 2>&1 | tee -a "$logdir/pgtap.log"
	[ "${PIPESTATUS[0]}" = 0 ] || pgtap_status=1
done
count_tap "$logdir/pgtap.log" "$pgtap_status" pgtap

echo "==== Python: the SQLAlchemy and Alembic bridge (python/tests, pytest)"
# Debian's python3 (SQLAlchemy, Alembic, psycopg2 and pytest are Debian
# packages), not whatever python3 comes first in PATH.  Each test makes its
# own databases in this cluster.  Counted: passed and xfailed (known
# provision bugs, each named in its test) as passed; failed, errors and
# strict xpasses as failed; skipped as neither.
py=${PROVISION_PYTHON:-/usr/bin/python3}
# the bridge needs SQLAlchemy 1.4 or later (Debian 11 has 1.3): skipped,
# and said so, where the release has an older one
sqla=$("$py" -c 'import sqlalchemy; print(sqlalchemy.__version__)' 2>/dev/null)
if [ -n "$sqla" ] && ! "$py" -c 'import sqlalchemy, sys
sys.exit(tuple(int(x) for x in sqlalchemy.__version__.split(".")[:2]) < (1, 4))'; then
	echo "pytest skipped: the bridge needs SQLAlchemy 1.4 or later, this system has $sqla"
	summary+=("$(printf '%-12s skipped (SQLAlchemy %s < 1.4)' pytest "$sqla")")
else
PYTHONDONTWRITEBYTECODE=1 \
PROVISION_PG_DUMP="$("$PG_CONFIG" --bindir)/pg_dump" \
PROVISION_PY_RACE_LOG="$logdir/race.log" \
	"$py" -m pytest -p no:cacheprovider -rfEsxX python/tests 2>&1 | tee "$logdir/pytest.log"
pytest_status=${PIPESTATUS[0]}
[ -f "$logdir/race.log" ] && cat "$logdir/race.log"
# the last line: "== 25 passed, 1 skipped, 1 xfailed in 20.1s =="
pytest_line=$(grep -E '^=+ .*( passed| failed| error| no tests ran).* in [0-9.]+s' "$logdir/pytest.log" | tail -n 1)
pytest_n() { echo "$pytest_line" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
count_suite pytest "$pytest_status" \
	"$(( $(pytest_n passed) + $(pytest_n xfailed) ))" \
	"$(( $(pytest_n failed) + $(pytest_n errors?) ))"
fi

# hand the counts back to the outer run
{
	printf 'inner_passed=%d\ninner_failed=%d\ninner_summary=(' "$passed" "$failed"
	printf '%q ' "${summary[@]}"
	printf ')\n'
} > "$logdir/counts"
