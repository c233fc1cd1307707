-- The upgrade path: models declared at 1.0 (and the grants that gave the
-- declare right then) carried to the default version (whatever
-- provision.control says is the latest) by ALTER EXTENSION UPDATE, and
-- working there; then every update path compared with a fresh install.
SET client_min_messages = notice;
DROP EXTENSION provision;
CREATE EXTENSION provision VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'provision';
SELECT to_regproc('provision_diff') IS NULL AS no_diff_in_1_0;

-- the library serves the current version only, and says what to do
SELECT provision_define('up.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- what 1.0 wrote: a model, a model of the extension's own registry (1.0
-- accepted it), and the declare right as a table privilege
CREATE SCHEMA up;
CREATE TABLE up.users (id integer PRIMARY KEY, username varchar(50) NOT NULL);
INSERT INTO provision_registry (schema_name, table_name, body, definition,
    col_names, col_types, col_typmods, col_collations, col_notnull, col_defaults,
    col_identity, col_generated, col_identity_options, col_serial,
    con_names, con_types, con_defs, con_explicit, declared_by)
VALUES ('up', 'users',
    'id integer NOT NULL, username character varying(50) NOT NULL, PRIMARY KEY (id)',
    'id integer NOT NULL, username character varying(50) NOT NULL, PRIMARY KEY (id)',
    '{id,username}', '{integer,"character varying"}', '{-1,54}', '{"",""}', '{t,t}', '{"",""}',
    '{"",""}', '{"",""}', '{"",""}', '{"",""}',
    '{users_pkey}', '{p}', '{"PRIMARY KEY (id)"}', '{f}', 'postgres'),
   ('public', 'provision_registry', 'schema_name name', 'schema_name name',
    '{schema_name}', '{name}', '{-1}', '{""}', '{f}', '{""}',
    '{""}', '{""}', '{""}', '{""}', '{}', '{}', '{}', '{}', 'postgres');
CREATE ROLE regress_up_declarer;
GRANT INSERT, UPDATE, DELETE ON provision_registry TO regress_up_declarer;

ALTER EXTENSION provision UPDATE TO '1.1';
ALTER EXTENSION provision UPDATE;
SELECT e.extversion = a.default_version AS at_default_version
  FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname = 'provision';

-- the model survives, its types now kept by name; the registry's own is gone
SELECT table_name, definition FROM provision_models;
SELECT col_types, col_alt_defaults, con_alt_defs FROM provision_registry;
SELECT * FROM provision_diff();
-- the grant became membership in provision_declarer
SELECT pg_has_role('regress_up_declarer', 'provision_declarer', 'MEMBER') AS declarer,
       has_table_privilege('regress_up_declarer', 'provision_registry', 'INSERT') AS can_insert;
SET ROLE regress_up_declarer;
SELECT provision_define('up.users', $$ id integer PRIMARY KEY, username varchar(80) NOT NULL $$);
RESET ROLE;
ALTER TABLE up.users OWNER TO regress_up_declarer;
GRANT USAGE ON SCHEMA up TO regress_up_declarer;
SELECT * FROM provision_migrate();
SELECT executed_by = current_user AS by_me, run_as, online, table_name, statement FROM provision_history;

-- every object of the extension is a member of it (from 17 on, the row
-- types of its tables and views and their array types are members too:
-- left out of this list, compared below like every other member)
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend d
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'provision')
   AND NOT (classid = 'pg_type'::regclass AND
            EXISTS (SELECT FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
                     WHERE t.oid = d.objid AND (t.typrelid <> 0 OR e.typrelid <> 0)))
 ORDER BY 1;

-- Every version that updates to the default one, installed and updated,
-- equals a fresh install of the default version: the same members, and for
-- each the same definition (functions, views, table columns, constraints,
-- indexes, privileges, comments, configuration tables).
CREATE FUNCTION pg_temp.extension_shape()
RETURNS TABLE (object text, definition text)
LANGUAGE sql AS $fn$
  WITH m AS (
    SELECT classid, objid, objsubid,
           pg_describe_object(classid, objid, objsubid) AS object
      FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'provision'))
  SELECT object, 'member' FROM m
  UNION ALL
  SELECT m.object,
         concat_ws(E'\n', pg_get_functiondef(p.oid), p.proacl::text,
                   obj_description(p.oid, 'pg_proc'))
    FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  UNION ALL
  SELECT m.object,
         concat_ws(E'\n', c.relkind::text, c.relacl::text,
                   obj_description(c.oid, 'pg_class'),
                   CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
                   (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                      || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                                      || coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
                                      ', ' ORDER BY a.attnum)
                      FROM pg_attribute a
                      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                   (SELECT string_agg(co.conname || ' ' || pg_get_constraintdef(co.oid), ', '
                                      ORDER BY co.conname)
                      FROM pg_constraint co WHERE co.conrelid = c.oid),
                   (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', '
                                      ORDER BY pg_get_indexdef(i.indexrelid))
                      FROM pg_index i WHERE i.indrelid = c.oid))
    FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT 'configuration tables',
         (SELECT string_agg(t::regclass::text || coalesce(' ' || w, ''), ', '
                            ORDER BY t::regclass::text)
            FROM pg_extension e,
                 unnest(e.extconfig, e.extcondition) AS x(t, w)
           WHERE e.extname = 'provision')
$fn$;

SET client_min_messages = warning;
DROP EXTENSION provision;
CREATE EXTENSION provision;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.extension_shape();
CREATE TEMP TABLE updated (from_version text, object text, definition text);
DO $$
DECLARE
    v text;
BEGIN
    FOR v IN
        SELECT p.source
          FROM pg_extension_update_paths('provision') p
          JOIN pg_available_extensions a ON a.name = 'provision'
         WHERE p.target = a.default_version AND p.path IS NOT NULL
         ORDER BY p.source
    LOOP
        DROP EXTENSION provision;
        EXECUTE format('CREATE EXTENSION provision VERSION %L', v);
        ALTER EXTENSION provision UPDATE;
        INSERT INTO updated SELECT v, s.* FROM pg_temp.extension_shape() s;
    END LOOP;
END
$$;
SELECT bool_and(from_version <> a.default_version) AND
       bool_or(from_version = '1.0') AS from_1_0_and_later,
       (SELECT count(*) FROM fresh WHERE definition = 'member') > 10 AS members_compared
  FROM updated, pg_available_extensions a
 WHERE a.name = 'provision';
-- no differences: no rows
SELECT v.from_version, 'only after the update' AS found, u.object, u.definition
  FROM (SELECT DISTINCT from_version FROM updated) v
  JOIN updated u USING (from_version)
 WHERE NOT EXISTS (SELECT FROM fresh f
                    WHERE f.object = u.object AND f.definition IS NOT DISTINCT FROM u.definition)
UNION ALL
SELECT v.from_version, 'only in a fresh install', f.object, f.definition
  FROM (SELECT DISTINCT from_version FROM updated) v, fresh f
 WHERE NOT EXISTS (SELECT FROM updated u
                    WHERE u.from_version = v.from_version
                      AND u.object = f.object AND u.definition IS NOT DISTINCT FROM f.definition)
 ORDER BY 1, 2, 3;
-- and the comparison does see a difference: a comment changed by hand
COMMENT ON VIEW provision_models IS 'changed by hand';
SELECT s.object AS differs
  FROM pg_temp.extension_shape() s
 WHERE NOT EXISTS (SELECT FROM fresh f
                    WHERE f.object = s.object AND f.definition IS NOT DISTINCT FROM s.definition);
DROP EXTENSION provision;
CREATE EXTENSION provision;
SELECT extversion = default_version AS at_default_version
  FROM pg_extension JOIN pg_available_extensions ON name = extname
 WHERE extname = 'provision';
DROP SCHEMA up CASCADE;
REVOKE provision_declarer FROM regress_up_declarer;
DROP ROLE regress_up_declarer;
