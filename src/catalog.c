/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Existence checks through the catalog caches, the guard against
 *	  writing where nothing may be written, and the search path that
 *	  deparsing and DDL run under.
 *
 * Existence is asked of the syscache (get_namespace_oid, get_relname_relid),
 * never of pg_class or information_schema through SQL: the cache answers
 * with what is committed now plus this transaction's own changes, which is
 * what a re-check after waiting for a lock must see; an SQL query would see
 * the snapshot taken before the wait.
 *
 *-------------------------------------------------------------------------
 */
#include "catalog.h"

#include "name.h"

#include "access/xlog.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

Oid
lookup_schema(const char *schema)
{
	return get_namespace_oid(schema, true);
}

/*
 * The OID of schema.table, or InvalidOid when there is no such relation.
 * A relation of that name that is not a table is an error: it can neither
 * be used as the model's table nor be replaced by it.
 */
Oid
lookup_table(Oid nspid, const char *schema, const char *table)
{
	HeapTuple	tuple;
	Form_pg_class form;
	Oid			relid;
	char		relkind;

	if (!OidIsValid(nspid))
		return InvalidOid;

	/* one lookup by name gives the OID and the kind: no second one by OID */
	tuple = SearchSysCache2(RELNAMENSP, PointerGetDatum(table), ObjectIdGetDatum(nspid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	form = (Form_pg_class) GETSTRUCT(tuple);
	relid = form->oid;
	relkind = form->relkind;
	ReleaseSysCache(tuple);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation \"%s\" exists but is not a table",
						display_name(schema, table)),
				 errhint("Rename or drop the existing relation, or declare the model under another name.")));
	return relid;
}

/*
 * Every writing function calls this first, before any work: a standby or a
 * read-only transaction gets 25006, as PostgreSQL's own DDL would give.
 */
void
check_writable(const char *funcname)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s during recovery", funcname),
				 errhint("Run it on the primary server.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s in a read-only transaction", funcname),
				 errhint("Run it in a read-write transaction on the primary server.")));
}

/*
 * Set search_path to "pg_catalog, pg_temp" until catalog_search_path_pop():
 * deparsed text then names every object outside pg_catalog with its
 * schema, and DDL cannot be redirected by the caller's search_path.  The
 * output formats of constants are fixed too (DateStyle ISO, as pg_dump
 * sets it): a default or a partition bound must read the same whatever
 * the session that rendered it.
 */
int
catalog_search_path_push(void)
{
	int			save_nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return save_nestlevel;
}

void
catalog_search_path_pop(int save_nestlevel)
{
	AtEOXact_GUC(true, save_nestlevel);
}
