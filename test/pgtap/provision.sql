-- pgTAP: the structure provision creates, asserted with pgTAP's own catalog
-- functions (not provision's diff): the seed's schema and User model, a
-- shop with foreign keys to other models and to an existing table, a
-- foreign-key cycle, quoted names, and the error paths by SQLSTATE.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(58);

-- the seed: schema, users model, create_all
SELECT is(provision_schema('app'), 'created', 'provision_schema creates app');
SELECT has_schema('app', 'schema app exists');
SELECT is(provision_schema('app'), 'exists', 'provision_schema again: exists');
SELECT is(provision_table('app.users', $$
    id integer PRIMARY KEY,
    username varchar(50) NOT NULL,
    password text
$$), 'created', 'users created');
SELECT has_table('app', 'users', 'app.users exists');
SELECT columns_are('app', 'users', ARRAY['id', 'username', 'password'], 'users has the model''s columns');
SELECT col_type_is('app', 'users', 'id', 'integer', 'users.id is integer');
SELECT col_type_is('app', 'users', 'username', 'character varying(50)', 'users.username is varchar(50)');
SELECT col_type_is('app', 'users', 'password', 'text', 'users.password is text');
SELECT col_not_null('app', 'users', 'id', 'users.id is NOT NULL');
SELECT col_not_null('app', 'users', 'username', 'users.username is NOT NULL');
SELECT col_is_null('app', 'users', 'password', 'users.password is nullable');
SELECT has_pk('app', 'users', 'users has a primary key');
SELECT col_is_pk('app', 'users', 'id', 'users.id is the primary key');
SELECT table_owner_is('app', 'users', current_user, 'users is owned by the caller');
SELECT is(provision_table('app.users'), 'exists', 'users again: exists');

-- insert and query, as the seed does
SELECT lives_ok($$ INSERT INTO app.users VALUES (1, 'john_doe', 'secret') $$, 'john_doe inserted');
SELECT results_eq($$ SELECT username FROM app.users $$, $$ VALUES ('john_doe'::varchar) $$, 'john_doe queried');

-- models referencing models and an existing table, created by provision_all
CREATE TABLE public.countries (code char(2) PRIMARY KEY);
SELECT lives_ok($q$ SELECT provision_define('shop.orders', $$
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
    country char(2) REFERENCES public.countries,
    total numeric(12,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    placed timestamptz NOT NULL DEFAULT now()
$$) $q$, 'orders declared');
SELECT lives_ok($q$ SELECT provision_define('shop.order_lines', $$
    order_id bigint REFERENCES shop.orders,
    line smallint,
    sku text NOT NULL,
    qty integer NOT NULL CHECK (qty > 0),
    amount numeric GENERATED ALWAYS AS (qty * 2) STORED,
    PRIMARY KEY (order_id, line),
    UNIQUE (order_id, sku)
$$) $q$, 'order_lines declared');
SELECT hasnt_schema('shop', 'shop does not exist before provision_all');
SELECT results_eq(
    $$ SELECT table_name, action FROM provision_all() WHERE table_name LIKE 'shop.%' $$,
    $$ VALUES ('shop.orders', 'created'), ('shop.order_lines', 'created') $$,
    'provision_all creates referenced tables first');
SELECT has_schema('shop', 'provision_all created the missing schema');
SELECT has_table('shop', 'orders', 'shop.orders exists');
SELECT has_table('shop', 'order_lines', 'shop.order_lines exists');
SELECT col_type_is('shop', 'orders', 'total', 'numeric(12,2)', 'orders.total is numeric(12,2)');
SELECT col_type_is('shop', 'orders', 'placed', 'timestamp with time zone', 'orders.placed is timestamptz');
SELECT col_default_is('shop', 'orders', 'total', '0', 'orders.total defaults to 0');
SELECT col_not_null('shop', 'orders', 'user_id', 'orders.user_id is NOT NULL');
SELECT has_pk('shop', 'orders', 'orders has a primary key');
SELECT fk_ok('shop', 'orders', 'user_id', 'app', 'users', 'id', 'orders.user_id references app.users(id)');
SELECT fk_ok('shop', 'orders', 'country', 'public', 'countries', 'code', 'orders.country references the existing countries table');
SELECT has_pk('shop', 'order_lines', 'order_lines has a primary key');
SELECT col_is_pk('shop', 'order_lines', ARRAY['order_id', 'line'], 'order_lines has a composite primary key');
SELECT col_is_unique('shop', 'order_lines', ARRAY['order_id', 'sku'], 'order_lines (order_id, sku) is unique');
SELECT fk_ok('shop', 'order_lines', 'order_id', 'shop', 'orders', 'id', 'order_lines.order_id references orders(id)');
SELECT col_not_null('shop', 'order_lines', 'qty', 'order_lines.qty is NOT NULL');
SELECT has_check('shop', 'order_lines', 'order_lines has its check');
SELECT is((SELECT attgenerated FROM pg_attribute WHERE attrelid = 'shop.order_lines'::regclass AND attname = 'amount'),
          's', 'order_lines.amount is a stored generated column');

-- a cycle: both tables created, then the foreign key that closes it
SELECT lives_ok($$ SELECT provision_define('cyc.a', 'id integer PRIMARY KEY, b_id integer REFERENCES cyc.b') $$, 'cyc.a declared');
SELECT lives_ok($$ SELECT provision_define('cyc.b', 'id integer PRIMARY KEY, a_id integer REFERENCES cyc.a') $$, 'cyc.b declared');
SELECT is((SELECT count(*)::int FROM provision_all() WHERE table_name LIKE 'cyc.%' AND action = 'created'), 2, 'the cycle is created');
SELECT fk_ok('cyc', 'a', 'b_id', 'cyc', 'b', 'id', 'cyc.a.b_id references cyc.b');
SELECT fk_ok('cyc', 'b', 'a_id', 'cyc', 'a', 'id', 'cyc.b.a_id references cyc.a');

-- names parsed as identifiers
SELECT is(provision_table('"Mixed Case"."Users"', '"Id" integer PRIMARY KEY'), 'created', 'quoted names');
SELECT has_table('Mixed Case', 'Users', '"Mixed Case"."Users" exists, case kept');
SELECT col_is_pk('Mixed Case', 'Users', 'Id', 'its "Id" column is the primary key');
SELECT is(provision_table('APP.USERS'), 'exists', 'unquoted names fold to lower case');

-- the model registry
SELECT is((SELECT count(*)::int FROM provision_models WHERE table_name IN ('app.users', 'shop.orders', '"Mixed Case"."Users"')),
          3, 'provision_models lists the models, names quoted as needed');
SELECT ok(provision_forget('cyc.a'), 'provision_forget removes a model');
SELECT has_table('cyc', 'a', 'and leaves its table');

-- errors, by SQLSTATE
SELECT throws_ok($$ SELECT provision_table('app.nothing') $$, '42704', NULL, 'no model: 42704');
SELECT throws_ok($$ SELECT provision_define('app.t', 'id nosuchtype') $$, '42704', NULL, 'unknown type: 42704');
SELECT throws_ok($$ SELECT provision_define('app.t', 'id int); DROP TABLE app.users; --') $$, '42601', NULL, 'smuggled statement: 42601');
SELECT throws_ok($$ SELECT provision_define('app.' || repeat('x', 64), 'id int') $$, '42622', NULL, '64-byte name: 42622');
SELECT throws_ok($$ SELECT provision_table(NULL) $$, '22004', NULL, 'NULL name: 22004');
SELECT throws_ok($$ SELECT provision_schema('') $$, '22023', NULL, 'empty name: 22023');
SELECT has_table('app', 'users', 'app.users survived the smuggled DROP');

SELECT * FROM finish();
ROLLBACK;
