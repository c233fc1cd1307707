-- Declaring is a right of its own (membership in provision_declarer), no
-- role writes the registry itself, and a model's DDL runs with the rights
-- of the role that declared it, for a caller that can act as that role.
SET client_min_messages = notice;
CREATE ROLE regress_app;
CREATE ROLE regress_nocreate;
CREATE ROLE regress_deployer;
SELECT current_database() AS db \gset
SELECT coalesce(max(id), 0) AS history_start FROM provision_history \gset
GRANT CREATE ON DATABASE :"db" TO regress_app;
SELECT provision_schema('app');
GRANT USAGE, CREATE ON SCHEMA app TO regress_app;
GRANT USAGE ON SCHEMA app TO regress_nocreate;

-- every function is SECURITY INVOKER, VOLATILE, PARALLEL UNSAFE
SELECT proname, prosecdef, provolatile, proparallel
  FROM pg_proc WHERE proname LIKE 'provision\_%' ORDER BY 1;

-- nobody but the owner holds a privilege on the registry beyond SELECT
SELECT grantee, privilege_type FROM information_schema.role_table_grants
 WHERE table_name = 'provision_registry' AND grantee <> current_user ORDER BY 1, 2;

-- without the declare right: 42501, nothing registered
SET ROLE regress_app;
SELECT provision_define('app.mine', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('app.mine', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget('app.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the registry cannot be written around the functions either
INSERT INTO provision_registry (schema_name, table_name, body, definition) VALUES ('app', 'x', 'id int', 'id int');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE provision_registry SET body = body;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM provision_registry;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- but models can be read
SELECT count(*) >= 0 AS can_read FROM provision_models;
RESET ROLE;
SELECT count(*) AS models FROM provision_models;

-- a superuser grants the right, as README shows
GRANT provision_declarer TO regress_app;
SET ROLE regress_app;
SELECT provision_table('app.mine', $$ id integer PRIMARY KEY $$);
SELECT declared_by FROM provision_models WHERE table_name = 'app.mine';
-- membership gives no privilege on the registry table itself
UPDATE provision_registry SET body = body;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'mine';

-- declared by a superuser: a role that cannot act as it cannot run it
SELECT provision_define('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
SELECT provision_define('elsewhere.t', $$ id integer $$);
SET ROLE regress_nocreate;
SELECT provision_table('app.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nor can a role with the rights to create them itself
SET ROLE regress_app;
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT to_regclass('app.users') IS NULL AS users_not_created,
       to_regnamespace('elsewhere') IS NULL AS elsewhere_not_created;

-- the models, declared again by regress_app, run as regress_app: with its
-- rights, owned by it, whoever provisions them
SET ROLE regress_app;
SELECT provision_define('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
SELECT provision_define('elsewhere.t', $$ id integer $$);
RESET ROLE;
SELECT * FROM provision_all();
SELECT schemaname, tablename, tableowner FROM pg_tables WHERE schemaname IN ('app', 'elsewhere') ORDER BY 1, 2;
SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'elsewhere';
SELECT executed_by, run_as, statement FROM provision_history WHERE id > :history_start ORDER BY id;

-- the declarer's rights, not the caller's: no CREATE for regress_app in
-- schema locked, so a superuser cannot create its model there either
CREATE SCHEMA locked;
SET ROLE regress_app;
SELECT provision_define('locked.t', $$ id integer $$);
RESET ROLE;
SELECT provision_table('locked.t');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('locked.t') IS NULL AS not_created;
SELECT provision_forget('locked.t');

-- a member of the declarer (one who could SET ROLE to it) may run its models
GRANT regress_app TO regress_deployer;
SET ROLE regress_app;
SELECT provision_define('app.more', $$ id integer $$);
SET ROLE regress_deployer;
SELECT provision_table('app.more');
RESET ROLE;
SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'more';

-- a declarer that no longer exists: 42704
CREATE ROLE regress_gone IN ROLE provision_declarer;
GRANT USAGE, CREATE ON SCHEMA app TO regress_gone;
SET ROLE regress_gone;
SELECT provision_define('app.orphaned', $$ id integer $$);
RESET ROLE;
REVOKE ALL ON SCHEMA app FROM regress_gone;
DROP ROLE regress_gone;
SELECT provision_table('app.orphaned');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget('app.orphaned');

-- schema ownership for another role needs membership, as CREATE SCHEMA AUTHORIZATION does
-- (the server's message changed in 16, "must be able to SET ROLE": SQLSTATE only)
SET ROLE regress_app;
\set VERBOSITY sqlstate
SELECT provision_schema('given_away', 'regress_nocreate');
\set VERBOSITY default
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT to_regnamespace('given_away') IS NULL AS given_away_not_created;

-- once everything exists, verifying it needs no right at all (like create_all's checkfirst)
SET ROLE regress_nocreate;
SELECT * FROM provision_all();
SELECT provision_schema('app');
RESET ROLE;

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE kind IN ('table', 'partition') ORDER BY 1;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
DROP SCHEMA app, elsewhere, locked CASCADE;
REVOKE CREATE ON DATABASE :"db" FROM regress_app;
REVOKE provision_declarer FROM regress_app;
DROP ROLE regress_app, regress_nocreate, regress_deployer;
