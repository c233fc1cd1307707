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
#include "objects.h"
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
model_table_names(Model **models, int nmodels, const bool *exists, List *steps,
				  ObjectModel **objects, int nobjects, const bool *obj_exists)
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
	allocated += nobjects;
	names = palloc(sizeof(TableName) * allocated);
	for (i = 0; i < nobjects; i++)
	{
		/* an object's name, where provisioning may create it */
		if (obj_exists[i] || objects[i]->kind == OBJECT_KIND_SCHEMA)
			continue;
		names[nnames].schema = objects[i]->schema;
		names[nnames++].table = objects[i]->name;
	}
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
		allocated += 2;
	names = repalloc(names, sizeof(TableName) * allocated);
	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);

		/* what a step changes, and the table its foreign key references */
		if (step->target_name != NULL)
		{
			names[nnames].schema = step->target_schema;
			names[nnames++].table = step->target_name;
		}
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

static int
string_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Lock the names provisioning or migrating may create or change: every
 * missing schema, then the names of model_table_names(), each group in
 * name order: one fixed order, so runs wait for each other instead of
 * deadlocking.
 */
void
lock_model_names(Model **models, int nmodels, const bool *exists, List *steps,
				 ObjectModel **objects, int nobjects, const bool *obj_exists)
{
	const char **schemas = palloc(sizeof(char *) * (nmodels + nobjects + 1));
	int			n = 0;
	int			i;

	for (i = 0; i < nmodels; i++)
		schemas[n++] = models[i]->schema;
	for (i = 0; i < nobjects; i++)
	{
		if (!obj_exists[i])
			schemas[n++] = objects[i]->schema;
	}
	qsort(schemas, n, sizeof(char *), string_ptr_cmp);
	for (i = 0; i < n; i++)
	{
		if ((i == 0 || strcmp(schemas[i - 1], schemas[i]) != 0) &&
			!OidIsValid(lookup_schema(schemas[i])))
			lock_schema_name(schemas[i]);
	}
	lock_table_names(model_table_names(models, nmodels, exists, steps,
									   objects, nobjects, obj_exists));
}

/* whether schema is in schemas (a List of String) */
static bool
schema_listed(List *schemas, const char *schema)
{
	ListCell   *lc;

	foreach(lc, schemas)
	{
		if (strcmp(strVal(lfirst(lc)), schema) == 0)
			return true;
	}
	return false;
}

/*
 * CREATE SCHEMA for schema unless it exists or is planned (listed in
 * *planned): as the declarer of its schema model, or of the first model
 * that needs it.
 */
static List *
plan_schema(List *steps, List **planned, const char *schema, const char *run_as,
			const char *model_name)
{
	if (schema_listed(*planned, schema) || OidIsValid(lookup_schema(schema)))
		return steps;
	*planned = lappend(*planned, makeString((char *) schema));
	return lappend(steps, ddl_create_schema(schema, NULL, run_as, model_name));
}

/*
 * Whether domain d's base type is another domain of the selection that is
 * still to be created (so d must wait for it).
 */
static bool
waits_for_domain(const Selection *sel, const bool *obj_created, int d)
{
	const char *base = sel->objects[d]->attrs[0];
	int			i;

	for (i = 0; i < sel->nobjects; i++)
	{
		ObjectModel *other = sel->objects[i];
		char	   *name;

		if (i == d || other->kind != OBJECT_KIND_DOMAIN || obj_created[i])
			continue;
		name = quoted_name(other->schema, other->name);
		if (strcmp(base, name) == 0 ||
			(strncmp(base, name, strlen(name)) == 0 && base[strlen(name)] == '['))
			return true;
	}
	return false;
}

/*
 * The statements that create what is missing: schemas; enum types,
 * domains (those another domain is over first) and sequences; tables in
 * dependency order (parents before their partitions, referenced tables
 * before the tables that reference them); the foreign keys that close
 * cycles; indexes; sequences' owners; comments.  A foreign key goes into
 * CREATE TABLE unless its target is a model of this run that does not
 * exist before it in that order.  Returns a list of DDLStep.
 */
List *
creation_plan(const Selection *sel, const int *order, const bool *exists,
			  const bool *obj_exists)
{
	Model	  **models = sel->models;
	int			nmodels = sel->nmodels;
	List	   *steps = NIL;
	List	   *deferred = NIL;
	List	   *schemas = NIL;
	bool	   *available = palloc(sizeof(bool) * (nmodels + 1));
	bool	   *obj_done = palloc0(sizeof(bool) * (sel->nobjects + 1));
	bool		progress;
	ListCell   *lc;
	int			i;

	/* schemas: the declared ones, then those missing models need */
	for (i = 0; i < sel->nobjects; i++)
	{
		ObjectModel *obj = sel->objects[i];

		if (obj->kind == OBJECT_KIND_SCHEMA && !obj_exists[i])
		{
			steps = plan_schema(steps, &schemas, obj->schema, obj->declared_by, obj->schema);
			steps = list_concat(steps, list_delete_first(object_create_steps(obj)));
		}
	}
	for (i = 0; i < nmodels; i++)
	{
		available[i] = exists[i];
		if (!exists[i])
			steps = plan_schema(steps, &schemas, models[i]->schema, models[i]->declared_by,
								display_name(models[i]->schema, models[i]->table));
	}
	for (i = 0; i < sel->nobjects; i++)
	{
		ObjectModel *obj = sel->objects[i];

		if (!obj_exists[i] && obj->kind != OBJECT_KIND_SCHEMA)
			steps = plan_schema(steps, &schemas, obj->schema, obj->declared_by,
								display_name(obj->schema, obj->name));
	}

	/* types and sequences, domains over other domains after them */
	for (i = 0; i < sel->nobjects; i++)
		obj_done[i] = obj_exists[i] || sel->objects[i]->kind == OBJECT_KIND_SCHEMA ||
			sel->objects[i]->kind == OBJECT_KIND_INDEX;
	do
	{
		progress = false;
		for (i = 0; i < sel->nobjects; i++)
		{
			if (obj_done[i] ||
				(sel->objects[i]->kind == OBJECT_KIND_DOMAIN &&
				 waits_for_domain(sel, obj_done, i)))
				continue;
			steps = list_concat(steps, object_create_steps(sel->objects[i]));
			obj_done[i] = progress = true;
		}
	} while (progress);
	for (i = 0; i < sel->nobjects; i++)
	{
		/* a cycle of domains: left to CREATE DOMAIN to report */
		if (!obj_done[i])
			steps = list_concat(steps, object_create_steps(sel->objects[i]));
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

	/* indexes, the owners of new sequences, comments of new tables */
	for (i = 0; i < sel->nobjects; i++)
	{
		if (!obj_exists[i] && sel->objects[i]->kind == OBJECT_KIND_INDEX)
			steps = list_concat(steps, object_create_steps(sel->objects[i]));
	}
	for (i = 0; i < sel->nobjects; i++)
	{
		if (!obj_exists[i] && sel->objects[i]->kind == OBJECT_KIND_SEQUENCE)
			steps = list_concat(steps, sequence_owner_steps(sel->objects[i]));
	}
	for (i = 0; i < nmodels; i++)
	{
		if (!exists[order[i]])
			steps = list_concat(steps, table_comment_steps(models[order[i]]));
	}
	return steps;
}

/*
 * COMMENT ON the table and columns of model, as a newly created table
 * gets them.
 */
List *
table_comment_steps(const Model *model)
{
	List	   *steps = NIL;
	char	   *comment;
	int			ncolumns;
	char	  **names;
	char	  **comments;
	const char *model_name = display_name(model->schema, model->table);
	int			i;

	model_comments(model, &comment, &ncolumns, &names, &comments);
	if (comment[0] != '\0')
		steps = lappend(steps, ddl_comment(OBJECT_TABLE, model->schema, model->table, NULL,
										   comment, model_name, model->declared_by));
	for (i = 0; i < ncolumns; i++)
	{
		if (comments[i][0] != '\0')
			steps = lappend(steps, ddl_comment(OBJECT_COLUMN, model->schema, model->table,
											   names[i], comments[i], model_name,
											   model->declared_by));
	}
	return steps;
}

/*
 * Which models of other kinds exist now; returns how many do not.
 */
int
find_existing_objects(ObjectModel **objects, int nobjects, bool *exists)
{
	int			nmissing = 0;
	int			i;

	for (i = 0; i < nobjects; i++)
	{
		exists[i] = OidIsValid(object_lookup(objects[i]));
		if (!exists[i])
			nmissing++;
	}
	return nmissing;
}

/* wait for plain DDL in flight creating a missing object; true: look again */
static bool
wait_for_uncommitted_objects(ObjectModel **objects, int nobjects, const bool *exists)
{
	int			i;

	for (i = 0; i < nobjects; i++)
	{
		Oid			nspid;

		if (exists[i])
			continue;
		nspid = lookup_schema(objects[i]->schema);
		if (!OidIsValid(nspid))
		{
			if (wait_for_uncommitted_schema(objects[i]->schema))
				return true;
		}
		else if (objects[i]->kind != OBJECT_KIND_SCHEMA &&
				 wait_for_uncommitted_relation(nspid, objects[i]->name))
			return true;
	}
	return false;
}

/*
 * Provision a selection: models (sorted by schema, then table, in byte
 * order) and models of other kinds (registry order).  Sets created[i] for
 * the tables and obj_created[i] for the objects this call created, and
 * returns the dependency order in which tables are reported.  With
 * notices, reports each schema and table; otherwise the caller reports a
 * summary.  *nschemas counts the schemas created.  With executed, appends
 * each statement run to it.
 *
 * The no-op path (everything exists) makes catalog-cache lookups only: no
 * query, no lock.
 */
int *
provision_run(const Selection *sel, bool notices, bool *created, bool *obj_created,
			  int *nschemas, List **executed)
{
	Model	  **models = sel->models;
	int			nmodels = sel->nmodels;
	int		   *order = model_dependency_order(models, nmodels);
	bool	   *exists = palloc(sizeof(bool) * (nmodels + 1));
	bool	   *obj_exists = palloc(sizeof(bool) * (sel->nobjects + 1));
	List	   *steps;
	List	   *parsed;
	ListCell   *lc;
	ListCell   *lp;
	int			i;

	*nschemas = 0;
	for (i = 0; i < nmodels; i++)
		created[i] = false;

	if (find_existing(models, nmodels, exists) +
		find_existing_objects(sel->objects, sel->nobjects, obj_exists) > 0)
	{
		/*
		 * Lock what may be created, then look again: others may have made
		 * it, or be making it without provision (wait for them).
		 */
		lock_model_names(models, nmodels, exists, NIL, sel->objects, sel->nobjects,
						 obj_exists);
		do
		{
			(void) find_existing(models, nmodels, exists);
			(void) find_existing_objects(sel->objects, sel->nobjects, obj_exists);
		} while (wait_for_uncommitted_creators(models, nmodels, exists) ||
				 wait_for_uncommitted_objects(sel->objects, sel->nobjects, obj_exists));
	}

	steps = creation_plan(sel, order, exists, obj_exists);
	for (i = 0; i < nmodels; i++)
	{
		if (!exists[i])
			check_model_names(models[i]);
	}
	check_steps_runnable(steps);
	parsed = parse_steps(steps);
	forboth(lc, steps, lp, parsed)
	{
		DDLStep    *step = lfirst(lc);

		run_parsed_step(step, lfirst(lp), executed);
		if (step->schema != NULL)
		{
			(*nschemas)++;
			if (notices)
				report_schema(step->schema, true);
		}
	}

	for (i = 0; i < sel->nobjects; i++)
		obj_created[i] = !obj_exists[i];
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
