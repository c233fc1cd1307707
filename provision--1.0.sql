/* provision--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION provision" to load this file. \quit

-- The model registry: one row per declared table, in normalized form.
-- Writing it is the right to declare models (see README.md), so nobody but
-- the extension's owner and superusers has it until they grant it.
CREATE TABLE @extschema@.provision_registry (
    schema_name     pg_catalog.name        NOT NULL,
    table_name      pg_catalog.name        NOT NULL,
    body            pg_catalog.text        NOT NULL,
    foreign_keys    pg_catalog.text[]      NOT NULL DEFAULT '{}',
    fk_ref_schemas  pg_catalog.text[]      NOT NULL DEFAULT '{}',
    fk_ref_tables   pg_catalog.text[]      NOT NULL DEFAULT '{}',
    definition      pg_catalog.text        NOT NULL,
    -- the declared shape, analysed at define time for drift detection:
    -- one element per column, constraint or foreign key
    col_names       pg_catalog.text[]      NOT NULL DEFAULT '{}',
    col_types       pg_catalog.regtype[]   NOT NULL DEFAULT '{}',
    col_typmods     pg_catalog.int4[]      NOT NULL DEFAULT '{}',
    col_collations  pg_catalog.text[]      NOT NULL DEFAULT '{}',
    col_notnull     pg_catalog.bool[]      NOT NULL DEFAULT '{}',
    col_defaults    pg_catalog.text[]      NOT NULL DEFAULT '{}',
    col_identity    pg_catalog.text[]      NOT NULL DEFAULT '{}',
    col_generated   pg_catalog.text[]      NOT NULL DEFAULT '{}',
    col_identity_options pg_catalog.text[] NOT NULL DEFAULT '{}',
    col_serial      pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_names       pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_types       pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_defs        pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_explicit    pg_catalog.bool[]      NOT NULL DEFAULT '{}',
    fk_names        pg_catalog.text[]      NOT NULL DEFAULT '{}',
    fk_signatures   pg_catalog.text[]      NOT NULL DEFAULT '{}',
    declared_at     pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    declared_by     pg_catalog.name        NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (schema_name, table_name)
);
COMMENT ON TABLE @extschema@.provision_registry IS
    'models declared with provision_define(); read them through provision_models';
REVOKE ALL ON TABLE @extschema@.provision_registry FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.provision_registry TO PUBLIC;

-- pg_dump keeps every model
SELECT pg_catalog.pg_extension_config_dump('@extschema@.provision_registry', '');

CREATE VIEW @extschema@.provision_models AS
    SELECT pg_catalog.quote_ident(r.schema_name) OPERATOR(pg_catalog.||) '.'
               OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.table_name) AS table_name,
           r.schema_name,
           r.table_name AS relation_name,
           r.definition,
           r.declared_at,
           r.declared_by
      FROM @extschema@.provision_registry r;
COMMENT ON VIEW @extschema@.provision_models IS
    'one row per declared model: qualified name, normalized definition, when and by whom';
GRANT SELECT ON @extschema@.provision_models TO PUBLIC;

CREATE FUNCTION @extschema@.provision_schema(schema_name pg_catalog.text,
                                             owner pg_catalog.name DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'provision_schema'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_schema(pg_catalog.text, pg_catalog.name) IS
    'create a schema unless it exists; returns created or exists';

CREATE FUNCTION @extschema@.provision_define(table_name pg_catalog.text,
                                             definition pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'provision_define'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_define(pg_catalog.text, pg_catalog.text) IS
    'declare (or replace) the model of a table';

CREATE FUNCTION @extschema@.provision_table(table_name pg_catalog.text,
                                            definition pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'provision_table'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_table(pg_catalog.text, pg_catalog.text) IS
    'create a declared table unless it exists; returns created or exists';

CREATE FUNCTION @extschema@.provision_all(OUT table_name pg_catalog.text,
                                          OUT action pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_all() IS
    'create every declared table that does not exist, in dependency order';

CREATE FUNCTION @extschema@.provision_forget(table_name pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'provision_forget'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_forget(pg_catalog.text) IS
    'remove the model of a table; never drops the table';
