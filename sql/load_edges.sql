-- provision_load() edge cases the fuzzer found
SET client_min_messages = notice;

-- a backslash at the start of a line inside a literal is the literal's:
-- only psql's meta-command lines (\restrict, which pg_dump writes) are blanked
SELECT * FROM provision_load($$CREATE SCHEMA le;
\restrict abc123
CREATE TABLE le.t (id int, note text DEFAULT 'a
\b');
COMMENT ON TABLE le.t IS 'line
\restrict inside';
COMMENT ON COLUMN le.t.id IS E'x\'
\still inside';
COMMENT ON COLUMN le.t.note IS $q$
\inside too$q$;
/* a comment
\inside a comment */
\unrestrict abc123
$$) ORDER BY kind, object;
SELECT provision_dump('le');
-- and the dump reads back to the same models
SELECT * FROM provision_load(provision_dump('le')) ORDER BY kind, object;
SELECT * FROM provision_all();
SELECT obj_description('le.t'::regclass, 'pg_class') AS comment,
       col_description('le.t'::regclass, 1) AS id_comment,
       col_description('le.t'::regclass, 2) AS note_comment;

-- an empty search_path (everything qualified) or a temporary schema first
SET search_path = '';
SELECT * FROM public.provision_load($$CREATE TABLE le.s (id serial PRIMARY KEY)$$);
SET search_path = pg_temp, public;
SELECT * FROM public.provision_load($$CREATE TABLE le.s2 (id serial PRIMARY KEY)$$);
SELECT * FROM public.provision_load($$CREATE TABLE s3 (id serial PRIMARY KEY)$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET search_path;

-- a sequence owned by a serial column that is not that column's own
-- sequence is a model of its own
SELECT * FROM provision_load($$CREATE TABLE le.a (id serial);
CREATE SEQUENCE le.shared;
ALTER SEQUENCE le.shared OWNED BY le.a.id;
CREATE TABLE le.b (id bigint DEFAULT nextval('le.shared'))$$) ORDER BY kind, object;
SELECT * FROM provision_all();
-- (the column's default names its own sequence; pg_get_serial_sequence()
-- would pick either of the two sequences the column owns)
SELECT pg_get_expr(d.adbin, d.adrelid) AS own_default, to_regclass('le.shared') IS NOT NULL AS shared_made
  FROM pg_attrdef d WHERE d.adrelid = 'le.a'::regclass;
SELECT * FROM provision_diff();

-- a column of another model's row type (or an array of it), a default that
-- names another model: created and dumped after it, whatever the names
SELECT * FROM provision_load($$CREATE SCHEMA rt;
CREATE TABLE rt.z (id int);
CREATE TABLE rt.a (id int, r rt.z, rs rt.z[], c regclass DEFAULT 'rt.z'::regclass);
CREATE TABLE rt."Q q" (id int);
CREATE TABLE rt.b (x rt."Q q")$$) ORDER BY kind, object;
SELECT provision_dump('rt');
SELECT * FROM provision_all() WHERE table_name LIKE 'rt.%';

-- two key constraints on the same columns, as ALTER TABLE can add them:
-- one CREATE TABLE would merge them, so a model cannot keep both
SELECT * FROM provision_load($$CREATE TABLE le.k (id int PRIMARY KEY);
ALTER TABLE le.k ADD CONSTRAINT k_u UNIQUE (id)$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE le.live (id int PRIMARY KEY, b int);
ALTER TABLE le.live ADD CONSTRAINT live_b1 UNIQUE (b), ADD CONSTRAINT live_b2 UNIQUE (b);
SELECT provision_capture('le.live');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- as a unique index it is a model of its own
ALTER TABLE le.live DROP CONSTRAINT live_b2;
CREATE UNIQUE INDEX live_b2 ON le.live (b);
SELECT provision_capture('le.live');
SELECT * FROM provision_diff('le.live');

-- keys that ALTER TABLE adds, as pg_dump writes them: on NOT NULL
-- columns, a deferrable unique key and an exclusion constraint, the trial
-- only creates their indexes; on a nullable column the primary key makes it
-- NOT NULL, as ALTER TABLE does
SELECT * FROM provision_load($$CREATE TABLE le.ka (id int NOT NULL, b int, c box);
CREATE TABLE le.kb (id int, b int);
ALTER TABLE ONLY le.ka ADD CONSTRAINT ka_pkey PRIMARY KEY (id);
ALTER TABLE ONLY le.ka ADD CONSTRAINT ka_b UNIQUE (b) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT ka_c EXCLUDE USING gist (c WITH &&);
ALTER TABLE le.kb ADD PRIMARY KEY (id, b)$$) ORDER BY kind, object;
SELECT line FROM regexp_split_to_table(provision_dump('le'), E'\n') line WHERE line LIKE '%le.k%';
SELECT * FROM provision_all() WHERE table_name LIKE 'le.k%';
SELECT * FROM provision_diff() WHERE table_name LIKE 'le.k%';
SELECT count(provision_forget(t)) FROM unnest(ARRAY['le.ka', 'le.kb']) t;
-- what ALTER TABLE refuses, refused by the load with its line
SELECT * FROM provision_load($$CREATE TABLE le.kc (id int NOT NULL);
ALTER TABLE le.kc ADD PRIMARY KEY (nope)$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$CREATE TABLE le.kc (id int NOT NULL, b int NOT NULL);
ALTER TABLE le.kc ADD PRIMARY KEY (id);
ALTER TABLE le.kc ADD PRIMARY KEY (b)$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM provision_load($$CREATE TABLE le.kc (id int NOT NULL);
ALTER TABLE le.kc ADD UNIQUE (id) INCLUDE (nope)$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM provision_models WHERE table_name LIKE 'le.k%';

-- forgetting a partitioned table forgets its partitions' models (and
-- theirs, and their indexes'), as DROP TABLE drops the partitions
SELECT count(*) FROM provision_load($$CREATE TABLE le.p (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE le.p1 PARTITION OF le.p FOR VALUES FROM (0) TO (10) PARTITION BY LIST (v);
CREATE TABLE le.p11 PARTITION OF le.p1 FOR VALUES IN (1);
CREATE INDEX p11_v ON le.p11 (v)$$);
SELECT provision_forget('le.p');
SELECT table_name, kind FROM provision_models WHERE table_name LIKE 'le.p%' ORDER BY 1;

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
SET client_min_messages = warning;
DROP SCHEMA le, rt CASCADE;
