#!/usr/bin/env bash
# make demo: build and install provision, start a throwaway PostgreSQL
# $PG_MAJOR (default 15) cluster and run the seed's flow twice:
# examples/migration.sql creates the schema and the users table, inserts
# john_doe and queries it; the second run of the same file is a no-op.  Then
# the seed's own SQLAlchemy tutorial, examples/seed_tutorial.py, twice, with
# its schema and table created by provision_sqlalchemy.create_all()
# (Debian's python3-sqlalchemy and python3-psycopg2).  The cluster is
# removed afterwards.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export PG_MAJOR=${PG_MAJOR:-15}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

if [ "${1:-}" != --inside ]; then
	make -s PG_CONFIG="$PG_CONFIG"
	"${sudo[@]}" make -s PG_CONFIG="$PG_CONFIG" install
	exec pg_virtualenv -v "$PG_MAJOR" "$0" --inside
fi

run() {
	echo "\$ psql -v ON_ERROR_STOP=1 -f examples/migration.sql"
	psql -X -v ON_ERROR_STOP=1 -f examples/migration.sql
}

echo "==== first deploy: the schema, the model and the table are created"
run
echo
echo "==== second deploy: the same migration again, nothing to do"
run
echo
tutorial() {
	echo "\$ python3 examples/seed_tutorial.py"
	# Debian's python3, where python3-sqlalchemy is; the package from the tree
	PYTHONPATH=python SQLALCHEMY_SILENCE_UBER_WARNING=1 /usr/bin/python3 examples/seed_tutorial.py
}
echo "==== the seed's SQLAlchemy tutorial: schema and table by provision_sqlalchemy.create_all()"
tutorial
echo
echo "==== the tutorial again: nothing to create, one more john_doe (the tutorial adds one a run)"
tutorial
echo
echo "==== no drift in any model"
psql -X -c 'SELECT * FROM provision_diff()'
echo
echo "==== what provision ran, from provision_history"
psql -X -c 'SELECT table_name, statement FROM provision_history ORDER BY executed_at'
