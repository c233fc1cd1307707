-- Per-column COMPRESSION (PostgreSQL 14 on) is refused like STORAGE and
-- OPTIONS, 0A000; PostgreSQL 13's own parser does not know it and says so,
-- 42601 (expected/define_compression_1.out).  Either way nothing is
-- registered and nothing is created.
SET client_min_messages = warning;
CREATE SCHEMA defc;
SELECT count(*) AS models_before FROM provision_models \gset
SELECT provision_define('defc.bad', $$ a text COMPRESSION pglz $$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :models_before AS nothing_registered FROM provision_models;
SELECT to_regclass('defc.bad') IS NULL AS nothing_created;
DROP SCHEMA defc;
