-- A registry row provision did not write (only the registry's owner or a
-- superuser can write one) is reported as a damaged model, XX001 naming
-- the model: never run, never a crash.  Each case is rolled back.
SET client_min_messages = notice;
CREATE SCHEMA tam;
SELECT provision_define('tam.ok', $$ id integer PRIMARY KEY, name text DEFAULT 'x', n integer $$);
SELECT provision_define('tam.missing', $$ id integer $$);
SELECT provision_define('tam.child', $$ id integer, ok_id integer REFERENCES tam.ok $$);
SELECT provision_table('tam.ok');
SELECT provision_table('tam.child');
CREATE ROLE regress_tamper_victim;

-- a body that closes the column list and goes on: never run as text
BEGIN;
UPDATE provision_registry SET body = 'id int); ALTER ROLE regress_tamper_victim SUPERUSER; CREATE TABLE public.innocent2 (id int'
 WHERE table_name = 'missing';
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET body = 'id int) INHERITS (tam.ok' WHERE table_name = 'missing';
SELECT provision_table('tam.missing');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET body = 'LIKE tam.ok INCLUDING ALL' WHERE table_name = 'missing';
SELECT provision_table('tam.missing');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_tamper_victim';
SELECT to_regclass('public.innocent2') IS NULL AS innocent2_not_created;

-- a default that adds a subcommand, or a statement
ALTER TABLE tam.ok ALTER name DROP DEFAULT;
BEGIN;
UPDATE provision_registry SET col_defaults = '{"", "''x'', DROP COLUMN n", ""}' WHERE table_name = 'ok';
SELECT * FROM provision_migrate('tam.ok');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_defaults = '{"", "''x''; ALTER ROLE regress_tamper_victim SUPERUSER", ""}' WHERE table_name = 'ok';
SELECT * FROM provision_migrate('tam.ok');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT * FROM provision_migrate('tam.ok');
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_tamper_victim';

-- NULL elements, NULL columns, arrays of different lengths, impossible codes
BEGIN;
UPDATE provision_registry SET col_names = ARRAY[NULL, 'name', 'n'] WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET fk_ref_schemas = ARRAY[NULL]::text[] WHERE table_name = 'child';
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE provision_registry ALTER col_types DROP NOT NULL;
UPDATE provision_registry SET col_types = NULL WHERE table_name = 'ok';
SELECT * FROM provision_diff('tam.ok');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_notnull = '{t}' WHERE table_name = 'ok';
SELECT * FROM provision_plan();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET fk_ref_tables = '{}' WHERE table_name = 'child';
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_identity = '{"x", "", ""}' WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET con_types = '{z}' WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_names = '{{id, name, n}}' WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET schema_name = '' WHERE table_name = 'ok';
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_types = '{"integer; DROP TABLE tam.ok", text, integer}' WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET col_types = '{bigint, text, integer}', col_names = '{id, name, "n) ; DROP TABLE tam.ok; --"}'
 WHERE table_name = 'ok';
-- (a name is always a quoted identifier: harmless)
SELECT * FROM provision_migrate('tam.ok', allow_destructive => true);
ROLLBACK;

-- names no model may have, checked again when provisioning and migrating
BEGIN;
UPDATE provision_registry SET schema_name = 'pg_catalog', table_name = 'pg_class' WHERE table_name = 'ok';
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET schema_name = 'public', table_name = 'provision_history_log' WHERE table_name = 'missing';
SELECT * FROM provision_migrate();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET declared_by = 'regress_nobody' WHERE table_name = 'missing';
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;

-- a model a script only works on (COMMENT ON it) is made in the trial from
-- statements checked as provisioning checks them: a foreign key that is
-- no foreign key, or nothing at all, is damage (the fuzzer crashed here)
BEGIN;
UPDATE provision_registry SET foreign_keys = ARRAY['/* */'] WHERE table_name = 'child';
SELECT * FROM provision_load($$COMMENT ON TABLE tam.child IS 'x'$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET foreign_keys = ARRAY['b integer'] WHERE table_name = 'child';
SELECT * FROM provision_load($$COMMENT ON TABLE tam.child IS 'x'$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
-- an enum's stored statement is not what its trial runs: its labels are
BEGIN;
SELECT count(*) FROM provision_load($$CREATE TYPE tam.e AS ENUM ('a')$$);
UPDATE provision_objects SET definition = '/* */' WHERE schema_name = 'tam' AND object_name = 'e';
SELECT * FROM provision_load($$COMMENT ON TYPE tam.e IS 'x'$$);
UPDATE provision_objects SET definition = 'DROP TABLE tam.ok' WHERE schema_name = 'tam' AND object_name = 'e';
SELECT * FROM provision_load($$COMMENT ON TYPE tam.e IS 'y'$$);
SELECT to_regclass('tam.ok') IS NOT NULL AS ok_kept;
UPDATE provision_objects SET attrs = ARRAY['a'')); DROP TABLE tam.ok; --'] WHERE schema_name = 'tam' AND object_name = 'e';
SELECT * FROM provision_load($$COMMENT ON TYPE tam.e IS 'z'$$);
SELECT to_regclass('tam.ok') IS NOT NULL AS ok_kept;
ROLLBACK;

-- a default that is no one expression, when compared
BEGIN;
UPDATE provision_registry SET col_defaults = ARRAY['', '1) UNION (SELECT 2', ''] WHERE table_name = 'ok';
SELECT * FROM provision_diff('tam.ok');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;

-- provision_dump() refuses a damaged model as provisioning does: its
-- script is there to be run
BEGIN;
UPDATE provision_registry SET body = 'id integer); DROP TABLE tam.ok; CREATE TABLE public.z (a int'
 WHERE table_name = 'missing';
SELECT provision_dump('tam');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE provision_registry SET foreign_keys = ARRAY['FOREIGN KEY (ok_id) REFERENCES tam.ok(id); DROP TABLE tam.ok']
 WHERE table_name = 'child';
SELECT provision_dump('tam');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;

-- after all that, the models are intact and nothing was changed
SELECT * FROM provision_diff();
SELECT count(*) AS statements_run FROM provision_history WHERE table_name LIKE 'tam.%';

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE kind IN ('table', 'partition') ORDER BY 1;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
DROP SCHEMA tam CASCADE;
DROP ROLE regress_tamper_victim;
