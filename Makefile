# provision: PGXS build.  As for every PGXS extension: `make`, `make install`
# and `make installcheck` (regression, isolation and TAP tests against the
# installed extension and the server PG* points at; PG_CONFIG picks the
# PostgreSQL).  `make test`, `make demo` and `make matrix` are the entry points
# documented in README.md; they install what they need on Debian.

EXTENSION    = provision
MODULE_big   = provision
OBJS         = src/provision.o src/migrate.o src/engine.o src/drift.o src/tablediff.o \
               src/registry.o src/definition.o src/trial.o src/inspect.o src/ddl.o \
               src/trust.o src/history.o src/catalog.o src/name.o src/lock.o src/order.o \
               src/change.o src/objects.o src/types.o src/sequence.o src/index.o \
               src/script.o src/load.o src/loadcache.o src/dump.o src/capture.o \
               src/relnames.o
# online migrations (provision_apply)
OBJS        += src/apply.o src/online.o src/onlineplan.o src/helper.o src/blocking.o \
               src/swap.o src/backfill.o src/txn.o src/worker.o src/shadow.o
DATA         = provision--1.0.sql provision--1.0--1.1.sql provision--1.1--1.2.sql
PGFILEDESC   = "provision - declared, race-free table provisioning"

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=provision
ISOLATION    = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --outputdir=results_isolation --load-extension=provision
# TAP tests (PostgreSQL::Test::Cluster) start clusters of their own
TAP_TESTS    = 1
PROVE_TESTS  = test/t/*.pl

PG_CONFIG   ?= pg_config
PG_CONFIG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
# The server headers are included as system headers so that -Wextra judges
# our code, not PostgreSQL's inline functions.
PG_CPPFLAGS  = -I$(srcdir)/src -isystem $(PG_CONFIG_INCLUDEDIR_SERVER)
# Warnings are errors in the test scripts and CI (COPT=-Werror), not here:
# a newer compiler on a user's machine must not break their build.
PG_CFLAGS    = -Wall -Wextra

EXTRA_CLEAN  = results results_isolation test/tmp tmp_check

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard src/*.h)

# Debian's packages for the SQLAlchemy bridge (python/): the seed's tutorial
# in `make demo`, its pytest suite in `make test`
PY_DEPS      = python3 python3-sqlalchemy python3-psycopg2 python3-alembic python3-pytest

# PG_MAJOR (default 15) picks the PostgreSQL of make test, make demo and deps
.PHONY: test demo deps deps-list bench stress matrix
deps:
	test/install-deps.sh $(PY_DEPS)

# the Debian packages `make deps` installs (test/matrix.sh puts them in its chroots)
deps-list:
	@test/install-deps.sh --list $(PY_DEPS)

test: deps
	test/run-all.sh

demo: deps
	test/demo.sh

bench: deps
	bench/run.sh

stress: deps
	test/stress/run.sh

# every supported PostgreSQL, each in a Debian chroot (test/matrix.sh)
matrix:
	test/matrix.sh
