/* provision--1.0--1.1.sql: drift detection, plans, migrations, history */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION provision UPDATE TO '1.1'" to load this file. \quit

-- Every DDL statement provision runs.  Written by the extension's C code
-- directly (no role holds INSERT), in the caller's transaction; hence no
-- index, default or trigger.
CREATE SEQUENCE @extschema@.provision_history_log_id_seq;
CREATE TABLE @extschema@.provision_history_log (
    id           pg_catalog.int8        NOT NULL,
    executed_at  pg_catalog.timestamptz NOT NULL,
    executed_by  pg_catalog.name        NOT NULL,
    table_name   pg_catalog.text        NOT NULL,
    statement    pg_catalog.text        NOT NULL
) USING heap;
ALTER SEQUENCE @extschema@.provision_history_log_id_seq
    OWNED BY @extschema@.provision_history_log.id;
REVOKE ALL ON TABLE @extschema@.provision_history_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.provision_history_log_id_seq FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.provision_history_log TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.provision_history_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.provision_history_log_id_seq', '');

CREATE VIEW @extschema@.provision_history AS
    SELECT h.id, h.executed_at, h.executed_by, h.table_name, h.statement
      FROM @extschema@.provision_history_log h;
COMMENT ON VIEW @extschema@.provision_history IS
    'every DDL statement provision ran: when, by which role, on which table';
GRANT SELECT ON @extschema@.provision_history TO PUBLIC;

CREATE FUNCTION @extschema@.provision_diff(table_name pg_catalog.text DEFAULT NULL,
    OUT table_name pg_catalog.text, OUT change pg_catalog.text,
    OUT object pg_catalog.text, OUT declared pg_catalog.text,
    OUT actual pg_catalog.text, OUT safe pg_catalog.bool, OUT ddl pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_diff'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_diff(pg_catalog.text) IS
    'differences between declared models and their tables, with the DDL that fixes each';

CREATE FUNCTION @extschema@.provision_plan(table_name pg_catalog.text DEFAULT NULL)
RETURNS SETOF pg_catalog.text
AS 'MODULE_PATHNAME', 'provision_plan'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_plan(pg_catalog.text) IS
    'the statements provision_migrate would run, in order';

CREATE FUNCTION @extschema@.provision_migrate(table_name pg_catalog.text DEFAULT NULL,
    allow_destructive pg_catalog.bool DEFAULT false,
    OUT table_name pg_catalog.text, OUT ddl pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_migrate'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_migrate(pg_catalog.text, pg_catalog.bool) IS
    'apply the models to their tables; unsafe changes only with allow_destructive';

CREATE FUNCTION @extschema@.provision_capture(table_name pg_catalog.text)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'provision_capture'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_capture(pg_catalog.text) IS
    'declare a model from an existing table; returns the normalized definition';
