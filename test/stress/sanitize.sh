#!/usr/bin/env bash
# sanitize.sh: the regression and isolation suites against a server that
# loads provision built with AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   test/stress/sanitize.sh          (root or any user; as root the server,
#                                     initdb and the suites run as postgres)
#   KEEP=1 test/stress/sanitize.sh   keep the work directory even on success
#   SANITIZE_CANARY=0 ...            skip the canary (see 3. below)
#   SANITIZE_EXTRA='command' ...     also run a command against the sanitized
#                                    server after the suites (PGHOST, PGPORT,
#                                    PGUSER, PGDATABASE are set for it)
#   SANITIZE_PORT=N ...              port number (default 55432; unix socket
#                                    only, in a private directory)
#
# What it does, nothing of it outside one temporary directory $work:
#  1. Copies the extension's sources (the top of the work tree but test/,
#     bench/ and results) to $work/build and builds them there
#       make with_llvm=no CC=gcc \
#            COPT='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
#                  -fno-sanitize-recover=undefined'
#     (the work tree's objects and the installed extension are not touched:
#     others may build and test with the normal build meanwhile).
#  2. Makes a private installation $work/stage/usr: real copies of Debian's
#     postgres, initdb and pg_ctl (PostgreSQL finds its lib and share
#     directories relative to where the binary really is, so a copy, not a
#     symlink), symlinks to everything else in Debian's lib and share
#     directories, and the sanitized provision installed into it with
#       make install DESTDIR=$work/stage with_llvm=no
#     So '$libdir/provision' there is the sanitized .so, and the dev server
#     and everybody else keep loading the normal one.
#  3. initdb (as postgres) into $work/data; starts it with pg_ctl on a private
#     port and unix socket directory (no TCP), with
#       LD_PRELOAD="$(gcc -print-file-name=libasan.so) $work/asan_preload_shim.so
#                   $(gcc -print-file-name=libubsan.so)"
#     (the shim defines swift_demangle: without it every process hangs before
#     main under a preloaded libasan; and it keeps UBSAN_OPTIONS, which the
#     postmaster's process title overwrites: see asan_preload_shim.c)
#       ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1:
#                    detect_stack_use_after_return=0:log_path=$work/logs/asan
#       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$work/logs/ubsan
#     (postgres itself is not instrumented: the runtime must be preloaded;
#     leak checking is off because PostgreSQL frees by memory context, not
#     by free(), and every backend would "leak").  ASan's reports go to
#     $work/logs/asan.<pid>; UBSan's go to the server's stderr, i.e. the
#     server log (libubsan's own log_path is not applied when libasan is in
#     the same process: its call to __sanitizer_set_report_path resolves to
#     libasan's copy), which is why the server log is searched too.
#     Canary first, in its own server run: a tiny module built with the same
#     flags (sanitize_canary.c) does a heap overflow and an out-of-range
#     shift; ASan's report must land in $work/logs and UBSan's, with its stack
#     trace, in the server log, or the sanitizers are not wired up and the run
#     fails.  Those reports are then set aside.
#  4. Restarts the server with a fresh log and runs, as in `make installcheck`,
#       pg_regress           --load-extension=provision --dbname=contrib_regression sql/*.sql
#       pg_isolation_regress --load-extension=provision --dbname=contrib_regression specs/*.spec
#     from copies of sql/ expected/ specs/ (and test/fixtures/, which the
#     suites read) in $work/suite; then, when pgTAP
#     is installed, each test/pgtap/*.sql in a fresh database (no "not ok").
#     (A failing suite does not stop the run: the sanitizer logs are still
#     checked and printed.)
#  5. Passes when both suites pass, no asan.* or ubsan.* file in $work/logs
#     has content, the server log has no "AddressSanitizer", "runtime error",
#     "LeakSanitizer" or "UndefinedBehavior", and no server process crashed.
#     The first three report files are printed in full (the rest are
#     listed), then the server log's sanitizer lines with their context.
#
# Limits: PostgreSQL's palloc carves chunks out of blocks it malloc()s, and
# Debian's server is not built with USE_VALGRIND or MEMORY_CONTEXT_CHECKING,
# so an overrun inside a palloc block is invisible to ASan; what ASan sees is
# stack and global buffers of the extension, malloc'd memory, and overruns
# past the end of a whole block.  UBSan sees everything compiled into the
# extension (alignment, shifts, bounds of fixed arrays, null, bool/enum
# loads, ...); signed overflow is defined by PostgreSQL's -fwrapv.
#
# Exit status: 0 clean, 1 a suite failed or a sanitizer reported, 2 set-up
# failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/test/stress
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$($PG_CONFIG --bindir)
pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
pgxs_src=$(cd "$(dirname "$($PG_CONFIG --pgxs)")/.." && pwd)
pg_regress=$pgxs_src/test/regress/pg_regress
pg_isolation_regress=$pgxs_src/test/isolation/pg_isolation_regress
SAN_FLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined'

say() { printf 'sanitize: %s\n' "$*"; }
die() { printf 'sanitize: %s\n' "$*" >&2; exit 2; }

command -v gcc >/dev/null || die "gcc missing"
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
[ -e "$libasan" ] && [ "$libasan" != libasan.so ] || die "libasan missing (libasan8 / gcc)"
[ -e "$libubsan" ] && [ "$libubsan" != libubsan.so ] || die "libubsan missing (libubsan1 / gcc)"
libasan=$(readlink -f "$libasan")
libubsan=$(readlink -f "$libubsan")
for f in "$pg_regress" "$pg_isolation_regress" "$bindir/postgres" "$bindir/initdb" "$bindir/pg_ctl"; do
	[ -x "$f" ] || die "$f missing (postgresql-15, postgresql-server-dev-15)"
done

if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi

work=$(mktemp -d /tmp/provision-sanitize.XXXXXX)
stage=$work/stage
logs=$work/logs
data=$work/data
sock=$work/sock
port=${SANITIZE_PORT:-55432}
mkdir -p "$logs" "$sock" "$work/build" "$work/suite"

sbindir=$stage$bindir
spkglibdir=$stage$pkglibdir
ssharedir=$stage$sharedir

server_up=0
result=2
cleanup() {
	if [ "$server_up" = 1 ]; then
		as_pg "$sbindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "$result" = 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$work"
	else
		echo "sanitize: work directory kept: $work" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ 1. the build
say "building the sanitized extension in $work/build"
for f in "$repo"/*; do		# the sources, not the tests, results or benchmarks
	case $(basename "$f") in
	test | bench | results | results_isolation | tmp_check | log) ;;
	*) cp -r "$f" "$work/build/" ;;
	esac
done
rm -f "$work/build"/src/*.o "$work/build"/src/*.bc "$work/build"/*.so
make -s -C "$work/build" with_llvm=no CC=gcc COPT="$SAN_FLAGS" >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; die "the sanitized build failed"; }
ldd "$work/build/provision.so" | grep -q libasan ||
	die "provision.so is not linked with libasan"

# -------------------------------------------------- 2. private installation
say "private installation in $stage"
mkdir -p "$sbindir" "$spkglibdir" "$ssharedir/extension"
for b in postgres initdb pg_ctl; do
	cp "$bindir/$b" "$sbindir/$b"
done
for f in "$pkglibdir"/*; do
	case $(basename "$f") in
	provision.so | bitcode) ;;
	*) ln -s "$f" "$spkglibdir/" ;;
	esac
done
for f in "$sharedir"/*; do
	[ "$(basename "$f")" = extension ] || ln -s "$f" "$ssharedir/"
done
for f in "$sharedir"/extension/*; do
	case $(basename "$f") in
	provision.control | provision--*) ;;
	*) ln -s "$f" "$ssharedir/extension/" ;;
	esac
done
make -s -C "$work/build" install DESTDIR="$stage" with_llvm=no CC=gcc COPT="$SAN_FLAGS" \
	>>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "make install DESTDIR failed"; }
[ -f "$spkglibdir/provision.so" ] && [ -f "$ssharedir/extension/provision.control" ] ||
	die "the staged install did not land in $stage"

# The preload shim that lets ASan initialize inside an uninstrumented
# postgres (see asan_preload_shim.c for the hang it avoids).
shim_so=$work/asan_preload_shim.so
gcc -O2 -fPIC -shared -Wall -Werror -o "$shim_so" "$here/asan_preload_shim.c" \
	>>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "the preload shim did not build"; }

# The canary module, built with the same flags.
canary_so=$spkglibdir/provision_sanitize_canary.so
gcc $SAN_FLAGS -fPIC -shared -Wall -Werror \
	-I"$($PG_CONFIG --includedir-server)" \
	-o "$canary_so" "$here/sanitize_canary.c" >>"$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; die "the canary did not build"; }

# ------------------------------------------------------------- 3. server
cp -r "$repo/sql" "$repo/expected" "$work/suite/"
[ -d "$repo/specs" ] && cp -r "$repo/specs" "$work/suite/"
# the scripts a suite reads by a path relative to the top (load_dump reads
# test/fixtures/every_kind.dump.sql)
if [ -d "$repo/test/fixtures" ]; then
	mkdir -p "$work/suite/test"
	cp -r "$repo/test/fixtures" "$work/suite/test/"
fi
[ "$(id -u)" = 0 ] && chown -R postgres: "$work"

say "initdb $data"
as_pg "$sbindir/initdb" -D "$data" -A trust -N -U postgres -E UTF8 --locale=C.UTF-8 \
	>"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
cat >>"$data/postgresql.conf" <<EOF

# sanitize.sh
port = $port
listen_addresses = ''
unix_socket_directories = '$sock'
fsync = off
jit = off
max_prepared_transactions = 10
log_line_prefix = '%m [%p] '
log_min_messages = warning
timezone = 'Etc/UTC'
datestyle = 'iso, mdy'
lc_messages = 'C.UTF-8'
EOF

san_env=(
	LD_PRELOAD="$libasan $shim_so $libubsan"
	ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0:disable_coredump=1:log_path=$logs/asan"
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
)

start_server() {	# $1: server log
	as_pg env "${san_env[@]}" "$sbindir/pg_ctl" -D "$data" -l "$1" -w -t 120 start >/dev/null ||
		{ cat "$1" >&2; die "the server did not start"; }
	server_up=1
}
stop_server() {
	as_pg "$sbindir/pg_ctl" -D "$data" -m fast -w -t 120 stop >/dev/null
	server_up=0
}
psql_pg() {
	as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres "$@"
}
wait_ready() {
	for _ in $(seq 1 120); do
		psql_pg -d postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	die "the server did not come back"
}
reports() {	# every non-empty sanitizer log file in $logs
	find "$logs" -maxdepth 1 -type f \( -name 'asan*' -o -name 'ubsan*' \) -size +0 | sort
}

start_server "$work/server-canary.log"
libdir_seen=$(psql_pg -At -d postgres -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
[ "$libdir_seen" = "$spkglibdir" ] ||
	die "the server's PKGLIBDIR is $libdir_seen, not the private $spkglibdir"

if [ "${SANITIZE_CANARY:-1}" != 0 ]; then
	say "canary: the sanitizers must catch a heap overflow and a bad shift"
	psql_pg -d postgres -c "
		CREATE FUNCTION provision_canary_asan(int) RETURNS int
		    AS '\$libdir/provision_sanitize_canary' LANGUAGE C STRICT;
		CREATE FUNCTION provision_canary_ubsan(int) RETURNS int
		    AS '\$libdir/provision_sanitize_canary' LANGUAGE C STRICT;"
	psql_pg -d postgres -c 'SELECT provision_canary_asan(16)' >/dev/null 2>&1 || true
	wait_ready	# the postmaster reinitializes after the backend's exit
	psql_pg -d postgres -c 'SELECT provision_canary_ubsan(40)' >/dev/null 2>&1 || true
	wait_ready
	canary_ok=1
	grep -qs 'AddressSanitizer: heap-buffer-overflow' "$logs"/asan.* ||
		{ canary_ok=0; echo "sanitize: ASan did not report the canary's heap overflow" >&2; }
	grep -qs 'runtime error: shift exponent 40' "$work/server-canary.log" ||
		{ canary_ok=0; echo "sanitize: UBSan did not report the canary's shift" >&2; }
	grep -qs 'in provision_canary_ubsan' "$work/server-canary.log" ||
		{ canary_ok=0; echo "sanitize: UBSan's report has no stack trace" >&2; }
	mkdir -p "$work/canary-logs"
	find "$logs" -maxdepth 1 -type f -exec mv {} "$work/canary-logs/" \;
	if [ "$canary_ok" != 1 ]; then
		ls -la "$work/canary-logs" >&2
		die "the sanitizers are not wired up; see $work/canary-logs and $work/server-canary.log"
	fi
	say "canary: both reported ($(ls "$work/canary-logs" | tr '\n' ' '))"
	psql_pg -d postgres -c 'DROP FUNCTION provision_canary_asan(int); DROP FUNCTION provision_canary_ubsan(int);'
fi
stop_server
rm -f "$canary_so"

# ------------------------------------------------------------- 4. suites
server_log=$work/server.log
start_server "$server_log"

cd "$work/suite"
regress=$(cd sql && LC_ALL=C ls -1 *.sql 2>/dev/null | sed 's/\.sql$//')
isolation=$( [ -d specs ] && cd specs && LC_ALL=C ls -1 *.spec 2>/dev/null | sed 's/\.spec$//' || true)
conn=(--host="$sock" --port="$port" --user=postgres --dbname=contrib_regression)

regress_status=0
say "pg_regress: $(echo $regress)"
if ! as_pg "$pg_regress" --inputdir=. --outputdir=results --bindir="$bindir" \
	--load-extension=provision "${conn[@]}" $regress 2>&1 | tee "$work/regress.out"; then
	regress_status=1
fi

isolation_status=0
if [ -n "$isolation" ]; then
	say "pg_isolation_regress: $(echo $isolation)"
	if ! as_pg "$pg_isolation_regress" --inputdir=. --outputdir=results_isolation --bindir="$bindir" \
		--load-extension=provision "${conn[@]}" $isolation 2>&1 | tee "$work/isolation.out"; then
		isolation_status=1
	fi
fi
cd "$repo"

# The pgTAP files (test/pgtap/*.sql), each in a database of its own, when
# pgTAP is installed: more of the extension's code under the sanitizers.
pgtap_status=0
pgtap_count=0
if ls "$repo"/test/pgtap/*.sql >/dev/null 2>&1 && [ -f "$sharedir/extension/pgtap.control" ]; then
	for f in "$repo"/test/pgtap/*.sql; do
		db=sanitize_pgtap_$(basename "$f" .sql)
		out=$work/pgtap-$(basename "$f" .sql).out
		pgtap_count=$((pgtap_count + 1))
		if psql_pg -d postgres -c "CREATE DATABASE $db" &&
			psql_pg -d "$db" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION provision' &&
			psql_pg -d "$db" -At -f - <"$f" >"$out" 2>&1 &&
			! grep -qE '^(not ok|# Looks like)' "$out"; then
			say "pgTAP $(basename "$f"): ok ($(grep -c '^ok' "$out") assertions)"
		else
			pgtap_status=1
			say "pgTAP $(basename "$f"): FAILED"
			cat "$out" 2>/dev/null || true
		fi
	done
elif ls "$repo"/test/pgtap/*.sql >/dev/null 2>&1; then
	say "pgTAP is not installed: test/pgtap/*.sql skipped (postgresql-15-pgtap)"
fi

# Anything else to run against the sanitized server, e.g. the fuzzer:
#   SANITIZE_EXTRA='python3 test/stress/fuzz.py ...' test/stress/sanitize.sh
# runs from the work tree as the invoking user with PGHOST, PGPORT, PGUSER
# and PGDATABASE set to the sanitized server; its failure fails the run.
extra_status=0
if [ -n "${SANITIZE_EXTRA:-}" ]; then
	say "SANITIZE_EXTRA: $SANITIZE_EXTRA"
	PGHOST=$sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
		bash -c "$SANITIZE_EXTRA" || extra_status=$?
fi

stop_server

# ------------------------------------------------------------- 5. verdict
result=0
for d in results results_isolation; do
	if [ -s "$work/suite/$d/regression.diffs" ]; then
		echo "===== $d/regression.diffs"
		cat "$work/suite/$d/regression.diffs"
	fi
done
[ "$regress_status" = 0 ] || { say "FAIL: the regression suite failed"; result=1; }
[ "$isolation_status" = 0 ] || { say "FAIL: the isolation suite failed"; result=1; }
[ "$pgtap_status" = 0 ] || { say "FAIL: a pgTAP file failed"; result=1; }
[ "$extra_status" = 0 ] || { say "FAIL: SANITIZE_EXTRA failed ($extra_status)"; result=1; }

found=$(reports)
if [ -n "$found" ]; then
	result=1
	say "FAIL: $(echo "$found" | wc -l) sanitizer report file(s); the first ones in full:"
	for f in $(echo "$found" | head -n 3); do
		echo "===== $f"
		cat "$f"
	done
	echo "===== all of them:"
	echo "$found"
fi
if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehavior|runtime error' "$server_log"; then
	result=1
	say "FAIL: sanitizer output in the server log $server_log:"
	grep -nE -A30 'AddressSanitizer|LeakSanitizer|UndefinedBehavior|runtime error' "$server_log" | head -n 200
fi
crash='server process .*(terminated by signal|exited with exit code)|terminating any other active server processes'
if grep -qE "$crash" "$server_log"; then
	result=1
	say "FAIL: a server process crashed:"
	grep -nE -A1 "$crash" "$server_log" | head -n 40
fi

if [ "$result" = 0 ]; then
	say "PASS: $(echo $regress | wc -w) regression, $(echo $isolation | wc -w) isolation and $pgtap_count pgTAP tests, no sanitizer report"
fi
exit "$result"
