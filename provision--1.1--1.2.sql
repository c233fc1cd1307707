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
