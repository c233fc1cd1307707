-- Name arguments are parsed as SQL identifiers, as regclass input parses
-- them; every bad name is an error with its SQLSTATE.
SET client_min_messages = notice;

-- unquoted names fold to lower case, quoted ones keep case and spaces
SELECT provision_table('App.Users', $$ id integer $$);
SELECT provision_table('"Mixed Case"."Users"', $$ id integer $$);
SELECT provision_table('  "Mixed Case" . "Users"  ');
SELECT provision_table('"we""ird"."ta.ble"', $$ id integer $$);
SELECT nspname, relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE nspname IN ('app', 'Mixed Case', 'we"ird') ORDER BY 1, 2;
SELECT table_name, schema_name, relation_name FROM provision_models ORDER BY 1;

-- an unqualified name lands in the first existing schema of search_path
CREATE SCHEMA first_schema;
SET search_path = nonexistent, first_schema, public;
SELECT provision_table('lands_here', $$ id integer $$);
SELECT table_name FROM provision_models WHERE relation_name = 'lands_here';
SELECT provision_table('first_schema.lands_here');
RESET search_path;

-- 63 bytes is the limit; 64 is rejected, never truncated
SELECT provision_table(repeat('a', 63), $$ id integer $$);
SELECT provision_table(repeat('a', 64), $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table(repeat('b', 64) || '.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema(repeat('é', 32));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema(repeat('é', 31));

-- bad syntax
SELECT provision_table('a..b');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('"unterminated');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('""');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('a b');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('a.');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('   ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('a.b.c');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema('a.b');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- NULL and empty arguments
SELECT provision_table(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('t', '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema('');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_schema('x', '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define(NULL, 'id int');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('t', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget('');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- temporary schemas are not for models
SELECT provision_table('pg_temp.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET search_path = pg_temp, public;
SELECT provision_table('t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET search_path;

-- clean up
SELECT provision_forget(table_name) FROM provision_models ORDER BY table_name;
DROP SCHEMA app, "Mixed Case", "we""ird", first_schema CASCADE;
DROP TABLE public.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;
SELECT provision_schema(repeat('é', 31)) IS NOT NULL AS exists_still;
DO $$ BEGIN EXECUTE format('DROP SCHEMA %I', repeat('é', 31)); END $$;
