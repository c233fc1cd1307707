-- provision_history: every DDL statement provision ran, creation and
-- migration alike, written in the caller's transaction.
SET client_min_messages = warning;
SELECT count(*) AS rows_before FROM provision_history \gset
SELECT provision_table('hist.users', $$ id integer PRIMARY KEY, name text $$);
SELECT provision_define('hist.users', $$ id integer PRIMARY KEY, name text, email text $$);
SELECT * FROM provision_migrate('hist.users');
SELECT executed_by = current_user AS by_me, table_name, statement FROM provision_history WHERE id > 0 ORDER BY id DESC LIMIT 3;
SELECT count(*) - :rows_before AS new_rows, bool_and(executed_at <= now() + interval '1 minute') AS sane_times
  FROM provision_history;

-- nobody can write history by hand; everybody can read it
CREATE ROLE regress_history;
SET ROLE regress_history;
SELECT count(*) > 0 AS can_read FROM provision_history;
INSERT INTO provision_history_log VALUES (0, now(), 'x', 'x', 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_history;

-- a history table with an index added by hand is refused, not half-written
CREATE INDEX hist_idx ON provision_history_log (id);
SELECT provision_table('hist.other', $$ id integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('hist.other') IS NULL AS not_created;
DROP INDEX hist_idx;
SELECT provision_table('hist.other', $$ id integer $$);

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE schema_name = 'hist';
DROP SCHEMA hist CASCADE;
