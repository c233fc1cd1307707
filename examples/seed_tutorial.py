#!/usr/bin/python3
# The seed's tutorial ("Creating a schema and a table in a Postgres Database
# Using SQLAlchemy"), with its steps 3 and 4 (the information_schema query
# pasted together with an f-string, CREATE SCHEMA, has_table(), then
# Base.metadata.create_all) replaced by one call to provision_sqlalchemy.
# create_all(): race-free, and the server keeps the model for diff and
# migrations.  Everything else is the tutorial's own code.
#
#   PYTHONPATH=python DATABASE_URL=postgresql://user:password@host:port/database \
#       python3 examples/seed_tutorial.py
#
# Without DATABASE_URL it connects with the libpq environment (PGHOST,
# PGPORT, PGUSER, PGPASSWORD, PGDATABASE), as `make demo` runs it.
import os

# ---- 1. model.py
from sqlalchemy import Column, Integer, String
from sqlalchemy.ext.declarative import declarative_base

SCHEMA_NAME = "tutorial"
TABLE_NAME = "users"

# We need to inherit Base in order to register models with SQA. Without this, SQA wouldn't know anything about our models.
Base = declarative_base()


class User(Base):
    __tablename__ = TABLE_NAME
    __table_args__ = {"schema": SCHEMA_NAME}

    id = Column(Integer, primary_key=True)
    username = Column(String)
    password = Column(String)


# ---- 2. the engine
from sqlalchemy import create_engine
engine = create_engine(os.environ.get("DATABASE_URL", "postgresql://"))

# ---- 3. and 4. the schema and the table: created unless they exist
import provision_sqlalchemy
created = provision_sqlalchemy.create_all(Base.metadata, engine)
print("created:", ", ".join(t.table_name for t in created) or "nothing, all there")

# ---- 4. a session
from sqlalchemy.orm import sessionmaker

Session = sessionmaker(bind=engine)
session = Session()

# ---- 5. use it
# create a new user
new_user = User(username='john_doe', password='secret')
session.add(new_user)
session.commit()

# query the database for all users
users = session.query(User).all()
for user in users:
    print(user.id, user.username, user.password)
