-- Index models paired with live indexes: a partition's index model that
-- PostgreSQL attached to its parent's index, and two index models of the
-- same signature.
SET client_min_messages = warning;

-- a partition's index declared before its parent's: the parent's index
-- attaches it, and it is still the partition's index model's
SELECT * FROM provision_load($$CREATE SCHEMA ip;
CREATE TABLE ip.p (id int) PARTITION BY RANGE (id);
CREATE TABLE ip.p1 PARTITION OF ip.p FOR VALUES FROM (0) TO (10);
CREATE INDEX p1_id ON ip.p1 (id);$$);
SELECT * FROM provision_all();
SELECT * FROM provision_load($$CREATE INDEX p_id ON ip.p (id);$$);
SELECT * FROM provision_all();
SELECT c.relname, c.relispartition FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'ip.p1'::regclass ORDER BY 1;
SELECT change, object FROM provision_diff();
SELECT * FROM provision_migrate();

-- PostgreSQL refuses to drop it while it is attached
DROP INDEX ip.p1_id;
-- detached, dropped, attached again: PostgreSQL makes an index of its own
-- for the parent's, of the same signature, so the model has its index (by
-- signature, as for any index) and nothing is extra
ALTER TABLE ip.p DETACH PARTITION ip.p1;
DROP INDEX ip.p1_id;
ALTER TABLE ip.p ATTACH PARTITION ip.p1 FOR VALUES FROM (0) TO (10);
SELECT c.relname, c.relispartition FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'ip.p1'::regclass ORDER BY 1;
SELECT change, object FROM provision_diff();
-- detached: the partition's own index model is missing (the parent's
-- attached index went along with the partition)
ALTER TABLE ip.p DETACH PARTITION ip.p1;
SELECT table_name, change, object FROM provision_diff() ORDER BY 1, 2;
ALTER TABLE ip.p ATTACH PARTITION ip.p1 FOR VALUES FROM (0) TO (10);

-- two index models of the same signature: each finds the index of its name
SELECT * FROM provision_load($$CREATE TABLE ip.t (id int, k int);
CREATE INDEX a ON ip.t (k);
CREATE INDEX b ON ip.t (k);$$);
SELECT * FROM provision_all();
DROP INDEX ip.a;
SELECT change, object FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT change, object FROM provision_diff();
SELECT relname FROM pg_class WHERE relnamespace = 'ip'::regnamespace AND relname IN ('a', 'b') ORDER BY 1;
-- the other one gone: still its own name that is missing
DROP INDEX ip.b;
SELECT change, object FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT change, object FROM provision_diff();

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA ip CASCADE;
