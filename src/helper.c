/*-------------------------------------------------------------------------
 *
 * helper.c
 *	  The objects an online migration keeps on a table while it works,
 *	  found by their names, and reported as drift until they are gone.
 *
 * provision_apply() commits every step, so a cancel, a crash or a failed
 * step can leave a change half done.  What it leaves is always one of
 * these, named after the table and column they serve (makeObjectName(),
 * so that long names are shortened as PostgreSQL shortens its own):
 *
 *	<table>_<column>_pvnn	CHECK (column IS NOT NULL), added NOT VALID,
 *							validated, then used to SET NOT NULL without a
 *							scan, then dropped;
 *	<table>_<column>_pvfill	a trigger (the extension's
 *							provision_fill_default()) on a column added
 *							with a volatile default whose older rows are
 *							still being filled with it: a writer's update
 *							fills the row it touches;
 *	<column>_pvnew			a shadow column of the new type, kept equal to
 *							<column> by the trigger <table>_<column>_pvsync
 *							(the extension's provision_shadow_copy()), then
 *							swapped in;
 *	<name>_pvnew			an index built concurrently, not yet attached
 *							as a constraint or renamed; INVALID when its
 *							build was interrupted.
 *
 * The next provision_apply() finds them here and finishes the job (or
 * removes what is no longer needed).  provision_diff() reports each of
 * them as a change of kind online_incomplete, whose DDL completes or
 * removes it in one transaction, so nothing is ever left unreported; the
 * comparison with the model ignores them otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include "helper.h"

#include "access/htup_details.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "ddl.h"
#include "drift.h"
#include "name.h"
#include "registry.h"

#define SUFFIX_NOT_NULL	"pvnn"
#define SUFFIX_FILL		"pvfill"
#define SUFFIX_NEW		"pvnew"
#define SUFFIX_SYNC		"pvsync"
#define SHADOW_FUNCTION	"provision_shadow_copy"
#define FILL_FUNCTION	"provision_fill_default"

char *
helper_not_null_name(const char *table, const char *column)
{
	return makeObjectName(table, column, SUFFIX_NOT_NULL);
}

char *
helper_fill_name(const char *table, const char *column)
{
	return makeObjectName(table, column, SUFFIX_FILL);
}

char *
helper_shadow_name(const char *column)
{
	return makeObjectName(column, NULL, SUFFIX_NEW);
}

char *
helper_trigger_name(const char *table, const char *column)
{
	return makeObjectName(table, column, SUFFIX_SYNC);
}

char *
helper_index_name(const char *name)
{
	return makeObjectName(name, NULL, SUFFIX_NEW);
}

/* the OID of a trigger function of the extension (shadow.c), by name */
Oid
helper_function(const char *name)
{
	char	   *extschema = get_namespace_name(registry_namespace());

	if (extschema == NULL)
		return InvalidOid;
	return LookupFuncName(list_make2(makeString(extschema), makeString(pstrdup(name))),
						  0, NULL, true);
}

static bool
ends_with(const char *name, const char *suffix)
{
	size_t		len = strlen(name);
	size_t		slen = strlen(suffix);

	return len > slen + 1 && name[len - slen - 1] == '_' &&
		strcmp(name + len - slen, suffix) == 0;
}

/* the column a helper check of this name and suffix serves, or NULL */
static const char *
check_column(const char *relname, const TableShape *actual, const ConstraintShape *con,
			 const char *suffix)
{
	int			i;

	if (con->contype != CONSTRAINT_CHECK || !ends_with(con->name, suffix))
		return NULL;
	for (i = 0; i < actual->ncolumns; i++)
	{
		const char *column = actual->columns[i].name;
		const char *q = quote_identifier(column);
		char	   *expected_def;

		if (strcmp(con->name, makeObjectName(relname, column, suffix)) != 0)
			continue;
		expected_def = psprintf("CHECK ((%s IS NOT NULL))", q);
		if (strcmp(con->def, expected_def) == 0)
			return column;
	}
	return NULL;
}

/*
 * Every helper on rel, whose shape (inspect_table()) is actual: checks
 * from the shape, shadow columns from the table's triggers, indexes from
 * its index list; all from the relation cache but the names of indexes.
 */
List *
find_helpers(Relation rel, const TableShape *actual)
{
	const char *relname = RelationGetRelationName(rel);
	List	   *helpers = NIL;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	for (i = 0; i < actual->nconstraints; i++)
	{
		const ConstraintShape *con = &actual->constraints[i];
		const char *column;
		Helper	   *helper;

		if ((column = check_column(relname, actual, con, SUFFIX_NOT_NULL)) == NULL)
			continue;
		helper = palloc0(sizeof(Helper));
		helper->kind = HELPER_NOT_NULL;
		helper->valid = !con->not_valid;
		helper->name = con->name;
		helper->column = pstrdup(column);
		helper->def = psprintf("%s%s", con->def, con->not_valid ? " NOT VALID" : "");
		helpers = lappend(helpers, helper);
	}

	if (rel->trigdesc != NULL)
	{
		Oid			sync = helper_function(SHADOW_FUNCTION);
		Oid			fill = helper_function(FILL_FUNCTION);

		for (i = 0; i < rel->trigdesc->numtriggers; i++)
		{
			Trigger    *trigger = &rel->trigdesc->triggers[i];
			Helper	   *helper;

			if (OidIsValid(sync) && trigger->tgfoid == sync && trigger->tgnargs == 2 &&
				strcmp(trigger->tgname, helper_trigger_name(relname, trigger->tgargs[0])) == 0)
			{
				helper = palloc0(sizeof(Helper));
				helper->kind = HELPER_SHADOW;
				helper->column = pstrdup(trigger->tgargs[0]);
				helper->name = pstrdup(trigger->tgargs[1]);
				helper->exists = get_attnum(RelationGetRelid(rel), helper->name) != InvalidAttrNumber;
			}
			else if (OidIsValid(fill) && trigger->tgfoid == fill && trigger->tgnargs == 1 &&
					 strcmp(trigger->tgname, helper_fill_name(relname, trigger->tgargs[0])) == 0)
			{
				helper = palloc0(sizeof(Helper));
				helper->kind = HELPER_FILL;
				helper->column = pstrdup(trigger->tgargs[0]);
				helper->name = pstrdup(trigger->tgname);
				helper->exists = get_attnum(RelationGetRelid(rel), helper->column) != InvalidAttrNumber;
			}
			else
				continue;
			helper->trigger = pstrdup(trigger->tgname);
			helpers = lappend(helpers, helper);
		}
	}

	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		char	   *name = get_rel_name(indexoid);
		HeapTuple	tuple;
		Helper	   *helper;

		if (name == NULL || !ends_with(name, SUFFIX_NEW) ||
			OidIsValid(get_index_constraint(indexoid)))
			continue;
		tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		if (!HeapTupleIsValid(tuple))
			continue;
		helper = palloc0(sizeof(Helper));
		helper->kind = HELPER_INDEX;
		helper->name = name;
		helper->oid = indexoid;
		helper->valid = ((Form_pg_index) GETSTRUCT(tuple))->indisvalid &&
			((Form_pg_index) GETSTRUCT(tuple))->indisready;
		ReleaseSysCache(tuple);
		helper->def = pg_get_indexdef_string(indexoid);
		helpers = lappend(helpers, helper);
	}
	return helpers;
}

/* the helper of kind serving column, or NULL */
Helper *
helper_of(List *helpers, HelperKind kind, const char *column)
{
	ListCell   *lc;

	foreach(lc, helpers)
	{
		Helper	   *helper = lfirst(lc);

		if (helper->kind == kind && strcmp(helper->column ? helper->column : "", column) == 0)
			return helper;
	}
	return NULL;
}

/* the helper of kind named name, or NULL */
Helper *
helper_named(List *helpers, HelperKind kind, const char *name)
{
	ListCell   *lc;

	foreach(lc, helpers)
	{
		Helper	   *helper = lfirst(lc);

		if (helper->kind == kind && strcmp(helper->name, name) == 0)
			return helper;
	}
	return NULL;
}

/* an index an online migration is building: not one of the table's own */
bool
helper_index_oid(List *helpers, Oid indexoid)
{
	ListCell   *lc;

	foreach(lc, helpers)
	{
		Helper	   *helper = lfirst(lc);

		if (helper->kind == HELPER_INDEX && helper->oid == indexoid)
			return true;
	}
	return false;
}

/* a shadow column: not a column of the table as far as its model goes */
bool
is_helper_column(List *helpers, const char *name)
{
	Helper	   *helper = helper_named(helpers, HELPER_SHADOW, name);

	return helper != NULL && helper->exists;
}

/* a helper check: not a constraint of the table as far as its model goes */
bool
is_helper_constraint(List *helpers, const char *name)
{
	return helper_named(helpers, HELPER_NOT_NULL, name) != NULL;
}

/* DROP TRIGGER trigger ON the model's table */
DDLStep *
helper_drop_trigger_step(const Model *model, int m, DDLPhase phase, const char *trigger)
{
	const char *table = quoted_name(model->schema, model->table);
	DDLStep    *step = make_step(table, m, phase, DDL_DROP_TRIGGER,
								 psprintf("DROP TRIGGER %s ON %s", quote_identifier(trigger),
										  table));

	step->model_name = display_name(model->schema, model->table);
	step->target_schema = model->schema;
	step->target_name = model->table;
	step->object = trigger;
	step->run_as = model->declared_by;
	return step;
}

/*
 * What completes or removes helper in one transaction, as
 * provision_migrate() runs it: a fill is finished, the rest is dropped
 * (the change it served is then made by the migration itself).
 */
List *
helper_cleanup_steps(const Model *model, int m, Relation rel, const Helper *helper)
{
	const char *table = quoted_name(model->schema, model->table);
	List	   *steps = NIL;
	DDLStep    *step;

	switch (helper->kind)
	{
		case HELPER_NOT_NULL:
			steps = lappend(steps,
							make_alter_table_step(model, m, PHASE_VALIDATE, AT_DropConstraint,
												  helper->name,
												  psprintf("ALTER TABLE %s DROP CONSTRAINT %s",
														   table,
														   quote_identifier(helper->name))));
			break;
		case HELPER_FILL:
			if (helper->exists)
			{
				step = make_step(table, m, PHASE_VALIDATE, DDL_FILL_DEFAULT,
								 psprintf("UPDATE %s SET %s = DEFAULT WHERE %s IS NULL", table,
										  quote_identifier(helper->column),
										  quote_identifier(helper->column)));
				step->model_name = display_name(model->schema, model->table);
				step->target_schema = model->schema;
				step->target_name = model->table;
				step->column = helper->column;
				step->run_as = model->declared_by;
				steps = lappend(steps, step);
			}
			steps = lappend(steps, helper_drop_trigger_step(model, m, PHASE_VALIDATE,
															helper->trigger));
			break;
		case HELPER_SHADOW:
			steps = lappend(steps, helper_drop_trigger_step(model, m, PHASE_DROP_COLUMN,
															helper->trigger));
			if (helper->exists)
				steps = lappend(steps,
								make_alter_table_step(model, m, PHASE_DROP_COLUMN,
													  AT_DropColumn, helper->name,
													  psprintf("ALTER TABLE %s DROP COLUMN %s",
															   table,
															   quote_identifier(helper->name))));
			break;
		case HELPER_INDEX:
			step = make_step(table, m, PHASE_DROP_CONSTRAINT, DDL_DROP_INDEX,
							 psprintf("DROP INDEX %s",
									  quoted_name(model->schema, helper->name)));
			step->model_name = display_name(model->schema, model->table);
			step->target_schema = model->schema;
			step->target_name = helper->name;
			step->owner_schema = model->schema;
			step->owner_table = model->table;
			step->run_as = model->declared_by;
			steps = lappend(steps, step);
			break;
	}
	(void) rel;
	return steps;
}

/* what a helper is, for the actual column of its change */
static char *
helper_description(const Helper *helper)
{
	switch (helper->kind)
	{
		case HELPER_NOT_NULL:
			return psprintf("%s (for SET NOT NULL of column \"%s\")", helper->def,
							helper->column);
		case HELPER_FILL:
			return psprintf("trigger \"%s\": column \"%s\" is still being filled with its default",
							helper->trigger, helper->column);
		case HELPER_SHADOW:
			if (!helper->exists)
				return psprintf("trigger \"%s\" of a shadow column that is gone",
								helper->trigger);
			return psprintf("shadow of column \"%s\", kept in sync by trigger \"%s\"",
							helper->column, helper->trigger);
		case HELPER_INDEX:
			return psprintf("%s%s", helper->def, helper->valid ? "" : " (INVALID)");
	}
	return NULL;
}

/*
 * One change of kind online_incomplete per helper on rel, the table of
 * models[m]: what the next provision_apply() finishes, and what
 * provision_migrate() completes or removes.
 */
List *
helper_changes(const Model *model, int m, Relation rel, List *helpers)
{
	List	   *changes = NIL;
	ListCell   *lc;

	foreach(lc, helpers)
	{
		Helper	   *helper = lfirst(lc);
		Change	   *change = palloc0(sizeof(Change));

		change->table = quoted_name(model->schema, model->table);
		change->kind = "online_incomplete";
		change->object = helper->kind == HELPER_SHADOW && !helper->exists ?
			helper->trigger : helper->name;
		if (helper->kind == HELPER_FILL)
			change->object = helper->column;
		change->declared = NULL;
		change->actual = helper_description(helper);
		change->safe = true;
		change->steps = helper_cleanup_steps(model, m, rel, helper);
		changes = lappend(changes, change);
	}
	return changes;
}
