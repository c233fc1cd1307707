/*-------------------------------------------------------------------------
 *
 * script.c
 *	  SQL-callable functions of whole schemas: provision_load(),
 *	  provision_dump(), provision_capture_schema() and
 *	  provision_forget_object().
 *
 * The work is done in load.c (a script read as models), dump.c (models
 * written as a script) and capture.c (a schema read as models).
 * provision_forget_object() forgets a model of another kind than a table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "capture.h"
#include "catalog.h"
#include "dump.h"
#include "load.h"
#include "loadcache.h"
#include "name.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(provision_load);

/*
 * provision_load(script text, skip_unsupported boolean DEFAULT false)
 *	 RETURNS TABLE(kind text, object text, action text)
 *
 * Declares every object of a DDL script, in one call; needs the declare
 * right.  Statements provision does not model are an error (0A000), or,
 * with skip_unsupported, skipped with one NOTICE.
 */
Datum
provision_load(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *script;
	bool		skip_unsupported;
	char	   *digest;
	List	   *rows;
	List	   *skipped = NIL;
	ListCell   *lc;

	check_writable("provision_load()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("skip_unsupported must not be null")));
	registry_check_declare_right(false);
	provision_init_materialized_srf(fcinfo);

	script = text_to_cstring(PG_GETARG_TEXT_PP(0));
	skip_unsupported = PG_GETARG_BOOL(1);
	digest = load_digest(script, skip_unsupported);
	if (load_cache_hit(digest, &rows, &skipped))
	{
		if (skipped != NIL)
			load_report_skipped(skipped);
	}
	else
	{
		rows = load_script(script, skip_unsupported, NIL, NIL, &skipped);
		load_cache_remember(digest, rows, skipped);
	}
	foreach(lc, rows)
	{
		LoadRow    *row = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(row->kind);
		values[1] = CStringGetTextDatum(row->object);
		values[2] = CStringGetTextDatum(row->action);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(provision_dump);
PG_FUNCTION_INFO_V1(provision_capture_schema);
PG_FUNCTION_INFO_V1(provision_forget_object);

/*
 * provision_dump(schema_name text DEFAULT NULL) RETURNS text
 *
 * The declared models (of one schema; NULL: all) as one DDL script in
 * dependency order, which provision_load() reads back to the same models.
 */
Datum
provision_dump(PG_FUNCTION_ARGS)
{
	char	   *schema = NULL;
	Selection	all;
	Selection	sel;
	int			i;

	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (!PG_ARGISNULL(0))
		schema = parse_schema_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	all.models = registry_fetch_all(&all.nmodels, MODEL_SHAPE);
	all.objects = registry_fetch_objects(&all.nobjects, false);
	sel.models = palloc(sizeof(Model *) * (all.nmodels + 1));
	sel.objects = palloc(sizeof(ObjectModel *) * (all.nobjects + 1));
	sel.nmodels = sel.nobjects = 0;
	for (i = 0; i < all.nmodels; i++)
	{
		if (schema == NULL || strcmp(all.models[i]->schema, schema) == 0)
			sel.models[sel.nmodels++] = all.models[i];
	}
	for (i = 0; i < all.nobjects; i++)
	{
		if (schema == NULL || strcmp(all.objects[i]->schema, schema) == 0)
			sel.objects[sel.nobjects++] = all.objects[i];
	}
	PG_RETURN_TEXT_P(cstring_to_text(write_script(&sel)));
}

static void
return_load_rows(FunctionCallInfo fcinfo, List *rows)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	foreach(lc, rows)
	{
		LoadRow    *row = lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(row->kind);
		values[1] = CStringGetTextDatum(row->object);
		values[2] = CStringGetTextDatum(row->action);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * provision_capture_schema(schema_name text)
 *	 RETURNS TABLE(kind text, object text, action text)
 *
 * Declares, from the catalogs, the models of everything in a schema that
 * provision models.  Needs the declare right.
 */
Datum
provision_capture_schema(PG_FUNCTION_ARGS)
{
	char	   *schema;

	check_writable("provision_capture_schema()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("schema name must not be null")));
	schema = parse_schema_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	registry_check_declare_right(false);
	provision_init_materialized_srf(fcinfo);
	return_load_rows(fcinfo, capture_schema(schema));
	return (Datum) 0;
}

/*
 * provision_forget_object(kind text, object_name text) RETURNS boolean
 *
 * Removes the model of a schema, enum, domain, sequence or index; never
 * drops the object.  False if there was none.  Needs the declare right.
 */
Datum
provision_forget_object(PG_FUNCTION_ARGS)
{
	char	   *kind;
	char	   *schema;
	char	   *name;
	int			k;

	check_writable("provision_forget_object()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind and object name must not be null")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	for (k = 0; k < OBJECT_KIND_COUNT; k++)
	{
		if (strcmp(kind, object_kind_name((ObjectKind) k)) == 0)
			break;
	}
	if (k == OBJECT_KIND_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a kind of model", kind),
				 errhint("The kinds are schema, enum, domain, sequence and index; forget a table with provision_forget().")));
	if (k == OBJECT_KIND_SCHEMA)
		schema = name = parse_schema_name(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	else
		parse_table_name(text_to_cstring(PG_GETARG_TEXT_PP(1)), &schema, &name);
	registry_check_declare_right(true);
	PG_RETURN_BOOL(registry_delete_object((ObjectKind) k, schema, name));
}
