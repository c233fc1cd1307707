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
#include "provision.h"

#include "access/table.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(provision_diff);
PG_FUNCTION_INFO_V1(provision_plan);
PG_FUNCTION_INFO_V1(provision_migrate);
PG_FUNCTION_INFO_V1(provision_capture);

typedef struct DriftRun
{
	Model	  **models;
	int			nmodels;
	List	   *creation;		/* DDLStep: creating the missing tables */
	List	   *changes;		/* Change, in model order */
} DriftRun;

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

/*
 * One pass of drift_run(); false when a table was dropped or renamed by a
 * session that committed since find_existing() looked (waiting for the
 * table's lock showed it), and the pass must start over.
 */
static bool
drift_pass(DriftRun *run, Model **models, int nmodels)
{
	bool	   *exists = palloc(sizeof(bool) * (nmodels + 1));
	int		   *order = model_dependency_order(models, nmodels);
	int			save_nestlevel;
	MemoryContext tablecxt = AllocSetContextCreate(CurrentMemoryContext,
												   "provision drift",
												   ALLOCSET_DEFAULT_SIZES);
	int			i;

	run->models = models;
	run->nmodels = nmodels;
	run->changes = NIL;
	(void) find_existing(models, nmodels, exists);
	run->creation = creation_plan(models, nmodels, order, exists);

	save_nestlevel = catalog_search_path_push();
	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[i];
		Oid			nspid;
		Oid			relid;
		Relation	rel;
		MemoryContext old;
		List	   *changes;

		if (!exists[i])
		{
			Change	   *change = palloc0(sizeof(Change));
			ListCell   *lc;

			change->table = quoted_name(model->schema, model->table);
			change->kind = "table_missing";
			change->object = change->table;
			change->declared = model->definition;
			change->safe = true;
			foreach(lc, run->creation)
			{
				DDLStep    *step = lfirst(lc);

				if (step->model == i ||
					(step->schema != NULL && strcmp(step->schema, model->schema) == 0 &&
					 (i == 0 || strcmp(models[i - 1]->schema, model->schema) != 0 ||
					  exists[i - 1])))
					change->steps = lappend(change->steps, step);
			}
			run->changes = lappend(run->changes, change);
			continue;
		}

		/*
		 * Inspect in a context of its own, reset unless the table drifted:
		 * memory stays flat over thousands of tables.  The shared lock is
		 * released at once, so that 10000 tables fit in the lock table.
		 */
		old = MemoryContextSwitchTo(tablecxt);
		nspid = lookup_schema(model->schema);
		relid = lookup_table(nspid, model->schema, model->table);
		rel = OidIsValid(relid) ? try_table_open(relid, AccessShareLock) : NULL;
		/* the lock made the relcache entry current: is it still that name? */
		if (rel == NULL || RelationGetNamespace(rel) != nspid ||
			strcmp(RelationGetRelationName(rel), model->table) != 0)
		{
			if (rel != NULL)
				table_close(rel, AccessShareLock);
			MemoryContextSwitchTo(old);
			catalog_search_path_pop(save_nestlevel);
			MemoryContextDelete(tablecxt);
			return false;
		}
		changes = table_drift(models, i, rel);
		table_close(rel, AccessShareLock);
		MemoryContextSwitchTo(old);
		if (changes == NIL)
			MemoryContextReset(tablecxt);
		else
		{
			run->changes = list_concat(run->changes, changes);
			tablecxt = AllocSetContextCreate(CurrentMemoryContext, "provision drift",
											 ALLOCSET_DEFAULT_SIZES);
		}
	}
	catalog_search_path_pop(save_nestlevel);
	return true;
}

static void
drift_run(DriftRun *run, Model **models, int nmodels)
{
	while (!drift_pass(run, models, nmodels))
		;						/* look at every table again */
}

static int
step_cmp(const ListCell *a, const ListCell *b)
{
	const DDLStep *sa = lfirst(a);
	const DDLStep *sb = lfirst(b);

	if (sa->phase != sb->phase)
		return (int) sa->phase - (int) sb->phase;
	return sa->seq - sb->seq;
}

/* every statement of the run, in the order migration runs them */
static List *
plan_steps(DriftRun *run)
{
	List	   *steps = list_copy(run->creation);
	List	   *others = NIL;
	ListCell   *lc;
	int			seq = 0;

	foreach(lc, run->changes)
	{
		Change	   *change = lfirst(lc);
		ListCell   *sc;

		foreach(sc, change->steps)
		{
			DDLStep    *step = lfirst(sc);

			if (step->phase == PHASE_CREATE)
				continue;
			step->seq = seq++;
			others = lappend(others, step);
		}
	}
	list_sort(others, step_cmp);
	return list_concat(steps, others);
}

static char *
joined_steps(List *steps)
{
	StringInfoData buf;
	ListCell   *lc;

	if (steps == NIL)
		return NULL;
	initStringInfo(&buf);
	foreach(lc, steps)
		appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", ((DDLStep *) lfirst(lc))->sql);
	return buf.data;
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

/* every step of every change of the run (unordered) */
static List *
change_steps(DriftRun *run)
{
	List	   *steps = NIL;
	ListCell   *lc;

	foreach(lc, run->changes)
		steps = list_concat(steps, ((Change *) lfirst(lc))->steps);
	return steps;
}

/* the models among models[] that have a change, in the same order */
static Model **
drifted_models(DriftRun *run, int *count)
{
	Model	  **result = palloc(sizeof(Model *) * (run->nmodels + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, run->changes)
	{
		Change	   *change = lfirst(lc);
		Model	   *model = NULL;
		ListCell   *sc;

		foreach(sc, change->steps)
		{
			int			m = ((DDLStep *) lfirst(sc))->model;

			if (m >= 0)
				model = run->models[m];
		}
		if (model != NULL && (n == 0 || result[n - 1] != model))
			result[n++] = model;
	}
	*count = n;
	return result;
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
	lock_model_names(drifted, ndrifted, NULL, steps);
	locked = model_table_names(drifted, ndrifted, NULL, steps);
	for (;;)
	{
		List	   *needed;

		drift_run(&run, drifted, ndrifted);
		steps = list_concat(steps, change_steps(&run));
		needed = model_table_names(drifted, ndrifted, NULL, steps);
		if (list_length(needed) == list_length(locked))
			break;				/* steps only grow: the same names */
		unlock_table_names(locked);
		lock_table_names(needed);
		locked = needed;
	}

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
	}
	if (nunsafe > 0 && !allow_destructive)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("migration refused: %d change can lose data or fail on existing rows",
							   "migration refused: %d changes can lose data or fail on existing rows",
							   nunsafe, nunsafe),
				 errdetail("%s", unsafe.data),
				 errhint("Nothing was changed. Review the changes with provision_diff(), then call provision_migrate(allow_destructive => true) to apply them too.")));

	foreach(lc, plan_steps(&run))
	{
		DDLStep    *step = lfirst(lc);

		run_ddl(step->table, step->sql, &executed);
	}

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
 * The number of differences between the existing table of model (read
 * with its shape) and the model; for provision_table().
 */
int
model_drift_count(Model *model)
{
	DriftRun	run;

	drift_run(&run, &model, 1);
	return list_length(run.changes);
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
	Oid			relid;
	Relation	rel;
	TableShape *shape;
	StringInfoData def;
	Model	   *model;
	int			save_nestlevel;
	int			i;

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
	registry_check_right(ACL_INSERT);
	registry_check_right(ACL_UPDATE);

	/* try_table_open(): the table may be dropped while we wait for its lock */
	relid = lookup_table(lookup_schema(schema), schema, table);
	rel = OidIsValid(relid) ? try_table_open(relid, AccessShareLock) : NULL;
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", display_name(schema, table))));

	/* the table as its catalogs describe it, every constraint named */
	save_nestlevel = catalog_search_path_push();
	shape = inspect_table(rel);
	table_close(rel, AccessShareLock);
	initStringInfo(&def);
	for (i = 0; i < shape->ncolumns; i++)
		appendStringInfo(&def, "%s%s", def.len ? ", " : "",
						 render_column(&shape->columns[i]));
	for (i = 0; i < shape->nconstraints; i++)
		appendStringInfo(&def, "%sCONSTRAINT %s %s", def.len ? ", " : "",
						 quote_identifier(shape->constraints[i].name),
						 shape->constraints[i].def);
	catalog_search_path_pop(save_nestlevel);

	model = model_from_definition(schema, table, def.data);
	registry_store(model);
	PG_RETURN_TEXT_P(cstring_to_text(model->definition));
}
