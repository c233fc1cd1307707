"""apply(): CALL provision_apply() per changed object on an autocommit
connection, where the server has it (online migrations); skipped where it
does not, and then apply() says so."""

import pytest
import sqlalchemy

import provision_sqlalchemy as ps
import models


def test_apply_where_the_server_has_it(db):
    e = db.engine()
    ps.create_all(models.every_kind(), e)
    # a new enum value, column and unique index (online: built CONCURRENTLY)
    v2 = models.every_kind(moods=("sad", "ok", "meh", "happy"), email=True, email_index=True)
    if not ps.has_apply(e):
        with pytest.raises(NotImplementedError):
            ps.apply(v2, e)
        pytest.skip("this server's provision has no provision_apply()")
    db.sql("INSERT INTO app.users (username) VALUES ('john_doe')")
    online = ps.plan(v2, e, online=True)
    assert any("CONCURRENTLY" in s for s in online), online
    # provision_diff()'s blocking column, read by name
    rows = ps.diff(v2, e)
    assert sorted(r.change for r in rows) == ["column_missing", "enum_value_missing", "index_missing"]
    assert all(r.blocking in ("none", "brief", "scan", "rewrite") for r in rows), rows
    notices = ps.apply(v2, e)
    assert notices, "provision_apply() reports its steps"
    assert ps.diff(v2, e) == []
    assert db.scalar("SELECT username FROM app.users") == "john_doe"
    assert db.scalar("SELECT count(*) FROM provision_history WHERE online") > 0
    # nothing left to do: no call at all
    assert ps.apply(v2, e) == []


def test_apply_refuses_inside_a_transaction(db):
    e = db.engine()
    if not ps.has_apply(e):
        pytest.skip("this server's provision has no provision_apply()")
    md = models.seed_users("app")
    ps.create_all(md, e)
    md.tables["app.users"].append_column(sqlalchemy.Column("email", sqlalchemy.Text))
    with e.connect() as conn:
        conn.begin()
        with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
            ps.apply(md, conn)
        assert err.value.sqlstate == "25001"
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == 0
