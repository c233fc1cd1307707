-- Found by the SQLAlchemy bridge (python/), fixed in f76e2e1: a table that
-- does not exist yet, with declared indexes and comments, is created by
-- provision_migrate() of that table or of every model (and listed by
-- provision_plan()) with each CREATE INDEX and COMMENT once (they ran
-- twice: 42P07).
SET client_min_messages = warning;
BEGIN;
SELECT * FROM provision_load($$
CREATE TABLE lmm (id integer, note text);
CREATE INDEX lmm_id ON lmm (id);
COMMENT ON TABLE lmm IS 'found by the bridge';
$$);
SELECT count(*) AS statements FROM provision_plan('lmm');
SELECT count(*) AS statements FROM provision_plan();
SAVEPOINT one;
SELECT ddl FROM provision_migrate('lmm');
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'lmm';
ROLLBACK TO SAVEPOINT one;
SELECT ddl FROM provision_migrate();
SELECT count(*) AS drift FROM provision_diff();
ROLLBACK;
