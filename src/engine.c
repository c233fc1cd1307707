/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  The provisioning run: which schemas and tables of models are
 *	  missing, the locks taken before creating them, and the plan that
 *	  creates them in dependency order.
 *
 * A run takes models, finds with catalog-cache lookups which schemas and
 * tables are missing, and if none are, returns having run no query and
 * taken no lock: the no-op path of every deploy.  Otherwise it locks the
 * missing names (lock.c), checks again, and creates what is still missing
 * in foreign-key dependency order (order.c), adding the foreign keys that
 * close a cycle once all tables exist.  Each statement runs as the
 * declarer of its model (ddl.c, trust.c); a missing schema is created by
 * the declarer of the first model (in name order) that needs it.
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "utils/builtins.h"

#include "catalog.h"
#include "ddl.h"
#include "lock.h"
#include "name.h"
#include "order.h"
#include "registry.h"

/*
 * Create schema unless it exists, as the caller, owned by owner (NULL: the
 * caller); true if this call created it.
 */
bool
provision_one_schema(const char *schema, const char *owner)
{
	if (OidIsValid(lookup_schema(schema)))
		return false;
	lock_schema_name(schema);
	do
	{
		if (OidIsValid(lookup_schema(schema)))
			return false;
	} while (wait_for_uncommitted_schema(schema));
	run_step(ddl_create_schema(schema, owner, NULL, NULL), NULL);
	return true;
}

void
report_schema(const char *schema, bool created)
{
	if (created)
		ereport(NOTICE,
				(errmsg("schema \"%s\" created", schema)));
	else
		ereport(NOTICE,
				(errmsg("schema \"%s\" already exists, skipping", schema)));
}

/*
 * A model read from the registry must still name a table of a user schema
 * that is not the extension's own: checked before its table is created or
 * changed.
 */
void
check_model_names(const Model *model)
{
	reject_unmodelable_schema(model->schema);
	reject_extension_relation(model->schema, model->table, true);
}

/*
 * Which models' tables exist now; returns how many do not.
 */
int
find_existing(Model **models, int nmodels, bool *exists)
{
	Oid			nspid = InvalidOid;
	const char *nspname = NULL;
	int			nmissing = 0;
	int			i;

	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[i];

		if (nspname == NULL || strcmp(nspname, model->schema) != 0)
		{
			nspname = model->schema;
			nspid = lookup_schema(nspname);
		}
		exists[i] = OidIsValid(lookup_table(nspid, model->schema, model->table));
		if (!exists[i])
			nmissing++;
	}
	return nmissing;
}

/*
 * Wait for any other transaction still creating, without provision, a
 * missing schema or table of models; true if one was waited for (look
 * again).
 */
static bool
wait_for_uncommitted_creators(Model **models, int nmodels, const bool *exists)
{
	int			i;

	for (i = 0; i < nmodels; i++)
	{
		Oid			nspid;

		if (exists[i])
			continue;
		nspid = lookup_schema(models[i]->schema);
		if (!OidIsValid(nspid))
		{
			if (wait_for_uncommitted_schema(models[i]->schema))
				return true;
		}
		else if (wait_for_uncommitted_relation(nspid, models[i]->table))
			return true;
	}
	return false;
}

static int
table_name_cmp(const void *a, const void *b)
{
	const TableName *na = a;
	const TableName *nb = b;
	int			c = strcmp(na->schema, nb->schema);

	return c != 0 ? c : strcmp(na->table, nb->table);
}

/*
 * The names of the tables that provisioning or migrating models may create
 * or change, sorted in byte order, each once: the models' own (with
 * exists[], only the missing ones), the tables their foreign keys
 * reference, and those of the foreign keys that steps (DDLStep, or NIL)
 * drop.  Adding or dropping a foreign key locks the referenced table too;
 * two runs that each held one such table lock and waited for the other's
 * would deadlock, so their names are locked with the rest.
 */
List *
model_table_names(Model **models, int nmodels, const bool *exists, List *steps)
{
	TableName  *names;
	int			nnames = 0;
	int			allocated = list_length(steps) + 1;
	List	   *result = NIL;
	ListCell   *lc;
	int			i,
				k;

	for (i = 0; i < nmodels; i++)
		allocated += 1 + models[i]->nfkeys;
	names = palloc(sizeof(TableName) * allocated);
	for (i = 0; i < nmodels; i++)
	{
		if (exists != NULL && exists[i])
			continue;
		names[nnames].schema = models[i]->schema;
		names[nnames++].table = models[i]->table;
		for (k = 0; k < models[i]->nfkeys; k++)
		{
			names[nnames].schema = models[i]->fkeys[k].ref_schema;
			names[nnames++].table = models[i]->fkeys[k].ref_table;
		}
	}
	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);

		if (step->ref_schema == NULL)
			continue;
		names[nnames].schema = step->ref_schema;
		names[nnames++].table = step->ref_table;
	}

	qsort(names, nnames, sizeof(TableName), table_name_cmp);
	for (i = 0; i < nnames; i++)
	{
		if (i == 0 || table_name_cmp(&names[i - 1], &names[i]) != 0)
			result = lappend(result, &names[i]);
	}
	return result;
}

/*
 * Lock the names provisioning or migrating models may create or change:
 * every missing schema, then the tables of model_table_names(), each group
 * in name order (models[] is sorted by schema, then table): one fixed order,
 * so runs wait for each other instead of deadlocking.
 */
void
lock_model_names(Model **models, int nmodels, const bool *exists, List *steps)
{
	int			i;

	for (i = 0; i < nmodels; i++)
	{
		if ((i == 0 || strcmp(models[i - 1]->schema, models[i]->schema) != 0) &&
			!OidIsValid(lookup_schema(models[i]->schema)))
			lock_schema_name(models[i]->schema);
	}
	lock_table_names(model_table_names(models, nmodels, exists, steps));
}

/*
 * The statements that create what is missing: schemas, then tables in
 * dependency order, then the foreign keys that close cycles.  A foreign key
 * goes into CREATE TABLE unless its target is a model of this run that
 * does not exist before it in that order.  Returns a list of DDLStep.
 */
List *
creation_plan(Model **models, int nmodels, const int *order, const bool *exists)
{
	List	   *steps = NIL;
	List	   *deferred = NIL;
	bool	   *available = palloc(sizeof(bool) * (nmodels + 1));
	const char *last_schema = NULL;
	ListCell   *lc;
	int			i;

	/* models[] is sorted by schema: each schema is looked at once */
	for (i = 0; i < nmodels; i++)
	{
		available[i] = exists[i];
		if (exists[i] || (last_schema != NULL && strcmp(last_schema, models[i]->schema) == 0))
			continue;
		last_schema = models[i]->schema;
		if (!OidIsValid(lookup_schema(last_schema)))
		{
			/* created by the declarer of its first model */
			steps = lappend(steps, ddl_create_schema(last_schema, NULL,
													 models[i]->declared_by,
													 display_name(models[i]->schema,
																  models[i]->table)));
		}
	}

	for (i = 0; i < nmodels; i++)
	{
		int			m = order[i];
		Model	   *model = models[m];
		bool	   *inline_fkeys;
		int			f;

		if (exists[m])
			continue;
		inline_fkeys = palloc(sizeof(bool) * (model->nfkeys + 1));
		for (f = 0; f < model->nfkeys; f++)
		{
			ForeignKeyDef *fk = &model->fkeys[f];
			int			target = model_index(models, nmodels, fk->ref_schema, fk->ref_table);

			inline_fkeys[f] = target < 0 || target == m || available[target];
			if (!inline_fkeys[f])
				deferred = lappend(deferred, list_make2_int(m, f));
		}
		steps = lappend(steps, ddl_create_table(model, m, inline_fkeys));
		available[m] = true;
	}

	foreach(lc, deferred)
	{
		List	   *pair = lfirst(lc);
		Model	   *model = models[linitial_int(pair)];

		steps = lappend(steps, ddl_add_foreign_key(model, linitial_int(pair),
												   lsecond_int(pair)));
	}
	return steps;
}

/*
 * Provision models (sorted by schema, then table, in byte order).  Sets
 * created[i] for the models this call created, and returns the dependency
 * order in which results are reported.  With notices, reports each schema
 * and table; otherwise the caller reports a summary.  *nschemas counts the
 * schemas created.  With executed, appends each statement run to it.
 *
 * The no-op path (everything exists) makes catalog-cache lookups only: no
 * query, no lock.
 */
int *
provision_run(Model **models, int nmodels, bool notices, bool *created,
			  int *nschemas, List **executed)
{
	int		   *order = model_dependency_order(models, nmodels);
	bool	   *exists = palloc(sizeof(bool) * (nmodels + 1));
	List	   *steps;
	ListCell   *lc;
	int			i;

	*nschemas = 0;
	for (i = 0; i < nmodels; i++)
		created[i] = false;

	if (find_existing(models, nmodels, exists) > 0)
	{
		/*
		 * Lock what may be created, then look again: others may have made
		 * it, or be making it without provision (wait for them).
		 */
		lock_model_names(models, nmodels, exists, NIL);
		do
		{
			(void) find_existing(models, nmodels, exists);
		} while (wait_for_uncommitted_creators(models, nmodels, exists));
	}

	steps = creation_plan(models, nmodels, order, exists);
	for (i = 0; i < nmodels; i++)
	{
		if (!exists[i])
			check_model_names(models[i]);
	}
	check_steps_runnable(steps);
	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);

		run_step(step, executed);
		if (step->schema != NULL)
		{
			(*nschemas)++;
			if (notices)
				report_schema(step->schema, true);
		}
	}

	for (i = 0; i < nmodels; i++)
	{
		created[i] = !exists[i];
		if (!notices)
			continue;
		if (created[i])
			ereport(NOTICE,
					(errmsg("table \"%s\" created",
							display_name(models[i]->schema, models[i]->table))));
		else
			ereport(NOTICE,
					(errmsg("relation \"%s\" already exists, skipping",
							display_name(models[i]->schema, models[i]->table))));
	}
	return order;
}

