/*-------------------------------------------------------------------------
 *
 * definition.c
 *	  Validating a table definition and normalizing it into a model.
 *
 * A definition is the body of a CREATE TABLE.  It is checked by the
 * server's own parser (exactly one CREATE TABLE whose body is the
 * definition, nothing else) and then by the server's own CREATE TABLE: the
 * body, without its foreign keys, is created in a trial (trial.c), as the
 * declaring role, in a scratch schema of the trial's own, inside a
 * subtransaction that is always rolled back.  What that trial table looks
 * like in the catalogs is rendered back into text with format_type,
 * pg_get_expr-style deparsing and pg_get_constraintdef, under a search_path
 * of pg_catalog only, so that every non-catalog name comes out qualified.
 * That text is the normalized body the registry keeps: whatever CREATE
 * TABLE accepts is accepted, types are resolved now (42704 for an unknown
 * one), and later provisioning runs text built only by the server's own
 * deparsers and quote_identifier.
 *
 * Deparsed text does not always parse back to the same expression (an IN
 * list over varchar comes back as an array cast, which deparses again
 * another way), so a table created from the normalized body can read
 * differently from the trial table.  When the body holds an expression
 * that is not a plain constant or function call, a second trial creates
 * the table from the body itself: its shape is the model's, exactly what
 * provisioning will create, and the first trial's texts (what the user's
 * own text creates; for a captured table, the live table's) are kept as
 * the other accepted text of each default and constraint.
 *
 * Foreign keys are kept out of the trial (their targets may be models that
 * do not exist yet) and rendered here from the parse tree, with the
 * referenced table resolved to a schema at define time.
 *
 * A definition may not use temporary objects (types, sequences, functions
 * of the declaring session): its model would break every later session.
 *
 *-------------------------------------------------------------------------
 */
#include "definition.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
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

#include "catalog.h"
#include "inspect.h"
#include "name.h"
#include "trial.h"


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

/* what transformConstraintAttrs() tracks for the constraint before */
typedef struct FkAttributes
{
	Constraint *fk;
	bool		saw_deferrability;
	bool		saw_initially;
} FkAttributes;

static void
attribute_error(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg_internal("%s", message)));
}

/*
 * Apply a DEFERRABLE-style attribute that follows a column's foreign key,
 * as transformConstraintAttrs() would, with its errors; false if con is no
 * such attribute.
 */
static bool
apply_fk_attribute(FkAttributes *state, Constraint *con)
{
	Constraint *fk = state->fk;

	switch (con->contype)
	{
		case CONSTR_ATTR_DEFERRABLE:
			if (state->saw_deferrability)
				attribute_error("multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed");
			state->saw_deferrability = true;
			fk->deferrable = true;
			return true;
		case CONSTR_ATTR_NOT_DEFERRABLE:
			if (state->saw_deferrability)
				attribute_error("multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed");
			state->saw_deferrability = true;
			fk->deferrable = false;
			if (state->saw_initially && fk->initdeferred)
				attribute_error("constraint declared INITIALLY DEFERRED must be DEFERRABLE");
			return true;
		case CONSTR_ATTR_DEFERRED:
			if (state->saw_initially)
				attribute_error("multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed");
			state->saw_initially = true;
			fk->initdeferred = true;
			/* INITIALLY DEFERRED alone implies DEFERRABLE */
			if (!state->saw_deferrability)
				fk->deferrable = true;
			else if (!fk->deferrable)
				attribute_error("constraint declared INITIALLY DEFERRED must be DEFERRABLE");
			return true;
		case CONSTR_ATTR_IMMEDIATE:
			if (state->saw_initially)
				attribute_error("multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed");
			state->saw_initially = true;
			fk->initdeferred = false;
			return true;
		default:
			return false;
	}
}

/*
 * An identity's SEQUENCE NAME.  The server makes the new sequence owned by
 * the table of the model's name in the sequence's own schema: a sequence in
 * another schema fails there (42P01), or is made owned by another table of
 * the same name.  In the model's schema, the name is kept unqualified, so
 * that the sequence is made with its table, wherever a trial puts it.
 */
static void
identity_sequence_fact(DefinitionFacts *facts, const ColumnDef *col, Constraint *con)
{
	ListCell   *lc;

	foreach(lc, con->options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);
		List	   *names;

		if (strcmp(opt->defname, "sequence_name") != 0)
			continue;
		names = (List *) opt->arg;
		if (list_length(names) > 2 ||
			(list_length(names) == 2 && strcmp(strVal(linitial(names)), facts->schema) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
					 errmsg("identity sequence of column \"%s\" must be in the table's schema \"%s\"",
							col->colname, facts->schema),
					 errdetail("The server makes an identity's sequence owned by the table of that name in the sequence's own schema."),
					 errhint("Leave the sequence name unqualified.")));
		opt->arg = (Node *) list_make1(llast(names));
	}
}

/*
 * Walk the parsed body: refuse what is not a table body, note what the
 * catalogs will not tell (serial columns, explicit constraint names) and
 * take the foreign keys out.
 */
void
collect_facts(CreateStmt *stmt, DefinitionFacts *facts)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (stmt->partbound != NULL && facts->partitioning_allowed)
		;						/* PARTITION OF parent: its one "inherited" table */
	else if (stmt->inhRelations != NIL)
		not_a_table_body("INHERITS");
	if (stmt->partspec != NULL && !facts->partitioning_allowed)
		not_a_table_body("PARTITION BY");
	if ((stmt->partbound != NULL && !facts->partitioning_allowed) || stmt->ofTypename != NULL)
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
			FkAttributes last = {NULL, false, false};
			ListCell   *cc;

			if (provision_column_has_storage(col) || provision_column_compression(col) != NULL ||
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
				if (last.fk != NULL && apply_fk_attribute(&last, con))
					continue;
				last.fk = NULL;
				last.saw_deferrability = last.saw_initially = false;
				if (con->contype == CONSTR_FOREIGN)
				{
					con->fk_attrs = list_make1(makeString(col->colname));
					facts->foreign_keys = lappend(facts->foreign_keys, con);
					last.fk = con;
					continue;
				}
				if (con->contype == CONSTR_IDENTITY)
					identity_sequence_fact(facts, col, con);
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
 * A table constraint added to a declared table (ALTER TABLE ... ADD
 * CONSTRAINT in a script): a foreign key joins the others, kept out of
 * trials; another keeps its name.  True if it is a foreign key.
 */
bool
add_constraint_fact(DefinitionFacts *facts, Constraint *con)
{
	if (con->contype == CONSTR_FOREIGN)
	{
		facts->foreign_keys = lappend(facts->foreign_keys, con);
		return true;
	}
	if (con->conname != NULL)
		facts->explicit_names = lappend(facts->explicit_names, con->conname);
	return false;
}

/*
 * Render one foreign key.  An unqualified referenced table is resolved now:
 * to the table search_path finds, if there is one, or else to the model's
 * own schema, where a model it refers to most likely lives.
 */
void
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
	/* ALTER TABLE ... ADD ... NOT VALID: the model need not validate it */
	fk->not_valid = con->skip_validation;
	if (fk->not_valid)
		fk->clause = psprintf("%s NOT VALID", fk->clause);
}

/* the foreign key's own columns must be columns of the table */
static void
check_foreign_key_columns(Oid relid, Constraint *con)
{
	List	   *columns = list_concat(list_copy(con->fk_attrs),
										  provision_fk_del_set_cols(con));
	ListCell   *lc;

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
 * The namespace of an object a trial table depends on, for the classes a
 * table definition can reference; InvalidOid for others.
 */
static Oid
object_namespace(Oid classid, Oid objid)
{
	HeapTuple	tuple;
	Oid			nspid = InvalidOid;

	switch (classid)
	{
		case TypeRelationId:
			tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_type) GETSTRUCT(tuple))->typnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		case RelationRelationId:
			nspid = get_rel_namespace(objid);
			break;
		case ProcedureRelationId:
			nspid = get_func_namespace(objid);
			break;
		case OperatorRelationId:
			tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_operator) GETSTRUCT(tuple))->oprnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		case CollationRelationId:
			tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_collation) GETSTRUCT(tuple))->collnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		case OperatorClassRelationId:
			tuple = SearchSysCache1(CLAOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tuple))
			{
				nspid = ((Form_pg_opclass) GETSTRUCT(tuple))->opcnamespace;
				ReleaseSysCache(tuple);
			}
			break;
		default:
			break;
	}
	return nspid;
}

/* the objects that (classid, objid) depends on, as (classid, objid) pairs */
static void
dependencies_of(Relation deprel, Oid classid, Oid objid, List **classes, List **objects)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(deprel, DependDependerIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		*classes = lappend_oid(*classes, dep->refclassid);
		*objects = lappend_oid(*objects, dep->refobjid);
	}
	systable_endscan(scan);
}

/*
 * The description of a temporary object, its schema spelled pg_temp as
 * the user wrote it (pg_temp_3 is only this session's number).
 */
static char *
temp_description(const ObjectAddress *address, Oid nspid)
{
	char	   *description = provision_object_description(address);
	char	   *prefix = psprintf("%s.", get_namespace_name(nspid));
	char	   *at = strstr(description, prefix);

	if (at == NULL)
		return description;
	return psprintf("%.*spg_temp.%s", (int) (at - description), description,
					at + strlen(prefix));
}

/*
 * A model may not use the declaring session's temporary objects (types,
 * sequences, functions, operators): every later session would find them
 * gone.  Looks at what the trial table, and every object that depends on
 * it (defaults, constraints, indexes, sequences), depends on.
 */
void
reject_temporary_dependencies(Oid relid, DefinitionFacts *facts)
{
	Relation	deprel = table_open(DependRelationId, AccessShareLock);
	List	   *owned_classes = list_make1_oid(RelationRelationId);
	List	   *owned_objects = list_make1_oid(relid);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	ListCell   *lc1,
			   *lc2;

	/* what belongs to the trial table */
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(deprel, DependReferenceIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		owned_classes = lappend_oid(owned_classes, dep->classid);
		owned_objects = lappend_oid(owned_objects, dep->objid);
	}
	systable_endscan(scan);

	forboth(lc1, owned_classes, lc2, owned_objects)
	{
		List	   *classes = NIL;
		List	   *objects = NIL;
		ListCell   *rc1,
				   *rc2;

		dependencies_of(deprel, lfirst_oid(lc1), lfirst_oid(lc2), &classes, &objects);
		forboth(rc1, classes, rc2, objects)
		{
			Oid			nspid = object_namespace(lfirst_oid(rc1), lfirst_oid(rc2));
			ObjectAddress address;

			if (!OidIsValid(nspid) || !isAnyTempNamespace(nspid))
				continue;
			address.classId = lfirst_oid(rc1);
			address.objectId = lfirst_oid(rc2);
			address.objectSubId = 0;
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the definition of table \"%s\" uses a temporary object",
							display_name(facts->schema, facts->table)),
					 errdetail("It uses %s, which lives only as long as this session.",
							   temp_description(&address, nspid)),
					 errhint("Models may use permanent types, sequences and functions only.")));
		}
	}
	table_close(deprel, AccessShareLock);
}

/*
 * Whether a table created from the normalized text of shape could read
 * differently: it holds an expression other than a plain constant or
 * function call (see the file header).
 */
bool
needs_second_trial(const TableShape *shape)
{
	int			i;

	for (i = 0; i < shape->ncolumns; i++)
	{
		if (shape->columns[i].generated ||
			(shape->columns[i].default_expr[0] != '\0' && !shape->columns[i].default_simple))
			return true;
	}
	for (i = 0; i < shape->nconstraints; i++)
	{
		if (shape->constraints[i].contype == CONSTRAINT_CHECK ||
			shape->constraints[i].contype == CONSTRAINT_EXCLUSION)
			return true;
	}
	return false;
}

/*
 * The normalized body of shape: columns, then constraints other than
 * foreign keys, named only where the user named them.  Types come out
 * under the catalog search path, so user types are schema-qualified.
 */
char *
render_body(const TableShape *shape)
{
	StringInfoData body;
	int			save_nestlevel = catalog_search_path_push();
	int			i;

	initStringInfo(&body);
	for (i = 0; i < shape->ncolumns; i++)
		appendStringInfo(&body, "%s%s", body.len > 0 ? ", " : "",
						 render_column(&shape->columns[i]));
	for (i = 0; i < shape->nconstraints; i++)
	{
		ConstraintShape *con = &shape->constraints[i];

		if (body.len > 0)
			appendStringInfoString(&body, ", ");
		if (con->explicit_name)
			appendStringInfo(&body, "CONSTRAINT %s ", quote_identifier(con->name));
		appendStringInfoString(&body, con->def);
		if (con->not_valid && con->contype == CONSTRAINT_CHECK)
			appendStringInfoString(&body, " NOT VALID");
	}
	catalog_search_path_pop(save_nestlevel);
	return body.data;
}

/*
 * Take the checks declared NOT VALID out of stmt (CREATE TABLE validates
 * every constraint it makes: the table is empty) and return the ALTER
 * TABLE that adds them NOT VALID once the table is there, so that a trial
 * table shows them as declared; NULL when there are none.
 */
AlterTableStmt *
take_not_valid_checks(CreateStmt *stmt)
{
	List	   *kept = NIL;
	List	   *cmds = NIL;
	ListCell   *lc;
	AlterTableStmt *alter;

	foreach(lc, stmt->tableElts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, Constraint) && ((Constraint *) elt)->contype == CONSTR_CHECK &&
			((Constraint *) elt)->skip_validation)
		{
			AlterTableCmd *cmd = makeNode(AlterTableCmd);

			cmd->subtype = AT_AddConstraint;
			cmd->def = elt;
			cmds = lappend(cmds, cmd);
		}
		else
			kept = lappend(kept, elt);
	}
	if (cmds == NIL)
		return NULL;
	stmt->tableElts = kept;
	alter = makeNode(AlterTableStmt);
	alter->relation = copyObject(stmt->relation);
	alter->cmds = cmds;
	provision_alter_table_objtype(alter) = OBJECT_TABLE;
	return alter;
}

/* what a trial needs, and what it found */
typedef struct TrialTable
{
	CreateStmt *stmt;			/* the body without foreign keys */
	RawStmt    *raw;
	const char *sql;
	DefinitionFacts *facts;
	TableShape *first;			/* what the given text makes */
	TableShape *second;			/* what the normalized body makes, or NULL */
} TrialTable;

/*
 * The shape of trial table relid, declared with facts; with first (the
 * text the user gave), its foreign keys' columns and its dependencies are
 * checked too.
 */
TableShape *
trial_table_shape(Oid relid, DefinitionFacts *facts, bool first)
{
	Relation	rel;
	TableShape *shape;
	ListCell   *lc;
	int			save_nestlevel;
	int			i;

	if (first)
	{
		foreach(lc, facts->foreign_keys)
			check_foreign_key_columns(relid, lfirst(lc));
		reject_temporary_dependencies(relid, facts);
	}

	save_nestlevel = catalog_search_path_push();
	rel = table_open(relid, AccessShareLock);
	shape = inspect_table(rel);
	table_close(rel, AccessShareLock);
	catalog_search_path_pop(save_nestlevel);

	for (i = 0; i < shape->nconstraints; i++)
		shape->constraints[i].explicit_name =
			is_explicit_name(facts, shape->constraints[i].name);
	/* a serial column's default names the scratch schema: serial says it all */
	for (i = 0; i < shape->ncolumns; i++)
	{
		if (shape->columns[i].serial[0] != '\0')
			shape->columns[i].default_expr = "";
	}
	return shape;
}

/* create stmt in a new scratch schema and inspect it */
static TableShape *
trial_table(TrialTable *trial, CreateStmt *stmt, const char *sql, int location, int len,
			bool first)
{
	char	   *scratch = trial_schema();
	AlterTableStmt *not_valid = take_not_valid_checks(stmt);

	stmt->relation = makeRangeVar(scratch, (char *) trial->facts->table, -1);
	trial_utility((Node *) stmt, sql, location, len);
	if (not_valid != NULL)
	{
		not_valid->relation = makeRangeVar(scratch, (char *) trial->facts->table, -1);
		trial_utility((Node *) not_valid, sql, location, len);
	}
	return trial_table_shape(get_relname_relid(trial->facts->table,
											   get_namespace_oid(scratch, false)),
							 trial->facts, first);
}

/* the trial's body: see trial_run() */
static void
trial_body(void *arg)
{
	TrialTable *trial = arg;
	char	   *body;
	char	   *sql;
	List	   *parsetree;
	RawStmt    *raw;

	trial->first = trial_table(trial, trial->stmt, trial->sql, trial->raw->stmt_location,
							   trial->raw->stmt_len, true);
	if (!needs_second_trial(trial->first))
		return;

	/* provision's own text, so its own error if it does not parse */
	body = render_body(trial->first);
	sql = psprintf("CREATE TABLE %s (%s)", quote_identifier(trial->facts->table), body);
	parsetree = provision_raw_parser(sql);
	if (list_length(parsetree) != 1 || !IsA(linitial_node(RawStmt, parsetree)->stmt, CreateStmt))
		elog(ERROR, "normalized definition of \"%s\" is not one CREATE TABLE: %s",
			 trial->facts->table, sql);
	raw = linitial_node(RawStmt, parsetree);
	trial->second = trial_table(trial, (CreateStmt *) raw->stmt, sql, raw->stmt_location,
								raw->stmt_len, false);
}

/*
 * Keep in shape, as the other accepted text of each default and
 * constraint, the text other gives it where the two differ.
 */
void
keep_other_texts(TableShape *shape, const TableShape *other)
{
	int			i,
				j;

	for (i = 0; i < shape->ncolumns; i++)
	{
		ColumnShape *col = &shape->columns[i];

		for (j = 0; j < other->ncolumns; j++)
		{
			if (strcmp(col->name, other->columns[j].name) != 0)
				continue;
			if (strcmp(col->default_expr, other->columns[j].default_expr) != 0 &&
				other->columns[j].serial[0] == '\0')
				col->alt_default = other->columns[j].default_expr;
			break;
		}
	}
	for (i = 0; i < shape->nconstraints; i++)
	{
		ConstraintShape *con = &shape->constraints[i];

		for (j = 0; j < other->nconstraints; j++)
		{
			if (other->constraints[j].contype != con->contype ||
				strcmp(con->name, other->constraints[j].name) != 0)
				continue;
			if (strcmp(con->def, other->constraints[j].def) != 0)
				con->alt_def = other->constraints[j].def;
			break;
		}
	}
}

/*
 * The text of a model: its body and its full definition (body and foreign
 * keys), from its shape.
 */
void
model_render(Model *model, const char *body)
{
	StringInfoData full;
	int			i;

	initStringInfo(&full);
	appendStringInfoString(&full, body);
	for (i = 0; i < model->nfkeys; i++)
		appendStringInfo(&full, "%s%s", full.len > 0 ? ", " : "",
						 model->fkeys[i].clause);
	model->body = pstrdup(body);
	model->definition = full.data;
}

/*
 * A model cannot yet say how a partitioned table, a partition or a table
 * of an inheritance tree is tied to the others (0A000): declaring one as a
 * plain table would plan changes ALTER TABLE refuses or carries further.
 */
static void
reject_partitioning(const char *schema, const char *table)
{
	Oid			nspid = lookup_schema(schema);
	HeapTuple	tuple;
	bool		partitioned;
	bool		partition;

	/* a relation of another kind is left to provisioning to report */
	if (!OidIsValid(nspid))
		return;
	tuple = SearchSysCache2(RELNAMENSP, PointerGetDatum(table), ObjectIdGetDatum(nspid));
	if (!HeapTupleIsValid(tuple))
		return;
	partitioned = ((Form_pg_class) GETSTRUCT(tuple))->relkind == RELKIND_PARTITIONED_TABLE;
	partition = ((Form_pg_class) GETSTRUCT(tuple))->relispartition;
	ReleaseSysCache(tuple);
	if (partition)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot declare a model of table \"%s\": it is a partition",
						display_name(schema, table)),
				 errdetail("A model of it would lose its partitioning."),
				 errhint("Declare it with provision_load(), or capture it with provision_capture().")));
	if (partitioned)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot declare a model of table \"%s\": it is partitioned",
						display_name(schema, table)),
				 errdetail("A model of it would lose its partitioning."),
				 errhint("Declare it with provision_load(), or capture it with provision_capture().")));
}

/*
 * Validate definition as the body of table schema.table and return the
 * normalized model, declared by the current role.  live, when capturing,
 * is the live table's shape: the model then also accepts the live
 * table's own texts.  Raises an error, having registered and left
 * nothing, if the definition is not exactly one valid table body.
 */
Model *
model_from_definition(const char *schema, const char *table, const char *definition,
					  const TableShape *live)
{
	DefinitionFacts facts = {0};
	ErrorContextCallback errcallback;
	StringInfoData sql;
	List	   *parsetree;
	TrialTable	trial = {0};
	Model	   *model;
	ListCell   *lc;
	int			i;

	reject_partitioning(schema, table);
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
	trial.raw = linitial_node(RawStmt, parsetree);
	trial.stmt = (CreateStmt *) trial.raw->stmt;
	trial.sql = sql.data;
	trial.facts = &facts;

	collect_facts(trial.stmt, &facts);
	if (trial.stmt->tableElts == NIL && facts.foreign_keys == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table definition must not be empty"),
				 errhint("Write the column definitions and constraints of the table, as inside the parentheses of CREATE TABLE.")));

	model = palloc0(sizeof(Model));
	model->schema = pstrdup(schema);
	model->table = pstrdup(table);
	model->declared_by = GetUserNameFromId(GetUserId(), false);
	model->nfkeys = list_length(facts.foreign_keys);
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (model->nfkeys + 1));
	i = 0;
	foreach(lc, facts.foreign_keys)
		render_foreign_key(&facts, lfirst(lc), &model->fkeys[i++]);

	trial_run(trial_body, &trial);

	error_context_stack = errcallback.previous;

	/*
	 * The model is what its body makes; it also accepts what the given text
	 * makes, or, captured, what the live table has.
	 */
	model->shape = trial.second ? trial.second : trial.first;
	if (live != NULL)
		keep_other_texts(model->shape, live);
	else if (trial.second != NULL)
		keep_other_texts(model->shape, trial.first);
	model_render(model, render_body(trial.first));
	return model;
}
