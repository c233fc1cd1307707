"""diff(), plan() and migrate() after the Python model changes."""

import pytest
import sqlalchemy
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, Table, Text

import provision_sqlalchemy as ps
import models


def registry(db):
    return db.sql("SELECT kind, table_name, definition FROM provision_models ORDER BY 1, 2")


def changes_of(rows):
    return sorted((r.table_name, r.change, r.object) for r in rows)


def test_diff_plan_migrate_after_the_model_grows(db):
    e = db.engine()
    ps.create_all(models.every_kind(), e)
    db.sql("INSERT INTO app.users (username) VALUES ('john_doe')")
    before = registry(db)

    # a wider String, a new column with a unique index, an enum value
    v2 = models.every_kind(username_length=80, moods=("sad", "ok", "meh", "happy"),
                           email=True, email_index=True)
    rows = ps.diff(v2, e)
    assert changes_of(rows) == [
        ("app.mood", "enum_value_missing", "meh"),
        ("app.users", "column_missing", "email"),
        ("app.users", "column_type", "username"),
        ("app.users", "index_missing", "users_email_idx"),
    ]
    assert all(r.safe for r in rows)
    assert all(isinstance(r, tuple) and r._fields[:7] == ps.Change._fields[:7] for r in rows)
    by = dict(((r.table_name, r.object), r) for r in rows)
    assert by[("app.users", "username")].declared == "character varying(80)"
    assert by[("app.users", "username")].actual == "character varying(50)"
    # diff() declared nothing for good
    assert registry(db) == before

    steps = ps.plan(v2, e)
    assert steps == [
        "ALTER TYPE app.mood ADD VALUE 'meh' AFTER 'ok'",
        "ALTER TABLE app.users ADD COLUMN email text",
        "ALTER TABLE app.users ALTER COLUMN username TYPE character varying(80)",
        "CREATE UNIQUE INDEX users_email_idx ON app.users USING btree (email)",
    ]
    assert registry(db) == before

    ran = ps.migrate(v2, e)
    assert [s.ddl for s in ran] == steps
    assert [s.table_name for s in ran] == ["app.mood", "app.users", "app.users", "app.users"]
    assert ps.diff(v2, e) == []
    assert db.scalar("SELECT enum_range(NULL::app.mood)::text") == "{sad,ok,meh,happy}"
    assert db.scalar("SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_name = 'users' AND column_name = 'username'") == 80
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email_idx'") == 1
    assert db.scalar("SELECT username FROM app.users") == "john_doe"
    # the old model now differs, the other way round
    assert changes_of(ps.diff(models.every_kind(), e)) == [
        ("app.mood", "enum_value_extra", "meh"),
        ("app.users", "column_extra", "email"),
        ("app.users", "column_type", "username"),
        ("app.users", "index_extra", "users_email_idx"),
    ]


def test_unsafe_changes_need_allow_destructive(db):
    e = db.engine()
    ps.create_all(models.every_kind(), e)
    v3 = models.every_kind(lower_index=False)          # an Index removed from the model
    rows = ps.diff(v3, e)
    assert [(r.change, r.object, r.safe) for r in rows] == [
        ("index_extra", "users_lower_username_idx", False)]
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        ps.migrate(v3, e)
    assert err.value.sqlstate == "55000"
    assert "users_lower_username_idx" in str(err.value)
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_lower_username_idx'") == 1
    # the failed migration left the old declaration in place
    assert db.scalar("SELECT count(*) FROM provision_models WHERE table_name = "
                     "'app.users_lower_username_idx'") == 1
    ran = ps.migrate(v3, e, allow_destructive=True)
    assert [s.ddl for s in ran] == ["DROP INDEX app.users_lower_username_idx"]
    assert ps.diff(v3, e) == []
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_lower_username_idx'") == 0


def test_new_tables_are_created_by_migrate(db):
    e = db.engine()
    md = models.seed_users("app")
    ps.create_all(md, e)
    Table("sessions", md,
          Column("id", Integer, primary_key=True),
          Column("user_id", Integer, ForeignKey("app.users.id"), nullable=False),
          Column("token", Text),
          Index("sessions_token_idx", "token", unique=True),
          schema="app")
    Table("audit_log", md, Column("id", Integer, primary_key=True), schema="audit")
    assert changes_of(ps.diff(md, e)) == [
        ("app.sessions", "table_missing", "app.sessions"),
        ("audit.audit_log", "table_missing", "audit.audit_log"),
    ]
    steps = ps.plan(md, e)
    ran = ps.migrate(md, e)
    assert [s.ddl for s in ran] == steps
    assert sorted(set(s.table_name for s in ran)) == ["app.sessions", "audit", "audit.audit_log"]
    assert db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'") == 1
    assert ps.diff(md, e) == []
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'sessions_token_idx'") == 1


def test_plan_of_a_new_table_lists_each_statement_once(db):
    e = db.engine()
    md = MetaData()
    Table("m", md, Column("id", Integer), Index("m_i", "id"), schema="app")
    steps = ps.plan(md, e)
    assert steps == ["CREATE SCHEMA app", "CREATE TABLE app.m (id integer)",
                     "CREATE INDEX m_i ON app.m USING btree (id)"]
    assert [s.ddl for s in ps.migrate(md, e)] == steps
    assert ps.diff(md, e) == []


def test_diff_is_about_the_metadata_only(db):
    e = db.engine()
    ps.create_all(models.seed_users("app"), e)
    # a model declared by someone else, whose table drifted
    db.sql("SELECT provision_table('other.t', 'id integer PRIMARY KEY')")
    db.sql("ALTER TABLE other.t ADD COLUMN extra integer")
    assert [r[1] for r in db.sql("SELECT * FROM provision_diff()")] == ["column_extra"]
    assert ps.diff(models.seed_users("app"), e) == []
    assert ps.migrate(models.seed_users("app"), e) == []
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'") == 2


def test_comments_follow_the_model(db):
    e = db.engine()
    md = models.seed_users("app")
    ps.create_all(md, e)
    md.tables["app.users"].comment = "the users"
    md.tables["app.users"].c.password.comment = "hashed"
    rows = ps.diff(md, e)
    assert [(r.change, r.object, r.declared) for r in rows] == [
        ("comment_missing", "app.users", "the users"), ("comment_missing", "password", "hashed")]
    assert ps.plan(md, e) == ["COMMENT ON TABLE app.users IS 'the users'",
                              "COMMENT ON COLUMN app.users.password IS 'hashed'"]
    ps.migrate(md, e)
    assert db.scalar("SELECT obj_description('app.users'::regclass, 'pg_class')") == "the users"
    assert db.scalar("SELECT col_description('app.users'::regclass, 3)") == "hashed"
    assert ps.diff(md, e) == []


def test_diff_inside_a_caller_transaction_uses_a_savepoint(db):
    e = db.engine()
    md = models.seed_users("app")
    with e.begin() as conn:
        ps.create_all(md, conn)
        md.tables["app.users"].append_column(Column("email", Text))
        assert [r.change for r in ps.diff(md, conn)] == ["column_missing"]
        # the caller's transaction is still usable, its declaration unchanged
        assert conn.execute(sqlalchemy.text(
            "SELECT definition FROM provision_models WHERE table_name = 'app.users'")).scalar() \
            .count("email") == 0
    assert db.scalar("SELECT count(*) FROM app.users") == 0


def test_server_errors_surface_with_their_sqlstate(db):
    """A change PostgreSQL refuses (widening a column a generated column
    uses): rated unsafe, and when forced the server's error, as
    SQLAlchemy's exception, nothing applied."""
    e = db.engine()
    md = MetaData()
    Table("t", md, Column("a", sqlalchemy.String(5)),
          Column("b", sqlalchemy.String(10), sqlalchemy.Computed("upper(a)")), schema="app")
    ps.create_all(md, e)
    md.tables["app.t"].c.a.type = sqlalchemy.String(8)
    assert [(r.change, r.safe) for r in ps.diff(md, e)] == [("column_type", False)]
    with pytest.raises(sqlalchemy.exc.DBAPIError) as refused:
        ps.migrate(md, e)
    assert refused.value.sqlstate == "55000"
    with pytest.raises(sqlalchemy.exc.NotSupportedError) as err:
        ps.migrate(md, e, allow_destructive=True)
    assert err.value.sqlstate == "0A000" == ps.sqlstate(err.value.orig)
    assert "generated column" in str(err.value)
    assert db.scalar("SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_name = 't' AND column_name = 'a'") == 5
