"""Fixtures: a fresh database with provision for each test that asks.

The server is found through the libpq environment (PGHOST, PGPORT, PGUSER,
PGPASSWORD), as `make test` sets it inside its throwaway cluster; the role
must be able to create databases (and is a superuser there, so it has the
declare right).  Databases are named provision_py_<test> and dropped after.
"""

import os
import re
import subprocess
import sys

import psycopg2
import pytest
import sqlalchemy
from sqlalchemy import create_engine

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))          # python/: the package

import provision_sqlalchemy  # noqa: E402  (after the path)

REPO = os.path.dirname(os.path.dirname(HERE))


def admin():
    conn = psycopg2.connect(dbname=os.environ.get("PROVISION_PY_ADMIN_DB", "postgres"))
    conn.autocommit = True
    return conn


def url_of(dbname):
    return "postgresql+psycopg2:///%s" % dbname


class Database(object):
    """A database of its own: .url, .engine(), .sql(query) (psycopg2,
    autocommit), .scalar(query)."""

    def __init__(self, name, extension=True):
        self.name = name
        self.url = url_of(name)
        c = admin()
        with c.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
            cur.execute('CREATE DATABASE "%s"' % name)
        c.close()
        self._engines = []
        self.conn = psycopg2.connect(dbname=name)
        self.conn.autocommit = True
        if extension:
            self.sql("CREATE EXTENSION provision")

    def engine(self, **kw):
        e = create_engine(self.url, **kw)
        self._engines.append(e)
        return e

    def sql(self, query, params=None):
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    def scalar(self, query, params=None):
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def dump(self):
        """pg_dump --schema-only, without the extension's own lines and
        comments: what exists in the database, for comparing two of them."""
        out = subprocess.run([os.environ.get("PROVISION_PG_DUMP", "pg_dump"), "--schema-only",
                              "--no-owner", "--no-privileges", "-d", self.name],
                             check=True, capture_output=True, text=True).stdout
        keep = []
        for line in out.splitlines():
            if not line.strip() or line.startswith("--") or line.startswith("\\"):
                continue
            if re.match(r"(CREATE EXTENSION|COMMENT ON EXTENSION|SET |SELECT pg_catalog\.set_config)", line):
                continue
            keep.append(line)
        return "\n".join(keep)

    def close(self):
        for e in self._engines:
            e.dispose()
        self.conn.close()
        c = admin()
        with c.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name)
        c.close()


def db_name(request, suffix=""):
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())
    return ("provision_py_" + name)[:50] + suffix


@pytest.fixture
def db(request):
    d = Database(db_name(request))
    yield d
    d.close()


@pytest.fixture
def db2(request):
    """A second database, without provision: for plain SQLAlchemy."""
    d = Database(db_name(request, "_plain"), extension=False)
    yield d
    d.close()


@pytest.fixture
def engine(db):
    return db.engine()


def pytest_report_header(config):
    return "SQLAlchemy %s, psycopg2 %s, provision_sqlalchemy %s" % (
        sqlalchemy.__version__, psycopg2.__version__.split()[0], provision_sqlalchemy.__version__)
