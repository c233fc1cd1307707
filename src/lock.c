/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  Transaction-level locks on the names of objects about to be created.
 *
 * CREATE ... IF NOT EXISTS checks, then inserts into the catalog; two
 * sessions that both pass the check collide on a catalog unique index and
 * one of them fails.  Before creating, provision takes an exclusive lock on
 * the object's name (the object has no OID yet), then accepts invalidation
 * messages and checks again: a session that waited sees the object the
 * other one committed and reports "exists".  The lock lives until the end
 * of the transaction, so it covers the caller's commit.
 *
 * The lock is an advisory-class tag keyed by a 64-bit hash of the name.  Its
 * last field is a value pg_advisory_lock() never uses, so users' own
 * advisory locks cannot collide with it; a hash collision between two names
 * only makes them wait for each other.
 *
 * Callers that lock several names lock all schemas before all tables, each
 * group sorted by name: one fixed order, hence no deadlock between them.
 * A caller that finds it needs one more name gives up the table names it
 * took and takes them all again, in order.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/inval.h"

#define PROVISION_LOCK_SCHEMA	0x5001
#define PROVISION_LOCK_TABLE	0x5002

static void
name_tag(LOCKTAG *tag, uint16 kind, const char *schema, const char *table)
{
	uint64		hash;

	hash = hash_bytes_extended((const unsigned char *) schema, strlen(schema), kind);
	if (table != NULL)
		hash = hash_bytes_extended((const unsigned char *) table, strlen(table), hash);

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) (hash >> 32), (uint32) hash, kind);
}

static void
lock_name(uint16 kind, const char *schema, const char *table)
{
	LOCKTAG		tag;

	name_tag(&tag, kind, schema, table);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	/* see what sessions we waited for have committed */
	AcceptInvalidationMessages();
}

void
lock_schema_name(const char *schema)
{
	lock_name(PROVISION_LOCK_SCHEMA, schema, NULL);
}

void
lock_table_name(const char *schema, const char *table)
{
	lock_name(PROVISION_LOCK_TABLE, schema, table);
}

/* names: a sorted List of TableName (model_table_names()) */
void
lock_table_names(List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		TableName  *name = lfirst(lc);

		lock_table_name(name->schema, name->table);
	}
}

/*
 * Undo one lock_table_names(names): each lock is held once less, and
 * released only if this was its last hold in the transaction (a name the
 * transaction had locked before stays locked).  For a caller that must
 * take more names and, to keep the one order, gives these up first.
 */
void
unlock_table_names(List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		TableName  *name = lfirst(lc);
		LOCKTAG		tag;

		name_tag(&tag, PROVISION_LOCK_TABLE, name->schema, name->table);
		(void) LockRelease(&tag, ExclusiveLock, false);
	}
}
