#!/bin/bash
# make bench: provision against plain SQL, SQLAlchemy create_all() and
# Alembic, for 100, 1000 and 10000 tables, in a throwaway PostgreSQL 15
# cluster.  Writes bench/out/{results,goals,race,runs}.csv and bench.png,
# and copies the plot and a markdown table to bench/bench.png and
# bench/RESULTS.md.  Arguments are passed on to bench/bench.py (see
# `bench/bench.py --help`), e.g. bench/run.sh --sizes 100,1000.
#
# Takes about 12 minutes on 2 cores, most of it Alembic reflecting 10000
# tables (about 100 s a run) and creating and dropping 10000 tables.
#
# Then the live-table run (bench/live.py, about 15 minutes): provision_migrate()
# against CALL provision_apply() on a 2,000,000-row table (and 200,000) read
# and written every 5 ms, in a throwaway cluster of its own with PostgreSQL's
# default settings (durability on: stalls as a real server has them).
# Writes bench/out/live.csv and bench/RESULTS-live.md.
#
# BENCH_PARTS="peers live" (the default) runs both; either alone runs one.
# PG_CONFIG (default: the system's PostgreSQL 15) picks the installation to
# build against, install into and run; PGBIN (default: its bindir) the
# binaries.  With an installation other than the system's, both parts run
# in clusters this script starts itself from PGBIN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
PGVER=15

# ---- what it needs, from Debian, only if missing (test/install-deps.sh
# installs the build and test packages plus the extra names given here).
# clang-14/llvm-14: Debian's PGXS builds the JIT bitcode with them.
parts=${BENCH_PARTS:-peers live}
extra=(clang-14 llvm-14 python3 python3-psycopg2)
if [[ " $parts " == *" peers "* ]]; then
    extra+=(python3-sqlalchemy python3-alembic fonts-dejavu-core)
    # any gnuplot will do (gnuplot-x11, gnuplot-qt); gnuplot-nox if there is none
    command -v gnuplot >/dev/null || extra+=(gnuplot-nox)
fi
"$repo/test/install-deps.sh" "${extra[@]}"

# Debian's python3, not whatever python3 comes first in PATH (pyenv, venv):
# SQLAlchemy and Alembic are Debian packages
PY=/usr/bin/python3

# ---- build and install the extension
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PGVER/bin/pg_config}
PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
make -C "$repo" PG_CONFIG="$PG_CONFIG"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO make -C "$repo" PG_CONFIG="$PG_CONFIG" install

# ---- a throwaway cluster
# max_locks_per_transaction: creating (or dropping) 10000 tables in one
# transaction takes tens of thousands of locks; with the default 64 even a
# plain batch of CREATE TABLEs fails with "out of shared memory".
# fsync, synchronous_commit and full_page_writes off: the benchmark measures
# CPU work in the server and round trips, not the disk; the same for every
# contender.  autovacuum off and a large max_wal_size: no background work
# during a timed run (bench.py vacuums and checkpoints between runs, untimed).
opts=(
    -o max_locks_per_transaction=1024
    -o shared_buffers=256MB
    -o fsync=off
    -o synchronous_commit=off
    -o full_page_writes=off
    -o autovacuum=off
    -o max_wal_size=2GB
    -o checkpoint_timeout=1h
)

# The cluster's files on tmpfs (/dev/shm) when it has room: creating a table
# creates four files, and on a shared virtual disk the time that takes swings
# tenfold with other machines' and processes' I/O (measured here: 0.35 ms
# against 3 to 4 ms a table, for every contender alike), which would drown
# the differences between the contenders.  BENCH_TMPFS=0 keeps it on disk.
# what the EXIT trap removes: clusters this script started (stopped
# first), then directories
cleanup=()
clusters=()
on_exit() {
    local d
    for d in "${clusters[@]}"; do
        "${as_server[@]}" "$PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$d"
    done
    for d in "${cleanup[@]}"; do rm -rf "$d"; done
}
trap on_exit EXIT

workroot=
if [ "${BENCH_TMPFS:-1}" != 0 ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((4 * 1024 * 1024)) ]; then
    workroot=$(mktemp -d /dev/shm/provision-bench.XXXXXX)
    chmod 755 "$workroot"      # the server runs as postgres
    cleanup+=("$workroot")
    export TMPDIR=$workroot    # pg_virtualenv -t makes its directory there
fi

settings=()
for o in "${opts[@]}"; do [ "$o" = -o ] || settings+=("$o"); done
# A private copy of the provision.so just built and installed: bench.py
# points the benchmark database's functions at it, so that a `make install`
# elsewhere during the run (other work sharing this machine) cannot make
# later connections load another build.
if [ -n "$workroot" ]; then
    sodir=$workroot
else
    sodir=$(mktemp -d)
    chmod 755 "$sodir"
    cleanup+=("$sodir")
fi
install -m 755 "$("$PG_CONFIG" --pkglibdir)/provision.so" "$sodir/provision.so"
export BENCH_PROVISION_SO=$sodir/provision.so

# own_cluster DIR PORT SETTING...: a throwaway cluster from $PGBIN in DIR,
# its socket in DIR, started with the settings given ("name=value"); sets
# PGHOST, PGPORT and PGUSER for it.  initdb refuses to run as root: then the
# server runs as postgres.
as_server=()
[ "$(id -u)" = 0 ] && as_server=(runuser -u postgres --)
own_cluster() {
    local dir=$1 port=$2
    shift 2
    local conf=(-c "port=$port" -c "unix_socket_directories=$dir" -c "listen_addresses=")
    for o in "$@"; do conf+=(-c "$o"); done
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    "${as_server[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -N >/dev/null
    clusters+=("$dir")
    "${as_server[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "${conf[*]}" start >/dev/null
    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}
stop_cluster() {
    local kept=() d
    "${as_server[@]}" "$PGBIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null || true
    rm -rf "$1"
    for d in "${clusters[@]}"; do [ "$d" = "$1" ] || kept+=("$d"); done
    clusters=("${kept[@]}")
}
free_port() {
    local p
    for p in $(seq 5700 5799); do
        (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || [ -e "/tmp/.s.PGSQL.$p" ] || { echo "$p"; return; }
    done
    echo 5799
}

start=$(date +%s)
cd "$repo"
if [[ " $parts " == *" peers "* ]]; then
    echo "throwaway PostgreSQL $PGVER cluster: ${settings[*]}"
    if [ -n "$workroot" ]; then
        echo "data directory on tmpfs, under $workroot"
    else
        echo "data directory on disk, under ${TMPDIR:-/tmp}"
    fi
    echo "(fsync=off: durability is off in this benchmark cluster, for every contender alike)"
    if [ "$PGBIN" = "/usr/lib/postgresql/$PGVER/bin" ]; then
        pg_virtualenv -t -v "$PGVER" "${opts[@]}" \
            "$PY" "$here/bench.py" --publish "$@"
    else
        dir=$(mktemp -d "${TMPDIR:-/tmp}/provision-bench-peers.XXXXXX")
        own_cluster "$dir" "$(free_port)" "${settings[@]}"
        "$PY" "$here/bench.py" --publish "$@"
        stop_cluster "$dir"
    fi
fi
if [[ " $parts " == *" live "* ]]; then
    # durability on, as PostgreSQL ships; on disk, not tmpfs
    livedir=$(mktemp -d /tmp/provision-bench-live.XXXXXX)
    echo "live-table run: throwaway cluster with default settings in $livedir"
    own_cluster "$livedir" "$(free_port)"
    "$PY" "$here/live.py" --publish ${BENCH_LIVE_ARGS:-}
    stop_cluster "$livedir"
fi
echo "bench: total wall time $(( $(date +%s) - start )) s (cluster setup included)"
