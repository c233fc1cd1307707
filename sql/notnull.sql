-- NOT NULL is a column property of a model, never a constraint of its own.
-- From PostgreSQL 18 on the server also keeps each NOT NULL as a row of
-- pg_constraint (contype 'n', named or generated, one for each primary key
-- column too); inspect skips those rows, so on every version: no false
-- drift, no constraint counted twice, nullability drift reported once.
SET client_min_messages = warning;
SELECT provision_schema('nn');
SELECT provision_table('nn.t', $$
    id integer PRIMARY KEY,
    a  text NOT NULL,
    b  text CONSTRAINT t_b_present NOT NULL,
    c  integer CHECK (c > 0),
    d  text UNIQUE
$$);
-- what the server keeps: three table constraints, and from 18 on one
-- NOT NULL row per NOT NULL column (id, a, b)
SELECT count(*) FILTER (WHERE contype <> 'n') AS table_constraints,
       count(*) FILTER (WHERE contype = 'n') IN (0, 3) AS not_null_rows_none_or_one_per_column
  FROM pg_constraint WHERE conrelid = 'nn.t'::regclass;
-- the model: each constraint once, NOT NULL on its columns
SELECT definition FROM provision_models WHERE table_name = 'nn.t';
SELECT change, object FROM provision_diff('nn.t');
SELECT provision_table('nn.t');

-- capture of the same table: NOT NULL on the columns again, each
-- constraint once (with its name now), and no drift
SELECT provision_capture('nn.t');
SELECT change, object FROM provision_diff('nn.t');

-- a table made by plain DDL with named NOT NULL constraints, captured
CREATE TABLE nn.plain (id integer CONSTRAINT plain_id_nn NOT NULL, x text NOT NULL, y text);
SELECT provision_capture('nn.plain');
SELECT change, object FROM provision_diff('nn.plain');

-- nullability changed by hand: one difference each, never an extra or
-- missing constraint beside it
ALTER TABLE nn.t ALTER COLUMN d SET NOT NULL;
ALTER TABLE nn.t ALTER COLUMN a DROP NOT NULL;
SELECT provision_table('nn.t');
SELECT change, object, declared, actual, safe FROM provision_diff('nn.t') ORDER BY object;
SELECT ddl FROM provision_plan('nn.t');
SELECT * FROM provision_migrate('nn.t', allow_destructive => true);
SELECT change, object FROM provision_diff('nn.t');
SELECT count(*) FILTER (WHERE contype <> 'n') AS table_constraints,
       count(*) FILTER (WHERE contype = 'n')
         IN (0, (SELECT count(*) FROM pg_attribute
                  WHERE attrelid = 'nn.t'::regclass AND attnum > 0 AND attnotnull)) AS not_null_rows_match
  FROM pg_constraint WHERE conrelid = 'nn.t'::regclass;

-- a model that adds NOT NULL to a column: one difference
SELECT provision_define('nn.t', $$
    id integer PRIMARY KEY,
    a  text NOT NULL,
    b  text NOT NULL,
    c  integer NOT NULL CHECK (c > 0),
    d  text UNIQUE
$$);
SELECT change, object FROM provision_diff('nn.t') ORDER BY object;

-- 18's table-level NOT NULL constraint normalizes to the column property
-- (before 18 the same model is written on the column)
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 180000 THEN
        EXECUTE $q$SELECT provision_define('nn.t2', 'id integer, CONSTRAINT t2_id_nn NOT NULL id')$q$;
    ELSE
        PERFORM provision_define('nn.t2', 'id integer NOT NULL');
    END IF;
END
$$;
SELECT definition FROM provision_models WHERE table_name = 'nn.t2';
SELECT provision_table('nn.t2');
SELECT change, object FROM provision_diff('nn.t2');

SELECT provision_forget(t) FROM unnest(ARRAY['nn.t', 'nn.t2', 'nn.plain']) AS t;
DROP SCHEMA nn CASCADE;
