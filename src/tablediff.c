/*-------------------------------------------------------------------------
 *
 * tablediff.c
 *	  Comparing a declared model with its live table: the differences, and
 *	  the DDL that reconciles each of them.
 *
 * Both sides are shapes from inspect.c, so the comparison is semantic:
 * types by their canonical name and typmod, defaults by their deparsed
 * expression, constraints by their definition without the name.  A
 * declared default or constraint also matches the other text the same
 * expression deparses to (see definition.c), so that a table created from
 * a model's own text, or captured, never differs from it.  A serial
 * column equals an integer NOT NULL column whose default is nextval() of a
 * sequence it owns.  Constraints are paired first by identical definition
 * (whatever their names; among several of one definition, the name the
 * user gave first, then the same validity), then a leftover primary key or
 * a leftover with the same name counts as "differs"; the rest are missing
 * or extra.  A partition's columns are its parent's: only its own
 * defaults and NOT NULL are compared on it.
 *
 * Every change says whether it is safe: whether it can run without losing
 * data, rewriting data or failing on existing rows.  What is safe: adding
 * tables, columns (nullable, or with a default) and constraints (checks
 * and foreign keys are added NOT VALID, then validated); widening a type
 * (varchar up or to text, smallint to integer or bigint, integer to
 * bigint, numeric precision up at the same scale); setting or dropping a
 * default; dropping NOT NULL; setting NOT NULL on a column with no NULLs;
 * switching an identity between ALWAYS and BY DEFAULT; dropping an
 * identity; making a column serial (its sequence is set past the largest
 * value); turning a generated column into a plain one.  Everything else is
 * not, and neither is any change to a table with inheritance children or
 * parents, or to a partition: it is tied to other tables, and ALTER TABLE
 * carries it to them or refuses it.
 *
 * A live constraint that matches a declared one but was added NOT VALID
 * and never validated is a change of its own (constraint_not_valid:
 * VALIDATE).  What an online migration keeps on a table while it works
 * (helper.c: shadow columns, helper checks, fill triggers, indexes under
 * construction) is not compared with the model; each is reported as
 * online_incomplete instead.
 *
 * Every change converges in one migration: the steps of a change do all
 * that is needed (an identity added to a nullable column with a default
 * first drops the default and sets NOT NULL), and a column is never
 * dropped and added again to change its default or the ownership of its
 * sequence.
 *
 *-------------------------------------------------------------------------
 */
#include "drift.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/indexing.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "catalog/dependency.h"
#include "commands/defrem.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/rls.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"

#include "change.h"
#include "ddl.h"
#include "helper.h"
#include "inspect.h"
#include "name.h"
#include "objects.h"
#include "registry.h"

typedef struct DriftContext
{
	Relation	rel;
	const Model *model;
	char	   *table;			/* quoted, qualified */
	int			m;				/* index of the model in the run */
	char	   *cascades;		/* tables any change alters too, or NULL */
	bool		cascades_known; /* cascades looked up (only once a change is) */
	List	   *helpers;		/* what an online migration left (helper.c) */
	List	   *changes;
} DriftContext;

static char *cascading_tables(Relation rel);

static Change *
add_change(DriftContext *cx, const char *kind, const char *object,
		   const char *declared, const char *actual, bool safe)
{
	Change	   *change;

	/* pg_inherits is looked at for tables that differ only */
	if (!cx->cascades_known)
	{
		cx->cascades = cascading_tables(cx->rel);
		cx->cascades_known = true;
	}
	/* what ALTER TABLE carries to other tables is never safe */
	change = make_change(cx->table, kind, object, declared, actual,
						 safe && cx->cascades == NULL);

	change->cascades = cx->cascades;
	cx->changes = lappend(cx->changes, change);
	return change;
}

static DDLStep *add_step(DriftContext *cx, Change *change, DDLPhase phase,
						 AlterTableType subtype, const char *column,
						 const char *fmt,...) pg_attribute_printf(6, 7);

/*
 * Add "ALTER TABLE table <fmt>" to change: one subcommand of type subtype,
 * on column when it names one.
 */
static DDLStep *
add_step(DriftContext *cx, Change *change, DDLPhase phase, AlterTableType subtype,
		 const char *column, const char *fmt,...)
{
	StringInfoData sql;
	DDLStep    *step;

	initStringInfo(&sql);
	appendStringInfo(&sql, "ALTER TABLE %s ", cx->table);
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
	step = make_alter_table_step(cx->model, cx->m, phase, subtype,
								 column ? pstrdup(column) : NULL, sql.data);
	change->steps = lappend(change->steps, step);
	return step;
}

/* a step on a sequence of the table's schema, run as the model's declarer */
static DDLStep *
add_sequence_step(DriftContext *cx, Change *change, DDLKind kind, const char *seq_schema,
				  const char *seq_name, const char *column, char *sql)
{
	DDLStep    *step = make_step(cx->table, cx->m, PHASE_ALTER_COLUMN, kind, sql);

	step->model_name = display_name(cx->model->schema, cx->model->table);
	step->target_schema = seq_schema;
	step->target_name = seq_name;
	step->column = column ? pstrdup(column) : NULL;
	step->run_as = cx->model->declared_by;
	step->owner_schema = cx->model->schema;
	step->owner_table = cx->model->table;
	change->steps = lappend(change->steps, step);
	return step;
}

/*
 * Set the sequence of column (serial or identity) past the largest value
 * the column holds.
 */
static void
add_restart_step(DriftContext *cx, Change *change, const char *column)
{
	add_sequence_step(cx, change, DDL_RESTART_SEQUENCE, cx->model->schema, cx->model->table,
					  column,
					  psprintf("SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(%s, %s), pg_catalog.max(%s) + 1, false) FROM %s",
							   quote_literal_cstr(cx->table), quote_literal_cstr(column),
							   quote_identifier(column), cx->table));
}

/* DROP CONSTRAINT of a live constraint; a foreign key's also locks its referenced table */
static void
add_drop_constraint_step(DriftContext *cx, Change *change, const ConstraintShape *live)
{
	DDLStep    *step = add_step(cx, change, PHASE_DROP_CONSTRAINT, AT_DropConstraint,
								live->name, "DROP CONSTRAINT %s", quote_identifier(live->name));

	if (live->contype == CONSTRAINT_FOREIGN)
	{
		step->ref_schema = live->ref_schema;
		step->ref_table = live->ref_table;
	}
}

/* numeric typmod: precision in the high half, scale in the low 11 bits */
static int
typmod_precision(int32 typmod)
{
	return ((typmod - VARHDRSZ) >> 16) & 0xffff;
}

static int
typmod_scale(int32 typmod)
{
	return (typmod - VARHDRSZ) & 0x7ff;
}

/*
 * The type and typmod of a declared column.  A model keeps the type's
 * name; a type dropped since is an error (42704) naming the model.
 */
static void
declared_type(DriftContext *cx, const ColumnShape *col, Oid *typid, int32 *typmod)
{
	MemoryContext caller = CurrentMemoryContext;

	/* a name that does not parse as a type is damage, not a user's typo */
	PG_TRY();
	{
		provision_parse_type_string(col->type, typid, typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the model of table \"%s\" is damaged",
						display_name(cx->model->schema, cx->model->table)),
				 errdetail("The type of column \"%s\" is \"%s\", which is not a type name: %s",
						   col->name, col->type, edata->message),
				 errhint("Its registry row was not written by provision. Declare the model again with provision_define(), or remove it with provision_forget().")));
	}
	PG_END_TRY();
	if (!OidIsValid(*typid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type %s of column \"%s\" in the model of table \"%s\" does not exist",
						col->type, col->name,
						display_name(cx->model->schema, cx->model->table)),
				 errdetail("It was dropped or renamed after the model was declared."),
				 errhint("Declare the model again with provision_define(), or forget it with provision_forget().")));
}

/* a type change that keeps every value as it is */
static bool
is_widening(DriftContext *cx, const ColumnShape *from, const ColumnShape *to)
{
	Oid			to_type;
	int32		to_typmod;

	if (strcmp(from->collation, to->collation) != 0)
		return false;
	declared_type(cx, to, &to_type, &to_typmod);
	if (from->typid == to_type)
	{
		switch (to_type)
		{
			case VARCHAROID:
			case VARBITOID:
				return to_typmod < 0 ||
					(from->typmod >= 0 && to_typmod >= from->typmod);
			case NUMERICOID:
				if (to_typmod < 0)
					return true;
				return from->typmod >= 0 &&
					typmod_scale(from->typmod) == typmod_scale(to_typmod) &&
					typmod_precision(to_typmod) >= typmod_precision(from->typmod);
			default:
				return false;
		}
	}
	return (from->typid == VARCHAROID && to_type == TEXTOID) ||
		(from->typid == INT2OID && (to_type == INT4OID || to_type == INT8OID)) ||
		(from->typid == INT4OID && to_type == INT8OID);
}

/*
 * Whether the column of generation expression attrdef stays generated in
 * the model (else the migration drops the column or its expression first)
 */
static bool
generated_column_kept(DriftContext *cx, Oid attrdef)
{
	Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		kept = true;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(attrdef));
	scan = systable_beginscan(rel, AttrDefaultOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_attrdef def = (Form_pg_attrdef) GETSTRUCT(tuple);
		char	   *name = get_attname(def->adrelid, def->adnum, true);
		const TableShape *shape = model_shape(cx->model);

		kept = false;
		for (int i = 0; name != NULL && i < shape->ncolumns; i++)
			kept |= strcmp(shape->columns[i].name, name) == 0 && shape->columns[i].generated;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return kept;
}

/*
 * Whether something PostgreSQL will not carry through ALTER COLUMN TYPE
 * uses the column: a generated column of the table, a view or rule, a
 * policy or a trigger.  A widening is then no longer safe: the server
 * refuses it (0A000) until that is dropped.
 */
static bool
column_type_pinned(DriftContext *cx, const char *column)
{
	Oid			relid = RelationGetRelid(cx->rel);
	AttrNumber	attnum = get_attnum(relid, column);
	Relation	depend;
	ScanKeyData key[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		pinned = false;

	if (attnum == InvalidAttrNumber)
		return false;
	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum((int32) attnum));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 3, key);
	while (!pinned && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		/*
		 * A generation expression depends on the columns it reads (normal):
		 * it pins them while the model keeps it.
		 */
		pinned = dep->classid == RewriteRelationId || dep->classid == PolicyRelationId ||
			dep->classid == TriggerRelationId ||
			(OidIsValid(provision_generation_expression(dep)) &&
			 generated_column_kept(cx, provision_generation_expression(dep)));
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return pinned;
}

/*
 * Whether column holds a NULL; unknown (true) without SELECT on the table,
 * or when row-level security hides rows from the role.
 *
 * The table and its children are scanned directly, each lock released
 * when its scan ends, not through an SPI query, whose locks last until the
 * end of the transaction: a drift run would keep a lock on every table it
 * looked at while it goes on to the next one (or, in provision_migrate(),
 * waits for name locks), and deadlock with a migration that holds that next
 * table and needs the first.
 */
static bool
column_has_nulls(DriftContext *cx, const char *column)
{
	Oid			relid = RelationGetRelid(cx->rel);
	List	   *rels;
	ListCell   *lc;
	bool		result = false;

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return true;
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return true;			/* rows the role may not see: unknown */

	/* the table and, as SET NOT NULL, its partitions and inheritance children */
	rels = find_all_inheritors(relid, NoLock, NULL);
	foreach(lc, rels)
	{
		Oid			childid = lfirst_oid(lc);
		char		relkind = get_rel_relkind(childid);
		Relation	rel;
		AttrNumber	attnum;
		TableScanDesc scan;
		TupleTableSlot *slot;

		if (relkind == RELKIND_PARTITIONED_TABLE)
			continue;			/* no rows of its own */
		if (relkind != RELKIND_RELATION)
			return true;		/* a foreign table, or dropped meanwhile: unknown */
		rel = childid == relid ? cx->rel : provision_try_table_open(childid, AccessShareLock);
		if (rel == NULL)
			return true;		/* dropped meanwhile */
		attnum = get_attnum(childid, column);
		if (attnum == InvalidAttrNumber)
			result = true;
		else
		{
			slot = table_slot_create(rel, NULL);
			scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
			while (!result && table_scan_getnextslot(scan, ForwardScanDirection, slot))
			{
				CHECK_FOR_INTERRUPTS();
				result = slot_attisnull(slot, attnum);
			}
			table_endscan(scan);
			ExecDropSingleTupleTableSlot(slot);
		}
		if (rel != cx->rel)
			table_close(rel, AccessShareLock);
		if (result)
			break;
	}
	return result;
}

static const char *
identity_text(char identity)
{
	if (identity == ATTRIBUTE_IDENTITY_ALWAYS)
		return "GENERATED ALWAYS AS IDENTITY";
	if (identity == ATTRIBUTE_IDENTITY_BY_DEFAULT)
		return "GENERATED BY DEFAULT AS IDENTITY";
	return NULL;
}

static char *
generated_text(const ColumnShape *col)
{
	if (col->generated == ATTRIBUTE_GENERATED_STORED)
		return psprintf("GENERATED ALWAYS AS (%s) STORED", col->default_expr);
	return col->default_expr[0] ? psprintf("DEFAULT %s", col->default_expr) : NULL;
}

/* a CHECK's expression: "CHECK (expr)", "CHECK (expr) NO INHERIT" */
static char *
check_expression(const char *def, bool *no_inherit)
{
	size_t		len = strlen(def);

	*no_inherit = len > 11 && strcmp(def + len - 11, " NO INHERIT") == 0;
	if (*no_inherit)
		len -= 11;
	if (len < 8 || strncmp(def, "CHECK (", 7) != 0 || def[len - 1] != ')')
		return NULL;
	return pnstrdup(def + 7, len - 8);
}

/*
 * text, an expression over the columns of rel, parsed, analyzed and
 * deparsed again: how the server would print it if it were declared now.
 * For a default, typid and typmod are the column's; for a check, typid is
 * InvalidOid.  NULL if it does not analyze (a column gone, a type gone).
 */
static char *
renormalized(Relation rel, const char *text, Oid typid, int32 typmod)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile result = NULL;
	volatile bool damaged = false;

	/* the analysis may fail, and only a subtransaction undoes it cleanly */
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		List	   *parsetree = provision_raw_parser(psprintf("SELECT (%s)", text));
		SelectStmt *select = NULL;
		Node	   *raw;
		ParseState *pstate;
		Node	   *expr;

		/* one expression, nothing around it */
		if (list_length(parsetree) == 1)
			select = (SelectStmt *) linitial_node(RawStmt, parsetree)->stmt;
		if (select == NULL || !IsA(select, SelectStmt) || select->op != SETOP_NONE ||
			list_length(select->targetList) != 1 || select->fromClause != NIL ||
			select->whereClause != NULL || select->groupClause != NIL ||
			select->havingClause != NULL || select->windowClause != NIL ||
			select->valuesLists != NIL || select->sortClause != NIL ||
			select->limitCount != NULL || select->limitOffset != NULL ||
			select->lockingClause != NIL || select->withClause != NULL ||
			select->distinctClause != NIL || select->intoClause != NULL)
		{
			damaged = true;
			elog(ERROR, "not one expression");
		}
		raw = linitial_node(ResTarget, select->targetList)->val;
		pstate = make_parsestate(NULL);
		addNSItemToQuery(pstate,
						 addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL,
													   false, true),
						 true, true, true);
		if (OidIsValid(typid))
		{
			expr = transformExpr(pstate, raw, EXPR_KIND_COLUMN_DEFAULT);
			expr = coerce_to_target_type(pstate, expr, exprType(expr), typid, typmod,
										 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
		}
		else
		{
			expr = transformExpr(pstate, raw, EXPR_KIND_CHECK_CONSTRAINT);
			expr = coerce_to_boolean(pstate, expr, "CHECK");
		}
		if (expr != NULL)
		{
			assign_expr_collations(pstate, expr);
			result = deparse_expression(expr,
										deparse_context_for(RelationGetRelationName(rel),
															RelationGetRelid(rel)),
										false, false);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		result = NULL;
	}
	PG_END_TRY();
	if (damaged)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the model of table \"%s\" is damaged",
						display_name(get_namespace_name(RelationGetNamespace(rel)),
									 RelationGetRelationName(rel))),
				 errdetail("The text \"%s\" of a default or a check is not one expression.", text),
				 errhint("Its registry row was not written by provision. Declare the model again with provision_define(), or remove it with provision_forget().")));
	return result;
}

/*
 * Whether two texts of an expression over rel's columns say the same: the
 * same text, or the same once both are analyzed and deparsed again (an IN
 * list over varchar prints one way and parses back another).  The second
 * look costs a parse, so it is only taken for texts that differ.
 */
static bool
same_expression(Relation rel, const char *declared, const char *actual, Oid typid, int32 typmod)
{
	char	   *d;
	char	   *a;

	if (strcmp(declared, actual) == 0)
		return true;
	if (declared[0] == '\0' || actual[0] == '\0')
		return false;
	d = renormalized(rel, declared, typid, typmod);
	a = renormalized(rel, actual, typid, typmod);
	return d != NULL && a != NULL && strcmp(d, a) == 0;
}

/* the declared default, or its other text, is the live one */
static bool
same_default(DriftContext *cx, const ColumnShape *d, const ColumnShape *a)
{
	return strcmp(d->default_expr, a->default_expr) == 0 ||
		(d->alt_default[0] != '\0' && strcmp(d->alt_default, a->default_expr) == 0) ||
		(!d->generated && same_expression(cx->rel, d->default_expr, a->default_expr,
										  a->typid, a->typmod));
}

static const char *
serial_sequence_type(const char *serial)
{
	if (strcmp(serial, "smallserial") == 0)
		return "smallint";
	if (strcmp(serial, "bigserial") == 0)
		return "bigint";
	return "integer";
}

/*
 * Make a column that has no sequence of its own serial, as CREATE TABLE
 * would have: a sequence of the serial's type owned by the column, set
 * past the largest value the column holds, and nextval() of it as the
 * default.
 */
static void
add_serial_steps(DriftContext *cx, Change *change, const ColumnShape *d)
{
	const char *schema = cx->model->schema;
	char	   *seq = ChooseRelationName(cx->model->table, d->name, "seq",
										 RelationGetNamespace(cx->rel), false);
	const char *qseq = quoted_name(schema, seq);

	add_sequence_step(cx, change, DDL_CREATE_SEQUENCE, schema, seq, NULL,
					  psprintf("CREATE SEQUENCE %s AS %s OWNED BY %s.%s", qseq,
							   serial_sequence_type(d->serial), cx->table,
							   quote_identifier(d->name)));
	add_restart_step(cx, change, d->name);
	add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
			 "ALTER COLUMN %s SET DEFAULT pg_catalog.nextval(%s::regclass)",
			 quote_identifier(d->name), quote_literal_cstr(qseq));
}

/*
 * The live column's default is nextval() of a sequence the column does not
 * own, and the model says serial: the sequence becomes the column's, as
 * CREATE TABLE's serial would have made it.  Taking a sequence from
 * another column is not safe.
 */
static void
add_sequence_ownership_step(DriftContext *cx, Change *change, const ColumnShape *d,
							const ColumnShape *a)
{
	Oid			owner_rel;
	int32		owner_col;
	char	   *seq_schema = get_namespace_name(get_rel_namespace(a->default_seq));
	char	   *seq_name = get_rel_name(a->default_seq);

	if (seq_schema == NULL || seq_name == NULL)
		return;					/* dropped meanwhile */
	if (sequenceIsOwned(a->default_seq, DEPENDENCY_AUTO, &owner_rel, &owner_col))
		change->safe = false;
	add_sequence_step(cx, change, DDL_ALTER_SEQUENCE, seq_schema, seq_name, NULL,
					  psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
							   quoted_name(seq_schema, seq_name), cx->table,
							   quote_identifier(d->name)));
}

/*
 * The model says identity, the column has none: clear what ADD IDENTITY
 * refuses (a default, NULLs allowed), add it, and start its sequence past
 * the largest value, so that it hands out no value the column holds.  A
 * serial column's own sequence goes with its default.
 */
static void
add_identity_steps(DriftContext *cx, Change *change, const ColumnShape *d,
				   const ColumnShape *a)
{
	const char *name = quote_identifier(d->name);

	if (a->default_expr[0] != '\0')
		add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
				 "ALTER COLUMN %s DROP DEFAULT", name);
	if (a->serial[0] != '\0' && OidIsValid(a->default_seq))
	{
		char	   *seq_schema = get_namespace_name(get_rel_namespace(a->default_seq));
		char	   *seq_name = get_rel_name(a->default_seq);

		if (seq_schema != NULL && seq_name != NULL)
			add_sequence_step(cx, change, DDL_DROP_SEQUENCE, seq_schema, seq_name, NULL,
							  psprintf("DROP SEQUENCE %s", quoted_name(seq_schema, seq_name)));
	}
	if (!a->notnull)
	{
		if (column_has_nulls(cx, d->name))
			change->safe = false;
		add_step(cx, change, PHASE_ALTER_COLUMN, AT_SetNotNull, d->name,
				 "ALTER COLUMN %s SET NOT NULL", name);
	}
	add_step(cx, change, PHASE_ALTER_COLUMN, AT_AddIdentity, d->name,
			 "ALTER COLUMN %s ADD GENERATED %s AS IDENTITY%s", name,
			 d->identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT",
			 d->identity_options);
	add_restart_step(cx, change, d->name);
}

/*
 * The model says no identity, the column has one: drop it, then give the
 * column what the model says instead (nullability, a default, a serial
 * sequence), all in the same change.
 */
static void
add_drop_identity_steps(DriftContext *cx, Change *change, const ColumnShape *d)
{
	const char *name = quote_identifier(d->name);

	add_step(cx, change, PHASE_ALTER_COLUMN, AT_DropIdentity, d->name,
			 "ALTER COLUMN %s DROP IDENTITY", name);
	if (!d->notnull)
		add_step(cx, change, PHASE_ALTER_COLUMN, AT_DropNotNull, d->name,
				 "ALTER COLUMN %s DROP NOT NULL", name);
	if (d->serial[0] != '\0')
		add_serial_steps(cx, change, d);
	else if (d->default_expr[0] != '\0' && !d->generated)
		add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
				 "ALTER COLUMN %s SET DEFAULT %s", name, d->default_expr);
}

static void
compare_column(DriftContext *cx, const ColumnShape *d, const ColumnShape *a)
{
	const char *name = quote_identifier(d->name);
	/* serial and bigserial differ in their type only (column_type) */
	bool		both_serial = d->serial[0] != '\0' && a->serial[0] != '\0';
	Change	   *change;

	if (strcmp(d->type, a->type) != 0 || strcmp(d->collation, a->collation) != 0)
	{
		bool		safe = is_widening(cx, a, d) && !column_type_pinned(cx, a->name);

		change = add_change(cx, "column_type", d->name, render_column_type(d),
							render_column_type(a), safe);
		if (safe)
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_AlterColumnType, d->name,
					 "ALTER COLUMN %s TYPE %s", name, render_column_type(d));
		else
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_AlterColumnType, d->name,
					 "ALTER COLUMN %s TYPE %s USING %s::%s",
					 name, render_column_type(d), name, d->type);
	}

	if (d->generated != a->generated ||
		(d->generated && !same_default(cx, d, a)))
	{
		/* a generated column becomes a plain one in place; anything else is remade */
		bool		to_plain = a->generated && !d->generated;
		DDLStep    *step;

		change = add_change(cx, "column_generated", d->name, generated_text(d),
							generated_text(a), to_plain);
		if (to_plain)
		{
			/* early: a generated column blocks type changes of its inputs */
			add_step(cx, change, PHASE_DROP_CONSTRAINT, AT_DropExpression, d->name,
					 "ALTER COLUMN %s DROP EXPRESSION", name);
			if (d->default_expr[0] != '\0')
				add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
						 "ALTER COLUMN %s SET DEFAULT %s", name, d->default_expr);
		}
		else
		{
			/* the values are computed, or become so: remaking loses what was there */
			step = add_step(cx, change, PHASE_ALTER_COLUMN, AT_DropColumn, d->name,
							"DROP COLUMN %s, ADD COLUMN %s", name, render_column(d));
			step->nsubcommands = 2;
			step->subcommands[1] = AT_AddColumn;
		}
		return;
	}

	if (d->identity != a->identity)
	{
		if (d->identity && a->identity)
		{
			change = add_change(cx, "column_identity", d->name, identity_text(d->identity),
								identity_text(a->identity), true);
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_SetIdentity, d->name,
					 "ALTER COLUMN %s SET GENERATED %s", name,
					 d->identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT");
		}
		else if (d->identity)
		{
			change = add_change(cx, "column_identity", d->name, identity_text(d->identity),
								a->serial[0] ? a->serial : generated_text(a), true);
			add_identity_steps(cx, change, d, a);
		}
		else
		{
			change = add_change(cx, "column_identity", d->name,
								d->serial[0] ? d->serial : generated_text(d),
								identity_text(a->identity), true);
			add_drop_identity_steps(cx, change, d);
		}
		return;
	}

	if (!both_serial && !d->generated && !d->identity && !same_default(cx, d, a))
	{
		if (d->serial[0] != '\0')
		{
			/* a serial column's default is nextval() of a sequence of its own */
			change = add_change(cx, "column_default", d->name,
								psprintf("nextval() of a sequence owned by the column (%s)", d->serial),
								a->default_expr[0] ? a->default_expr : NULL, true);
			if (OidIsValid(a->default_seq))
				add_sequence_ownership_step(cx, change, d, a);
			else
				add_serial_steps(cx, change, d);
		}
		else
		{
			change = add_change(cx, "column_default", d->name,
								d->default_expr[0] ? d->default_expr : NULL,
								a->default_expr[0] ? a->default_expr : NULL, true);
			if (d->default_expr[0] != '\0')
				add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
						 "ALTER COLUMN %s SET DEFAULT %s", name, d->default_expr);
			else
				add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
						 "ALTER COLUMN %s DROP DEFAULT", name);
		}
	}

	if (d->notnull != a->notnull && !d->identity)
	{
		if (d->notnull)
		{
			change = add_change(cx, "column_nullability", d->name, "NOT NULL", "NULL",
								!column_has_nulls(cx, d->name));
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_SetNotNull, d->name,
					 "ALTER COLUMN %s SET NOT NULL", name);
		}
		else
		{
			change = add_change(cx, "column_nullability", d->name, "NULL", "NOT NULL", true);
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_DropNotNull, d->name,
					 "ALTER COLUMN %s DROP NOT NULL", name);
		}
	}
}

static void
compare_columns(DriftContext *cx, const TableShape *declared, const TableShape *actual)
{
	bool	   *matched = palloc0(sizeof(bool) * (actual->ncolumns + 1));
	int			i,
				j;

	for (i = 0; i < declared->ncolumns; i++)
	{
		const ColumnShape *d = &declared->columns[i];

		for (j = 0; j < actual->ncolumns; j++)
		{
			if (!matched[j] && strcmp(d->name, actual->columns[j].name) == 0)
				break;
		}
		if (j < actual->ncolumns)
		{
			matched[j] = true;
			compare_column(cx, d, &actual->columns[j]);
		}
		else
		{
			/* NOT NULL with nothing to fill existing rows fails on a non-empty table */
			bool		safe = !d->notnull || d->default_expr[0] != '\0' ||
				d->serial[0] != '\0' || d->identity || d->generated;
			char	   *spec = render_column(d);
			Change	   *change;
			Oid			typid;
			int32		typmod;

			declared_type(cx, d, &typid, &typmod);
			change = add_change(cx, "column_missing", d->name,
								spec + strlen(quote_identifier(d->name)) + 1,
								NULL, safe);
			add_step(cx, change, PHASE_ADD_COLUMN, AT_AddColumn, d->name, "ADD COLUMN %s", spec);
		}
	}
	for (j = 0; j < actual->ncolumns; j++)
	{
		const ColumnShape *a = &actual->columns[j];
		char	   *spec;
		Change	   *change;

		if (matched[j] || is_helper_column(cx->helpers, a->name))
			continue;
		spec = render_column(a);
		change = add_change(cx, "column_extra", a->name, NULL,
							spec + strlen(quote_identifier(a->name)) + 1, false);
		add_step(cx, change, PHASE_DROP_COLUMN, AT_DropColumn, a->name,
				 "DROP COLUMN %s", quote_identifier(a->name));
	}
}

/* the columns of "FOREIGN KEY (a, b) ...", joined as PostgreSQL names keys: a_b */
static char *
fk_name_addition(const char *signature)
{
	const char *start = strchr(signature, '(');
	const char *end = strstr(signature, ") REFERENCES ");
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	if (start == NULL || end == NULL)
		return buf.data;
	for (p = start + 1; p < end; p++)
	{
		if (*p == '"')
			continue;
		if (p[0] == ',' && p[1] == ' ')
		{
			appendStringInfoChar(&buf, '_');
			p++;
			continue;
		}
		appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

static void
add_constraint_steps(DriftContext *cx, Change *change, const char *name, bool explicit_name,
					 char contype, const char *def, bool not_valid)
{
	if (contype == CONSTRAINT_CHECK || contype == CONSTRAINT_FOREIGN)
	{
		/* NOT VALID first: the table stays available while rows are checked */
		DDLPhase	phase = contype == CONSTRAINT_FOREIGN ? PHASE_ADD_FOREIGN_KEY : PHASE_ADD_CONSTRAINT;

		add_step(cx, change, phase, AT_AddConstraint, NULL,
				 "ADD CONSTRAINT %s %s NOT VALID", quote_identifier(name), def);
		/* declared NOT VALID: the rows already there are not checked */
		if (!not_valid)
			add_step(cx, change, PHASE_VALIDATE, AT_ValidateConstraint, name,
					 "VALIDATE CONSTRAINT %s", quote_identifier(name));
	}
	else if (explicit_name)
		add_step(cx, change, PHASE_ADD_CONSTRAINT, AT_AddConstraint, NULL,
				 "ADD CONSTRAINT %s %s", quote_identifier(name), def);
	else
		add_step(cx, change, PHASE_ADD_CONSTRAINT, AT_AddConstraint, NULL, "ADD %s", def);
}

/* one side of a constraint comparison */
typedef struct DeclaredConstraint
{
	const char *name;
	bool		explicit_name;
	char		contype;
	const char *def;
	const char *alt_def;		/* or "" */
	bool		not_valid;		/* declared NOT VALID: need not be validated */
} DeclaredConstraint;

static bool
same_constraint(DriftContext *cx, const DeclaredConstraint *d, const ConstraintShape *live)
{
	char	   *dexpr;
	char	   *lexpr;
	bool		d_no_inherit;
	bool		l_no_inherit;

	if (live->contype != d->contype)
		return false;
	if (strcmp(d->def, live->def) == 0 ||
		(d->alt_def[0] != '\0' && strcmp(d->alt_def, live->def) == 0) ||
		(live->def_without_ref_columns != NULL &&
		 strcmp(d->def, live->def_without_ref_columns) == 0))
		return true;
	/* a check that says the same in other words */
	if (d->contype != CONSTRAINT_CHECK)
		return false;
	dexpr = check_expression(d->def, &d_no_inherit);
	lexpr = check_expression(live->def, &l_no_inherit);
	return dexpr != NULL && lexpr != NULL && d_no_inherit == l_no_inherit &&
		same_expression(cx->rel, dexpr, lexpr, InvalidOid, -1);
}

/*
 * Pair declared and live constraints; report the rest.  live[] holds the
 * table's constraints of the same family (foreign keys, or all others).
 */
static void
compare_constraint_family(DriftContext *cx, int ndecl, DeclaredConstraint *decl,
						  int nlive, ConstraintShape **live)
{
	bool	   *decl_matched = palloc0(sizeof(bool) * (ndecl + 1));
	bool	   *live_matched = palloc0(sizeof(bool) * (nlive + 1));
	char	   *same = palloc0(sizeof(char) * (ndecl * nlive + 1));
	int			pass,
				i,
				j;

	/*
	 * Same definition: equal, whatever the names; validated if it is not.
	 * Several constraints of one definition (one declared NOT VALID, one
	 * not) pair the name the user gave first, then the same validity, then
	 * any (pass 0, 1, 2), so that none is reported for another's state.
	 */
	for (pass = 0; pass < 3; pass++)
	{
		for (i = 0; i < ndecl; i++)
		{
			if (decl_matched[i])
				continue;
			for (j = 0; j < nlive; j++)
			{
				char	   *known = &same[i * nlive + j];

				if (live_matched[j] ||
					(pass == 0 && (!decl[i].explicit_name ||
								   strcmp(decl[i].name, live[j]->name) != 0)) ||
					(pass == 1 && live[j]->not_valid != decl[i].not_valid))
					continue;
				/* 0: not compared yet (a check may be analyzed: once) */
				if (*known == 0)
					*known = same_constraint(cx, &decl[i], live[j]) ? 1 : 2;
				if (*known != 1)
					continue;
				decl_matched[i] = live_matched[j] = true;
				if (live[j]->not_valid && !decl[i].not_valid)
				{
					Change	   *change = add_change(cx, "constraint_not_valid", live[j]->name,
													decl[i].def,
													psprintf("%s NOT VALID", live[j]->def),
													true);

					add_step(cx, change, PHASE_VALIDATE, AT_ValidateConstraint, live[j]->name,
							 "VALIDATE CONSTRAINT %s", quote_identifier(live[j]->name));
				}
				break;
			}
		}
	}

	/* the primary key, or the same name, with another definition: differs */
	for (i = 0; i < ndecl; i++)
	{
		if (decl_matched[i])
			continue;
		for (j = 0; j < nlive; j++)
		{
			Change	   *change;

			if (live_matched[j] || live[j]->contype != decl[i].contype)
				continue;
			if (decl[i].contype != CONSTRAINT_PRIMARY && strcmp(decl[i].name, live[j]->name) != 0)
				continue;
			decl_matched[i] = live_matched[j] = true;
			change = add_change(cx, "constraint_differs", live[j]->name, decl[i].def,
								live[j]->def, false);
			add_drop_constraint_step(cx, change, live[j]);
			add_constraint_steps(cx, change, decl[i].name, decl[i].explicit_name,
								 decl[i].contype, decl[i].def, decl[i].not_valid);
			break;
		}
	}

	for (i = 0; i < ndecl; i++)
	{
		Change	   *change;

		if (decl_matched[i])
			continue;
		change = add_change(cx, "constraint_missing", decl[i].name, decl[i].def, NULL, true);
		add_constraint_steps(cx, change, decl[i].name, decl[i].explicit_name,
							 decl[i].contype, decl[i].def, decl[i].not_valid);
	}
	for (j = 0; j < nlive; j++)
	{
		Change	   *change;

		if (live_matched[j])
			continue;
		change = add_change(cx, "constraint_extra", live[j]->name, NULL, live[j]->def, false);
		add_drop_constraint_step(cx, change, live[j]);
	}
}

static void
compare_constraints(DriftContext *cx, const TableShape *declared, const TableShape *actual)
{
	const Model *model = cx->model;
	int			n = Max(Max(declared->nconstraints, model->nfkeys), 1);
	DeclaredConstraint *decl = palloc(sizeof(DeclaredConstraint) * n);
	ConstraintShape **live = palloc(sizeof(ConstraintShape *) * (actual->nconstraints + 1));
	int			nlive;
	int			i;

	/* primary keys, unique, exclusion and check constraints */
	for (i = 0; i < declared->nconstraints; i++)
	{
		decl[i].name = declared->constraints[i].name;
		decl[i].explicit_name = declared->constraints[i].explicit_name;
		decl[i].contype = declared->constraints[i].contype;
		decl[i].def = declared->constraints[i].def;
		decl[i].alt_def = declared->constraints[i].alt_def;
		decl[i].not_valid = declared->constraints[i].not_valid;
	}
	nlive = 0;
	for (i = 0; i < actual->nconstraints; i++)
	{
		if (actual->constraints[i].contype != CONSTRAINT_FOREIGN &&
			!is_helper_constraint(cx->helpers, actual->constraints[i].name))
			live[nlive++] = &actual->constraints[i];
	}
	compare_constraint_family(cx, declared->nconstraints, decl, nlive, live);

	/* foreign keys; an unnamed one gets the name PostgreSQL would give it */
	for (i = 0; i < model->nfkeys; i++)
	{
		ForeignKeyDef *fk = &model->fkeys[i];

		decl[i].explicit_name = fk->name[0] != '\0';
		decl[i].name = decl[i].explicit_name ? fk->name
			: makeObjectName(RelationGetRelationName(cx->rel),
							 fk_name_addition(fk->signature), "fkey");
		decl[i].contype = CONSTRAINT_FOREIGN;
		decl[i].def = fk->signature;
		decl[i].alt_def = "";
		decl[i].not_valid = fk->not_valid;
	}
	nlive = 0;
	for (i = 0; i < actual->nconstraints; i++)
	{
		if (actual->constraints[i].contype == CONSTRAINT_FOREIGN)
			live[nlive++] = &actual->constraints[i];
	}
	compare_constraint_family(cx, model->nfkeys, decl, nlive, live);
}

/* the tables relid inherits from, or is a partition of */
static List *
inheritance_parents(Oid relid)
{
	Relation	inhrel = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *parents = NIL;

	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(inhrel, InheritsRelidSeqnoIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		parents = lappend_oid(parents, ((Form_pg_inherits) GETSTRUCT(tuple))->inhparent);
	systable_endscan(scan);
	table_close(inhrel, AccessShareLock);
	return parents;
}

/*
 * The other tables a change of rel is tied to: the inheritance children
 * ALTER TABLE carries it to, the parents it inherits from, or the table it
 * is a partition of (whose columns a partition must keep).  The
 * partitions of a partitioned table are part of it, not other tables.
 * NULL when there are none.
 */
static char *
cascading_tables(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	List	   *others = NIL;
	StringInfoData buf;
	ListCell   *lc;

	/* a partitioned table's partitions are part of it; children are not */
	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE && has_subclass(relid))
		others = list_concat(others, find_inheritance_children(relid, NoLock));
	if (has_superclass(relid))
		others = list_concat(others, inheritance_parents(relid));
	if (others == NIL)
		return NULL;
	initStringInfo(&buf);
	foreach(lc, others)
	{
		Oid			other = lfirst_oid(lc);
		char	   *nsp = get_namespace_name(get_rel_namespace(other));
		char	   *rel_name = get_rel_name(other);

		if (nsp == NULL || rel_name == NULL)
			continue;			/* dropped meanwhile */
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", quoted_name(nsp, rel_name));
	}
	return buf.len ? buf.data : NULL;
}

/* COMMENT ON the table, or one of its columns, as the model's declarer */
static void
compare_comment(DriftContext *cx, const char *column, const char *declared, const char *actual)
{
	Change	   *change;
	DDLStep    *step;

	/* the common case, and the no-drift path: no step to build */
	if (strcmp(declared, actual) == 0)
		return;
	step = ddl_comment(column ? OBJECT_COLUMN : OBJECT_TABLE,
					   cx->model->schema, cx->model->table, column,
					   declared,
					   display_name(cx->model->schema, cx->model->table),
					   cx->model->declared_by);
	step->model = cx->m;		/* a step of the table's migration */
	change = comment_change(cx->table, column ? column : cx->table, declared, actual, step);
	/* a comment is no data, and does not cascade: never made unsafe */
	cx->changes = lappend(cx->changes, change);
}

static void
compare_comments(DriftContext *cx, const TableShape *declared, const TableShape *actual)
{
	int			i,
				j;

	compare_comment(cx, NULL, declared->comment, actual->comment);
	for (i = 0; i < declared->ncolumns; i++)
	{
		for (j = 0; j < actual->ncolumns; j++)
		{
			if (strcmp(declared->columns[i].name, actual->columns[j].name) == 0)
			{
				compare_comment(cx, declared->columns[i].name, declared->columns[i].comment,
								actual->columns[j].comment);
				break;
			}
		}
	}
}

/*
 * Partitioning: the partition key cannot change in place; a partition
 * that should be attached, detached, or bounded otherwise moves rows
 * between tables.  All unsafe.
 */
static void
compare_partitioning(DriftContext *cx, const TableShape *declared, const TableShape *actual)
{
	bool		same_parent;
	Change	   *change;

	if (strcmp(declared->partition_by, actual->partition_by) != 0)
		add_change(cx, "partition_key", cx->table,
				   declared->partition_by[0] ? declared->partition_by : NULL,
				   actual->partition_by[0] ? actual->partition_by : NULL, false);

	same_parent = (declared->parent_table == NULL) == (actual->parent_table == NULL) &&
		(declared->parent_table == NULL ||
		 (strcmp(declared->parent_schema, actual->parent_schema) == 0 &&
		  strcmp(declared->parent_table, actual->parent_table) == 0));
	if (same_parent && (declared->parent_table == NULL ||
						strcmp(declared->partition_bound, actual->partition_bound) == 0))
		return;

	change = make_change(cx->table, same_parent ? "partition_bound" : "partition_of", cx->table,
						 declared->parent_table
						 ? psprintf("PARTITION OF %s %s",
									quoted_name(declared->parent_schema, declared->parent_table),
									declared->partition_bound) : NULL,
						 actual->parent_table
						 ? psprintf("PARTITION OF %s %s",
									quoted_name(actual->parent_schema, actual->parent_table),
									actual->partition_bound) : NULL,
						 false);
	if (actual->parent_table != NULL)
	{
		DDLStep    *step = make_alter_table_step(cx->model, cx->m, PHASE_DROP_CONSTRAINT,
												 AT_DetachPartition, NULL,
												 psprintf("ALTER TABLE %s DETACH PARTITION %s",
														  quoted_name(actual->parent_schema,
																	  actual->parent_table),
														  cx->table));

		step->target_schema = actual->parent_schema;
		step->target_name = actual->parent_table;
		change_step(change, step);
	}
	if (declared->parent_table != NULL)
	{
		DDLStep    *step = make_alter_table_step(cx->model, cx->m, PHASE_ADD_CONSTRAINT,
												 AT_AttachPartition, NULL,
												 psprintf("ALTER TABLE %s ATTACH PARTITION %s %s",
														  quoted_name(declared->parent_schema,
																	  declared->parent_table),
														  cx->table, declared->partition_bound));

		step->target_schema = declared->parent_schema;
		step->target_name = declared->parent_table;
		change_step(change, step);
	}
	cx->changes = lappend(cx->changes, change);
}

/* the live partitions of a partitioned table that have no model of their own */
static void
compare_partitions(DriftContext *cx, Model **models, int nmodels, Relation rel)
{
	ListCell   *lc;

	if (rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		return;
	foreach(lc, find_inheritance_children(RelationGetRelid(rel), NoLock))
	{
		Oid			child = lfirst_oid(lc);
		char	   *schema = get_namespace_name(get_rel_namespace(child));
		char	   *name = get_rel_name(child);
		int			i;
		Change	   *change;
		DDLStep    *step;

		if (schema == NULL || name == NULL)
			continue;			/* dropped meanwhile */
		for (i = 0; i < nmodels; i++)
		{
			if (strcmp(models[i]->schema, schema) == 0 && strcmp(models[i]->table, name) == 0)
				break;
		}
		if (i < nmodels || registry_fetch(schema, name, MODEL_NAMES) != NULL)
			continue;
		change = make_change(cx->table, "partition_extra", quoted_name(schema, name), NULL,
							 quoted_name(schema, name), false);
		step = add_step(cx, change, PHASE_DROP_CONSTRAINT, AT_DetachPartition, NULL,
						"DETACH PARTITION %s", quoted_name(schema, name));
		(void) step;
		cx->changes = lappend(cx->changes, change);
	}
}

/* the table's indexes against the index models of its table */
static void
compare_indexes(DriftContext *cx, ObjectModel **indexes, int nindexes,
				const TableShape *actual)
{
	List	   *live_ids = live_indexes(cx->rel, actual);
	List	   *attached_ids = attached_indexes(cx->rel, actual);
	ObjectModel **live = palloc(sizeof(ObjectModel *) *
								(list_length(live_ids) + list_length(attached_ids) + 1));
	int			nlive = 0;
	ListCell   *lc;
	int			i;

	List	   *changes;

	foreach(lc, live_ids)
	{
		/* an online migration's index under construction is not one */
		if (helper_index_oid(cx->helpers, lfirst_oid(lc)))
			continue;
		/* DROP INDEX CONCURRENTLY does not wait for the table's lock */
		live[nlive] = object_try_inspect(OBJECT_KIND_INDEX, lfirst_oid(lc));
		if (live[nlive] != NULL)
			nlive++;
	}
	/* last: a partition's indexes attached to its parent's (index.c) */
	foreach(lc, attached_ids)
		live[nlive++] = object_inspect(OBJECT_KIND_INDEX, lfirst_oid(lc));
	changes = index_compare_table(indexes, nindexes, live, nlive, list_length(attached_ids),
								  cx->model->declared_by);
	/* steps of the table's migration: it locks and selects the table */
	foreach(lc, changes)
	{
		ListCell   *sc;

		foreach(sc, ((Change *) lfirst(lc))->steps)
			((DDLStep *) lfirst(sc))->model = cx->m;
	}
	cx->changes = list_concat(cx->changes, changes);
	/* comments of the indexes that are there under their declared names */
	for (i = 0; i < nindexes; i++)
	{
		int			l;

		for (l = 0; l < nlive; l++)
		{
			if (strcmp(live[l]->name, indexes[i]->name) == 0)
			{
				DDLStep    *step = ddl_comment(OBJECT_INDEX, indexes[i]->schema,
												   indexes[i]->name, NULL, indexes[i]->comment,
												   display_name(cx->model->schema,
																cx->model->table),
												   indexes[i]->declared_by);
				Change	   *change;

				step->model = cx->m;
				step->table = cx->table;
				change = comment_change(cx->table, indexes[i]->name, indexes[i]->comment,
										live[l]->comment, step);

				if (change != NULL)
					cx->changes = lappend(cx->changes, change);
				break;
			}
		}
	}
}

/*
 * A partition's own column defaults and NOT NULL (partition_own_defaults(),
 * partition_own_not_null()) against its live columns; the others are its
 * parent's, compared there.
 */
static void
compare_partition_columns(DriftContext *cx, const TableShape *declared,
						  const TableShape *actual)
{
	const char **own = partition_own_defaults(cx->model, declared);
	bool	   *own_not_null = partition_own_not_null(cx->model, declared);

	for (int i = 0; i < declared->ncolumns; i++)
	{
		const ColumnShape *d = &declared->columns[i];
		const ColumnShape *a = NULL;
		Change	   *change;

		if (own[i] == NULL && !own_not_null[i])
			continue;
		for (int j = 0; j < actual->ncolumns; j++)
		{
			if (strcmp(actual->columns[j].name, d->name) == 0)
			{
				a = &actual->columns[j];
				break;
			}
		}
		if (a == NULL || a->identity || a->generated)
			continue;
		if (own[i] != NULL && !same_default(cx, d, a))
		{
			change = add_change(cx, "column_default", d->name, d->default_expr,
								a->default_expr[0] ? a->default_expr : NULL, true);
			/* the partition's own: ALTER TABLE carries it to no other table */
			change->safe = true;
			change->cascades = NULL;
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_ColumnDefault, d->name,
					 "ALTER COLUMN %s SET DEFAULT %s", quote_identifier(d->name), d->default_expr);
		}
		if (own_not_null[i] && !a->notnull)
		{
			change = add_change(cx, "column_nullability", d->name, "NOT NULL", "NULL", true);
			/* the partition's own, as its own default is */
			change->safe = !column_has_nulls(cx, d->name);
			change->cascades = NULL;
			add_step(cx, change, PHASE_ALTER_COLUMN, AT_SetNotNull, d->name,
					 "ALTER COLUMN %s SET NOT NULL", quote_identifier(d->name));
		}
	}
}

/*
 * The changes that would bring rel, the live table of models[m], in line
 * with its model (read with its shape) and the models of its indexes.
 * Call under catalog_search_path_push().
 */
List *
table_drift(Model **models, int nmodels, int m, Relation rel, ObjectModel **indexes,
			int nindexes)
{
	DriftContext cx;
	TableShape *actual = inspect_table(rel);
	const TableShape *declared = model_shape(models[m]);

	cx.rel = rel;
	cx.model = models[m];
	cx.table = quoted_name(models[m]->schema, models[m]->table);
	cx.m = m;
	cx.changes = NIL;
	cx.cascades = NULL;
	cx.cascades_known = false;
	cx.helpers = find_helpers(rel, actual);
	/* a partition's columns are its parent's */
	if (declared->parent_table == NULL || actual->parent_table == NULL)
		compare_columns(&cx, declared, actual);
	else
		compare_partition_columns(&cx, declared, actual);
	compare_constraints(&cx, declared, actual);
	compare_partitioning(&cx, declared, actual);
	compare_partitions(&cx, models, nmodels, rel);
	compare_indexes(&cx, indexes, nindexes, actual);
	compare_comments(&cx, declared, actual);
	return list_concat(cx.changes, helper_changes(models[m], m, rel, cx.helpers));
}
