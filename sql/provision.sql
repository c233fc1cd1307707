-- The seed's flow: a schema, the users model, create_all, and the same
-- migration again as a no-op.
SET client_min_messages = notice;

-- provision_schema(): created, then exists, with CREATE SCHEMA IF NOT EXISTS wording
SELECT provision_schema('app');
SELECT provision_schema('app');
SELECT provision_schema('App');
CREATE ROLE regress_schema_owner;
SELECT provision_schema('owned', 'regress_schema_owner');
SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'owned';
SELECT provision_schema('owned', 'regress_schema_owner');
SELECT provision_schema('owned2', 'regress_no_such_role');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regnamespace('owned2') IS NULL AS not_created;
SELECT provision_schema('pg_reserved');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- provision_table() with a definition: defines, then creates
SELECT provision_table('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL, password text $$);
SELECT provision_table('app.users');
SELECT provision_table('app.users', $$ id integer PRIMARY KEY, username varchar(50) NOT NULL, password text $$);
\d app.users
INSERT INTO app.users VALUES (1, 'john_doe', 'secret');
SELECT id, username FROM app.users WHERE username = 'john_doe';
-- the table's schema is created when missing
SELECT provision_table('newschema.t', $$ id integer $$);
-- no model
SELECT provision_table('app.no_model');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a relation of that name that is not a table
CREATE VIEW app.a_view AS SELECT 1 AS x;
SELECT provision_table('app.a_view', $$ x integer $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a foreign key to a table that is neither there nor created first
SELECT provision_table('app.orphan', $$ id integer, ref integer REFERENCES app.nowhere $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('app.orphan') IS NULL AS not_created;
SELECT provision_forget('app.orphan');

-- provision_all(): create_all over every model, referenced tables first,
-- cycles closed with ALTER TABLE, one summary NOTICE
SELECT provision_define('shop.order_lines', $$ order_id integer REFERENCES shop.orders ON DELETE CASCADE, line integer, product_id integer NOT NULL REFERENCES shop.products, PRIMARY KEY (order_id, line) $$);
SELECT provision_define('shop.orders', $$ id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES app.users, placed timestamptz NOT NULL DEFAULT now() $$);
SELECT provision_define('shop.products', $$ id integer PRIMARY KEY, name text NOT NULL UNIQUE, price numeric(10,2) CHECK (price > 0) $$);
SELECT provision_define('shop.categories', $$ id integer PRIMARY KEY, parent_id integer REFERENCES shop.categories, featured_product integer REFERENCES shop.products $$);
-- a cycle: employees <-> departments
SELECT provision_define('hr.employees', $$ id integer PRIMARY KEY, department_id integer REFERENCES hr.departments $$);
SELECT provision_define('hr.departments', $$ id integer PRIMARY KEY, manager_id integer REFERENCES hr.employees $$);
SELECT * FROM provision_all();
SELECT conrelid::regclass AS table_name, pg_get_constraintdef(oid) AS foreign_key
  FROM pg_constraint
 WHERE contype = 'f' AND connamespace IN ('shop'::regnamespace, 'hr'::regnamespace)
 ORDER BY conrelid::regclass::text, 2;
-- the same migration again: a no-op
SELECT * FROM provision_all();
SELECT provision_table('shop.orders');
-- a table dropped by hand is made again; the others exist
DROP TABLE shop.order_lines;
SELECT * FROM provision_all() WHERE action = 'created';

-- provision_forget() never drops
SELECT provision_forget('hr.employees');
SELECT provision_forget('hr.departments');
SELECT provision_forget('hr.departments');
SELECT count(*) AS hr_tables FROM pg_tables WHERE schemaname = 'hr';

-- clean up
SELECT provision_forget(table_name) FROM provision_models WHERE kind IN ('table', 'partition') ORDER BY 1;
SELECT provision_forget_object(kind, table_name) FROM provision_models ORDER BY kind, table_name;
SELECT * FROM provision_all();
DROP SCHEMA app, owned, newschema, shop, hr CASCADE;
DROP ROLE regress_schema_owner;
