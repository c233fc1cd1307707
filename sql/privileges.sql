-- A role gets through provision exactly what its own DDL rights give it,
-- and declaring models is a right of its own.
SET client_min_messages = notice;
CREATE ROLE regress_app;
CREATE ROLE regress_nocreate;
SELECT current_database() AS db \gset
GRANT CREATE ON DATABASE :"db" TO regress_app;
SELECT provision_schema('app');
GRANT USAGE, CREATE ON SCHEMA app TO regress_app;
GRANT USAGE ON SCHEMA app TO regress_nocreate;

-- every function is SECURITY INVOKER, VOLATILE, PARALLEL UNSAFE
SELECT proname, prosecdef, provolatile, proparallel
  FROM pg_proc WHERE proname LIKE 'provision\_%' ORDER BY 1;

-- without the declare right: 42501, nothing registered
SET ROLE regress_app;
SELECT provision_define('app.mine', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('app.mine', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget('app.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO provision_registry (schema_name, table_name, body, definition) VALUES ('app', 'x', 'id int', 'id int');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- but models can be read, and declared models provisioned
SELECT count(*) >= 0 AS can_read FROM provision_models;
RESET ROLE;
SELECT count(*) AS models FROM provision_models;

-- the owner grants the right, as README shows
GRANT INSERT, UPDATE, DELETE ON provision_registry TO regress_app;
SET ROLE regress_app;
SELECT provision_table('app.mine', $$ id integer PRIMARY KEY $$);
SELECT declared_by FROM provision_models WHERE table_name = 'app.mine';
RESET ROLE;
SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'mine';

-- declared by a trusted role, provisioned by another with its own rights
SELECT provision_define('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
SELECT provision_define('elsewhere.t', $$ id integer $$);
SET ROLE regress_nocreate;
-- no CREATE on schema app: 42501, nothing made
SELECT provision_table('app.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- no CREATE on the database: the missing schema cannot be made
SELECT provision_table('elsewhere.t');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema('elsewhere');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- schema ownership for another role needs membership, as CREATE SCHEMA AUTHORIZATION does
-- (the server's message changed in 16, "must be able to SET ROLE": SQLSTATE only)
SET ROLE regress_app;
\set VERBOSITY sqlstate
SELECT provision_schema('given_away', 'regress_nocreate');
\set VERBOSITY default
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT to_regclass('app.users') IS NULL AS users_not_created,
       to_regnamespace('elsewhere') IS NULL AS elsewhere_not_created,
       to_regnamespace('given_away') IS NULL AS given_away_not_created;

-- a role with the rights creates, and owns what it creates
SET ROLE regress_app;
SELECT * FROM provision_all();
RESET ROLE;
SELECT schemaname, tablename, tableowner FROM pg_tables WHERE schemaname IN ('app', 'elsewhere') ORDER BY 1, 2;
SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'elsewhere';

-- once everything exists, verifying it needs no CREATE right (like create_all's checkfirst)
SET ROLE regress_nocreate;
SELECT * FROM provision_all();
SELECT provision_schema('app');
RESET ROLE;

-- clean up
SELECT provision_forget(table_name) FROM provision_models ORDER BY 1;
DROP SCHEMA app, elsewhere CASCADE;
REVOKE ALL ON provision_registry FROM regress_app;
REVOKE CREATE ON DATABASE :"db" FROM regress_app;
DROP ROLE regress_app, regress_nocreate;
