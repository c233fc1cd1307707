-- The upgrade path: install 1.0, declare and provision, update to the
-- default version (whatever provision.control says is the latest), and find
-- the models working with the new functions.
SET client_min_messages = warning;
DROP EXTENSION provision;
CREATE EXTENSION provision VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'provision';
SELECT provision_table('up.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL $$);
SELECT to_regproc('provision_diff') IS NULL AS no_diff_in_1_0;

ALTER EXTENSION provision UPDATE;
SELECT e.extversion = a.default_version AS at_default_version
  FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname = 'provision';
SELECT table_name, definition FROM provision_models;
SELECT * FROM provision_diff();
SELECT count(*) AS history_rows FROM provision_history;
SELECT provision_define('up.users', $$ id integer PRIMARY KEY, username varchar(80) NOT NULL $$);
SELECT * FROM provision_migrate();
SELECT executed_by = current_user AS by_me, table_name, statement FROM provision_history;

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
DROP SCHEMA up CASCADE;

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
                   (SELECT string_agg(pg_get_constraintdef(co.oid), ', ' ORDER BY 1)
                      FROM pg_constraint co WHERE co.conrelid = c.oid),
                   (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1)
                      FROM pg_index i WHERE i.indrelid = c.oid))
    FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT 'configuration tables',
         (SELECT string_agg(t::regclass::text || coalesce(' ' || w, ''), ', ' ORDER BY 1)
            FROM pg_extension e,
                 unnest(e.extconfig, e.extcondition) AS x(t, w)
           WHERE e.extname = 'provision')
$fn$;

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
COMMENT ON FUNCTION provision_plan(text) IS 'changed by hand';
SELECT s.object AS differs
  FROM pg_temp.extension_shape() s
 WHERE NOT EXISTS (SELECT FROM fresh f
                    WHERE f.object = s.object AND f.definition IS NOT DISTINCT FROM s.definition);
DROP EXTENSION provision;
CREATE EXTENSION provision;
SELECT extversion = default_version AS at_default_version
  FROM pg_extension JOIN pg_available_extensions ON name = extname
 WHERE extname = 'provision';
