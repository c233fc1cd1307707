/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  SQL-callable functions of drift detection and migration:
 *	  provision_diff(), provision_plan(), provision_migrate() and
 *	  provision_capture().
 *
 * A drift run reads the models once (with their declared shapes), finds
 * which tables exist with catalog-cache lookups, plans the creation of the
 * missing ones exactly as provision_all() would, and compares every
 * existing table with its model (drift.c).  provision_plan() lists the
 * statements of that run in execution order: creation first, then per
 * phase (drops of constraints, new columns, column changes, dropped
 * columns, new constraints, new foreign keys, validations) across tables.
 *
 * provision_migrate() is all or nothing: it locks the names of the tables
 * it will change (as provisioning does, schemas first, each group in name
 * order), computes the run again under those locks, refuses with an error
 * listing every unsafe change unless allow_destructive, and otherwise runs
 * the plan in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "blocking.h"
#include "capture.h"
#include "catalog.h"
#include "ddl.h"
#include "definition.h"
#include "drift.h"
#include "engine.h"
#include "lock.h"
#include "migrate.h"
#include "name.h"
#include "online.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(provision_diff);
PG_FUNCTION_INFO_V1(provision_plan);
PG_FUNCTION_INFO_V1(provision_migrate);
PG_FUNCTION_INFO_V1(provision_capture);

/*
 * The models a drift function works on: every model when the argument is
 * NULL; else the table of that name with the models of its indexes, or
 * the models of other kinds of that name.  A name without a model is an
 * error.
 */
void
selected_models(FunctionCallInfo fcinfo, int argno, Selection *sel)
{
	char	   *schema;
	char	   *table;
	Model	   *model;
	ObjectModel **objects;
	int			nobjects;
	char	   *name;
	int			i;

	objects = registry_fetch_objects(&nobjects, false);
	sel->objects = palloc(sizeof(ObjectModel *) * (nobjects + 1));
	sel->nobjects = 0;
	if (PG_ARGISNULL(argno))
	{
		sel->models = registry_fetch_all(&sel->nmodels, MODEL_SHAPE);
		sel->objects = objects;
		sel->nobjects = nobjects;
		return;
	}

	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table name must not be empty"),
				 errhint("Pass NULL to work on every declared model.")));
	parse_table_name(name, &schema, &table);
	model = registry_fetch(schema, table, MODEL_SHAPE);
	sel->models = palloc(sizeof(Model *));
	sel->nmodels = 0;
	if (model != NULL)
		sel->models[sel->nmodels++] = model;
	for (i = 0; i < nobjects; i++)
	{
		ObjectModel *obj = objects[i];

		if (model != NULL
			? (obj->kind == OBJECT_KIND_INDEX && strcmp(obj->table_schema, schema) == 0 &&
			   strcmp(obj->table_name, table) == 0)
			: (obj->kind != OBJECT_KIND_SCHEMA && strcmp(obj->schema, schema) == 0 &&
			   strcmp(obj->name, table) == 0))
			sel->objects[sel->nobjects++] = obj;
	}
	if (sel->nmodels == 0 && sel->nobjects == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no model is declared for table \"%s\"",
						display_name(schema, table)),
				 errhint("Declare it with provision_define(), or adopt the existing table with provision_capture().")));
}

static Datum
nullable_text(const char *value, bool *isnull)
{
	*isnull = (value == NULL);
	return value ? CStringGetTextDatum(value) : (Datum) 0;
}

/*
 * provision_diff(table_name text DEFAULT NULL)
 *	 RETURNS TABLE(table_name text, change text, object text, declared text,
 *				   actual text, safe boolean, blocking text, ddl text)
 *
 * One row per difference between a model and its table; NULL: every
 * model.  blocking: what its DDL costs a live table, run in one
 * transaction as provision_migrate() runs it (blocking.c).
 * Changes nothing, and works in read-only transactions and on standbys.
 */
Datum
provision_diff(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DriftRun	run;
	Selection	sel;
	ListCell   *lc;

	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	provision_init_materialized_srf(fcinfo);
	selected_models(fcinfo, 0, &sel);
	drift_run(&run, &sel);

	foreach(lc, run.changes)
	{
		Change	   *change = lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(change->table);
		values[1] = CStringGetTextDatum(change->kind);
		values[2] = CStringGetTextDatum(change->object);
		values[3] = nullable_text(change->declared, &nulls[3]);
		values[4] = nullable_text(change->actual, &nulls[4]);
		values[5] = BoolGetDatum(change->safe);
		values[6] = CStringGetTextDatum(blocking_name(transaction_blocking(change->steps, NULL)));
		values[7] = nullable_text(joined_steps(change->steps), &nulls[7]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static void
plan_row(ReturnSetInfo *rsinfo, const char *plan, int step, const char *table,
		 const char *ddl, Blocking blocking)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = CStringGetTextDatum(plan);
	values[1] = Int32GetDatum(step);
	nulls[1] = (step == 0);
	values[2] = nullable_text(table, &nulls[2]);
	values[3] = CStringGetTextDatum(ddl);
	values[4] = CStringGetTextDatum(blocking_name(blocking));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * provision_plan(table_name text DEFAULT NULL, online boolean DEFAULT false)
 *	 RETURNS TABLE(plan text, step integer, table_name text, ddl text,
 *				   blocking text)
 *
 * The statements provision_migrate() would run, in order (plan
 * 'transactional', all in step 1: the caller's transaction); with online,
 * those of CALL provision_apply() (plan 'online'; statements with the same
 * step commit together, a backfill in batches).  blocking: what each costs
 * a live table.  Changes nothing.
 */
Datum
provision_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DriftRun	run;
	Selection	sel;
	ListCell   *lc;

	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("online must not be null")));
	provision_init_materialized_srf(fcinfo);
	selected_models(fcinfo, 0, &sel);
	drift_run(&run, &sel);

	if (!PG_GETARG_BOOL(1))
	{
		List	   *steps = plan_steps(&run);
		Blocking   *each = palloc(sizeof(Blocking) * (list_length(steps) + 1));
		int			i = 0;

		(void) transaction_blocking(steps, each);
		foreach(lc, steps)
		{
			DDLStep    *step = lfirst(lc);

			plan_row(rsinfo, "transactional", 1, step->table, step->sql, each[i++]);
		}
		return (Datum) 0;
	}
	{
		OnlinePlan *plan = online_plan(&run);
		int			i = 0;

		foreach(lc, plan->steps)
		{
			OnlineStep *step = lfirst(lc);
			ListCell   *dc;

			i++;
			if (step->kind == ONLINE_BACKFILL)
			{
				plan_row(rsinfo, "online", i, step->table, backfill_description(step),
						 step->blocking);
				continue;
			}
			foreach(dc, step->ddl)
			{
				DDLStep    *ddl = lfirst(dc);

				plan_row(rsinfo, "online", i, ddl->table, ddl->sql, ddl->blocking);
			}
		}
		/* what it refuses: no step, and why */
		foreach(lc, plan->refused)
			plan_row(rsinfo, "online", 0, NULL, psprintf("refused: %s", (char *) lfirst(lc)),
					 BLOCKING_UNKNOWN);
	}
	return (Datum) 0;
}

/*
 * provision_migrate(table_name text DEFAULT NULL,
 *					 allow_destructive boolean DEFAULT false)
 *	 RETURNS TABLE(table_name text, ddl text)
 *
 * Applies the plan and returns what it ran.  Unsafe changes need
 * allow_destructive; without it, any unsafe change makes the call fail
 * having changed nothing.
 */
Datum
provision_migrate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		allow_destructive;
	DriftRun	first;
	DriftRun	run;
	Selection	sel;
	Selection	drifted;
	List	   *steps;
	List	   *locked;
	List	   *executed = NIL;
	StringInfoData unsafe;
	int			nunsafe = 0;
	ListCell   *lc;
	int			i;

	check_writable("provision_migrate()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("allow_destructive must not be null")));
	allow_destructive = PG_GETARG_BOOL(1);
	provision_init_materialized_srf(fcinfo);
	selected_models(fcinfo, 0, &sel);

	/*
	 * Look, lock what will change (with the tables its foreign keys
	 * reference, and the objects its steps name), then look again under the
	 * locks.  A foreign key to drop that appeared meanwhile references a
	 * table whose name is not locked: give up the names, take them all
	 * again in order with that one, and look again.
	 */
	drift_run(&first, &sel);
	drifted_selection(&first, &drifted);
	steps = change_steps(&first);
	lock_model_names(drifted.models, drifted.nmodels, NULL, steps, NULL, 0, NULL);
	locked = model_table_names(drifted.models, drifted.nmodels, NULL, steps, NULL, 0, NULL);
	for (;;)
	{
		List	   *needed;

		drift_run(&run, &drifted);
		steps = list_concat(steps, change_steps(&run));
		needed = model_table_names(drifted.models, drifted.nmodels, NULL, steps, NULL, 0, NULL);
		if (list_length(needed) == list_length(locked))
			break;				/* steps only grow: the same names */
		unlock_table_names(locked);
		lock_table_names(needed);
		locked = needed;
	}

	/* a model read from the registry may name no table of its own */
	for (i = 0; i < drifted.nmodels; i++)
		check_model_names(drifted.models[i]);

	/* what PostgreSQL cannot do in place is never half done */
	initStringInfo(&unsafe);
	foreach(lc, run.changes)
	{
		Change	   *change = lfirst(lc);

		if (change->steps != NIL)
			continue;
		nunsafe++;
		appendStringInfo(&unsafe, "%s%s: %s \"%s\"", unsafe.len ? "\n" : "",
						 change->table, change->kind, change->object);
	}
	if (nunsafe > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg_plural("migration refused: %d change cannot be made in place",
							   "migration refused: %d changes cannot be made in place",
							   nunsafe, nunsafe),
				 errdetail("%s", unsafe.data),
				 errhint("Nothing was changed. PostgreSQL cannot remove or reorder enum labels, change a partition key, or change a domain's base type or collation in place: recreate the object, or declare the model as it is.")));
	nunsafe = 0;

	resetStringInfo(&unsafe);
	foreach(lc, run.changes)
	{
		Change	   *change = lfirst(lc);

		if (change->safe)
			continue;
		nunsafe++;
		appendStringInfo(&unsafe, "%s%s: %s \"%s\": %s", unsafe.len ? "\n" : "",
						 change->table, change->kind, change->object,
						 joined_steps(change->steps));
		if (change->cascades != NULL)
			appendStringInfo(&unsafe, " (also alters %s)", change->cascades);
	}
	if (nunsafe > 0 && !allow_destructive)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("migration refused: %d change can lose data or fail on existing rows",
							   "migration refused: %d changes can lose data or fail on existing rows",
							   nunsafe, nunsafe),
				 errdetail("%s", unsafe.data),
				 errhint("Nothing was changed. Review the changes with provision_diff(), then call provision_migrate(allow_destructive => true) to apply them too.")));

	steps = plan_steps(&run);
	check_steps_runnable(steps);
	foreach(lc, steps)
		run_step(lfirst(lc), &executed);

	foreach(lc, executed)
	{
		DDLStep    *step = lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(step->table);
		values[1] = CStringGetTextDatum(step->sql);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (executed == NIL)
		ereport(NOTICE,
				(errmsg("no drift: every table matches its model")));
	return (Datum) 0;
}

/*
 * provision_capture(table_name text) RETURNS text
 *
 * Declares a model from an existing table and returns the normalized
 * definition it registered.  Needs the declare right.
 */
Datum
provision_capture(PG_FUNCTION_ARGS)
{
	char	   *schema;
	char	   *table;
	char	   *name;
	Model	   *model;

	check_writable("provision_capture()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table name must not be empty")));
	parse_table_name(name, &schema, &table);
	registry_check_declare_right(false);
	reject_extension_relation(schema, table, true);

	(void) capture_table(schema, table);
	model = registry_fetch(schema, table, MODEL_DEFINITION);
	PG_RETURN_TEXT_P(cstring_to_text(model->definition));
}
