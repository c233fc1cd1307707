"""More of what SQLAlchemy can say, one model each: what crosses (created,
then no drift), and what provision refuses (0A000, nothing declared)."""

import pytest
import sqlalchemy
from sqlalchemy import (BigInteger, CheckConstraint, Column, Date, DDL, Enum, ForeignKeyConstraint,
                        Identity, Index, Integer, MetaData, Sequence, Table, Text,
                        UniqueConstraint, event, text)
from sqlalchemy.dialects import postgresql as pg

import provision_sqlalchemy as ps


def concurrently(md):
    Table("t", md, Column("id", Integer), Index("t_i", "id", postgresql_concurrently=True), schema="app")


def ops_brin_hash(md):
    Table("t", md, Column("s", Text), Column("d", Date),
          Index("t_s", "s", postgresql_ops={"s": "text_pattern_ops"}),
          Index("t_d", "d", postgresql_using="brin"), Index("t_h", "s", postgresql_using="hash"),
          schema="app")


def index_storage(md):
    Table("t", md, Column("id", Integer), Index("t_i", "id", postgresql_with={"fillfactor": 50}),
          schema="app")


def index_desc_nulls_first(md):
    t = Table("t", md, Column("x", Integer), schema="app")
    Index("t_x", t.c.x.desc().nullsfirst())


def array_of_enum(md):
    Table("t", md, Column("m", pg.ARRAY(Enum("a", "b", name="e2", schema="app"))), schema="app")


def enum_inherit_schema(md):
    Table("t", md, Column("m", Enum("a", "b", name="e3", inherit_schema=True)), schema="app")


def non_native_enum(md):
    Table("t", md, Column("m", Enum("a", "b", name="e4", native_enum=False, create_constraint=True)),
          schema="app")


def sequence_options(md):
    Table("t", md, Column("id", Integer, Sequence("sq", start=3, increment=2, minvalue=1, maxvalue=100,
                                                   cycle=True, cache=5, schema="app"),
                          primary_key=True), schema="app")


def identity_options(md):
    Table("t", md, Column("id", BigInteger, Identity(start=3, increment=2, minvalue=1, maxvalue=1000,
                                                     cycle=True, cache=10), primary_key=True),
          schema="app")


def fk_match_full(md):
    Table("a", md, Column("x", Integer), Column("y", Integer), UniqueConstraint("x", "y"), schema="app")
    Table("b", md, Column("x", Integer), Column("y", Integer),
          ForeignKeyConstraint(["x", "y"], ["app.a.x", "app.a.y"], match="FULL"), schema="app")


def deferrable_unique(md):
    Table("t", md, Column("x", Integer), UniqueConstraint("x", deferrable=True, initially="DEFERRED"),
          schema="app")


def exclude_where(md):
    Table("t", md, Column("r", pg.INT4RANGE),
          pg.ExcludeConstraint(("r", "&&"), where=text("r IS NOT NULL")), schema="app")


def check_column_level_named(md):
    Table("t", md, Column("x", Integer, CheckConstraint("x > 0", name="pos")), schema="app")


def comment_on_index_by_event(md):
    t = Table("t", md, Column("id", Integer), Index("t_i", "id"), schema="app")
    event.listen(t, "after_create", DDL("COMMENT ON INDEX app.t_i IS 'an index'"))


def explicit_public(md):
    Table("t", md, Column("id", Integer), schema="public")


CROSS = [concurrently, ops_brin_hash, index_storage, index_desc_nulls_first, array_of_enum,
         enum_inherit_schema, non_native_enum, sequence_options, identity_options, fk_match_full,
         deferrable_unique, exclude_where, check_column_level_named, comment_on_index_by_event,
         explicit_public]


@pytest.mark.parametrize("model", CROSS, ids=[f.__name__ for f in CROSS])
def test_crosses(db, model):
    md = MetaData()
    model(md)
    created = ps.create_all(md, db.engine())
    assert len(created) == len(md.tables)
    assert ps.diff(md, db.engine()) == []
    assert ps.create_all(md, db.engine()) == []


def inherits(md):
    Table("base", md, Column("id", Integer), schema="app")
    Table("child", md, Column("x", Integer), schema="app", postgresql_inherits="app.base")


def unlogged(md):
    Table("t", md, Column("id", Integer), prefixes=["UNLOGGED"], schema="app")


def temporary(md):
    Table("t", md, Column("id", Integer), prefixes=["TEMPORARY"])


def on_commit(md):
    Table("t", md, Column("id", Integer), schema="app", postgresql_on_commit="PRESERVE ROWS")


def table_tablespace(md):
    Table("t", md, Column("id", Integer), schema="app", postgresql_tablespace="pg_default")


def index_tablespace(md):
    Table("t", md, Column("id", Integer), Index("t_i", "id", postgresql_tablespace="pg_default"),
          schema="app")


def view_by_event(md):
    Table("t", md, Column("id", Integer), schema="app")
    event.listen(md, "after_create", DDL("CREATE VIEW app.v AS SELECT id FROM app.t"))


REFUSED = [inherits, unlogged, temporary, on_commit, table_tablespace, index_tablespace, view_by_event]


@pytest.mark.parametrize("model", REFUSED, ids=[f.__name__ for f in REFUSED])
def test_refused(db, model):
    md = MetaData()
    model(md)
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        ps.create_all(md, db.engine())
    assert err.value.sqlstate == "0A000", str(err.value)
    assert db.scalar("SELECT count(*) FROM provision_models") == 0
    assert db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'app'") == 0
