-- The upgrade path: install 1.0, declare and provision, update to the
-- current version, and find the models working with the new functions.
SET client_min_messages = warning;
DROP EXTENSION provision;
CREATE EXTENSION provision VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'provision';
SELECT provision_table('up.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
SELECT to_regproc('provision_diff') IS NULL AS no_diff_in_1_0;

ALTER EXTENSION provision UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'provision';
SELECT table_name, definition FROM provision_models;
SELECT * FROM provision_diff();
SELECT count(*) AS history_rows FROM provision_history;
SELECT provision_define('up.users', $$ id integer PRIMARY KEY, username varchar(80) NOT NULL $$);
SELECT * FROM provision_migrate();
SELECT executed_by, table_name, statement FROM provision_history;

-- every object of the extension is a member of it
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'provision')
 ORDER BY 1;

-- a fresh install at the default version equals 1.0 updated
DROP EXTENSION provision;
CREATE EXTENSION provision;
SELECT extversion FROM pg_extension WHERE extname = 'provision';
DROP SCHEMA up CASCADE;
