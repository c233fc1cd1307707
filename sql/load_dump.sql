-- provision_load() of what pg_dump --schema-only writes: a database built
-- from test/fixtures/every_kind.sql (every kind provision models), dumped
-- by pg_dump 15 with owners, its preamble and \restrict lines.  Loaded
-- into this empty database, provisioned, compared and dumped back.
SET client_min_messages = notice;
\set script `cat test/fixtures/every_kind.dump.sql`

-- what pg_dump writes besides the models is listed, by kind and line
SELECT count(*) FROM provision_load(:'script');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- skipped with one NOTICE counting them by kind
SELECT kind, count(*) FROM provision_load(:'script', skip_unsupported => true)
GROUP BY kind ORDER BY kind;
SELECT kind, table_name FROM provision_models ORDER BY kind, table_name;

SELECT * FROM provision_all();
SELECT count(*) AS noop FROM provision_all() WHERE action <> 'exists';
SELECT * FROM provision_diff();

-- what was made, read from the catalogs
SELECT schemaname, indexname, indexdef FROM pg_indexes
WHERE schemaname IN ('shop', 'audit') ORDER BY 1, 2;
SELECT c.oid::regclass AS partition, i.inhparent::regclass AS parent,
       pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
WHERE c.relispartition AND c.relkind IN ('r', 'p') ORDER BY c.oid::regclass::text;
SELECT c.oid::regclass AS parent, pg_get_partkeydef(c.oid) AS key
FROM pg_class c WHERE c.relkind = 'p' ORDER BY c.oid::regclass::text;
SELECT t.oid::regtype AS type, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.oid ORDER BY t.oid::regtype::text;
SELECT t.oid::regtype AS domain, format_type(t.typbasetype, t.typtypmod) AS base,
       t.typnotnull, t.typdefault,
       (SELECT array_agg(conname || ': ' || pg_get_constraintdef(oid) ORDER BY conname)
        FROM pg_constraint WHERE contypid = t.oid AND contype <> 'n') AS checks  -- NOT NULL: typnotnull (a row here too from 17 on)
FROM pg_type t WHERE t.typtype = 'd' AND t.typnamespace = 'shop'::regnamespace ORDER BY t.oid::regtype::text;
SELECT schemaname, sequencename, data_type, start_value, increment_by, max_value, cache_size
FROM pg_sequences WHERE schemaname = 'shop' ORDER BY 2;
SELECT d.objid::regclass AS sequence, d.refobjid::regclass AS owned_by_table, d.refobjsubid AS owned_by_column
FROM pg_depend d
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i')
  AND d.objid IN (SELECT oid FROM pg_class WHERE relkind = 'S' AND relnamespace = 'shop'::regnamespace)
ORDER BY d.objid::regclass::text;
SELECT classoid::regclass AS catalog, objsubid, description FROM pg_description
WHERE description IN ('the shop', 'where an order is', 'money, two places', 'invoice numbers',
                      'everyone who buys', 'where to write', 'orders not yet shipped',
                      'everything that happened')
ORDER BY description;
SELECT conrelid::regclass AS table_name, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE contype = 'f' ORDER BY conrelid::regclass::text, conname;

-- the dump reads back to the same models
CREATE TEMP TABLE dumped AS SELECT provision_dump() AS script;
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
SELECT count(*) FROM provision_load((SELECT script FROM dumped));
SELECT provision_dump() = (SELECT script FROM dumped) AS round_trip_exact;
SELECT * FROM provision_diff();
-- and so does a dump of one schema
SELECT provision_dump('audit') ~ 'CREATE TABLE audit\.events ' AS has_audit,
       provision_dump('audit') !~ 'shop\.' AS only_audit;

-- the next release's pg_dump: an enum value in the middle, an index, a
-- partition; loaded over the models, shown as changes, migrated
SELECT kind, object, action FROM provision_load(
    replace(replace(:'script',
        $$'paid',$$, $$'paid',
    'refunded',$$),
        'CREATE INDEX sessions_customer', $$CREATE TABLE audit.events_2028 PARTITION OF audit.events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
CREATE INDEX orders_status ON shop.orders USING btree (status);
CREATE INDEX sessions_customer$$),
    skip_unsupported => true) WHERE action <> 'unchanged' ORDER BY 1, 2;
SELECT table_name, change, object, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT enum_range(NULL::shop.status);
SELECT * FROM provision_diff();

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
SET client_min_messages = warning;
DROP SCHEMA shop, audit CASCADE;
