/*-------------------------------------------------------------------------
 *
 * definition.c
 *	  Validating a table definition and normalizing it into a model.
 *
 * A definition is the body of a CREATE TABLE.  It is checked by the
 * server's own parser (exactly one CREATE TABLE whose body is the
 * definition, nothing else) and then by the server's own CREATE TABLE: the
 * body, without its foreign keys, is created as a temporary table inside a
 * subtransaction that is always rolled back.  What that trial table looks
 * like in the catalogs is rendered back into text with format_type,
 * pg_get_expr-style deparsing and pg_get_constraintdef, under a search_path
 * of pg_catalog only, so that every non-catalog name comes out qualified.
 * That text is the normalized body the registry keeps: whatever CREATE
 * TABLE accepts is accepted, types are resolved now (42704 for an unknown
 * one), and later provisioning runs text built only by the server's own
 * deparsers and quote_identifier.
 *
 * Foreign keys are kept out of the trial (their targets may be models that
 * do not exist yet) and rendered here from the parse tree, with the
 * referenced table resolved to a schema at define time.
 *
 * The trial runs as a subcommand, so event triggers do not see it.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

/* What the definition said beyond what the catalogs of the trial show */
typedef struct DefinitionFacts
{
	const char *schema;
	const char *table;
	const char *definition;
	int			prefix_chars;	/* characters before the definition in sql */
	List	   *explicit_names; /* constraint names the user wrote */
	List	   *foreign_keys;	/* Constraint nodes, fk_attrs filled in */
} DefinitionFacts;

/*
 * Make errors point into the user's definition, not into the CREATE TABLE
 * built around it, and say which model they belong to.
 */
static void
definition_error_callback(void *arg)
{
	DefinitionFacts *facts = (DefinitionFacts *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		int			inner = pos - facts->prefix_chars;

		errposition(0);
		if (inner > 0 && inner <= pg_mbstrlen(facts->definition) + 1)
		{
			internalerrposition(inner);
			internalerrquery(facts->definition);
		}
	}
	errcontext("definition of table \"%s\"",
			   display_name(facts->schema, facts->table));
}

static void
not_a_table_body(const char *clause)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("a table definition must contain only column definitions and table constraints"),
			 errdetail("The definition contains %s.", clause)));
}

/*
 * Apply a DEFERRABLE-style attribute that follows a column's foreign key,
 * as transformConstraintAttrs() would; false if con is no such attribute.
 */
static bool
apply_fk_attribute(Constraint *fk, Constraint *con)
{
	switch (con->contype)
	{
		case CONSTR_ATTR_DEFERRABLE:
			fk->deferrable = true;
			return true;
		case CONSTR_ATTR_NOT_DEFERRABLE:
			if (fk->initdeferred)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("constraint declared INITIALLY DEFERRED must be DEFERRABLE")));
			fk->deferrable = false;
			return true;
		case CONSTR_ATTR_DEFERRED:
			fk->initdeferred = true;
			fk->deferrable = true;
			return true;
		case CONSTR_ATTR_IMMEDIATE:
			fk->initdeferred = false;
			return true;
		default:
			return false;
	}
}

/*
 * Walk the parsed body: refuse what is not a table body, note what the
 * catalogs will not tell (serial columns, explicit constraint names) and
 * take the foreign keys out.
 */
static void
collect_facts(CreateStmt *stmt, DefinitionFacts *facts)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (stmt->inhRelations != NIL)
		not_a_table_body("INHERITS");
	if (stmt->partspec != NULL)
		not_a_table_body("PARTITION BY");
	if (stmt->partbound != NULL || stmt->ofTypename != NULL)
		not_a_table_body("a clause after the column list");
	if (stmt->options != NIL)
		not_a_table_body("WITH");
	if (stmt->oncommit != ONCOMMIT_NOOP)
		not_a_table_body("ON COMMIT");
	if (stmt->tablespacename != NULL)
		not_a_table_body("TABLESPACE");
	if (stmt->accessMethod != NULL)
		not_a_table_body("USING");

	foreach(lc, stmt->tableElts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, ColumnDef))
		{
			ColumnDef  *col = (ColumnDef *) elt;
			List	   *constraints = NIL;
			Constraint *last_fk = NULL;
			ListCell   *cc;

			if (provision_column_has_storage(col) || provision_column_has_compression(col) ||
				col->fdwoptions != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" sets STORAGE, COMPRESSION or OPTIONS, which models do not support",
								col->colname)));

			foreach(cc, col->constraints)
			{
				Constraint *con = lfirst_node(Constraint, cc);

				/*
				 * DEFERRABLE and friends follow the constraint they qualify;
				 * those of a foreign key leave with it.
				 */
				if (last_fk != NULL && apply_fk_attribute(last_fk, con))
					continue;
				last_fk = NULL;
				if (con->contype == CONSTR_FOREIGN)
				{
					con->fk_attrs = list_make1(makeString(col->colname));
					facts->foreign_keys = lappend(facts->foreign_keys, con);
					last_fk = con;
					continue;
				}
				if (con->conname != NULL)
					facts->explicit_names = lappend(facts->explicit_names, con->conname);
				constraints = lappend(constraints, con);
			}
			col->constraints = constraints;
			kept = lappend(kept, col);
		}
		else if (IsA(elt, Constraint))
		{
			Constraint *con = (Constraint *) elt;

			if (con->contype == CONSTR_FOREIGN)
			{
				facts->foreign_keys = lappend(facts->foreign_keys, con);
				continue;
			}
			if (con->conname != NULL)
				facts->explicit_names = lappend(facts->explicit_names, con->conname);
			kept = lappend(kept, con);
		}
		else if (IsA(elt, TableLikeClause))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("LIKE is not supported in a table definition"),
					 errhint("Write the columns out, or capture the existing table's definition.")));
		else
			elog(ERROR, "unexpected node type in table definition: %d",
				 (int) nodeTag(elt));
	}
	stmt->tableElts = kept;
}

/*
 * Render one foreign key.  An unqualified referenced table is resolved now:
 * to the table search_path finds, if there is one, or else to the model's
 * own schema, where a model it refers to most likely lives.
 */
static void
render_foreign_key(DefinitionFacts *facts, Constraint *con, ForeignKeyDef *fk)
{
	RangeVar   *pk = con->pktable;
	List	   *del_set_columns = NIL;

	if (pk->catalogname != NULL &&
		strcmp(pk->catalogname, get_database_name(MyDatabaseId)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cross-database references are not implemented: %s.%s.%s",
						pk->catalogname, pk->schemaname, pk->relname)));
	if (con->fk_matchtype == FKCONSTR_MATCH_PARTIAL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("MATCH PARTIAL not yet implemented")));
	if (con->pk_attrs != NIL &&
		list_length(con->pk_attrs) != list_length(con->fk_attrs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("number of referencing and referenced columns for foreign key disagree")));

	fk->ref_table = pstrdup(pk->relname);
	if (pk->schemaname != NULL)
		fk->ref_schema = pstrdup(pk->schemaname);
	else
	{
		Oid			relid = RangeVarGetRelid(pk, NoLock, true);

		fk->ref_schema = OidIsValid(relid)
			? get_namespace_name(get_rel_namespace(relid))
			: pstrdup(facts->schema);
	}
	reject_temporary_schema(fk->ref_schema);

	del_set_columns = provision_fk_del_set_cols(con);
	fk->signature = fk_signature(con->fk_attrs, fk->ref_schema, fk->ref_table,
								 con->pk_attrs, con->fk_matchtype,
								 con->fk_upd_action, con->fk_del_action,
								 del_set_columns, con->deferrable,
								 con->initdeferred);
	fk->name = pstrdup(con->conname ? con->conname : "");
	fk->clause = con->conname
		? psprintf("CONSTRAINT %s %s", quote_identifier(con->conname), fk->signature)
		: fk->signature;
}

/* the foreign key's own columns must be columns of the table */
static void
check_foreign_key_columns(Oid relid, Constraint *con)
{
	List	   *columns = list_copy(con->fk_attrs);
	ListCell   *lc;

	columns = list_concat(columns, provision_fk_del_set_cols(con));
	foreach(lc, columns)
	{
		const char *colname = strVal(lfirst(lc));

		if (get_attnum(relid, colname) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" referenced in foreign key constraint does not exist",
							colname)));
	}
}

static bool
is_explicit_name(DefinitionFacts *facts, const char *conname)
{
	ListCell   *lc;

	foreach(lc, facts->explicit_names)
	{
		if (strcmp(lfirst(lc), conname) == 0)
			return true;
	}
	return false;
}

/*
 * Create the trial table, inspect it, and roll the subtransaction back so
 * that nothing of the trial remains.  The shape is allocated in the
 * caller's memory context.
 */
static TableShape *
trial_shape(CreateStmt *stmt, RawStmt *raw, const char *sql, DefinitionFacts *facts)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	TableShape *volatile shape = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);

	PG_TRY();
	{
		PlannedStmt *pstmt = makeNode(PlannedStmt);
		Oid			relid;
		Relation	rel;
		ListCell   *lc;
		int			save_nestlevel;
		int			i;

		pstmt->commandType = CMD_UTILITY;
		pstmt->canSetTag = false;
		pstmt->utilityStmt = (Node *) stmt;
		pstmt->stmt_location = raw->stmt_location;
		pstmt->stmt_len = raw->stmt_len;
		provision_process_utility(pstmt, sql, PROCESS_UTILITY_SUBCOMMAND);
		CommandCounterIncrement();

		relid = RangeVarGetRelid(makeRangeVar("pg_temp", (char *) facts->table, -1),
								 NoLock, false);
		foreach(lc, facts->foreign_keys)
			check_foreign_key_columns(relid, lfirst(lc));

		save_nestlevel = catalog_search_path_push();
		rel = table_open(relid, AccessShareLock);
		shape = inspect_table(rel);
		table_close(rel, AccessShareLock);
		catalog_search_path_pop(save_nestlevel);

		for (i = 0; i < shape->nconstraints; i++)
			shape->constraints[i].explicit_name =
				is_explicit_name(facts, shape->constraints[i].name);

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		ReThrowError(edata);
	}
	PG_END_TRY();

	return shape;
}

/*
 * The text of a model: its body (columns, then constraints other than
 * foreign keys, named only where the user named them) and its full
 * definition (body and foreign keys).  Types are rendered under the
 * catalog search path, so user types come out schema-qualified.
 */
void
model_render(Model *model)
{
	StringInfoData body;
	StringInfoData full;
	int			save_nestlevel = catalog_search_path_push();
	int			i;

	initStringInfo(&body);
	for (i = 0; i < model->shape->ncolumns; i++)
		appendStringInfo(&body, "%s%s", body.len > 0 ? ", " : "",
						 render_column(&model->shape->columns[i]));
	for (i = 0; i < model->shape->nconstraints; i++)
	{
		ConstraintShape *con = &model->shape->constraints[i];

		if (body.len > 0)
			appendStringInfoString(&body, ", ");
		if (con->explicit_name)
			appendStringInfo(&body, "CONSTRAINT %s ", quote_identifier(con->name));
		appendStringInfoString(&body, con->def);
	}
	catalog_search_path_pop(save_nestlevel);

	initStringInfo(&full);
	appendStringInfoString(&full, body.data);
	for (i = 0; i < model->nfkeys; i++)
		appendStringInfo(&full, "%s%s", full.len > 0 ? ", " : "",
						 model->fkeys[i].clause);
	model->body = body.data;
	model->definition = full.data;
}

/*
 * Validate definition as the body of table schema.table and return the
 * normalized model.  Raises an error, having registered and left nothing,
 * if the definition is not exactly one valid table body.
 */
Model *
model_from_definition(const char *schema, const char *table, const char *definition)
{
	DefinitionFacts facts = {0};
	ErrorContextCallback errcallback;
	StringInfoData sql;
	List	   *parsetree;
	RawStmt    *raw;
	CreateStmt *stmt;
	Model	   *model;
	ListCell   *lc;
	int			i;

	facts.schema = schema;
	facts.table = table;
	facts.definition = definition;

	/* the newline keeps a trailing -- comment from eating the parenthesis */
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (\n", quote_identifier(table));
	facts.prefix_chars = pg_mbstrlen(sql.data);
	appendStringInfo(&sql, "%s\n)", definition);

	errcallback.callback = definition_error_callback;
	errcallback.arg = &facts;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	parsetree = provision_raw_parser(sql.data);
	if (list_length(parsetree) != 1 ||
		!IsA(linitial_node(RawStmt, parsetree)->stmt, CreateStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("a table definition must be the body of one CREATE TABLE and nothing else"),
				 errdetail("The definition closes the column list and continues with another statement.")));
	raw = linitial_node(RawStmt, parsetree);
	stmt = (CreateStmt *) raw->stmt;

	collect_facts(stmt, &facts);
	if (stmt->tableElts == NIL && facts.foreign_keys == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table definition must not be empty"),
				 errhint("Write the column definitions and constraints of the table, as inside the parentheses of CREATE TABLE.")));

	model = palloc0(sizeof(Model));
	model->schema = pstrdup(schema);
	model->table = pstrdup(table);
	model->nfkeys = list_length(facts.foreign_keys);
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (model->nfkeys + 1));
	i = 0;
	foreach(lc, facts.foreign_keys)
		render_foreign_key(&facts, lfirst(lc), &model->fkeys[i++]);

	/* the trial table is temporary and lives in this session only */
	stmt->relation = makeRangeVar(NULL, (char *) table, -1);
	stmt->relation->relpersistence = RELPERSISTENCE_TEMP;
	model->shape = trial_shape(stmt, raw, sql.data, &facts);

	error_context_stack = errcallback.previous;

	model_render(model);
	return model;
}
