"""examples/seed_tutorial.py, the seed's tutorial through provision, runs
end to end, twice."""

import os
import subprocess
import sys

from conftest import REPO


def run(db):
    env = dict(os.environ, PGDATABASE=db.name,
               PYTHONPATH=os.path.join(REPO, "python"), SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, os.path.join(REPO, "examples", "seed_tutorial.py")],
                          env=env, check=True, capture_output=True, text=True).stdout


def test_seed_tutorial(db):
    assert run(db) == "created: tutorial.users\n1 john_doe secret\n"
    assert run(db) == "created: nothing, all there\n1 john_doe secret\n2 john_doe secret\n"
    assert db.sql("SELECT * FROM provision_diff()") == []
    assert db.scalar("SELECT table_name FROM provision_models") == "tutorial.users"
