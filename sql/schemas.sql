-- Whole schemas: a script of DDL declares schemas, enum types, domains,
-- sequences, tables with their partitioning, indexes and comments as
-- models; provision_all() creates them in dependency order; drift and
-- migration cover every kind; provision_dump() writes them back.
SET client_min_messages = notice;
SELECT coalesce(max(id), 0) AS history_mark FROM provision_history \gset

-- the way a person writes a schema.sql, with pg_dump's preamble and its
-- \restrict lines, and statements provision does not model
SELECT * FROM provision_load($script$
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
\restrict Ab12
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'the shop';
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
COMMENT ON TYPE shop.status IS 'where an order is';
CREATE DOMAIN shop.price AS numeric(12,2) DEFAULT 0 NOT NULL CHECK (VALUE >= 0);
CREATE SEQUENCE shop.invoice_no START 1000 INCREMENT 10;
CREATE TABLE shop.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text,
    tags text[] DEFAULT '{}'
);
COMMENT ON TABLE shop.customers IS 'who buys';
COMMENT ON COLUMN shop.customers.email IS 'where to write';
CREATE TABLE shop.orders (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL,
    status shop.status NOT NULL DEFAULT 'new',
    total shop.price,
    invoice bigint DEFAULT nextval('shop.invoice_no')
);
ALTER TABLE ONLY shop.orders ADD CONSTRAINT orders_customer_fk
    FOREIGN KEY (customer_id) REFERENCES shop.customers (id) ON DELETE CASCADE;
CREATE TABLE shop.events (id bigint, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.events_rest PARTITION OF shop.events DEFAULT;
CREATE INDEX customers_lower_email ON shop.customers (lower(email));
CREATE INDEX orders_open ON shop.orders (customer_id) WHERE status <> 'shipped';
CREATE UNIQUE INDEX orders_invoice ON shop.orders (invoice) INCLUDE (total);
CREATE INDEX customers_tags ON shop.customers USING gin (tags);
CREATE INDEX events_at ON shop.events (at DESC);
COMMENT ON INDEX shop.orders_open IS 'orders not yet shipped';
CREATE FUNCTION shop.total_of(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT 0';
CREATE VIEW shop.open_orders AS SELECT 1 AS one;
ALTER TABLE shop.orders OWNER TO CURRENT_USER;
GRANT SELECT ON shop.orders TO PUBLIC;
\unrestrict Ab12
$script$, skip_unsupported => true);

SELECT kind, table_name FROM provision_models ORDER BY kind, table_name;

-- created in dependency order, each kind once
SELECT * FROM provision_all();
SELECT statement FROM provision_history WHERE id > :history_mark ORDER BY id;
-- a no-op on the next deploy, and nothing differs
SELECT * FROM provision_all();
SELECT * FROM provision_diff();

-- the same script loaded again: every model unchanged
SELECT action, count(*) FROM provision_load(provision_dump('shop')) GROUP BY 1;

-- the model changes: a label, an index, a comment, a sequence option,
-- a domain check, a partition
SELECT * FROM provision_load($script$
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'packed', 'shipped', 'returned');
COMMENT ON TYPE shop.status IS 'where an order is';
CREATE DOMAIN shop.price AS numeric(12,2) DEFAULT 0 NOT NULL CHECK (VALUE >= 0) CHECK (VALUE < 1000000);
CREATE SEQUENCE shop.invoice_no START 1000 INCREMENT 5;
CREATE INDEX orders_status ON shop.orders (status);
COMMENT ON TABLE shop.customers IS 'everyone who buys';
CREATE TABLE shop.events_2027 PARTITION OF shop.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
$script$);
SELECT table_name, change, object, declared, actual, safe FROM provision_diff() ORDER BY 1, 2, 3;
SELECT * FROM provision_plan();
SELECT * FROM provision_migrate();
SELECT * FROM provision_diff();
SELECT enum_range(NULL::shop.status);

-- what is not in the model: reported, unsafe, refused without the flag
CREATE INDEX customers_name ON shop.customers (name);
CREATE TABLE shop.events_2028 PARTITION OF shop.events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
ALTER TYPE shop.status ADD VALUE 'lost';
COMMENT ON INDEX shop.customers_tags IS 'not in the model';
SELECT table_name, change, object, safe, ddl FROM provision_diff() ORDER BY 1, 2, 3;
SELECT * FROM provision_migrate();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- an extra enum label cannot be removed in place: refused even with the flag
SELECT * FROM provision_migrate(allow_destructive => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- declared as it is now, the rest is applied
SELECT action FROM provision_load($$
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'packed', 'shipped', 'returned', 'lost');
COMMENT ON TYPE shop.status IS 'where an order is';
$$);
SELECT * FROM provision_migrate(allow_destructive => true);
SELECT * FROM provision_diff();

-- a domain's base type, a partition key: cannot change in place
SELECT action FROM provision_load($$ CREATE DOMAIN shop.price AS numeric(14,2) DEFAULT 0 NOT NULL CHECK (VALUE >= 0) CHECK (VALUE < 1000000); $$);
SELECT table_name, change, safe, ddl FROM provision_diff();
SELECT action FROM provision_load($$ CREATE DOMAIN shop.price AS numeric(12,2) DEFAULT 0 NOT NULL CHECK (VALUE >= 0) CHECK (VALUE < 1000000); $$);

-- the dump reads back to the same models
CREATE TEMP TABLE dumped AS SELECT provision_dump() AS script;
-- (by name: a parent before its partitions, which it forgets with it)
SELECT table_name, provision_forget(table_name)
  FROM (SELECT table_name FROM provision_models
         WHERE kind IN ('table', 'partition') ORDER BY table_name) m;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
SELECT count(*) AS models FROM provision_models;
SELECT count(*) AS declared FROM provision_load((SELECT script FROM dumped));
SELECT provision_dump() = (SELECT script FROM dumped) AS round_trip_exact;
SELECT * FROM provision_diff();
SELECT script FROM dumped;

-- a whole schema captured from the catalogs: the same models
-- (by name: a parent before its partitions, which it forgets with it)
SELECT table_name, provision_forget(table_name)
  FROM (SELECT table_name FROM provision_models
         WHERE kind IN ('table', 'partition') ORDER BY table_name) m;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
-- (the partition detached above is a plain table now; out of the way)
DROP TABLE shop.events_2028;
SELECT kind, object, action FROM provision_capture_schema('shop') ORDER BY 1, 2;
-- the same script, except that a capture names the constraints it found
SELECT l FROM regexp_split_to_table(provision_dump(), E'\n') l EXCEPT SELECT l FROM regexp_split_to_table((SELECT script FROM dumped), E'\n') l;
SELECT l FROM regexp_split_to_table((SELECT script FROM dumped), E'\n') l EXCEPT SELECT l FROM regexp_split_to_table(provision_dump(), E'\n') l;
SELECT * FROM provision_diff();
-- COMMENT ON TYPE names a domain too
SELECT kind, object, action FROM provision_load($$ COMMENT ON TYPE shop.price IS 'money, two places'; $$);
SELECT table_name, change, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT obj_description('shop.price'::regtype, 'pg_type');

-- an index changed after a diff has seen it is seen changed by the next
SELECT count(*) FROM provision_diff();
ALTER INDEX shop.orders_status SET (fillfactor = 70);
SELECT table_name, change, object, declared, actual, safe FROM provision_diff();
ALTER INDEX shop.orders_status RESET (fillfactor);
SELECT count(*) FROM provision_diff();
ALTER TABLE shop.orders RENAME COLUMN status TO state;
SELECT table_name, change, object, safe FROM provision_diff() WHERE change LIKE 'index%';
ALTER TABLE shop.orders RENAME COLUMN state TO status;
SELECT count(*) FROM provision_diff();

-- provision_table() of one table creates its indexes too
DROP TABLE shop.orders;
SELECT provision_table('shop.orders');
SELECT indexname FROM pg_indexes WHERE tablename = 'orders' ORDER BY 1;

-- bad scripts: an error naming the line, nothing declared
SELECT count(*) AS models_before FROM provision_models \gset
SELECT * FROM provision_load($$
CREATE TABLE shop.a (id integer);
CREATE TABLE shop.b (x shop.nosuch);
$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$
CREATE TABLE shop.a (id integer);
CREATE INDEX ON shop.a (nosuch);
$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE INDEX ON public.not_a_model (id); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TABLE shop.p PARTITION OF public.no_model FOR VALUES IN (1); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ COMMENT ON TABLE shop.nothing IS 'x'; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ COMMENT ON TYPE shop.nothing IS 'x'; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ COMMENT ON SCHEMA nothing IS 'x'; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$
CREATE TABLE shop.a (id integer);
CREATE TABLE shop.b (id integer;
$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$
CREATE TABLE shop.a (id integer);
CREATE FUNCTION shop.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW shop.v AS SELECT 1;
GRANT SELECT ON shop.a TO PUBLIC;
$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TABLE shop.a (id integer); CREATE TABLE shop.a (id integer); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TABLE shop.c (id integer) INHERITS (shop.customers); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE UNLOGGED TABLE shop.c (id integer); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TABLE pg_catalog.c (id integer); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ ALTER SEQUENCE shop.invoice_no RESTART; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :models_before AS nothing_declared FROM provision_models;
SELECT provision_forget_object('view', 'shop.x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget_object('enum', 'shop.nothing');

-- without the declare right
CREATE ROLE regress_schemas;
SET ROLE regress_schemas;
SELECT * FROM provision_load('CREATE TABLE shop.x (id integer)');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_capture_schema('shop');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_forget_object('enum', 'shop.status');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_schemas;


-- one name, one kind of model (fuzz K11): tables, partitions, sequences
-- and indexes share the relation names of a schema (42P07); enum types,
-- domains and tables' row types, its type names (42710)
CREATE SCHEMA kinds;
SELECT provision_define('kinds.x', 'id integer');
SELECT * FROM provision_load($$ CREATE SEQUENCE kinds.x; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TYPE kinds.x AS ENUM ('a'); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE SEQUENCE kinds.s; CREATE TYPE kinds.e AS ENUM ('a');
    CREATE TABLE kinds.u (id integer); CREATE INDEX ui ON kinds.u (id);
    CREATE TABLE kinds.p (id integer) PARTITION BY LIST (id);
    CREATE TABLE kinds.p1 PARTITION OF kinds.p FOR VALUES IN (1); $$);
SELECT provision_define('kinds.s', 'id integer');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_table('kinds.ui', 'id integer');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('kinds.e', 'id integer');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE DOMAIN kinds.e AS integer; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE TYPE kinds.p1 AS ENUM ('a'); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE SEQUENCE kinds.p1; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE INDEX x ON kinds.u (id); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE INDEX s ON kinds.u (id); $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$ CREATE SEQUENCE kinds.ui; $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a capture declares through the same check
CREATE TABLE kinds.s (id integer);
SELECT * FROM provision_capture('kinds.s');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE kinds.s;
-- the same kind is replaced, as always
SELECT * FROM provision_load($$ CREATE SEQUENCE kinds.s INCREMENT BY 2; $$);
SELECT provision_define('kinds.x', 'id integer, v integer');
SELECT table_name, kind FROM provision_models WHERE table_name LIKE 'kinds.%' ORDER BY 1, 2;
-- once forgotten, the name is free for another kind
SELECT provision_forget_object('sequence', 'kinds.s');
SELECT provision_define('kinds.s', 'id integer');
SELECT provision_dump('kinds');

-- forgetting a table forgets the models of its indexes and of the
-- sequences OWNED BY its columns (fuzz K21), not those of other tables
SELECT * FROM provision_load($$ CREATE TABLE kinds.t (id integer, n bigint);
    CREATE INDEX ti ON kinds.t (id);
    CREATE SEQUENCE kinds.owned OWNED BY kinds.t.id;
    CREATE SEQUENCE kinds.free;
    CREATE TABLE kinds.v (id integer);
    CREATE SEQUENCE kinds.elsewhere OWNED BY kinds.v.id; $$);
SELECT provision_forget('kinds.t');
SELECT table_name, kind FROM provision_models WHERE table_name LIKE 'kinds.%' ORDER BY 1, 2;
SELECT provision_dump('kinds');
SELECT provision_forget(table_name) FROM provision_models
 WHERE kind IN ('table', 'partition') AND table_name LIKE 'kinds.%' ORDER BY 1;
SELECT provision_forget_object(kind, table_name) FROM provision_models
 WHERE table_name LIKE 'kinds%' ORDER BY kind, table_name;
DROP SCHEMA kinds;

-- clean up
-- (by name: a parent before its partitions, which it forgets with it)
SELECT table_name, provision_forget(table_name)
  FROM (SELECT table_name FROM provision_models
         WHERE kind IN ('table', 'partition') ORDER BY table_name) m;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
DROP SCHEMA shop CASCADE;
