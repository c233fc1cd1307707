/*-------------------------------------------------------------------------
 *
 * load.c
 *	  A DDL script read as models: provision_load().
 *
 * The script (what pg_dump --schema-only writes, or a hand-written
 * schema.sql) is parsed by the server's parser, never run as text.  Each
 * statement is classified:
 *
 *	  declarations	CREATE SCHEMA, CREATE TYPE ... AS ENUM, CREATE DOMAIN,
 *					CREATE SEQUENCE, ALTER SEQUENCE ... OWNED BY, CREATE TABLE
 *					(PARTITION BY, PARTITION OF), ALTER TABLE ... ADD
 *					CONSTRAINT, ATTACH PARTITION, ALTER COLUMN ... SET
 *					DEFAULT, ADD GENERATED ... AS IDENTITY, SET NOT NULL,
 *					CREATE [UNIQUE] INDEX, COMMENT ON (tables, columns,
 *					indexes, types, domains, sequences, schemas);
 *	  ignored		pg_dump's session preamble: SET, SELECT
 *					pg_catalog.set_config(...), and its \restrict lines;
 *	  unsupported	everything else (functions, views, triggers, policies,
 *					grants, OWNER TO, extensions, ...): an error (0A000)
 *					listing them by kind and line, or, with skip_unsupported,
 *					skipped with one NOTICE counting them.
 *
 * Then the whole script runs in a trial (trial.c): every schema it
 * declares objects in gets a scratch schema of the trial's own, every name
 * of a declared object (qualified, or found through search_path) is
 * pointed at its scratch copy, and the statements run in the script's
 * order, as the declaring role, in a subtransaction that is always rolled
 * back.  So the server itself checks every statement against the others
 * (an undefined type, table or column is its own error, and names the
 * statement's line), whatever already exists under the real names.  What
 * the trial made is read back from the catalogs and rendered with the
 * scratch schemas' names put back: those are the models, stored together
 * at the end, in the caller's transaction.  Foreign keys are kept out of
 * the trial, as in provision_define(): rendered from the parse tree, with
 * their referenced table resolved; a partition's that PostgreSQL would
 * attach to its parent's is left to the parent's model, worked out from
 * the order of the script (drop_parent_foreign_keys()).
 *
 * A statement about a table or index the script does not declare (an
 * index, a comment, a constraint) works on its existing model, which the
 * trial creates from the registry first (a partition under its parent,
 * when the script works on that one too); an object that is neither in
 * the script nor a model is an error.
 *
 *-------------------------------------------------------------------------
 */
#include "load.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "catalog.h"
#include "ddl.h"
#include "definition.h"
#include "inspect.h"
#include "name.h"
#include "objects.h"
#include "registry.h"
#include "relnames.h"
#include "trial.h"

/* what a declaration declares */
typedef enum DeclKind
{
	DECL_SCHEMA,
	DECL_ENUM,
	DECL_DOMAIN,
	DECL_SEQUENCE,
	DECL_TABLE,
	DECL_INDEX
} DeclKind;

typedef struct Decl
{
	DeclKind	kind;
	char	   *schema;
	char	   *name;			/* an index without a name: set by the trial */
	int			line;
	int			seq;			/* its place in Script.decls */
	bool		from_model;		/* an existing model the script works on */
	struct ScriptStmt *first_use;	/* ... first named by this statement */
	bool		changed;		/* ... and changes: stored again */
	/* tables */
	DefinitionFacts facts;
	char	   *parent_schema;	/* a partition's parent */
	char	   *parent_table;
	List	   *fk_times;		/* when each of facts.foreign_keys was added
								 * (see statement_time()); -1: before the
								 * script, a stored model's */
	bool		attached;		/* made or attached a partition by the script */
	int			attach_time;	/* ... then */
	struct FkTable *fk_table;	/* see drop_parent_foreign_keys() */
	/* indexes */
	char	   *table_schema;
	char	   *table_name;
	/* what the trial made, by OID; and the models, once read back */
	Oid			oid;
	Model	   *model;
	ObjectModel *object;
} Decl;

/* one statement of the script */
typedef struct ScriptStmt
{
	RawStmt    *raw;
	int			line;
	int			seq;			/* its place in the script, from 0 */
	Node	   *run;			/* what the trial runs, or NULL */
	Decl	   *index;			/* a CREATE INDEX: its declaration */
	List	   *materialize;	/* Decl of models first named here */
	Decl	   *partition_of;	/* makes or attaches a partition of this table */
	Decl	   *creates;		/* CREATE TABLE of this table */
	Node	   *run_after;		/* run just after: its checks declared NOT VALID */
} ScriptStmt;

typedef struct Script
{
	const char *text;
	List	   *stmts;			/* ScriptStmt, in order */
	List	   *decls;			/* Decl, in order of declaration */
	HTAB	   *by_name;		/* DeclEntry: the named Decls by kind and name */
	List	   *unsupported;	/* "line N: KIND" */
	List	   *unsupported_kinds;	/* KIND, one per statement */
	List	   *scratch;		/* (schema, scratch schema) pairs */
	List	   *rows;			/* LoadRow */
	List	   *siblings_made;	/* Decl of tables whose other partitions are
								 * in the trial (see make_siblings()) */
	char	   *sibling_scratch;	/* the scratch schema they are made in */
	List	   *partition_models;	/* Model: the registry's partitions */
	bool		partition_models_read;
	int			current_line;	/* for errors: the statement at work */
	struct ScriptStmt *current;	/* the statement being declared */
	bool		positions_in_script;	/* error positions are offsets in text */
} Script;

/*
 * A script of thousands of statements looks names up thousands of times:
 * by hash, not by walking the declarations.
 */
#define DECL_KEY_SIZE (2 * NAMEDATALEN + 8)

/* how many unsupported statements an error lists by line */
#define UNSUPPORTED_LISTED 20

typedef struct DeclEntry
{
	char		key[DECL_KEY_SIZE];
	Decl	   *decl;
} DeclEntry;

static const char *const decl_kind_names[] = {
	"schema", "enum", "domain", "sequence", "table", "index"
};

static ObjectKind
decl_object_kind(DeclKind kind)
{
	switch (kind)
	{
		case DECL_SCHEMA:
			return OBJECT_KIND_SCHEMA;
		case DECL_ENUM:
			return OBJECT_KIND_ENUM;
		case DECL_DOMAIN:
			return OBJECT_KIND_DOMAIN;
		case DECL_SEQUENCE:
			return OBJECT_KIND_SEQUENCE;
		default:
			return OBJECT_KIND_INDEX;
	}
}

/* ---------------------------------------------------------------- lines */

/* the line of the script a byte offset is on */
static int
line_of(const char *text, int offset)
{
	int			line = 1;
	int			i;

	for (i = 0; i < offset && text[i] != '\0'; i++)
	{
		if (text[i] == '\n')
			line++;
	}
	return line;
}

/*
 * The line a statement starts on: past blank space and comments.  The
 * statements come in order: counting goes on from the previous one's
 * (*from, *from_line), not from the top of a long script each time.
 */
static int
statement_line(const char *text, RawStmt *raw, int *from, int *from_line)
{
	int			at = raw->stmt_location < 0 ? 0 : raw->stmt_location;
	int			line;

	for (;;)
	{
		while (text[at] != '\0' && isspace((unsigned char) text[at]))
			at++;
		if (text[at] == '-' && text[at + 1] == '-')
		{
			while (text[at] != '\0' && text[at] != '\n')
				at++;
			continue;
		}
		if (text[at] == '/' && text[at + 1] == '*')
		{
			const char *end = strstr(text + at + 2, "*/");

			at = end ? (int) (end - text) + 2 : (int) strlen(text);
			continue;
		}
		break;
	}
	if (at < *from)
		*from = *from_line = 0;
	line = (*from_line > 0 ? *from_line : 1) + line_of(text + *from, at - *from) - 1;
	*from = at;
	*from_line = line;
	return line;
}

static void
script_error_callback(void *arg)
{
	Script	   *script = arg;
	int			pos = geterrposition();

	/* a position in the script's text is a line of it, not of the call */
	if (pos > 0 && script->positions_in_script)
	{
		errposition(0);
		errcontext("line %d of the script", line_of(script->text, pos - 1));
	}
	else
	{
		if (pos > 0)
			errposition(0);
		if (script->current_line > 0)
			errcontext("statement at line %d of the script", script->current_line);
	}
}

/* ------------------------------------------------------------ the parse */

/*
 * The script with psql's meta-command lines blanked (\\restrict and
 * \\unrestrict, which pg_dump writes from 15.14 on, and any other): a line
 * whose first character but blanks is a backslash, outside string
 * constants, quoted identifiers, dollar quotes and comments, which is
 * where psql reads a meta-command.  A backslash at the start of a line
 * inside a comment's or a default's text is the text's own.  Blanked, so
 * that offsets and lines stay.
 */
static bool
is_identifier_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '$' || IS_HIGHBIT_SET(c);
}

static char *
without_meta_commands(const char *text)
{
	char	   *copy = pstrdup(text);
	char	   *p = copy;
	bool		line_start = true;

	while (*p != '\0')
	{
		if (*p == '\n')
		{
			line_start = true;
			p++;
		}
		else if (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		else if (line_start && *p == '\\')
		{
			while (*p != '\0' && *p != '\n')
				*p++ = ' ';
		}
		else if (p[0] == '-' && p[1] == '-')
		{
			while (*p != '\0' && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			int			depth = 1;

			line_start = false;
			for (p += 2; *p != '\0' && depth > 0;)
			{
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p += 2;
				else
					p++;
			}
		}
		else if (*p == '\'' || *p == '"')
		{
			char		quote = *p;
			/* E'...' takes backslash escapes */
			bool		escapes = quote == '\'' && p > copy && (p[-1] == 'E' || p[-1] == 'e') &&
				(p - 1 == copy || !is_identifier_char(p[-2]));

			line_start = false;
			for (p++; *p != '\0'; p++)
			{
				if (escapes && *p == '\\' && p[1] != '\0')
					p++;
				else if (*p == quote && p[1] == quote)
					p++;
				else if (*p == quote)
				{
					p++;
					break;
				}
			}
		}
		else if (*p == '$' && (p == copy || !is_identifier_char(p[-1])) && !isdigit((unsigned char) p[1]))
		{
			/* $tag$ ... $tag$ */
			char	   *q = p + 1;

			line_start = false;
			while (*q != '\0' && *q != '$' && is_identifier_char(*q))
				q++;
			if (*q == '$')
			{
				int			len = q - p + 1;
				char	   *close = strstr(q + 1, pnstrdup(p, len));

				p = close != NULL ? close + len : p + strlen(p);
			}
			else
				p++;
		}
		else
		{
			line_start = false;
			p++;
		}
	}
	return copy;
}

/* the keyword of the kinds of object a schema script owns or comments */
static const char *
object_keyword(ObjectType type)
{
	switch (type)
	{
		case OBJECT_SCHEMA:
			return "SCHEMA";
		case OBJECT_TABLE:
			return "TABLE";
		case OBJECT_SEQUENCE:
			return "SEQUENCE";
		case OBJECT_VIEW:
			return "VIEW";
		case OBJECT_MATVIEW:
			return "MATERIALIZED VIEW";
		case OBJECT_FOREIGN_TABLE:
			return "FOREIGN TABLE";
		case OBJECT_INDEX:
			return "INDEX";
		case OBJECT_TYPE:
			return "TYPE";
		case OBJECT_DOMAIN:
			return "DOMAIN";
		case OBJECT_FUNCTION:
			return "FUNCTION";
		case OBJECT_PROCEDURE:
			return "PROCEDURE";
		case OBJECT_AGGREGATE:
			return "AGGREGATE";
		case OBJECT_EXTENSION:
			return "EXTENSION";
		case OBJECT_TRIGGER:
			return "TRIGGER";
		case OBJECT_POLICY:
			return "POLICY";
		case OBJECT_TABCONSTRAINT:
		case OBJECT_DOMCONSTRAINT:
			return "CONSTRAINT";
		case OBJECT_COLLATION:
			return "COLLATION";
		case OBJECT_PUBLICATION:
			return "PUBLICATION";
		default:
			return "(other objects)";
	}
}

/* the statement's kind as its command tag names it ("CREATE FUNCTION") */
static const char *
statement_kind(Node *stmt)
{
	/* OWNER TO of any object is a statement of its own in the listing */
	if (IsA(stmt, AlterOwnerStmt))
		return psprintf("ALTER %s OWNER TO",
						object_keyword(((AlterOwnerStmt *) stmt)->objectType));
	return GetCommandTagName(CreateCommandTag(stmt));
}

/* "ALTER TABLE", "ALTER SEQUENCE", ...: what an AlterTableStmt alters */
static const char *
alter_table_kind(AlterTableStmt *stmt)
{
	return psprintf("ALTER %s", object_keyword(provision_alter_table_objtype(stmt)));
}

static void
unsupported(Script *script, int line, const char *kind)
{
	script->unsupported = lappend(script->unsupported, psprintf("line %d: %s", line, kind));
	script->unsupported_kinds = lappend(script->unsupported_kinds, pstrdup(kind));
}

/* a statement of pg_dump's preamble: SET, SELECT pg_catalog.set_config(...) */
static bool
is_preamble(Node *stmt)
{
	SelectStmt *select;
	ResTarget  *target;
	FuncCall   *call;
	List	   *name;

	if (IsA(stmt, VariableSetStmt))
		return true;
	if (!IsA(stmt, SelectStmt))
		return false;
	select = (SelectStmt *) stmt;
	if (list_length(select->targetList) != 1 || select->fromClause != NIL ||
		select->whereClause != NULL || select->op != SETOP_NONE)
		return false;
	target = linitial_node(ResTarget, select->targetList);
	if (!IsA(target->val, FuncCall))
		return false;
	call = (FuncCall *) target->val;
	name = call->funcname;
	return strcmp(strVal(llast(name)), "set_config") == 0 &&
		(list_length(name) == 1 ||
		 (list_length(name) == 2 && strcmp(strVal(linitial(name)), "pg_catalog") == 0));
}

/* -------------------------------------------------------- declarations */

/* the key of a named declaration; false if it has no name (yet) */
static bool
decl_key(char *key, DeclKind kind, const char *schema, const char *name)
{
	if (name == NULL || strlen(schema) >= NAMEDATALEN || strlen(name) >= NAMEDATALEN)
		return false;
	snprintf(key, DECL_KEY_SIZE, "%d\x01%s\x01%s", (int) kind, schema, name);
	return true;
}

static Decl *
find_decl(Script *script, DeclKind kind, const char *schema, const char *name)
{
	char		key[DECL_KEY_SIZE];
	DeclEntry  *entry;

	if (script->by_name == NULL || !decl_key(key, kind, schema, name))
		return NULL;
	entry = hash_search(script->by_name, key, HASH_FIND, NULL);
	return entry ? entry->decl : NULL;
}

/* the name of decl, once it has one, in by_name */
static void
index_decl(Script *script, Decl *decl)
{
	char		key[DECL_KEY_SIZE];
	DeclEntry  *entry;
	bool		found;

	if (script->by_name == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = DECL_KEY_SIZE;
		ctl.entrysize = sizeof(DeclEntry);
		ctl.hcxt = CurrentMemoryContext;
		script->by_name = hash_create("provision script declarations", 256, &ctl,
									  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	if (!decl_key(key, decl->kind, decl->schema, decl->name))
		return;
	entry = hash_search(script->by_name, key, HASH_ENTER, &found);
	if (!found)
		entry->decl = decl;
}

static bool
is_relation_kind(DeclKind kind)
{
	return kind == DECL_TABLE || kind == DECL_SEQUENCE || kind == DECL_INDEX;
}

/* a declared relation (relations) or type (!relations) schema.name */
static Decl *
find_named(Script *script, bool relations, const char *schema, const char *name)
{
	static const DeclKind relation_kinds[] = {DECL_TABLE, DECL_SEQUENCE, DECL_INDEX};
	static const DeclKind type_kinds[] = {DECL_ENUM, DECL_DOMAIN, DECL_TABLE};
	const DeclKind *kinds = relations ? relation_kinds : type_kinds;
	Decl	   *first = NULL;

	/* the first declared of them, as a walk in order would find it */
	for (int i = 0; i < 3; i++)
	{
		Decl	   *decl = find_decl(script, kinds[i], schema, name);

		if (decl != NULL && (first == NULL || decl->seq < first->seq))
			first = decl;
	}
	return first;
}

static Decl *
add_decl(Script *script, DeclKind kind, const char *schema, const char *name, int line)
{
	Decl	   *decl = palloc0(sizeof(Decl));

	if (name != NULL && find_named(script, is_relation_kind(kind), schema, name) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("the script declares \"%s\" twice", display_name(schema, name))));
	decl->kind = kind;
	decl->schema = pstrdup(schema);
	decl->name = name ? pstrdup(name) : NULL;
	decl->line = line;
	decl->seq = list_length(script->decls);
	script->decls = lappend(script->decls, decl);
	index_decl(script, decl);
	return decl;
}

/*
 * A name as a declaration names its object: qualified, or in the schema
 * CREATE would use (the first existing schema of search_path).  The schema
 * may be one the script declares.
 */
static void
creation_name(List *names, char **schema, char **name)
{
	if (list_length(names) == 3)
		names = list_delete_first(list_copy(names));	/* database.schema.name */
	if (list_length(names) == 2)
	{
		*schema = strVal(linitial(names));
		*name = strVal(lsecond(names));
	}
	else if (list_length(names) == 1)
	{
		*schema = creation_schema_name();
		*name = strVal(linitial(names));
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("improper qualified name (too many dotted names): %s",
						NameListToString(names))));
	reject_unmodelable_schema(*schema);
}

static void
creation_rangevar(RangeVar *rv, char **schema, char **name)
{
	if (rv->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("models are permanent, logged tables: \"%s\" is temporary or unlogged",
						rv->relname)));
	*schema = rv->schemaname ? rv->schemaname : creation_schema_name();
	*name = rv->relname;
	reject_unmodelable_schema(*schema);
}

/*
 * The declaration of a table the statement works on: declared by the
 * script, or an existing model (read from the registry into the trial).
 */
static Decl *
target_table(Script *script, RangeVar *rv, int line, const char *what)
{
	char	   *schema;
	char	   *name;
	Decl	   *decl;

	if (rv->schemaname != NULL)
		schema = rv->schemaname;
	else
	{
		/* as search_path finds it: a declaration or a model, first schema first */
		List	   *path = fetch_search_path(false);
		ListCell   *lc;

		schema = NULL;
		foreach(lc, path)
		{
			char	   *nsp = get_namespace_name(lfirst_oid(lc));

			if (nsp != NULL && (find_decl(script, DECL_TABLE, nsp, rv->relname) ||
								registry_fetch(nsp, rv->relname, MODEL_NAMES)))
			{
				schema = nsp;
				break;
			}
		}
		if (schema == NULL)
			schema = creation_schema_name();
	}
	name = rv->relname;
	decl = find_decl(script, DECL_TABLE, schema, name);
	if (decl != NULL)
		return decl;
	if (registry_fetch(schema, name, MODEL_NAMES) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("%s table \"%s\", which has no model", what, display_name(schema, name)),
				 errhint("Declare the table in the script, or with provision_define().")));
	decl = add_decl(script, DECL_TABLE, schema, name, line);
	decl->from_model = true;
	decl->first_use = script->current;
	if (script->current != NULL)
		script->current->materialize = lappend(script->current->materialize, decl);
	return decl;
}

/*
 * The time of what the statement being declared does, to order foreign
 * keys and partitions attached (see drop_parent_foreign_keys()): a
 * partition is made or attached (2 * seq) before the foreign keys the
 * same statement adds (2 * seq + 1), as CREATE TABLE ... PARTITION OF
 * clones its parent's before it adds its own.
 */
static int
statement_time(Script *script, bool foreign_key)
{
	int			seq = script->current != NULL ? script->current->seq : 0;

	return 2 * seq + (foreign_key ? 1 : 0);
}

/* the foreign keys decl's facts gained since the last call were added at time */
static void
note_fk_times(Decl *decl, int time)
{
	while (list_length(decl->fk_times) < list_length(decl->facts.foreign_keys))
		decl->fk_times = lappend_int(decl->fk_times, time);
}

/* ALTER TABLE: what the model takes, and what the trial runs */
static Node *
declare_alter_table(Script *script, AlterTableStmt *stmt, int line)
{
	Decl	   *table;
	List	   *kept = NIL;
	ListCell   *lc;

	if (provision_alter_table_objtype(stmt) == OBJECT_INDEX &&
		list_length(stmt->cmds) == 1 &&
		linitial_node(AlterTableCmd, stmt->cmds)->subtype == AT_AttachPartition)
	{
		/*
		 * ALTER INDEX ... ATTACH PARTITION (how pg_dump writes a partitioned
		 * index or key): run in the trial, so that the partition's index
		 * belongs to its parent's there, as it will when the parent's index
		 * is created whole.
		 */
		return (Node *) stmt;
	}
	if (provision_alter_table_objtype(stmt) != OBJECT_TABLE)
	{
		unsupported(script, line, statement_kind((Node *) stmt));
		return NULL;
	}
	/* OWNER TO and the like: listed, and the table is not looked for */
	foreach(lc, stmt->cmds)
	{
		AlterTableType subtype = lfirst_node(AlterTableCmd, lc)->subtype;

		if (subtype == AT_AddConstraint || subtype == AT_ColumnDefault ||
			subtype == AT_AddIdentity || subtype == AT_SetNotNull ||
			subtype == AT_AttachPartition)
			break;
	}
	if (lc == NULL)
	{
		foreach(lc, stmt->cmds)
			unsupported(script, line,
						psprintf(lfirst_node(AlterTableCmd, lc)->subtype == AT_ChangeOwner
								 ? "%s OWNER TO" : "%s (other subcommands)",
								 alter_table_kind(stmt)));
		return NULL;
	}
	table = target_table(script, stmt->relation, line, "ALTER TABLE of");
	if (table->from_model)
		table->changed = true;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddConstraint:
				/* a foreign key stays out of the trial, as in provision_define() */
				if (!add_constraint_fact(&table->facts, castNode(Constraint, cmd->def)))
					kept = lappend(kept, cmd);
				break;
			case AT_ColumnDefault:
			case AT_AddIdentity:
			case AT_SetNotNull:
				kept = lappend(kept, cmd);
				break;
			case AT_AttachPartition:
				{
					PartitionCmd *part = castNode(PartitionCmd, cmd->def);
					Decl	   *partition = target_table(script, part->name, line,
														 "ATTACH PARTITION of");

					partition->parent_schema = table->schema;
					partition->parent_table = table->name;
					partition->attached = true;
					partition->attach_time = statement_time(script, false);
					if (partition->from_model)
						partition->changed = true;
					if (script->current != NULL)
						script->current->partition_of = table;
					kept = lappend(kept, cmd);
					break;
				}
			case AT_ChangeOwner:
				unsupported(script, line, psprintf("%s OWNER TO", alter_table_kind(stmt)));
				break;
			default:
				unsupported(script, line, psprintf("%s (other subcommands)",
												   alter_table_kind(stmt)));
				break;
		}
	}
	note_fk_times(table, statement_time(script, true));
	if (kept == NIL)
		return NULL;
	stmt->cmds = kept;
	return (Node *) stmt;
}

static Node *
declare_create_table(Script *script, CreateStmt *stmt, int line)
{
	char	   *schema;
	char	   *name;
	Decl	   *decl;

	creation_rangevar(stmt->relation, &schema, &name);
	if (stmt->options != NIL || stmt->tablespacename != NULL || stmt->accessMethod != NULL ||
		stmt->oncommit != ONCOMMIT_NOOP || stmt->ofTypename != NULL ||
		(stmt->inhRelations != NIL && stmt->partbound == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" uses a clause models do not support",
						display_name(schema, name)),
				 errdetail("Models do not declare INHERITS, OF type, WITH storage parameters, TABLESPACE, USING or ON COMMIT.")));
	decl = add_decl(script, DECL_TABLE, schema, name, line);
	decl->facts.schema = decl->schema;
	decl->facts.table = decl->name;
	decl->facts.partitioning_allowed = true;
	collect_facts(stmt, &decl->facts);
	note_fk_times(decl, statement_time(script, true));
	if (script->current != NULL)
	{
		script->current->creates = decl;
		script->current->run_after = (Node *) take_not_valid_checks(stmt);
	}
	if (stmt->partbound != NULL)
	{
		char	   *parent_schema;
		char	   *parent_name;
		Decl	   *parent = target_table(script, linitial_node(RangeVar, stmt->inhRelations), line,
										  "PARTITION OF");

		parent_schema = parent->schema;
		parent_name = parent->name;
		decl->parent_schema = parent_schema;
		decl->parent_table = parent_name;
		decl->attached = true;
		decl->attach_time = statement_time(script, false);
		if (script->current != NULL)
			script->current->partition_of = parent;
	}
	return (Node *) stmt;
}

static Node *
declare_index(Script *script, IndexStmt *stmt, int line, ScriptStmt *ss)
{
	Decl	   *table = target_table(script, stmt->relation, line, "an index on");
	Decl	   *decl;

	/* storage parameters are part of the signature; tablespaces are not modeled */
	if (stmt->tableSpace != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("index %s uses a clause models do not support",
						stmt->idxname ? stmt->idxname : "(unnamed)"),
				 errdetail("Models do not declare TABLESPACE.")));
	decl = add_decl(script, DECL_INDEX, table->schema, stmt->idxname, line);
	decl->table_schema = table->schema;
	decl->table_name = table->name;
	stmt->concurrent = false;	/* a declaration, and a trial in a transaction */
	stmt->if_not_exists = false;
	ss->index = decl;
	return (Node *) stmt;
}

/*
 * The object COMMENT ON names must be declared by the script or be a
 * model; the comment itself is what the trial reads back.
 */
static Node *
declare_comment(Script *script, CommentStmt *stmt, int line)
{
	List	   *names;
	char	   *schema;
	char	   *name;
	DeclKind	kind;
	const char *keyword;

	switch (stmt->objtype)
	{
		case OBJECT_SCHEMA:
			schema = strVal(stmt->object);
			if (find_decl(script, DECL_SCHEMA, schema, schema) == NULL &&
				registry_fetch_object(OBJECT_KIND_SCHEMA, schema, schema) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("COMMENT ON SCHEMA \"%s\", which has no model", schema),
						 errhint("Declare it in the script.")));
			return (Node *) stmt;
		case OBJECT_TABLE:
		case OBJECT_COLUMN:
			{
				Decl	   *table;

				names = castNode(List, stmt->object);
				if (stmt->objtype == OBJECT_COLUMN)
					names = list_truncate(list_copy(names), list_length(names) - 1);
				table = target_table(script, makeRangeVarFromNameList(names), line, "COMMENT ON");
				if (table->from_model)
					table->changed = true;
				return (Node *) stmt;
			}
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
			names = castNode(List, stmt->object);
			kind = stmt->objtype == OBJECT_INDEX ? DECL_INDEX : DECL_SEQUENCE;
			keyword = stmt->objtype == OBJECT_INDEX ? "INDEX" : "SEQUENCE";
			break;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			names = castNode(TypeName, stmt->object)->names;
			kind = stmt->objtype == OBJECT_DOMAIN ? DECL_DOMAIN : DECL_ENUM;
			keyword = stmt->objtype == OBJECT_DOMAIN ? "DOMAIN" : "TYPE";
			break;
		default:
			unsupported(script, line, psprintf("COMMENT ON %s", object_keyword(stmt->objtype)));
			return NULL;
	}
	creation_name(names, &schema, &name);
	/* COMMENT ON TYPE names a domain too, as in PostgreSQL */
	if (kind == DECL_ENUM && find_decl(script, kind, schema, name) == NULL &&
		(find_decl(script, DECL_DOMAIN, schema, name) != NULL ||
		 registry_fetch_object(OBJECT_KIND_DOMAIN, schema, name) != NULL))
		kind = DECL_DOMAIN;
	if (find_decl(script, kind, schema, name) == NULL)
	{
		ObjectModel *model = registry_fetch_object(decl_object_kind(kind), schema, name);
		Decl	   *decl;

		if (model == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("COMMENT ON %s \"%s\", which has no model",
							keyword, display_name(schema, name)),
					 errhint("Declare it in the script.")));
		/* its model, made in the trial, commented there, stored again */
		if (kind == DECL_INDEX)
			(void) target_table(script, makeRangeVar(model->table_schema, model->table_name, -1),
								line, "COMMENT ON an index of");
		decl = add_decl(script, kind, schema, name, line);
		decl->from_model = decl->changed = true;
		decl->first_use = script->current;
		if (script->current != NULL)
			script->current->materialize = lappend(script->current->materialize, decl);
		decl->object = model;
		decl->table_schema = model->table_schema;
		decl->table_name = model->table_name;
	}
	return (Node *) stmt;
}

/* classify one statement; returns what the trial runs, or NULL */
static Node *
declare_statement(Script *script, ScriptStmt *ss)
{
	Node	   *stmt = ss->raw->stmt;
	int			line = ss->line;
	char	   *schema;
	char	   *name;

	if (is_preamble(stmt))
		return NULL;
	switch (nodeTag(stmt))
	{
		case T_CreateSchemaStmt:
			{
				CreateSchemaStmt *create = (CreateSchemaStmt *) stmt;

				if (create->schemaname == NULL || create->schemaElts != NIL)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("CREATE SCHEMA must name the schema and create nothing in it")));
				reject_unmodelable_schema(create->schemaname);
				(void) add_decl(script, DECL_SCHEMA, create->schemaname, create->schemaname, line);
				return NULL;	/* the trial has a scratch schema for it */
			}
		case T_CreateEnumStmt:
			creation_name(((CreateEnumStmt *) stmt)->typeName, &schema, &name);
			(void) add_decl(script, DECL_ENUM, schema, name, line);
			return stmt;
		case T_CreateDomainStmt:
			creation_name(((CreateDomainStmt *) stmt)->domainname, &schema, &name);
			(void) add_decl(script, DECL_DOMAIN, schema, name, line);
			return stmt;
		case T_CreateSeqStmt:
			creation_rangevar(((CreateSeqStmt *) stmt)->sequence, &schema, &name);
			(void) add_decl(script, DECL_SEQUENCE, schema, name, line);
			return stmt;
		case T_AlterSeqStmt:
			{
				AlterSeqStmt *alter = (AlterSeqStmt *) stmt;
				ListCell   *lc;

				creation_rangevar(alter->sequence, &schema, &name);
				if (find_decl(script, DECL_SEQUENCE, schema, name) == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_TABLE),
							 errmsg("ALTER SEQUENCE of sequence \"%s\", which the script does not declare",
									display_name(schema, name))));
				foreach(lc, alter->options)
				{
					if (strcmp(lfirst_node(DefElem, lc)->defname, "owned_by") != 0)
						ereport(ERROR,
								(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								 errmsg("ALTER SEQUENCE may only say OWNED BY in a script"),
								 errhint("Write the sequence's options in its CREATE SEQUENCE.")));
				}
				return stmt;
			}
		case T_CreateStmt:
			return declare_create_table(script, (CreateStmt *) stmt, line);
		case T_AlterTableStmt:
			return declare_alter_table(script, (AlterTableStmt *) stmt, line);
		case T_IndexStmt:
			return declare_index(script, (IndexStmt *) stmt, line, ss);
		case T_CommentStmt:
			return declare_comment(script, (CommentStmt *) stmt, line);
		default:
			unsupported(script, line, statement_kind(stmt));
			return NULL;
	}
}

/* ----------------------------------------------------- scratch schemas */

typedef struct Scratch
{
	char	   *schema;			/* the real schema */
	char	   *scratch;		/* its copy in the trial */
} Scratch;

/* the other schema of the pair one of whose schemas is name, or NULL */
static const char *
scratch_pair(Script *script, const char *name, bool name_is_real)
{
	ListCell   *lc;

	foreach(lc, script->scratch)
	{
		Scratch    *s = lfirst(lc);

		if (strcmp(name_is_real ? s->schema : s->scratch, name) == 0)
			return name_is_real ? s->scratch : s->schema;
	}
	return NULL;
}

/* the scratch copy of a schema, or NULL */
static const char *
scratch_of(Script *script, const char *schema)
{
	return scratch_pair(script, schema, true);
}

/* the real schema of a scratch schema, or NULL */
static const char *
real_of(Script *script, const char *scratch)
{
	return scratch_pair(script, scratch, false);
}

/*
 * The schema an unqualified name of a declared object resolves to: the
 * first schema of search_path that declares it; NULL if none does.
 */
static const char *
declared_schema_of(Script *script, bool relations, const char *name)
{
	List	   *path = fetch_search_path(false);
	ListCell   *lc;
	char	   *creation;

	foreach(lc, path)
	{
		char	   *nsp = get_namespace_name(lfirst_oid(lc));

		if (nsp != NULL && find_named(script, relations, nsp, name) != NULL)
			return nsp;
	}
	/*
	 * Declared in a schema the script creates: where CREATE put it; nowhere
	 * when search_path has no schema to create in, or the temporary first.
	 */
	if (path == NIL || isTempNamespace(linitial_oid(path)))
		return NULL;
	creation = creation_schema_name();
	return find_named(script, relations, creation, name) ? creation : NULL;
}

/* point a relation's name at its scratch copy, if the script declares it */
static void
remap_rangevar(Script *script, RangeVar *rv)
{
	const char *schema = rv->schemaname ? rv->schemaname
		: declared_schema_of(script, true, rv->relname);
	const char *scratch = schema ? scratch_of(script, schema) : NULL;

	/*
	 * Declared, or made by the trial for what is declared (the index of a
	 * key, which pg_dump names in ALTER INDEX ... ATTACH PARTITION).
	 */
	if (scratch != NULL &&
		(find_named(script, true, schema, rv->relname) != NULL ||
		 OidIsValid(get_relname_relid(rv->relname, get_namespace_oid(scratch, false)))))
	{
		rv->schemaname = pstrdup(scratch);
		rv->catalogname = NULL;
	}
}

/* the same for a name list (types, and relations named by list) */
static List *
remap_names(Script *script, List *names, bool relations)
{
	const char *schema;
	const char *name;

	if (list_length(names) == 2)
	{
		schema = strVal(linitial(names));
		name = strVal(lsecond(names));
	}
	else if (list_length(names) == 1)
	{
		name = strVal(linitial(names));
		schema = declared_schema_of(script, relations, name);
	}
	else
		return names;
	if (schema == NULL || find_named(script, relations, schema, name) == NULL)
		return names;
	return list_make2(makeString(pstrdup(scratch_of(script, schema))),
					  makeString(pstrdup(name)));
}

/* 'schema.seq' in nextval('schema.seq'), '...'::regclass */
static void
remap_regclass_literal(Script *script, A_Const *con)
{
	List	   *names;
	RangeVar   *rv;

	if (provision_a_const_str(con) == NULL)
		return;
	PG_TRY();
	{
		names = provision_string_to_qualified_name_list(provision_a_const_str(con));
	}
	PG_CATCH();
	{
		/* not a name: left for the server to reject */
		FlushErrorState();
		names = NIL;
	}
	PG_END_TRY();
	if (names == NIL)
		return;
	rv = makeRangeVarFromNameList(names);
	remap_rangevar(script, rv);
	if (rv->schemaname != NULL && real_of(script, rv->schemaname) != NULL)
		provision_a_const_set_str(con, quote_qualified_identifier(rv->schemaname, rv->relname));
}

static bool remap_walker(Node *node, Script *script);

static void
remap_list(Script *script, List *list)
{
	ListCell   *lc;

	foreach(lc, list)
		(void) remap_walker(lfirst(lc), script);
}

static void
remap_constraint(Script *script, Constraint *con)
{
	ListCell   *lc;

	/* an identity's SEQUENCE NAME: created with its table, in its copy */
	foreach(lc, con->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);
		List	   *names = (List *) opt->arg;

		if (strcmp(opt->defname, "sequence_name") == 0 && list_length(names) == 2 &&
			scratch_of(script, strVal(linitial(names))) != NULL)
			opt->arg = (Node *) list_make2(makeString(pstrdup(scratch_of(script,
																		 strVal(linitial(names))))),
										   lsecond(names));
	}
	(void) remap_walker(con->raw_expr, script);
	(void) remap_walker(con->where_clause, script);
	foreach(lc, con->exclusions)
		(void) remap_walker(linitial(lfirst(lc)), script);
	/* foreign keys never reach a trial */
}

static bool
remap_walker(Node *node, Script *script)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_RangeVar:
			remap_rangevar(script, (RangeVar *) node);
			return false;
		case T_TypeName:
			{
				TypeName   *tn = (TypeName *) node;

				if (tn->names != NIL && !tn->pct_type)
					tn->names = remap_names(script, tn->names, false);
				break;
			}
		case T_TypeCast:
			{
				TypeCast   *tc = (TypeCast *) node;

				if (IsA(tc->arg, A_Const) && tc->typeName->names != NIL &&
					strcmp(strVal(llast(tc->typeName->names)), "regclass") == 0)
					remap_regclass_literal(script, (A_Const *) tc->arg);
				break;
			}
		case T_FuncCall:
			{
				FuncCall   *fc = (FuncCall *) node;
				const char *fname = strVal(llast(fc->funcname));

				if (fc->args != NIL && IsA(linitial(fc->args), A_Const) &&
					(strcmp(fname, "nextval") == 0 || strcmp(fname, "currval") == 0 ||
					 strcmp(fname, "setval") == 0))
					remap_regclass_literal(script, linitial_node(A_Const, fc->args));
				break;
			}
		case T_ColumnDef:
			remap_list(script, ((ColumnDef *) node)->constraints);
			break;
		case T_Constraint:
			remap_constraint(script, (Constraint *) node);
			return false;
		case T_PartitionSpec:
			{
				ListCell   *lc;

				foreach(lc, ((PartitionSpec *) node)->partParams)
					(void) remap_walker(lfirst_node(PartitionElem, lc)->expr, script);
				return false;
			}
		case T_PartitionBoundSpec:
			{
				PartitionBoundSpec *bound = (PartitionBoundSpec *) node;

				remap_list(script, bound->listdatums);
				remap_list(script, bound->lowerdatums);
				remap_list(script, bound->upperdatums);
				return false;
			}
		case T_PartitionRangeDatum:
			return remap_walker(((PartitionRangeDatum *) node)->value, script);
		case T_DefElem:
			return false;
		default:
			break;
	}
	return raw_expression_tree_walker(node, remap_walker, script);
}

/* a declared statement, pointed at the scratch copies */
static Node *
remap_statement(Script *script, Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateEnumStmt:
			((CreateEnumStmt *) stmt)->typeName =
				remap_names(script, ((CreateEnumStmt *) stmt)->typeName, false);
			break;
		case T_CreateDomainStmt:
			{
				CreateDomainStmt *create = (CreateDomainStmt *) stmt;

				create->domainname = remap_names(script, create->domainname, false);
				(void) remap_walker((Node *) create->typeName, script);
				remap_list(script, create->constraints);
				break;
			}
		case T_CreateSeqStmt:
		case T_AlterSeqStmt:
			{
				RangeVar   *seq = IsA(stmt, CreateSeqStmt) ? ((CreateSeqStmt *) stmt)->sequence
					: ((AlterSeqStmt *) stmt)->sequence;
				List	   *options = IsA(stmt, CreateSeqStmt) ? ((CreateSeqStmt *) stmt)->options
					: ((AlterSeqStmt *) stmt)->options;

				remap_rangevar(script, seq);
				foreach(lc, options)
				{
					DefElem    *opt = lfirst_node(DefElem, lc);

					if (strcmp(opt->defname, "owned_by") == 0 &&
						list_length((List *) opt->arg) >= 2)
					{
						List	   *names = (List *) opt->arg;
						RangeVar   *rv = makeRangeVarFromNameList(list_truncate(list_copy(names),
																				 list_length(names) - 1));

						remap_rangevar(script, rv);
						if (rv->schemaname != NULL)
							opt->arg = (Node *) list_make3(makeString(rv->schemaname),
														   makeString(rv->relname),
														   llast(names));
					}
					else if (strcmp(opt->defname, "as") == 0)
						(void) remap_walker(opt->arg, script);
				}
				break;
			}
		case T_CreateStmt:
			{
				CreateStmt *create = (CreateStmt *) stmt;

				remap_rangevar(script, create->relation);
				remap_list(script, create->tableElts);
				remap_list(script, create->inhRelations);
				(void) remap_walker((Node *) create->partbound, script);
				(void) remap_walker((Node *) create->partspec, script);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *alter = (AlterTableStmt *) stmt;

				/* an index's name: the script declares it, or it names a key */
				remap_rangevar(script, alter->relation);
				foreach(lc, alter->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_AttachPartition)
					{
						remap_rangevar(script, castNode(PartitionCmd, cmd->def)->name);
						(void) remap_walker((Node *) castNode(PartitionCmd, cmd->def)->bound, script);
					}
					else
						(void) remap_walker(cmd->def, script);
				}
				break;
			}
		case T_IndexStmt:
			{
				IndexStmt  *index = (IndexStmt *) stmt;

				remap_rangevar(script, index->relation);
				foreach(lc, index->indexParams)
					(void) remap_walker(lfirst_node(IndexElem, lc)->expr, script);
				(void) remap_walker(index->whereClause, script);
				break;
			}
		case T_CommentStmt:
			{
				CommentStmt *comment = (CommentStmt *) stmt;

				switch (comment->objtype)
				{
					case OBJECT_SCHEMA:
						if (scratch_of(script, strVal(comment->object)) != NULL)
							comment->object = (Node *) makeString(pstrdup(scratch_of(script,
																					 strVal(comment->object))));
						break;
					case OBJECT_TYPE:
					case OBJECT_DOMAIN:
						(void) remap_walker(comment->object, script);
						break;
					case OBJECT_COLUMN:
						{
							List	   *names = castNode(List, comment->object);
							List	   *rel = list_truncate(list_copy(names), list_length(names) - 1);

							rel = remap_names(script, rel, true);
							comment->object = (Node *) lappend(rel, llast(names));
							break;
						}
					default:
						comment->object = (Node *) remap_names(script, castNode(List, comment->object),
															   true);
						break;
				}
				break;
			}
		default:
			elog(ERROR, "unexpected statement in a script trial: %d", (int) nodeTag(stmt));
	}
	return stmt;
}

/* ---------------------------------------------------------- the trial */

/* scratch names back to real ones, in text the server rendered */
static char *
unremap(Script *script, const char *text)
{
	char	   *result = pstrdup(text ? text : "");
	ListCell   *lc;

	foreach(lc, script->scratch)
	{
		Scratch    *s = lfirst(lc);
		char	   *from = psprintf("%s.", quote_identifier(s->scratch));
		char	   *to = psprintf("%s.", quote_identifier(s->schema));
		StringInfoData buf;
		const char *p = result;
		const char *hit;

		if (strstr(result, from) == NULL)
			continue;
		initStringInfo(&buf);
		while ((hit = strstr(p, from)) != NULL)
		{
			appendBinaryStringInfo(&buf, p, hit - p);
			appendStringInfoString(&buf, to);
			p = hit + strlen(from);
		}
		appendStringInfoString(&buf, p);
		result = buf.data;
	}
	return result;
}

static void
unremap_shape(Script *script, TableShape *shape)
{
	int			i;

	for (i = 0; i < shape->ncolumns; i++)
	{
		ColumnShape *col = &shape->columns[i];

		col->type = unremap(script, col->type);
		col->default_expr = unremap(script, col->default_expr);
		col->alt_default = unremap(script, col->alt_default);
		col->collation = unremap(script, col->collation);
	}
	for (i = 0; i < shape->nconstraints; i++)
	{
		shape->constraints[i].def = unremap(script, shape->constraints[i].def);
		shape->constraints[i].alt_def = unremap(script, shape->constraints[i].alt_def);
	}
	shape->partition_by = unremap(script, shape->partition_by);
	shape->partition_bound = unremap(script, shape->partition_bound);
	if (shape->parent_schema != NULL && real_of(script, shape->parent_schema) != NULL)
		shape->parent_schema = pstrdup(real_of(script, shape->parent_schema));
}

static void
unremap_object(Script *script, ObjectModel *obj)
{
	int			i;

	if (real_of(script, obj->schema) != NULL)
		obj->schema = pstrdup(real_of(script, obj->schema));
	if (obj->table_schema != NULL && real_of(script, obj->table_schema) != NULL)
		obj->table_schema = pstrdup(real_of(script, obj->table_schema));
	obj->definition = unremap(script, obj->definition);
	for (i = 0; i < obj->nattrs; i++)
		obj->attrs[i] = unremap(script, obj->attrs[i]);
	for (i = 0; i < obj->ncons; i++)
	{
		obj->con_defs[i] = unremap(script, obj->con_defs[i]);
		obj->con_alt_defs[i] = unremap(script, obj->con_alt_defs[i]);
	}
}

/*
 * Run a statement of the trial; line is its line in the script (0: none),
 * in_script whether it was parsed from the script's text (else error
 * positions mean nothing there).
 */
static void
run_in_trial(Script *script, Node *stmt, int line, bool in_script)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext statement;

	script->current_line = line;
	script->positions_in_script = in_script;

	/*
	 * What running it allocates is of no use afterwards: freed with each
	 * statement rather than kept to the end of the load, where a schema
	 * file's thousands of statements made it tens of megabytes.  It runs
	 * on a copy, so that nothing kept points into that memory.
	 */
	statement = AllocSetContextCreate(caller, "provision trial statement",
									  ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(statement);
	trial_utility(copyObject(stmt), script->text, -1, 0);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(statement);
	script->current_line = 0;
	script->positions_in_script = true;
}

/*
 * A registry text of decl's model that is not the one statement it should
 * be: the model is damaged, as when provisioning it (ddl.c).
 */
static void damaged_model(Decl *decl, const char *sql) pg_attribute_noreturn();

static void
damaged_model(Decl *decl, const char *sql)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the model of %s \"%s\" is damaged", decl_kind_names[decl->kind],
					display_name(decl->schema, decl->name)),
			 errdetail("A statement built from its registry row is not what the model stands for: %s",
					   sql),
			 errhint("Its registry row was not written by provision. Declare the model again, or remove it with provision_forget() or provision_forget_object().")));
}

/* the one statement of type tag sql parses to; damage otherwise */
static Node *
model_statement(Decl *decl, const char *sql, NodeTag tag)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *parsetree = NIL;
	Node	   *stmt;

	PG_TRY();
	{
		parsetree = provision_raw_parser(sql);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		FlushErrorState();
		damaged_model(decl, sql);
	}
	PG_END_TRY();
	if (list_length(parsetree) != 1)
		damaged_model(decl, sql);
	stmt = linitial_node(RawStmt, parsetree)->stmt;
	if (nodeTag(stmt) != tag)
		damaged_model(decl, sql);
	return stmt;
}

/*
 * Whether the parent of partition model is in the trial already, as a
 * partitioned table: declared or made earlier in the script.
 */
static bool
parent_in_trial(Script *script, const Model *model)
{
	Decl	   *parent = find_decl(script, DECL_TABLE, model->parent_schema, model->parent_table);
	const char *scratch;
	Oid			nspid;
	Oid			relid;

	if (parent == NULL || (scratch = scratch_of(script, parent->schema)) == NULL ||
		!OidIsValid(nspid = get_namespace_oid(scratch, true)) ||
		!OidIsValid(relid = get_relname_relid(parent->name, nspid)))
		return false;
	return get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
}

/*
 * A model the script works on but does not declare: created in the trial
 * from the registry, so that the script's statements find it.  Its texts
 * are checked first, as provisioning checks them.  A partition whose
 * parent is in the trial (and that the script does not attach anew) is
 * made a partition of it, as provisioning makes it, with its own defaults,
 * NOT NULL and constraints: so the server checks what the script does to
 * either against the other (a constraint of the parent's name, 42710).
 */
static void
materialize_model(Script *script, Decl *decl)
{
	Model	   *model = registry_fetch(decl->schema, decl->name, MODEL_SHAPE);
	bool	   *no_fkeys = palloc0(sizeof(bool) * (model->nfkeys + 1));
	DDLStep    *step = ddl_create_table(model, -1, no_fkeys);
	char	   *sql;
	CreateStmt *create;
	AlterTableStmt *not_valid;
	char	   *comment;
	int			ncolumns;
	char	  **names;
	char	  **comments;
	int			i;

	check_step_statement(ddl_create_table(model, -1, NULL));
	if (model->parent_table != NULL && !decl->attached && parent_in_trial(script, model))
		sql = step->sql;
	else
	{
		sql = psprintf("CREATE TABLE %s (%s)", quoted_name(decl->schema, decl->name), model->body);
		if (model->partition_by[0] != '\0')
			sql = psprintf("%s PARTITION BY %s", sql, model->partition_by);
	}
	create = (CreateStmt *) model_statement(decl, sql, T_CreateStmt);
	decl->facts.schema = decl->schema;
	decl->facts.table = decl->name;
	decl->facts.partitioning_allowed = true;
	collect_facts(create, &decl->facts);
	decl->model = model;
	not_valid = take_not_valid_checks(create);
	run_in_trial(script, remap_statement(script, (Node *) create), decl->line, false);
	if (not_valid != NULL)
		run_in_trial(script, remap_statement(script, (Node *) not_valid), decl->line, false);

	/* its foreign keys, kept as facts, and its comments, made in the trial */
	for (i = 0; i < model->nfkeys; i++)
	{
		char	   *fksql = psprintf("CREATE TABLE x (%s)", model->fkeys[i].clause);
		CreateStmt *fk = (CreateStmt *) model_statement(decl, fksql, T_CreateStmt);
		Constraint *con;

		if (list_length(fk->tableElts) != 1 || !IsA(linitial(fk->tableElts), Constraint))
			damaged_model(decl, fksql);
		con = linitial_node(Constraint, fk->tableElts);
		if (con->contype != CONSTR_FOREIGN)
			damaged_model(decl, fksql);
		(void) add_constraint_fact(&decl->facts, con);
	}
	note_fk_times(decl, -1);
	model_comments(model, &comment, &ncolumns, &names, &comments);
	if (comment[0] != '\0')
		run_in_trial(script, remap_statement(script, model_statement(decl,
			psprintf("COMMENT ON TABLE %s IS %s", quoted_name(decl->schema, decl->name),
					 quote_literal_cstr(comment)), T_CommentStmt)), decl->line, false);
	for (i = 0; i < ncolumns; i++)
	{
		if (comments[i][0] == '\0')
			continue;
		run_in_trial(script, remap_statement(script, model_statement(decl,
			psprintf("COMMENT ON COLUMN %s.%s IS %s", quoted_name(decl->schema, decl->name),
					 quote_identifier(names[i]), quote_literal_cstr(comments[i])),
			T_CommentStmt)), decl->line, false);
	}
}

/*
 * The same for a model of another kind: the statements that would create
 * it, its comment included, each checked as provisioning checks it.
 */
static void
materialize_object(Script *script, Decl *decl)
{
	ListCell   *lc;

	foreach(lc, object_create_steps(decl->object))
		run_in_trial(script, remap_statement(script, checked_step_statement(lfirst(lc))->stmt),
					 decl->line, false);
}

/* the scratch OID of a declaration, found under its scratch name */
static Oid
scratch_oid(Script *script, Decl *decl)
{
	Oid			nspid = get_namespace_oid(scratch_of(script, decl->schema), false);

	if (decl->kind == DECL_ENUM || decl->kind == DECL_DOMAIN)
		return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, PointerGetDatum(decl->name),
							   ObjectIdGetDatum(nspid));
	return get_relname_relid(decl->name, nspid);
}

/* a key constraint's text after PRIMARY KEY or UNIQUE */
static const char *
key_columns_text(const char *def)
{
	if (strncmp(def, "PRIMARY KEY ", 12) == 0)
		return def + 12;
	if (strncmp(def, "UNIQUE ", 7) == 0)
		return def + 7;
	return def;
}

/*
 * Two key constraints that CREATE TABLE would merge into one, as ALTER
 * TABLE ... ADD CONSTRAINT can leave them (a UNIQUE on the primary key's
 * columns): a model, created by one CREATE TABLE, cannot keep both.
 */
static void
reject_merged_constraints(Decl *decl, const TableShape *shape)
{
	int			i,
				j;

	for (i = 0; i < shape->nconstraints; i++)
	{
		const ConstraintShape *a = &shape->constraints[i];

		if (a->contype != CONSTRAINT_PRIMARY && a->contype != CONSTRAINT_UNIQUE)
			continue;
		for (j = 0; j < i; j++)
		{
			const ConstraintShape *b = &shape->constraints[j];

			if ((b->contype == CONSTRAINT_PRIMARY || b->contype == CONSTRAINT_UNIQUE) &&
				strcmp(key_columns_text(a->def), key_columns_text(b->def)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("constraints \"%s\" and \"%s\" of table \"%s\" are on the same columns",
								b->name, a->name, display_name(decl->schema, decl->name)),
						 errdetail("CREATE TABLE merges such constraints into one, so a model of the table cannot keep both."),
						 errhint("Drop one of them, or make the second a unique index (CREATE UNIQUE INDEX).")));
		}
	}
}

/*
 * A partition's columns take its parent's defaults: what the model of
 * partition relid (a trial's, of shape) keeps are its own, those that are
 * not its parent's (pg_dump's ALTER TABLE ONLY partition ALTER COLUMN ...
 * SET DEFAULT), as ddl.c's partition_own_defaults() reads them.
 */
static void
drop_parent_defaults(Oid relid, TableShape *shape)
{
	Oid			parentid = provision_partition_parent(relid);
	Relation	parent;
	TableShape *pshape;
	int			save_nestlevel;

	save_nestlevel = catalog_search_path_push();
	parent = table_open(parentid, AccessShareLock);
	pshape = inspect_table(parent);
	table_close(parent, AccessShareLock);
	catalog_search_path_pop(save_nestlevel);
	for (int i = 0; i < shape->ncolumns; i++)
	{
		ColumnShape *c = &shape->columns[i];

		if (c->default_expr[0] == '\0' || c->identity || c->generated)
			continue;
		for (int j = 0; j < pshape->ncolumns; j++)
		{
			if (strcmp(pshape->columns[j].name, c->name) == 0 &&
				strcmp(pshape->columns[j].default_expr, c->default_expr) == 0)
			{
				c->default_expr = "";
				c->alt_default = "";
				break;
			}
		}
	}
}

/* a table declaration read back as a model */
static void
read_back_table(Script *script, Decl *decl)
{
	Oid			relid = scratch_oid(script, decl);
	TableShape *first = trial_table_shape(relid, &decl->facts, !decl->from_model);
	Model	   *model = palloc0(sizeof(Model));
	ListCell   *lc;
	int			i;

	if (get_rel_relispartition(relid))
		drop_parent_defaults(relid, first);
	unremap_shape(script, first);
	reject_merged_constraints(decl, first);
	model->schema = decl->schema;
	model->table = decl->name;
	model->declared_by = GetUserNameFromId(GetUserId(), false);
	model->nfkeys = list_length(decl->facts.foreign_keys);
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (model->nfkeys + 1));
	i = 0;
	foreach(lc, decl->facts.foreign_keys)
		render_foreign_key(&decl->facts, lfirst(lc), &model->fkeys[i++]);
	/* a partition's model the script changes, but does not attach anew */
	if (decl->from_model && decl->model != NULL && decl->model->parent_table != NULL &&
		first->parent_table == NULL)
	{
		first->parent_schema = decl->model->parent_schema;
		first->parent_table = decl->model->parent_table;
		first->partition_bound = decl->model->partition_bound;
	}
	model->shape = first;
	model->partition_by = first->partition_by;
	model->parent_schema = first->parent_schema;
	model->parent_table = first->parent_table;
	model->partition_bound = first->partition_bound;
	decl->oid = relid;
	decl->model = model;
}

/*
 * The second trial of a table (see definition.c): created from its own
 * normalized body, in a scratch schema of its own; its shape is the
 * model's, the first trial's texts the other accepted ones.
 */
static void
second_trial_table(Script *script, Decl *decl)
{
	Model	   *model = decl->model;
	TableShape *first = model->shape;
	char	   *body = render_body(first);
	char	   *scratch = trial_schema();
	char	   *sql;
	List	   *parsetree;
	CreateStmt *create;
	AlterTableStmt *not_valid;
	TableShape *second;

	/* qualified: the search_path may have no schema to create in */
	sql = psprintf("CREATE TABLE %s (%s)", quoted_name(decl->schema, decl->name), body);
	if (first->partition_by[0] != '\0')
		sql = psprintf("%s PARTITION BY %s", sql, first->partition_by);
	parsetree = provision_raw_parser(sql);
	create = castNode(CreateStmt, linitial_node(RawStmt, parsetree)->stmt);
	not_valid = take_not_valid_checks(create);
	remap_statement(script, (Node *) create);
	create->relation = makeRangeVar(scratch, decl->name, -1);
	run_in_trial(script, (Node *) create, decl->line, false);
	if (not_valid != NULL)
	{
		remap_statement(script, (Node *) not_valid);
		not_valid->relation = makeRangeVar(scratch, decl->name, -1);
		run_in_trial(script, (Node *) not_valid, decl->line, false);
	}
	second = trial_table_shape(get_relname_relid(decl->name, get_namespace_oid(scratch, false)),
							   &decl->facts, false);
	unremap_shape(script, second);
	/* what the second trial cannot know: comments, partition of */
	second->comment = first->comment;
	second->parent_schema = first->parent_schema;
	second->parent_table = first->parent_table;
	second->partition_bound = first->partition_bound;
	for (int i = 0; i < second->ncolumns && i < first->ncolumns; i++)
		second->columns[i].comment = first->columns[i].comment;
	keep_other_texts(second, first);
	model->shape = second;
}

/* the indexes of a trial table that may be models */
static List *
scratch_indexes(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	List	   *indexes = live_indexes(rel, NULL);

	table_close(rel, AccessShareLock);
	return indexes;
}

/* error context of make_siblings(): the partition model being made */
static void
sibling_error_callback(void *arg)
{
	Model	   *model = arg;

	errcontext("partition model %s of table %s (%s)",
			   display_name(model->schema, model->table),
			   display_name(model->parent_schema, model->parent_table),
			   model->partition_bound);
}

/*
 * The partition models of table that the script does not name, made in
 * the trial as partitions of its scratch copy with their bounds, so that
 * the server checks the script's partitions and bounds against them (a
 * second DEFAULT partition, overlapping bounds: 42P17), as it will when
 * provision_all() makes them all.  They are made once per table, in a
 * scratch schema of their own (their names are their models' names, for
 * the server's messages), as plain tables: only their bounds matter.
 */
static void
make_siblings(Script *script, Decl *table, int line)
{
	ListCell   *lc;

	if (list_member_ptr(script->siblings_made, table))
		return;
	script->siblings_made = lappend(script->siblings_made, table);
	if (!script->partition_models_read)
	{
		int			nmodels;
		Model	  **models = registry_fetch_all(&nmodels, MODEL_DEFINITION);

		for (int i = 0; i < nmodels; i++)
		{
			if (models[i]->parent_table != NULL)
				script->partition_models = lappend(script->partition_models, models[i]);
		}
		script->partition_models_read = true;
	}
	foreach(lc, script->partition_models)
	{
		Model	   *model = lfirst(lc);
		CreateStmt *create;
		ErrorContextCallback callback;

		if (strcmp(model->parent_schema, table->schema) != 0 ||
			strcmp(model->parent_table, table->name) != 0 ||
			find_decl(script, DECL_TABLE, model->schema, model->table) != NULL)
			continue;
		if (script->sibling_scratch == NULL)
			script->sibling_scratch = trial_schema();
		create = castNode(CreateStmt, linitial_node(RawStmt, provision_raw_parser(
			psprintf("CREATE TABLE %s PARTITION OF %s %s",
					 quoted_name(script->sibling_scratch, model->table),
					 quoted_name(scratch_of(script, table->schema), table->name),
					 model->partition_bound)))->stmt);
		callback.callback = sibling_error_callback;
		callback.arg = model;
		callback.previous = error_context_stack;
		error_context_stack = &callback;
		run_in_trial(script, (Node *) create, line, false);
		error_context_stack = callback.previous;
	}
}

/* every model of the script, made in the trial and read back */
static void
script_trial(void *arg)
{
	Script	   *script = arg;
	List	   *schemas = NIL;
	ListCell   *lc;
	char	   *path;
	char	   *mapped;
	List	   *elems;
	int			save_nestlevel;

	/* a scratch schema for every schema something is declared in */
	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		if (!list_member(schemas, makeString(decl->schema)))
		{
			Scratch    *s = palloc(sizeof(Scratch));

			schemas = lappend(schemas, makeString(decl->schema));
			s->schema = decl->schema;
			s->scratch = trial_schema();
			script->scratch = lappend(script->scratch, s);
		}
	}

	/* search_path with every declared schema pointed at its copy */
	path = pstrdup(namespace_search_path);
	if (!SplitIdentifierString(path, ',', &elems))
		elog(ERROR, "invalid search_path");
	mapped = "";
	foreach(lc, elems)
	{
		const char *elem = lfirst(lc);
		const char *copy;

		if (strcmp(elem, "$user") == 0)
			elem = GetUserNameFromId(GetUserId(), false);
		copy = scratch_of(script, elem);
		mapped = psprintf("%s%s%s", mapped, mapped[0] ? ", " : "",
						  quote_identifier(copy ? copy : elem));
	}
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", mapped, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The script, in order; a model it works on is made just before the
	 * first statement that names it, once what it uses is there.
	 */
	foreach(lc, script->stmts)
	{
		ScriptStmt *ss = lfirst(lc);
		List	   *before = NIL;
		ListCell   *dc;

		foreach(dc, ss->materialize)
		{
			Decl	   *decl = lfirst(dc);

			if (decl->kind == DECL_TABLE)
				materialize_model(script, decl);
			else
				materialize_object(script, decl);
		}
		if (ss->run == NULL)
			continue;
		/* an unnamed index: found afterwards as the one that was not there */
		if (ss->index != NULL && ss->index->name == NULL)
		{
			Decl	   *table = find_decl(script, DECL_TABLE, ss->index->table_schema,
										  ss->index->table_name);

			before = scratch_indexes(scratch_oid(script, table));
		}
		/* a partition: checked against its parent's other partition models */
		if (ss->partition_of != NULL)
			make_siblings(script, ss->partition_of, ss->line);
		run_in_trial(script, remap_statement(script, ss->run), ss->line, true);
		if (ss->run_after != NULL)
			run_in_trial(script, remap_statement(script, ss->run_after), ss->line, true);
		/* a table declared again: its partition models with it */
		if (ss->creates != NULL)
			make_siblings(script, ss->creates, ss->line);
		if (ss->index != NULL && ss->index->name != NULL)
			ss->index->oid = scratch_oid(script, ss->index);
		else if (ss->index != NULL)
		{
			Decl	   *table = find_decl(script, DECL_TABLE, ss->index->table_schema,
										  ss->index->table_name);
			List	   *after = scratch_indexes(scratch_oid(script, table));
			ListCell   *ic;

			/* the new one, with the name the server chose */
			foreach(ic, after)
			{
				if (!list_member_oid(before, lfirst_oid(ic)))
					ss->index->oid = lfirst_oid(ic);
			}
			ss->index->name = get_rel_name(ss->index->oid);
			index_decl(script, ss->index);
		}
	}
	AtEOXact_GUC(false, save_nestlevel);

	/* read back, under the catalog search path, and normalized twice */
	save_nestlevel = catalog_search_path_push();
	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		switch (decl->kind)
		{
			case DECL_SCHEMA:
				/* the scratch copy's comment is the schema's */
				decl->object = object_inspect(OBJECT_KIND_SCHEMA,
											  get_namespace_oid(scratch_of(script, decl->schema),
																false));
				decl->object->schema = decl->object->name = decl->schema;
				decl->object->definition = psprintf("CREATE SCHEMA %s", quote_identifier(decl->schema));
				break;
			case DECL_ENUM:
			case DECL_DOMAIN:
			case DECL_SEQUENCE:
				{
					ObjectModel *stored = decl->from_model ? decl->object : NULL;

					decl->object = object_inspect(decl_object_kind(decl->kind),
												  scratch_oid(script, decl));
					unremap_object(script, decl->object);
					/* a stored sequence's owner, which its trial does not make */
					if (stored != NULL && stored->table_name != NULL)
					{
						decl->object->table_schema = stored->table_schema;
						decl->object->table_name = stored->table_name;
						decl->object->column_name = stored->column_name;
					}
					break;
				}
			case DECL_TABLE:
				if (!decl->from_model || decl->changed)
				{
					read_back_table(script, decl);
					if (needs_second_trial(decl->model->shape))
						second_trial_table(script, decl);
				}
				break;
			case DECL_INDEX:
				if (!OidIsValid(decl->oid) && decl->name != NULL)
					decl->oid = scratch_oid(script, decl);
				if (!OidIsValid(decl->oid))
					elog(ERROR, "index of line %d was not created by its trial", decl->line);
				/* a partition's index attached to its parent's is the parent's */
				if (get_rel_relispartition(decl->oid))
					break;
				decl->object = object_inspect(OBJECT_KIND_INDEX, decl->oid);
				unremap_object(script, decl->object);
				break;
		}
	}
	catalog_search_path_pop(save_nestlevel);
}

/*
 * Foreign keys of partitions that PostgreSQL makes their parents': see
 * drop_parent_foreign_keys().  One table of the load, or an ancestor of
 * one that the load leaves as it is, and the foreign keys it has (its own
 * and those it holds for its parent's), in the order they came.
 */
typedef struct FkTable
{
	const char *schema;
	const char *name;
	Model	   *model;			/* its model as the load leaves it */
	Decl	   *decl;			/* its declaration, or NULL */
	struct FkTable *parent;
	List	   *children;		/* FkTable: its partitions so far */
	List	   *fkeys;			/* FkEntry */
	bool		settled;		/* see fk_settle() */
} FkTable;

typedef struct FkEntry
{
	const char *signature;
	const char *name;			/* "" for a name PostgreSQL chose */
	int			fact;			/* its index in the model's fkeys, or -1 for a
								 * parent's cloned to it */
	bool		own;			/* not (yet) a parent's */
	bool		valid;
} FkEntry;

typedef struct FkEvent
{
	int			time;
	int			order;			/* at one time: the order it was found in */
	FkTable    *table;
	int			fact;			/* a foreign key added; -1: table attached */
} FkEvent;

static FkTable *
fk_table(List **tables, Script *script, const char *schema, const char *name, int depth)
{
	ListCell   *lc;
	FkTable    *t;
	Decl	   *decl = find_decl(script, DECL_TABLE, schema, name);

	if (decl != NULL && decl->fk_table != NULL)
		return decl->fk_table;
	/* an ancestor the script does not name: one of a few */
	foreach(lc, *tables)
	{
		t = lfirst(lc);
		if (t->decl == NULL && strcmp(t->schema, schema) == 0 && strcmp(t->name, name) == 0)
			return t;
	}
	t = palloc0(sizeof(FkTable));
	t->schema = schema;
	t->name = name;
	/* a declaration the trial did not make is its stored model */
	t->decl = decl != NULL && decl->model != NULL ? decl : NULL;
	t->model = t->decl != NULL ? decl->model : registry_fetch(schema, name, MODEL_DEFINITION);
	*tables = lappend(*tables, t);
	if (decl != NULL)
		decl->fk_table = t;
	if (t->model != NULL && t->model->parent_table != NULL && depth < 1000)
		t->parent = fk_table(tables, script, t->model->parent_schema, t->model->parent_table,
							 depth + 1);
	return t;
}

static void fk_arrive(FkTable *table, const FkEntry *parent_fk, bool settled);

/* a foreign key added to table (or cloned to it): down to its partitions */
static void
fk_add(FkTable *table, FkEntry *fk, bool settled)
{
	ListCell   *lc;

	table->fkeys = lappend(table->fkeys, fk);
	foreach(lc, table->children)
		fk_arrive(lfirst(lc), fk, settled);
}

/*
 * A parent's foreign key reaches partition table (added to the parent, or
 * the partition attached): PostgreSQL takes the partition's own equivalent
 * one (validated, before 18), the first by name, if it has one (whose
 * clones its own partitions have already), else clones it.  Settled: what
 * the catalogs already had before the load, taken as it is.
 */
static void
fk_arrive(FkTable *table, const FkEntry *parent_fk, bool settled)
{
	FkEntry    *found = NULL;
	FkEntry    *clone;
	ListCell   *lc;

	foreach(lc, table->fkeys)
	{
		FkEntry    *fk = lfirst(lc);

		if (settled || !fk->own || (!fk->valid && !PROVISION_FK_ATTACHES_NOT_VALID) ||
			strcmp(fk->signature, parent_fk->signature) != 0)
			continue;
		if (found == NULL || strcmp(fk->name, found->name) < 0)
			found = fk;
	}
	if (found != NULL)
	{
		found->own = false;
		return;
	}
	clone = palloc0(sizeof(FkEntry));
	clone->signature = parent_fk->signature;
	clone->name = parent_fk->name;
	clone->fact = -1;
	clone->own = false;
	clone->valid = true;
	fk_add(table, clone, settled);
}

static FkEntry *
fk_entry(const Model *model, int i)
{
	FkEntry    *fk = palloc0(sizeof(FkEntry));

	fk->signature = model->fkeys[i].signature;
	fk->name = model->fkeys[i].name;
	fk->fact = i;
	fk->own = true;
	fk->valid = !model->fkeys[i].not_valid;
	return fk;
}

/* the table's partitions and foreign keys before the load: settled */
static void
fk_settle(FkTable *t)
{
	if (t->settled || t->model == NULL)
		return;
	t->settled = true;
	if (t->parent != NULL && (t->decl == NULL || !t->decl->attached))
	{
		ListCell   *lc;

		fk_settle(t->parent);
		t->parent->children = lappend(t->parent->children, t);
		foreach(lc, t->parent->fkeys)
			fk_arrive(t, lfirst(lc), true);
	}
	for (int i = 0; i < t->model->nfkeys; i++)
	{
		/* a stored model's: those the load adds are events */
		if (t->decl != NULL && (i >= list_length(t->decl->fk_times) ||
								list_nth_int(t->decl->fk_times, i) >= 0))
			continue;
		t->fkeys = lappend(t->fkeys, fk_entry(t->model, i));
	}
}

static int
fk_event_cmp(const void *a, const void *b)
{
	const FkEvent *ea = a;
	const FkEvent *eb = b;

	if (ea->time != eb->time)
		return ea->time < eb->time ? -1 : 1;
	return ea->order < eb->order ? -1 : ea->order > eb->order ? 1 : 0;
}

/*
 * A partition's foreign key that PostgreSQL made its parent's (it attaches
 * a partition's equivalent foreign key, validated before 18: the same
 * columns, referenced table and columns, actions and deferrability, to
 * its parent's when the parent gets that key or the partition gets
 * attached under it) is the parent's: a capture of the partition does not show it,
 * and a model that kept it would be created and dumped with it a second
 * time next to the parent's (42710 constraint already exists).  Foreign
 * keys are kept out of the trial, so this is worked out from the script's
 * order: every foreign key added and every partition made or attached, in
 * turn, over what the stored models held before.  Taken out of the
 * partition models the load stores.
 */
static void
drop_parent_foreign_keys(Script *script)
{
	List	   *tables = NIL;
	FkEvent    *events;
	int			nevents = 0;
	int			allocated = 0;
	ListCell   *lc;
	bool		partitions = false;

	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		if (decl->kind == DECL_TABLE && decl->model != NULL && decl->model->parent_table != NULL)
			partitions = true;
	}
	if (!partitions)
		return;

	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		if (decl->kind != DECL_TABLE || decl->model == NULL)
			continue;
		(void) fk_table(&tables, script, decl->schema, decl->name, 0);
		allocated += 1 + list_length(decl->fk_times);
	}
	foreach(lc, tables)
		fk_settle(lfirst(lc));

	events = palloc(sizeof(FkEvent) * (allocated + 1));
	foreach(lc, tables)
	{
		FkTable    *t = lfirst(lc);

		if (t->decl == NULL)
			continue;
		if (t->decl->attached && t->parent != NULL)
		{
			events[nevents].time = t->decl->attach_time;
			events[nevents].order = nevents;
			events[nevents].table = t;
			events[nevents++].fact = -1;
		}
		for (int i = 0; i < t->model->nfkeys && i < list_length(t->decl->fk_times); i++)
		{
			if (list_nth_int(t->decl->fk_times, i) < 0)
				continue;
			events[nevents].time = list_nth_int(t->decl->fk_times, i);
			events[nevents].order = nevents;
			events[nevents].table = t;
			events[nevents++].fact = i;
		}
	}
	/* in the script's order; at one time, in the order of the statement */
	if (nevents > 1)
		qsort(events, nevents, sizeof(FkEvent), fk_event_cmp);

	for (int e = 0; e < nevents; e++)
	{
		FkTable    *t = events[e].table;

		if (events[e].fact >= 0)
			fk_add(t, fk_entry(t->model, events[e].fact), false);
		else
		{
			t->parent->children = lappend(t->parent->children, t);
			foreach(lc, t->parent->fkeys)
				fk_arrive(t, lfirst(lc), false);
		}
	}

	/* what the load stores: its partitions' own foreign keys only */
	foreach(lc, tables)
	{
		FkTable    *t = lfirst(lc);
		Model	   *model = t->model;
		bool	   *taken;
		ListCell   *fc;
		int			kept = 0;

		if (t->decl == NULL || (t->decl->from_model && !t->decl->changed) ||
			model->parent_table == NULL || model->nfkeys == 0)
			continue;
		taken = palloc0(sizeof(bool) * (model->nfkeys + 1));
		foreach(fc, t->fkeys)
		{
			FkEntry    *fk = lfirst(fc);

			if (fk->fact >= 0 && !fk->own)
				taken[fk->fact] = true;
		}
		for (int i = 0; i < model->nfkeys; i++)
		{
			if (!taken[i])
				model->fkeys[kept++] = model->fkeys[i];
		}
		model->nfkeys = kept;
	}
}

/* -------------------------------------------------------------- store */

static void
add_row(Script *script, const char *kind, const char *object, const char *action)
{
	LoadRow    *row = palloc(sizeof(LoadRow));

	row->kind = kind;
	row->object = pstrdup(object);
	row->action = action;
	script->rows = lappend(script->rows, row);
}

/* whether two table models say the same comments */
static bool
same_comments(const Model *a, const Model *b)
{
	char	   *ca,
			   *cb;
	int			na,
				nb;
	char	  **names_a,
			  **names_b;
	char	  **comments_a,
			  **comments_b;
	int			i;

	model_comments(a, &ca, &na, &names_a, &comments_a);
	model_comments(b, &cb, &nb, &names_b, &comments_b);
	if (strcmp(ca, cb) != 0 || na != nb)
		return false;
	for (i = 0; i < na; i++)
	{
		if (strcmp(names_a[i], names_b[i]) != 0 || strcmp(comments_a[i], comments_b[i]) != 0)
			return false;
	}
	return true;
}

/* declared, or replaced (unchanged when the model was the same) */
static const char *
table_action(Decl *decl)
{
	Model	   *old = registry_fetch(decl->schema, decl->name, MODEL_DEFINITION);

	if (old == NULL)
		return "declared";
	if (strcmp(old->definition, decl->model->definition) == 0 &&
		strcmp(old->partition_by, decl->model->partition_by ? decl->model->partition_by : "") == 0 &&
		strcmp(old->partition_bound, decl->model->partition_bound ? decl->model->partition_bound : "") == 0 &&
		same_comments(old, decl->model))
		return "unchanged";
	return "replaced";
}

static const char *
object_action(ObjectModel *obj)
{
	ObjectModel *old = registry_fetch_object(obj->kind, obj->schema, obj->name);

	if (old == NULL)
		return "declared";
	if (strcmp(old->definition, obj->definition) == 0 && strcmp(old->comment, obj->comment) == 0 &&
		((old->table_name == NULL && obj->table_name == NULL) ||
		 (old->table_name != NULL && obj->table_name != NULL &&
		  strcmp(old->table_name, obj->table_name) == 0 &&
		  strcmp(old->column_name ? old->column_name : "", obj->column_name ? obj->column_name : "") == 0)))
		return "unchanged";
	return "replaced";
}

/*
 * A declared sequence that a declared table's serial column owns (pg_dump
 * writes a serial as CREATE SEQUENCE, OWNED BY and SET DEFAULT nextval()):
 * the table's model says serial, which creates the sequence.
 */
static bool
is_serial_sequence(Script *script, Decl *decl)
{
	ObjectModel *seq = decl->object;
	Decl	   *table;
	int			i;

	if (decl->kind != DECL_SEQUENCE || seq->table_name == NULL)
		return false;
	table = find_decl(script, DECL_TABLE, seq->table_schema, seq->table_name);
	if (table == NULL || table->model == NULL)
		return false;
	for (i = 0; i < table->model->shape->ncolumns; i++)
	{
		ColumnShape *col = &table->model->shape->columns[i];

		/* the column's own sequence, not another one owned by it too */
		if (strcmp(col->name, seq->column_name) == 0)
			return col->serial[0] != '\0' &&
				(col->default_seq_name == NULL || strcmp(col->default_seq_name, seq->name) == 0);
	}
	return false;
}

/*
 * A capture's models also accept the live objects' own texts (see
 * capture.c): live_tables are Models with their live shapes, live_objects
 * ObjectModels as the catalogs show them.
 */
static void
keep_live_texts(Script *script, List *live_tables, List *live_objects)
{
	ListCell   *lc;

	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);
		ListCell   *mc;

		if (decl->kind == DECL_TABLE && decl->model != NULL && decl->model->shape != NULL)
		{
			foreach(mc, live_tables)
			{
				Model	   *live = lfirst(mc);

				if (strcmp(live->schema, decl->schema) != 0 || strcmp(live->table, decl->name) != 0)
					continue;
				/* what its one CREATE TABLE merged, the live table may have apart */
				reject_merged_constraints(decl, live->shape);
				keep_other_texts(decl->model->shape, live->shape);
			}
		}
		else if (decl->object != NULL)
		{
			foreach(mc, live_objects)
			{
				ObjectModel *live = lfirst(mc);
				ObjectModel *obj = decl->object;
				int			i,
							j;

				if (live->kind != obj->kind || strcmp(live->schema, obj->schema) != 0 ||
					strcmp(live->name, obj->name) != 0)
					continue;
				if (obj->kind == OBJECT_KIND_INDEX && strcmp(obj->attrs[0], live->attrs[0]) != 0)
					obj->attrs[1] = live->attrs[0];
				if (obj->kind == OBJECT_KIND_DOMAIN)
				{
					if (strcmp(obj->attrs[2], live->attrs[2]) != 0)
						obj->attrs[4] = live->attrs[2];
					for (i = 0; i < obj->ncons; i++)
						for (j = 0; j < live->ncons; j++)
							if (strcmp(obj->con_names[i], live->con_names[j]) == 0 &&
								strcmp(obj->con_defs[i], live->con_defs[j]) != 0)
								obj->con_alt_defs[i] = live->con_defs[j];
				}
			}
		}
	}
}

/* one NOTICE counting the skipped statements by kind */
void
load_report_skipped(List *kinds)
{
	StringInfoData counts;
	List	   *seen = NIL;
	ListCell   *lc;

	initStringInfo(&counts);
	foreach(lc, kinds)
	{
		const char *kind = lfirst(lc);
		ListCell   *oc;
		int			n = 0;

		if (list_member(seen, makeString((char *) kind)))
			continue;
		seen = lappend(seen, makeString((char *) kind));
		foreach(oc, kinds)
			n += strcmp(lfirst(oc), kind) == 0;
		appendStringInfo(&counts, "%s%d %s", counts.len ? ", " : "", n, kind);
	}
	ereport(NOTICE,
			(errmsg_plural("skipped %d statement provision does not model",
						   "skipped %d statements provision does not model",
						   list_length(kinds), list_length(kinds)),
			 errdetail("Skipped: %s.", counts.data)));
}

/* whether store_models() stores decl */
static bool
is_stored(Script *script, Decl *decl)
{
	if (is_serial_sequence(script, decl) ||
		(decl->kind == DECL_INDEX && decl->object == NULL))
		return false;
	return decl->kind != DECL_TABLE || !decl->from_model || decl->changed;
}

/*
 * The relation names of the models the script stores, checked together
 * (see relnames.c): one script may declare two tables whose constraints'
 * indexes take one name, or replace the model that held a name.
 */
static void
check_script_names(Script *script)
{
	List	   *tables = NIL;
	List	   *objects = NIL;
	ListCell   *lc;

	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		if (!is_stored(script, decl))
			continue;
		if (decl->kind == DECL_TABLE)
			tables = lappend(tables, decl->model);
		else
			objects = lappend(objects, decl->object);
	}
	check_relation_names(tables, objects);
}

static void
store_models(Script *script)
{
	ListCell   *lc;
	MemoryContext caller = CurrentMemoryContext;

	/* a write's queries and values, of no use once it is done */
	MemoryContext write = AllocSetContextCreate(caller, "provision registry write",
												ALLOCSET_DEFAULT_SIZES);

	foreach(lc, script->decls)
	{
		Decl	   *decl = lfirst(lc);

		if (!is_stored(script, decl))
			continue;

		if (decl->kind == DECL_TABLE)
		{
			const char *action;

			model_render(decl->model, render_body(decl->model->shape));
			action = table_action(decl);
			MemoryContextSwitchTo(write);
			registry_store(decl->model);
			MemoryContextSwitchTo(caller);
			MemoryContextReset(write);
			add_row(script, decl->model->parent_table ? "partition" : "table",
					quoted_name(decl->schema, decl->name), action);
		}
		else
		{
			const char *action;

			decl->object->declared_by = GetUserNameFromId(GetUserId(), false);
			action = object_action(decl->object);
			MemoryContextSwitchTo(write);
			registry_store_object(decl->object);
			MemoryContextSwitchTo(caller);
			MemoryContextReset(write);
			add_row(script, decl_kind_names[decl->kind], object_display(decl->object), action);
		}
	}
	MemoryContextDelete(write);
}

/* ------------------------------------------------------------ the load */

/*
 * A stored partition the script works on is made in the trial under its
 * stored parent when the script works on that one too (materialize_model()):
 * the parent made first, then, at the partition's first use.
 */
/* the place of ptr in list, or -1 */
static int
ptr_position(List *list, void *ptr)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (lfirst(lc) == ptr)
			return foreach_current_index(lc);
	}
	return -1;
}

static void
materialize_parents_first(Script *script)
{
	bool		moved = true;
	int			rounds = 0;

	while (moved && rounds++ < 100)
	{
		ListCell   *lc;

		moved = false;
		foreach(lc, script->decls)
		{
			Decl	   *decl = lfirst(lc);
			Model	   *model;
			Decl	   *parent;
			ScriptStmt *use;
			List	   *list;
			int			at;

			if (decl->kind != DECL_TABLE || !decl->from_model || decl->attached ||
				decl->first_use == NULL)
				continue;
			model = registry_fetch(decl->schema, decl->name, MODEL_DEFINITION);
			if (model == NULL || model->parent_table == NULL)
				continue;
			parent = find_decl(script, DECL_TABLE, model->parent_schema, model->parent_table);
			if (parent == NULL || !parent->from_model || parent->first_use == NULL)
				continue;
			use = decl->first_use;
			at = ptr_position(use->materialize, decl);
			if (at < 0 || ptr_position(parent->first_use->materialize, parent) < 0 ||
				parent->first_use->seq < use->seq ||
				(parent->first_use == use && ptr_position(use->materialize, parent) < at))
				continue;
			parent->first_use->materialize = list_delete_ptr(parent->first_use->materialize,
															 parent);
			list = use->materialize;
			use->materialize = list_insert_nth(list, ptr_position(list, decl), parent);
			parent->first_use = use;
			moved = true;
		}
	}
}

/*
 * Declare every object of script, in one transaction; returns LoadRow.
 */
List *
load_script(const char *text, bool skip_unsupported, List *live_tables, List *live_objects,
			List **skipped_kinds)
{
	Script		script = {0};
	ErrorContextCallback errcallback;
	List	   *parsetree;
	ListCell   *lc;
	int			line_from = 0;
	int			line_from_line = 0;

	script.text = without_meta_commands(text);
	script.positions_in_script = true;
	errcallback.callback = script_error_callback;
	errcallback.arg = &script;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	parsetree = provision_raw_parser(script.text);
	foreach(lc, parsetree)
	{
		ScriptStmt *ss = palloc0(sizeof(ScriptStmt));

		ss->raw = lfirst_node(RawStmt, lc);
		ss->line = statement_line(script.text, ss->raw, &line_from, &line_from_line);
		ss->seq = list_length(script.stmts);
		script.stmts = lappend(script.stmts, ss);
	}
	foreach(lc, script.stmts)
	{
		ScriptStmt *ss = lfirst(lc);

		script.current_line = ss->line;
		script.current = ss;
		ss->run = declare_statement(&script, ss);
		script.current_line = 0;
	}
	materialize_parents_first(&script);

	if (script.unsupported != NIL && !skip_unsupported)
	{
		StringInfoData detail;
		ListCell   *uc;

		/* the first of them by line; a pg_dump has hundreds of OWNER TO */
		initStringInfo(&detail);
		foreach(uc, script.unsupported)
		{
			if (foreach_current_index(uc) == UNSUPPORTED_LISTED)
			{
				int			more = list_length(script.unsupported) - UNSUPPORTED_LISTED;

				appendStringInfo(&detail, "\nand %d more", more);
				break;
			}
			appendStringInfo(&detail, "%s%s", detail.len ? "\n" : "", (char *) lfirst(uc));
		}
		error_context_stack = errcallback.previous;
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg_plural("the script has %d statement provision does not model",
							   "the script has %d statements provision does not model",
							   list_length(script.unsupported), list_length(script.unsupported)),
				 errdetail("%s", detail.data),
				 errhint("Remove them, or skip them with provision_load(..., skip_unsupported => true).")));
	}

	if (script.decls != NIL)
		trial_run(script_trial, &script);
	error_context_stack = errcallback.previous;

	drop_parent_foreign_keys(&script);
	keep_live_texts(&script, live_tables, live_objects);
	check_script_names(&script);
	store_models(&script);

	if (script.unsupported != NIL)
		load_report_skipped(script.unsupported_kinds);
	if (skipped_kinds != NULL)
		*skipped_kinds = script.unsupported_kinds;
	return script.rows;
}
