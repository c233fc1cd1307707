/*-------------------------------------------------------------------------
 *
 * provision.c
 *	  SQL-callable functions of the provision extension, and the
 *	  provisioning run they share.
 *
 * A run takes models, finds with catalog-cache lookups which schemas and
 * tables are missing, and if none are, returns having run no query and
 * taken no lock: the no-op path of every deploy.  Otherwise it locks the
 * missing names (lock.c), checks again, and creates what is still missing
 * in foreign-key dependency order (order.c), adding the foreign keys that
 * close a cycle once all tables exist.
 *
 * Every function is SECURITY INVOKER and runs in the caller's transaction:
 * a rollback takes back every object and registry row it made.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(provision_schema);
PG_FUNCTION_INFO_V1(provision_define);
PG_FUNCTION_INFO_V1(provision_table);
PG_FUNCTION_INFO_V1(provision_all);
PG_FUNCTION_INFO_V1(provision_forget);

void
_PG_init(void)
{
	DefineCustomIntVariable("provision.lock_timeout",
							"Longest wait for a lock by DDL that provision runs.",
							"A migration waiting behind a long transaction blocks every later query on its table; past this it fails with 55P03 instead, having changed nothing. Zero waits forever.",
							&provision_lock_timeout,
							5000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	provision_reserve_guc_prefix("provision");
}

/*
 * A text argument that must be neither NULL (22004) nor empty (22023).
 */
static char *
required_text_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	return value;
}

/*
 * Create schema unless it exists; true if this call created it.
 */
static bool
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
	run_ddl(quote_identifier(schema), ddl_create_schema_sql(schema, owner), NULL);
	return true;
}

static void
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
			DDLStep    *step = make_step(quote_identifier(last_schema), -1, PHASE_CREATE,
										 ddl_create_schema_sql(last_schema, NULL));

			step->schema = last_schema;
			steps = lappend(steps, step);
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
		steps = lappend(steps, make_step(quoted_name(model->schema, model->table), m,
										 PHASE_CREATE,
										 ddl_create_table_sql(model, inline_fkeys)));
		available[m] = true;
	}

	foreach(lc, deferred)
	{
		List	   *pair = lfirst(lc);
		Model	   *model = models[linitial_int(pair)];

		steps = lappend(steps, make_step(quoted_name(model->schema, model->table),
										 linitial_int(pair), PHASE_CREATE,
										 ddl_add_foreign_key_sql(model, lsecond_int(pair))));
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
	foreach(lc, steps)
	{
		DDLStep    *step = lfirst(lc);

		run_ddl(step->table, step->sql, executed);
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

/*
 * provision_schema(schema_name text, owner name DEFAULT NULL) RETURNS text
 *
 * Creates the schema unless it exists, owned by owner when given (NULL: the
 * caller).  Returns 'created' or 'exists'.
 */
Datum
provision_schema(PG_FUNCTION_ARGS)
{
	char	   *schema;
	char	   *owner = NULL;
	bool		created;

	check_writable("provision_schema()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	schema = parse_schema_name(required_text_arg(fcinfo, 0, "schema name"));
	if (!PG_ARGISNULL(1))
	{
		owner = NameStr(*PG_GETARG_NAME(1));
		if (owner[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("owner must not be empty"),
					 errhint("Pass NULL to make the calling role the owner.")));
		(void) get_role_oid(owner, false);
	}

	created = provision_one_schema(schema, owner);
	report_schema(schema, created);
	PG_RETURN_TEXT_P(cstring_to_text(created ? "created" : "exists"));
}

static Model *
define_model(const char *schema, const char *table, const char *definition)
{
	Model	   *model;

	registry_check_right(ACL_INSERT);
	registry_check_right(ACL_UPDATE);
	model = model_from_definition(schema, table, definition);
	registry_store(model);
	return model;
}

/*
 * provision_define(table_name text, definition text) RETURNS void
 *
 * Declares or replaces the model of a table.  Needs the declare right.
 */
Datum
provision_define(PG_FUNCTION_ARGS)
{
	char	   *schema;
	char	   *table;
	char	   *definition;

	check_writable("provision_define()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	parse_table_name(required_text_arg(fcinfo, 0, "table name"), &schema, &table);
	definition = required_text_arg(fcinfo, 1, "table definition");
	(void) define_model(schema, table, definition);
	PG_RETURN_VOID();
}

/*
 * provision_table(table_name text, definition text DEFAULT NULL) RETURNS text
 *
 * With a definition, declares the model first; then creates the table (and
 * its schema) unless it exists.  NULL definition: use the declared model.
 * Returns 'created', 'exists', or 'drifted' (with a WARNING) when the table
 * exists but differs from the model; it never changes an existing table.
 */
Datum
provision_table(PG_FUNCTION_ARGS)
{
	char	   *schema;
	char	   *table;
	Model	   *model;
	bool		created;
	int			nschemas;
	int			ndrift;

	check_writable("provision_table()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	parse_table_name(required_text_arg(fcinfo, 0, "table name"), &schema, &table);

	if (!PG_ARGISNULL(1))
		model = define_model(schema, table,
							 required_text_arg(fcinfo, 1, "table definition"));
	else
	{
		model = registry_fetch(schema, table, MODEL_SHAPE);
		if (model == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no model is declared for table \"%s\"",
							display_name(schema, table)),
					 errhint("Declare it with provision_define(), or pass its definition to provision_table().")));
	}

	(void) provision_run(&model, 1, true, &created, &nschemas, NULL);
	if (created)
		PG_RETURN_TEXT_P(cstring_to_text("created"));

	/* it existed: does it still match its model? */
	ndrift = model_drift_count(model);
	if (ndrift > 0)
	{
		ereport(WARNING,
				(errmsg_plural("table \"%s\" differs from its model in %d way",
							   "table \"%s\" differs from its model in %d ways",
							   ndrift, display_name(schema, table), ndrift),
				 errhint("See SELECT * FROM provision_diff(%s); provision_migrate() applies the model.",
						 quote_literal_cstr(quoted_name(schema, table)))));
		PG_RETURN_TEXT_P(cstring_to_text("drifted"));
	}
	PG_RETURN_TEXT_P(cstring_to_text("exists"));
}

/*
 * provision_all() RETURNS TABLE(table_name text, action text)
 *
 * create_all(): provisions every declared model, one row each in
 * dependency order, and reports one summary NOTICE.
 */
Datum
provision_all(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Model	  **models;
	int			nmodels;
	bool	   *exists;
	bool	   *created;
	int		   *order;
	int			ncreated = 0;
	int			nschemas;
	int			i;

	check_writable("provision_all()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	provision_init_materialized_srf(fcinfo);

	/*
	 * Names and references are all the no-op path needs; read definitions
	 * only when something is missing.
	 */
	models = registry_fetch_all(&nmodels, MODEL_NAMES);
	exists = palloc(sizeof(bool) * (nmodels + 1));
	if (find_existing(models, nmodels, exists) == 0)
	{
		/* every table exists: nothing to create */
		created = palloc0(sizeof(bool) * (nmodels + 1));
		order = model_dependency_order(models, nmodels);
		nschemas = 0;
	}
	else
	{
		models = registry_fetch_all(&nmodels, MODEL_DEFINITION);
		created = palloc(sizeof(bool) * (nmodels + 1));
		order = provision_run(models, nmodels, false, created, &nschemas, NULL);
	}

	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[order[i]];
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(quoted_name(model->schema, model->table));
		values[1] = CStringGetTextDatum(created[order[i]] ? "created" : "exists");
		if (created[order[i]])
			ncreated++;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	if (nmodels == 0)
		ereport(NOTICE,
				(errmsg("no models are declared"),
				 errhint("Declare tables with provision_define() or provision_table().")));
	else if (nschemas > 0)
		ereport(NOTICE,
				(errmsg("provisioned %d declared tables: %d created, %d already existed",
						nmodels, ncreated, nmodels - ncreated),
				 errdetail_plural("%d schema was created.", "%d schemas were created.",
								  nschemas, nschemas)));
	else
		ereport(NOTICE,
				(errmsg("provisioned %d declared tables: %d created, %d already existed",
						nmodels, ncreated, nmodels - ncreated)));
	return (Datum) 0;
}

/*
 * provision_forget(table_name text) RETURNS boolean
 *
 * Removes the model of a table; never drops the table.  Returns false when
 * no model was declared.  Needs the declare right.
 */
Datum
provision_forget(PG_FUNCTION_ARGS)
{
	char	   *schema;
	char	   *table;

	check_writable("provision_forget()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	parse_table_name(required_text_arg(fcinfo, 0, "table name"), &schema, &table);
	registry_check_right(ACL_DELETE);
	PG_RETURN_BOOL(registry_delete(schema, table));
}

#ifdef PROVISION_NEEDS_SRF_SHIM
/* InitMaterializedSRF(fcinfo, 0) for servers before 15 */
void
provision_init_materialized_srf(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize) || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(rsinfo->expectedDesc);
	MemoryContextSwitchTo(old);
}
#endif
