#!/usr/bin/env bash
# Install, from Debian's archive, what building and testing provision needs,
# and nothing that is already there.  Idempotent: a second run installs
# nothing and does not touch the network.  Extra package names given as
# arguments are installed too (bench/run.sh and test/stress/run.sh add theirs).
set -euo pipefail

pkgs=(
	make gcc perl
	postgresql-common postgresql-15 postgresql-server-dev-15 postgresql-contrib
	postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
	libipc-run-perl
	"$@"
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
