-- Trust: nothing stored is run as text, and no declarer acts beyond its
-- own rights, even when a superuser deploys.  Each attack of issue 8, as
-- an attacker holding the declare right would try it.
SET client_min_messages = notice;
CREATE ROLE regress_att IN ROLE provision_declarer;
CREATE SCHEMA att AUTHORIZATION regress_att;
CREATE TABLE public.trust_log (what text, current_role_was name, session_role_was name);
GRANT INSERT ON public.trust_log TO PUBLIC;

-- the attacker's functions: each tries to make the attacker superuser and
-- records as whom it ran and whether that worked
SET ROLE regress_att;
CREATE FUNCTION att.escalate(what text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE 'ALTER ROLE regress_att SUPERUSER';
        INSERT INTO public.trust_log VALUES (what || ': escalated', current_user, session_user);
    EXCEPTION WHEN insufficient_privilege THEN
        INSERT INTO public.trust_log VALUES (what || ': refused', current_user, session_user);
    END;
    RETURN 1;
END $$;
CREATE FUNCTION att.f() RETURNS integer LANGUAGE sql AS $$ SELECT att.escalate('default') $$;
CREATE FUNCTION att.g(x integer) RETURNS boolean LANGUAGE sql AS $$ SELECT att.escalate('check') = 1 $$;
-- harmless while the model is declared, replaced before the deploy
CREATE FUNCTION att.k(x integer) RETURNS integer IMMUTABLE LANGUAGE sql AS $$ SELECT 1 $$;
RESET ROLE;

-- 1. the registry cannot be written by a declarer: no body, no default
-- pasted into DDL, no row inserted
SET ROLE regress_att;
UPDATE provision_registry SET body = 'id int); ALTER ROLE regress_att SUPERUSER; CREATE TABLE public.innocent2 (id int';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO provision_registry (schema_name, table_name, body, definition) VALUES ('public', 'innocent', 'id int', 'id int');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- 2. a default that runs the declarer's function, rated safe, migrated
-- by a superuser: it runs as the declarer, whose escalation is refused
SET ROLE regress_att;
SELECT provision_table('att.t1', $$ id integer PRIMARY KEY $$);
INSERT INTO att.t1 VALUES (1);
SELECT provision_define('att.t1', $$ id integer PRIMARY KEY, v integer DEFAULT att.f() $$);
RESET ROLE;
SELECT change, object, safe FROM provision_diff('att.t1');
SELECT * FROM provision_migrate('att.t1');

-- 3. a check that calls the declarer's function, validated by a
-- superuser's migration
SET ROLE regress_att;
SELECT provision_define('att.t1', $$ id integer PRIMARY KEY, v integer DEFAULT att.f(), CHECK (att.g(id)) $$);
RESET ROLE;
SELECT * FROM provision_migrate('att.t1');

-- 4. an exclusion constraint over the declarer's immutable function,
-- built by a superuser's plain provision_all(); the function is replaced
-- after the model was declared
SET ROLE regress_att;
SELECT provision_define('att.t2', $$ id integer, EXCLUDE USING btree ((id + att.k(0)) WITH =) $$);
CREATE OR REPLACE FUNCTION att.k(x integer) RETURNS integer IMMUTABLE LANGUAGE sql AS $$ SELECT att.escalate('index') $$;
RESET ROLE;
SELECT * FROM provision_all();

-- every function ran as the declarer, none as the superuser who deployed,
-- and every escalation was refused
SELECT what, current_role_was, session_role_was FROM public.trust_log ORDER BY 1;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_att';
SELECT tableowner FROM pg_tables WHERE schemaname = 'att' ORDER BY tablename;

-- a declarer's model with harmless code runs fine for a superuser: as the
-- declarer, owned by it
SET ROLE regress_att;
CREATE FUNCTION att.harmless() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.trust_log VALUES ('harmless', current_user, session_user);
    RETURN 7;
END $$;
SELECT provision_define('att.t1', $$ id integer PRIMARY KEY, v integer DEFAULT att.f(), w integer DEFAULT att.harmless(), CHECK (att.g(id)) $$);
RESET ROLE;
SELECT * FROM provision_migrate('att.t1');
SELECT * FROM att.t1;
SELECT what, current_role_was, session_role_was FROM public.trust_log WHERE what = 'harmless';
SELECT tableowner FROM pg_tables WHERE schemaname = 'att' AND tablename = 't1';

-- 5. provision_forget() under a search_path whose first schema holds an
-- operator = on names: provision's statements name pg_catalog's
CREATE SCHEMA evil;
CREATE FUNCTION evil.name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.trust_log VALUES ('operator', current_user, session_user);
    RETURN true;
END $$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.name_eq);
SET search_path = evil, public, pg_catalog;
SELECT provision_forget('att.t2');
SELECT provision_forget('att.nothing');
RESET search_path;
SELECT count(*) AS operator_calls FROM public.trust_log WHERE what = 'operator';
SELECT table_name FROM provision_models ORDER BY 1;

-- 6. row-level security on the registry: C reads see what SELECT sees
-- (and so does the view, where views can be security_invoker: 15 on; the
-- registry itself is read here, the same on every version)
ALTER TABLE provision_registry ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_models ON provision_registry USING (declared_by = current_user);
SELECT provision_define('public.trust_superuser_model', $$ id integer $$);
SET ROLE regress_att;
SELECT schema_name || '.' || table_name AS table_name FROM provision_registry ORDER BY 1;
SELECT table_name, change FROM provision_diff() ORDER BY 1;
SELECT table_name, action FROM provision_all() ORDER BY 1;
SELECT count(*) AS plan_steps FROM provision_plan();
SELECT * FROM provision_diff('public.trust_superuser_model');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
-- row_security = off refuses, as SELECT does
SET ROLE regress_att;
SET row_security = off;
SELECT * FROM provision_diff();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET row_security;
RESET ROLE;
DROP POLICY own_models ON provision_registry;
ALTER TABLE provision_registry DISABLE ROW LEVEL SECURITY;
SELECT provision_forget('public.trust_superuser_model');

-- 7. only permanent tables of user schemas, never the extension's own
SELECT provision_define('pg_catalog.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('pg_toast.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('information_schema.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('pg_temp.t', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.provision_history_log', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.provision_history', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_capture('public.provision_registry');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the session's temporary types, sequences and functions
CREATE TYPE pg_temp.temp_mood AS ENUM ('ok');
CREATE SEQUENCE pg_temp.temp_seq;
CREATE FUNCTION pg_temp.temp_fn() RETURNS integer LANGUAGE sql AS 'SELECT 1';
SELECT provision_define('public.uses_temp', $$ id integer, m pg_temp.temp_mood $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.uses_temp', $$ id bigint DEFAULT nextval('pg_temp.temp_seq') $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.uses_temp', $$ id integer CHECK (id > pg_temp.temp_fn()) $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS models_in_wrong_places FROM provision_models
 WHERE schema_name IN ('pg_catalog', 'pg_toast', 'information_schema') OR relation_name LIKE 'provision%'
    OR relation_name = 'uses_temp';

-- 8. the trial clashes with nothing of the session: a temporary table of
-- the model's name, or of an explicit constraint's name
CREATE TEMP TABLE clash (x integer);
CREATE TEMP TABLE clash_key (x integer);
SELECT provision_define('public.clash', $$ id integer, CONSTRAINT clash_key UNIQUE (id) $$);
SELECT definition FROM provision_models WHERE table_name = 'public.clash';
SELECT provision_forget('public.clash');
-- and needs no TEMPORARY privilege
SELECT current_database() AS db \gset
REVOKE TEMPORARY ON DATABASE :"db" FROM PUBLIC;
SET ROLE regress_att;
SELECT provision_define('att.no_temp', $$ id integer $$);
SELECT provision_forget('att.no_temp');
RESET ROLE;
GRANT TEMPORARY ON DATABASE :"db" TO PUBLIC;

-- 9. deferrability written as CREATE TABLE reads it
CREATE TABLE public.trust_ref (id integer PRIMARY KEY);
SELECT provision_define('public.fk_attrs', $$ r integer REFERENCES public.trust_ref NOT DEFERRABLE INITIALLY DEFERRED $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.fk_attrs', $$ r integer REFERENCES public.trust_ref DEFERRABLE NOT DEFERRABLE $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.fk_attrs', $$ r integer REFERENCES public.trust_ref INITIALLY DEFERRED INITIALLY IMMEDIATE $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT provision_define('public.fk_attrs', $$ r integer REFERENCES public.trust_ref INITIALLY DEFERRED $$);
SELECT definition FROM provision_models WHERE table_name = 'public.fk_attrs';
SELECT provision_define('public.fk_attrs', $$ r integer REFERENCES public.trust_ref DEFERRABLE INITIALLY IMMEDIATE $$);
SELECT definition FROM provision_models WHERE table_name = 'public.fk_attrs';
SELECT provision_forget('public.fk_attrs');

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE kind IN ('table', 'partition') ORDER BY 1;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
DROP SCHEMA att, evil CASCADE;
DROP TABLE public.trust_log, public.trust_ref;
DROP ROLE regress_att;
