"""declare() and create_all(): every kind SQLAlchemy can express, rendered by
SQLAlchemy's compiler, declared by provision_load(), created by
provision_all(): the same database metadata.create_all() makes."""

import pytest
import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateSchema, CreateTable

import provision_sqlalchemy as ps
import models


def test_render_is_sqlalchemys_own_ddl():
    md = models.every_kind()
    script = ps.render(md)
    d = postgresql.dialect(paramstyle="named")
    assert "CREATE SCHEMA" not in script        # SQLAlchemy does not model schemas
    for t in md.sorted_tables:
        assert str(CreateTable(t).compile(dialect=d)).strip() + ";" in script
        for i in t.indexes:
            assert str(CreateIndex(i).compile(dialect=d)).strip() + ";" in script
    # no doubled percent signs (psycopg2's pyformat escaping) reach the server
    assert "'100% sure'" in script and "'%forbidden%'" in script and "%%" not in script
    for kind in ("CREATE TYPE app.mood AS ENUM", "CREATE SEQUENCE app.order_no_seq",
                 "GENERATED ALWAYS AS IDENTITY", "GENERATED ALWAYS AS (upper(nick)) STORED",
                 "COMMENT ON TABLE app.users", "COMMENT ON COLUMN app.users.username",
                 "PARTITION BY RANGE (at)", "PARTITION OF app.events",
                 "ALTER TABLE app.teams ADD CONSTRAINT teams_captain_fk",
                 "EXCLUDE USING gist", "WHERE active", "USING gin", "INCLUDE (mood)"):
        assert kind in script, kind


def test_every_kind_created_as_create_all_creates_it(db, db2):
    md = models.every_kind()
    declared = ps.declare(md, db.engine())
    kinds = {}
    for d in declared:
        kinds.setdefault(d.kind, []).append(d.object)
        assert d.action == "declared"
    assert sorted(kinds) == ["enum", "index", "partition", "sequence", "table"]
    assert kinds["partition"] == ["app.events_2024"]
    assert len(kinds["table"]) == 7 and len(kinds["index"]) == 8
    assert 'audit."User Log"' in kinds["table"] and 'audit."User Log order"' in kinds["index"]
    assert db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'users'") == 0   # declared only

    created = ps.create_all(md, db.engine())
    assert sorted(t.table_name for t in created) == sorted(kinds["table"] + kinds["partition"])
    assert all(t.action == "created" for t in created)

    # the same database as SQLAlchemy's own create_all (after the schemas,
    # which it does not create)
    with db2.engine().begin() as conn:
        conn.execute(CreateSchema("app"))
        conn.execute(CreateSchema("audit"))
        md.create_all(conn)
    assert db.dump() == db2.dump()

    # spot checks in the catalogs
    assert db.scalar("SELECT enum_range(NULL::app.mood)::text") == "{sad,ok,happy}"
    assert db.scalar("SELECT attidentity FROM pg_attribute WHERE attrelid = 'app.users'::regclass "
                     "AND attname = 'id'") == "a"
    assert db.scalar("SELECT attgenerated FROM pg_attribute WHERE attrelid = 'app.users'::regclass "
                     "AND attname = 'display'") == "s"
    assert db.scalar("SELECT obj_description('app.users'::regclass, 'pg_class')") == "people who log in"
    assert db.scalar("SELECT col_description('app.users'::regclass, 2)") == "the login, it's unique"
    assert db.scalar("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = "
                     "'app.users'::regclass AND adnum = 8") == "'100% sure'::text"
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE schemaname IN ('app', 'audit')") == 16
    assert db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_active_idx'").endswith(
        "WHERE active")
    assert db.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass") == 1
    assert db.scalar("SELECT last_value FROM app.standalone_seq") == 5
    assert db.scalar("SELECT confdeltype FROM pg_constraint WHERE conname = 'order_lines_order_fk'") == "c"
    assert db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                     "conrelid = 'app.users'::regclass AND confrelid = 'app.users'::regclass") == 1
    assert ps.diff(md, db.engine()) == []


def test_noop_rerun_changes_nothing(db):
    md = models.every_kind()
    e = db.engine()
    assert len(ps.create_all(md, e)) == 8
    history = db.scalar("SELECT count(*) FROM provision_history")
    models_before = db.sql("SELECT kind, table_name, definition FROM provision_models ORDER BY 1, 2")
    assert ps.create_all(md, e) == []
    assert set(d.action for d in ps.declare(md, e)) == {"unchanged"}
    assert db.scalar("SELECT count(*) FROM provision_history") == history
    assert db.sql("SELECT kind, table_name, definition FROM provision_models ORDER BY 1, 2") == models_before
    assert ps.diff(md, e) == []
    assert ps.plan(md, e) == []
    assert ps.migrate(md, e) == []


def test_seed_model_without_schema_lands_in_public(db):
    created = ps.create_all(models.seed_users(), db.engine())
    assert created == [ps.Provisioned("public.users", "created")]
    assert db.scalar("SELECT count(*) FROM provision_models") == 1


def test_schema_argument_and_translate_map(db):
    md = models.seed_users()
    e = db.engine()
    assert [t.table_name for t in ps.create_all(md, e, schema="tenant_a")] == ["tenant_a.users"]
    tenant_b = e.execution_options(schema_translate_map={None: "tenant_b"})
    assert [t.table_name for t in ps.create_all(md, tenant_b)] == ["tenant_b.users"]
    assert db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('tenant_a', 'tenant_b')") == 2
    assert db.scalar("SELECT count(*) FROM provision_models") == 2
    assert db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'users'") == 2
    # the ORM finds them through the same map
    with tenant_b.begin() as conn:
        conn.execute(md.tables["users"].insert().values(username="b"))
    assert db.scalar("SELECT username FROM tenant_b.users") == "b"


def test_caller_transaction_is_joined_and_rolls_back(db):
    md = models.seed_users("app")
    e = db.engine()
    with e.connect() as conn:
        trans = conn.begin()
        assert len(ps.create_all(md, conn)) == 1
        assert conn.execute(text("SELECT count(*) FROM app.users")).scalar() == 0
        trans.rollback()
    assert db.scalar("SELECT count(*) FROM provision_models") == 0
    assert db.scalar("SELECT to_regclass('app.users')") is None
    # a Connection outside a transaction: committed by create_all
    with e.connect() as conn:
        assert len(ps.create_all(md, conn)) == 1
    assert db.scalar("SELECT to_regclass('app.users')::text") == "app.users"


def test_orm_session_as_bind(db):
    md = models.seed_users("app")
    with Session(db.engine()) as session:
        assert len(ps.create_all(md, session)) == 1
        session.execute(md.tables["app.users"].insert().values(username="s"))
        session.commit()
    assert db.scalar("SELECT username FROM app.users") == "s"


def test_metadata_by_name_and_declarative_base(db):
    from sqlalchemy.orm import declarative_base
    assert [t.table_name for t in ps.create_all("models:SEED", db.engine())] == ["seed.users"]
    Base = declarative_base()

    class Thing(Base):
        __tablename__ = "things"
        __table_args__ = {"schema": "seed"}
        id = Column(Integer, primary_key=True)
        name = Column(String(20))

    assert [t.table_name for t in ps.create_all(Base, db.engine())] == ["seed.things"]


def test_event_ddl_provision_does_not_model(db):
    """DDL attached to metadata events is passed on as create_all would run
    it: provision refuses what it does not model (0A000), or skips it."""
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), schema="app")
    sqlalchemy.event.listen(t, "after_create", sqlalchemy.DDL(
        "CREATE VIEW app.v AS SELECT id FROM app.t"))
    with pytest.raises(sqlalchemy.exc.DBAPIError) as e:
        ps.create_all(md, db.engine())
    assert ps.sqlstate(e.value) == "0A000" and e.value.sqlstate == "0A000"
    assert db.scalar("SELECT count(*) FROM provision_models") == 0
    assert [r.table_name for r in ps.create_all(md, db.engine(), skip_unsupported=True)] == ["app.t"]
    assert db.scalar("SELECT to_regclass('app.v')") is None
