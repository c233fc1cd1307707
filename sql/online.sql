-- Online migrations: what each change costs a live table (blocking), the
-- online plan, CALL provision_apply() for every kind of step, resuming
-- from what an interrupted run left, and every error a user can hit.
SET client_min_messages = notice;
\set VERBOSITY terse
CREATE SCHEMA onl;

-- 1. blocking: what PostgreSQL does for each change, on this server
CREATE TABLE onl.b (
    id integer PRIMARY KEY,
    v varchar(20),
    n numeric(10,2),
    c text COLLATE "C",
    s smallint,
    k text,
    r integer,
    gone text
);
CREATE INDEX ON onl.b (c);
INSERT INTO onl.b SELECT g, 'v' || g, g, 'c' || g, g, 'k' || g, g FROM generate_series(1, 100) g;
CREATE DOMAIN onl.positive AS integer CHECK (VALUE > 0);
SELECT provision_capture('onl.b');
SELECT provision_define('onl.b', $$
    id bigint PRIMARY KEY,
    v text,
    n numeric(12,2),
    c text,
    s smallint NOT NULL,
    k text UNIQUE,
    r integer CHECK (r > 0),
    added text DEFAULT 'x',
    added_nn integer NOT NULL DEFAULT 0,
    stamped timestamptz DEFAULT clock_timestamp(),
    counter serial,
    ident integer GENERATED ALWAYS AS IDENTITY,
    computed integer GENERATED ALWAYS AS (r * 2) STORED,
    dom onl.positive
$$);
SELECT change, object, safe, blocking FROM provision_diff('onl.b') ORDER BY change, object;
-- SET NOT NULL is a scan, unless a valid CHECK (s IS NOT NULL) implies it
ALTER TABLE onl.b ADD CONSTRAINT b_s_check CHECK (s IS NOT NULL);
SELECT change, object, blocking, ddl FROM provision_diff('onl.b') WHERE change = 'column_nullability';
ALTER TABLE onl.b DROP CONSTRAINT b_s_check;
-- a missing table blocks nobody; one that references an existing table
-- locks that table briefly
SELECT provision_define('onl.fresh', $$ id integer $$);
SELECT provision_define('onl.fresh_ref', $$ id integer REFERENCES onl.b (id) $$);
SELECT table_name, change, blocking FROM provision_diff() WHERE change = 'table_missing' ORDER BY 1;
SELECT provision_forget('onl.fresh'), provision_forget('onl.fresh_ref');

-- 2. the two plans: provision_migrate() runs everything in one transaction,
-- provision_apply() commits step by step
SELECT provision_define('onl.b', $$
    id integer PRIMARY KEY, v text, n numeric(10,2), c text COLLATE "C", s smallint NOT NULL,
    k text UNIQUE, r integer CHECK (r > 0), gone text
$$);
SELECT * FROM provision_plan('onl.b');
SELECT * FROM provision_plan('onl.b', online => true);
SELECT * FROM provision_plan('onl.b', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- 3. each kind of step, applied online
CALL provision_apply('onl.b');
SELECT * FROM provision_diff('onl.b');
SELECT attname, format_type(atttypid, atttypmod), attnotnull
  FROM pg_attribute WHERE attrelid = 'onl.b'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
 WHERE conrelid = 'onl.b'::regclass AND contype <> 'n' ORDER BY conname;  -- NOT NULL rows: 18 on
SELECT count(*) AS rows, count(DISTINCT k) AS keys FROM onl.b;
-- again: nothing to do
CALL provision_apply('onl.b');

-- every statement is in the history, run online, as the declarer
SELECT statement, run_as, online FROM provision_history WHERE table_name = 'onl.b' ORDER BY id;

-- integer to bigint through a shadow column, with the primary key, an
-- index, a check, a serial's sequence and the foreign keys referencing it
CREATE TABLE onl.p (id serial PRIMARY KEY, code integer NOT NULL UNIQUE, note text, CHECK (code >= 0));
CREATE INDEX p_code_note ON onl.p (code DESC, note);
CREATE TABLE onl.c (id integer PRIMARY KEY, p_id integer REFERENCES onl.p (id) ON DELETE CASCADE, p_code integer REFERENCES onl.p (code));
INSERT INTO onl.p (code, note) SELECT g, 'n' || g FROM generate_series(1, 300) g;
INSERT INTO onl.c SELECT g, g, g FROM generate_series(1, 200) g;
SELECT provision_capture('onl.p'), provision_capture('onl.c');
SELECT provision_define('onl.p', $$ id bigserial PRIMARY KEY, code bigint NOT NULL UNIQUE, note text, CHECK (code >= 0) $$);
SELECT change, object, blocking FROM provision_diff('onl.p');
SELECT step, table_name, ddl, blocking FROM provision_plan('onl.p', online => true);
SELECT sum(hashtext(id || ' ' || code || ' ' || note)) AS before FROM onl.p \gset
CALL provision_apply('onl.p');
SELECT * FROM provision_diff();
SELECT sum(hashtext(id || ' ' || code || ' ' || note)) = :before AS same_data, count(*) FROM onl.p;
SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid) AS default
  FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid = 'onl.p'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname;
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'onl.p'::regclass ORDER BY 1;
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
 WHERE conrelid IN ('onl.p'::regclass, 'onl.c'::regclass) AND contype <> 'n' ORDER BY 1, 2;  -- NOT NULL rows: 18 on
SELECT format_type(seqtypid, NULL) AS sequence_type FROM pg_sequence WHERE seqrelid = 'onl.p_id_seq'::regclass;
-- the table works as before: new rows, the cascade, the foreign keys
INSERT INTO onl.p (code, note) VALUES (3000000000, 'big') RETURNING id, code;
DELETE FROM onl.p WHERE id = 1;
SELECT count(*) AS children FROM onl.c;
INSERT INTO onl.c VALUES (1000, 999999, NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- an identity column widened: the new identity starts where the old one was
CREATE TABLE onl.ident (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
INSERT INTO onl.ident (v) SELECT 'v' FROM generate_series(1, 50);
SELECT provision_capture('onl.ident');
SELECT provision_define('onl.ident', $$ id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text $$);
CALL provision_apply('onl.ident');
SELECT * FROM provision_diff('onl.ident');
INSERT INTO onl.ident (v) VALUES ('new') RETURNING id;

-- a volatile default and serial added: filled in batches, NOT NULL after
CREATE TABLE onl.vol (id integer PRIMARY KEY);
INSERT INTO onl.vol SELECT generate_series(1, 500);
SELECT provision_capture('onl.vol');
SELECT provision_define('onl.vol', $$ id integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), maybe float8 DEFAULT random(), seq serial $$);
SELECT step, ddl, blocking FROM provision_plan('onl.vol', online => true);
CALL provision_apply('onl.vol');
SELECT * FROM provision_diff('onl.vol');
SELECT count(*), count(at), count(maybe), count(DISTINCT seq), min(seq), max(seq) FROM onl.vol;
INSERT INTO onl.vol (id) VALUES (501) RETURNING seq;

-- 4. resuming: what an interrupted run left is reported, then finished
-- a shadow column half filled, its sync trigger in place
CREATE TABLE onl.half (id integer PRIMARY KEY, v integer NOT NULL);
INSERT INTO onl.half SELECT g, g FROM generate_series(1, 400) g;
SELECT provision_capture('onl.half');
SELECT provision_define('onl.half', $$ id integer PRIMARY KEY, v bigint NOT NULL $$);
ALTER TABLE onl.half ADD COLUMN v_pvnew bigint NOT NULL DEFAULT 0;
CREATE TRIGGER half_v_pvsync BEFORE INSERT OR UPDATE ON onl.half
    FOR EACH ROW EXECUTE FUNCTION provision_shadow_copy('v', 'v_pvnew');
UPDATE onl.half SET v_pvnew = v WHERE id <= 150;
UPDATE onl.half SET v = v + 1000 WHERE id = 300;   -- a writer: the trigger keeps it in sync
SELECT v, v_pvnew FROM onl.half WHERE id IN (1, 300, 400) ORDER BY id;
SELECT change, object, actual, blocking, ddl FROM provision_diff('onl.half');
SELECT step, ddl FROM provision_plan('onl.half', online => true);
CALL provision_apply('onl.half');
SELECT * FROM provision_diff('onl.half');
SELECT count(*), sum(v) FROM onl.half;

-- an INVALID index left by an interrupted (here: failed) build
CREATE TABLE onl.dup (id integer PRIMARY KEY, email text);
INSERT INTO onl.dup VALUES (1, 'a'), (2, 'b'), (3, 'a');
SELECT provision_capture('onl.dup');
SELECT provision_define('onl.dup', $$ id integer PRIMARY KEY, email text UNIQUE $$);
CALL provision_apply('onl.dup');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'onl.dup'::regclass ORDER BY 1;
SELECT change, object, actual, ddl FROM provision_diff('onl.dup') ORDER BY change;
UPDATE onl.dup SET email = 'c' WHERE id = 3;
SELECT step, ddl FROM provision_plan('onl.dup', online => true);
CALL provision_apply('onl.dup');
SELECT * FROM provision_diff('onl.dup');
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'onl.dup'::regclass ORDER BY 1;

-- a helper check left validated: SET NOT NULL takes it from there
CREATE TABLE onl.nn (id integer PRIMARY KEY, v text);
INSERT INTO onl.nn SELECT g, 'x' FROM generate_series(1, 10) g;
SELECT provision_capture('onl.nn');
SELECT provision_define('onl.nn', $$ id integer PRIMARY KEY, v text NOT NULL $$);
ALTER TABLE onl.nn ADD CONSTRAINT nn_v_pvnn CHECK (v IS NOT NULL);
SELECT change, object, blocking, ddl FROM provision_diff('onl.nn') ORDER BY change;
SELECT step, ddl, blocking FROM provision_plan('onl.nn', online => true);
CALL provision_apply('onl.nn');
SELECT * FROM provision_diff('onl.nn');

-- a NOT NULL that cannot hold: the validation fails, the helper stays and
-- is reported; provision_migrate() then removes it
ALTER TABLE onl.nn ALTER COLUMN v DROP NOT NULL;
UPDATE onl.nn SET v = NULL WHERE id = 1;
CALL provision_apply('onl.nn', allow_destructive => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT change, object, safe, ddl FROM provision_diff('onl.nn') ORDER BY change;
UPDATE onl.nn SET v = 'x' WHERE id = 1;
SELECT table_name, ddl FROM provision_migrate('onl.nn');
SELECT * FROM provision_diff('onl.nn');

-- a column being filled (its fill trigger in place): finished online, or
-- by provision_migrate() in one statement
CREATE TABLE onl.fill (id integer PRIMARY KEY, at timestamptz DEFAULT clock_timestamp());
CREATE TRIGGER fill_at_pvfill BEFORE UPDATE ON onl.fill FOR EACH ROW EXECUTE FUNCTION provision_fill_default('at');
INSERT INTO onl.fill (id, at) SELECT g, NULL FROM generate_series(1, 20) g;
SELECT provision_capture('onl.fill');
SELECT change, object, actual, ddl FROM provision_diff('onl.fill');
UPDATE onl.fill SET id = id WHERE id = 1;   -- a writer: the trigger fills the row
SELECT count(at) FROM onl.fill;
CALL provision_apply('onl.fill');
SELECT * FROM provision_diff('onl.fill');
SELECT count(at) FROM onl.fill;

-- leftovers nothing needs any more are removed
CREATE TABLE onl.orphan (id integer PRIMARY KEY, v integer);
ALTER TABLE onl.orphan ADD COLUMN v_pvnew text;
CREATE TRIGGER orphan_v_pvsync BEFORE INSERT OR UPDATE ON onl.orphan
    FOR EACH ROW EXECUTE FUNCTION provision_shadow_copy('v', 'v_pvnew');
ALTER TABLE onl.orphan ADD CONSTRAINT orphan_v_pvnn CHECK (v IS NOT NULL) NOT VALID;
CREATE INDEX orphan_v_key_pvnew ON onl.orphan (v);
SELECT provision_define('onl.orphan', $$ id integer PRIMARY KEY, v integer $$);
SELECT change, object FROM provision_diff('onl.orphan') ORDER BY object;
CALL provision_apply('onl.orphan');
SELECT * FROM provision_diff('onl.orphan');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'onl.orphan'::regclass;

-- a constraint left NOT VALID is reported, and validated
CREATE TABLE onl.nv (id integer PRIMARY KEY, r integer);
ALTER TABLE onl.nv ADD CONSTRAINT nv_r_check CHECK (r > 0) NOT VALID;
SELECT provision_define('onl.nv', $$ id integer PRIMARY KEY, r integer CONSTRAINT nv_r_check CHECK (r > 0) $$);
SELECT change, object, declared, actual, blocking, ddl FROM provision_diff('onl.nv');
CALL provision_apply('onl.nv');
SELECT convalidated FROM pg_constraint WHERE conname = 'nv_r_check';

-- 5. missing tables and schemas are created, a batch per transaction
SELECT provision_define('onl_new.a', $$ id integer PRIMARY KEY, b_id integer REFERENCES onl_new.b (id) $$);
SELECT provision_define('onl_new.b', $$ id integer PRIMARY KEY, a_id integer REFERENCES onl_new.a (id) $$);
SELECT step, table_name, ddl, blocking FROM provision_plan(online => true);
CALL provision_apply();
SELECT * FROM provision_diff();
SELECT to_regclass('onl_new.a') IS NOT NULL AS a, to_regclass('onl_new.b') IS NOT NULL AS b;

-- 6. refused before anything changes
-- unsafe changes need allow_destructive
CREATE TABLE onl.u (id integer PRIMARY KEY, old text, n integer);
INSERT INTO onl.u VALUES (1, 'x', 1);
SELECT provision_capture('onl.u');
SELECT provision_define('onl.u', $$ id integer PRIMARY KEY, n integer $$);
\set VERBOSITY default
CALL provision_apply('onl.u');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
CALL provision_apply('onl.u', allow_destructive => true);
SELECT * FROM provision_diff('onl.u');
-- what cannot be done online, on a table with rows
SELECT provision_define('onl.u', $$ id integer PRIMARY KEY, n text, g integer GENERATED ALWAYS AS (id * 2) STORED,
    i integer GENERATED ALWAYS AS IDENTITY, d onl.positive, EXCLUDE USING btree (id WITH =) $$);
SELECT step, ddl FROM provision_plan('onl.u', online => true) WHERE step IS NULL;
\set VERBOSITY default
CALL provision_apply('onl.u', allow_destructive => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT attname FROM pg_attribute WHERE attrelid = 'onl.u'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
-- the same on an empty table is done as provision_migrate() would do it
DELETE FROM onl.u;
CALL provision_apply('onl.u', allow_destructive => true);
SELECT * FROM provision_diff('onl.u');
-- a column a view uses cannot be swapped for a new one
CREATE TABLE onl.viewed (id integer PRIMARY KEY);
INSERT INTO onl.viewed VALUES (1);
CREATE VIEW onl.v AS SELECT id FROM onl.viewed;
SELECT provision_capture('onl.viewed');
SELECT provision_define('onl.viewed', $$ id bigint PRIMARY KEY $$);
\set VERBOSITY default
CALL provision_apply('onl.viewed');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL provision_apply('onl.viewed', allow_destructive => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse

-- 7. where it cannot run, and bad arguments
BEGIN;
CALL provision_apply();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
CREATE FUNCTION onl.apply_from_function() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CALL provision_apply(); END $$;
SELECT onl.apply_from_function();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DO $$ BEGIN CALL provision_apply('onl.b'); END $$;   -- a DO block at top level may commit
CALL provision_apply('onl.b', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL provision_apply('');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL provision_apply('onl.nothing');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL provision_apply('a.b.c');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET default_transaction_read_only = on;
CALL provision_apply();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;
-- a caller that cannot act as the declarer runs nothing
CREATE ROLE regress_onl_declarer;
CREATE ROLE regress_onl_other;
GRANT provision_declarer TO regress_onl_declarer;
GRANT CREATE, USAGE ON SCHEMA onl TO regress_onl_declarer;
GRANT USAGE ON SCHEMA onl TO regress_onl_other;
SET ROLE regress_onl_declarer;
SELECT provision_table('onl.owned', $$ id integer PRIMARY KEY $$);
INSERT INTO onl.owned VALUES (1), (2);
SELECT provision_define('onl.owned', $$ id integer PRIMARY KEY, v text UNIQUE $$);
SET ROLE regress_onl_other;
CALL provision_apply('onl.owned');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a superuser may: every statement runs as the declarer, the index build
-- in the background worker too
RESET ROLE;
CALL provision_apply('onl.owned');
SELECT relowner::regrole FROM pg_class WHERE relname = 'owned_v_key';
SELECT DISTINCT executed_by, run_as, online FROM provision_history WHERE table_name = 'onl.owned' AND statement LIKE '%CONCURRENTLY%';

-- 8. models of other kinds: an index model is built CONCURRENTLY under a
-- helper name, then renamed; an enum value added is a catalog update; a
-- domain constraint is checked in every table using the domain, under a
-- lock that blocks their writers: refused
CREATE TYPE onl.mood AS ENUM ('sad', 'happy');
CREATE DOMAIN onl.small AS integer;
CREATE TABLE onl.idx (id integer PRIMARY KEY, email text, mood onl.mood, n onl.small);
INSERT INTO onl.idx SELECT g, 'e' || g, 'sad', g FROM generate_series(1, 100) g;
SELECT action, count(*) FROM provision_load($$
    CREATE TYPE onl.mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE onl.idx (id integer PRIMARY KEY, email text, mood onl.mood, n onl.small);
    CREATE INDEX idx_lower_email ON onl.idx (lower(email));
$$) GROUP BY 1 ORDER BY 1;
SELECT step, table_name, ddl, blocking FROM provision_plan('onl.idx', online => true);
CALL provision_apply('onl.idx');
CALL provision_apply('onl.mood');
SELECT * FROM provision_diff('onl.idx');
SELECT * FROM provision_diff('onl.mood');
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'onl.idx'::regclass ORDER BY 1;
SELECT enum_range(NULL::onl.mood);
SELECT action FROM provision_load($$ CREATE DOMAIN onl.small AS integer CHECK (VALUE < 1000); $$);
SELECT step, ddl FROM provision_plan('onl.small', online => true);
CALL provision_apply('onl.small');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- clean up
SELECT count(*) AS forgotten FROM (SELECT provision_forget(table_name) FROM provision_models
 WHERE schema_name IN ('onl', 'onl_new') AND kind IN ('table', 'partition')) f;
SELECT count(provision_forget_object(kind, table_name)) AS forgotten FROM provision_models
 WHERE schema_name IN ('onl', 'onl_new');
DROP SCHEMA onl, onl_new CASCADE;
DROP OWNED BY regress_onl_declarer, regress_onl_other;
DROP ROLE regress_onl_declarer, regress_onl_other;
