#!/usr/bin/env bash
# make matrix: build and test provision on every PostgreSQL a user runs, each
# in a minimal chroot of the Debian release that ships it:
#
#   13 bullseye   15 bookworm   17 trixie   18 sid
#
#   test/matrix.sh              # all four
#   test/matrix.sh 13 18        # some of them
#
# Per version, inside its chroot (no network: a network namespace with only
# the loopback interface, so nothing can reach the host's servers either):
#   1. `make test PG_MAJOR=NN`: the README's command, building with
#      COPT=-Werror, installing from the tree and running every suite;
#   2. `make uninstall`, then the Debian package: `dpkg-buildpackage -us -uc
#      -b` in a clean copy of the tree gives postgresql-NN-provision, which is
#      installed with dpkg;
#   3. the same suites from another clean copy against the installed package
#      (debian/tests/installcheck, the autopkgtest, which runs
#      test/run-all.sh --installed: nothing built, the extension's files must
#      belong to the package), then a plain `make installcheck` (regression
#      and isolation; TAP_TESTS= since the TAP tests ran twice already) as
#      the postgres user in a pg_virtualenv cluster, as a user would run it.
# Prints one line per version and last "N passed, N failed" over all; the
# logs stay in the directory printed at the start.
#
# Chroots are made with `mmdebstrap --variant=apt` from Debian's archive
# (PROVISION_MATRIX_MIRROR, default http://deb.debian.org/debian) and cached
# in ${PROVISION_MATRIX_CACHE:-/var/cache/provision-matrix}, one directory
# per release; a chroot is rebuilt when its recipe (the functions below
# that make it, its package list, for 13 test/build-isolation.sh) changes, or
# when PROVISION_MATRIX_REBUILD is set (to pick up newer packages).  Each
# holds the server, its headers, pgTAP, pg_prove, IPC::Run and what
# dpkg-buildpackage needs; for 13 also pg_isolation_regress and
# isolationtester, built from bullseye's postgresql-13 source package
# (test/build-isolation.sh).  About 1.5 GB each.
#
# Needs root (chroot, mounts, namespaces; sudo is used otherwise) and
# installs mmdebstrap on the host when it is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# ---------------------------------------------------------------- inside a chroot
# test/matrix.sh --inside VERSION, run in the chroot from /build/src
if [ "${1:-}" = --inside ]; then
	v=$2
	pg_config=/usr/lib/postgresql/$v/bin/pg_config
	passed=0
	failed=0
	parts=()
	# add NAME LOG: the counts of the last "N passed, N failed" line of LOG
	add() {
		local name=$1 log=$2 line p=0 f=1
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=${line%% passed*}
			f=${line#*passed, }
			f=${f%% failed*}
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		parts+=("$name $p/$((p + f))")
	}
	# pytest_of LOG: the pytest line of run-all's summary in LOG, as
	# "52/52", "skipped" or "not run"
	pytest_of() {
		local line p f
		line=$(grep -E '^  pytest ' "$1" | tail -n 1)
		case $line in
		*skipped*) echo skipped ;;
		*passed*failed*)
			p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '^[0-9]+')
			f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
			echo "$p/$((p + f))"
			;;
		*) echo "not run" ;;
		esac
	}
	# check NAME CMD...: one test, passed if CMD succeeds
	check() {
		local name=$1
		shift
		if "$@"; then
			passed=$((passed + 1))
			echo "matrix: ok - $name"
		else
			failed=$((failed + 1))
			parts+=("$name FAILED")
			echo "matrix: not ok - $name"
		fi
	}

	# what an interrupted run may have left: the package, clusters
	dpkg --purge "postgresql-$v-provision" >/dev/null 2>&1 || true
	pg_lsclusters -h 2>/dev/null | while read -r cv cn _; do
		pg_dropcluster --stop "$cv" "$cn" >/dev/null 2>&1
	done
	rm -rf /etc/postgresql/*/regress /var/lib/postgresql/*/regress
	# and the clusters and logs a failed TAP run keeps (GBs each)
	rm -rf /tmp/provision-tap.* /tmp/provision-test.* /tmp/installcheck /build/dbg /build/dbg.*

	echo "==== make test PG_MAJOR=$v (from the tree)"
	rm -rf /build/tree && cp -a /build/src /build/tree
	(cd /build/tree && make test PG_MAJOR="$v") 2>&1 | tee /build/tree.log
	add tree /build/tree.log
	(cd /build/tree && make -s uninstall PG_CONFIG="$pg_config") >/dev/null 2>&1

	echo "==== dpkg-buildpackage -us -uc -b (postgresql-$v-provision)"
	rm -rf /build/pkg && mkdir /build/pkg && cp -a /build/src /build/pkg/provision
	check "dpkg-buildpackage" sh -c 'cd /build/pkg/provision && dpkg-buildpackage -us -uc -b' \
		>/build/deb.log 2>&1 || tail -n 40 /build/deb.log
	debs=(/build/pkg/postgresql-"$v"-provision_*.deb)
	check "dpkg -i postgresql-$v-provision" dpkg -i "${debs[0]}" >>/build/deb.log 2>&1 ||
		tail -n 20 /build/deb.log
	deb=$(dpkg-query -W -f='${Package} ${Version}' "postgresql-$v-provision" 2>/dev/null)

	echo "==== every suite against the installed package ($deb): debian/tests/installcheck"
	rm -rf /build/check && cp -a /build/src /build/check
	(cd /build/check && debian/tests/installcheck) 2>&1 | tee /build/package.log
	add package /build/package.log

	# regression and isolation: the TAP tests ran twice already, and are
	# the slowest part (tens of thousands of tables, crashes)
	echo "==== plain make installcheck (PGXS: regression, isolation), as postgres, against the package"
	rm -rf /tmp/installcheck && cp -a /build/src /tmp/installcheck && chown -R postgres: /tmp/installcheck
	check "make installcheck" runuser -u postgres -- pg_virtualenv -v "$v" \
		make -C /tmp/installcheck installcheck PG_CONFIG="$pg_config" TAP_TESTS= \
		>/build/installcheck.log 2>&1 ||
		tail -n 60 /build/installcheck.log
	dpkg --purge "postgresql-$v-provision" >/dev/null 2>&1

	# the SQLAlchemy bridge's suite, from the tree and from the package: the
	# bridge needs SQLAlchemy 1.4 or later, and run-all.sh skips it (not
	# counted) where Debian's python3-sqlalchemy is older
	sqla=$(python3 -c 'import sqlalchemy; print(sqlalchemy.__version__)' 2>/dev/null)
	py_tree=$(pytest_of /build/tree.log)
	py_pkg=$(pytest_of /build/package.log)
	if [ "$py_tree" = skipped ] && [ "$py_pkg" = skipped ]; then
		pytest="pytest skipped: SQLAlchemy ${sqla:-missing} < 1.4, not counted"
	else
		pytest="pytest $py_tree + $py_pkg on SQLAlchemy ${sqla:-missing}"
	fi

	echo "matrix-inside: ${deb:-no package}; ${parts[*]}; $pytest"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

if [ "$(id -u)" != 0 ]; then
	exec sudo --preserve-env=PROVISION_MATRIX_CACHE,PROVISION_MATRIX_MIRROR,PROVISION_MATRIX_REBUILD "$0" "$@"
fi

cache=${PROVISION_MATRIX_CACHE:-/var/cache/provision-matrix}
mirror=${PROVISION_MATRIX_MIRROR:-http://deb.debian.org/debian}
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(13 15 17 18)

suite_of() {
	case $1 in
	13) echo bullseye ;;
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo sid ;;
	*) return 1 ;;
	esac
}

for v in "${versions[@]}"; do
	suite_of "$v" >/dev/null || { echo "matrix: no Debian release for PostgreSQL $v (13, 15, 17, 18)" >&2; exit 2; }
done

# ---------------------------------------------------------------- the host
host_deps() {
	local missing=() cmd pkg
	for cmd in mmdebstrap:mmdebstrap ip:iproute2 unshare:util-linux; do
		command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "matrix: installing ${missing[*]} on the host"
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# ---------------------------------------------------------------- the recipe
# packages_of VERSION: what the chroot holds
packages_of() {
	echo "$(make -s --no-print-directory -C "$repo" deps-list PG_MAJOR="$1" 2>/dev/null) postgresql-server-dev-all build-essential debhelper dpkg-dev"
}

# build_chroot VERSION SUITE DIR: a fresh chroot in DIR
build_chroot() {
	local v=$1 suite=$2 dir=$3 sources
	sources="deb $mirror $suite main"
	# bullseye's postgresql-13 source builds the isolation tester
	[ "$v" -ge 14 ] || sources+=$'\n'"deb-src $mirror $suite main"
	mmdebstrap --variant=apt --mode=root \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/provision-matrix.conf"' \
		--include="$(packages_of "$v" | tr ' ' ',')" \
		--customize-hook="copy-in $here/build-isolation.sh /usr/local/sbin" \
		--customize-hook="chroot \"\$1\" env PG_MAJOR=$v /usr/local/sbin/build-isolation.sh" \
		--customize-hook='printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" > "$1/etc/hosts"' \
		"$suite" "$dir" - <<<"$sources"
}

# recipe_of VERSION SUITE: what a chroot was made from; a change rebuilds it
recipe_of() {
	{
		echo "$1 $2 $mirror"
		declare -f build_chroot packages_of
		packages_of "$1"
		[ "$1" -ge 14 ] || cat "$here/build-isolation.sh"
	} | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- running inside
# in_chroot DIR CMD...: CMD inside DIR, with /proc and a tmpfs on /dev/shm,
# in mount and network namespaces of its own (loopback only), with a clean
# environment.  The mounts are private to that namespace; where / is not a
# mount point (a chroot, some containers) its propagation cannot be changed,
# and they are unmounted when CMD ends instead.
in_chroot() {
	local propagation=private
	unshare --mount --propagation private true 2>/dev/null || propagation=unchanged
	unshare --mount --net --fork --propagation "$propagation" -- bash -c '
		root=$1
		shift
		ip link set lo up || exit 1
		mount -t proc proc "$root/proc" || exit 1
		mount -t tmpfs -o mode=1777,size=2g shm "$root/dev/shm" || { umount "$root/proc"; exit 1; }
		chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
		rc=$?
		umount "$root/dev/shm" "$root/proc"
		exit $rc
	' in_chroot "$@"
}

# copy_tree DEST: the work tree as it is (tracked and untracked files, not
# ignored ones), without build products
copy_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$repo" && git ls-files -z -co --exclude-standard |
			xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar -c --null -T - -f -) | tar -x -C "$dest"
	else
		tar -c -C "$repo" --exclude=.git --exclude='*.o' --exclude='*.so' \
			--exclude='*.bc' --exclude=results --exclude=results_isolation . |
			tar -x -C "$dest"
	fi
}

# ---------------------------------------------------------------- the host side
host_deps || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -n 9 || { echo "matrix: waiting for another make matrix (lock $cache/.lock)"; flock 9; }

logdir=$(mktemp -d /tmp/provision-matrix.XXXXXX)
chmod 755 "$logdir"
echo "matrix: PostgreSQL ${versions[*]}; chroots in $cache, logs in $logdir"
total_passed=0
total_failed=0
lines=()
start_all=$(date +%s)

for v in "${versions[@]}"; do
	suite=$(suite_of "$v")
	root=$cache/$suite
	log=$logdir/pg$v.log
	recipe=$(recipe_of "$v" "$suite")
	chroot_note=cached
	t0=$(date +%s)
	if [ ! -d "$root" ] || [ "$(cat "$root.recipe" 2>/dev/null)" != "$recipe" ] ||
		[ -n "${PROVISION_MATRIX_REBUILD:-}" ]; then
		echo "==== PostgreSQL $v: building the $suite chroot"
		rm -rf "$root" "$root.new" "$root.recipe"
		if build_chroot "$v" "$suite" "$root.new" >"$logdir/chroot-$suite.log" 2>&1; then
			mv "$root.new" "$root"
			echo "$recipe" >"$root.recipe"
			chroot_note="built in $(($(date +%s) - t0)) s"
		else
			tail -n 30 "$logdir/chroot-$suite.log"
			rm -rf "$root.new"
			total_failed=$((total_failed + 1))
			lines+=("$(printf 'PostgreSQL %-2s %-8s chroot build FAILED (%s)' "$v" "$suite" "$logdir/chroot-$suite.log")")
			continue
		fi
	fi
	t1=$(date +%s)
	echo "==== PostgreSQL $v ($suite, chroot $chroot_note): test"
	copy_tree "$root/build/src"
	in_chroot "$root" /build/src/test/matrix.sh --inside "$v" >"$log" 2>&1
	t2=$(date +%s)
	last=$(tail -n 1 "$log")
	note=$(grep '^matrix-inside: ' "$log" | tail -n 1)
	note=${note#matrix-inside: }
	server=$(chroot "$root" "/usr/lib/postgresql/$v/bin/postgres" --version 2>/dev/null | awk '{print $3}')
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
	else
		p=0
		f=1
		note="died: $last"
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	if [ "$f" != 0 ]; then
		echo "---- PostgreSQL $v failed; the end of $log:"
		tail -n 60 "$log"
	fi
	lines+=("$(printf 'PostgreSQL %-7s %-8s %4d passed, %d failed  chroot %s, test %d s  (%s)' \
		"${server:-$v}" "$suite" "$p" "$f" "$chroot_note" "$((t2 - t1))" "$note")")
done

echo
echo "==== matrix summary ($(($(date +%s) - start_all)) s; logs in $logdir; chroots $(du -sh "$cache" 2>/dev/null | cut -f1) in $cache)"
printf '%s\n' "${lines[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
