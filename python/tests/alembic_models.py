"""Two versions of an application's models, for the Alembic tests."""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

V1 = MetaData()
Table("users", V1,
      Column("id", Integer, primary_key=True),
      Column("username", String(50), nullable=False),
      Column("password", String),
      schema="shop")

V2 = MetaData()
Table("users", V2,
      Column("id", Integer, primary_key=True),
      Column("username", String(80), nullable=False),
      Column("password", String),
      Column("email", Text),
      Index("users_email_idx", "email", unique=True),
      schema="shop")
