-- A partition's own column defaults (pg_dump's ALTER TABLE ONLY partition
-- ALTER COLUMN ... SET DEFAULT) and NOT NULL: declared, created, compared
-- and dumped alike; the defaults it takes from its parent stay its
-- parent's, as do the foreign keys PostgreSQL attaches to its parent's.
SET client_min_messages = warning;

SELECT * FROM provision_load($$CREATE SCHEMA pd;
CREATE TABLE pd.p (id int, v int, w int DEFAULT 1) PARTITION BY RANGE (id);
CREATE TABLE pd.p1 PARTITION OF pd.p FOR VALUES FROM (0) TO (10);
CREATE TABLE pd.p2 PARTITION OF pd.p FOR VALUES FROM (10) TO (20);
ALTER TABLE ONLY pd.p1 ALTER COLUMN v SET DEFAULT 5;$$);
SELECT table_name, definition FROM provision_models WHERE kind = 'partition' ORDER BY 1;
SELECT * FROM provision_all();
SELECT adrelid::regclass, a.attname, pg_get_expr(adbin, adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE adrelid::regclass::text LIKE 'pd.%' ORDER BY 1, 2;
SELECT * FROM provision_diff();
SELECT provision_dump('pd');
SELECT * FROM provision_load(provision_dump('pd'));

-- the partition's own default dropped: drift, migrated back
ALTER TABLE pd.p1 ALTER COLUMN v DROP DEFAULT;
SELECT table_name, change, object, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT * FROM provision_diff();

-- the parent's defaults change: its partitions follow (ALTER TABLE of the
-- parent carries them), p1's own too: put back by the next migration
SELECT * FROM provision_load($$CREATE TABLE pd.p (id int, v int DEFAULT 3, w int DEFAULT 2) PARTITION BY RANGE (id);$$);
SELECT * FROM provision_migrate();
SELECT table_name, change, object, declared, actual FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT * FROM provision_diff();
SELECT adrelid::regclass, a.attname, pg_get_expr(adbin, adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE adrelid::regclass::text LIKE 'pd.%' ORDER BY 1, 2;

-- a capture of the partitioned table keeps the partition's own default only
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT provision_capture('pd.p');
SELECT table_name, definition FROM provision_models WHERE kind = 'partition' ORDER BY 1;
SELECT * FROM provision_diff();

-- a partition's own NOT NULL (K9): CREATE TABLE ... PARTITION OF parent
-- (v NOT NULL), or pg_dump's partition created apart and attached, on a
-- column its parent leaves nullable; declared, created, compared and dumped
-- alike, so that the dump reads back to the same models
SELECT * FROM provision_load($$CREATE SCHEMA pn;
CREATE TABLE pn.p (id int, v int, w int NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE pn.p1 PARTITION OF pn.p (v NOT NULL) FOR VALUES FROM (0) TO (10);
CREATE TABLE pn.p2 PARTITION OF pn.p (v DEFAULT 2 NOT NULL, CHECK (v > 0)) FOR VALUES FROM (10) TO (20);
CREATE TABLE pn.p3 PARTITION OF pn.p (PRIMARY KEY (id)) FOR VALUES FROM (20) TO (30);
CREATE TABLE pn.p4 (id int NOT NULL, v int, w int NOT NULL);
ALTER TABLE ONLY pn.p ATTACH PARTITION pn.p4 FOR VALUES FROM (30) TO (40);
CREATE TABLE pn.p5 PARTITION OF pn.p (id NOT NULL) DEFAULT PARTITION BY LIST (v);
CREATE TABLE pn.p5a PARTITION OF pn.p5 (v NOT NULL) FOR VALUES IN (1);
CREATE TABLE pn.p5b PARTITION OF pn.p5 FOR VALUES IN (2);$$);
SELECT table_name, definition FROM provision_models WHERE schema_name = 'pn' ORDER BY 1;
SELECT provision_dump('pn');
SELECT * FROM provision_load(provision_dump('pn'));
SELECT * FROM provision_all();
SELECT attrelid::regclass, attname FROM pg_attribute
WHERE attrelid::regclass::text LIKE 'pn.%' AND attnum > 0 AND attnotnull ORDER BY 1, 2;
SELECT * FROM provision_diff();
-- the partition's own NOT NULL dropped: drift, migrated back
ALTER TABLE pn.p1 ALTER COLUMN v DROP NOT NULL;
SELECT table_name, change, object, declared, actual, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT * FROM provision_diff();

-- a stored partition the script works on is made under its stored parent
-- when the script works on that too (K9): a constraint of the parent's name
-- with another definition is refused as PostgreSQL refuses it (42710),
-- instead of two models that no dump could make (before: both declared,
-- the dump did not read back); the same definition merges into the parent's
SELECT * FROM provision_load($$ALTER TABLE pn.p1 ADD CONSTRAINT ck CHECK (v > 1);
ALTER TABLE pn.p ADD CONSTRAINT ck CHECK (v > 0);$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ALTER TABLE pn.p1 ADD CONSTRAINT ck CHECK (v > 0);
ALTER TABLE pn.p ADD CONSTRAINT ck CHECK (v > 0);$$);
SELECT table_name, definition FROM provision_models WHERE table_name IN ('pn.p', 'pn.p1') ORDER BY 1;
SELECT * FROM provision_load(provision_dump('pn')) WHERE action <> 'unchanged';

-- a partition's foreign key that PostgreSQL makes its parent's (K9): one
-- equivalent to a parent's, added before it or before the partition is
-- attached, is attached to the parent's, which a capture does not show; one
-- added after stays the partition's own (and a NOT VALID one added before,
-- until 18: see partition_fk_not_valid).  The script, run as
-- DDL, then loaded: no drift; its dump repeats none of the parent's (before:
-- ALTER TABLE pf.p1 ADD CONSTRAINT fk ..., 42710 when provisioned)
SELECT set_config('pf.script', $$CREATE SCHEMA pf;
CREATE TABLE pf.r (id int PRIMARY KEY);
CREATE TABLE pf.p (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE pf.p1 PARTITION OF pf.p FOR VALUES FROM (0) TO (10) PARTITION BY LIST (v);
CREATE TABLE pf.p11 PARTITION OF pf.p1 FOR VALUES IN (1);
CREATE TABLE pf.p2 PARTITION OF pf.p FOR VALUES FROM (10) TO (20);
CREATE TABLE pf.p3 PARTITION OF pf.p FOR VALUES FROM (20) TO (30);
ALTER TABLE ONLY pf.p11 ADD CONSTRAINT p11_fk FOREIGN KEY (v) REFERENCES pf.r (id);
ALTER TABLE pf.p1 ADD CONSTRAINT fk FOREIGN KEY (v) REFERENCES pf.r (id);
ALTER TABLE pf.p ADD CONSTRAINT fk FOREIGN KEY (v) REFERENCES pf.r (id);
ALTER TABLE ONLY pf.p3 ADD CONSTRAINT p3_nv FOREIGN KEY (v) REFERENCES pf.r (id) NOT VALID;
ALTER TABLE ONLY pf.p2 ADD CONSTRAINT p2_fk FOREIGN KEY (v) REFERENCES pf.r (id);
ALTER TABLE ONLY pf.p2 ADD CONSTRAINT p2_cascade FOREIGN KEY (v) REFERENCES pf.r (id) ON DELETE CASCADE;
CREATE TABLE pf.p4 (id int, v int, CONSTRAINT p4_fk FOREIGN KEY (v) REFERENCES pf.r (id));
ALTER TABLE ONLY pf.p ATTACH PARTITION pf.p4 FOR VALUES FROM (30) TO (40);
CREATE TABLE pf.p5 PARTITION OF pf.p (CONSTRAINT p5_fk FOREIGN KEY (v) REFERENCES pf.r (id)) FOR VALUES FROM (40) TO (50);$$, false) IS NOT NULL AS set;
DO $d$ BEGIN EXECUTE current_setting('pf.script'); END $d$;
SELECT conrelid::regclass, conname, conparentid <> 0 AS parents, convalidated FROM pg_constraint
WHERE connamespace = 'pf'::regnamespace AND contype = 'f' ORDER BY 1, 2;
SELECT * FROM provision_load(current_setting('pf.script'));
SELECT table_name, definition FROM provision_models WHERE schema_name = 'pf' ORDER BY 1;
SELECT * FROM provision_diff() WHERE table_name LIKE 'pf.%';
SELECT provision_dump('pf');
SELECT * FROM provision_load(provision_dump('pf'));
-- made from the models: the same foreign keys
DROP SCHEMA pf CASCADE;
SELECT * FROM provision_all() WHERE table_name LIKE 'pf.%';
SELECT conrelid::regclass, conname, conparentid <> 0 AS parents, convalidated FROM pg_constraint
WHERE connamespace = 'pf'::regnamespace AND contype = 'f' ORDER BY 1, 2;
SELECT * FROM provision_diff() WHERE table_name LIKE 'pf.%';

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA pd CASCADE;
DROP SCHEMA pn, pf CASCADE;
