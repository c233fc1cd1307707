-- Everything happens in the caller's transaction.
SET client_min_messages = notice;

-- a rollback removes every object and registry row the call made
BEGIN;
SELECT provision_table('tx.t1', $$ id integer PRIMARY KEY $$);
SELECT to_regclass('tx.t1') IS NOT NULL AS visible_inside;
ROLLBACK;
SELECT to_regnamespace('tx') IS NULL AS schema_gone, to_regclass('tx.t1') IS NULL AS table_gone,
       (SELECT count(*) FROM provision_models WHERE schema_name = 'tx') AS models;

-- so does a rolled-back savepoint
BEGIN;
SELECT provision_schema('tx');
SAVEPOINT s;
SELECT provision_table('tx.t2', $$ id integer $$);
ROLLBACK TO SAVEPOINT s;
SELECT provision_table('tx.t3', $$ id integer $$);
COMMIT;
SELECT relname FROM pg_class WHERE relnamespace = 'tx'::regnamespace ORDER BY 1;
SELECT table_name FROM provision_models WHERE schema_name = 'tx' ORDER BY 1;

-- DO blocks, and EXCEPTION blocks that catch a failed call and go on
DO $$
DECLARE
    result text;
BEGIN
    result := provision_table('tx.t4', 'id integer');
    RAISE NOTICE 't4: %', result;
    BEGIN
        PERFORM provision_table('tx.t5', 'id nosuchtype');
    EXCEPTION WHEN undefined_object THEN
        RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
    END;
    BEGIN
        PERFORM provision_table('tx.t6', 'id integer');
        RAISE EXCEPTION 'undo t6';
    EXCEPTION WHEN raise_exception THEN
        RAISE NOTICE 'caught: %', SQLERRM;
    END;
    result := provision_table('tx.t4');
    RAISE NOTICE 't4 again: %', result;
END
$$;
SELECT relname FROM pg_class WHERE relnamespace = 'tx'::regnamespace AND relkind = 'r' ORDER BY 1;
SELECT table_name FROM provision_models WHERE schema_name = 'tx' ORDER BY 1;

-- a read-only transaction gets 25006 before any work, from every writing function
BEGIN TRANSACTION READ ONLY;
SELECT provision_schema('tx');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN TRANSACTION READ ONLY;
SELECT provision_table('tx.t3');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN TRANSACTION READ ONLY;
SELECT provision_define('tx.t9', 'id integer');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN TRANSACTION READ ONLY;
SELECT * FROM provision_all();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SET default_transaction_read_only = on;
SELECT provision_forget('tx.t3');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;
-- reading the models is fine in a read-only transaction
BEGIN TRANSACTION READ ONLY;
SELECT count(*) FROM provision_models WHERE schema_name = 'tx';
COMMIT;

-- the registry is dumped by pg_dump, with the extension's config tables
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'provision';

-- event triggers see provision's DDL (but not the trial of a definition)
CREATE FUNCTION tx_log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        RAISE NOTICE 'event trigger: % %', r.command_tag, r.object_identity;
    END LOOP;
END $$;
CREATE EVENT TRIGGER tx_log_ddl ON ddl_command_end EXECUTE FUNCTION tx_log_ddl();
SELECT provision_define('tx.t7', 'id integer PRIMARY KEY');
SELECT provision_table('tx.t7');
DROP EVENT TRIGGER tx_log_ddl;
DROP FUNCTION tx_log_ddl();

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE schema_name = 'tx';
DROP SCHEMA tx CASCADE;
