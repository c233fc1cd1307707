/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Comparing a declared model with its live table: the differences, and
 *	  the DDL that reconciles each of them.
 *
 * Both sides are shapes from inspect.c, so the comparison is semantic:
 * types by (type OID, typmod), defaults by their deparsed expression,
 * constraints by their definition without the name.  A serial column
 * equals an integer NOT NULL column whose default is nextval() of a
 * sequence it owns.  Constraints are paired first by identical definition
 * (whatever their names), then a leftover primary key or a leftover with
 * the same name counts as "differs"; the rest are missing or extra.
 *
 * Every change says whether it is safe: whether it can run without losing
 * data, rewriting data or failing on existing rows.  What is safe: adding
 * tables, columns (nullable, or with a default) and constraints (checks
 * and foreign keys are added NOT VALID, then validated); widening a type
 * (varchar up or to text, smallint to integer or bigint, integer to
 * bigint, numeric precision up at the same scale); setting or dropping a
 * default; dropping NOT NULL; setting NOT NULL on a column with no NULLs;
 * switching an identity between ALWAYS and BY DEFAULT; turning a
 * generated column into a plain one.  Everything else is not.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

typedef struct DriftContext
{
	Relation	rel;
	char	   *table;			/* quoted, qualified */
	int			model;
	List	   *changes;
} DriftContext;

static Change *
add_change(DriftContext *cx, const char *kind, const char *object,
		   const char *declared, const char *actual, bool safe)
{
	Change	   *change = palloc0(sizeof(Change));

	change->table = cx->table;
	change->kind = kind;
	change->object = pstrdup(object);
	change->declared = declared ? pstrdup(declared) : NULL;
	change->actual = actual ? pstrdup(actual) : NULL;
	change->safe = safe;
	cx->changes = lappend(cx->changes, change);
	return change;
}

static DDLStep *add_step(DriftContext *cx, Change *change, DDLPhase phase,
						 const char *fmt,...) pg_attribute_printf(4, 5);

static DDLStep *
add_step(DriftContext *cx, Change *change, DDLPhase phase, const char *fmt,...)
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
	step = make_step(cx->table, cx->model, phase, sql.data);
	change->steps = lappend(change->steps, step);
	return step;
}

/* DROP CONSTRAINT of a live constraint; a foreign key's also locks its referenced table */
static void
add_drop_constraint_step(DriftContext *cx, Change *change, const ConstraintShape *live)
{
	DDLStep    *step = add_step(cx, change, PHASE_DROP_CONSTRAINT, "DROP CONSTRAINT %s",
								quote_identifier(live->name));

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

/* a type change that keeps every value as it is */
static bool
is_widening(const ColumnShape *from, const ColumnShape *to)
{
	if (strcmp(from->collation, to->collation) != 0)
		return false;
	if (from->type == to->type)
	{
		switch (to->type)
		{
			case VARCHAROID:
			case VARBITOID:
				return to->typmod < 0 ||
					(from->typmod >= 0 && to->typmod >= from->typmod);
			case NUMERICOID:
				if (to->typmod < 0)
					return true;
				return from->typmod >= 0 &&
					typmod_scale(from->typmod) == typmod_scale(to->typmod) &&
					typmod_precision(to->typmod) >= typmod_precision(from->typmod);
			default:
				return false;
		}
	}
	return (from->type == VARCHAROID && to->type == TEXTOID) ||
		(from->type == INT2OID && (to->type == INT4OID || to->type == INT8OID)) ||
		(from->type == INT4OID && to->type == INT8OID);
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
		rel = childid == relid ? cx->rel : try_table_open(childid, AccessShareLock);
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

static void
compare_column(DriftContext *cx, const ColumnShape *d, const ColumnShape *a)
{
	const char *name = quote_identifier(d->name);
	bool		both_serial = d->serial[0] != '\0' && strcmp(d->serial, a->serial) == 0;
	Change	   *change;

	if (d->type != a->type || d->typmod != a->typmod ||
		strcmp(d->collation, a->collation) != 0)
	{
		bool		safe = is_widening(a, d);

		change = add_change(cx, "column_type", d->name, render_column_type(d),
							render_column_type(a), safe);
		if (safe)
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s TYPE %s",
					 name, render_column_type(d));
		else
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s TYPE %s USING %s::%s",
					 name, render_column_type(d), name,
					 format_type_with_typemod(d->type, d->typmod));
	}

	if (d->generated != a->generated ||
		(d->generated && strcmp(d->default_expr, a->default_expr) != 0))
	{
		/* a generated column becomes a plain one in place; anything else is remade */
		bool		to_plain = a->generated && !d->generated;

		change = add_change(cx, "column_generated", d->name, generated_text(d),
							generated_text(a), to_plain);
		if (to_plain)
		{
			/* early: a generated column blocks type changes of its inputs */
			add_step(cx, change, PHASE_DROP_CONSTRAINT, "ALTER COLUMN %s DROP EXPRESSION", name);
			if (d->default_expr[0] != '\0')
				add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s SET DEFAULT %s",
						 name, d->default_expr);
		}
		else
			add_step(cx, change, PHASE_ALTER_COLUMN, "DROP COLUMN %s, ADD COLUMN %s",
					 name, render_column(d));
		return;
	}

	if (d->identity != a->identity)
	{
		if (d->identity && a->identity)
		{
			change = add_change(cx, "column_identity", d->name, identity_text(d->identity),
								identity_text(a->identity), true);
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s SET GENERATED %s", name,
					 d->identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT");
		}
		else if (d->identity)
		{
			/* existing values and the new sequence may collide */
			change = add_change(cx, "column_identity", d->name, identity_text(d->identity),
								NULL, false);
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s ADD GENERATED %s AS IDENTITY%s",
					 name, d->identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT",
					 d->identity_options);
		}
		else
		{
			change = add_change(cx, "column_identity", d->name, NULL,
								identity_text(a->identity), true);
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s DROP IDENTITY", name);
		}
	}

	if (!both_serial && !d->generated && !d->identity && !a->identity &&
		strcmp(d->default_expr, a->default_expr) != 0)
	{
		if (d->serial[0] != '\0')
		{
			/* a serial column's default is nextval() of a sequence of its own */
			change = add_change(cx, "column_default", d->name,
								psprintf("nextval() of a sequence owned by the column (%s)", d->serial),
								a->default_expr[0] ? a->default_expr : NULL, false);
			add_step(cx, change, PHASE_ALTER_COLUMN, "DROP COLUMN %s, ADD COLUMN %s",
					 name, render_column(d));
		}
		else
		{
			change = add_change(cx, "column_default", d->name,
								d->default_expr[0] ? d->default_expr : NULL,
								a->default_expr[0] ? a->default_expr : NULL, true);
			if (d->default_expr[0] != '\0')
				add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s SET DEFAULT %s",
						 name, d->default_expr);
			else
				add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s DROP DEFAULT", name);
		}
	}

	if (d->notnull != a->notnull && !d->identity && !a->identity && !both_serial)
	{
		if (d->notnull)
		{
			change = add_change(cx, "column_nullability", d->name, "NOT NULL", "NULL",
								!column_has_nulls(cx, d->name));
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s SET NOT NULL", name);
		}
		else
		{
			change = add_change(cx, "column_nullability", d->name, "NULL", "NOT NULL", true);
			add_step(cx, change, PHASE_ALTER_COLUMN, "ALTER COLUMN %s DROP NOT NULL", name);
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
			Change	   *change = add_change(cx, "column_missing", d->name,
											spec + strlen(quote_identifier(d->name)) + 1,
											NULL, safe);

			add_step(cx, change, PHASE_ADD_COLUMN, "ADD COLUMN %s", spec);
		}
	}
	for (j = 0; j < actual->ncolumns; j++)
	{
		const ColumnShape *a = &actual->columns[j];
		char	   *spec;
		Change	   *change;

		if (matched[j])
			continue;
		spec = render_column(a);
		change = add_change(cx, "column_extra", a->name, NULL,
							spec + strlen(quote_identifier(a->name)) + 1, false);
		add_step(cx, change, PHASE_DROP_COLUMN, "DROP COLUMN %s", quote_identifier(a->name));
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
					 char contype, const char *def)
{
	if (contype == CONSTRAINT_CHECK || contype == CONSTRAINT_FOREIGN)
	{
		/* NOT VALID first: the table stays available while rows are checked */
		DDLPhase	phase = contype == CONSTRAINT_FOREIGN ? PHASE_ADD_FOREIGN_KEY : PHASE_ADD_CONSTRAINT;

		add_step(cx, change, phase, "ADD CONSTRAINT %s %s NOT VALID", quote_identifier(name), def);
		add_step(cx, change, PHASE_VALIDATE, "VALIDATE CONSTRAINT %s", quote_identifier(name));
	}
	else if (explicit_name)
		add_step(cx, change, PHASE_ADD_CONSTRAINT, "ADD CONSTRAINT %s %s", quote_identifier(name), def);
	else
		add_step(cx, change, PHASE_ADD_CONSTRAINT, "ADD %s", def);
}

/*
 * Pair declared and live constraints; report the rest.  decl_* describe
 * the declared side; live[] holds the table's constraints of the same
 * family (foreign keys, or all others).
 */
static void
compare_constraint_family(DriftContext *cx, int ndecl, char **decl_names,
						  bool *decl_explicit, char *decl_types, char **decl_defs,
						  int nlive, ConstraintShape **live)
{
	bool	   *decl_matched = palloc0(sizeof(bool) * (ndecl + 1));
	bool	   *live_matched = palloc0(sizeof(bool) * (nlive + 1));
	int			i,
				j;

	/* same definition: equal, whatever the names */
	for (i = 0; i < ndecl; i++)
	{
		for (j = 0; j < nlive; j++)
		{
			if (live_matched[j] || live[j]->contype != decl_types[i])
				continue;
			if (strcmp(decl_defs[i], live[j]->def) == 0 ||
				(live[j]->def_without_ref_columns != NULL &&
				 strcmp(decl_defs[i], live[j]->def_without_ref_columns) == 0))
			{
				decl_matched[i] = live_matched[j] = true;
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

			if (live_matched[j] || live[j]->contype != decl_types[i])
				continue;
			if (decl_types[i] != CONSTRAINT_PRIMARY && strcmp(decl_names[i], live[j]->name) != 0)
				continue;
			decl_matched[i] = live_matched[j] = true;
			change = add_change(cx, "constraint_differs", live[j]->name, decl_defs[i],
								live[j]->def, false);
			add_drop_constraint_step(cx, change, live[j]);
			add_constraint_steps(cx, change, decl_names[i], decl_explicit[i],
								 decl_types[i], decl_defs[i]);
			break;
		}
	}

	for (i = 0; i < ndecl; i++)
	{
		Change	   *change;

		if (decl_matched[i])
			continue;
		change = add_change(cx, "constraint_missing", decl_names[i], decl_defs[i], NULL, true);
		add_constraint_steps(cx, change, decl_names[i], decl_explicit[i],
							 decl_types[i], decl_defs[i]);
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
compare_constraints(DriftContext *cx, const Model *model, const TableShape *declared,
					const TableShape *actual)
{
	int			n = Max(Max(declared->nconstraints, model->nfkeys), 1);
	char	  **names = palloc(sizeof(char *) * n);
	bool	   *explicit_names = palloc(sizeof(bool) * n);
	char	   *types = palloc(n);
	char	  **defs = palloc(sizeof(char *) * n);
	ConstraintShape **live = palloc(sizeof(ConstraintShape *) * (actual->nconstraints + 1));
	int			nlive;
	int			i;

	/* primary keys, unique, exclusion and check constraints */
	for (i = 0; i < declared->nconstraints; i++)
	{
		names[i] = declared->constraints[i].name;
		explicit_names[i] = declared->constraints[i].explicit_name;
		types[i] = declared->constraints[i].contype;
		defs[i] = declared->constraints[i].def;
	}
	nlive = 0;
	for (i = 0; i < actual->nconstraints; i++)
	{
		if (actual->constraints[i].contype != CONSTRAINT_FOREIGN)
			live[nlive++] = &actual->constraints[i];
	}
	compare_constraint_family(cx, declared->nconstraints, names, explicit_names,
							  types, defs, nlive, live);

	/* foreign keys; an unnamed one gets the name PostgreSQL would give it */
	for (i = 0; i < model->nfkeys; i++)
	{
		ForeignKeyDef *fk = &model->fkeys[i];

		explicit_names[i] = fk->name[0] != '\0';
		names[i] = explicit_names[i] ? fk->name
			: makeObjectName(RelationGetRelationName(cx->rel),
							 fk_name_addition(fk->signature), "fkey");
		types[i] = CONSTRAINT_FOREIGN;
		defs[i] = fk->signature;
	}
	nlive = 0;
	for (i = 0; i < actual->nconstraints; i++)
	{
		if (actual->constraints[i].contype == CONSTRAINT_FOREIGN)
			live[nlive++] = &actual->constraints[i];
	}
	compare_constraint_family(cx, model->nfkeys, names, explicit_names, types, defs,
							  nlive, live);
}

/*
 * The changes that would bring rel, the live table of models[m], in line
 * with its model (read with its shape).  Call under
 * catalog_search_path_push().
 */
List *
table_drift(Model **models, int m, Relation rel)
{
	DriftContext cx;
	TableShape *actual = inspect_table(rel);
	const TableShape *declared = model_shape(models[m]);
	int			i;

	/* the registry keeps type OIDs with no dependency: a type may be gone */
	for (i = 0; i < declared->ncolumns; i++)
	{
		if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(declared->columns[i].type)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("the type of column \"%s\" in the model of table \"%s\" no longer exists",
							declared->columns[i].name,
							display_name(models[m]->schema, models[m]->table)),
					 errdetail("It was dropped after the model was declared."),
					 errhint("Declare the model again with provision_define(), or forget it with provision_forget().")));
	}

	cx.rel = rel;
	cx.table = quoted_name(models[m]->schema, models[m]->table);
	cx.model = m;
	cx.changes = NIL;
	compare_columns(&cx, declared, actual);
	compare_constraints(&cx, models[m], declared, actual);
	return cx.changes;
}
