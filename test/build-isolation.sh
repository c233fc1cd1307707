#!/usr/bin/env bash
# Build pg_isolation_regress and isolationtester for PostgreSQL $PG_MAJOR
# and put them where PGXS looks for them, $pkglibdir/pgxs/src/test/isolation.
# Debian ships them in postgresql-server-dev-NN from 14 on; for 13 (Debian
# 11) they are built here from the release's own postgresql-13 source
# package (apt-get source: a deb-src line for the release is needed), so
# that they match the installed server.  Only libpq, src/port, src/common
# and src/test/isolation are compiled.  Does nothing if they are there.
# Run as root.
set -euo pipefail

major=${PG_MAJOR:-15}
pg_config=/usr/lib/postgresql/$major/bin/pg_config
dest=$(dirname "$("$pg_config" --pgxs)")/../test/isolation
if [ -x "$dest/pg_isolation_regress" ] && [ -x "$dest/isolationtester" ]; then
	exit 0
fi

work=$(mktemp -d /tmp/provision-isolation.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "build-isolation: building pg_isolation_regress and isolationtester from postgresql-$major's source"
if ! apt-get source -q --only-source "postgresql-$major" >source.log 2>&1; then
	cat source.log >&2
	echo "build-isolation: apt-get source postgresql-$major failed; add a deb-src line for this release to /etc/apt/sources.list.d and run apt-get update" >&2
	exit 1
fi
cd "$(find . -mindepth 1 -maxdepth 1 -type d -name "postgresql-$major-*" | head -n 1)"
./configure -q --without-readline --without-zlib --without-icu >configure.log 2>&1 ||
	{ tail -n 30 configure.log >&2; exit 1; }
# the generated headers first: a parallel make of the subdirectory alone
# races its own submakes for them
{ make -s -C src/backend generated-headers &&
	make -s -j"$(nproc)" -C src/test/isolation; } >make.log 2>&1 ||
	{ tail -n 30 make.log >&2; exit 1; }
mkdir -p "$dest"
install -m 755 src/test/isolation/pg_isolation_regress src/test/isolation/isolationtester "$dest/"
echo "build-isolation: installed into $dest"
