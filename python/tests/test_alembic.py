"""provision inside Alembic: migration scripts that call
provision_sqlalchemy.alembic.migrate(op, metadata), Alembic's version table
kept; the autogenerate recipe; offline SQL."""

import glob
import io
import os

import pytest

alembic = pytest.importorskip("alembic")
from alembic import command            # noqa: E402
from alembic.config import Config      # noqa: E402

ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine, pool

import provision_sqlalchemy
from provision_sqlalchemy.alembic import include_nothing, process_revision_directives

config = context.config
MODELS = config.get_main_option("provision_models")        # "module:attr"
target_metadata = provision_sqlalchemy._metadata(MODELS)


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=process_revision_directives(MODELS),
                          include_object=include_nothing)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

REVISION = '''"""{message}

Revision ID: {rev}
Revises: {down}
"""
from alembic import op
from provision_sqlalchemy.alembic import migrate as provision_migrate

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    provision_migrate(op, {models!r})


def downgrade():
    pass
'''


def make_config(tmp_path, url, models="alembic_models:V1", output=None):
    where = str(tmp_path / "migrations")
    ini = str(tmp_path / "alembic.ini")
    cfg = Config(ini, output_buffer=output) if output is not None else Config(ini)
    cfg.set_main_option("script_location", where)
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.set_main_option("provision_models", models)
    if not os.path.isdir(where):
        command.init(cfg, where)
        with open(os.path.join(where, "env.py"), "w") as f:
            f.write(ENV_PY)
    return cfg


def write_revision(cfg, rev, down, models, message):
    path = os.path.join(cfg.get_main_option("script_location"), "versions", "%s.py" % rev)
    with open(path, "w") as f:
        f.write(REVISION.format(rev=rev, down=down, models=models, message=message))


def versions(cfg):
    return sorted(glob.glob(os.path.join(cfg.get_main_option("script_location"), "versions", "*.py")))


def test_migration_scripts_keep_alembics_version_table(db, tmp_path):
    cfg = make_config(tmp_path, db.url)
    write_revision(cfg, "0001", None, "alembic_models:V1", "users")
    write_revision(cfg, "0002", "0001", "alembic_models:V2", "wider username, email")

    command.upgrade(cfg, "0001")
    assert db.scalar("SELECT version_num FROM alembic_version") == "0001"
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'shop'") == 3
    assert db.scalar("SELECT count(*) FROM provision_models WHERE kind = 'table'") == 1

    command.upgrade(cfg, "head")
    assert db.scalar("SELECT version_num FROM alembic_version") == "0002"
    assert db.scalar("SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_schema = 'shop' AND column_name = 'username'") == 80
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email_idx'") == 1
    # what ran is in provision's history, the migration in Alembic's table
    assert db.scalar("SELECT count(*) FROM provision_history WHERE statement LIKE "
                     "'ALTER TABLE shop.users ADD COLUMN email%'") == 1
    # provision's models are not Alembic's business: alembic_version is no model
    assert db.scalar("SELECT count(*) FROM provision_models WHERE table_name LIKE '%alembic%'") == 0


def test_a_failing_revision_rolls_back_with_its_version(db, tmp_path):
    cfg = make_config(tmp_path, db.url)
    write_revision(cfg, "0001", None, "alembic_models:V2", "v2")
    write_revision(cfg, "0002", "0001", "alembic_models:V1", "back to v1: drops the email column")
    command.upgrade(cfg, "0001")
    import sqlalchemy
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        command.upgrade(cfg, "head")      # unsafe without allow_destructive
    assert err.value.sqlstate == "55000"
    assert db.scalar("SELECT version_num FROM alembic_version") == "0001"
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == 1


def test_autogenerate_recipe(db, tmp_path):
    cfg = make_config(tmp_path, db.url)
    write_revision(cfg, "0001", None, "alembic_models:V1", "users")
    command.upgrade(cfg, "0001")

    # the models grow; autogenerate asks the server what differs
    cfg = make_config(tmp_path, db.url, models="alembic_models:V2")
    command.revision(cfg, message="grow", autogenerate=True, rev_id="0002")
    files = versions(cfg)
    assert len(files) == 2
    with open(files[1]) as f:
        body = f.read()
    assert "from provision_sqlalchemy.alembic import migrate as provision_migrate" in body
    assert "provision_migrate(op, 'alembic_models:V2')" in body
    for expected in ("shop.users column_type username",
                     "ALTER TABLE shop.users ALTER COLUMN username TYPE character varying(80)",
                     "shop.users column_missing email", "shop.users index_missing users_email_idx",
                     "provision migrations go forward"):
        assert expected in body, body
    assert "op.add_column" not in body and "op.create_table" not in body
    if os.environ.get("PROVISION_PY_SHOW_REVISION"):
        print(body)
    # autogenerate changed nothing in the database
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == 0

    command.upgrade(cfg, "head")
    assert db.scalar("SELECT version_num FROM alembic_version") == "0002"
    assert db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'") == 1

    # nothing differs: no revision is written
    command.revision(cfg, message="nothing", autogenerate=True, rev_id="0003")
    assert len(versions(cfg)) == 2


def test_offline_sql(db, tmp_path):
    out = io.StringIO()
    cfg = make_config(tmp_path, db.url, output=out)
    write_revision(cfg, "0001", None, "alembic_models:V1", "users")
    command.upgrade(cfg, "head", sql=True)
    sql = out.getvalue()
    assert "provision_load('-- provision_sqlalchemy" in sql
    assert "CREATE TABLE shop.users (" in sql
    assert "SELECT table_name, action FROM provision_all()" in sql
    assert "provision_migrate(NULL, false)" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    # the SQL runs as written: psql -f, here one statement at a time
    assert db.scalar("SELECT count(*) FROM provision_models") == 0
    import psycopg2
    conn = psycopg2.connect(dbname=db.name)
    with conn, conn.cursor() as cur:
        cur.execute(sql.replace("BEGIN;", "").replace("COMMIT;", ""))
    conn.close()
    assert db.scalar("SELECT to_regclass('shop.users')::text") == "shop.users"
    assert db.scalar("SELECT version_num FROM alembic_version") == "0001"
