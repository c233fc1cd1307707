-- provision_load() of the script it loaded last, unchanged, by the same
-- role with the same search_path, while no model changed since, returns
-- what it returned then without trying the script again.
SET client_min_messages = notice;
CREATE SCHEMA lc;
CREATE FUNCTION lc.seed() RETURNS integer LANGUAGE sql AS 'SELECT 7';
\set script 'CREATE SCHEMA lc; CREATE TABLE lc.t (id integer PRIMARY KEY, n integer DEFAULT lc.seed()); CREATE INDEX t_n ON lc.t (n); GRANT SELECT ON lc.t TO PUBLIC;'

SELECT * FROM provision_load(:'script', skip_unsupported => true);
-- the same again: unchanged, the same NOTICE
SELECT * FROM provision_load(:'script', skip_unsupported => true);

-- not tried again: a function the script uses, dropped since, goes unseen
-- (the models stay as declared) ...
DROP FUNCTION lc.seed();
SELECT * FROM provision_load(:'script', skip_unsupported => true);
-- ... until anything else differs: the flag, the search_path, the role,
-- or a model changed since
SELECT * FROM provision_load(:'script');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET search_path = lc, public;
SELECT * FROM provision_load(:'script', skip_unsupported => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET search_path;
CREATE FUNCTION lc.seed() RETURNS integer LANGUAGE sql AS 'SELECT 7';
SELECT * FROM provision_load(:'script', skip_unsupported => true);
SELECT provision_forget_object('index', 'lc.t_n');
SELECT * FROM provision_load(:'script', skip_unsupported => true);
SELECT * FROM provision_load(:'script', skip_unsupported => true);

-- a load rolled back leaves the one before it remembered (and the
-- models as they were)
BEGIN;
SELECT provision_forget_object('index', 'lc.t_n');
SELECT * FROM provision_load(:'script', skip_unsupported => true);
ROLLBACK;
SELECT count(*) AS models FROM provision_models WHERE schema_name = 'lc';
DROP FUNCTION lc.seed();
SELECT * FROM provision_load(:'script', skip_unsupported => true);

-- another role's load is its own
CREATE FUNCTION lc.seed() RETURNS integer LANGUAGE sql AS 'SELECT 7';
CREATE ROLE regress_lc;
GRANT provision_declarer TO regress_lc;
GRANT USAGE, CREATE ON SCHEMA lc TO regress_lc;
GRANT EXECUTE ON FUNCTION lc.seed() TO regress_lc;
SET ROLE regress_lc;
SELECT * FROM provision_load('CREATE TABLE lc.u (id integer)');
SELECT * FROM provision_load('CREATE TABLE lc.u (id integer)');
-- what provision remembers is nobody's to read or write
SELECT * FROM provision_loads;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM provision_loads;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT declared_by = current_user AS mine, cardinality(objects) AS objects
FROM provision_loads ORDER BY 2;

-- a remembered row provision did not write is ignored: the load runs
-- (and finds the function gone)
DROP FUNCTION lc.seed();
UPDATE provision_loads SET kinds = '{table}' WHERE declared_by = current_user;
SELECT * FROM provision_load(:'script', skip_unsupported => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE provision_loads SET kinds = '{schema,table,NULL}' WHERE declared_by = current_user;
SELECT * FROM provision_load(:'script', skip_unsupported => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- clean up
SELECT provision_forget('lc.t'), provision_forget('lc.u'), provision_forget_object('index', 'lc.t_n'),
       provision_forget_object('schema', 'lc');
DELETE FROM provision_loads;
DROP SCHEMA lc CASCADE;
REVOKE provision_declarer FROM regress_lc;
DROP ROLE regress_lc;
