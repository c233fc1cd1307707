"""Server errors come back as SQLAlchemy's exceptions with their SQLSTATE;
nothing is swallowed and nothing half-declared remains."""

import pytest
import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, Table, Text, text

import provision_sqlalchemy as ps
import models


def test_a_bad_default_names_its_sqlstate_and_declares_nothing(db):
    md = MetaData()
    Table("good", md, Column("id", Integer, primary_key=True), schema="app")
    Table("bad", md, Column("id", Integer, primary_key=True),
          Column("x", Text, server_default=text("no_such_function()")), schema="app")
    with pytest.raises(sqlalchemy.exc.ProgrammingError) as err:
        ps.create_all(md, db.engine())
    assert err.value.sqlstate == "42883"
    assert ps.sqlstate(err.value) == "42883" == err.value.orig.pgcode
    assert "no_such_function" in str(err.value)
    assert db.scalar("SELECT count(*) FROM provision_models") == 0
    assert db.scalar("SELECT to_regclass('app.good')") is None


def test_without_the_extension(db2):
    with pytest.raises(sqlalchemy.exc.ProgrammingError) as err:
        ps.create_all(models.seed_users("app"), db2.engine())
    assert err.value.sqlstate == "42883"
    assert "provision_load" in str(err.value)


def test_without_the_declare_right(db):
    """A role outside provision_declarer may not declare (42501)."""
    db.sql("DROP ROLE IF EXISTS provision_py_nobody")
    db.sql("CREATE ROLE provision_py_nobody")
    db.sql("GRANT CREATE ON DATABASE \"%s\" TO provision_py_nobody" % db.name)
    try:
        with db.engine().connect() as conn:
            with conn.begin():
                conn.execute(text("SET LOCAL ROLE provision_py_nobody"))
                with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
                    ps.declare(models.seed_users("app"), conn)
        assert err.value.sqlstate == "42501"
        assert db.scalar("SELECT count(*) FROM provision_models") == 0
    finally:
        db.sql("REVOKE CREATE ON DATABASE \"%s\" FROM provision_py_nobody" % db.name)
        db.sql("DROP ROLE provision_py_nobody")


def test_a_failed_migration_inside_the_callers_transaction(db):
    """The caller's transaction is the one that failed: the error comes
    through, and rolling back leaves the database as it was."""
    e = db.engine()
    ps.create_all(models.every_kind(), e)
    before = db.sql("SELECT table_name, definition FROM provision_models ORDER BY 1")
    with e.connect() as conn:
        trans = conn.begin()
        with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
            ps.migrate(models.every_kind(lower_index=False), conn)
        assert err.value.sqlstate == "55000"
        trans.rollback()
    assert db.sql("SELECT table_name, definition FROM provision_models ORDER BY 1") == before
