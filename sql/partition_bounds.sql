-- A partition declared in one load is checked against its parent's
-- partition models declared in others: the server's own error, when
-- declared, not when provision_all() makes them.
SET client_min_messages = warning;

SELECT * FROM provision_load($$CREATE SCHEMA pb;
CREATE TABLE pb.p (id int) PARTITION BY LIST (id);
CREATE TABLE pb.d1 PARTITION OF pb.p DEFAULT;
CREATE TABLE pb.l1 PARTITION OF pb.p FOR VALUES IN (1, 2);
CREATE TABLE pb.r (id int) PARTITION BY RANGE (id);
CREATE TABLE pb.r1 PARTITION OF pb.r FOR VALUES FROM (0) TO (10);$$);

-- (terse: from 14 on the server points at the bound, and the context is
-- the line of the bound; 13 gives no position: the statement's line)
\set VERBOSITY terse
-- a second DEFAULT partition
SELECT * FROM provision_load($$CREATE TABLE pb.d2 PARTITION OF pb.p DEFAULT;$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a list value another partition has
SELECT * FROM provision_load($$CREATE TABLE pb.l2 PARTITION OF pb.p FOR VALUES IN (2, 3);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- overlapping ranges, by PARTITION OF and by ATTACH PARTITION
SELECT * FROM provision_load($$CREATE TABLE pb.r2 PARTITION OF pb.r FOR VALUES FROM (5) TO (20);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$CREATE TABLE pb.r2 (id int);
ALTER TABLE pb.r ATTACH PARTITION pb.r2 FOR VALUES FROM (5) TO (20);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- the parent declared again without partitioning, under its partition models
SELECT * FROM provision_load($$CREATE TABLE pb.r (id int);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- or with another partitioning strategy
SELECT * FROM provision_load($$CREATE TABLE pb.p (id int) PARTITION BY HASH (id);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT table_name, kind FROM provision_models WHERE table_name LIKE 'pb.%' ORDER BY 1;

-- what fits is declared: another range, a partition declared again with
-- another bound, the parent declared again with its partitions' key
SELECT * FROM provision_load($$CREATE TABLE pb.r2 PARTITION OF pb.r FOR VALUES FROM (10) TO (20);$$);
SELECT * FROM provision_load($$CREATE TABLE pb.d1 PARTITION OF pb.p FOR VALUES IN (3);
CREATE TABLE pb.d2 PARTITION OF pb.p DEFAULT;$$);
SELECT * FROM provision_load($$CREATE TABLE pb.r (id int) PARTITION BY RANGE (id);$$);
SELECT * FROM provision_load(provision_dump('pb'));
SELECT * FROM provision_all();
SELECT c.oid::regclass, i.inhparent::regclass, pg_get_expr(c.relpartbound, c.oid)
FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE c.relnamespace = 'pb'::regnamespace ORDER BY c.oid::regclass::text;
SELECT * FROM provision_diff();

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA pb CASCADE;
