/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  The SQL-callable procedure of online migrations: provision_apply().
 *
 * The work is done in online.c (running the steps), onlineplan.c
 * (planning them), backfill.c, worker.c and txn.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "migrate.h"
#include "name.h"
#include "online.h"
#include "registry.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(provision_apply);

/*
 * provision_apply(table_name text DEFAULT NULL,
 *				   allow_destructive boolean DEFAULT false)
 *	 a procedure: CALL provision_apply()
 *
 * Brings one table (NULL: every declared model) in line with its model
 * online: each step in a transaction of its own, none blocking readers or
 * writers longer than a catalog update.  Not inside a transaction block
 * (25001): provision_migrate() is the transactional path.
 */
Datum
provision_apply(PG_FUNCTION_ARGS)
{
	CallContext *call = (CallContext *) fcinfo->context;
	MemoryContext cxt;
	MemoryContext old;
	Selection	sel;
	bool		allow_destructive;

	if (call == NULL || !IsA(call, CallContext) || call->atomic)
	{
		if (IsTransactionBlock())
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("provision_apply() cannot run inside a transaction block"),
					 errdetail("It commits after every step, so that no step holds a lock longer than it needs it."),
					 errhint("CALL it on its own, or use provision_migrate(), which applies the models in the caller's transaction.")));
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("provision_apply() cannot be executed from a function"),
				 errdetail("It commits after every step, so that no step holds a lock longer than it needs it."),
				 errhint("CALL it on its own, or use provision_migrate(), which applies the models in the caller's transaction.")));
	}
	check_writable("provision_apply()");
	registry_use_schema_of(fcinfo->flinfo->fn_oid);
	worker_use_library_of(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("allow_destructive must not be null")));
	allow_destructive = PG_GETARG_BOOL(1);

	/* what the call keeps across its commits */
	cxt = AllocSetContextCreate(PortalContext ? PortalContext : TopMemoryContext,
								"provision_apply", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	selected_models(fcinfo, 0, &sel);
	online_apply(&sel, allow_destructive);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_VOID();
}
