#!/usr/bin/env bash
# run-fuzz-soak.sh: the fuzz and soak parts of `make stress`.
#
#   1. installs python3-psycopg2 and postgresql-contrib (amcheck) from apt
#      when they are missing (test/install-deps.sh);
#   2. builds and installs the extension (make && make install; set
#      STRESS_NO_INSTALL=1 to use what is installed);
#   3. starts a throwaway PostgreSQL 15 cluster with pg_virtualenv (-t: in
#      a temporary directory, so it never collides with another cluster),
#      the server logging to a file of our own (logging_collector);
#   4. runs test/stress/fuzz.py, then test/stress/soak.py against it;
#   5. checks the whole server log for crashes, restarts and internal
#      errors.
# Prints each tool's output, how long each part took, one summary line per
# tool and a final "N passed, N failed" line counting every check as one
# test; exits 1 if any failed.
#
# Settings (environment):
#   FUZZ_SEED, FUZZ_CALLS (100000), FUZZ_WORKERS (4)
#   FUZZ_SKIP_KNOWN_BUGS=1   look past the known, unfixed bugs (KNOWN_BUGS in
#                   fuzz.py) instead of failing on them; never in CI
#   SOAK_SEED, SOAK_DURATION (60), SOAK_SESSIONS (16)
#   STRESS_KEEP=1   keep the log directory (kept anyway when a check fails)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=/usr/bin/python3        # Debian's, where python3-psycopg2 lives

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

passed=0
failed=0
timings=()
summaries=()

# note NAME OK|FAIL [DETAIL]: one test
note() {
	if [ "$2" = OK ]; then
		passed=$((passed + 1))
		echo "ok - $1"
	else
		failed=$((failed + 1))
		echo "not ok - $1${3:+: $3}"
	fi
}

finish() {
	echo
	echo "==================== fuzz-soak summary"
	local t
	for t in "${timings[@]}"; do echo "  $t"; done
	local s
	for s in "${summaries[@]}"; do echo "$s"; done
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

# ---------------------------------------------------------------- 1. deps
# test/install-deps.sh installs, only when missing, the build and test
# packages (postgresql-contrib brings amcheck, postgresql-common
# pg_virtualenv) and the extra names given here.
start=$(now)
"$repo/test/install-deps.sh" python3 python3-psycopg2 ||
	echo "run-fuzz-soak: test/install-deps.sh failed"
if "$python" -c 'import psycopg2' 2>/dev/null && [ -f /usr/share/postgresql/15/extension/amcheck.control ] &&
	command -v pg_virtualenv >/dev/null; then
	note "dependencies (python3-psycopg2, postgresql-contrib, pg_virtualenv)" OK
else
	note "dependencies (python3-psycopg2, postgresql-contrib, pg_virtualenv)" FAIL "missing after test/install-deps.sh"
	finish
fi
timings+=("deps      $(since "$start") s")

# --------------------------------------------------------------- 2. build
start=$(now)
if [ -n "${STRESS_NO_INSTALL:-}" ]; then
	echo "STRESS_NO_INSTALL is set: using the installed extension"
else
	buildlog=$(mktemp /tmp/provision-build.XXXXXX)
	if make -s -C "$repo" >"$buildlog" 2>&1 && make -s -C "$repo" install >>"$buildlog" 2>&1; then
		note "build and install the extension" OK
	else
		cat "$buildlog"
		note "build and install the extension" FAIL "make failed"
		rm -f "$buildlog"
		finish
	fi
	rm -f "$buildlog"
fi
timings+=("build     $(since "$start") s")

# ---------------------------------------------------- 3. cluster and tools
# everything the run leaves goes here; the server logs into it, so it has
# to belong to postgres
work=$(mktemp -d /tmp/provision-fuzz-soak.XXXXXX)
chmod 755 "$work"
mkdir "$work/log"
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$work/log"
fi
serverlog=$work/log/server.log

cat >"$work/inner.sh" <<'EOF'
#!/usr/bin/env bash
# runs inside pg_virtualenv: PGHOST, PGPORT, PGUSER, PGPASSWORD are set
set -u
python=$1 here=$2 work=$3
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
export PROVISION_SERVER_LOG=$work/log/server.log
echo "server $(psql -XAtc 'SELECT version()'), log $PROVISION_SERVER_LOG"

start=$(now)
"$python" "$here/fuzz.py" --server-log "$PROVISION_SERVER_LOG" \
	--out "$work/fuzz-failures.txt" \
	${FUZZ_SEED:+--seed "$FUZZ_SEED"} --calls "${FUZZ_CALLS:-100000}" \
	--workers "${FUZZ_WORKERS:-4}" 2>&1 | tee "$work/fuzz.out"
echo "${PIPESTATUS[0]} $(since "$start")" >"$work/fuzz.status"

start=$(now)
"$python" "$here/soak.py" --server-log "$PROVISION_SERVER_LOG" \
	${SOAK_SEED:+--seed "$SOAK_SEED"} --duration "${SOAK_DURATION:-60}" \
	--sessions "${SOAK_SESSIONS:-16}" 2>&1 | tee "$work/soak.out"
echo "${PIPESTATUS[0]} $(since "$start")" >"$work/soak.status"
EOF
chmod 755 "$work/inner.sh"

start=$(now)
echo "==================== pg_virtualenv -t -v 15: fuzz.py, then soak.py (work directory $work)"
# -t: a temporary cluster directory even as root, so that concurrent runs
# (and clusters named 15/regress) never collide.  log_min_messages=log and
# log_min_error_statement=error keep every ERROR with its statement.
pg_virtualenv -t -v 15 \
	-o "logging_collector=on" \
	-o "log_directory=$work/log" \
	-o "log_filename=server.log" \
	-o "log_rotation_age=0" \
	-o "log_rotation_size=0" \
	-o "log_line_prefix=%m [%p] %e %a: " \
	-o "log_min_error_statement=error" \
	-o "max_connections=100" \
	-o "deadlock_timeout=1s" \
	-o "shared_buffers=128MB" \
	-o "max_locks_per_transaction=256" \
	"$work/inner.sh" "$python" "$here" "$work"
venv_status=$?
timings+=("cluster   $(since "$start") s (fuzz and soak included)")

# --------------------------------------------------------------- 4. tools
tool_result() {
	local tool=$1 status secs line
	if [ ! -f "$work/$tool.status" ]; then
		note "$tool.py ran" FAIL "no result (pg_virtualenv exit $venv_status)"
		summaries+=("$tool: did not run")
		return
	fi
	read -r status secs <"$work/$tool.status"
	timings+=("$tool      $secs s")
	# every "ok - " / "not ok - " line of the tool is one test
	local n_ok n_fail
	n_ok=$(grep -c '^ok - ' "$work/$tool.out")
	n_fail=$(grep -c '^not ok - ' "$work/$tool.out")
	passed=$((passed + n_ok))
	failed=$((failed + n_fail))
	if [ "$status" != 0 ] && [ "$n_fail" = 0 ]; then
		note "$tool.py exit status" FAIL "exit $status"
	fi
	line=$(grep "^$tool: seed" "$work/$tool.out" | tail -1)
	summaries+=("${line:-$tool: no summary line (exit $status)} [$secs s]")
}
tool_result fuzz
tool_result soak

# ------------------------------------------------------- 5. the server log
if [ -s "$serverlog" ]; then
	crashes=$(grep -E 'terminated by signal|server process .* was terminated|terminating any other active server processes|all server processes terminated; reinitializing|PANIC:|TRAP:|database system was interrupted|exited with exit code [1-9]' "$serverlog" | head -5)
	if [ -z "$crashes" ]; then
		note "server log: no crash, restart, PANIC or failed assertion" OK
	else
		note "server log: no crash, restart, PANIC or failed assertion" FAIL "$crashes"
	fi
	internal=$(grep -E '\] (XX...|58...) .*ERROR:' "$serverlog" | grep -vc '\] XX001 ')
	damaged=$(grep -cE '\] XX001 .*ERROR:' "$serverlog")
	echo "server log: $internal lines with internal errors (see the fuzz.py report), $damaged damaged-model errors (XX001, from registry tampering), $(grep -c 'ERROR:' "$serverlog") ERROR lines, $(wc -l <"$serverlog") lines"
else
	note "server log $serverlog written" FAIL "empty or missing"
fi

if [ "$failed" = 0 ] && [ -z "${STRESS_KEEP:-}" ]; then
	rm -rf "$work"
else
	echo "kept $work: server log log/server.log, fuzz.out, soak.out, fuzz-failures.txt"
fi
finish
