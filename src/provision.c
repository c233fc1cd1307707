/*-------------------------------------------------------------------------
 *
 * provision.c
 *	  SQL-callable functions that declare and provision models:
 *	  provision_schema(), provision_define(), provision_table(),
 *	  provision_all() and provision_forget(), and the module's settings.
 *
 * The work is done elsewhere: definitions in definition.c, the registry in
 * registry.c, the provisioning run in engine.c, drift in drift.c.
 *
 * Every function is SECURITY INVOKER and runs in the caller's transaction:
 * a rollback takes back every object and registry row it made.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "ddl.h"
#include "definition.h"
#include "drift.h"
#include "engine.h"
#include "name.h"
#include "objects.h"
#include "online.h"
#include "order.h"
#include "registry.h"
#include "relnames.h"

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
	online_define_settings();
	provision_mark_guc_prefix_reserved("provision");
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

	registry_check_declare_right(false);
	reject_extension_relation(schema, table, true);
	model = model_from_definition(schema, table, definition, NULL);
	check_relation_names(list_make1(model), NIL);
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

/* the index models of schema.table */
static ObjectModel **
table_indexes(const char *schema, const char *table, int *n)
{
	int			nobjects;
	ObjectModel **objects = registry_fetch_objects(&nobjects, false);
	ObjectModel **result = palloc(sizeof(ObjectModel *) * (nobjects + 1));
	int			i;

	*n = 0;
	for (i = 0; i < nobjects; i++)
	{
		if (objects[i]->kind == OBJECT_KIND_INDEX &&
			strcmp(objects[i]->table_schema, schema) == 0 &&
			strcmp(objects[i]->table_name, table) == 0)
			result[(*n)++] = objects[i];
	}
	return result;
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
	Selection	sel;
	bool		created;
	bool	   *obj_created;
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

	sel.models = &model;
	sel.nmodels = 1;
	sel.objects = table_indexes(schema, table, &sel.nobjects);
	obj_created = palloc(sizeof(bool) * (sel.nobjects + 1));
	(void) provision_run(&sel, true, &created, obj_created, &nschemas, NULL);
	if (created)
		PG_RETURN_TEXT_P(cstring_to_text("created"));

	/* it existed: does it still match its model? */
	ndrift = selection_drift_count(&sel);
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

/* "2 schemas, 1 enum, 3 indexes": what a run created besides tables */
static char *
created_objects_text(ObjectModel **objects, int nobjects, const bool *created, int nschemas)
{
	static const char *const singular[] = {"schema", "enum type", "domain", "sequence", "index"};
	static const char *const plural[] = {"schemas", "enum types", "domains", "sequences", "indexes"};
	int			counts[OBJECT_KIND_COUNT] = {0};
	StringInfoData buf;
	int			i;

	for (i = 0; i < nobjects; i++)
	{
		if (created[i] && objects[i]->kind != OBJECT_KIND_SCHEMA)
			counts[objects[i]->kind]++;
	}
	counts[OBJECT_KIND_SCHEMA] = nschemas;
	initStringInfo(&buf);
	for (i = 0; i < OBJECT_KIND_COUNT; i++)
	{
		if (counts[i] > 0)
			appendStringInfo(&buf, "%s%d %s", buf.len ? ", " : "", counts[i],
							 counts[i] == 1 ? singular[i] : plural[i]);
	}
	return buf.len ? buf.data : NULL;
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
	ObjectModel **objects;
	int			nobjects;
	Selection	sel;
	bool	   *exists;
	bool	   *created;
	bool	   *obj_created;
	int		   *order;
	int			ncreated = 0;
	int			nschemas;
	MemoryContext rowcxt;
	int			i;

	check_writable("provision_all()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	provision_init_materialized_srf(fcinfo);

	/*
	 * Names and references are all the no-op path needs; read definitions
	 * only when something is missing.
	 */
	models = registry_fetch_all(&nmodels, MODEL_NAMES);
	objects = registry_fetch_objects(&nobjects, true);
	exists = palloc(sizeof(bool) * (nmodels + 1));
	obj_created = palloc0(sizeof(bool) * (nobjects + 1));
	if (find_existing(models, nmodels, exists) == 0 &&
		find_existing_objects(objects, nobjects, obj_created) == 0)
	{
		/* everything exists: nothing to create */
		created = palloc0(sizeof(bool) * (nmodels + 1));
		obj_created = palloc0(sizeof(bool) * (nobjects + 1));
		order = model_dependency_order(models, nmodels);
		nschemas = 0;
	}
	else
	{
		sel.models = models = registry_fetch_all(&nmodels, MODEL_DEFINITION);
		sel.nmodels = nmodels;
		sel.objects = objects = registry_fetch_objects(&nobjects, false);
		sel.nobjects = nobjects;
		created = palloc(sizeof(bool) * (nmodels + 1));
		obj_created = palloc(sizeof(bool) * (nobjects + 1));
		order = provision_run(&sel, false, created, obj_created, &nschemas, NULL);
	}

	/*
	 * Each row is built in memory used again for the next: the tuplestore
	 * keeps its own copy, and ten thousand rows' worth of fresh memory costs
	 * more in page faults than the rest of the no-op path.
	 */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "provision_all row",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < nmodels; i++)
	{
		Model	   *model = models[order[i]];
		Datum		values[2];
		bool		nulls[2] = {false, false};
		MemoryContext caller = MemoryContextSwitchTo(rowcxt);

		values[0] = CStringGetTextDatum(quoted_name(model->schema, model->table));
		values[1] = CStringGetTextDatum(created[order[i]] ? "created" : "exists");
		if (created[order[i]])
			ncreated++;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(caller);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);

	if (nmodels == 0 && nobjects == 0)
		ereport(NOTICE,
				(errmsg("no models are declared"),
				 errhint("Declare tables with provision_define() or provision_table(), or a whole schema with provision_load().")));
	else
	{
		char	   *others = created_objects_text(objects, nobjects, obj_created, nschemas);

		if (others != NULL)
			ereport(NOTICE,
					(errmsg_plural("provisioned %d declared table: %d created, %d already existed",
								   "provisioned %d declared tables: %d created, %d already existed",
								   nmodels, nmodels, ncreated, nmodels - ncreated),
					 errdetail("Also created: %s.", others)));
		else
			ereport(NOTICE,
					(errmsg_plural("provisioned %d declared table: %d created, %d already existed",
								   "provisioned %d declared tables: %d created, %d already existed",
								   nmodels, nmodels, ncreated, nmodels - ncreated)));
	}
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
	registry_check_declare_right(true);
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
