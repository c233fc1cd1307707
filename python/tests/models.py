"""Models for the tests: every kind SQLAlchemy can express for PostgreSQL."""

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, Computed, Date,
                        DateTime, DDL, Enum, ForeignKey, ForeignKeyConstraint, Identity,
                        Index, Integer, LargeBinary, MetaData, Numeric, Sequence, String,
                        Table, Text, UniqueConstraint, event, func, text)
from sqlalchemy.dialects import postgresql as pg


def every_kind(schema="app", username_length=50, moods=("sad", "ok", "happy"),
               email=False, email_index=False, lower_index=True):
    """One MetaData with a bit of everything; the keyword arguments are the
    changes the drift tests make to it."""
    md = MetaData()
    s = schema
    q = (s + ".") if s else ""

    mood = Enum(*moods, name="mood", schema=s)
    order_no = Sequence("order_no_seq", start=1000, increment=10, metadata=md, schema=s)
    Sequence("standalone_seq", start=5, metadata=md, schema=s)

    users = Table(
        "users", md,
        Column("id", Integer, Identity(always=True, start=10, increment=5), primary_key=True),
        Column("username", String(username_length), nullable=False, comment="the login, it's unique"),
        Column("display", String(100), Computed("upper(nick)", persisted=True)),
        Column("mood", mood, server_default="ok"),
        Column("tags", pg.ARRAY(Text), server_default=text("'{}'::text[]")),
        Column("profile", pg.JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("quota", Numeric(10, 2), server_default=text("0.5")),
        Column("motto", Text, server_default="100% sure"),
        Column("active", Boolean, nullable=False, server_default=text("true")),
        Column("created", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("order_no", BigInteger, order_no, server_default=order_no.next_value()),
        Column("boss_id", Integer, ForeignKey(q + "users.id", ondelete="SET NULL")),
        Column("nick", String(30, collation="C")),
        UniqueConstraint("username", name="users_username_key"),
        CheckConstraint("length(username) >= 3", name="users_username_len"),
        CheckConstraint("motto NOT LIKE '%forbidden%'", name="users_motto_ok"),
        Index("users_active_idx", "username", postgresql_where=text("active")),
        Index("users_profile_gin", "profile", postgresql_using="gin"),
        Index("users_tags_gin", "tags", postgresql_using="gin"),
        Index("users_created_mood_idx", text("created DESC"), "mood"),
        Index("users_nick_key", "nick", unique=True, postgresql_include=["mood"]),
        schema=s,
        comment="people who log in",
    )
    if lower_index:
        Index("users_lower_username_idx", func.lower(users.c.username), unique=True)
    if email:
        users.append_column(Column("email", Text))
        if email_index:
            Index("users_email_idx", users.c.email, unique=True)

    Table(
        "orders", md,
        Column("region", String(2), primary_key=True),
        Column("no", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey(q + "users.id"), nullable=False),
        Column("during", pg.TSTZRANGE),
        Column("amount", Numeric(12, 2), CheckConstraint("amount > 0")),
        Column("payload", LargeBinary),
        Column("ref", pg.UUID(as_uuid=False), server_default=text("gen_random_uuid()")),
        Column("addr", pg.INET),
        Column("wait", pg.INTERVAL),
        pg.ExcludeConstraint(("during", "&&"), using="gist", name="orders_no_overlap"),
        CheckConstraint("no > 0"),
        schema=s,
    )
    Table(
        "order_lines", md,
        Column("id", Integer, primary_key=True),          # SERIAL
        Column("region", String(2), nullable=False),
        Column("order_no", Integer, nullable=False),
        Column("qty", Integer, nullable=False, server_default="1"),
        Column("day", Date),
        ForeignKeyConstraint(["region", "order_no"], [q + "orders.region", q + "orders.no"],
                             ondelete="CASCADE", onupdate="CASCADE", deferrable=True,
                             initially="DEFERRED", name="order_lines_order_fk"),
        Index("order_lines_order_idx", "region", "order_no"),
        schema=s,
    )
    # a foreign-key cycle: SQLAlchemy adds one side with ALTER TABLE
    Table("teams", md,
          Column("id", Integer, primary_key=True, autoincrement=False),
          Column("captain_id", Integer, ForeignKey(q + "players.id", use_alter=True,
                                                   name="teams_captain_fk")),
          schema=s)
    Table("players", md,
          Column("id", Integer, primary_key=True, autoincrement=False),
          Column("team_id", Integer, ForeignKey(q + "teams.id")),
          schema=s)
    # names that need quoting, in a second schema
    Table("User Log", md,
          Column("id", BigInteger, Identity(), primary_key=True),
          Column("order", Text),
          Column("UserId", Integer, ForeignKey(q + "users.id")),
          Index("User Log order", "order"),
          schema="audit", comment="mixed case")
    # declarative partitioning: the parent from SQLAlchemy, a partition by DDL
    events = Table("events", md,
                   Column("at", Date, nullable=False),
                   Column("what", Text),
                   schema=s, postgresql_partition_by="RANGE (at)")
    event.listen(events, "after_create", DDL(
        "CREATE TABLE %(fullname)s_2024 PARTITION OF %(fullname)s "
        "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"))
    return md


def seed_users(schema=None, tablename="users"):
    """The seed's User model, as a MetaData."""
    md = MetaData()
    Table(tablename, md,
          Column("id", Integer, primary_key=True),
          Column("username", String),
          Column("password", String),
          schema=schema)
    return md


#: the seed's model in a schema, by name: "models:SEED"
SEED = seed_users("seed")
