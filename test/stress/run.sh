#!/usr/bin/env bash
# run.sh: everything `make stress` runs, in this order:
#   deps        test/install-deps.sh python3 python3-psycopg2: the build and
#               test packages plus what the fuzzer and the soak need, each
#               only if missing
#   build       make && make install of the normal build (the fuzz/soak run
#               and the TAP test use the installed extension);
#               STRESS_NO_INSTALL=1 skips it
#   fuzz-soak   test/stress/run-fuzz-soak.sh: fuzz.py (100000 calls) and
#               soak.py (16 sessions, 60 s) in a throwaway cluster
#   sanitize    test/stress/sanitize.sh: regression and isolation suites
#               (and pgTAP) under ASan and UBSan, in a private installation
#   replication test/run-tap.sh test/t/001_replication.pl: streaming standby
# Each part runs even when an earlier one failed (but nothing runs after a
# failed build).  Prints each part's output, then per part how long it took,
# its result and how many of its tests passed, and last a line
# "N passed, N failed" counting every test of every part: each check of
# fuzz-soak, each pg_regress/isolation test and pgTAP file of sanitize plus
# its verdict (no sanitizer report), each TAP test of replication, and deps
# and build as one each.  A part that fails without a failing test counted
# counts as one failure.  Exits 1 if anything failed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

logdir=$(mktemp -d /tmp/provision-stress.XXXXXX)
names=()
results=()
times=()
counts=()
passed=0
failed=0

now() { date +%s.%N; }

# tests_of NAME LOG STATUS: prints "P F", the part's passed and failed tests
tests_of() {
	local name=$1 log=$2 status=$3 p=0 f=0 line
	case $name in
	fuzz-soak)
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
		if [ -n "$line" ]; then
			p=${line%% passed*}
			f=${line#*passed, }
			f=${f%% failed*}
		fi
		;;
	sanitize)
		p=$(grep -cE '\.\.\. ok' "$log")
		f=$(grep -cE '\.\.\. (FAILED|failed)' "$log")
		p=$((p + $(grep -cE '^sanitize: pgTAP .*: ok' "$log")))
		f=$((f + $(grep -cE '^sanitize: pgTAP .*: FAILED' "$log")))
		if grep -qE '^sanitize: PASS' "$log"; then
			p=$((p + 1))	# the verdict: no sanitizer report, no crash
		elif grep -qE '^sanitize: FAIL: (.*sanitizer report|sanitizer output|a server process crashed)' "$log"; then
			f=$((f + 1))
		fi
		;;
	replication)
		p=$(grep -cE '^(\S+ \.+ )?ok [0-9]+' "$log")
		f=$(grep -cE '^(\S+ \.+ )?not ok [0-9]+' "$log")
		;;
	*)
		[ "$status" = 0 ] && p=1
		;;
	esac
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	if [ "$status" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi	# ran nothing
	echo "$p $f"
}

# run_part NAME COMMAND...: runs it, records result, duration and tests
run_part() {
	local name=$1
	shift
	local start end status=0 log=$logdir/$name.log p f
	echo
	echo "==================== $name: $*"
	start=$(now)
	"$@" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	end=$(now)
	read -r p f < <(tests_of "$name" "$log" "$status")
	passed=$((passed + p))
	failed=$((failed + f))
	names+=("$name")
	times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')")
	counts+=("$p passed, $f failed")
	if [ "$status" = 0 ] && [ "$f" = 0 ]; then
		results+=("ok")
	else
		results+=("FAILED (exit $status)")
	fi
	echo "==================== $name: ${results[-1]} in ${times[-1]} s ($p passed, $f failed)"
	[ "$status" = 0 ] && [ "$f" = 0 ]
}

skip_part() {
	names+=("$1")
	times+=("-")
	results+=("skipped")
	counts+=("$2")
	echo
	echo "==================== $1: skipped ($2)"
}

build() {
	make -s -C "$repo" && make -s -C "$repo" install
}

summary() {
	echo
	echo "==================== stress summary (logs in $logdir)"
	local i
	printf '  %-12s %8s  %-20s %s\n' part seconds result tests
	for i in "${!names[@]}"; do
		printf '  %-12s %8s  %-20s %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}" "${counts[$i]}"
	done
	echo "$passed passed, $failed failed"
}

run_part deps test/install-deps.sh python3 python3-psycopg2 || true

if [ -n "${STRESS_NO_INSTALL:-}" ]; then
	skip_part build "STRESS_NO_INSTALL is set"
elif ! run_part build build; then
	summary
	exit 1
fi

run_part fuzz-soak bash test/stress/run-fuzz-soak.sh || true

run_part sanitize bash test/stress/sanitize.sh || true

run_part replication bash test/run-tap.sh test/t/001_replication.pl || true

summary
[ "$failed" = 0 ]
