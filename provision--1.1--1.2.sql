/* provision--1.1--1.2.sql: trust */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION provision UPDATE TO '1.2'" to load this file. \quit

-- The declare right is membership in provision_declarer, no longer a
-- privilege on the registry: provision writes the registry itself, as its
-- owner, and nobody else needs to.  Roles are shared by every database of
-- the cluster, so the role may exist already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) 'provision_declarer') THEN
        CREATE ROLE provision_declarer NOLOGIN;
    ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles
                   WHERE rolname OPERATOR(pg_catalog.=) 'provision_declarer'
                     AND (rolsuper OR rolcanlogin OR rolcreaterole OR rolcreatedb
                          OR rolbypassrls OR rolreplication)) THEN
        RAISE EXCEPTION 'role "provision_declarer" exists and holds attributes a declare right must not give'
            USING ERRCODE = '42939',
                  HINT = 'Drop or rename the role, then update the extension.';
    END IF;
END
$$;
COMMENT ON ROLE provision_declarer IS
    'members may declare and forget provision models (see README)';

-- Carry 1.1's grants over: a role that could write the registry becomes a
-- member of provision_declarer, and loses the table privileges.
DO $$
DECLARE
    grantee pg_catalog.name;
BEGIN
    FOR grantee IN
        SELECT DISTINCT r.rolname
          FROM pg_catalog.pg_class c,
               LATERAL pg_catalog.aclexplode(c.relacl) a
          JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
         WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.provision_registry'::pg_catalog.regclass
           AND a.privilege_type OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE', 'DELETE'])
           AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
         ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format('GRANT provision_declarer TO %I', grantee);
        EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON @extschema@.provision_registry FROM %I',
                                  grantee);
        -- a WARNING: extension scripts run with client_min_messages at warning
        RAISE WARNING 'role "%" now declares models as a member of role "provision_declarer"', grantee
            USING DETAIL = 'Its INSERT, UPDATE and DELETE privileges on provision_registry were revoked: provision writes the registry itself.';
    END LOOP;
END
$$;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON @extschema@.provision_registry FROM PUBLIC;

-- A model of the extension's own tables (accepted by 1.0) would have a
-- migration change the registry or the history: such models are removed.
DO $$
DECLARE
    model record;
BEGIN
    FOR model IN
        DELETE FROM @extschema@.provision_registry r
         WHERE r.schema_name OPERATOR(pg_catalog.=) '@extschema@'
           AND r.table_name OPERATOR(pg_catalog.=) ANY (ARRAY[
                   'provision_registry', 'provision_models', 'provision_history',
                   'provision_history_log', 'provision_history_log_id_seq']::pg_catalog.name[])
        RETURNING r.schema_name, r.table_name
    LOOP
        RAISE WARNING 'the model of table "%.%" was removed', model.schema_name, model.table_name
            USING DETAIL = 'Tables of extension "provision" are not models.';
    END LOOP;
END
$$;

-- Types are kept by name (format_type with typmod), not by OID: a name
-- survives dump and restore and can name a type that is declared but not
-- created yet.  Rendered under search_path pg_catalog, as the library
-- renders them.
SELECT pg_catalog.set_config('search_path', 'pg_catalog', true);
ALTER TABLE @extschema@.provision_registry
    ADD COLUMN col_type_names pg_catalog.text[] NOT NULL DEFAULT '{}';
UPDATE @extschema@.provision_registry r
   SET col_type_names = ARRAY(
           SELECT pg_catalog.format_type(t.typ, t.typmod)
             FROM ROWS FROM (pg_catalog.unnest(r.col_types), pg_catalog.unnest(r.col_typmods))
                  WITH ORDINALITY AS t(typ, typmod, n)
            ORDER BY t.n);
ALTER TABLE @extschema@.provision_registry DROP COLUMN col_types;
ALTER TABLE @extschema@.provision_registry DROP COLUMN col_typmods;
ALTER TABLE @extschema@.provision_registry RENAME COLUMN col_type_names TO col_types;

-- The other text a default or constraint may deparse to ('' when none):
-- a captured table, or one created from a model's own text, matches it.
ALTER TABLE @extschema@.provision_registry
    ADD COLUMN col_alt_defaults pg_catalog.text[] NOT NULL DEFAULT '{}',
    ADD COLUMN con_alt_defs pg_catalog.text[] NOT NULL DEFAULT '{}';
UPDATE @extschema@.provision_registry r
   SET col_alt_defaults = pg_catalog.array_fill(''::pg_catalog.text,
                              ARRAY[pg_catalog.cardinality(r.col_names)]),
       con_alt_defs = pg_catalog.array_fill(''::pg_catalog.text,
                          ARRAY[pg_catalog.cardinality(r.con_names)]);

-- The history says whose rights each statement ran with, and whether it
-- ran online (in a transaction of its own).
ALTER TABLE @extschema@.provision_history_log
    ADD COLUMN run_as pg_catalog.name,
    ADD COLUMN online pg_catalog.bool NOT NULL DEFAULT false;
UPDATE @extschema@.provision_history_log SET run_as = executed_by;
ALTER TABLE @extschema@.provision_history_log
    ALTER COLUMN run_as SET NOT NULL,
    ALTER COLUMN online DROP DEFAULT;

CREATE OR REPLACE VIEW @extschema@.provision_history AS
    SELECT h.id, h.executed_at, h.executed_by, h.table_name, h.statement,
           h.run_as, h.online
      FROM @extschema@.provision_history_log h;


-- ---------------------------------------------------------------- whole schemas
-- Tables keep their comments and partitioning; partitions are models too.
ALTER TABLE @extschema@.provision_registry
    ADD COLUMN comment pg_catalog.text,
    ADD COLUMN col_comments pg_catalog.text[] NOT NULL DEFAULT '{}',
    ADD COLUMN partition_by pg_catalog.text NOT NULL DEFAULT '',
    ADD COLUMN partition_of_schema pg_catalog.name,
    ADD COLUMN partition_of_table pg_catalog.name,
    ADD COLUMN partition_bound pg_catalog.text NOT NULL DEFAULT '';
UPDATE @extschema@.provision_registry r
   SET col_comments = pg_catalog.array_fill(''::pg_catalog.text,
                          ARRAY[pg_catalog.cardinality(r.col_names)]);

-- The indexes of key and exclusion constraints share the relation names of
-- a schema with every model: declaring a model looks up the other models
-- with a constraint of one of the names it makes (src/relnames.c).
CREATE INDEX provision_registry_con_names
    ON @extschema@.provision_registry USING gin (con_names);

-- Models of the other kinds: schemas, enum types, domains, sequences and
-- indexes, each in its normalized form (see README).  attrs and the
-- constraint arrays hold what each kind is compared by; their meaning is
-- the kind's (src/objects.c).
CREATE TABLE @extschema@.provision_objects (
    kind          pg_catalog.text        NOT NULL,
    schema_name   pg_catalog.name        NOT NULL,
    object_name   pg_catalog.name        NOT NULL,
    table_schema  pg_catalog.name,
    table_name    pg_catalog.name,
    column_name   pg_catalog.name,
    definition    pg_catalog.text        NOT NULL,
    attrs         pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_names     pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_defs      pg_catalog.text[]      NOT NULL DEFAULT '{}',
    con_alt_defs  pg_catalog.text[]      NOT NULL DEFAULT '{}',
    comment       pg_catalog.text,
    declared_at   pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    declared_by   pg_catalog.name        NOT NULL,
    PRIMARY KEY (kind, schema_name, object_name)
);
COMMENT ON TABLE @extschema@.provision_objects IS
    'models of schemas, enum types, domains, sequences and indexes; read them through provision_models';
REVOKE ALL ON TABLE @extschema@.provision_objects FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.provision_objects TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.provision_objects', '');

-- The last script each role loaded: a deploy that loads the same schema
-- file again, while no model changed since, is not tried again.  Written
-- by provision only, read by nobody else; not dumped (a restored registry
-- is new to it anyway).
CREATE TABLE @extschema@.provision_loads (
    declared_by     pg_catalog.name   PRIMARY KEY,
    digest          pg_catalog.text   NOT NULL,
    fingerprint     pg_catalog.text   NOT NULL,
    kinds           pg_catalog.text[] NOT NULL,
    objects         pg_catalog.text[] NOT NULL,
    skipped         pg_catalog.text[] NOT NULL
);
COMMENT ON TABLE @extschema@.provision_loads IS
    'the last script each role loaded with provision_load(), by digest; internal';
REVOKE ALL ON TABLE @extschema@.provision_loads FROM PUBLIC;

CREATE OR REPLACE VIEW @extschema@.provision_models AS
    SELECT pg_catalog.quote_ident(r.schema_name) OPERATOR(pg_catalog.||) '.'
               OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.table_name) AS table_name,
           r.schema_name,
           r.table_name AS relation_name,
           r.definition,
           r.declared_at,
           r.declared_by,
           CASE WHEN r.partition_of_table IS NOT NULL THEN 'partition'
                ELSE 'table' END AS kind
      FROM @extschema@.provision_registry r
    UNION ALL
    SELECT CASE WHEN o.kind OPERATOR(pg_catalog.=) 'schema'
                THEN pg_catalog.quote_ident(o.schema_name)
                ELSE pg_catalog.quote_ident(o.schema_name) OPERATOR(pg_catalog.||) '.'
                     OPERATOR(pg_catalog.||) pg_catalog.quote_ident(o.object_name) END,
           o.schema_name,
           o.object_name,
           o.definition,
           o.declared_at,
           o.declared_by,
           o.kind
      FROM @extschema@.provision_objects o;

CREATE FUNCTION @extschema@.provision_load(script pg_catalog.text,
    skip_unsupported pg_catalog.bool DEFAULT false,
    OUT kind pg_catalog.text, OUT object pg_catalog.text, OUT action pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_load(pg_catalog.text, pg_catalog.bool) IS
    'declare every object of a DDL script (pg_dump --schema-only, schema.sql) as models';

CREATE FUNCTION @extschema@.provision_dump(schema_name pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'provision_dump'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_dump(pg_catalog.text) IS
    'the declared models as one DDL script, which provision_load() reads back';

CREATE FUNCTION @extschema@.provision_capture_schema(schema_name pg_catalog.text,
    OUT kind pg_catalog.text, OUT object pg_catalog.text, OUT action pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_capture_schema'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_capture_schema(pg_catalog.text) IS
    'declare models of everything in a schema that provision models';

CREATE FUNCTION @extschema@.provision_forget_object(kind pg_catalog.text,
                                                    object_name pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'provision_forget_object'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_forget_object(pg_catalog.text, pg_catalog.text) IS
    'remove the model of a schema, enum, domain, sequence or index; never drops it';

-- The models view shows what SELECT on the registry shows the caller,
-- row-level security included, where views can say so (15 on).
DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 150000 THEN
        ALTER VIEW @extschema@.provision_models SET (security_invoker = true);
        ALTER VIEW @extschema@.provision_history SET (security_invoker = true);
    END IF;
END
$$;

-- online migrations ------------------------------------------------------

-- What each change costs a live table: blocking is none, brief, scan or
-- rewrite (see README).  provision_plan() says which plan it shows.
DROP FUNCTION @extschema@.provision_diff(pg_catalog.text);
CREATE FUNCTION @extschema@.provision_diff(table_name pg_catalog.text DEFAULT NULL,
    OUT table_name pg_catalog.text, OUT change pg_catalog.text,
    OUT object pg_catalog.text, OUT declared pg_catalog.text,
    OUT actual pg_catalog.text, OUT safe pg_catalog.bool,
    OUT blocking pg_catalog.text, OUT ddl pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_diff'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_diff(pg_catalog.text) IS
    'differences between declared models and their tables, what each costs a live table, and the DDL that fixes it';

DROP FUNCTION @extschema@.provision_plan(pg_catalog.text);
CREATE FUNCTION @extschema@.provision_plan(table_name pg_catalog.text DEFAULT NULL,
    online pg_catalog.bool DEFAULT false,
    OUT plan pg_catalog.text, OUT step pg_catalog.int4,
    OUT table_name pg_catalog.text, OUT ddl pg_catalog.text,
    OUT blocking pg_catalog.text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'provision_plan'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_plan(pg_catalog.text, pg_catalog.bool) IS
    'the statements provision_migrate (or, online, CALL provision_apply) would run, in order, and what each costs a live table';

-- The online path: every step in a transaction of its own.
CREATE PROCEDURE @extschema@.provision_apply(table_name pg_catalog.text DEFAULT NULL,
    allow_destructive pg_catalog.bool DEFAULT false)
AS 'MODULE_PATHNAME', 'provision_apply'
LANGUAGE C SECURITY INVOKER;
COMMENT ON PROCEDURE @extschema@.provision_apply(pg_catalog.text, pg_catalog.bool) IS
    'apply the models to their tables online: each step committed on its own, none blocking readers or writers longer than a catalog update';

-- The row triggers of an online migration (created by provision_apply()
-- only, by the model's declarer, and dropped when it is done).
CREATE FUNCTION @extschema@.provision_shadow_copy()
RETURNS trigger
AS 'MODULE_PATHNAME', 'provision_shadow_copy'
LANGUAGE C VOLATILE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_shadow_copy() IS
    'trigger of an online type change: keeps a shadow column equal to its source';

CREATE FUNCTION @extschema@.provision_fill_default()
RETURNS trigger
AS 'MODULE_PATHNAME', 'provision_fill_default'
LANGUAGE C VOLATILE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.provision_fill_default() IS
    'trigger of an online column addition: gives an updated row that has no value the column default';
