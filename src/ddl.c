/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  Building and running the DDL that provisioning and migration need.
 *
 * Statements are built only from quote_identifier() output and from model
 * text that the server's own deparsers produced (see definition.c and
 * inspect.c).  Model text is stored, and stored text is never run as
 * text: just before a step runs, its statement is parsed by the server's
 * parser and must be exactly the one statement the step stands for (one
 * CREATE TABLE of that table with nothing but columns and constraints, one
 * ALTER TABLE of that table with exactly the expected subcommands on the
 * expected column, and so on).  The parse tree that passed is what runs,
 * through ProcessUtility, as an ordinary utility statement: event
 * triggers, the read-only check and every privilege check of plain DDL
 * apply.  A statement that fails the check can only come from a registry
 * row provision did not write; it is reported as a damaged model (XX001).
 *
 * Each step runs with the rights of the model's declarer, in a restricted
 * security context (trust.c), under search_path "pg_catalog, pg_temp" and
 * provision.lock_timeout, so that DDL stuck behind a long transaction
 * fails instead of queueing forever while every later query on the table
 * queues behind it.
 *
 * Every statement run is recorded in the history (history.c) and, when
 * the caller asks, in a list it can return.
 *
 * Online migrations (online.c) add the statements of their steps: index
 * builds and drops run CONCURRENTLY at top level by a background worker
 * (worker.c calls run_top_level_step()), the shadow column's sync trigger,
 * renames; each is checked the same way, and recorded as run online.
 *
 *-------------------------------------------------------------------------
 */
#include "ddl.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "catalog/pg_trigger.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "history.h"
#include "inspect.h"
#include "registry.h"
#include "name.h"
#include "registry.h"
#include "trust.h"

/* the functions of an online migration's triggers (shadow.c) */
#define SHADOW_TRIGGER_FUNCTION "provision_shadow_copy"
#define FILL_TRIGGER_FUNCTION "provision_fill_default"

/* provision.lock_timeout, in milliseconds; 0 waits forever */
int			provision_lock_timeout = 5000;

DDLStep *
make_step(const char *table, int model, DDLPhase phase, DDLKind kind, char *sql)
{
	DDLStep    *step = palloc0(sizeof(DDLStep));

	step->table = pstrdup(table);
	step->model = model;
	step->phase = phase;
	step->kind = kind;
	step->sql = sql;
	return step;
}

/*
 * An ALTER TABLE step of model (models[m] of a run) with one subcommand,
 * on column when the subcommand names one.
 */
DDLStep *
make_alter_table_step(const Model *model, int m, DDLPhase phase,
					  AlterTableType subtype, const char *column, char *sql)
{
	DDLStep    *step = make_step(quoted_name(model->schema, model->table), m, phase,
								 DDL_ALTER_TABLE, sql);

	step->model_name = display_name(model->schema, model->table);
	step->target_schema = model->schema;
	step->target_name = model->table;
	step->nsubcommands = 1;
	step->subcommands[0] = subtype;
	step->column = column;
	step->run_as = model->declared_by;
	return step;
}

/*
 * "ALTER TABLE <the model's table> <fmt>": make_alter_table_step() with
 * the statement formatted here.
 */
DDLStep *
make_alter_table_stepf(const Model *model, int m, DDLPhase phase, AlterTableType subtype,
					   const char *column, const char *fmt,...)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER TABLE %s ", quoted_name(model->schema, model->table));
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&sql, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&sql, needed);
	}
	return make_alter_table_step(model, m, phase, subtype, column ? pstrdup(column) : NULL,
								 sql.data);
}

/*
 * A statement of kind on the model's table (a trigger, a column rename):
 * object is the trigger, other a new name or a shadow column, column the
 * column it names.
 */
DDLStep *
make_table_step(const Model *model, int m, DDLPhase phase, DDLKind kind, const char *object,
				const char *other, const char *column, char *sql)
{
	DDLStep    *step = make_step(quoted_name(model->schema, model->table), m, phase, kind, sql);

	step->model_name = display_name(model->schema, model->table);
	step->target_schema = model->schema;
	step->target_name = model->table;
	step->object = object ? pstrdup(object) : NULL;
	step->other = other ? pstrdup(other) : NULL;
	step->column = column ? pstrdup(column) : NULL;
	step->run_as = model->declared_by;
	return step;
}

/*
 * A statement on an index of the model's table (CREATE or DROP INDEX
 * CONCURRENTLY, ALTER INDEX RENAME TO other): the index is its target, the
 * table the owner, as for an index model's own statements.
 */
DDLStep *
make_index_step(const Model *model, int m, DDLPhase phase, DDLKind kind, const char *index,
				const char *other, char *sql)
{
	DDLStep    *step = make_step(quoted_name(model->schema, model->table), m, phase, kind, sql);

	step->model_name = display_name(model->schema, model->table);
	step->target_schema = model->schema;
	step->target_name = pstrdup(index);
	step->other = other ? pstrdup(other) : NULL;
	step->owner_schema = model->schema;
	step->owner_table = model->table;
	step->run_as = model->declared_by;
	return step;
}

/* what kind of statement a step stands for, for messages */
static const char *
kind_text(DDLKind kind)
{
	switch (kind)
	{
		case DDL_CREATE_SCHEMA:
			return "CREATE SCHEMA";
		case DDL_CREATE_TABLE:
			return "CREATE TABLE";
		case DDL_ALTER_TABLE:
			return "ALTER TABLE";
		case DDL_CREATE_SEQUENCE:
			return "CREATE SEQUENCE";
		case DDL_ALTER_SEQUENCE:
			return "ALTER SEQUENCE";
		case DDL_DROP_SEQUENCE:
			return "DROP SEQUENCE";
		case DDL_RESTART_SEQUENCE:
			return "SELECT setval()";
		case DDL_CREATE_ENUM:
			return "CREATE TYPE";
		case DDL_ALTER_ENUM:
			return "ALTER TYPE";
		case DDL_CREATE_DOMAIN:
			return "CREATE DOMAIN";
		case DDL_ALTER_DOMAIN:
			return "ALTER DOMAIN";
		case DDL_CREATE_INDEX:
			return "CREATE INDEX";
		case DDL_DROP_INDEX:
			return "DROP INDEX";
		case DDL_COMMENT:
			return "COMMENT";
		case DDL_CREATE_INDEX_CONCURRENTLY:
			return "CREATE INDEX CONCURRENTLY";
		case DDL_DROP_INDEX_CONCURRENTLY:
			return "DROP INDEX CONCURRENTLY";
		case DDL_CREATE_TRIGGER:
			return "CREATE TRIGGER";
		case DDL_DROP_TRIGGER:
			return "DROP TRIGGER";
		case DDL_RENAME_COLUMN:
			return "ALTER TABLE RENAME COLUMN";
		case DDL_RENAME_INDEX:
			return "ALTER INDEX RENAME";
		case DDL_FILL_DEFAULT:
			return "UPDATE";
	}
	return "?";
}

static void not_the_statement(const DDLStep *step, const char *why) pg_attribute_noreturn();

static void
not_the_statement(const DDLStep *step, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the model of table \"%s\" is damaged", step->model_name),
			 errdetail("The statement built from it is not one %s of \"%s\" (%s): %s",
					   kind_text(step->kind),
					   step->target_name != NULL
					   ? quoted_name(step->target_schema, step->target_name) : step->table,
					   why, step->sql),
			 errhint("Its registry row was not written by provision. Declare the model again with provision_define(), or remove it with provision_forget().")));
}

static bool
names_match(const DDLStep *step, RangeVar *rv)
{
	return rv != NULL && rv->catalogname == NULL && rv->schemaname != NULL &&
		strcmp(rv->schemaname, step->target_schema) == 0 &&
		strcmp(rv->relname, step->target_name) == 0;
}

static bool
names_match_owner(const DDLStep *step, RangeVar *rv)
{
	return rv != NULL && rv->catalogname == NULL && rv->schemaname != NULL &&
		strcmp(rv->schemaname, step->owner_schema) == 0 &&
		strcmp(rv->relname, step->owner_table) == 0;
}

/* a qualified name list (schema, name) */
static bool
name_list_matches(const DDLStep *step, List *names)
{
	return list_length(names) == 2 &&
		strcmp(strVal(linitial(names)), step->target_schema) == 0 &&
		strcmp(strVal(lsecond(names)), step->target_name) == 0;
}

static void
check_create_table(const DDLStep *step, CreateStmt *stmt)
{
	ListCell   *lc;

	if (!names_match(step, stmt->relation))
		not_the_statement(step, "another table");
	/* PARTITION BY where the model says so; PARTITION OF its parent */
	if ((stmt->partspec != NULL) != step->partitioned)
		not_the_statement(step, "other partitioning");
	if (step->owner_table != NULL
		? (stmt->partbound == NULL || list_length(stmt->inhRelations) != 1 ||
		   !names_match_owner(step, linitial_node(RangeVar, stmt->inhRelations)))
		: (stmt->partbound != NULL || stmt->inhRelations != NIL))
		not_the_statement(step, "another parent");
	if (stmt->relation->relpersistence != RELPERSISTENCE_PERMANENT ||
		stmt->ofTypename != NULL ||
		stmt->options != NIL || stmt->oncommit != ONCOMMIT_NOOP ||
		stmt->tablespacename != NULL || stmt->accessMethod != NULL ||
		stmt->if_not_exists)
		not_the_statement(step, "a clause beyond the column list");
	foreach(lc, stmt->tableElts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, ColumnDef))
		{
			ColumnDef  *col = (ColumnDef *) elt;

			if (provision_column_has_storage(col) || provision_column_compression(col) != NULL ||
				col->fdwoptions != NIL)
				not_the_statement(step, "a column with storage options");
		}
		else if (!IsA(elt, Constraint))
			not_the_statement(step, "something other than columns and constraints");
	}
}

static const char *
subcommand_column(AlterTableCmd *cmd)
{
	if (cmd->subtype == AT_AddColumn)
		return castNode(ColumnDef, cmd->def)->colname;
	return cmd->name;
}

static void
check_alter_table(const DDLStep *step, AlterTableStmt *stmt)
{
	ListCell   *lc;
	int			i = 0;

	if (provision_alter_table_objtype(stmt) != OBJECT_TABLE || !names_match(step, stmt->relation) ||
		!stmt->relation->inh || stmt->missing_ok)
		not_the_statement(step, "another relation");
	if (list_length(stmt->cmds) != step->nsubcommands)
		not_the_statement(step, "another number of subcommands");
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype != step->subcommands[i++])
			not_the_statement(step, "another subcommand");
		if (cmd->missing_ok || cmd->behavior != DROP_RESTRICT)
			not_the_statement(step, "IF EXISTS or CASCADE");
		if (step->column != NULL &&
			(subcommand_column(cmd) == NULL || strcmp(subcommand_column(cmd), step->column) != 0))
			not_the_statement(step, "another column");
	}
}

/* sequence statements carry no option but the ones provision writes */
static void
check_sequence_options(const DDLStep *step, List *options, const char *const *allowed,
					   int nallowed)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);
		int			i;

		for (i = 0; i < nallowed; i++)
		{
			if (strcmp(opt->defname, allowed[i]) == 0)
				break;
		}
		if (i == nallowed)
			not_the_statement(step, "an option provision does not write");
	}
}

/* a name list (schema, name[, name]) is exactly these names */
static bool
name_list_is(List *names, const char *schema, const char *name, const char *name2)
{
	if (list_length(names) != (name2 ? 3 : 2))
		return false;
	if (strcmp(strVal(linitial(names)), schema) != 0 ||
		strcmp(strVal(lsecond(names)), name) != 0)
		return false;
	return name2 == NULL || strcmp(strVal(lthird(names)), name2) == 0;
}

/*
 * DROP INDEX CONCURRENTLY of the index step->target_name in the step's
 * schema, or DROP TRIGGER step->object ON the step's table.
 */
static void
check_drop(const DDLStep *step, Node *stmt, ObjectType type, bool concurrent)
{
	DropStmt   *drop = (DropStmt *) stmt;

	if (!IsA(stmt, DropStmt) || drop->removeType != type ||
		list_length(drop->objects) != 1 || drop->missing_ok ||
		drop->behavior != DROP_RESTRICT || drop->concurrent != concurrent)
		not_the_statement(step, "another statement");
	if (!name_list_is(linitial(drop->objects), step->target_schema, step->target_name,
					  type == OBJECT_INDEX ? NULL : step->object))
		not_the_statement(step, "another object");
}

/*
 * CREATE INDEX CONCURRENTLY step->target_name ON the step's owner table,
 * whatever its columns, method and options (an index definition is taken
 * generically: an index model's statement with CONCURRENTLY).
 */
static void
check_create_index(const DDLStep *step, Node *stmt)
{
	IndexStmt  *index = (IndexStmt *) stmt;

	if (!IsA(stmt, IndexStmt) || !index->concurrent || index->if_not_exists ||
		index->idxname == NULL)
		not_the_statement(step, "another statement");
	if (!names_match_owner(step, index->relation) || !index->relation->inh ||
		strcmp(index->idxname, step->target_name) != 0)
		not_the_statement(step, "another index or table");
}

/*
 * An online migration's trigger: with step->other, the shadow column's
 * sync trigger (BEFORE INSERT OR UPDATE, the source and shadow column as
 * arguments); without, a fill trigger (BEFORE UPDATE, the column as
 * argument).  FOR EACH ROW, of the extension's own function, and nothing
 * else.
 */
static void
check_create_trigger(const DDLStep *step, Node *stmt)
{
	CreateTrigStmt *trig = (CreateTrigStmt *) stmt;
	char	   *extschema = get_namespace_name(registry_namespace());
	bool		sync = step->other != NULL;

	if (!IsA(stmt, CreateTrigStmt) || provision_trigger_replace(trig) || trig->isconstraint)
		not_the_statement(step, "another statement");
	if (!names_match(step, trig->relation) || strcmp(trig->trigname, step->object) != 0)
		not_the_statement(step, "another trigger or table");
	if (extschema == NULL ||
		!name_list_is(trig->funcname, extschema,
					  sync ? SHADOW_TRIGGER_FUNCTION : FILL_TRIGGER_FUNCTION, NULL) ||
		list_length(trig->args) != (sync ? 2 : 1) ||
		strcmp(strVal(linitial(trig->args)), step->column) != 0 ||
		(sync && strcmp(strVal(lsecond(trig->args)), step->other) != 0))
		not_the_statement(step, "another function or arguments");
	if (!trig->row || trig->timing != TRIGGER_TYPE_BEFORE ||
		trig->events != (sync ? (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE) : TRIGGER_TYPE_UPDATE) ||
		trig->columns != NIL || trig->whenClause != NULL || trig->transitionRels != NIL ||
		trig->deferrable || trig->initdeferred || trig->constrrel != NULL)
		not_the_statement(step, "another kind of trigger");
}

/*
 * ALTER TABLE ... RENAME COLUMN step->column TO step->other, or ALTER
 * INDEX step->target_name RENAME TO step->other
 */
static void
check_rename(const DDLStep *step, Node *stmt)
{
	RenameStmt *rename = (RenameStmt *) stmt;

	if (!IsA(stmt, RenameStmt) || rename->missing_ok ||
		rename->renameType != (step->kind == DDL_RENAME_COLUMN ? OBJECT_COLUMN : OBJECT_INDEX))
		not_the_statement(step, "another statement");
	if (strcmp(rename->newname, step->other) != 0)
		not_the_statement(step, "another new name");
	if (step->kind == DDL_RENAME_COLUMN)
	{
		if (rename->relationType != OBJECT_TABLE || !names_match(step, rename->relation) ||
			!rename->relation->inh || rename->subname == NULL ||
			strcmp(rename->subname, step->column) != 0)
			not_the_statement(step, "another column or table");
	}
	else if (!names_match(step, rename->relation))
		not_the_statement(step, "another index");
}

/*
 * The statement of step, parsed, and checked to be exactly what the step
 * stands for.
 */
static RawStmt *
parse_step(const DDLStep *step)
{
	static const char *const create_seq_options[] = {
		"as", "owned_by", "increment", "minvalue", "maxvalue", "start", "cache", "cycle"
	};
	static const char *const alter_seq_options[] = {
		"owned_by", "as", "increment", "minvalue", "maxvalue", "start", "cache", "cycle"
	};
	MemoryContext caller = CurrentMemoryContext;
	List	   *parsetree = NIL;
	RawStmt    *raw;
	Node	   *stmt;

	/* a syntax error here is damage too, not the user's typo */
	PG_TRY();
	{
		parsetree = provision_raw_parser(step->sql);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		not_the_statement(step, edata->message);
	}
	PG_END_TRY();

	if (list_length(parsetree) != 1)
		not_the_statement(step, "several statements");
	raw = linitial_node(RawStmt, parsetree);
	stmt = raw->stmt;
	switch (step->kind)
	{
		case DDL_CREATE_SCHEMA:
			if (!IsA(stmt, CreateSchemaStmt) ||
				strcmp(((CreateSchemaStmt *) stmt)->schemaname, step->target_schema) != 0 ||
				((CreateSchemaStmt *) stmt)->schemaElts != NIL ||
				((CreateSchemaStmt *) stmt)->if_not_exists)
				not_the_statement(step, "another statement");
			break;
		case DDL_CREATE_TABLE:
			if (!IsA(stmt, CreateStmt))
				not_the_statement(step, "another statement");
			check_create_table(step, (CreateStmt *) stmt);
			break;
		case DDL_ALTER_TABLE:
			if (!IsA(stmt, AlterTableStmt))
				not_the_statement(step, "another statement");
			check_alter_table(step, (AlterTableStmt *) stmt);
			break;
		case DDL_CREATE_SEQUENCE:
			if (!IsA(stmt, CreateSeqStmt) ||
				!names_match(step, ((CreateSeqStmt *) stmt)->sequence) ||
				((CreateSeqStmt *) stmt)->sequence->relpersistence != RELPERSISTENCE_PERMANENT ||
				((CreateSeqStmt *) stmt)->if_not_exists)
				not_the_statement(step, "another statement");
			check_sequence_options(step, ((CreateSeqStmt *) stmt)->options,
								   create_seq_options, lengthof(create_seq_options));
			break;
		case DDL_ALTER_SEQUENCE:
			if (!IsA(stmt, AlterSeqStmt) ||
				!names_match(step, ((AlterSeqStmt *) stmt)->sequence) ||
				((AlterSeqStmt *) stmt)->missing_ok)
				not_the_statement(step, "another statement");
			check_sequence_options(step, ((AlterSeqStmt *) stmt)->options,
								   alter_seq_options, lengthof(alter_seq_options));
			break;
		case DDL_DROP_SEQUENCE:
			{
				DropStmt   *drop = (DropStmt *) stmt;

				if (!IsA(stmt, DropStmt) || drop->removeType != OBJECT_SEQUENCE ||
					list_length(drop->objects) != 1 || drop->missing_ok ||
					drop->behavior != DROP_RESTRICT || drop->concurrent ||
					!names_match(step, makeRangeVarFromNameList(linitial(drop->objects))))
					not_the_statement(step, "another statement");
				break;
			}
		case DDL_CREATE_ENUM:
			if (!IsA(stmt, CreateEnumStmt) ||
				!name_list_matches(step, ((CreateEnumStmt *) stmt)->typeName))
				not_the_statement(step, "another statement");
			break;
		case DDL_ALTER_ENUM:
			if (!IsA(stmt, AlterEnumStmt) ||
				!name_list_matches(step, ((AlterEnumStmt *) stmt)->typeName) ||
				((AlterEnumStmt *) stmt)->oldVal != NULL)
				not_the_statement(step, "another statement");
			break;
		case DDL_CREATE_DOMAIN:
			if (!IsA(stmt, CreateDomainStmt) ||
				!name_list_matches(step, ((CreateDomainStmt *) stmt)->domainname))
				not_the_statement(step, "another statement");
			break;
		case DDL_ALTER_DOMAIN:
			if (!IsA(stmt, AlterDomainStmt) ||
				!name_list_matches(step, ((AlterDomainStmt *) stmt)->typeName) ||
				((AlterDomainStmt *) stmt)->subtype != step->domain_subtype ||
				((AlterDomainStmt *) stmt)->missing_ok ||
				((AlterDomainStmt *) stmt)->behavior != DROP_RESTRICT)
				not_the_statement(step, "another statement");
			break;
		case DDL_CREATE_INDEX:
			{
				IndexStmt  *index = (IndexStmt *) stmt;

				if (!IsA(stmt, IndexStmt) || index->idxname == NULL ||
					strcmp(index->idxname, step->target_name) != 0 ||
					!names_match_owner(step, index->relation) ||
					index->concurrent || index->if_not_exists ||
					index->tableSpace != NULL)
					not_the_statement(step, "another statement");
				break;
			}
		case DDL_DROP_INDEX:
			{
				DropStmt   *drop = (DropStmt *) stmt;

				if (!IsA(stmt, DropStmt) || drop->removeType != OBJECT_INDEX ||
					list_length(drop->objects) != 1 || drop->missing_ok ||
					drop->behavior != DROP_RESTRICT || drop->concurrent ||
					!names_match(step, makeRangeVarFromNameList(linitial(drop->objects))))
					not_the_statement(step, "another statement");
				break;
			}
		case DDL_COMMENT:
			{
				CommentStmt *comment = (CommentStmt *) stmt;
				List	   *names;

				if (!IsA(stmt, CommentStmt) || comment->objtype != step->comment_on)
					not_the_statement(step, "another statement");
				if (comment->objtype == OBJECT_SCHEMA)
				{
					if (strcmp(strVal(comment->object), step->target_schema) != 0)
						not_the_statement(step, "another object");
					break;
				}
				/* a type's name is a TypeName; the others', a name list */
				names = (comment->objtype == OBJECT_TYPE || comment->objtype == OBJECT_DOMAIN)
					? castNode(TypeName, comment->object)->names
					: castNode(List, comment->object);
				if (comment->objtype == OBJECT_COLUMN)
				{
					if (list_length(names) != 3 || step->column == NULL ||
						strcmp(strVal(llast(names)), step->column) != 0)
						not_the_statement(step, "another column");
					names = list_truncate(list_copy(names), 2);
				}
				if (!name_list_matches(step, names))
					not_the_statement(step, "another object");
				break;
			}
		case DDL_RESTART_SEQUENCE:
		case DDL_FILL_DEFAULT:
			elog(ERROR, "a query step is not parsed");
			break;
		case DDL_CREATE_INDEX_CONCURRENTLY:
			check_create_index(step, stmt);
			break;
		case DDL_DROP_INDEX_CONCURRENTLY:
			check_drop(step, stmt, OBJECT_INDEX, true);
			break;
		case DDL_CREATE_TRIGGER:
			check_create_trigger(step, stmt);
			break;
		case DDL_DROP_TRIGGER:
			check_drop(step, stmt, OBJECT_TRIGGER, false);
			break;
		case DDL_RENAME_COLUMN:
		case DDL_RENAME_INDEX:
			check_rename(step, stmt);
			break;
	}
	return raw;
}

/*
 * Errors of a statement point into it, as SPI's do, not into the caller's
 * query.
 */
static void
statement_error_callback(void *arg)
{
	const char *sql = arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(sql);
	}
	else
		errcontext("SQL statement \"%s\"", sql);
}

/*
 * Run a checked utility statement, as SPI would run it; at top level, as
 * a client's statement would run (see run_top_level_step()).
 */
static void
execute_utility(RawStmt *raw, const char *sql, bool top_level)
{
	PlannedStmt *pstmt = makeNode(PlannedStmt);
	ErrorContextCallback errcallback;

	pstmt->commandType = CMD_UTILITY;
	pstmt->canSetTag = false;
	pstmt->utilityStmt = raw->stmt;
	pstmt->stmt_location = raw->stmt_location;
	pstmt->stmt_len = raw->stmt_len;

	errcallback.callback = statement_error_callback;
	errcallback.arg = (void *) sql;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	PushActiveSnapshot(GetTransactionSnapshot());
	provision_process_utility(pstmt, sql,
							  top_level ? PROCESS_UTILITY_TOPLEVEL : PROCESS_UTILITY_QUERY);
	/* a concurrent index build pops it, and commits, by itself */
	if (!top_level)
		PopActiveSnapshot();
	else if (ActiveSnapshotSet())
		PopActiveSnapshot();
	error_context_stack = errcallback.previous;
	CommandCounterIncrement();
}

/*
 * Set the sequence of a column (serial or identity) past the column's
 * largest value, so that it never hands out a value the column holds.  The
 * query is fixed; the names in it are quoted identifiers and literals.
 */
static void
execute_restart_sequence(const DDLStep *step)
{
	char	   *query;
	int			ret;

	const char *table = quoted_name(step->owner_schema, step->owner_table);

	query = psprintf("SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, %s),"
					 " pg_catalog.max(t.%s) OPERATOR(pg_catalog.+) 1, false)"
					 " FROM %s t",
					 quote_literal_cstr(table), quote_literal_cstr(step->column),
					 quote_identifier(step->column), table);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(query, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
	SPI_finish();
}

/*
 * Set a column's NULLs to its default: what an online migration left
 * half-filled (see backfill.c), completed in one statement.  The query is
 * fixed, with quoted identifiers; user triggers do not fire, as they do
 * not for the ADD COLUMN whose default it completes.
 */
static void
execute_fill_default(const DDLStep *step)
{
	const char *table = quoted_name(step->target_schema, step->target_name);
	const char *column = quote_identifier(step->column);
	char	   *query;
	int			ret;

	query = psprintf("UPDATE %s SET %s = DEFAULT WHERE %s IS NULL", table, column, column);
	(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(query, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
	SPI_finish();
}

/* the role step runs as, checked for the current user */
static Oid
step_role(const DDLStep *step)
{
	if (step->run_as == NULL)
		return GetUserId();
	return trust_declarer(step->run_as, step->model_name);
}

/*
 * Check, before anything runs, that the current user may run every step
 * (each declarer exists and the current user can act as it), so that a
 * refusal leaves nothing half-done even inside a subtransaction.
 */
void
check_steps_runnable(List *steps)
{
	ListCell   *lc;

	foreach(lc, steps)
		(void) step_role(lfirst(lc));
}

/* statements that only a top-level worker can run (worker.c) */
static bool
kind_is_top_level(DDLKind kind)
{
	return kind == DDL_CREATE_INDEX_CONCURRENTLY || kind == DDL_DROP_INDEX_CONCURRENTLY;
}

/*
 * Run one step: check its statement, then run it as its declarer, and
 * record it, as run online (in a transaction of its own) or not.  With
 * executed, append the step to *executed.
 */
static void
run_step_internal(const DDLStep *step, RawStmt *raw, List **executed, bool online)
{
	Oid			role;
	char	   *caller;
	TrustScope	scope;
	char		timeout[32];
	MemoryContext memory;
	MemoryContext caller_memory;

	if (kind_is_top_level(step->kind))
		elog(ERROR, "statement \"%s\" must run at top level", step->sql);
	if (raw == NULL && step->kind != DDL_RESTART_SEQUENCE && step->kind != DDL_FILL_DEFAULT)
		raw = parse_step(step);

	/*
	 * What running it allocates is freed with it, rather than kept to the end
	 * of a provision_all() that may run thousands of steps.  The parse tree
	 * runs once: nothing reads it afterwards.
	 */
	memory = AllocSetContextCreate(CurrentMemoryContext, "provision step",
								   ALLOCSET_DEFAULT_SIZES);
	caller_memory = MemoryContextSwitchTo(memory);
	role = step_role(step);
	caller = GetUserNameFromId(GetUserId(), false);
	trust_enter(role, true, &scope);
	snprintf(timeout, sizeof(timeout), "%d", provision_lock_timeout);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* a new table is empty: planning parallel builds of its keys is waste */
	if (step->kind == DDL_CREATE_TABLE)
		(void) set_config_option("max_parallel_maintenance_workers", "0", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (raw != NULL)
		execute_utility(raw, step->sql, false);
	else if (step->kind == DDL_FILL_DEFAULT)
		execute_fill_default(step);
	else
		execute_restart_sequence(step);
	trust_leave(&scope);

	history_record(step->table, step->sql, caller, GetUserNameFromId(role, false), online);
	MemoryContextSwitchTo(caller_memory);
	MemoryContextDelete(memory);
	if (executed != NULL)
	{
		DDLStep    *copy = palloc(sizeof(DDLStep));

		*copy = *step;
		*executed = lappend(*executed, copy);
	}
}

void
run_step(const DDLStep *step, List **executed)
{
	run_step_internal(step, NULL, executed, false);
}

/*
 * The statements of steps, parsed and checked, in the same order (NULL
 * for a step that runs no statement), for run_parsed_step() in the same
 * transaction.  Parsing them all before any runs keeps the parser's
 * tables in the CPU's caches: one by one between CREATE TABLEs, parsing
 * cost several times more.
 */
List *
parse_steps(List *steps)
{
	List	   *parsed = NIL;
	ListCell   *lc;

	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);

		if (kind_is_top_level(step->kind) || step->kind == DDL_RESTART_SEQUENCE ||
			step->kind == DDL_FILL_DEFAULT)
			parsed = lappend(parsed, NULL);
		else
			parsed = lappend(parsed, parse_step(step));
	}
	return parsed;
}

/* run step with its statement from parse_steps(); a parse tree runs once */
void
run_parsed_step(const DDLStep *step, RawStmt *raw, List **executed)
{
	run_step_internal(step, raw, executed, false);
}

/* a step of an online migration, in a transaction of its own */
void
run_online_step(const DDLStep *step)
{
	run_step_internal(step, NULL, NULL, true);
}

/* check a step's statement, without running it */
void
check_step_statement(const DDLStep *step)
{
	if (step->kind != DDL_RESTART_SEQUENCE && step->kind != DDL_FILL_DEFAULT)
		(void) parse_step(step);
}

/* a step's statement, checked, for a trial to run (load.c) */
RawStmt *
checked_step_statement(const DDLStep *step)
{
	Assert(step->kind != DDL_RESTART_SEQUENCE && step->kind != DDL_FILL_DEFAULT);
	return parse_step(step);
}

/*
 * Run a step at top level, as a client's statement, in a session of its
 * own (a background worker, worker.c): CREATE INDEX CONCURRENTLY commits
 * transactions of its own and refuses to run inside a function.  The
 * statement is checked as every other is, and runs as the model's
 * declarer in a restricted security context for the rest of the session
 * (trust_enter_session()); provision.lock_timeout does not apply, since
 * its waits block no reader or writer.  Recorded as run online.
 */
void
run_top_level_step(const DDLStep *step)
{
	RawStmt    *raw = parse_step(step);
	Oid			role = step_role(step);
	char	   *caller = GetUserNameFromId(GetUserId(), false);
	char	   *run_as = GetUserNameFromId(role, false);
	char	   *table = pstrdup(step->table);
	char	   *sql = pstrdup(step->sql);

	/* its waits block no reader or writer: it waits as long as it takes */
	SetConfigOption("lock_timeout", "0", PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("statement_timeout", "0", PGC_USERSET, PGC_S_SESSION);
	trust_enter_session(role);
	execute_utility(raw, step->sql, true);
	history_record(table, sql, caller, run_as, true);
}

/*
 * CREATE SCHEMA: as the caller (run_as NULL), or for the model model_name
 * as its declarer run_as.
 */
DDLStep *
ddl_create_schema(const char *schema, const char *owner, const char *run_as,
				  const char *model_name)
{
	char	   *sql;
	DDLStep    *step;

	if (owner != NULL)
		sql = psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
					   quote_identifier(schema), quote_identifier(owner));
	else
		sql = psprintf("CREATE SCHEMA %s", quote_identifier(schema));
	step = make_step(quote_identifier(schema), -1, PHASE_CREATE, DDL_CREATE_SCHEMA, sql);
	step->target_schema = pstrdup(schema);
	step->schema = step->target_schema;
	step->run_as = run_as;
	step->model_name = model_name ? model_name : step->target_schema;
	return step;
}

/*
 * The column defaults partition model declares of its own: those of its
 * columns whose default is not the one its parent's model declares for
 * the same column.  A partition takes its parent's defaults when it is
 * created, and ALTER TABLE of the parent's default carries to it, so
 * only these are the partition's (pg_dump writes them as ALTER TABLE ONLY
 * partition ALTER COLUMN ... SET DEFAULT).  Identity, generated and
 * serial columns have none of their own; neither has a column without a
 * default under a parent's column with one (CREATE TABLE ... PARTITION OF
 * cannot say so).  A model read back by provision_load() keeps only
 * these (load.c); a capture's partition, whose parent has no model yet,
 * gives all of its defaults.  Returns an array parallel to shape->columns
 * (the partition's declared shape): the default, or NULL.
 */
/*
 * The column of partition model's parent model named like column c, or
 * NULL: none, or the parent has no model (a capture's).  The parent's
 * shape is fetched once: *looked false before the first call, *pshape it.
 */
static const ColumnShape *
parent_column(const Model *model, const TableShape **pshape, bool *looked,
			  const ColumnShape *c)
{
	if (!*looked)
	{
		Model	   *parent = registry_fetch(model->parent_schema, model->parent_table,
											MODEL_SHAPE);

		*pshape = parent != NULL ? model_shape(parent) : NULL;
		*looked = true;
	}
	for (int j = 0; *pshape != NULL && j < (*pshape)->ncolumns; j++)
	{
		if (strcmp((*pshape)->columns[j].name, c->name) == 0)
			return &(*pshape)->columns[j];
	}
	return NULL;
}

const char **
partition_own_defaults(const Model *model, const TableShape *shape)
{
	const char **result = palloc0(sizeof(char *) * (shape->ncolumns + 1));
	const TableShape *pshape = NULL;
	bool		looked = false;

	if (model->parent_table == NULL)
		return result;
	/* a parent without a model (a capture's): all of them, as load reads them */
	for (int i = 0; i < shape->ncolumns; i++)
	{
		const ColumnShape *c = &shape->columns[i];
		const ColumnShape *pc;

		if (c->default_expr[0] == '\0' || c->identity || c->generated || c->serial[0] != '\0')
			continue;
		pc = parent_column(model, &pshape, &looked, c);
		/* the parent's, in any text either was read back as */
		if (pc != NULL && (strcmp(pc->default_expr, c->default_expr) == 0 ||
						   (pc->alt_default[0] != '\0' &&
							strcmp(pc->alt_default, c->default_expr) == 0) ||
						   (c->alt_default[0] != '\0' &&
							strcmp(c->alt_default, pc->default_expr) == 0)))
			continue;
		result[i] = c->default_expr;
	}
	return result;
}

/*
 * The columns partition model declares NOT NULL of its own: NOT NULL in
 * its declared shape, but not in its parent's model (a partition's column
 * is NOT NULL whenever its parent's is; CREATE TABLE ... PARTITION OF
 * parent (v NOT NULL) or pg_dump's partition created apart and attached
 * can add it).  Identity columns are NOT NULL by definition.  A parent
 * without a model (a capture's): all of them.  Returns an array parallel
 * to shape->columns.
 */
bool *
partition_own_not_null(const Model *model, const TableShape *shape)
{
	bool	   *result = palloc0(sizeof(bool) * (shape->ncolumns + 1));
	const TableShape *pshape = NULL;
	bool		looked = false;

	if (model->parent_table == NULL)
		return result;
	for (int i = 0; i < shape->ncolumns; i++)
	{
		const ColumnShape *c = &shape->columns[i];
		const ColumnShape *pc;

		if (!c->notnull || c->identity)
			continue;
		pc = parent_column(model, &pshape, &looked, c);
		result[i] = pc == NULL || !pc->notnull;
	}
	return result;
}

/*
 * What CREATE TABLE ... PARTITION OF lists for partition model: its own
 * column defaults and NOT NULL, then its own constraints; "" for none.
 */
char *
render_partition_elements(const Model *model)
{
	const TableShape *shape = model_shape(model);
	const char **defaults = partition_own_defaults(model, shape);
	bool	   *not_null = partition_own_not_null(model, shape);
	char	   *constraints = render_constraints(shape);
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < shape->ncolumns; i++)
	{
		if (defaults[i] == NULL && !not_null[i])
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 quote_identifier(shape->columns[i].name));
		if (defaults[i] != NULL)
			appendStringInfo(&buf, " DEFAULT %s", defaults[i]);
		if (not_null[i])
			appendStringInfoString(&buf, " NOT NULL");
	}
	if (constraints[0] != '\0')
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", constraints);
	return buf.data;
}

/*
 * CREATE TABLE for models[m], with the foreign keys that inline_fkeys
 * selects (NULL: all); the others are added by ddl_add_foreign_key().
 */
DDLStep *
ddl_create_table(const Model *model, int m, const bool *inline_fkeys)
{
	StringInfoData sql;
	bool		first = (model->body[0] == '\0');
	DDLStep    *step;
	int			i;

	initStringInfo(&sql);
	if (model->parent_table != NULL)
	{
		/* a partition's columns are its parent's: only its own defaults and constraints */
		char	   *constraints = render_partition_elements(model);

		appendStringInfo(&sql, "CREATE TABLE %s PARTITION OF %s",
						 quoted_name(model->schema, model->table),
						 quoted_name(model->parent_schema, model->parent_table));
		first = constraints[0] == '\0';
		if (!first)
			appendStringInfo(&sql, " (%s", constraints);
		for (i = 0; i < model->nfkeys; i++)
		{
			if (inline_fkeys != NULL && !inline_fkeys[i])
				continue;
			appendStringInfo(&sql, "%s%s", first ? " (" : ", ", model->fkeys[i].clause);
			first = false;
		}
		if (!first)
			appendStringInfoChar(&sql, ')');
		appendStringInfo(&sql, " %s", model->partition_bound);
		/* a partition partitioned in turn */
		if (model->partition_by != NULL && model->partition_by[0] != '\0')
			appendStringInfo(&sql, " PARTITION BY %s", model->partition_by);
	}
	else
	{
		appendStringInfo(&sql, "CREATE TABLE %s (%s",
						 quoted_name(model->schema, model->table), model->body);
		for (i = 0; i < model->nfkeys; i++)
		{
			if (inline_fkeys != NULL && !inline_fkeys[i])
				continue;
			appendStringInfo(&sql, "%s%s", first ? "" : ", ", model->fkeys[i].clause);
			first = false;
		}
		appendStringInfoChar(&sql, ')');
		if (model->partition_by != NULL && model->partition_by[0] != '\0')
			appendStringInfo(&sql, " PARTITION BY %s", model->partition_by);
	}
	step = make_step(quoted_name(model->schema, model->table), m, PHASE_CREATE,
					 DDL_CREATE_TABLE, sql.data);
	step->partitioned = model->partition_by != NULL && model->partition_by[0] != '\0';
	step->owner_schema = model->parent_schema;
	step->owner_table = model->parent_table;
	step->model_name = display_name(model->schema, model->table);
	step->target_schema = model->schema;
	step->target_name = model->table;
	step->run_as = model->declared_by;
	return step;
}

DDLStep *
ddl_add_foreign_key(const Model *model, int m, int fkey)
{
	DDLStep    *step = make_alter_table_step(model, m, PHASE_CREATE, AT_AddConstraint, NULL,
											 psprintf("ALTER TABLE %s ADD %s",
													  quoted_name(model->schema, model->table),
													  model->fkeys[fkey].clause));

	return step;
}

/*
 * A step that creates or changes a model of another kind (an enum, a
 * domain, a sequence, an index), named schema.name, for the model
 * model_name, run as run_as.
 */
DDLStep *
ddl_object_step(DDLKind kind, DDLPhase phase, const char *schema, const char *name,
				const char *model_name, const char *run_as, char *sql)
{
	DDLStep    *step = make_step(quoted_name(schema, name), -1, phase, kind, sql);

	step->target_schema = schema;
	step->target_name = name;
	step->model_name = model_name;
	step->run_as = run_as;
	return step;
}

/*
 * COMMENT ON <on> schema.name[.column] IS comment ("" removes it).  A
 * schema's comment names the schema only (name NULL).
 */
DDLStep *
ddl_comment(ObjectType on, const char *schema, const char *name, const char *column,
			const char *comment, const char *model_name, const char *run_as)
{
	const char *what;
	char	   *object;
	char	   *sql;
	DDLStep    *step;

	switch (on)
	{
		case OBJECT_TABLE:
			what = "TABLE";
			break;
		case OBJECT_COLUMN:
			what = "COLUMN";
			break;
		case OBJECT_INDEX:
			what = "INDEX";
			break;
		case OBJECT_TYPE:
			what = "TYPE";
			break;
		case OBJECT_DOMAIN:
			what = "DOMAIN";
			break;
		case OBJECT_SEQUENCE:
			what = "SEQUENCE";
			break;
		case OBJECT_SCHEMA:
			what = "SCHEMA";
			break;
		default:
			elog(ERROR, "unexpected comment target %d", (int) on);
	}
	object = name == NULL ? pstrdup(quote_identifier(schema)) : quoted_name(schema, name);
	if (column != NULL)
		object = psprintf("%s.%s", object, quote_identifier(column));
	sql = psprintf("COMMENT ON %s %s IS %s", what, object,
				   comment[0] != '\0' ? quote_literal_cstr(comment) : "NULL");
	step = make_step(name == NULL ? object : quoted_name(schema, name), -1, PHASE_COMMENT,
					 DDL_COMMENT, sql);
	step->target_schema = schema;
	step->target_name = name;
	step->column = column;
	step->comment_on = on;
	step->model_name = model_name;
	step->run_as = run_as;
	return step;
}
