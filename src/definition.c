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
	List	   *serial_columns; /* column name, then serial type name */
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

/* the serial pseudo-types, as transformColumnDefinition() recognizes them */
static const char *
serial_type_name(TypeName *typeName)
{
	const char *name;

	if (list_length(typeName->names) != 1 || typeName->pct_type ||
		typeName->arrayBounds != NIL)
		return NULL;
	name = strVal(linitial(typeName->names));
	if (strcmp(name, "smallserial") == 0 || strcmp(name, "serial2") == 0)
		return "smallserial";
	if (strcmp(name, "serial") == 0 || strcmp(name, "serial4") == 0)
		return "serial";
	if (strcmp(name, "bigserial") == 0 || strcmp(name, "serial8") == 0)
		return "bigserial";
	return NULL;
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
			const char *serial = serial_type_name(col->typeName);
			List	   *constraints = NIL;
			Constraint *last_fk = NULL;
			ListCell   *cc;

			if (provision_column_has_storage(col) || col->compression != NULL ||
				col->fdwoptions != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" sets STORAGE, COMPRESSION or OPTIONS, which models do not support",
								col->colname)));
			if (serial != NULL)
				facts->serial_columns = lappend(lappend(facts->serial_columns,
														col->colname),
												(char *) serial);

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

static const char *
fk_action(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return "NO ACTION";
	}
}

static void
append_column_list(StringInfo buf, List *columns)
{
	ListCell   *lc;

	appendStringInfoChar(buf, '(');
	foreach(lc, columns)
	{
		if (lc != list_head(columns))
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, quote_identifier(strVal(lfirst(lc))));
	}
	appendStringInfoChar(buf, ')');
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
	StringInfoData buf;

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

	initStringInfo(&buf);
	if (con->conname != NULL)
		appendStringInfo(&buf, "CONSTRAINT %s ", quote_identifier(con->conname));
	appendStringInfoString(&buf, "FOREIGN KEY ");
	append_column_list(&buf, con->fk_attrs);
	appendStringInfo(&buf, " REFERENCES %s",
					 quote_qualified_identifier(fk->ref_schema, fk->ref_table));
	if (con->pk_attrs != NIL)
	{
		appendStringInfoChar(&buf, ' ');
		append_column_list(&buf, con->pk_attrs);
	}
	if (con->fk_matchtype == FKCONSTR_MATCH_FULL)
		appendStringInfoString(&buf, " MATCH FULL");
	if (con->fk_upd_action != FKCONSTR_ACTION_NOACTION)
		appendStringInfo(&buf, " ON UPDATE %s", fk_action(con->fk_upd_action));
	if (con->fk_del_action != FKCONSTR_ACTION_NOACTION)
	{
		appendStringInfo(&buf, " ON DELETE %s", fk_action(con->fk_del_action));
#if PG_VERSION_NUM >= 150000
		if (con->fk_del_set_cols != NIL)
		{
			appendStringInfoChar(&buf, ' ');
			append_column_list(&buf, con->fk_del_set_cols);
		}
#endif
	}
	if (con->deferrable)
		appendStringInfoString(&buf, " DEFERRABLE");
	if (con->initdeferred)
		appendStringInfoString(&buf, " INITIALLY DEFERRED");
	fk->clause = buf.data;
}

/* the foreign key's own columns must be columns of the table */
static void
check_foreign_key_columns(Oid relid, Constraint *con)
{
	List	   *columns = list_copy(con->fk_attrs);
	ListCell   *lc;

#if PG_VERSION_NUM >= 150000
	columns = list_concat(columns, con->fk_del_set_cols);
#endif
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

/* identity sequence options that differ from what CREATE TABLE would pick */
static void
append_identity_options(StringInfo buf, Relation rel, Form_pg_attribute att)
{
	Oid			seqid = provision_identity_sequence(rel, att->attnum);
	HeapTuple	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	Form_pg_sequence seq;
	int64		typmin,
				typmax,
				defmin,
				defmax,
				defstart;
	StringInfoData opts;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for sequence %u", seqid);
	seq = (Form_pg_sequence) GETSTRUCT(tuple);

	typmin = seq->seqtypid == INT2OID ? PG_INT16_MIN :
		seq->seqtypid == INT4OID ? PG_INT32_MIN : PG_INT64_MIN;
	typmax = seq->seqtypid == INT2OID ? PG_INT16_MAX :
		seq->seqtypid == INT4OID ? PG_INT32_MAX : PG_INT64_MAX;
	defmin = seq->seqincrement > 0 ? 1 : typmin;
	defmax = seq->seqincrement > 0 ? typmax : -1;
	defstart = seq->seqincrement > 0 ? seq->seqmin : seq->seqmax;

	initStringInfo(&opts);
	if (seq->seqincrement != 1)
		appendStringInfo(&opts, " INCREMENT BY " INT64_FORMAT, seq->seqincrement);
	if (seq->seqmin != defmin)
		appendStringInfo(&opts, " MINVALUE " INT64_FORMAT, seq->seqmin);
	if (seq->seqmax != defmax)
		appendStringInfo(&opts, " MAXVALUE " INT64_FORMAT, seq->seqmax);
	if (seq->seqstart != defstart)
		appendStringInfo(&opts, " START WITH " INT64_FORMAT, seq->seqstart);
	if (seq->seqcache != 1)
		appendStringInfo(&opts, " CACHE " INT64_FORMAT, seq->seqcache);
	if (seq->seqcycle)
		appendStringInfoString(&opts, " CYCLE");
	if (opts.len > 0)
		appendStringInfo(buf, " (%s)", opts.data + 1);
	ReleaseSysCache(tuple);
}

static const char *
serial_type_of(DefinitionFacts *facts, const char *colname)
{
	ListCell   *lc;

	for (lc = list_head(facts->serial_columns); lc != NULL;
		 lc = lnext(facts->serial_columns, lnext(facts->serial_columns, lc)))
	{
		if (strcmp(lfirst(lc), colname) == 0)
			return lfirst(lnext(facts->serial_columns, lc));
	}
	return NULL;
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

static void
render_columns(StringInfo buf, Relation rel, DefinitionFacts *facts)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *dpcontext = deparse_context_for(RelationGetRelationName(rel),
												RelationGetRelid(rel));
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *serial;

		if (att->attisdropped)
			continue;
		if (buf->len > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "%s ", quote_identifier(NameStr(att->attname)));

		serial = serial_type_of(facts, NameStr(att->attname));
		if (serial != NULL)
		{
			/* the sequence, its default and NOT NULL come with the type */
			appendStringInfoString(buf, serial);
			continue;
		}

		appendStringInfoString(buf, format_type_with_typemod(att->atttypid, att->atttypmod));
		if (OidIsValid(att->attcollation) &&
			att->attcollation != get_typcollation(att->atttypid))
			appendStringInfo(buf, " COLLATE %s", generate_collation_name(att->attcollation));

		if (att->attidentity)
		{
			appendStringInfo(buf, " GENERATED %s AS IDENTITY",
							 att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS
							 ? "ALWAYS" : "BY DEFAULT");
			append_identity_options(buf, rel, att);
		}

		if (att->atthasdef)
		{
			TupleConstr *constr = desc->constr;
			int			d;

			for (d = 0; d < constr->num_defval; d++)
			{
				char	   *expr;

				if (constr->defval[d].adnum != att->attnum)
					continue;
				expr = deparse_expression(stringToNode(constr->defval[d].adbin),
										  dpcontext, false, false);
				if (att->attgenerated == ATTRIBUTE_GENERATED_STORED)
					appendStringInfo(buf, " GENERATED ALWAYS AS (%s) STORED", expr);
				else
					appendStringInfo(buf, " DEFAULT %s", expr);
			}
		}

		/* identity columns are NOT NULL by definition */
		if (att->attnotnull && !att->attidentity)
			appendStringInfoString(buf, " NOT NULL");
	}
}

typedef struct ConstraintEntry
{
	Oid			oid;
	int			rank;
	char	   *name;
} ConstraintEntry;

static int
constraint_rank(char contype)
{
	switch (contype)
	{
		case CONSTRAINT_PRIMARY:
			return 0;
		case CONSTRAINT_UNIQUE:
			return 1;
		case CONSTRAINT_EXCLUSION:
			return 2;
		case CONSTRAINT_CHECK:
			return 3;
		default:
			return -1;			/* not part of a body */
	}
}

static int
constraint_entry_cmp(const void *a, const void *b)
{
	const ConstraintEntry *ca = a;
	const ConstraintEntry *cb = b;

	if (ca->rank != cb->rank)
		return ca->rank - cb->rank;
	return strcmp(ca->name, cb->name);
}

/* primary key, unique, exclusion and check constraints, in that order */
static void
render_constraints(StringInfo buf, Oid relid, DefinitionFacts *facts)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	ConstraintEntry *entries = NULL;
	int			n = 0;
	int			allocated = 0;
	int			i;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		int			rank = constraint_rank(con->contype);

		if (rank < 0)
			continue;
		if (n == allocated)
		{
			allocated = allocated ? allocated * 2 : 8;
			entries = entries ? repalloc(entries, sizeof(ConstraintEntry) * allocated)
				: palloc(sizeof(ConstraintEntry) * allocated);
		}
		entries[n].oid = con->oid;
		entries[n].rank = rank;
		entries[n].name = pstrdup(NameStr(con->conname));
		n++;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);

	if (n > 1)
		qsort(entries, n, sizeof(ConstraintEntry), constraint_entry_cmp);
	for (i = 0; i < n; i++)
	{
		Datum		def = DirectFunctionCall1(pg_get_constraintdef,
											  ObjectIdGetDatum(entries[i].oid));

		if (buf->len > 0)
			appendStringInfoString(buf, ", ");
		if (is_explicit_name(facts, entries[i].name))
			appendStringInfo(buf, "CONSTRAINT %s ", quote_identifier(entries[i].name));
		appendStringInfoString(buf, TextDatumGetCString(def));
	}
}

/*
 * Create the trial table, render it, and roll the subtransaction back so
 * that nothing of the trial remains.  The result is allocated in the
 * caller's memory context.
 */
static char *
trial_body(CreateStmt *stmt, RawStmt *raw, const char *sql, DefinitionFacts *facts)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile body = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);

	PG_TRY();
	{
		PlannedStmt *pstmt = makeNode(PlannedStmt);
		Oid			relid;
		Relation	rel;
		StringInfoData buf;
		ListCell   *lc;
		int			save_nestlevel;

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

		/* render with every name outside pg_catalog qualified */
		save_nestlevel = NewGUCNestLevel();
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		rel = table_open(relid, AccessShareLock);
		initStringInfo(&buf);
		render_columns(&buf, rel, facts);
		render_constraints(&buf, relid, facts);
		table_close(rel, AccessShareLock);
		AtEOXact_GUC(true, save_nestlevel);
		body = buf.data;

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

	return body;
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
	StringInfoData full;
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
	model->body = trial_body(stmt, raw, sql.data, &facts);

	error_context_stack = errcallback.previous;

	initStringInfo(&full);
	appendStringInfoString(&full, model->body);
	for (i = 0; i < model->nfkeys; i++)
		appendStringInfo(&full, "%s%s", full.len > 0 ? ", " : "",
						 model->fkeys[i].clause);
	model->definition = full.data;
	return model;
}
