#!/usr/bin/env bash
# Install, from Debian's archive, what building and testing provision needs
# for PostgreSQL $PG_MAJOR (default 15), and nothing that is already there.
# Idempotent: a second run installs nothing and does not touch the network.
# Extra package names given as arguments are installed too (bench/run.sh and
# test/stress/run.sh add theirs).
#
#   test/install-deps.sh                 # PostgreSQL 15 (Debian 12)
#   PG_MAJOR=13 test/install-deps.sh     # the version the release ships
#   test/install-deps.sh --list          # print the package names, install nothing
#
# PostgreSQL 13's server-dev package (Debian 11) ships no pg_isolation_regress
# or isolationtester; test/build-isolation.sh builds them from Debian's own
# postgresql-13 source package (deb-src needed) when they are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
major=${PG_MAJOR:-15}

list=
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi

pkgs=(
	make gcc perl
	postgresql-common "postgresql-$major" "postgresql-server-dev-$major" postgresql-contrib
	"postgresql-$major-pgtap" libtap-parser-sourcehandler-pgtap-perl
	libipc-run-perl
	"$@"
)
# what test/build-isolation.sh needs besides make and gcc
[ "$major" -ge 14 ] || pkgs+=(dpkg-dev bzip2 xz-utils)

if [ -n "$list" ]; then
	echo "${pkgs[*]}"
	exit 0
fi

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

# installed, or provided by an installed package (postgresql-contrib is a
# virtual package in newer releases)
provided=" $(dpkg-query -W -f='${db:Status-Status} ${Provides}\n' 2>/dev/null |
	sed -n 's/^installed //p' | sed 's/ *([^)]*)//g' | tr ',\n' '  ') "
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		[[ $provided == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

pgxs=$(dirname "$("/usr/lib/postgresql/$major/bin/pg_config" --pgxs)")/..
if [ ! -x "$pgxs/test/isolation/pg_isolation_regress" ]; then
	"${sudo[@]}" env PG_MAJOR="$major" "$here/build-isolation.sh"
fi
