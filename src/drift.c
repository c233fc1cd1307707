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
#include "change.h"
#include "ddl.h"
#include "engine.h"
#include "name.h"
#include "objects.h"
#include "order.h"
#include "registry.h"

/* index models sorted by their table, for finding a table's in one search */
typedef struct TableIndexes
{
	ObjectModel **indexes;
	int			n;
} TableIndexes;

static int
index_table_cmp(const void *a, const void *b)
{
	const ObjectModel *ia = *(ObjectModel *const *) a;
	const ObjectModel *ib = *(ObjectModel *const *) b;
	int			c = strcmp(ia->table_schema, ib->table_schema);

	if (c == 0)
		c = strcmp(ia->table_name, ib->table_name);
	return c != 0 ? c : strcmp(ia->name, ib->name);
}

static TableIndexes
index_models(const Selection *sel)
{
	TableIndexes ti;
	int			i;

	ti.indexes = palloc(sizeof(ObjectModel *) * (sel->nobjects + 1));
	ti.n = 0;
	for (i = 0; i < sel->nobjects; i++)
	{
		if (sel->objects[i]->kind == OBJECT_KIND_INDEX)
			ti.indexes[ti.n++] = sel->objects[i];
	}
	if (ti.n > 1)
		qsort(ti.indexes, ti.n, sizeof(ObjectModel *), index_table_cmp);
	return ti;
}

/* the index models of schema.table: a slice of ti, *n long */
static ObjectModel **
indexes_of(const TableIndexes *ti, const char *schema, const char *table, int *n)
{
	int			lo = 0;
	int			hi = ti->n;
	int			start;

	/* the first index of the table, by binary search */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(ti->indexes[mid]->table_schema, schema);

		if (c == 0)
			c = strcmp(ti->indexes[mid]->table_name, table);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	start = lo;
	while (lo < ti->n && strcmp(ti->indexes[lo]->table_schema, schema) == 0 &&
		   strcmp(ti->indexes[lo]->table_name, table) == 0)
		lo++;
	*n = lo - start;
	return ti->indexes + start;
}

/* the change of a missing model of another kind, with its creation steps */
static Change *
object_missing(DriftRun *run, const ObjectModel *obj)
{
	static const char *const kinds[OBJECT_KIND_COUNT] = {
		"schema_missing", "type_missing", "type_missing", "sequence_missing", "index_missing"
	};
	char	   *name = object_display(obj);
	Change	   *change = make_change(name, kinds[obj->kind], name, obj->definition, NULL, true);
	ListCell   *lc;

	foreach(lc, run->creation)
	{
		DDLStep    *step = lfirst(lc);

		if (step->model < 0 && step->target_schema != NULL &&
			strcmp(step->target_schema, obj->schema) == 0 &&
			(obj->kind == OBJECT_KIND_SCHEMA
			 ? step->kind == DDL_CREATE_SCHEMA ||
			 (step->kind == DDL_COMMENT && step->target_name == NULL)
			 : step->target_name != NULL && strcmp(step->target_name, obj->name) == 0 &&
			 step->kind != DDL_CREATE_TABLE && step->kind != DDL_ALTER_TABLE))
			change->steps = lappend(change->steps, step);
	}
	change->of_object = obj;
	return change;
}

/* whether step belongs to the creation of table models[i] */
static bool
creates_table(const DDLStep *step, const Model *model, int i)
{
	if (step->model == i)
		return true;
	if (step->kind == DDL_CREATE_INDEX)
		return strcmp(step->owner_schema, model->schema) == 0 &&
			strcmp(step->owner_table, model->table) == 0;
	if (step->kind == DDL_COMMENT && step->target_name != NULL)
		return (step->comment_on == OBJECT_TABLE || step->comment_on == OBJECT_COLUMN) &&
			strcmp(step->target_schema, model->schema) == 0 &&
			strcmp(step->target_name, model->table) == 0;
	return false;
}

/*
 * One pass of drift_run(); false when a table or another object was
 * dropped or renamed by a session that committed since find_existing() or
 * find_existing_objects() looked (waiting for its lock showed it), and the
 * pass must start over.
 */
static bool
drift_pass(DriftRun *run)
{
	Model	  **models = run->sel.models;
	int			nmodels = run->sel.nmodels;
	ObjectModel **objects = run->sel.objects;
	int			nobjects = run->sel.nobjects;
	bool	   *exists = palloc(sizeof(bool) * (nmodels + 1));
	bool	   *obj_exists = palloc(sizeof(bool) * (nobjects + 1));
	bool	   *obj_planned = palloc(sizeof(bool) * (nobjects + 1));
	int		   *order = model_dependency_order(models, nmodels);
	TableIndexes ti = index_models(&run->sel);
	int			save_nestlevel;
	MemoryContext tablecxt = AllocSetContextCreate(CurrentMemoryContext,
												   "provision drift",
												   ALLOCSET_DEFAULT_SIZES);
	List	   *schemas_reported = NIL;
	int			i;

	run->changes = NIL;
	(void) find_existing(models, nmodels, exists);
	(void) find_existing_objects(objects, nobjects, obj_exists);

	/* the index of an existing table is compared with it, not planned */
	for (i = 0; i < nobjects; i++)
	{
		obj_planned[i] = obj_exists[i];
		if (objects[i]->kind == OBJECT_KIND_INDEX && !obj_exists[i])
		{
			int			m = model_index(models, nmodels, objects[i]->table_schema,
										objects[i]->table_name);

			obj_planned[i] = m < 0 || exists[m];
		}
	}
	run->creation = creation_plan(&run->sel, order, exists, obj_planned);

	save_nestlevel = catalog_search_path_push();
	for (i = 0; i < nobjects; i++)
	{
		const ObjectModel *obj = objects[i];

		reject_unmodelable_schema(obj->schema);
		if (obj->kind == OBJECT_KIND_INDEX)
			continue;			/* with its table */
		if (!obj_exists[i])
		{
			run->changes = lappend(run->changes, object_missing(run, obj));
			if (obj->kind == OBJECT_KIND_SCHEMA)
				schemas_reported = lappend(schemas_reported, makeString(obj->schema));
		}
		else
		{
			ObjectModel *live = object_try_inspect(obj->kind, object_lookup(obj));
			List	   *changes;
			ListCell   *lc;

			/*
			 * Dropped or renamed by a session that committed since
			 * find_existing_objects() looked (waiting for its lock showed
			 * it): look again, as for a table.
			 */
			if (live == NULL || strcmp(object_display(live), object_display(obj)) != 0)
			{
				catalog_search_path_pop(save_nestlevel);
				MemoryContextDelete(tablecxt);
				return false;
			}
			changes = object_compare(obj, live);
			foreach(lc, changes)
				((Change *) lfirst(lc))->of_object = obj;
			run->changes = list_concat(run->changes, changes);
		}
	}

	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[i];
		Oid			nspid;
		Oid			relid;
		Relation	rel;
		MemoryContext old;
		List	   *changes;
		ObjectModel **indexes;
		int			nindexes;

		/* a model read from the registry may name no table of a user schema */
		reject_unmodelable_schema(model->schema);
		reject_extension_relation(model->schema, model->table, false);
		if (!exists[i])
		{
			Change	   *change = make_change(quoted_name(model->schema, model->table),
											 "table_missing",
											 quoted_name(model->schema, model->table),
											 model->definition, NULL, true);
			ListCell   *lc;

			foreach(lc, run->creation)
			{
				DDLStep    *step = lfirst(lc);

				/* a schema's creation goes with its first missing table */
				if (creates_table(step, model, i) ||
					(step->kind == DDL_CREATE_SCHEMA && strcmp(step->schema, model->schema) == 0 &&
					 !list_member(schemas_reported, makeString(model->schema))))
					change->steps = lappend(change->steps, step);
			}
			schemas_reported = lappend(schemas_reported, makeString(model->schema));
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
		indexes = indexes_of(&ti, model->schema, model->table, &nindexes);
		changes = table_drift(models, nmodels, i, rel, indexes, nindexes);
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
drift_run(DriftRun *run, const Selection *sel)
{
	run->sel = *sel;
	while (!drift_pass(run))
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

	/*
	 * A missing table's change holds its creation steps (indexes, comments,
	 * sequence owners too): they run once, in the creation order.
	 */
	foreach(lc, run->creation)
		((DDLStep *) lfirst(lc))->in_creation = true;
	foreach(lc, run->changes)
	{
		Change	   *change = lfirst(lc);
		ListCell   *sc;

		foreach(sc, change->steps)
		{
			DDLStep    *step = lfirst(sc);

			if (step->phase == PHASE_CREATE || step->in_creation)
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

/*
 * What a run's changes concern: the table models with a change (and the
 * models of their indexes), and the other models with a change; in the
 * run's order.
 */
void
drifted_selection(DriftRun *run, Selection *drifted)
{
	bool	   *table_changed = palloc0(sizeof(bool) * (run->sel.nmodels + 1));
	ListCell   *lc;
	int			i;

	drifted->models = palloc(sizeof(Model *) * (run->sel.nmodels + 1));
	drifted->objects = palloc(sizeof(ObjectModel *) * (run->sel.nobjects + 1));
	drifted->nmodels = drifted->nobjects = 0;
	foreach(lc, run->changes)
	{
		Change	   *change = lfirst(lc);
		ListCell   *sc;

		foreach(sc, change->steps)
		{
			int			m = ((DDLStep *) lfirst(sc))->model;

			if (m >= 0)
				table_changed[m] = true;
		}
		/* a change no statement makes (a partition key) is its table's too */
		if (change->steps == NIL && change->of_object == NULL)
		{
			for (i = 0; i < run->sel.nmodels; i++)
			{
				if (strcmp(change->table, quoted_name(run->sel.models[i]->schema,
													  run->sel.models[i]->table)) == 0)
					table_changed[i] = true;
			}
		}
	}
	for (i = 0; i < run->sel.nmodels; i++)
	{
		if (table_changed[i])
			drifted->models[drifted->nmodels++] = run->sel.models[i];
	}
	for (i = 0; i < run->sel.nobjects; i++)
	{
		ObjectModel *obj = run->sel.objects[i];
		bool		keep = false;

		if (obj->kind == OBJECT_KIND_INDEX)
			keep = model_index(drifted->models, drifted->nmodels, obj->table_schema,
							   obj->table_name) >= 0;
		else
		{
			foreach(lc, run->changes)
			{
				if (((Change *) lfirst(lc))->of_object == obj)
					keep = true;
			}
		}
		if (keep)
			drifted->objects[drifted->nobjects++] = obj;
	}
}

/*
 * The number of differences between a selection (a table model read with
 * its shape, and the models of its indexes) and the catalogs; for
 * provision_table().
 */
int
selection_drift_count(const Selection *sel)
{
	DriftRun	run;

	drift_run(&run, sel);
	return list_length(run.changes);
}
