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
 * An extension still at version 1.0 (library updated, ALTER EXTENSION
 * UPDATE not yet run) has no history table; nothing is recorded then.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

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

#define HISTORY_TABLE		"provision_history_log"
#define HISTORY_SEQUENCE	"provision_history_log_id_seq"
#define HISTORY_NATTS		5

void
history_record(const char *table_name, const char *statement)
{
	Oid			nspid = registry_namespace();
	Oid			relid = get_relname_relid(HISTORY_TABLE, nspid);
	Oid			seqid;
	Relation	rel;
	Datum		values[HISTORY_NATTS];
	bool		nulls[HISTORY_NATTS] = {false, false, false, false, false};
	NameData	role;
	HeapTuple	tuple;

	if (!OidIsValid(relid))
		return;
	seqid = get_relname_relid(HISTORY_SEQUENCE, nspid);
	if (!OidIsValid(seqid))
		elog(ERROR, "sequence \"%s\" of extension \"provision\" not found",
			 HISTORY_SEQUENCE);

	rel = table_open(relid, RowExclusiveLock);
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

	namestrcpy(&role, GetUserNameFromId(GetUserId(), false));
	values[0] = Int64GetDatum(nextval_internal(seqid, false));
	values[1] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[2] = NameGetDatum(&role);
	values[3] = CStringGetTextDatum(table_name);
	values[4] = CStringGetTextDatum(statement);
	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	simple_heap_insert(rel, tuple);
	heap_freetuple(tuple);
	table_close(rel, NoLock);
}
