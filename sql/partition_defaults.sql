-- A partition's own column defaults (pg_dump's ALTER TABLE ONLY partition
-- ALTER COLUMN ... SET DEFAULT): declared, created, compared and dumped
-- alike; the defaults it takes from its parent stay its parent's.
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

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA pd CASCADE;
