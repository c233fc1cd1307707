/*-------------------------------------------------------------------------
 *
 * blocking.c
 *	  What a step costs a live table: whether it takes a lock that blocks
 *	  its readers or writers, and for how long.
 *
 * Four values, from what PostgreSQL does for the statement on the server
 * it runs on:
 *
 *	none	no lock that blocks reads or writes (VALIDATE CONSTRAINT, CREATE
 *			INDEX CONCURRENTLY, a batched backfill, a new table);
 *	brief	a catalog-only change under a lock held for milliseconds (a
 *			column added with a non-volatile default, varchar(n) to text, a
 *			constraint added NOT VALID, SET NOT NULL when a valid CHECK
 *			(col IS NOT NULL) exists, a default set or dropped);
 *	scan	every row read while writes or reads wait (SET NOT NULL without
 *			such a check, a validated constraint added, a unique index
 *			built, an index rebuilt for another type);
 *	rewrite	the table and its indexes rewritten under ACCESS EXCLUSIVE
 *			(a type change the server cannot do in place, such as integer
 *			to bigint, a column added with a volatile default, an identity,
 *			serial or generated column added).
 *
 * Nothing is run to find out: the statement is parsed and looked at
 * beside the catalogs.  Whether a type change rewrites is decided the way
 * ALTER TABLE decides it: the assignment cast from the old type to the new
 * one, simplified by the planner (length coercions the server knows to be
 * no-ops fold away), must reduce to the column itself.  Whether a default
 * is volatile is read from the volatility of the functions and operators
 * its text names, without analysing the expression (analysis would run
 * type input functions as the caller): a name with a volatile candidate,
 * or with none, counts as volatile.
 *
 *-------------------------------------------------------------------------
 */
#include "blocking.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "catalog.h"

const char *
blocking_name(Blocking blocking)
{
	switch (blocking)
	{
		case BLOCKING_NONE:
			return "none";
		case BLOCKING_BRIEF:
			return "brief";
		case BLOCKING_SCAN:
			return "scan";
		case BLOCKING_REWRITE:
			return "rewrite";
		case BLOCKING_UNKNOWN:
			break;
	}
	return "unknown";
}

/* a function's volatility, by OID; an unknown one counts as volatile */
static bool
function_is_volatile(Oid funcid)
{
	return !OidIsValid(funcid) || func_volatile(funcid) == PROVOLATILE_VOLATILE;
}

static bool
volatile_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCandidateList candidates = provision_functions_named(((FuncCall *) node)->funcname);

		if (candidates == NULL)
			return true;
		for (; candidates != NULL; candidates = candidates->next)
		{
			if (function_is_volatile(candidates->oid))
				return true;
		}
	}
	else if (IsA(node, A_Expr) && ((A_Expr *) node)->kind == AEXPR_OP)
	{
		A_Expr	   *op = (A_Expr *) node;
		FuncCandidateList candidates =
			OpernameGetCandidates(op->name, op->lexpr != NULL ? 'b' : 'l', true);

		if (candidates == NULL)
			return true;
		for (; candidates != NULL; candidates = candidates->next)
		{
			if (function_is_volatile(get_opcode(candidates->oid)))
				return true;
		}
	}
	return raw_expression_tree_walker(node, volatile_walker, context);
}

/*
 * Whether a raw (parsed, not analysed) expression may call a volatile
 * function.  Call under the catalog search path, as model text is read.
 */
bool
raw_expression_is_volatile(Node *expr)
{
	return volatile_walker(expr, NULL);
}

/*
 * Copied from PostgreSQL's ATColumnChangeRequiresRewrite()
 * (src/backend/commands/tablecmds.c): whether the transform of an ALTER
 * COLUMN TYPE, already through expression_planner(), needs the values
 * rewritten.
 */
static bool
column_change_requires_rewrite(Node *expr, AttrNumber varattno)
{
	for (;;)
	{
		if (IsA(expr, Var) && ((Var *) expr)->varattno == varattno)
			return false;
		else if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
		{
			CoerceToDomain *d = (CoerceToDomain *) expr;

			if (DomainHasConstraints(d->resulttype))
				return true;
			expr = (Node *) d->arg;
		}
		else if (IsA(expr, FuncExpr))
		{
			FuncExpr   *f = (FuncExpr *) expr;

			switch (f->funcid)
			{
				case F_TIMESTAMPTZ_TIMESTAMP:
				case F_TIMESTAMP_TIMESTAMPTZ:
					if (TimestampTimestampTzRequiresRewrite())
						return true;
					else
						expr = linitial(f->args);
					break;
				default:
					return true;
			}
		}
		else
			return true;
	}
}

/*
 * Whether changing column attnum of rel to (typid, typmod) rewrites the
 * table, as ALTER TABLE decides it (an assignment cast, or with
 * explicit_cast the USING column::type that unsafe changes use).
 */
bool
type_change_rewrites(Relation rel, AttrNumber attnum, Oid typid, int32 typmod,
					 bool explicit_cast)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Node	   *expr;

	expr = coerce_to_target_type(NULL, (Node *) makeVar(1, attnum, att->atttypid,
														att->atttypmod,
														att->attcollation, 0),
								 att->atttypid, typid, typmod,
								 explicit_cast ? COERCION_EXPLICIT : COERCION_ASSIGNMENT,
								 explicit_cast ? COERCE_EXPLICIT_CAST : COERCE_IMPLICIT_CAST,
								 -1);
	if (expr == NULL)
		return true;			/* no cast: the statement fails anyway */
	expr = (Node *) expression_planner((Expr *) expr);
	return column_change_requires_rewrite(expr, attnum);
}

/*
 * Whether an index of rel that uses column attnum is rebuilt (read in
 * full under ACCESS EXCLUSIVE) when the column becomes typid with
 * collation: its operator class is not the new type's default, its
 * collation changes, or the column is in an expression or predicate.
 */
bool
type_change_rebuilds_index(Relation rel, AttrNumber attnum, Oid typid, Oid collation)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		HeapTuple	classtuple;
		Form_pg_index form;
		oidvector  *indclass;
		oidvector  *indcollation;
		bool		isnull;
		Oid			relam;
		bool		rebuild = false;
		int			k;

		if (!HeapTupleIsValid(tuple))
			continue;			/* dropped meanwhile */
		form = (Form_pg_index) GETSTRUCT(tuple);
		classtuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
		if (!HeapTupleIsValid(classtuple))
		{
			ReleaseSysCache(tuple);
			continue;
		}
		relam = ((Form_pg_class) GETSTRUCT(classtuple))->relam;
		ReleaseSysCache(classtuple);
		indclass = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
																 Anum_pg_index_indclass,
																 &isnull));
		indcollation = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
																	 Anum_pg_index_indcollation,
																	 &isnull));
		/* conservative: an expression or predicate may use the column */
		if (!heap_attisnull(tuple, Anum_pg_index_indexprs, NULL) ||
			!heap_attisnull(tuple, Anum_pg_index_indpred, NULL))
			rebuild = true;
		for (k = 0; k < form->indnkeyatts && !rebuild; k++)
		{
			if (form->indkey.values[k] != attnum)
				continue;
			if (GetDefaultOpClass(typid, relam) != indclass->values[k] ||
				indcollation->values[k] != collation)
				rebuild = true;
		}
		ReleaseSysCache(tuple);
		if (rebuild)
			return true;
	}
	return false;
}

/*
 * Whether SET NOT NULL on column attnum skips its scan: a valid CHECK
 * constraint of rel implies the column is never NULL (as ALTER TABLE
 * decides it).
 */
bool
not_null_implied(Relation rel, AttrNumber attnum)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	NullTest   *test = makeNode(NullTest);

	if (att->attnotnull)
		return true;
	test->arg = (Expr *) makeVar(1, attnum, att->atttypid, att->atttypmod,
								 att->attcollation, 0);
	test->nulltesttype = IS_NOT_NULL;
	test->argisrow = false;
	test->location = -1;
	return PartConstraintImpliedByRelConstraint(rel, list_make1(test));
}

static bool
is_serial_type_name(TypeName *name)
{
	const char *last;

	if (name == NULL || list_length(name->names) != 1 || name->arrayBounds != NIL)
		return false;
	last = strVal(linitial(name->names));
	return strcmp(last, "serial") == 0 || strcmp(last, "bigserial") == 0 ||
		strcmp(last, "smallserial") == 0 || strcmp(last, "serial2") == 0 ||
		strcmp(last, "serial4") == 0 || strcmp(last, "serial8") == 0;
}

/* ADD COLUMN: its default, identity, generation and NOT NULL */
static Blocking
add_column_blocking(ColumnDef *def)
{
	Node	   *raw_default = def->raw_default;
	bool		notnull = def->is_not_null;
	ListCell   *lc;
	Type		type;
	int32		typmod;

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst_node(Constraint, lc);

		switch (con->contype)
		{
			case CONSTR_NOTNULL:
				notnull = true;
				break;
			case CONSTR_DEFAULT:
				raw_default = con->raw_expr;
				break;
			case CONSTR_GENERATED:
			case CONSTR_IDENTITY:
				return BLOCKING_REWRITE;	/* every row gets a computed value */
			default:
				break;
		}
	}
	if (is_serial_type_name(def->typeName))
		return BLOCKING_REWRITE;	/* nextval() is volatile */
	type = LookupTypeName(NULL, def->typeName, &typmod, true);
	if (type != NULL)
	{
		Oid			typid = ((Form_pg_type) GETSTRUCT(type))->oid;

		ReleaseSysCache(type);
		if (get_typtype(typid) == TYPTYPE_DOMAIN && DomainHasConstraints(typid))
			return BLOCKING_REWRITE;	/* every row's value checked and stored */
	}
	if (raw_default != NULL && IsA(raw_default, A_Const) && provision_a_const_isnull((A_Const *) raw_default))
		raw_default = NULL;
	if (raw_default != NULL && raw_expression_is_volatile(raw_default))
		return BLOCKING_REWRITE;
	if (notnull && raw_default == NULL)
		return BLOCKING_SCAN;	/* every row checked for NULL */
	return BLOCKING_BRIEF;
}

/* ALTER COLUMN TYPE on an existing column */
static Blocking
alter_type_blocking(Relation rel, AlterTableCmd *cmd)
{
	ColumnDef  *def = castNode(ColumnDef, cmd->def);
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), cmd->name);
	Type		type;
	Oid			typid;
	int32		typmod;
	Oid			collation;

	if (attnum == InvalidAttrNumber)
		return BLOCKING_BRIEF;	/* added earlier in the same plan */
	type = LookupTypeName(NULL, def->typeName, &typmod, true);
	if (type == NULL)
		return BLOCKING_REWRITE;	/* fails anyway */
	typid = ((Form_pg_type) GETSTRUCT(type))->oid;
	ReleaseSysCache(type);
	if (type_change_rewrites(rel, attnum, typid, typmod, def->raw_default != NULL))
		return BLOCKING_REWRITE;
	collation = def->collClause != NULL ?
		get_collation_oid(def->collClause->collname, true) : get_typcollation(typid);
	if (type_change_rebuilds_index(rel, attnum, typid, collation))
		return BLOCKING_SCAN;
	return BLOCKING_BRIEF;
}

static Blocking
alter_table_command_blocking(Relation rel, AlterTableCmd *cmd)
{
	switch (cmd->subtype)
	{
		case AT_AddColumn:
			return add_column_blocking(castNode(ColumnDef, cmd->def));
		case AT_AlterColumnType:
			return rel != NULL ? alter_type_blocking(rel, cmd) : BLOCKING_BRIEF;
		case AT_SetNotNull:
			{
				AttrNumber	attnum;

				if (rel == NULL)
					return BLOCKING_BRIEF;
				attnum = get_attnum(RelationGetRelid(rel), cmd->name);
				if (attnum == InvalidAttrNumber || not_null_implied(rel, attnum))
					return BLOCKING_BRIEF;
				return BLOCKING_SCAN;
			}
		case AT_AddConstraint:
			{
				Constraint *con = castNode(Constraint, cmd->def);

				switch (con->contype)
				{
					case CONSTR_CHECK:
					case CONSTR_FOREIGN:
						return con->skip_validation ? BLOCKING_BRIEF : BLOCKING_SCAN;
					case CONSTR_PRIMARY:
					case CONSTR_UNIQUE:
						return con->indexname != NULL ? BLOCKING_BRIEF : BLOCKING_SCAN;
					default:
						return BLOCKING_SCAN;
				}
			}
		case AT_ValidateConstraint:
			return BLOCKING_NONE;	/* SHARE UPDATE EXCLUSIVE */
		default:
			return BLOCKING_BRIEF;
	}
}

/* CREATE TABLE: a new table blocks nobody, but a foreign key locks its target */
static Blocking
create_table_blocking(CreateStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->tableElts)
	{
		Node	   *elt = lfirst(lc);
		List	   *constraints = NIL;
		ListCell   *cc;

		if (IsA(elt, Constraint))
			constraints = list_make1(elt);
		else if (IsA(elt, ColumnDef))
			constraints = ((ColumnDef *) elt)->constraints;
		foreach(cc, constraints)
		{
			Constraint *con = lfirst_node(Constraint, cc);

			if (con->contype == CONSTR_FOREIGN && con->pktable != NULL &&
				OidIsValid(RangeVarGetRelid(con->pktable, NoLock, true)))
				return BLOCKING_BRIEF;
		}
	}
	return BLOCKING_NONE;
}

static Blocking
classify(DDLStep *step)
{
	List	   *parsetree;
	Node	   *stmt;
	Relation	rel = NULL;
	Blocking	result = BLOCKING_NONE;
	ListCell   *lc;

	switch (step->kind)
	{
		case DDL_CREATE_SCHEMA:
		case DDL_CREATE_SEQUENCE:
		case DDL_ALTER_SEQUENCE:
		case DDL_DROP_SEQUENCE:
		case DDL_RESTART_SEQUENCE:	/* reads every row, blocking nobody */
		case DDL_CREATE_INDEX_CONCURRENTLY:
		case DDL_DROP_INDEX_CONCURRENTLY:
		case DDL_CREATE_ENUM:	/* new objects */
		case DDL_CREATE_DOMAIN:
		case DDL_COMMENT:		/* SHARE UPDATE EXCLUSIVE at most */
			return BLOCKING_NONE;
		case DDL_FILL_DEFAULT:
			return BLOCKING_SCAN;	/* rows locked until the transaction ends */
		case DDL_CREATE_INDEX:
			return BLOCKING_SCAN;	/* SHARE: writes wait while it builds */
		case DDL_ALTER_DOMAIN:
			/* a constraint added or validated, NOT NULL set: columns checked */
			if (step->domain_subtype == 'C')
			{
				List	   *parsed = provision_raw_parser(step->sql);
				Node	   *alter = list_length(parsed) == 1 ?
					linitial_node(RawStmt, parsed)->stmt : NULL;

				if (alter != NULL && IsA(alter, AlterDomainStmt) &&
					IsA(((AlterDomainStmt *) alter)->def, Constraint) &&
					((Constraint *) ((AlterDomainStmt *) alter)->def)->skip_validation)
					return BLOCKING_BRIEF;	/* NOT VALID */
				return BLOCKING_SCAN;
			}
			if (step->domain_subtype == 'V' || step->domain_subtype == 'O')
				return BLOCKING_SCAN;	/* SHARE on every table using it */
			return BLOCKING_BRIEF;
		case DDL_ALTER_ENUM:
		case DDL_DROP_INDEX:
		case DDL_CREATE_TRIGGER:
		case DDL_DROP_TRIGGER:
		case DDL_RENAME_COLUMN:
		case DDL_RENAME_INDEX:
			return BLOCKING_BRIEF;
		case DDL_CREATE_TABLE:
		case DDL_ALTER_TABLE:
			break;
	}

	parsetree = provision_raw_parser(step->sql);
	if (list_length(parsetree) != 1)
		return BLOCKING_REWRITE;	/* damaged: refused when it runs */
	stmt = linitial_node(RawStmt, parsetree)->stmt;
	if (IsA(stmt, CreateStmt))
		return create_table_blocking((CreateStmt *) stmt);
	if (!IsA(stmt, AlterTableStmt))
		return BLOCKING_REWRITE;

	/* the table as it is now; not there yet: created earlier in the plan */
	{
		Oid			nspid = lookup_schema(step->target_schema);
		Oid			relid = OidIsValid(nspid) ?
			get_relname_relid(step->target_name, nspid) : InvalidOid;

		if (OidIsValid(relid))
			rel = try_relation_open(relid, AccessShareLock);
	}
	foreach(lc, ((AlterTableStmt *) stmt)->cmds)
	{
		Blocking	b = alter_table_command_blocking(rel, lfirst_node(AlterTableCmd, lc));

		if (b > result)
			result = b;
	}
	if (rel != NULL)
		relation_close(rel, AccessShareLock);
	else if (result > BLOCKING_BRIEF)
		result = BLOCKING_BRIEF;	/* a table this plan creates is empty */
	return result;
}

/*
 * What step costs a live table; remembered in the step.  Reads the
 * catalogs under the catalog search path, as model text is written.
 */
Blocking
step_blocking(DDLStep *step)
{
	if (step->blocking == BLOCKING_UNKNOWN)
	{
		int			save_nestlevel = catalog_search_path_push();

		step->blocking = classify(step);
		catalog_search_path_pop(save_nestlevel);
	}
	return step->blocking;
}

/* the most any of steps costs */
Blocking
steps_blocking(List *steps)
{
	Blocking	result = BLOCKING_NONE;
	ListCell   *lc;

	foreach(lc, steps)
	{
		Blocking	b = step_blocking(lfirst(lc));

		if (b > result)
			result = b;
	}
	return result;
}

/* whether a step that blocks nobody by itself reads every row of its table */
static bool
reads_every_row(const DDLStep *step)
{
	return step->kind == DDL_RESTART_SEQUENCE ||
		(step->kind == DDL_ALTER_TABLE && step->nsubcommands == 1 &&
		 step->subcommands[0] == AT_ValidateConstraint);
}

static bool
same_table(const DDLStep *a, const DDLStep *b)
{
	const char *as = a->kind == DDL_RESTART_SEQUENCE ? a->owner_schema : a->target_schema;
	const char *at = a->kind == DDL_RESTART_SEQUENCE ? a->owner_table : a->target_name;
	const char *bs = b->kind == DDL_RESTART_SEQUENCE ? b->owner_schema : b->target_schema;
	const char *bt = b->kind == DDL_RESTART_SEQUENCE ? b->owner_table : b->target_name;

	return as != NULL && at != NULL && bs != NULL && bt != NULL &&
		strcmp(as, bs) == 0 && strcmp(at, bt) == 0;
}

/*
 * What each of steps costs when they all run in one transaction, as
 * provision_migrate() runs them: a lock is held until the transaction
 * ends, so a validation (or a read of every row) after a statement that
 * locked its table for writers and readers holds that lock while it reads
 * every row: a scan, not none.  Sets each[i] when given; returns the most.
 */
Blocking
transaction_blocking(List *steps, Blocking *each)
{
	Blocking	result = BLOCKING_NONE;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);
		Blocking	b = step_blocking(step);

		if (b == BLOCKING_NONE && reads_every_row(step))
		{
			ListCell   *pc;

			foreach(pc, steps)
			{
				DDLStep    *earlier = lfirst(pc);

				if (earlier == step)
					break;
				if (step_blocking(earlier) >= BLOCKING_BRIEF && same_table(earlier, step))
				{
					b = BLOCKING_SCAN;
					break;
				}
			}
		}
		if (each != NULL)
			each[i] = b;
		if (b > result)
			result = b;
		i++;
	}
	return result;
}
