-- The upgrade path: models declared at 1.0 (and the grants that gave the
-- declare right then) carried to the current version by ALTER EXTENSION
-- UPDATE, and working there.
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
SELECT extversion FROM pg_extension WHERE extname = 'provision';

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
SELECT executed_by, run_as, online, table_name, statement FROM provision_history;

-- every object of the extension is a member of it
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'provision')
 ORDER BY 1;

-- a fresh install at the default version equals 1.0 updated
DROP EXTENSION provision;
CREATE EXTENSION provision;
SELECT extversion FROM pg_extension WHERE extname = 'provision';
DROP SCHEMA up CASCADE;
REVOKE provision_declarer FROM regress_up_declarer;
DROP ROLE regress_up_declarer;
