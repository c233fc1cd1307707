-- pgTAP: what provision_load() and provision_all() make of a whole schema,
-- and what provision_migrate() changes, asserted with pgTAP's catalog
-- functions rather than provision's own diff.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(41);

SELECT is((SELECT count(*)::int FROM provision_load($$
CREATE SCHEMA tap;
CREATE TYPE tap.mood AS ENUM ('happy', 'sad');
CREATE DOMAIN tap.percent AS integer NOT NULL CHECK (VALUE BETWEEN 0 AND 100);
CREATE SEQUENCE tap.ticket_no START 100;
CREATE TABLE tap.users (
    id integer PRIMARY KEY,
    username varchar(50) NOT NULL,
    email text,
    mood tap.mood NOT NULL DEFAULT 'happy',
    score tap.percent DEFAULT 50,
    ticket bigint DEFAULT nextval('tap.ticket_no')
);
CREATE UNIQUE INDEX users_username ON tap.users (username);
CREATE INDEX users_lower_email ON tap.users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_email_hash ON tap.users USING hash (email);
CREATE INDEX users_mood ON tap.users (mood) INCLUDE (username);
COMMENT ON INDEX tap.users_mood IS 'by mood';
CREATE TABLE tap.measurements (at date NOT NULL, value numeric) PARTITION BY RANGE (at);
CREATE TABLE tap.measurements_2026 PARTITION OF tap.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE tap.measurements_rest PARTITION OF tap.measurements DEFAULT;
CREATE INDEX measurements_at ON tap.measurements USING brin (at);
$$)), 13, 'the script declares 13 models');
SELECT is((SELECT count(*)::int FROM provision_all() WHERE action = 'created'), 4, 'provision_all() creates the four tables');

SELECT has_schema('tap', 'the schema is created');
SELECT has_enum('tap', 'mood', 'the enum type is created');
SELECT enum_has_labels('tap', 'mood', ARRAY['happy', 'sad'], 'with its labels in order');
SELECT has_domain('tap', 'percent', 'the domain is created');
SELECT domain_type_is('tap', 'percent', 'integer', 'over integer');
SELECT has_sequence('tap', 'ticket_no', 'the sequence is created');
SELECT is((SELECT start_value FROM pg_sequences WHERE schemaname = 'tap' AND sequencename = 'ticket_no'),
          100::bigint, 'starting at 100');

SELECT has_index('tap', 'users', 'users_username', 'unique index created');
SELECT index_is_unique('tap', 'users', 'users_username', 'and unique');
SELECT has_index('tap', 'users', 'users_lower_email', ARRAY['lower(email)'], 'expression index created on lower(email)');
SELECT ok((SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'tap.users_lower_email'::regclass), 'and partial');
SELECT has_index('tap', 'users', 'users_email_hash', 'hash index created');
SELECT index_is_type('tap', 'users', 'users_email_hash', 'hash', 'of type hash');
SELECT index_is_type('tap', 'users', 'users_mood', 'btree', 'INCLUDE index of type btree');
SELECT is(obj_description('tap.users_mood'::regclass, 'pg_class'), 'by mood', 'the index comment is set');
SELECT index_is_primary('tap', 'users', 'users_pkey', 'the primary key is there');

SELECT is_partitioned('tap', 'measurements', 'the parent is partitioned');
SELECT is_partition_of('tap', 'measurements_2026', 'tap', 'measurements', 'a range partition');
SELECT is_partition_of('tap', 'measurements_rest', 'tap', 'measurements', 'the default partition');
SELECT partitions_are('tap', 'measurements', ARRAY['tap.measurements_2026', 'tap.measurements_rest'],
                      'and no others');
SELECT index_is_type('tap', 'measurements', 'measurements_at', 'brin', 'the partitioned brin index');
SELECT has_index('tap', 'measurements_2026', 'measurements_2026_at_idx', 'cascaded to the partition');

SELECT is((SELECT count(*)::int FROM provision_all() WHERE action = 'created'), 0, 'the next run creates nothing');
SELECT is_empty('SELECT * FROM provision_diff()', 'nothing differs');

-- the next version of the schema: an enum value, an index, a partition
SELECT is((SELECT count(*)::int FROM provision_load($$
CREATE TYPE tap.mood AS ENUM ('happy', 'content', 'sad');
CREATE INDEX users_score ON tap.users (score DESC);
CREATE TABLE tap.measurements_2027 PARTITION OF tap.measurements FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
$$)), 3, 'three models declared again');
SELECT set_eq('SELECT change FROM provision_diff()',
              ARRAY['enum_value_missing', 'index_missing', 'table_missing'],
              'diff names the three changes');
SELECT ok((SELECT bool_and(safe) FROM provision_diff()), 'all three are safe');
SELECT lives_ok('SELECT * FROM provision_migrate()', 'migration runs');
SELECT enum_has_labels('tap', 'mood', ARRAY['happy', 'content', 'sad'], 'the value is added where the model puts it');
SELECT has_index('tap', 'users', 'users_score', 'the index is added');
SELECT is_partition_of('tap', 'measurements_2027', 'tap', 'measurements', 'the partition is added');

-- an index dropped by hand is drift; dropping a declared one is refused
DROP INDEX tap.users_email_hash;
SELECT is((SELECT change FROM provision_diff()), 'index_missing', 'a dropped index is drift');
SELECT lives_ok('SELECT * FROM provision_migrate()', 'and is created again');
SELECT has_index('tap', 'users', 'users_email_hash', 'the index is back');
CREATE INDEX users_extra ON tap.users (email, username);
SELECT is((SELECT change FROM provision_diff()), 'index_extra', 'an undeclared index is drift');
SELECT throws_ok('SELECT * FROM provision_migrate()', '55000', NULL, 'dropping it is refused without allow_destructive');
SELECT has_index('tap', 'users', 'users_extra', 'the index is kept');
SELECT lives_ok('SELECT * FROM provision_migrate(allow_destructive => true)', 'dropped with allow_destructive');
SELECT hasnt_index('tap', 'users', 'users_extra', 'the undeclared index is gone');

SELECT * FROM finish();
ROLLBACK;
