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
 * The name lock orders provision's callers only.  A plain CREATE of the
 * same name in another session takes no such lock, and its catalog rows
 * stay invisible to the catalog cache until it commits.  So, before
 * creating, provision also looks for such rows with a dirty snapshot and
 * waits for the transaction that wrote them, then checks again: the plain
 * creator's commit turns into "exists", its rollback into "created".
 *
 *-------------------------------------------------------------------------
 */
#include "lock.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"

#include "model.h"

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

/*
 * Whether a transaction other than ours has inserted a row with this key
 * into catalog through index and not yet ended; if so, wait until it has,
 * then accept invalidation messages and return true.  keys[0] is a name.
 */
static bool
wait_for_uncommitted_row(Oid catalog, Oid index, ScanKeyData *keys, int nkeys)
{
	SnapshotData dirty;
	Relation	rel;
	SysScanDesc scan;
	TransactionId xwait = InvalidTransactionId;

	InitDirtySnapshot(dirty);
	rel = table_open(catalog, AccessShareLock);
	scan = systable_beginscan(rel, index, true, &dirty, nkeys, keys);
	/* the dirty snapshot reports an in-progress inserter in its xmin */
	if (HeapTupleIsValid(systable_getnext(scan)) && TransactionIdIsValid(dirty.xmin))
		xwait = dirty.xmin;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!TransactionIdIsValid(xwait))
		return false;
	XactLockTableWait(xwait, NULL, NULL, XLTW_None);
	AcceptInvalidationMessages();
	return true;
}

/*
 * Wait for an uncommitted CREATE SCHEMA of this name in another session;
 * true if there was one (check again).
 */
bool
wait_for_uncommitted_schema(const char *schema)
{
	NameData	name;
	ScanKeyData key;

	namestrcpy(&name, schema);
	ScanKeyInit(&key, Anum_pg_namespace_nspname, BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&name));
	return wait_for_uncommitted_row(NamespaceRelationId, NamespaceNameIndexId, &key, 1);
}

/*
 * Wait for an uncommitted CREATE of a relation of this name in another
 * session: its row type comes first, then its pg_class row; true if there
 * was one (check again).
 */
bool
wait_for_uncommitted_relation(Oid nspid, const char *table)
{
	NameData	name;
	ScanKeyData keys[2];

	namestrcpy(&name, table);
	ScanKeyInit(&keys[0], Anum_pg_type_typname, BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&name));
	ScanKeyInit(&keys[1], Anum_pg_type_typnamespace, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nspid));
	if (wait_for_uncommitted_row(TypeRelationId, TypeNameNspIndexId, keys, 2))
		return true;
	ScanKeyInit(&keys[0], Anum_pg_class_relname, BTEqualStrategyNumber,
				F_NAMEEQ, NameGetDatum(&name));
	ScanKeyInit(&keys[1], Anum_pg_class_relnamespace, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nspid));
	return wait_for_uncommitted_row(RelationRelationId, ClassNameNspIndexId, keys, 2);
}

/*
 * Session-level name locks, for work that commits several transactions
 * (provision_apply()): held until unlock_table_names_session(), or the
 * end of the session, whatever commits in between.  names as for
 * lock_table_names().
 */
void
lock_table_names_session(List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		TableName  *name = lfirst(lc);
		LOCKTAG		tag;

		name_tag(&tag, PROVISION_LOCK_TABLE, name->schema, name->table);
		(void) LockAcquire(&tag, ExclusiveLock, true, false);
	}
	AcceptInvalidationMessages();
}

void
unlock_table_names_session(List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		TableName  *name = lfirst(lc);
		LOCKTAG		tag;

		name_tag(&tag, PROVISION_LOCK_TABLE, name->schema, name->table);
		(void) LockRelease(&tag, ExclusiveLock, true);
	}
}
