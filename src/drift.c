/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  A drift run: every model of a selection compared with its table, the
 *	  missing tables planned as provisioning would create them, and the
 *	  statements of the whole run in the order a migration runs them.
 *
 * A drift run reads the models once (with their declared shapes), finds
 * which tables exist with catalog-cache lookups, plans the creation of the
 * missing ones exactly as provision_all() would, and compares every
 * existing table with its model (tablediff.c).  The plan lists the
 * statements of that run in execution order: creation first, then per
 * phase (drops of constraints, new columns, column changes, dropped
 * columns, new constraints, new foreign keys, validations) across tables.
 *
 *-------------------------------------------------------------------------
 */
#include "drift.h"

#include "access/table.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "catalog.h"
#include "ddl.h"
#include "engine.h"
#include "name.h"
#include "order.h"
#include "registry.h"

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
	Selection	sel;
	int			save_nestlevel;
	MemoryContext tablecxt = AllocSetContextCreate(CurrentMemoryContext,
												   "provision drift",
												   ALLOCSET_DEFAULT_SIZES);
	int			i;

	run->models = models;
	run->nmodels = nmodels;
	run->changes = NIL;
	(void) find_existing(models, nmodels, exists);
	sel.models = models;
	sel.nmodels = nmodels;
	sel.objects = NULL;
	sel.nobjects = 0;
	run->creation = creation_plan(&sel, order, exists, NULL);

	save_nestlevel = catalog_search_path_push();
	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[i];
		Oid			nspid;
		Oid			relid;
		Relation	rel;
		MemoryContext old;
		List	   *changes;

		/* a model read from the registry may name no table of a user schema */
		reject_unmodelable_schema(model->schema);
		reject_extension_relation(model->schema, model->table, false);
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
		rel = OidIsValid(relid) ? provision_try_table_open(relid, AccessShareLock) : NULL;
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

void
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
List *
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

char *
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

/* every step of every change of the run (unordered) */
List *
change_steps(DriftRun *run)
{
	List	   *steps = NIL;
	ListCell   *lc;

	foreach(lc, run->changes)
		steps = list_concat(steps, ((Change *) lfirst(lc))->steps);
	return steps;
}

/* the models among models[] that have a change, in the same order */
Model **
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

