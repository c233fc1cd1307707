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
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
PGVER=15

# ---- what it needs, from Debian, only if missing (test/install-deps.sh
# installs the build and test packages plus the extra names given here).
# clang-14/llvm-14: Debian's PGXS builds the JIT bitcode with them.
extra=(clang-14 llvm-14 python3 python3-psycopg2 python3-sqlalchemy
       python3-alembic fonts-dejavu-core)
# any gnuplot will do (gnuplot-x11, gnuplot-qt); gnuplot-nox if there is none
command -v gnuplot >/dev/null || extra+=(gnuplot-nox)
"$repo/test/install-deps.sh" "${extra[@]}"

# Debian's python3, not whatever python3 comes first in PATH (pyenv, venv):
# SQLAlchemy and Alembic are Debian packages
PY=/usr/bin/python3

# ---- build and install the extension
export PG_CONFIG=/usr/lib/postgresql/$PGVER/bin/pg_config
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
workroot=
if [ "${BENCH_TMPFS:-1}" != 0 ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((4 * 1024 * 1024)) ]; then
    workroot=$(mktemp -d /dev/shm/provision-bench.XXXXXX)
    chmod 755 "$workroot"      # the server runs as postgres
    trap 'rm -rf "$workroot"' EXIT
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
    trap 'rm -rf "$sodir"' EXIT
fi
install -m 755 "$("$PG_CONFIG" --pkglibdir)/provision.so" "$sodir/provision.so"
export BENCH_PROVISION_SO=$sodir/provision.so

echo "throwaway PostgreSQL $PGVER cluster: ${settings[*]}"
if [ -n "$workroot" ]; then
    echo "data directory on tmpfs, under $workroot"
else
    echo "data directory on disk, under ${TMPDIR:-/tmp}"
fi
echo "(fsync=off: durability is off in this benchmark cluster, for every contender alike)"
start=$(date +%s)
cd "$repo"
pg_virtualenv -t -v "$PGVER" "${opts[@]}" \
    "$PY" "$here/bench.py" --publish "$@"
echo "bench: total wall time $(( $(date +%s) - start )) s (cluster setup included)"
