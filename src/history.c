/*-------------------------------------------------------------------------
 *
 * history.c
 *	  The record of every DDL statement provision ran: the table
 *	  provision_history_log behind the view provision_history.
 *
 * Rows are written in the caller's transaction, so a rollback takes them
 * back with the change they describe.  They are inserted directly into
 * the heap, not through SQL: no role holds INSERT on the table, so the
 * history can only say what provision really ran, never what a user chose
 * to write into it.  The table therefore has no index, no default and no
 * trigger that an SQL INSERT would have needed.
 *
 * Each row says who called (executed_by), whose rights the statement ran
 * with (run_as: the model's declarer, see trust.c) and whether it ran
 * online, in a transaction of its own (provision_apply), or in the
 * caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "history.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "registry.h"

#define HISTORY_TABLE		"provision_history_log"
#define HISTORY_SEQUENCE	"provision_history_log_id_seq"
#define HISTORY_NATTS		7

/*
 * Record that executed_by (the calling role) had statement run, as run_as
 * (the role whose rights it ran with).
 */
void
history_record(const char *table_name, const char *statement,
			   const char *executed_by, const char *run_as, bool online)
{
	Oid			nspid = registry_namespace();
	Oid			relid = get_relname_relid(HISTORY_TABLE, nspid);
	Oid			seqid;
	Relation	rel;
	Datum		values[HISTORY_NATTS];
	bool		nulls[HISTORY_NATTS] = {false, false, false, false, false, false, false};
	NameData	role;
	NameData	run_as_role;
	HeapTuple	tuple;

	if (!OidIsValid(relid))
		elog(ERROR, "table \"%s\" of extension \"provision\" not found", HISTORY_TABLE);
	seqid = get_relname_relid(HISTORY_SEQUENCE, nspid);
	if (!OidIsValid(seqid))
		elog(ERROR, "sequence \"%s\" of extension \"provision\" not found",
			 HISTORY_SEQUENCE);

	rel = table_open(relid, RowExclusiveLock);
	if (RelationGetDescr(rel)->natts < HISTORY_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"provision\" must be updated"),
				 errdetail("Table \"%s\" has fewer columns than this library writes.",
						   HISTORY_TABLE),
				 errhint("Update the extension: ALTER EXTENSION provision UPDATE.")));
	/* a plain heap insert maintains no index and fires no trigger */
	if (RelationGetDescr(rel)->natts != HISTORY_NATTS ||
		RelationGetIndexList(rel) != NIL || rel->trigdesc != NULL ||
		rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" of extension \"provision\" has been altered",
						HISTORY_TABLE),
				 errdetail("The history table must keep the columns it was created with, and no index or trigger."),
				 errhint("Drop what was added to it, or reinstall the extension.")));

	namestrcpy(&role, executed_by);
	namestrcpy(&run_as_role, run_as);
	values[0] = Int64GetDatum(nextval_internal(seqid, false));
	values[1] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[2] = NameGetDatum(&role);
	values[3] = CStringGetTextDatum(table_name);
	values[4] = CStringGetTextDatum(statement);
	values[5] = NameGetDatum(&run_as_role);
	values[6] = BoolGetDatum(online);
	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	simple_heap_insert(rel, tuple);
	heap_freetuple(tuple);
	table_close(rel, NoLock);
}
