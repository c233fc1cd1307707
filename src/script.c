/*-------------------------------------------------------------------------
 *
 * script.c
 *	  SQL-callable functions of whole schemas: provision_load(),
 *	  provision_dump() and provision_capture_schema().
 *
 * The work is done in load.c (a script read as models), dump.c (models
 * written as a script) and capture.c (a schema read as models).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "load.h"
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

	foreach(lc, load_script(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1)))
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
