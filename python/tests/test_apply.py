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
    v2 = models.every_kind(username_length=80, moods=("sad", "ok", "meh", "happy"),
                           email=True, email_index=True)
    if not ps.has_apply(e):
        with pytest.raises(NotImplementedError):
            ps.apply(v2, e)
        pytest.skip("this server's provision has no provision_apply()")
    db.sql("INSERT INTO app.users (username) VALUES ('john_doe')")
    ps.apply(v2, e)
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
        with pytest.raises(sqlalchemy.exc.SQLAlchemyError):
            ps.apply(md, conn)
