/*-------------------------------------------------------------------------
 *
 * shadow.c
 *	  The two row triggers an online migration puts on a table while it
 *	  fills a column: provision_shadow_copy() and provision_fill_default().
 *
 * provision_shadow_copy(source, shadow), BEFORE INSERT OR UPDATE FOR EACH
 * ROW: sets the shadow column to the source column's value converted to
 * the shadow's type (an integer widened to bigint), so that every row a
 * writer touches while the shadow is backfilled in batches is already
 * right, and the swap finds the two columns equal.
 *
 * provision_fill_default(column), BEFORE UPDATE FOR EACH ROW: a row that
 * had no value in a column just added with a volatile default, and still
 * has none, gets the column's default, exactly as the backfill gives it to
 * the rows it reaches; so a row updated by a writer (and perhaps moved to a
 * page the backfill has passed) is never left without it.
 *
 * Both run as whoever writes the row, like a column default; they run no
 * SQL and evaluate nothing but the cast and the column's own default.  A
 * trigger whose columns are gone (an interrupted migration cleaned up by
 * hand) does nothing.  They are created only by online migrations, by the
 * model's declarer, and reported by provision_diff() until removed (see
 * helper.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(provision_shadow_copy);
PG_FUNCTION_INFO_V1(provision_fill_default);

/* what a trigger call needs, kept for the rest of the statement */
typedef struct TriggerCache
{
	Oid			relid;
	TupleDesc	tupdesc;		/* the descriptor the attnums were read from */
	bool		resolved;		/* the fields below are set */
	AttrNumber	source;			/* the column read (InvalidAttrNumber: gone) */
	AttrNumber	target;			/* the column written */
	/* provision_shadow_copy */
	bool		relabel;		/* same representation: copy as is */
	FmgrInfo	cast;			/* else the cast function */
	/* provision_fill_default */
	ExprState  *default_state;	/* the column's default, ready to evaluate */
	EState	   *estate;
} TriggerCache;

static TriggerData *
row_trigger_data(FunctionCallInfo fcinfo, const char *funcname, int nargs)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", funcname)));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		trigdata->tg_trigger->tgnargs != nargs)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE, FOR EACH ROW, with %d arguments",
						funcname, nargs)));
	return trigdata;
}

/* a column of the trigger's table by name, InvalidAttrNumber when it is gone */
static AttrNumber
column_number(TupleDesc tupdesc, const char *name)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/*
 * The cache of this call site, made anew when the table's descriptor is
 * not the one it was made for.
 */
static TriggerCache *
trigger_cache(FunctionCallInfo fcinfo, Relation rel)
{
	TriggerCache *cache = fcinfo->flinfo->fn_extra;

	if (cache != NULL && cache->relid == RelationGetRelid(rel) &&
		cache->tupdesc == RelationGetDescr(rel))
		return cache;
	if (cache != NULL && cache->estate != NULL)
		FreeExecutorState(cache->estate);
	cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TriggerCache));
	cache->relid = RelationGetRelid(rel);
	cache->tupdesc = RelationGetDescr(rel);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/*
 * provision_shadow_copy() RETURNS trigger
 *	 arguments: source column, shadow column
 */
Datum
provision_shadow_copy(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = row_trigger_data(fcinfo, "provision_shadow_copy", 2);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	TriggerCache *cache = trigger_cache(fcinfo, rel);
	Datum		value;
	bool		isnull;
	int			column;

	if (!cache->resolved)
	{
		char	  **args = trigdata->tg_trigger->tgargs;

		cache->resolved = true;
		cache->source = column_number(tupdesc, args[0]);
		cache->target = column_number(tupdesc, args[1]);
		if (cache->source != InvalidAttrNumber && cache->target != InvalidAttrNumber)
		{
			Oid			from = TupleDescAttr(tupdesc, cache->source - 1)->atttypid;
			Oid			to = TupleDescAttr(tupdesc, cache->target - 1)->atttypid;
			Oid			funcid = InvalidOid;
			CoercionPathType path = from == to ? COERCION_PATH_RELABELTYPE :
				find_coercion_pathway(to, from, COERCION_ASSIGNMENT, &funcid);

			if (path == COERCION_PATH_RELABELTYPE)
				cache->relabel = true;
			else if (path == COERCION_PATH_FUNC && OidIsValid(funcid))
				fmgr_info_cxt(funcid, &cache->cast, fcinfo->flinfo->fn_mcxt);
			else
				ereport(ERROR,
						(errcode(ERRCODE_CANNOT_COERCE),
						 errmsg("cannot copy column \"%s\" of type %s into column \"%s\" of type %s",
								args[0], format_type_be(from), args[1], format_type_be(to))));
		}
	}
	if (cache->source == InvalidAttrNumber || cache->target == InvalidAttrNumber)
		return PointerGetDatum(tuple);	/* what it served is gone */

	value = heap_getattr(tuple, cache->source, tupdesc, &isnull);
	if (!isnull && !cache->relabel)
		value = FunctionCall1(&cache->cast, value);
	column = cache->target;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, tupdesc, 1, &column,
													 &value, &isnull));
}

/*
 * provision_fill_default() RETURNS trigger
 *	 argument: the column
 */
Datum
provision_fill_default(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = row_trigger_data(fcinfo, "provision_fill_default", 1);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	TriggerCache *cache = trigger_cache(fcinfo, rel);
	HeapTuple	newtuple;
	Datum		value;
	bool		isnull;
	int			column;

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_trigtuple);
	newtuple = trigdata->tg_newtuple;
	if (!cache->resolved)
	{
		cache->resolved = true;
		cache->target = column_number(tupdesc, trigdata->tg_trigger->tgargs[0]);
		if (cache->target != InvalidAttrNumber)
		{
			Node	   *expr = build_column_default(rel, cache->target);
			MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			/* kept for the statement, not the row */
			cache->estate = CreateExecutorState();
			if (expr != NULL)
			{
				MemoryContextSwitchTo(cache->estate->es_query_cxt);
				cache->default_state = ExecPrepareExpr(expression_planner((Expr *) expr),
													   cache->estate);
			}
			MemoryContextSwitchTo(old);
		}
	}
	if (cache->target == InvalidAttrNumber || cache->default_state == NULL)
		return PointerGetDatum(newtuple);	/* the column or its default is gone */

	/* only a row that had no value and is given none */
	(void) heap_getattr(newtuple, cache->target, tupdesc, &isnull);
	if (!isnull)
		return PointerGetDatum(newtuple);
	(void) heap_getattr(trigdata->tg_trigtuple, cache->target, tupdesc, &isnull);
	if (!isnull)
		return PointerGetDatum(newtuple);

	value = ExecEvalExprSwitchContext(cache->default_state,
									  GetPerTupleExprContext(cache->estate), &isnull);
	column = cache->target;
	newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &column, &value, &isnull);
	ResetPerTupleExprContext(cache->estate);
	return PointerGetDatum(newtuple);
}
