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

#include "catalog.h"
#include "ddl.h"
#include "definition.h"
#include "drift.h"
#include "engine.h"
#include "lock.h"
#include "name.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(provision_diff);
PG_FUNCTION_INFO_V1(provision_plan);
PG_FUNCTION_INFO_V1(provision_migrate);
PG_FUNCTION_INFO_V1(provision_capture);

/*
 * The models a drift function works on: one, or all when the argument is
 * NULL.  A named table without a model is an error.
 */
static Model **
selected_models(FunctionCallInfo fcinfo, int argno, int *nmodels)
{
	char	   *schema;
	char	   *table;
	Model	  **models;
	char	   *name;

	if (PG_ARGISNULL(argno))
		return registry_fetch_all(nmodels, MODEL_SHAPE);

	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table name must not be empty"),
				 errhint("Pass NULL to work on every declared model.")));
	parse_table_name(name, &schema, &table);
	models = palloc(sizeof(Model *));
	models[0] = registry_fetch(schema, table, MODEL_SHAPE);
	if (models[0] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no model is declared for table \"%s\"",
						display_name(schema, table)),
				 errhint("Declare it with provision_define(), or adopt the existing table with provision_capture().")));
	*nmodels = 1;
	return models;
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
 *				   actual text, safe boolean, ddl text)
 *
 * One row per difference between a model and its table; NULL: every
 * model.  Changes nothing, and works in read-only transactions and on
 * standbys.
 */
Datum
provision_diff(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DriftRun	run;
	Model	  **models;
	int			nmodels;
	ListCell   *lc;

	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	provision_init_materialized_srf(fcinfo);
	models = selected_models(fcinfo, 0, &nmodels);
	drift_run(&run, models, nmodels);

	foreach(lc, run.changes)
	{
		Change	   *change = lfirst(lc);
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(change->table);
		values[1] = CStringGetTextDatum(change->kind);
		values[2] = CStringGetTextDatum(change->object);
		values[3] = nullable_text(change->declared, &nulls[3]);
		values[4] = nullable_text(change->actual, &nulls[4]);
		values[5] = BoolGetDatum(change->safe);
		values[6] = nullable_text(joined_steps(change->steps), &nulls[6]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * provision_plan(table_name text DEFAULT NULL) RETURNS SETOF text
 *
 * The statements provision_migrate() would run, in order; changes nothing.
 */
Datum
provision_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DriftRun	run;
	Model	  **models;
	int			nmodels;
	ListCell   *lc;

	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	provision_init_materialized_srf(fcinfo);
	models = selected_models(fcinfo, 0, &nmodels);
	drift_run(&run, models, nmodels);

	foreach(lc, plan_steps(&run))
	{
		Datum		value = CStringGetTextDatum(((DDLStep *) lfirst(lc))->sql);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
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
	Model	  **models;
	Model	  **drifted;
	int			nmodels;
	int			ndrifted;
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
	models = selected_models(fcinfo, 0, &nmodels);

	/*
	 * Look, lock what will change (with the tables its foreign keys
	 * reference), then look again under the locks.  A foreign key to drop
	 * that appeared meanwhile references a table whose name is not locked:
	 * give up the table names, take them all again in order with that one,
	 * and look again.
	 */
	drift_run(&first, models, nmodels);
	drifted = drifted_models(&first, &ndrifted);
	steps = change_steps(&first);
	lock_model_names(drifted, ndrifted, NULL, steps, NULL, 0, NULL);
	locked = model_table_names(drifted, ndrifted, NULL, steps, NULL, 0, NULL);
	for (;;)
	{
		List	   *needed;

		drift_run(&run, drifted, ndrifted);
		steps = list_concat(steps, change_steps(&run));
		needed = model_table_names(drifted, ndrifted, NULL, steps, NULL, 0, NULL);
		if (list_length(needed) == list_length(locked))
			break;				/* steps only grow: the same names */
		unlock_table_names(locked);
		lock_table_names(needed);
		locked = needed;
	}

	/* a model read from the registry may name no table of its own */
	for (i = 0; i < ndrifted; i++)
		check_model_names(drifted[i]);

	initStringInfo(&unsafe);
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

	model = model_from_table(schema, table);
	registry_store(model);
	PG_RETURN_TEXT_P(cstring_to_text(model->definition));
}
