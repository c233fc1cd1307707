#!/usr/bin/python3
"""fuzz.py: seeded fuzz driver for the provision extension.

Makes --calls (default 100000) calls of the extension's functions from
--workers (default 4) connections, each its own thread with its own
random.Random seeded from --seed (printed; default: from the clock), so the
sequence of statements each worker sends is reproducible; how the workers
interleave is not.

Inputs: names from a pool of about 200 tables in three schemas (written in
several equivalent spellings), adversarial names (quotes, dots, 63/64/65-byte
and multibyte names, reserved words, empty, NULL, control bytes, trailing
spaces, unicode, system schemas), and definitions from a small grammar of
valid table bodies (every type family, an enum, a domain, a composite,
serial/identity/generated columns, DEFAULT, NOT NULL, CHECK, UNIQUE,
PRIMARY KEY, EXCLUDE, REFERENCES to other fuzz tables, COLLATE) and broken
ones (unknown types, syntax errors, smuggled statements, unbalanced quotes
and comments, deep nesting, 1000+ column bodies, random junk, random
mutations of valid bodies).  Calls are interleaved at random with manual DDL
on the fuzz tables (ALTER, DROP, RENAME, INSERT, CREATE INDEX, temp tables
of the same name, dropping and recreating types) to create drift.  Each
call runs in its own transaction, or in a savepoint of a batch that is
committed or rolled back.

Registry tampering: some transactions write straight into the registry as
its owner (what only a superuser could do): NULL elements and NULL columns,
arrays of other lengths or dimensions, codes no model has, empty and system
names, names of the extension's own tables, unknown declarers, and texts
that smuggle statements or subcommands into bodies, defaults, types,
constraints and foreign keys; then call a function and roll back.  Such a
row must be reported as a damaged model (XX001) or another clear error,
never run, never crash the server; XX001 anywhere else is a failure.

Everything happens in a database of its own (--database, default
provision_fuzz, dropped and created at start), so every schema in it but
the system ones is a fuzz schema.

Checks afterwards (each printed as "ok - ..." or "not ok - ...: why"):
  a. the server never restarted: no crash lines in the server log
     (--server-log, else pg_current_logfile()), the sentinel connection
     opened at the start and every worker connection are still alive;
  b. no SQLSTATE of class XX or 58 (and no statement timeout: hangs), but
     XX001 (a damaged model) from a tampered registry row;
  c. amcheck bt_index_check(heapallindexed) over every btree index in
     pg_catalog, pg_toast and the fuzz schemas, verify_heapam over every
     pg_catalog table and the registry; every relation in the fuzz schemas
     explained (made by a committed provision call per its history, or by
     the fuzzer's own DDL; indexes and sequences of such tables);
     no temporary relation left in any worker session; registry rows of a
     valid shape; every model's definition declared again gives itself;
     the registry against pg_class (provision_diff() reports table_missing
     exactly for the models that have no table).
Exit status 0 when every check passed, 1 otherwise.  Details of every bad
error (statement, message, the worker's previous statements) are written
to --out (default fuzz-failures.txt in the current directory).
"""

import argparse
import collections
import os
import random
import re
import sys
import threading
import time
import traceback

import psycopg2
import psycopg2.extensions

SCHEMAS = ['fuzz_a', 'fuzz_b', 'Fuzz Ü']
POOL_SIZE = 200

# ---------------------------------------------------------------- quoting

_BARE = re.compile(r'^[a-z_][a-z0-9_$]*$')
_KEYWORDS = {
    'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc',
    'asymmetric', 'both', 'case', 'cast', 'check', 'collate', 'column',
    'constraint', 'create', 'current_catalog', 'current_date', 'current_role',
    'current_time', 'current_timestamp', 'current_user', 'default',
    'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false',
    'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in',
    'initially', 'intersect', 'into', 'lateral', 'leading', 'limit',
    'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or',
    'order', 'placing', 'primary', 'references', 'returning', 'select',
    'session_user', 'some', 'symmetric', 'table', 'then', 'to', 'trailing',
    'true', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where',
    'window', 'with'}


def qi(ident):
    """quote_ident(), conservatively (quotes every keyword it knows)"""
    if _BARE.match(ident) and ident not in _KEYWORDS:
        return ident
    return '"' + ident.replace('"', '""') + '"'


def qq(schema, table):
    return qi(schema) + '.' + qi(table)


def always_quoted(ident):
    return '"' + ident.replace('"', '""') + '"'


# ------------------------------------------------------------ the grammar

# type families: (options, defaults, checks with {c}, collatable)
TYPE_FAMILIES = {
    'int': (['integer', 'bigint', 'smallint', 'int4', 'int8', 'int2'],
            ['0', '42', '-1', '(1 + 2)'],
            ['{c} > -1000', '{c} <> 13', '{c} IS NOT NULL'], False),
    'numeric': (['numeric(10,2)', 'numeric(12,2)', 'numeric(8,2)', 'numeric',
                 'numeric(5,0)', 'decimal(20,4)'],
                ['0', '1.5', '0.00'], ['{c} >= 0'], False),
    'float': (['real', 'double precision', 'float4', 'float8'],
              ['0.5', '1e10', "'NaN'"], ['{c} < 1e30'], False),
    'text': (['text', 'varchar(20)', 'varchar(50)', 'character varying(200)',
              'char(10)', 'varchar', 'character(3)'],
             ["''", "'x'", "'it''s'", "$$ ) ; DROP TABLE x; -- $$", "'ü€'",
              "E'tab\\there'", "'--'", "'/*'"],
             ['length({c}) < 100', "{c} <> ''", "{c} ~ '^[a-z]'"], True),
    'bytea': (['bytea'], ["'\\x00ff'::bytea", "''"], ['length({c}) < 10'], False),
    'bool': (['boolean', 'bool'], ['true', 'false'], ['{c} OR NOT {c}'], False),
    'date': (['date'], ['CURRENT_DATE', "'2020-01-01'"], ["{c} > '1900-01-01'"], False),
    'time': (['time', 'time(3)', 'timetz', 'time without time zone'],
             ["'12:00'", 'LOCALTIME'], [], False),
    'timestamp': (['timestamptz', 'timestamp', 'timestamptz(3)',
                   'timestamp with time zone'],
                  ['now()', "'2020-01-01 00:00'", 'CURRENT_TIMESTAMP'],
                  ["{c} > '2000-01-01'"], False),
    'interval': (['interval', 'interval(2)', 'interval day', 'interval hour to minute'],
                 ["'1 day'", "'00:01'"], ["{c} > '0'"], False),
    'uuid': (['uuid'], ['gen_random_uuid()'], [], False),
    'json': (['json', 'jsonb'], ["'{}'", "'[1, 2]'", '\'{"a": 1}\''], ['{c} IS NOT NULL'], False),
    'net': (['inet', 'cidr'], ["'10.0.0.0/8'", "'127.0.0.1'"], [], False),
    'array': (['integer[]', 'int[]', 'bigint[]', 'text[]', 'varchar(10)[]',
               'integer[][]', 'int4[3]'],
              ["'{}'", 'ARRAY[1, 2]'], ['cardinality({c}) < 10'], False),
    'range': (['int4range', 'int8range', 'numrange', 'tstzrange', 'daterange'],
              ["'[1,10)'", "'empty'"], ['NOT isempty({c})'], False),
    'enum': (['fuzz_a.mood', '"fuzz_a"."mood"'], ["'ok'", "'happy'"], ["{c} <> 'sad'"], False),
    'domain': (['fuzz_a.posint'], ['1', '7'], ['{c} < 100'], False),
    'composite': (['fuzz_a.pair'], ["ROW(1, 'a')"], [], False),
    'misc': (['money', 'point', 'tsvector', 'bit(4)', 'varbit(8)', 'xml', 'oid',
              'regclass', 'name', '"char"', 'macaddr', 'int4multirange',
              'pg_catalog.int4', 'pg_lsn', 'txid_snapshot'], [], [], False),
}
FAMILY_NAMES = sorted(TYPE_FAMILIES)
INTISH = {'integer', 'bigint', 'smallint', 'int4', 'int8', 'int2'}
SIMPLE_TYPES = ['integer', 'bigint', 'text', 'boolean', 'varchar(30)', 'numeric(8,2)',
                'timestamptz', 'date', 'jsonb', 'uuid', 'bytea', 'real', 'int[]']

ID_KINDS = ['int_pk', 'int_pk', 'bigserial_pk', 'identity_pk', 'serial_pk',
            'uuid_pk', 'none', 'composite_pk']
FK_OK_KINDS = {'int_pk', 'bigserial_pk', 'identity_pk', 'serial_pk'}

COLUMN_NAMES = ['name', 'note', 'amount', 'flag', 'born', 'at', 'span', 'data',
                'addr', 'tags', 'period', 'mood', 'qty', 'price', 'ref_id',
                'owner_id', 'code', '"Weird Col"', '"ü"', '"select"', '"a""b"',
                '"sp ace"', 'c_%d']

SMUGGLED = [
    "id int); DROP TABLE x; --",
    "id int); CREATE TABLE evil (x int",
    "id int) ; SELECT pg_sleep(10); --",
    "id int) INHERITS (fuzz_a.t001",
    "id int) PARTITION BY RANGE (id",
    "id int) WITH (fillfactor = 50",
    "id int) TABLESPACE pg_default; --",
    "id int) USING heap; --",
    "id int) ON COMMIT DROP; --",
    "id int); COMMIT; CREATE TABLE evil2 (x int",
    "id int DEFAULT 1); DROP SCHEMA fuzz_a CASCADE; --",
    "id int /* ) ; DROP TABLE x; */",
    "id int -- ); DROP TABLE x",
    "id int\n); DROP TABLE x; CREATE TABLE y (\nz int",
    "id int); CREATE EXTENSION amcheck; --",
    "id int) SERVER foo OPTIONS (x 'y'",
    "id int) INHERITS (pg_class",
    "id int)) ; --",
    "id int); --",
    "id int);",
    ");",
    ") ; CREATE TABLE evil3 (",
    "id int); DO $x$ BEGIN RAISE EXCEPTION 'boom'; END $x$; CREATE TABLE evil4 (y int",
    "LIKE fuzz_a.t001",
    "LIKE fuzz_a.t001 INCLUDING ALL",
    "id int, LIKE fuzz_b.t002",
    "id int COMPRESSION pglz",
    "id text STORAGE EXTERNAL",
    "id int OPTIONS (a 'b')",
    "PARTITION OF fuzz_a.t001",
    "id int REFERENCES pg_temp.x (id)",
    "id int REFERENCES otherdb.public.t (id)",
    "id int REFERENCES fuzz_a.t001 (id) MATCH PARTIAL",
    "id int REFERENCES fuzz_a.t001 (id) MATCH FULL",
    "id int, FOREIGN KEY (id, id) REFERENCES fuzz_a.t001 (id)",
    "id int, FOREIGN KEY (nope) REFERENCES fuzz_a.t001 (id)",
    "id int, FOREIGN KEY (id) REFERENCES fuzz_a.t001 (id, id)",
    "id int REFERENCES fuzz_a.t001 (id) ON DELETE SET NULL (nope)",
    "id int REFERENCES fuzz_a.t001 (id) DEFERRABLE INITIALLY DEFERRED NOT DEFERRABLE",
    "id int REFERENCES fuzz_a.t001 (id) INITIALLY DEFERRED",
    "id int DEFAULT (SELECT 1)",
    "id int DEFAULT nextval('nosuchseq')",
    "id int CHECK (id IN (SELECT 1))",
    "id int CHECK (sum(id) > 0)",
    "id int CHECK (row_number() OVER () > 0)",
    "id int GENERATED ALWAYS AS (id + 1) STORED",
    "a int GENERATED ALWAYS AS (b) STORED, b int GENERATED ALWAYS AS (a) STORED",
    "a int GENERATED ALWAYS AS (random()::int) STORED",
    "a int GENERATED ALWAYS AS (1) VIRTUAL",
    "ctid int", "oid int", "xmin int", "tableoid int",
    "a int, a text",
    "a int PRIMARY KEY, b int PRIMARY KEY",
    "a int, PRIMARY KEY (nope)",
    "a int, UNIQUE (a, a)",
    "a int, EXCLUDE USING gist (a WITH =)",
    "a int, EXCLUDE USING hash (a WITH =)",
    "a int4range, EXCLUDE USING gist (a WITH &&)",
    "a serial DEFAULT 1",
    "a int GENERATED ALWAYS AS IDENTITY DEFAULT 1",
    "a text GENERATED ALWAYS AS IDENTITY",
    "a int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME fuzz_a.custom_seq)",
    "a int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY -3 CYCLE)",
    "a int GENERATED BY DEFAULT AS IDENTITY (MINVALUE 5 MAXVALUE 4)",
    "a int DEFAULT nextval('fuzz_a.t001_id_seq')",
    "a fuzz_a.t001",
    "a fuzz_a.t001[]",
    "a int4 COLLATE \"C\"",
    "a text COLLATE \"nosuch\"",
    "a text COLLATE \"C\" COLLATE \"POSIX\"",
    "a varchar(0)", "a varchar(10485761)", "a numeric(1001)", "a numeric(5,6)",
    "a bit(0)", "a char(-1)", "a timestamp(7)", "a interval(7)", "a integer(5)",
    "a int[][][][][][][]", "a varchar(-1)", "a float(54)", "a float(0)",
    "a int DEFAULT 'abc'", "a int DEFAULT 99999999999", "a int CHECK (a > 'x')",
    "a int, CONSTRAINT c CHECK (a > 0), CONSTRAINT c CHECK (a > 1)",
    "a int CONSTRAINT c UNIQUE, CONSTRAINT c CHECK (a > 1)",
    "CONSTRAINT \"\" CHECK (true)",
    "\"" + "x" * 70 + "\" int",
    "\"" + "é" * 40 + "\" int",
    "a int DEFAULT current_user", "a name DEFAULT session_user",
    "a int CHECK (a > 0) NOT VALID",
    "a int UNIQUE NULLS NOT DISTINCT",
    "a int, UNIQUE NULLS NOT DISTINCT (a)",
    "a int UNIQUE DEFERRABLE INITIALLY DEFERRED",
    "a int PRIMARY KEY USING INDEX TABLESPACE pg_default",
    "a int, b int, PRIMARY KEY (a) INCLUDE (b)",
    "a int, UNIQUE (a) WITH (fillfactor=70)",
    "a text, EXCLUDE USING btree (lower(a) WITH =) WHERE (a <> '')",
    "a int CHECK (a > 0) NO INHERIT",
    "a int DEFAULT pg_backend_pid()",
    "a tsvector GENERATED ALWAYS AS (to_tsvector('english', 'x')) STORED",
    "a int NOT NULL NULL",
    "a int DEFAULT 1 DEFAULT 2",
    "a int, CHECK (false)",
    "a pg_temp.sometype",
    "a nosuchtype", "a fuzz_a.nosuch", "a nosuchschema.t", "a int4range[]",
    "a int, b int REFERENCES fuzz_b.t004 (id) ON UPDATE CASCADE ON DELETE SET DEFAULT",
    "a int, FOREIGN KEY (a) REFERENCES fuzz_a.nosuchtable",
    "a int REFERENCES fuzz_a.t001",
    "a int REFERENCES t001",
    "a int REFERENCES \"Fuzz Ü\".t002 (id)",
    "a int REFERENCES provision_registry (table_name)",
    "a int REFERENCES pg_catalog.pg_class (oid)",
    "a int DEFAULT $$unterminated",
    "a text DEFAULT 'unterminated",
    "\"unterminated int",
    "a int /* unterminated comment",
    "a int, /* nested /* comment */ still open",
    "a int, /* nested /* comment */ closed */ b int",
    "a int -- comment at end",
    "-- only a comment",
    "/* only a comment */",
    "   ",
    "\n\t\n",
    ",",
    "a int,",
    ", a int",
    "a int b int",
    "int",
    "PRIMARY KEY",
    "(a int)",
    "a (int)",
    "a int)",
    "(a int",
    "a int DEFAULT (((1)",
    "a int CHECK (a > 0)))",
    "a int DEFAULT $q$ ) ; $q$",
    "a text DEFAULT U&'\\0041'",
    "a text DEFAULT U&'\\D800'",
    "a text DEFAULT E'\\xff'",
    "a text DEFAULT E'\\u0000'",
    "a int DEFAULT 1::regclass::oid::int",
    "a regclass DEFAULT 'fuzz_a.t001'",
    "a int DEFAULT length(current_setting('search_path'))",
    "a int GENERATED ALWAYS AS (a) STORED",
    "a int, b int GENERATED ALWAYS AS (a * 2) STORED, c int GENERATED ALWAYS AS (b) STORED",
    "a int, b int GENERATED ALWAYS AS (a * 2) STORED DEFAULT 1",
    "a int, b int GENERATED ALWAYS AS (a * 2) STORED UNIQUE",
    "a int, b int GENERATED ALWAYS AS (a * 2) STORED REFERENCES fuzz_a.t001 (id)",
    "a int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b int GENERATED ALWAYS AS IDENTITY",
]

TOKENS = ['(', ')', ',', ';', 'int', 'text', 'PRIMARY', 'KEY', 'REFERENCES',
          'CHECK', "'", '"', '$$', '/*', '*/', '--', 'DEFAULT', 'NOT', 'NULL',
          'GENERATED', 'ALWAYS', 'AS', 'IDENTITY', 'STORED', 'UNIQUE',
          'CONSTRAINT', 'a', 'b', 'id', 'fuzz_a.t001', 'COLLATE', '"C"', '1',
          '::', 'ARRAY[', ']', '[', 'FOREIGN', 'EXCLUDE', 'WITH', 'USING',
          'DROP', 'TABLE', 'CREATE', '\\', '\n', ' ', 'E\'', 'U&"', '.', '*',
          'NULLS', 'DISTINCT', 'DEFERRABLE', 'ON', 'DELETE', 'CASCADE']

ADVERSARIAL_NAMES = [
    None, '', ' ', '\t', '.', '..', 'a.', '.a', 'a..b', 'a.b.c', 'a.b.c.d',
    '"', '""', '"".x', 'x.""', '"unterminated', 'fuzz_a."unterminated',
    'a"b', '"a"b', '"a" b', 'a b', '"a""b"', '"dot.inside"', '"  spaces  "',
    'trailing ', ' leading', 'fuzz_a.t001 ', ' fuzz_a . t001 ', '\ttab',
    'tab\there', 'ctl\x01byte', '"ctl\x01q"', 'new\nline', '"new\nline"',
    '"\x7f"', '"\u0085"', 'x' * 63, 'x' * 64, 'x' * 65, 'fuzz_b.' + 'y' * 63,
    'fuzz_b.' + 'y' * 64, 'z' * 64 + '.t', '"' + 'q' * 63 + '"', '"' + 'q' * 64 + '"',
    'é' * 31, 'é' * 32, '"' + 'é' * 31 + '"', 'fuzz_a."' + 'é' * 32 + '"',
    '€' * 21, '€' * 22, '😀' * 15, '😀' * 16, 'fuzz_a.' + '€' * 21,
    'x' * 62 + 'é', 'x' * 61 + 'é',
    'select', 'table', '"select"', 'user', 'fuzz_a.order', 'fuzz_a."order"',
    'fuzz_a.null', 'fuzz_a."NULL"', 'default.x', '"default"."x"',
    'pg_temp.x', 'pg_temp', 'PG_TEMP.x', '"pg_temp".x', 'pg_temp_1.x',
    'pg_toast_temp_1.x', 'pg_catalog.fuzz_new', 'information_schema.fuzz_new',
    'pg_toast.x', 'FUZZ_A.T001', '"FUZZ_A"."T001"', 'fuzz_a . t001',
    '"fuzz_a"."t001"', 'Fuzz_A."t001"', 'ＦＵＬＬ', '"日本語"', 'fuzz_b."Ünïcödé"',
    '\u200b', '"\u200b"', 'x\u0301', 'nosuch_schema_zz.t', '"Fuzz Ü".t', '"fuzz ü".t',
    '$1', "'quoted'", 'a;drop table x', 'a--b', 'a/*b*/', 'fuzz_a.t001;',
    'fuzz_a.t001--', '"fuzz_a.t001"', 'public.provision_models', 'public.provision_history',
    'fuzz_b.idx_dummy', '"a"."b"."c"', '..x', 'x..', '"x"."', '"x".', '.  .',
    '\\', '"\\"', 'a\\b', '%s', '%', "x'y", '"x\'y"', 'fuzz_a.\u00e9t\u00e9',
    'fuzz_a."t\u00e9t\u00e9"', 'DROP TABLE fuzz_a.t001', 'fuzz_a.t001 CASCADE',
]
# names whose targets are the system's or the extension's own: calls that
# could make a model of them run in a transaction that is rolled back
SYSTEM_PREFIXES = ('pg_catalog.', 'information_schema.', 'pg_toast.', 'public.provision')

SEARCH_PATHS = ["''", 'fuzz_b, public', 'nosuch, fuzz_a, public', '"Fuzz Ü", public',
                'pg_temp, fuzz_a, public', 'public', '"$user", fuzz_b']


# registry columns the tamper op damages
TAMPER_ARRAYS = [
    'fk_ref_schemas', 'fk_ref_tables', 'foreign_keys', 'fk_names', 'fk_signatures',
    'col_names', 'col_types', 'col_collations', 'col_notnull', 'col_defaults',
    'col_alt_defaults', 'col_identity', 'col_generated', 'col_identity_options',
    'col_serial', 'con_names', 'con_types', 'con_defs', 'con_alt_defs', 'con_explicit']
TAMPER_BOOL_ARRAYS = {'col_notnull', 'con_explicit'}
TAMPER_SCALARS = ['body', 'definition', 'declared_by', 'schema_name', 'table_name']
# texts a tamperer might hope provision pastes into SQL
TAMPER_TEXTS = [
    "id int); ALTER ROLE postgres NOSUPERUSER; CREATE TABLE public.innocent2 (id int",
    "1); DROP SCHEMA fuzz_a CASCADE; --",
    "1, DROP COLUMN id",
    "'x'; DROP TABLE fuzz_a.t001",
    "integer; DROP TABLE fuzz_a.t001",
    "integer USING pg_sleep(1)",
    "CHECK (true), DROP CONSTRAINT x",
    "FOREIGN KEY (id) REFERENCES pg_catalog.pg_class (oid)",
    "id int) INHERITS (fuzz_a.t001",
    "id int) PARTITION BY RANGE (id",
    "LIKE fuzz_a.t001 INCLUDING ALL",
    "\\\"", "''", "(", ")", "--", "/*", "$$", "",
    "a" * 70, "\u00e9\u00e9",
    "nextval('pg_catalog.pg_class')",
    " (START WITH 1) ; SELECT 1",
    "PRIMARY KEY (nosuch)",
    "integer[][][]",
    "character varying(-5)",
    "pg_catalog.int4; SELECT pg_sleep(1)"]


def pg_literal(value):
    """an SQL string literal"""
    if value is None:
        return 'NULL'
    return "'" + str(value).replace("'", "''") + "'"


class Stop(Exception):
    pass


# ------------------------------------------------------------- the model

class Pool:
    """The fuzz tables: per table a family of columns its models draw from"""

    def __init__(self, seed):
        rng = random.Random('%s-families' % seed)
        self.tables = []
        for i in range(POOL_SIZE):
            schema = SCHEMAS[i % 3]
            if i % 17 == 5:
                table = 'T Mixed %03d' % i
            elif i % 23 == 7:
                table = 'tä_%03d' % i
            elif i % 31 == 11:
                table = 'order_%03d' % i
            else:
                table = 't%03d' % i
            kind = ID_KINDS[i % len(ID_KINDS)]
            cols = []
            used = set()
            for _ in range(rng.randint(2, 9)):
                name = rng.choice(COLUMN_NAMES)
                if name == 'c_%d':
                    name = 'c_%d' % rng.randint(0, 99)
                if name in used:
                    continue
                used.add(name)
                fam = rng.choice(FAMILY_NAMES)
                opts = TYPE_FAMILIES[fam][0]
                types = rng.sample(opts, min(len(opts), rng.randint(1, 3)))
                cols.append((name, fam, types))
            self.tables.append({'schema': schema, 'table': table, 'kind': kind,
                                'cols': cols, 'index': i})
        self.fk_targets = [t for t in self.tables if t['kind'] in FK_OK_KINDS]
        self.specials = [('fuzz_b', 'huge_%d' % i) for i in range(3)] + \
                        [('fuzz_b', 'deep_%d' % i) for i in range(3)]


def name_spelling(rng, schema, table):
    """one of the equivalent spellings of schema.table"""
    r = rng.random()
    if r < 0.45:
        return qq(schema, table)
    if r < 0.6:
        return always_quoted(schema) + '.' + always_quoted(table)
    if r < 0.7:
        return ' %s .  %s ' % (qi(schema), qi(table))
    if r < 0.8 and _BARE.match(schema) and _BARE.match(table):
        return (schema + '.' + table).upper()
    if r < 0.9 and schema == 'fuzz_a':
        return qi(table)          # search_path puts it into fuzz_a
    return qq(schema, table)


def junk(rng, n):
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(chr(rng.randint(1, 127)))
        elif r < 0.8:
            out.append(chr(rng.randint(0x80, 0x7ff)))
        else:
            c = rng.randint(0x800, 0x2ffff)
            if 0xd800 <= c <= 0xdfff:
                c = 0x2603
            out.append(chr(c))
    return ''.join(out)


class Grammar:
    def __init__(self, pool):
        self.pool = pool

    def fk_target(self, rng):
        t = rng.choice(self.pool.fk_targets)
        return always_quoted(t['schema']) + '.' + always_quoted(t['table'])

    def column(self, rng, name, fam, types, state):
        typ = rng.choice(types)
        _, defaults, checks, collatable = TYPE_FAMILIES[fam]
        parts = [name, typ]
        if collatable and rng.random() < 0.12:
            parts.append('COLLATE "C"')
        if typ in INTISH and rng.random() < 0.05 and not state.get('identity'):
            state['identity'] = True
            parts.append(rng.choice([
                'GENERATED ALWAYS AS IDENTITY',
                'GENERATED BY DEFAULT AS IDENTITY',
                'GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2)',
                'GENERATED ALWAYS AS IDENTITY (CACHE 5 CYCLE)']))
        elif typ in INTISH and rng.random() < 0.06 and state.get('intcols'):
            parts.append('GENERATED ALWAYS AS (%s * 2) STORED' % rng.choice(state['intcols']))
        else:
            if defaults and rng.random() < 0.3:
                parts.append('DEFAULT ' + rng.choice(defaults))
            if typ in INTISH:
                state.setdefault('intcols', []).append(name)
        if rng.random() < 0.2:
            parts.append('NOT NULL')
        if checks and rng.random() < 0.1:
            chk = rng.choice(checks).format(c=name)
            if rng.random() < 0.3:
                parts.append('CONSTRAINT %s CHECK (%s)' % (
                    always_quoted('ck %s ü' % rng.randint(0, 9)), chk))
            else:
                parts.append('CHECK (%s)' % chk)
        if fam not in ('json', 'misc', 'composite', 'array') and rng.random() < 0.06:
            parts.append('UNIQUE')
        if typ in INTISH and rng.random() < 0.12:
            parts.append('REFERENCES %s (id)' % self.fk_target(rng))
            parts.append(rng.choice(['', 'ON DELETE CASCADE', 'ON DELETE SET NULL',
                                     'ON UPDATE RESTRICT', 'DEFERRABLE INITIALLY DEFERRED',
                                     'MATCH FULL', 'ON DELETE SET NULL (%s)' % name]))
        return ' '.join(p for p in parts if p)

    def id_column(self, rng, kind, tag):
        # index-backed constraint names are per schema: tag makes them unique
        return {
            'int_pk': rng.choice(['id integer PRIMARY KEY', 'id int NOT NULL PRIMARY KEY',
                                  'id int4 CONSTRAINT "pk ü %s" PRIMARY KEY' % tag]),
            'bigserial_pk': 'id bigserial PRIMARY KEY',
            'identity_pk': rng.choice(['id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
                                       'id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY']),
            'serial_pk': rng.choice(['id serial PRIMARY KEY', 'id serial, PRIMARY KEY (id)']),
            'uuid_pk': 'id uuid PRIMARY KEY DEFAULT gen_random_uuid()',
            'none': rng.choice(['id integer', 'id smallserial', 'id text']),
            'composite_pk': 'id integer NOT NULL, sub smallint NOT NULL, PRIMARY KEY (id, sub)',
        }[kind]

    def valid(self, rng, t):
        """a valid body for pool table t, drawn from its family"""
        state = {}
        parts = [self.id_column(rng, t['kind'], t['index'])]
        if t['kind'] in FK_OK_KINDS:
            state['intcols'] = ['id'] if 'serial' not in parts[0] else ['id']
        chosen = []
        for name, fam, types in t['cols']:
            if rng.random() < 0.75:
                chosen.append(name)
                parts.append(self.column(rng, name, fam, types, state))
        if chosen and rng.random() < 0.15:
            c = rng.sample(chosen, min(len(chosen), rng.randint(1, 2)))
            fams = {n: f for n, f, _ in t['cols']}
            if all(fams[x] not in ('json', 'misc', 'composite', 'point') for x in c):
                parts.append(rng.choice(['UNIQUE (%s)', 'UNIQUE NULLS NOT DISTINCT (%s)',
                                         'CONSTRAINT "uq %d %d" UNIQUE (%%s)' % (
                                             t['index'], rng.randint(0, 3))])
                             % ', '.join(c))
        if rng.random() < 0.1:
            parts.append(rng.choice(['CHECK (id IS NOT NULL)',
                                     'CONSTRAINT named_check CHECK (true)',
                                     'EXCLUDE USING btree (id WITH =)']))
        if rng.random() < 0.12 and t['kind'] != 'uuid_pk':
            parts.append('fk_col integer')
            parts.append('FOREIGN KEY (fk_col) REFERENCES %s (id) ON DELETE %s' % (
                self.fk_target(rng), rng.choice(['CASCADE', 'RESTRICT', 'NO ACTION', 'SET NULL'])))
        if rng.random() < 0.03 and t['kind'] in FK_OK_KINDS:
            parts.append('parent_id integer REFERENCES %s (id)' % qq(t['schema'], t['table']))
        if rng.random() < 0.02:
            parts.append('churn fuzz_b.churn')
        if rng.random() < 0.02:
            parts.append('churn_d fuzz_b.churn_dom DEFAULT \'v\'')
        if rng.random() < 0.01:
            other = rng.choice(self.pool.tables)
            parts.append('row_of %s' % qq(other['schema'], other['table']))
        rng.shuffle(parts) if rng.random() < 0.1 else None
        sep = rng.choice([', ', ',\n  ', ' ,', ',\t'])
        body = sep.join(parts)
        if rng.random() < 0.05:
            body = '\n  ' + body + '\n  -- trailing comment'
        if rng.random() < 0.03:
            body = '/* leading */ ' + body
        return body

    def huge(self, rng):
        n = rng.choice([1000, 1200, 1599, 1600, 1601, 2000])
        cols = ['c%d %s' % (i, rng.choice(SIMPLE_TYPES)) for i in range(n)]
        if rng.random() < 0.5:
            cols[0] = 'c0 integer PRIMARY KEY'
        if rng.random() < 0.3:
            cols.append('big text DEFAULT \'%s\'' % ('x' * rng.choice([1000, 100000])))
        return ', '.join(cols)

    def deep(self, rng):
        d = rng.choice([50, 200, 300, 500, 1000, 3000, 10000])
        r = rng.random()
        if r < 0.35:
            return 'c int CHECK (' + '(' * d + 'c > 0' + ')' * d + ')'
        if r < 0.5:
            return 'c int DEFAULT ' + '- ' * d + '1'
        if r < 0.6:
            return 'c int[] DEFAULT ' + 'ARRAY[' * min(d, 8) + '1' + ']' * min(d, 8)
        if r < 0.7:
            return "c jsonb DEFAULT '" + '[' * d + ']' * d + "'"
        if r < 0.8:
            return 'c int CHECK (' + ' AND '.join('c <> %d' % i for i in range(d)) + ')'
        if r < 0.9:
            return 'c int CHECK (' + '(' * d + 'c > 0' + ')' * (d - 1) + ')'   # unbalanced
        return 'c text DEFAULT ' + ' || '.join("'x'" for _ in range(d))

    def mutate(self, rng, body):
        if not body:
            return body
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            pos = rng.randint(0, len(body))
            if r < 0.25:
                body = body[:pos] + body[pos + 1:]
            elif r < 0.5:
                body = body[:pos] + rng.choice(TOKENS) + body[pos:]
            elif r < 0.65:
                body = body[:pos]
            elif r < 0.8:
                end = min(len(body), pos + rng.randint(1, 20))
                body = body[:end] + body[pos:end] + body[end:]
            else:
                body = body.replace(rng.choice(['(', ')', ',', "'", ' ']),
                                    rng.choice([')', '(', '', '"', ';']), 1)
        return body

    def broken(self, rng, t):
        r = rng.random()
        if r < 0.35:
            return rng.choice(SMUGGLED)
        if r < 0.6:
            return self.mutate(rng, self.valid(rng, t))
        if r < 0.7:
            return ' '.join(rng.choice(TOKENS) for _ in range(rng.randint(1, 30)))
        if r < 0.8:
            return junk(rng, rng.randint(1, 200))
        if r < 0.85:
            return 'c0 int, ' + junk(rng, rng.randint(1, 30))
        if r < 0.9:
            return self.valid(rng, t).replace('integer', rng.choice(
                ['integr', 'fuzz_a.nosuch', 'int4(3)', 'nosuch.int']), 1)
        if r < 0.95:
            return rng.choice([None, '', ' '])
        return self.valid(rng, t) + rng.choice(SMUGGLED)[rng.randint(0, 5):]


# ------------------------------------------------------------ the workers

def connect(args, dbname, appname):
    conn = psycopg2.connect(dbname=dbname, application_name=appname,
                            connect_timeout=10)
    conn.set_client_encoding('UTF8')
    return conn


class Shared:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.calls = 0
        self.actions = 0
        self.codes = collections.Counter()
        self.op_codes = collections.Counter()
        self.op_time = collections.Counter()
        self.examples = {}          # (op, code) -> first few (statement, message, detail)
        self.bad = []               # internal errors: details
        self.notable = []           # deadlocks and unique violations outside batches
        self.hangs = []
        self.lost = []
        self.temp_leaks = []
        self.manual = set()         # (schema, table) the fuzzer made itself
        self.recents = {}
        self.stop = False
        self.deadline = None

    def take_call(self):
        with self.lock:
            if self.calls >= self.args.calls or self.stop:
                return False
            self.calls += 1
            return True


class Worker(threading.Thread):
    def __init__(self, wid, args, shared, pool, fn):
        super().__init__(name='fuzz-w%d' % wid, daemon=True)
        self.wid = wid
        self.args = args
        self.shared = shared
        self.pool = pool
        self.grammar = Grammar(pool)
        self.fn = fn
        self.rng = random.Random('%s-worker-%d' % (args.seed, wid))
        self.recent = collections.deque(maxlen=40)
        shared.recents[wid] = self.recent
        self.conn = None
        self.pid = None
        self.in_batch = False
        self.ncalls = 0
        self.error = None

    # ------------------------------------------------------------ plumbing
    def open(self):
        self.conn = connect(self.args, self.args.database, 'fuzz-w%d' % self.wid)
        cur = self.conn.cursor()
        cur.execute("SET statement_timeout = %s", ('%ds' % self.args.statement_timeout,))
        cur.execute("SET lock_timeout = '2s'")
        cur.execute("SET provision.lock_timeout = '2s'")
        cur.execute("SET client_min_messages = error")
        cur.execute("SET search_path = fuzz_a, public")
        cur.execute("SELECT pg_backend_pid()")
        self.pid = cur.fetchone()[0]
        self.conn.commit()

    def note(self, sql):
        self.recent.append((time.time(), sql))

    def execute(self, op, sql, params=(), fetch=True):
        """one statement under test; returns (ok, rows)"""
        if self.conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
            return False, None      # an earlier statement of this transaction failed
        cur = self.conn.cursor()
        try:
            text = cur.mogrify(sql, params).decode('utf-8', 'replace')
        except Exception:       # noqa: BLE001 - e.g. NUL in a parameter
            text = sql
        self.note(text)
        t0 = time.time()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall() if fetch and cur.description else None
            self.count(op, 'ok', time.time() - t0)
            return True, rows
        except psycopg2.Error as e:
            code = e.pgcode
            if code is None or self.conn.closed:
                self.connection_lost(op, text, e)
                raise Stop()
            self.count(op, code, time.time() - t0)
            msg = (e.pgerror or str(e)).strip()
            self.example(op, code, text, msg, e.diag.message_detail)
            if code in ('40P01', '23505') and not self.in_batch:
                # not explained by locks an earlier call of a batch holds
                self.record_bad(op, code, text, msg, e, kind='notable')
            if code == 'XX001' and op == 'tamper':
                pass            # a damaged model, reported as such: the point
            elif code.startswith('XX') or code.startswith('58'):
                self.record_bad(op, code, text, msg, e)
            elif code == '57014' and 'statement timeout' in msg:
                with self.shared.lock:
                    self.shared.hangs.append((self.wid, op, text[:2000], msg))
            return False, None

    def count(self, op, code, seconds=0.0):
        with self.shared.lock:
            self.shared.codes[code] += 1
            self.shared.op_codes[(op, code)] += 1
            self.shared.op_time[op] += seconds

    def example(self, op, code, text, msg, detail):
        with self.shared.lock:
            ex = self.shared.examples.setdefault((op, code), [])
            if len(ex) < 3:
                ex.append((text[:3000], msg, detail))

    def record_bad(self, op, code, text, msg, e, kind='bad'):
        diag = e.diag
        others = {w: list(r)[-6:] for w, r in self.shared.recents.items() if w != self.wid}
        with self.shared.lock:
            (self.shared.bad if kind == 'bad' else self.shared.notable).append({
                'worker': self.wid, 'op': op, 'code': code, 'statement': text,
                'message': msg, 'detail': diag.message_detail,
                'context': diag.context, 'source': '%s:%s %s' % (
                    diag.source_file, diag.source_line, diag.source_function),
                'recent': list(self.recent), 'others': others})

    def connection_lost(self, op, text, e):
        with self.shared.lock:
            self.shared.lost.append((self.wid, op, text[:2000], str(e).strip()))
        try:
            self.conn.close()
        except Exception:       # noqa: BLE001
            pass

    def control(self, sql):
        self.note(sql)
        try:
            self.conn.cursor().execute(sql)
        except psycopg2.Error as e:
            if e.pgcode is None or self.conn.closed:
                self.connection_lost('control', sql, e)
                raise Stop()
            self.count('control', e.pgcode)

    def finish(self, commit):
        try:
            if commit:
                self.conn.commit()
                self.note('COMMIT')
            else:
                self.conn.rollback()
                self.note('ROLLBACK')
        except psycopg2.Error as e:
            if e.pgcode is None or self.conn.closed:
                self.connection_lost('commit', 'COMMIT', e)
                raise Stop()
            self.count('commit', e.pgcode)
            if e.pgcode.startswith('XX') or e.pgcode.startswith('58'):
                self.record_bad('commit', e.pgcode, 'COMMIT', str(e), e)
            self.conn.rollback()

    # ------------------------------------------------------------- choices
    def pool_table(self):
        return self.rng.choice(self.pool.tables)

    def pick_name(self):
        """(text, schema, table, system) of some name"""
        r = self.rng.random()
        if r < 0.86:
            t = self.pool_table()
            return name_spelling(self.rng, t['schema'], t['table']), t, False
        if r < 0.88:
            s, tb = self.rng.choice(self.pool.specials)
            return qq(s, tb), None, False
        if r < 0.90:
            s, tb = 'fuzz_b', 'cap_%d' % self.rng.randint(0, 9)
            return qq(s, tb), None, False
        name = self.rng.choice(ADVERSARIAL_NAMES)
        system = name is not None and any(
            name.lower().lstrip().startswith(p) for p in SYSTEM_PREFIXES)
        return name, None, system

    def pick_definition(self, t, name):
        r = self.rng.random()
        if name is not None and ('huge_' in name):
            return self.grammar.huge(self.rng)
        if name is not None and ('deep_' in name):
            return self.grammar.deep(self.rng)
        if t is None:
            t = self.pool_table()
        if r < 0.72:
            return self.grammar.valid(self.rng, t)
        if r < 0.74:
            return self.grammar.huge(self.rng) if self.rng.random() < 0.3 else self.grammar.deep(self.rng)
        return self.grammar.broken(self.rng, t)

    # ----------------------------------------------------------------- ops
    def op_call(self):
        """one call of an extension function; returns whether to roll back"""
        rng = self.rng
        fn = self.fn
        name, t, system = self.pick_name()
        r = rng.random()
        if r < 0.26:
            ok, _ = self.execute('define', 'SELECT %s(%%s, %%s)' % fn['define'],
                                 (name, self.pick_definition(t, name)))
            if rng.random() < 0.05:
                self.check_temp('define')
        elif r < 0.41:
            if rng.random() < 0.35:
                self.execute('table', 'SELECT %s(%%s, %%s)' % fn['table'],
                             (name, self.pick_definition(t, name)))
            else:
                self.execute('table', 'SELECT %s(%%s)' % fn['table'], (name,))
        elif r < 0.44:
            self.execute('all', 'SELECT * FROM %s()' % fn['all'])
        elif r < 0.50:
            self.execute('forget', 'SELECT %s(%%s)' % fn['forget'], (name,))
        elif r < 0.62:
            if rng.random() < 0.04:
                self.execute('diff', 'SELECT * FROM %s()' % fn['diff'])
            else:
                self.execute('diff', 'SELECT * FROM %s(%%s)' % fn['diff'], (name,))
        elif r < 0.69:
            arg = None if rng.random() < 0.03 else name
            self.execute('plan', 'SELECT * FROM %s(%%s)' % fn['plan'], (arg,))
        elif r < 0.82:
            arg = None if rng.random() < 0.03 else name
            destructive = rng.choice([True, False, False, None]) if rng.random() < 0.05 \
                else rng.choice([True, False])
            if rng.random() < 0.2:
                self.execute('migrate', 'SELECT * FROM %s(%%s)' % fn['migrate'], (arg,))
            else:
                self.execute('migrate', 'SELECT * FROM %s(%%s, allow_destructive => %%s)'
                             % fn['migrate'], (arg, destructive))
        elif r < 0.87:
            self.execute('capture', 'SELECT %s(%%s)' % fn['capture'], (name,))
        elif r < 0.91:
            schema = rng.choice(SCHEMAS + ['fuzz_c', 'Fuzz Ü', 'nosuch_schema_zz',
                                           '"Fuzz Ü"', 'FUZZ_A', '"fuzz_a"'] +
                                [n for n in ADVERSARIAL_NAMES if n is None or '.' not in n][:40])
            owner = rng.choice([None, None, 'postgres', 'nosuchrole', '', 'pg_monitor'])
            if schema is not None and any(schema.lower().startswith(p[:-1]) for p in SYSTEM_PREFIXES[:3]):
                system = True
            self.execute('schema', 'SELECT %s(%%s, %%s)' % fn['schema'], (schema, owner))
        elif r < 0.93:
            self.execute('views', rng.choice([
                'SELECT count(*), max(length(definition)) FROM %s' % fn['models'],
                'SELECT count(*) FROM %s' % fn['history'],
                'SELECT * FROM %s ORDER BY table_name LIMIT 5' % fn['models']]))
        elif r < 0.96:
            # the same name declared twice in one call sequence, then provisioned
            self.in_batch = True
            d = self.pick_definition(t, name)
            self.execute('define', 'SELECT %s(%%s, %%s)' % fn['define'], (name, d))
            self.execute('table', 'SELECT %s(%%s)' % fn['table'], (name,))
        else:
            # deploy-like: declare, migrate it, look at it
            self.in_batch = True
            self.execute('define', 'SELECT %s(%%s, %%s)' % fn['define'],
                         (name, self.pick_definition(t, name)))
            self.execute('migrate', 'SELECT * FROM %s(%%s, %%s)' % fn['migrate'],
                         (name, rng.random() < 0.5))
            self.execute('diff', 'SELECT * FROM %s(%%s)' % fn['diff'], (name,))
        return system

    def op_manual(self):
        """manual DDL on the fuzz tables, to make drift"""
        rng = self.rng
        t = self.pool_table()
        q = qq(t['schema'], t['table'])
        col = rng.choice(t['cols'])[0] if t['cols'] else 'id'
        r = rng.random()
        if r < 0.12:
            sql = 'DROP TABLE IF EXISTS %s%s' % (q, rng.choice([' CASCADE', ' CASCADE', '']))
        elif r < 0.22:
            sql = 'ALTER TABLE IF EXISTS %s ADD COLUMN IF NOT EXISTS %s %s' % (
                q, rng.choice(['extra', 'extra2', col, 'id']),
                rng.choice(['int', 'text NOT NULL DEFAULT \'x\'', 'bigserial', 'jsonb']))
        elif r < 0.32:
            sql = 'ALTER TABLE IF EXISTS %s DROP COLUMN IF EXISTS %s%s' % (
                q, rng.choice([col, 'extra', 'id', 'fk_col']), rng.choice(['', ' CASCADE']))
        elif r < 0.42:
            sql = 'ALTER TABLE IF EXISTS %s ALTER COLUMN %s TYPE %s' % (
                q, rng.choice([col, 'id']), rng.choice(
                    ['text', 'bigint USING 0', 'varchar(5)', 'numeric(4,1)', 'integer USING 1']))
        elif r < 0.55:
            sql = 'ALTER TABLE IF EXISTS %s ALTER COLUMN %s %s' % (
                q, rng.choice([col, 'id']), rng.choice(
                    ['SET NOT NULL', 'DROP NOT NULL', 'SET DEFAULT NULL', 'DROP DEFAULT',
                     'DROP IDENTITY IF EXISTS', 'ADD GENERATED ALWAYS AS IDENTITY',
                     'DROP EXPRESSION IF EXISTS', 'SET STATISTICS 10']))
        elif r < 0.63:
            sql = 'ALTER TABLE IF EXISTS %s %s' % (q, rng.choice([
                'ADD CONSTRAINT manual_ck CHECK (true)', 'ADD UNIQUE (id)',
                'DROP CONSTRAINT IF EXISTS %s' % qi(t['table'] + '_pkey'),
                'DROP CONSTRAINT IF EXISTS %s CASCADE' % qi(t['table'] + '_pkey'),
                'DROP CONSTRAINT IF EXISTS manual_ck',
                'ADD PRIMARY KEY (id)',
                'ADD FOREIGN KEY (id) REFERENCES %s (id) NOT VALID' % self.grammar.fk_target(rng)]))
        elif r < 0.7:
            other = self.pool_table()
            if other['schema'] == t['schema'] and rng.random() < 0.7:
                sql = 'ALTER TABLE IF EXISTS %s RENAME TO %s' % (q, qi(other['table']))
                self.add_manual(t['schema'], other['table'])
            else:
                sql = 'ALTER TABLE IF EXISTS %s SET SCHEMA %s' % (q, qi(other['schema']))
                self.add_manual(other['schema'], t['table'])
        elif r < 0.76:
            sql = 'ALTER TABLE IF EXISTS %s RENAME COLUMN %s TO %s' % (
                q, rng.choice([col, 'id']), rng.choice(['renamed', col, 'id']))
        elif r < 0.86:
            sql = 'INSERT INTO %s DEFAULT VALUES' % q
        elif r < 0.89:
            sql = 'CREATE INDEX IF NOT EXISTS %s ON %s (%s)' % (
                qi('ix_%s' % rng.randint(0, 20)), q, rng.choice([col, 'id']))
        elif r < 0.91:
            n = rng.randint(0, 9)
            self.add_manual('fuzz_b', 'cap_%d' % n)
            sql = 'CREATE TABLE IF NOT EXISTS fuzz_b.cap_%d (%s)' % (
                n, self.grammar.valid(rng, t))
        elif r < 0.93:
            # relations of other kinds, and tables of unusual kinds, under names
            # the fuzzer declares, captures and migrates
            n = rng.randint(0, 9)
            self.add_manual('fuzz_b', 'cap_%d' % n)
            self.add_manual('fuzz_b', 'cap_%d_p1' % n)
            c = 'fuzz_b.cap_%d' % n
            drop = ("DO $d$ DECLARE k \"char\"; BEGIN "
                    "SELECT relkind INTO k FROM pg_class WHERE oid = to_regclass('%s'); "
                    "IF k IS NOT NULL THEN EXECUTE 'DROP ' || CASE k WHEN 'v' THEN 'VIEW' "
                    "WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' "
                    "WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END || ' %s CASCADE'; END IF; END $d$; "
                    % (c, c))
            sql = drop + rng.choice([
                'CREATE VIEW %s AS SELECT 1 AS id' % c,
                'CREATE SEQUENCE %s' % c,
                'CREATE MATERIALIZED VIEW %s AS SELECT 1 AS id' % c,
                'CREATE TYPE %s AS (id integer)' % c,
                'CREATE TABLE %s (id integer PRIMARY KEY, v text) PARTITION BY RANGE (id); '
                'CREATE TABLE %s_p1 PARTITION OF %s FOR VALUES FROM (0) TO (100)' % (c, c, c),
                'CREATE TABLE %s (id integer, v text) PARTITION BY LIST (v)' % c,
                'CREATE TABLE %s () INHERITS (fuzz_a.t001)' % c,
                'CREATE UNLOGGED TABLE %s (id integer PRIMARY KEY, v text)' % c,
                'CREATE TABLE %s (id integer, v text, w int); ALTER TABLE %s DROP COLUMN v' % (c, c),
                'CREATE TABLE %s (id integer GENERATED ALWAYS AS IDENTITY (START WITH 5 '
                'INCREMENT BY 3 MINVALUE -10 MAXVALUE 1000 CACHE 4 CYCLE), '
                'r int4range, EXCLUDE USING gist (r WITH &&))' % c,
                'CREATE TABLE %s (id integer, CONSTRAINT "c-\"q" CHECK (id > 0) NOT VALID)' % c,
                'CREATE TABLE %s (id serial, v text COLLATE "POSIX" DEFAULT \'\' NOT NULL)' % c])
        elif r < 0.935:
            sql = rng.choice([
                "DROP TYPE IF EXISTS fuzz_b.churn CASCADE; CREATE TYPE fuzz_b.churn AS ENUM ('x', 'y')",
                "DROP DOMAIN IF EXISTS fuzz_b.churn_dom CASCADE; CREATE DOMAIN fuzz_b.churn_dom AS text CHECK (VALUE <> '')",
                "ALTER TYPE fuzz_b.churn ADD VALUE IF NOT EXISTS 'z'",
                "ALTER TYPE fuzz_b.churn RENAME VALUE 'x' TO 'xx'"])
        elif r < 0.96:
            # a temporary table of the model's name, then the model: rolled back
            self.execute('temp', 'CREATE TEMP TABLE %s (x int)' % qi(t['table']), fetch=False)
            self.execute('define', 'SELECT %s(%%s, %%s)' % self.fn['define'],
                         (qq(t['schema'], t['table']), self.grammar.valid(rng, t)))
            self.execute('diff', 'SELECT * FROM %s(%%s)' % self.fn['diff'],
                         (qq(t['schema'], t['table']),))
            return True
        else:
            sql = 'ANALYZE %s' % q
        self.shared_actions()
        self.execute('manual', sql, fetch=False)
        return False

    # ------------------------------------------------------------- tamper
    def tamper_value(self, column):
        """an SQL expression for a damaged value of a registry column"""
        rng = self.rng
        bools = column in TAMPER_BOOL_ARRAYS
        elem = "NULL::boolean" if bools else "NULL::text"
        junk_text = rng.choice(TAMPER_TEXTS + [junk(rng, rng.randint(1, 40))])
        choices = [
            "ARRAY[%s]" % elem,
            "%s || ARRAY[%s]" % (column, elem),
            "ARRAY[%s] || %s" % (elem, column),
            "'{}'",
            "%s[1:1]" % column,
            "%s || %s" % (column, column),
            "ARRAY[%s, %s]" % (column, column) if column not in TAMPER_SCALARS else column,
        ]
        if not bools:
            choices += [
                "ARRAY[%s]" % pg_literal(junk_text),
                "%s || ARRAY[%s]" % (column, pg_literal(junk_text)),
                "array_replace(%s, %s[1], %s)" % (column, column, pg_literal(junk_text)),
                "ARRAY(SELECT %s FROM unnest(%s))" % (pg_literal(junk_text), column),
            ]
        return rng.choice(choices)

    def op_tamper(self):
        """damage one registry row as its owner, call a function, roll back"""
        rng = self.rng
        fn = self.fn
        reg = '%s.provision_registry' % fn['ns']
        ok, rows = self.execute('tamper-setup', 'SELECT schema_name, table_name FROM %s '
                                'ORDER BY schema_name, table_name OFFSET %d LIMIT 1'
                                % (reg, rng.randint(0, 60)), None)
        where = None
        if ok and rows:
            where = "schema_name = %s AND table_name = %s" % (
                pg_literal(rows[0][0]), pg_literal(rows[0][1]))
        r = rng.random()
        if where is None or r < 0.1:
            # a row written by hand, from nothing
            t = self.pool_table()
            sql = ("INSERT INTO %s (schema_name, table_name, body, definition, col_names, "
                   "col_types, col_collations, col_notnull, col_defaults, col_alt_defaults, "
                   "col_identity, col_generated, col_identity_options, col_serial, declared_by) "
                   "VALUES (%s, %s, %s, %s, '{id}', %s, '{\"\"}', '{f}', %s, '{\"\"}', "
                   "'{\"\"}', '{\"\"}', '{\"\"}', '{\"\"}', %s) "
                   "ON CONFLICT (schema_name, table_name) DO UPDATE SET body = excluded.body" % (
                       reg, pg_literal(t['schema']), pg_literal(t['table'] + '_tampered'),
                       pg_literal(rng.choice(TAMPER_TEXTS)), pg_literal(rng.choice(TAMPER_TEXTS)),
                       "ARRAY[%s]" % pg_literal(rng.choice(['integer'] + TAMPER_TEXTS)),
                       "ARRAY[%s]" % pg_literal(rng.choice(['', ''] + TAMPER_TEXTS)),
                       pg_literal(rng.choice(['postgres', 'nobody_zz', '']))))
        elif r < 0.15:
            # a NULL where the table allows none: the constraint goes first
            column = rng.choice(TAMPER_ARRAYS + TAMPER_SCALARS)
            self.execute('tamper-setup', 'ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL'
                         % (reg, column), None, fetch=False)
            sql = 'UPDATE %s SET %s = NULL WHERE %s' % (reg, column, where)
        elif r < 0.45:
            sets = []
            for column in rng.sample(TAMPER_ARRAYS, rng.randint(1, 3)):
                sets.append('%s = %s' % (column, self.tamper_value(column)))
            sql = 'UPDATE %s SET %s WHERE %s' % (reg, ', '.join(sets), where)
        elif r < 0.7:
            column = rng.choice(['body', 'definition'])
            value = rng.choice([
                pg_literal(rng.choice(TAMPER_TEXTS)),
                "%s || %s" % (column, pg_literal(rng.choice(TAMPER_TEXTS))),
                "%s || %s" % (column, pg_literal(rng.choice(SMUGGLED)))])
            sql = 'UPDATE %s SET %s = %s WHERE %s' % (reg, column, value, where)
        elif r < 0.85:
            column = rng.choice(['schema_name', 'table_name', 'declared_by'])
            value = rng.choice(["''", "'pg_catalog'", "'information_schema'", "'pg_toast'",
                                "'provision_history_log'", "'provision_registry'",
                                "'nobody_zz'", "'public'", "'pg_temp'", "repeat('x', 63)"])
            sql = 'UPDATE %s SET %s = %s WHERE %s' % (reg, column, value, where)
        else:
            column = rng.choice(['col_identity', 'col_generated', 'con_types', 'col_serial'])
            sql = "UPDATE %s SET %s = array_fill(%s::text, ARRAY[cardinality(%s)]) WHERE %s" % (
                reg, column, pg_literal(rng.choice(['x', 'zz', 'p', 'f', 's', 'a', 'bigserial2', ''])),
                column, where)
        self.execute('tamper-setup', sql, None, fetch=False)
        name = qq(rows[0][0], rows[0][1]) if where else None
        call = rng.choice([
            ('SELECT * FROM %s()' % fn['all'], None),
            ('SELECT * FROM %s()' % fn['diff'], None),
            ('SELECT * FROM %s(%%s)' % fn['diff'], (name,)),
            ('SELECT * FROM %s()' % fn['plan'], None),
            ('SELECT * FROM %s(NULL, true)' % fn['migrate'], None),
            ('SELECT * FROM %s(%%s, true)' % fn['migrate'], (name,)),
            ('SELECT %s(%%s)' % fn['table'], (name,)),
            ('SELECT %s(%%s)' % fn['forget'], (name,)),
            ('SELECT count(*) FROM %s' % fn['models'], None)])
        self.execute('tamper', call[0], call[1])

    def shared_actions(self):
        with self.shared.lock:
            self.shared.actions += 1

    def add_manual(self, schema, table):
        with self.shared.lock:
            self.shared.manual.add((schema, table))

    def check_temp(self, after):
        ok, rows = self.execute('check', 'SELECT count(*) FROM pg_class '
                                'WHERE relnamespace = pg_my_temp_schema()')
        if ok and rows and rows[0][0] != 0:
            with self.shared.lock:
                self.shared.temp_leaks.append((self.wid, after, rows[0][0], list(self.recent)[-5:]))

    def one_transaction(self):
        rng = self.rng
        r = rng.random()
        if r < 0.68:
            # one call, its own transaction
            if not self.shared.take_call():
                raise Stop()
            if rng.random() < 0.04:
                self.control('SET LOCAL search_path = %s' % rng.choice(SEARCH_PATHS))
            if rng.random() < 0.02:
                self.control('SET TRANSACTION READ ONLY')
            if rng.random() < 0.02:
                self.control("SET LOCAL provision.lock_timeout = %s" % rng.choice(
                    ["0", "'10ms'", "'1s'"]))
            system = self.op_call()
            self.finish(commit=not system and rng.random() > 0.05)
            self.in_batch = False
        elif r < 0.76:
            system = self.op_manual()
            self.finish(commit=not system and rng.random() > 0.1)
        elif r < 0.80:
            # registry tampering is always rolled back
            if not self.shared.take_call():
                raise Stop()
            self.op_tamper()
            self.finish(commit=False)
        else:
            # a batch of calls, each in a savepoint
            system = False
            self.in_batch = True
            for i in range(rng.randint(2, 8)):
                if not self.shared.take_call():
                    break
                self.control('SAVEPOINT s')
                n_err = self.error_count()
                system = self.op_call() or system
                if self.error_count() != n_err or rng.random() < 0.15:
                    self.control('ROLLBACK TO SAVEPOINT s')
                else:
                    self.control('RELEASE SAVEPOINT s')
            self.finish(commit=not system and rng.random() > 0.2)
            self.in_batch = False

    def error_count(self):
        # an aborted transaction needs ROLLBACK TO: ask the connection
        st = self.conn.get_transaction_status()
        return 1 if st == psycopg2.extensions.TRANSACTION_STATUS_INERROR else 0

    def run(self):
        try:
            self.open()
            while not self.shared.stop:
                try:
                    self.one_transaction()
                except Stop:
                    if self.conn is None or self.conn.closed:
                        if self.shared.stop or self.shared.calls >= self.args.calls:
                            break
                        self.open()         # keep fuzzing; check a fails anyway
                        continue
                    self.finish(commit=False)
                    break
        except Exception as e:      # noqa: BLE001
            self.error = '%s\n%s' % (e, traceback.format_exc())


# --------------------------------------------------------------- checking

class Report:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=''):
        self.results.append((name, ok, detail))
        line = '%s - %s' % ('ok' if ok else 'not ok', name)
        if detail:
            line += ': ' + detail
        print(line, flush=True)

    @property
    def failed(self):
        return [r for r in self.results if not r[1]]


CRASH_PATTERNS = re.compile(
    r'terminated by signal|server process .* was terminated|'
    r'was terminated by exception|terminating any other active server processes|'
    r'all server processes terminated; reinitializing|PANIC:|TRAP:|'
    r'database system was interrupted|exited with exit code [1-9]')


def log_lines_since(path, offset):
    with open(path, 'rb') as f:
        f.seek(offset)
        return f.read().decode('utf-8', 'replace').splitlines()


def find_server_log(conn, given):
    if given:
        return given
    env = os.environ.get('PROVISION_SERVER_LOG')
    if env:
        return env
    cur = conn.cursor()
    try:
        cur.execute("SELECT pg_current_logfile(), current_setting('data_directory')")
        logfile, datadir = cur.fetchone()
        conn.commit()
    except psycopg2.Error:
        conn.rollback()
        return None
    if logfile:
        return logfile if os.path.isabs(logfile) else os.path.join(datadir, logfile)
    return None


def setup(args):
    admin = connect(args, args.maintenance_db, 'fuzz-setup')
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % qi(args.database))
    cur.execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
                % qi(args.database))
    admin.close()
    conn = connect(args, args.database, 'fuzz-sentinel')
    conn.autocommit = True
    cur = conn.cursor()
    for sql in [
            'CREATE EXTENSION provision',
            'CREATE EXTENSION amcheck',
            'CREATE SCHEMA fuzz_a', 'CREATE SCHEMA fuzz_b', 'CREATE SCHEMA "Fuzz Ü"',
            "CREATE TYPE fuzz_a.mood AS ENUM ('sad', 'ok', 'happy')",
            'CREATE DOMAIN fuzz_a.posint AS integer CHECK (VALUE > 0)',
            'CREATE TYPE fuzz_a.pair AS (a integer, b text)',
            "CREATE TYPE fuzz_b.churn AS ENUM ('x', 'y')",
            "CREATE DOMAIN fuzz_b.churn_dom AS text CHECK (VALUE <> '')"]:
        cur.execute(sql)
    cur.execute("SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension "
                "WHERE extname = 'provision'")
    ns = cur.fetchone()[0]
    fn = {k: '%s.provision_%s' % (ns, k) for k in
          ['define', 'table', 'all', 'forget', 'diff', 'plan', 'migrate', 'capture',
           'schema', 'models', 'history']}
    fn['ns'] = ns
    cur.execute('SELECT pg_backend_pid()')
    return conn, cur.fetchone()[0], fn


def checks(args, shared, workers, sentinel, sentinel_pid, fn, log_path, log_offset, report):
    # a. no restart
    crash = []
    if log_path and os.path.exists(log_path):
        try:
            crash = [ln for ln in log_lines_since(log_path, log_offset)
                     if CRASH_PATTERNS.search(ln)]
            report.check('a1 server log has no crash or restart (%s)' % log_path,
                         not crash, '; '.join(crash[:5]))
        except OSError as e:
            report.check('a1 server log readable', False, str(e))
    else:
        report.check('a1 server log has no crash or restart', False,
                     'no server log to read (give --server-log)')
    alive = []
    try:
        cur = sentinel.cursor()
        cur.execute('SELECT pg_backend_pid()')
        alive_ok = cur.fetchone()[0] == sentinel_pid
    except psycopg2.Error as e:
        alive_ok = False
        alive.append('sentinel: %s' % e)
    for w in workers:
        try:
            cur = w.conn.cursor()
            cur.execute('SELECT pg_backend_pid()')
            if cur.fetchone()[0] != w.pid:
                alive.append('worker %d reconnected' % w.wid)
            w.conn.commit()
        except (psycopg2.Error, AttributeError) as e:
            alive.append('worker %d: %s' % (w.wid, str(e).strip()))
    for wid, op, text, msg in shared.lost:
        alive.append('worker %d lost its connection in %s: %s [%s]' % (wid, op, msg, text[:300]))
    report.check('a2 sentinel and every worker connection alive, none lost',
                 alive_ok and not alive, '; '.join(alive[:5]))

    # b. SQLSTATEs
    print('SQLSTATE histogram (calls and manual statements):')
    for code, n in sorted(shared.codes.items(), key=lambda kv: (-kv[1], kv[0])):
        print('  %-6s %8d' % (code, n))
    print('by operation (total seconds spent in it, then SQLSTATE:count):')
    ops = sorted({op for op, _ in shared.op_codes})
    for op in ops:
        items = sorted(((c, n) for (o, c), n in shared.op_codes.items() if o == op),
                       key=lambda kv: -kv[1])
        print('  %-8s %7.1fs  %s' % (op, shared.op_time[op], ' '.join('%s:%d' % kv for kv in items)))
    bad_codes = sorted({b['code'] for b in shared.bad})
    report.check('b1 no internal error (class XX or 58)', not shared.bad,
                 '%d errors, SQLSTATEs %s; first: %s' % (
                     len(shared.bad), ','.join(bad_codes),
                     shared.bad[0]['message'].splitlines()[0] if shared.bad else '')
                 if shared.bad else '')
    report.check('b2 no statement hit statement_timeout (%ds): no hang' % args.statement_timeout,
                 not shared.hangs,
                 '; '.join('w%d %s: %s' % (w, op, text[:200]) for w, op, text, _ in shared.hangs[:3]))

    # final calls over everything: no internal error either
    cur = sentinel.cursor()
    final_bad = []
    for sql in ['SELECT count(*) FROM %s()' % fn['diff'], 'SELECT count(*) FROM %s()' % fn['plan'],
                'SELECT count(*) FROM %s' % fn['models']]:
        try:
            cur.execute(sql)
            cur.fetchall()
        except psycopg2.Error as e:
            if e.pgcode and (e.pgcode.startswith('XX') or e.pgcode.startswith('58')):
                final_bad.append('%s: %s %s' % (sql, e.pgcode, (e.pgerror or '').strip()))
    report.check('b3 final provision_diff(), provision_plan() over every model: no internal error',
                 not final_bad, '; '.join(final_bad))

    # c. catalogs
    cur.execute("""
        SELECT c.oid, n.nspname, c.relname
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_am am ON am.oid = c.relam
         WHERE am.amname = 'btree' AND c.relkind = 'i' AND c.relpersistence <> 't'
           AND i.indisvalid AND i.indisready
           AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
           AND n.nspname <> 'information_schema'
         ORDER BY 2, 3""")
    indexes = cur.fetchall()
    amfail = []
    for oid, nsp, rel in indexes:
        try:
            cur.execute('SELECT bt_index_check(%s::oid::regclass, true)', (oid,))
        except psycopg2.Error as e:
            amfail.append('%s.%s: %s' % (nsp, rel, (e.pgerror or str(e)).strip()))
    report.check('c1 amcheck bt_index_check(heapallindexed) on %d btree indexes '
                 '(pg_catalog, pg_toast, fuzz schemas)' % len(indexes), not amfail,
                 '; '.join(amfail[:5]))
    heapfail = []
    cur.execute("""SELECT c.oid::regclass::text FROM pg_class c
                    WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r'
                   UNION ALL SELECT %s""", ('%s.provision_registry' % fn['ns'],))
    for (rel,) in cur.fetchall():
        try:
            cur.execute('SELECT blkno, offnum, msg FROM verify_heapam(%s::regclass) LIMIT 3', (rel,))
            for row in cur.fetchall():
                heapfail.append('%s: %s' % (rel, row))
        except psycopg2.Error as e:
            heapfail.append('%s: %s' % (rel, (e.pgerror or str(e)).strip()))
    report.check('c2 amcheck verify_heapam on every pg_catalog table and the registry',
                 not heapfail, '; '.join(heapfail[:5]))

    # the composite type made at setup is a relation too
    manual = sorted(shared.manual | {('fuzz_a', 'pair')})
    cur.execute("""
        WITH ext AS (
            SELECT objid FROM pg_depend
             WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
               AND classid = 'pg_class'::regclass),
        made AS (
            SELECT DISTINCT table_name AS q FROM {h} WHERE statement LIKE 'CREATE TABLE %%'
            UNION SELECT quote_ident(s) || '.' || quote_ident(t)
                    FROM unnest(%s::text[], %s::text[]) AS m(s, t)),
        allrels AS (
            SELECT c.oid, c.relkind, c.relpersistence,
                   quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS q,
                   c.oid IN (SELECT objid FROM ext) AS member
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
               AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'),
        rels AS (SELECT * FROM allrels WHERE NOT member),
        owner_of AS (           -- the table an index or sequence belongs to
            SELECT r.oid, coalesce(i.indrelid, d.refobjid) AS tab
              FROM rels r
              LEFT JOIN pg_index i ON i.indexrelid = r.oid
              LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = r.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                    AND r.relkind = 'S')
        SELECT r.q, r.relkind, r.relpersistence,
               (SELECT t.relname FROM pg_class t WHERE t.oid = o.tab) AS belongs_to
          FROM rels r JOIN owner_of o ON o.oid = r.oid
         WHERE r.relpersistence = 't'
            OR (r.relkind IN ('r', 'p') AND r.q NOT IN (SELECT q FROM made))
            OR (r.relkind IN ('i', 'I', 'S') AND r.q NOT IN (SELECT q FROM made)
                AND (o.tab IS NULL OR o.tab NOT IN (
                    SELECT oid FROM allrels WHERE relkind IN ('r', 'p', 'm'))))
            OR (r.relkind NOT IN ('r', 'p', 'i', 'I', 'S') AND r.q NOT IN (SELECT q FROM made))
         ORDER BY 1""".format(h=fn['history'], ns=fn['ns']),
                ([m[0] for m in manual], [m[1] for m in manual]))
    strays = cur.fetchall()
    report.check('c3 every relation in the fuzz schemas is explained: created by a committed '
                 'provision call (its history) or by the fuzzer\'s own DDL, or an index or '
                 'sequence of such a table', not strays,
                 '; '.join('%s relkind=%s persistence=%s owner=%s' % s for s in strays[:10]))

    temp = []
    for w in workers:
        try:
            c = w.conn.cursor()
            c.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't'")
            n = c.fetchone()[0]
            w.conn.commit()
            if n:
                temp.append('worker %d sees %d temporary relations' % (w.wid, n))
        except (psycopg2.Error, AttributeError) as e:
            temp.append('worker %d: %s' % (w.wid, e))
    for wid, after, n, rec in shared.temp_leaks:
        temp.append('worker %d: %d temporary relations after %s (last: %s)' % (
            wid, n, after, rec[-1][1][:200] if rec else ''))
    report.check('c4 no temporary relation left behind by trials (per-session checks '
                 'during the run and from every worker at the end)', not temp, '; '.join(temp[:5]))

    cur.execute("""
        SELECT quote_ident(schema_name) || '.' || quote_ident(table_name), problem
          FROM {ns}.provision_registry r,
          LATERAL (VALUES
            (coalesce(array_length(col_names, 1), 0) = ALL (ARRAY[
                coalesce(array_length(col_types, 1), 0), coalesce(array_length(col_alt_defaults, 1), 0),
                coalesce(array_length(col_collations, 1), 0), coalesce(array_length(col_notnull, 1), 0),
                coalesce(array_length(col_defaults, 1), 0), coalesce(array_length(col_identity, 1), 0),
                coalesce(array_length(col_generated, 1), 0),
                coalesce(array_length(col_identity_options, 1), 0),
                coalesce(array_length(col_serial, 1), 0)]), 'column arrays differ in length'),
            (coalesce(array_length(con_names, 1), 0) = ALL (ARRAY[
                coalesce(array_length(con_types, 1), 0), coalesce(array_length(con_defs, 1), 0),
                coalesce(array_length(con_alt_defs, 1), 0),
                coalesce(array_length(con_explicit, 1), 0)]), 'constraint arrays differ in length'),
            (coalesce(array_length(foreign_keys, 1), 0) = ALL (ARRAY[
                coalesce(array_length(fk_names, 1), 0), coalesce(array_length(fk_signatures, 1), 0),
                coalesce(array_length(fk_ref_schemas, 1), 0),
                coalesce(array_length(fk_ref_tables, 1), 0)]), 'foreign key arrays differ in length'),
            (coalesce(array_ndims(col_names), 1) = 1 AND coalesce(array_ndims(con_names), 1) = 1
             AND coalesce(array_ndims(foreign_keys), 1) = 1, 'multidimensional array'),
            (array_position(col_names || col_types || col_collations || col_defaults ||
                            col_alt_defaults || col_identity ||
                            col_generated || col_identity_options || col_serial || con_names ||
                            con_types || con_defs || con_alt_defs || foreign_keys || fk_names ||
                            fk_signatures || fk_ref_schemas || fk_ref_tables, NULL) IS NULL
             AND array_position(col_notnull, NULL) IS NULL AND array_position(con_explicit, NULL) IS NULL,
             'NULL array element'),
            (coalesce(array_length(col_names, 1), 0) + coalesce(array_length(foreign_keys, 1), 0) > 0,
             'model without columns or foreign keys'),
            (col_identity <@ ARRAY['', 'a', 'd'] AND col_generated <@ ARRAY['', 's']
             AND col_serial <@ ARRAY['', 'serial', 'bigserial', 'smallserial']
             AND con_types <@ ARRAY['p', 'u', 'x', 'c'], 'unexpected code in a shape array'),
            (length(schema_name) > 0 AND length(table_name) > 0 AND definition <> '',
             'empty name or definition'),
            (NOT EXISTS (SELECT 1 FROM unnest(col_types) t WHERE to_regtype(t) IS NULL),
             'column type that no longer exists'),
            (NOT EXISTS (SELECT 1 FROM unnest(col_names) n GROUP BY n HAVING count(*) > 1),
             'duplicate column name'),
            (length(definition) >= length(body), 'definition shorter than body')
          ) AS v(ok, problem)
         WHERE NOT v.ok
         ORDER BY 1""".format(ns=fn['ns']))
    shapes = cur.fetchall()
    cur.execute('SELECT count(*) FROM %s.provision_registry' % fn['ns'])
    nmodels = cur.fetchone()[0]
    # a model whose column type was dropped (fuzzer's DROP TYPE ... CASCADE) is
    # reported separately: its registry row is well formed, but dangling
    dangling = [s for s in shapes if s[1] == 'column type that no longer exists']
    shapes = [s for s in shapes if s[1] != 'column type that no longer exists']
    report.check('c5 registry rows of a valid shape (%d models)' % nmodels, not shapes,
                 '; '.join('%s: %s' % s for s in shapes[:10]))
    if dangling:
        print('note: %d models name a column type that no longer exists (dropped by the '
              'fuzzer\'s DROP TYPE ... CASCADE): %s' % (
                  len(dangling), ', '.join(d[0] for d in dangling[:5])))

    # every model's normalized definition, declared again, gives itself
    conn2 = connect(args, args.database, 'fuzz-roundtrip')
    c2 = conn2.cursor()
    c2.execute("SET search_path = fuzz_a, public")
    c2.execute('SELECT quote_ident(schema_name) || \'.\' || quote_ident(table_name), definition, '
               'EXISTS (SELECT 1 FROM unnest(col_types) t WHERE to_regtype(t) IS NULL) '
               'FROM %s.provision_registry ORDER BY 1' % fn['ns'])
    rows = c2.fetchall()
    conn2.commit()
    mism = []
    skipped = 0
    for name, definition, has_dangling in rows:
        if has_dangling:
            skipped += 1
            continue
        try:
            c2.execute('SAVEPOINT r')
            c2.execute('SELECT %s(%%s, %%s)' % fn['define'], (name, definition))
            c2.execute('SELECT definition FROM %s.provision_registry WHERE '
                       'quote_ident(schema_name) || \'.\' || quote_ident(table_name) = %%s'
                       % fn['ns'], (name,))
            again = c2.fetchone()[0]
            if again != definition:
                mism.append('%s: %r became %r' % (name, definition[:200], again[:200]))
            c2.execute('ROLLBACK TO SAVEPOINT r')
        except psycopg2.Error as e:
            c2.execute('ROLLBACK TO SAVEPOINT r')
            if e.pgcode in ('42704', '42P01') and ('does not exist' in (e.pgerror or '')):
                skipped += 1      # its type or referenced table is gone
                continue
            mism.append('%s: %s %s (definition %r)' % (
                name, e.pgcode, (e.pgerror or '').strip().splitlines()[0], definition[:300]))
    conn2.rollback()
    conn2.close()
    report.check('c6 every model\'s normalized definition, declared again, gives itself '
                 '(%d models, %d skipped: dropped types)' % (len(rows), skipped),
                 not mism, '; '.join(mism[:5]))

    # the registry against pg_class: provision_diff() says a model's table is
    # missing exactly when pg_class has no table of that name
    conn3 = connect(args, args.database, 'fuzz-registry')
    c3 = conn3.cursor()
    c3.execute("""
        SELECT quote_ident(r.schema_name) || '.' || quote_ident(r.table_name), c.relkind
          FROM {ns}.provision_registry r
          LEFT JOIN pg_namespace n ON n.nspname = r.schema_name
          LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.table_name
         ORDER BY 1""".format(ns=fn['ns']))
    models = c3.fetchall()
    disagree = []
    counts = collections.Counter()
    for name, relkind in models:
        is_table = relkind in ('r', 'p')
        c3.execute('SAVEPOINT r')
        try:
            c3.execute("SELECT count(*) FILTER (WHERE change = 'table_missing') FROM %s(%%s)"
                       % fn['diff'], (name,))
            missing = c3.fetchone()[0] > 0
            c3.execute('RELEASE SAVEPOINT r')
        except psycopg2.Error as e:
            c3.execute('ROLLBACK TO SAVEPOINT r')
            if e.pgcode == '42809' and relkind is not None and not is_table:
                counts['not a table'] += 1      # a view or sequence of that name
            elif (e.pgcode == '42704' and is_table
                  and 'no longer exists' in (e.pgerror or '')):
                # a type of the model was dropped: comparing is refused
                # (missing tables are still reported, above)
                counts['table of a model whose type was dropped'] += 1
            else:
                disagree.append('%s: %s %s' % (name, e.pgcode, (e.pgerror or '').strip()))
            continue
        counts['table' if is_table else 'missing'] += 1
        if missing == is_table:
            disagree.append('%s: pg_class relkind %s, provision_diff() %s' % (
                name, relkind, 'table_missing' if missing else 'no table_missing'))
    conn3.rollback()
    conn3.close()
    report.check('c7 registry against pg_class: provision_diff() reports table_missing exactly '
                 'for the models without a table (%d models: %s)' % (
                     len(models), ', '.join('%d %s' % (n, k) for k, n in sorted(counts.items()))),
                 not disagree, '; '.join(disagree[:5]))


def write_failures(path, shared):
    with open(path, 'w', encoding='utf-8') as f:
        for b in shared.notable:
            f.write('=' * 70 + '\n')
            f.write('NOTABLE (single-call transaction) worker %d, %s: SQLSTATE %s\n' % (
                b['worker'], b['op'], b['code']))
            f.write('message: %s\ndetail: %s\ncontext: %s\n' % (
                b['message'], b['detail'], b['context']))
            f.write('statement:\n  %s\n' % b['statement'][:5000])
            f.write('other workers\' last statements:\n')
            for w, rec in sorted(b['others'].items()):
                for ts, sql in rec:
                    f.write('  w%d [%.3f] %s\n' % (w, ts, sql[:500].replace('\n', '\\n')))
        f.write('examples of every (operation, SQLSTATE):\n')
        for (op, code), ex in sorted(shared.examples.items()):
            for text, msg, detail in ex:
                f.write('%s %s: %s%s\n    %s\n' % (
                    op, code, msg.replace('\n', ' | '),
                    (' DETAIL: ' + detail.replace('\n', ' | ')) if detail else '',
                    text[:1500].replace('\n', '\\n')))
        for b in shared.bad:
            f.write('=' * 70 + '\n')
            f.write('worker %d, %s: SQLSTATE %s\n' % (b['worker'], b['op'], b['code']))
            f.write('message: %s\ndetail: %s\ncontext: %s\nsource: %s\n' % (
                b['message'], b['detail'], b['context'], b['source']))
            f.write('statement:\n  %s\n' % b['statement'][:5000])
            f.write('this worker\'s previous statements (oldest first):\n')
            for ts, sql in b['recent']:
                f.write('  [%.3f] %s\n' % (ts, sql[:1000].replace('\n', '\\n')))
            f.write('other workers\' last statements:\n')
            for w, rec in sorted(b['others'].items()):
                for ts, sql in rec:
                    f.write('  w%d [%.3f] %s\n' % (w, ts, sql[:500].replace('\n', '\\n')))
        for wid, op, text, msg in shared.hangs:
            f.write('=' * 70 + '\nHANG worker %d %s: %s\n  %s\n' % (wid, op, msg, text))
        for wid, op, text, msg in shared.lost:
            f.write('=' * 70 + '\nCONNECTION LOST worker %d %s: %s\n  %s\n' % (wid, op, msg, text))


def summarize_bad(shared):
    if shared.notable:
        print('deadlocks or unique violations in single-call transactions (not failures: the '
              'fuzzer\'s manual DDL and batches hold locks provision does not know of): %s' % (
                  ', '.join('%s in %s' % (b['code'], b['op']) for b in shared.notable[:10])))
    groups = collections.OrderedDict()
    for b in shared.bad:
        first = re.sub(r'\d+', 'N', b['message'].splitlines()[0])
        key = (b['code'], b['op'], first)
        groups.setdefault(key, []).append(b)
    if groups:
        print('internal errors, grouped:')
    for (code, op, msg), items in groups.items():
        print('  %4d x %s in %s: %s' % (len(items), code, op, msg))
        print('         e.g. %s' % items[0]['statement'][:300].replace('\n', '\\n'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=None, help='random seed (default: from the clock)')
    ap.add_argument('--calls', type=int, default=100000, help='extension calls in all (default 100000)')
    ap.add_argument('--workers', type=int, default=4)
    ap.add_argument('--database', default='provision_fuzz',
                    help='database to (re)create and fuzz in (default provision_fuzz)')
    ap.add_argument('--maintenance-db', default='postgres')
    ap.add_argument('--server-log', default=None,
                    help='server log file (default: $PROVISION_SERVER_LOG or pg_current_logfile())')
    ap.add_argument('--statement-timeout', type=int, default=30, help='seconds (default 30)')
    ap.add_argument('--out', default='fuzz-failures.txt',
                    help='where details of internal errors go (default fuzz-failures.txt)')
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 1000000007
    print('fuzz: seed %d (rerun with --seed %d), %d calls, %d workers, database %s'
          % (args.seed, args.seed, args.calls, args.workers, args.database), flush=True)

    sentinel, sentinel_pid, fn = setup(args)
    log_path = find_server_log(sentinel, args.server_log)
    log_offset = 0
    if log_path and os.path.exists(log_path):
        log_offset = os.path.getsize(log_path)
    print('fuzz: server log %s' % (log_path or '(unknown)'), flush=True)

    pool = Pool(args.seed)
    shared = Shared(args)
    workers = [Worker(i, args, shared, pool, fn) for i in range(args.workers)]
    start = time.time()
    for w in workers:
        w.start()
    last = start
    while any(w.is_alive() for w in workers):
        time.sleep(0.5)
        if time.time() - last >= 15:
            last = time.time()
            print('fuzz: %d calls, %d manual statements, %.0f calls/s' % (
                shared.calls, shared.actions, shared.calls / (last - start)), flush=True)
    elapsed = time.time() - start
    werr = [w for w in workers if w.error]
    for w in werr:
        print('fuzz: worker %d died: %s' % (w.wid, w.error), flush=True)
    print('fuzz: %d calls and %d manual statements in %.1f s: %.0f calls/s' % (
        shared.calls, shared.actions, elapsed, shared.calls / elapsed), flush=True)

    report = Report()
    report.check('workers ran to the end (%d calls made of %d)' % (shared.calls, args.calls),
                 not werr and shared.calls >= args.calls,
                 '; '.join('worker %d: %s' % (w.wid, w.error.splitlines()[0]) for w in werr))
    try:
        checks(args, shared, workers, sentinel, sentinel_pid, fn, log_path, log_offset, report)
    except Exception as e:      # noqa: BLE001
        report.check('checks ran', False, '%s\n%s' % (e, traceback.format_exc()))
    summarize_bad(shared)
    write_failures(args.out, shared)
    if shared.bad or shared.hangs or shared.lost:
        print('fuzz: details of %d internal errors, %d hangs, %d lost connections in %s' % (
            len(shared.bad), len(shared.hangs), len(shared.lost), os.path.abspath(args.out)))
    n_ok = sum(1 for r in report.results if r[1])
    n_fail = len(report.failed)
    print('fuzz: seed %d, %d calls in %.1f s (%.0f calls/s), %d SQLSTATEs, '
          '%d internal errors; checks: %d passed, %d failed' % (
              args.seed, shared.calls, elapsed, shared.calls / elapsed, len(shared.codes),
              len(shared.bad), n_ok, n_fail), flush=True)
    for w in workers:
        try:
            w.conn.close()
        except Exception:       # noqa: BLE001
            pass
    sentinel.close()
    return 1 if n_fail else 0


if __name__ == '__main__':
    sys.exit(main())
