-- Whole schemas: every change kind of the other kinds that the schemas
-- suite does not reach, each reported, planned, and migrated or refused
-- with its SQLSTATE.
SET client_min_messages = warning;

SELECT count(*) FROM provision_load($$
CREATE SCHEMA sc;
CREATE TYPE sc.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN sc.pct AS integer DEFAULT 0 NOT NULL CONSTRAINT pct_range CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN sc.code AS text COLLATE "C";
CREATE SEQUENCE sc.ticket START 10;
CREATE TABLE sc.t (id integer PRIMARY KEY, m sc.mood, p sc.pct, c sc.code, n bigint DEFAULT nextval('sc.ticket'));
CREATE TABLE sc.ev (id integer, at integer NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE sc.ev_a PARTITION OF sc.ev FOR VALUES FROM (0) TO (100);
CREATE TABLE sc.ev_b PARTITION OF sc.ev FOR VALUES FROM (100) TO (200);
CREATE TABLE sc.other (id integer, at integer NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX t_m ON sc.t (m);
$$);

-- nothing exists yet: each kind is missing, in creation order
SELECT table_name, change, object, safe FROM provision_diff();
SELECT * FROM provision_plan();
SELECT count(*) FROM provision_migrate();
SELECT * FROM provision_diff();

-- a domain's default changed by hand: safe
ALTER DOMAIN sc.pct SET DEFAULT 5;
SELECT table_name, change, object, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();

-- NOT NULL dropped by hand: setting it again may fail on a NULL, unsafe
ALTER DOMAIN sc.pct DROP NOT NULL;
SELECT table_name, change, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_migrate(allow_destructive => true);

-- a check of the domain replaced, and one added, by hand
ALTER DOMAIN sc.pct DROP CONSTRAINT pct_range;
ALTER DOMAIN sc.pct ADD CONSTRAINT pct_range CHECK (VALUE BETWEEN 0 AND 1000);
ALTER DOMAIN sc.pct ADD CONSTRAINT pct_even CHECK (VALUE % 2 = 0);
SELECT table_name, change, object, declared, actual, safe FROM provision_diff() ORDER BY change;
SELECT * FROM provision_plan();
SELECT * FROM provision_migrate(allow_destructive => true);
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = 'sc.pct'::regtype AND contype <> 'n';  -- NOT NULL rows from 17 on

-- the model says NULL where the domain says NOT NULL: dropping is safe
SELECT count(*) FROM provision_load($$
CREATE DOMAIN sc.pct AS integer DEFAULT 0 CONSTRAINT pct_range CHECK (VALUE BETWEEN 0 AND 100);
$$);
SELECT table_name, change, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();

-- a domain's collation, an enum's order, a partition key: refused
SELECT count(*) FROM provision_load($$
CREATE DOMAIN sc.code AS text COLLATE "POSIX";
CREATE TYPE sc.mood AS ENUM ('sad', 'happy', 'ok');
CREATE TABLE sc.other (id integer, at integer NOT NULL) PARTITION BY LIST (at);
$$);
SELECT table_name, change, object, declared, actual, safe, ddl FROM provision_diff() ORDER BY change;
SELECT * FROM provision_migrate(allow_destructive => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM provision_load($$
CREATE DOMAIN sc.code AS text COLLATE "C";
CREATE TYPE sc.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE sc.other (id integer, at integer NOT NULL) PARTITION BY RANGE (at);
$$);
SELECT * FROM provision_diff();

-- a standalone sequence given an owner by hand: its model has none, safe
ALTER SEQUENCE sc.ticket OWNED BY sc.t.n;
SELECT table_name, change, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT count(*) AS owned FROM pg_depend
WHERE objid = 'sc.ticket'::regclass AND refobjid = 'sc.t'::regclass AND deptype = 'a';

-- a partition's bound changed, and another moved to another parent
INSERT INTO sc.ev VALUES (1, 50), (2, 150);
ALTER TABLE sc.ev DETACH PARTITION sc.ev_b;
ALTER TABLE sc.ev ATTACH PARTITION sc.ev_b FOR VALUES FROM (100) TO (300);
ALTER TABLE sc.ev DETACH PARTITION sc.ev_a;
ALTER TABLE sc.other ATTACH PARTITION sc.ev_a FOR VALUES FROM (0) TO (100);
SELECT table_name, change, declared, actual, safe FROM provision_diff() ORDER BY 1;
SELECT * FROM provision_migrate();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_migrate(allow_destructive => true);
SELECT c.oid::regclass, i.inhparent::regclass, pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE c.relnamespace = 'sc'::regnamespace ORDER BY c.oid::regclass::text;
SELECT * FROM sc.ev ORDER BY id;
SELECT * FROM provision_diff();

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA sc CASCADE;
