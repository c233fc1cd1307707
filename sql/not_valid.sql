-- Checks and foreign keys declared NOT VALID (pg_dump's ALTER TABLE ...
-- ADD CONSTRAINT ... NOT VALID, or a capture of a table that has them):
-- the model keeps NOT VALID, which means the rows already there need not
-- satisfy them; a validated constraint satisfies such a model too.
SET client_min_messages = warning;

CREATE SCHEMA nv;
CREATE TABLE nv.p (id int PRIMARY KEY);
CREATE TABLE nv.t (id int, pid int);
INSERT INTO nv.t VALUES (-1, 7);
ALTER TABLE nv.t ADD CONSTRAINT c CHECK (id > 0) NOT VALID;
ALTER TABLE nv.t ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES nv.p NOT VALID;

-- a capture shows no drift, and its dump reads back to the same model
SELECT provision_capture('nv.t');
SELECT * FROM provision_diff();
SELECT provision_dump('nv');
SELECT * FROM provision_load(provision_dump('nv'));
SELECT * FROM provision_diff();

-- gone: added NOT VALID again, not validated (the row -1 stays)
ALTER TABLE nv.t DROP CONSTRAINT c;
ALTER TABLE nv.t DROP CONSTRAINT f;
SELECT table_name, change, object, declared, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
SELECT * FROM provision_diff();
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'nv.t'::regclass ORDER BY 1;

-- validated by hand: still what the model declares
INSERT INTO nv.p VALUES (7);
ALTER TABLE nv.t VALIDATE CONSTRAINT f;
SELECT * FROM provision_diff();

-- declared valid: the NOT VALID one is constraint_not_valid, as before
SELECT * FROM provision_load($$CREATE TABLE nv.t (id int, pid int, CONSTRAINT c CHECK (id > 0));
ALTER TABLE nv.t ADD CONSTRAINT f FOREIGN KEY (pid) REFERENCES nv.p;$$);
SELECT table_name, change, object, safe, ddl FROM provision_diff();
SELECT * FROM provision_migrate();
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- pg_dump's form, loaded: created (valid, the table is new), no drift
SELECT * FROM provision_load($$CREATE TABLE nv.u (id int);
ALTER TABLE nv.u ADD CONSTRAINT uc CHECK (id > 0) NOT VALID;
ALTER TABLE ONLY nv.u ADD CONSTRAINT uf FOREIGN KEY (id) REFERENCES nv.p(id) NOT VALID;$$);
SELECT table_name, definition FROM provision_models WHERE table_name = 'nv.u';
SELECT * FROM provision_all();
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'nv.u'::regclass ORDER BY 1;
SELECT * FROM provision_diff('nv.u');

-- a later change of the model through the script keeps NOT VALID
SELECT * FROM provision_load($$COMMENT ON TABLE nv.u IS 'u';$$);
SELECT table_name, definition FROM provision_models WHERE table_name = 'nv.u';

-- provision_define() reads NOT VALID as provision_load() does
SELECT provision_define('nv.v', 'id int, CONSTRAINT vc CHECK (id > 0) NOT VALID, CHECK (id < 100) NOT VALID');
SELECT table_name, definition FROM provision_models WHERE table_name = 'nv.v';

-- several constraints of one definition, some added NOT VALID (K17): each
-- live one is paired with the model's of its name first, then one of the
-- same validity, so none is reported constraint_not_valid for another's
-- state (before: w_fk_1, declared valid, took the NOT VALID w_fk_2)
CREATE TABLE nv.w (id int PRIMARY KEY, n int);
ALTER TABLE nv.w ADD CONSTRAINT w_fk_0 FOREIGN KEY (id) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT w_fk_2 FOREIGN KEY (id) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT w_fk_1 FOREIGN KEY (id) REFERENCES nv.w (id);
ALTER TABLE nv.w ADD FOREIGN KEY (n) REFERENCES nv.w (id);
ALTER TABLE nv.w ADD FOREIGN KEY (n) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT wc_1 CHECK (n > 0);
ALTER TABLE nv.w ADD CONSTRAINT wc_0 CHECK (n > 0) NOT VALID;
SELECT * FROM provision_load($$CREATE TABLE nv.w (id int PRIMARY KEY, n int);
ALTER TABLE nv.w ADD CONSTRAINT w_fk_0 FOREIGN KEY (id) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT w_fk_2 FOREIGN KEY (id) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT w_fk_1 FOREIGN KEY (id) REFERENCES nv.w (id);
ALTER TABLE nv.w ADD FOREIGN KEY (n) REFERENCES nv.w (id);
ALTER TABLE nv.w ADD FOREIGN KEY (n) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w ADD CONSTRAINT wc_1 CHECK (n > 0);
ALTER TABLE nv.w ADD CONSTRAINT wc_0 CHECK (n > 0) NOT VALID;$$);
SELECT table_name, definition FROM provision_models WHERE table_name = 'nv.w';
SELECT * FROM provision_diff('nv.w');
-- the valid one validated by hand, the other way round: still none
ALTER TABLE nv.w DROP CONSTRAINT w_fk_1;
ALTER TABLE nv.w ADD CONSTRAINT w_fk_1 FOREIGN KEY (id) REFERENCES nv.w (id) NOT VALID;
ALTER TABLE nv.w VALIDATE CONSTRAINT w_fk_2;
SELECT table_name, change, object, declared, actual FROM provision_diff('nv.w');
-- a captured table with them: the same
SELECT provision_forget('nv.w');
SELECT provision_capture('nv.w');
SELECT * FROM provision_diff('nv.w');

-- clean up
SELECT count(provision_forget(table_name)) FROM provision_models WHERE kind IN ('table', 'partition');
SELECT count(provision_forget_object(kind, table_name)) FROM provision_models;
DROP SCHEMA nv CASCADE;
