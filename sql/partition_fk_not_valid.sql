-- A partition's NOT VALID foreign key added before its parent's equivalent
-- one: PostgreSQL 18 attaches it to the parent's, validated (pg_compat.h,
-- PROVISION_FK_ATTACHES_NOT_VALID; expected/partition_fk_not_valid_1.out);
-- before 18 it stays the partition's own, next to a clone of the parent's.
-- Either way the load reads back what the server made: no drift, and the
-- dump loads to the same models.
SET client_min_messages = warning;
SELECT set_config('fv.script', $$CREATE SCHEMA fv;
CREATE TABLE fv.r (id int PRIMARY KEY);
CREATE TABLE fv.p (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE fv.p1 PARTITION OF fv.p FOR VALUES FROM (0) TO (10);
CREATE TABLE fv.p2 PARTITION OF fv.p FOR VALUES FROM (10) TO (20);
ALTER TABLE ONLY fv.p1 ADD CONSTRAINT p1_nv FOREIGN KEY (v) REFERENCES fv.r (id) NOT VALID;
ALTER TABLE fv.p ADD CONSTRAINT fk FOREIGN KEY (v) REFERENCES fv.r (id);$$, false) IS NOT NULL AS set;
DO $d$ BEGIN EXECUTE current_setting('fv.script'); END $d$;
SELECT conrelid::regclass, conname, conparentid <> 0 AS parents, convalidated FROM pg_constraint
WHERE connamespace = 'fv'::regnamespace AND contype = 'f' ORDER BY 1, 2;
SELECT * FROM provision_load(current_setting('fv.script')) ORDER BY kind, object;
SELECT table_name, definition FROM provision_models WHERE schema_name = 'fv' ORDER BY 1;
SELECT * FROM provision_diff() WHERE table_name LIKE 'fv.%';
SELECT provision_dump('fv');
SELECT count(*) FROM provision_load(provision_dump('fv'));
-- made from the models: the same foreign keys, and no drift
DROP SCHEMA fv CASCADE;
SELECT * FROM provision_all() WHERE table_name LIKE 'fv.%' ORDER BY 1;
SELECT conrelid::regclass, conname, conparentid <> 0 AS parents, convalidated FROM pg_constraint
WHERE connamespace = 'fv'::regnamespace AND contype = 'f' ORDER BY 1, 2;
SELECT * FROM provision_diff() WHERE table_name LIKE 'fv.%';

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA fv CASCADE;
