/*-------------------------------------------------------------------------
 *
 * objects.c
 *	  Models of the other kinds, whatever the kind: finding the live object
 *	  through the catalog caches, reading it back as a model, the
 *	  statements that create it, and comparing it with its model, comments
 *	  included.  What is particular to a kind is in types.c (enums,
 *	  domains), sequence.c and index.c.
 *
 *-------------------------------------------------------------------------
 */
#include "objects.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "storage/lmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "change.h"
#include "ddl.h"
#include "name.h"

ObjectModel *
new_object(ObjectKind kind, const char *schema, const char *name)
{
	ObjectModel *obj = palloc0(sizeof(ObjectModel));

	obj->kind = kind;
	obj->schema = pstrdup(schema);
	obj->name = pstrdup(name);
	obj->definition = "";
	obj->comment = "";
	obj->attrs = palloc0(sizeof(char *));
	obj->con_names = obj->con_defs = obj->con_alt_defs = palloc0(sizeof(char *));
	return obj;
}

/* the object's name as DDL and results write it */
char *
object_display(const ObjectModel *obj)
{
	if (obj->kind == OBJECT_KIND_SCHEMA)
		return pstrdup(quote_identifier(obj->schema));
	return quoted_name(obj->schema, obj->name);
}

static void
wrong_kind(const ObjectModel *obj, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" exists but is not %s", display_name(obj->schema, obj->name), what),
			 errhint("Rename or drop the existing object, or declare the model under another name.")));
}

/*
 * The OID of the live object of obj's kind and name, or InvalidOid: a
 * catalog-cache lookup.  An object of that name but of another kind is an
 * error (42809): it can neither be the model's object nor be replaced by it.
 */
Oid
object_lookup(const ObjectModel *obj)
{
	Oid			nspid = lookup_schema(obj->schema);
	HeapTuple	tuple;
	Oid			oid;

	if (obj->kind == OBJECT_KIND_SCHEMA || !OidIsValid(nspid))
		return nspid;
	if (obj->kind == OBJECT_KIND_ENUM || obj->kind == OBJECT_KIND_DOMAIN)
	{
		char		typtype;

		tuple = SearchSysCache2(TYPENAMENSP, PointerGetDatum(obj->name), ObjectIdGetDatum(nspid));
		if (!HeapTupleIsValid(tuple))
			return InvalidOid;
		oid = ((Form_pg_type) GETSTRUCT(tuple))->oid;
		typtype = ((Form_pg_type) GETSTRUCT(tuple))->typtype;
		ReleaseSysCache(tuple);
		if (obj->kind == OBJECT_KIND_ENUM && typtype != TYPTYPE_ENUM)
			wrong_kind(obj, "an enum type");
		if (obj->kind == OBJECT_KIND_DOMAIN && typtype != TYPTYPE_DOMAIN)
			wrong_kind(obj, "a domain");
		return oid;
	}
	tuple = SearchSysCache2(RELNAMENSP, PointerGetDatum(obj->name), ObjectIdGetDatum(nspid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	oid = ((Form_pg_class) GETSTRUCT(tuple))->oid;
	if (obj->kind == OBJECT_KIND_SEQUENCE &&
		((Form_pg_class) GETSTRUCT(tuple))->relkind != RELKIND_SEQUENCE)
	{
		ReleaseSysCache(tuple);
		wrong_kind(obj, "a sequence");
	}
	if (obj->kind == OBJECT_KIND_INDEX &&
		((Form_pg_class) GETSTRUCT(tuple))->relkind != RELKIND_INDEX &&
		((Form_pg_class) GETSTRUCT(tuple))->relkind != RELKIND_PARTITIONED_INDEX)
	{
		ReleaseSysCache(tuple);
		wrong_kind(obj, "an index");
	}
	ReleaseSysCache(tuple);
	return oid;
}

static Oid
kind_class(ObjectKind kind)
{
	switch (kind)
	{
		case OBJECT_KIND_SCHEMA:
			return NamespaceRelationId;
		case OBJECT_KIND_ENUM:
		case OBJECT_KIND_DOMAIN:
			return TypeRelationId;
		default:
			return RelationRelationId;
	}
}

static ObjectType
kind_object_type(ObjectKind kind)
{
	switch (kind)
	{
		case OBJECT_KIND_SCHEMA:
			return OBJECT_SCHEMA;
		case OBJECT_KIND_ENUM:
			return OBJECT_TYPE;
		case OBJECT_KIND_DOMAIN:
			return OBJECT_DOMAIN;
		case OBJECT_KIND_SEQUENCE:
			return OBJECT_SEQUENCE;
		default:
			return OBJECT_INDEX;
	}
}

/*
 * Lock the object oid of kind against a concurrent DROP, then see whether it
 * is still there: an OID found by a catalog-cache lookup or a catalog scan
 * is not locked, and its object may have been dropped (and the drop
 * committed) since.  AccessShareLock is what DROP waits for; taking it
 * accepts the invalidations of the sessions waited for, so the catalog
 * caches show what they committed.  False, with the lock given up again,
 * when the object is gone.
 */
static bool
lock_existing_object(ObjectKind kind, Oid oid)
{
	Oid			classid = kind_class(kind);
	bool		exists;

	if (!OidIsValid(oid))
		return false;
	if (classid == RelationRelationId)
	{
		LockRelationOid(oid, AccessShareLock);
		exists = SearchSysCacheExists1(RELOID, ObjectIdGetDatum(oid));
		if (!exists)
			UnlockRelationOid(oid, AccessShareLock);
		return exists;
	}
	LockDatabaseObject(classid, oid, 0, AccessShareLock);
	exists = SearchSysCacheExists1(classid == TypeRelationId ? TYPEOID : NAMESPACEOID,
								   ObjectIdGetDatum(oid));
	if (!exists)
		UnlockDatabaseObject(classid, oid, 0, AccessShareLock);
	return exists;
}

static void
unlock_object(ObjectKind kind, Oid oid)
{
	Oid			classid = kind_class(kind);

	if (classid == RelationRelationId)
		UnlockRelationOid(oid, AccessShareLock);
	else
		UnlockDatabaseObject(classid, oid, 0, AccessShareLock);
}

/*
 * The live object oid of kind as a model (no declarer), or NULL when there
 * is no such object (any more): one dropped by a session that committed
 * since oid was found.  The object is locked while it is read, so that it
 * cannot go in the middle; the lock is given up afterwards (a drift report
 * over thousands of objects must fit in the lock table).  Call under
 * catalog_search_path_push().
 */
ObjectModel *
object_try_inspect(ObjectKind kind, Oid oid)
{
	ObjectModel *obj;
	char	   *comment;

	if (!lock_existing_object(kind, oid))
		return NULL;

	if (kind == OBJECT_KIND_SCHEMA)
		obj = new_object(kind, get_namespace_name(oid), get_namespace_name(oid));
	else if (kind == OBJECT_KIND_ENUM || kind == OBJECT_KIND_DOMAIN)
	{
		HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(oid));

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for type %u", oid);
		obj = new_object(kind, get_namespace_name(((Form_pg_type) GETSTRUCT(tuple))->typnamespace),
						 NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname));
		ReleaseSysCache(tuple);
	}
	else
		obj = new_object(kind, get_namespace_name(get_rel_namespace(oid)), get_rel_name(oid));

	switch (kind)
	{
		case OBJECT_KIND_SCHEMA:
			obj->definition = psprintf("CREATE SCHEMA %s", quote_identifier(obj->schema));
			break;
		case OBJECT_KIND_ENUM:
			enum_inspect(obj, oid);
			break;
		case OBJECT_KIND_DOMAIN:
			domain_inspect(obj, oid);
			break;
		case OBJECT_KIND_SEQUENCE:
			sequence_inspect(obj, oid);
			break;
		case OBJECT_KIND_INDEX:
			index_inspect(obj, oid);
			break;
	}
	comment = GetComment(oid, kind_class(kind), 0);
	obj->comment = comment ? comment : "";
	unlock_object(kind, oid);
	return obj;
}

/*
 * object_try_inspect() of an object that must be there: the caller holds
 * a lock that keeps it (an index of a locked table, an object its own
 * transaction made).  Its absence is still a clean error, never a crash.
 */
ObjectModel *
object_inspect(ObjectKind kind, Oid oid)
{
	ObjectModel *obj = object_try_inspect(kind, oid);

	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not read object %u: it was dropped by a concurrent transaction",
						oid),
				 errhint("Retry the transaction.")));
	return obj;
}

/* COMMENT ON the object, as its declarer; NULL without a comment to set */
static DDLStep *
comment_step(const ObjectModel *obj, const char *comment)
{
	DDLStep    *step = ddl_comment(kind_object_type(obj->kind), obj->schema,
									   obj->kind == OBJECT_KIND_SCHEMA ? NULL : obj->name, NULL,
									   comment, display_name(obj->schema, obj->name),
									   obj->declared_by);

	/* an index's steps go under its table, as provision_diff() shows them */
	if (obj->kind == OBJECT_KIND_INDEX)
		step->table = quoted_name(obj->table_schema, obj->table_name);
	return step;
}

/*
 * The statements that create obj, its comment included, but not a
 * sequence's OWNED BY (sequence_owner_steps(): once its table exists).
 */
List *
object_create_steps(const ObjectModel *obj)
{
	const char *model_name = display_name(obj->schema, obj->name);
	List	   *steps = NIL;

	switch (obj->kind)
	{
		case OBJECT_KIND_SCHEMA:
			steps = list_make1(ddl_create_schema(obj->schema, NULL, obj->declared_by,
												 obj->schema));
			break;
		case OBJECT_KIND_ENUM:
			steps = list_make1(ddl_object_step(DDL_CREATE_ENUM, PHASE_CREATE, obj->schema,
											   obj->name, model_name, obj->declared_by,
											   enum_definition(obj)));
			break;
		case OBJECT_KIND_DOMAIN:
			steps = list_make1(ddl_object_step(DDL_CREATE_DOMAIN, PHASE_CREATE, obj->schema,
											   obj->name, model_name, obj->declared_by,
											   domain_definition(obj)));
			break;
		case OBJECT_KIND_SEQUENCE:
			steps = list_make1(ddl_object_step(DDL_CREATE_SEQUENCE, PHASE_CREATE, obj->schema,
											   obj->name, model_name, obj->declared_by,
											   sequence_definition(obj)));
			break;
		case OBJECT_KIND_INDEX:
			steps = index_create_steps(obj);
			break;
	}
	if (obj->comment[0] != '\0')
		steps = lappend(steps, comment_step(obj, obj->comment));
	return steps;
}

/*
 * The changes that bring the live object live (object_try_inspect()) in
 * line with its model declared, except an index's (index_compare_table(),
 * table by table).
 */
List *
object_compare(const ObjectModel *declared, const ObjectModel *live)
{
	List	   *changes = NIL;
	Change	   *comment;
	switch (declared->kind)
	{
		case OBJECT_KIND_SCHEMA:
		case OBJECT_KIND_INDEX:
			break;
		case OBJECT_KIND_ENUM:
			changes = enum_compare(declared, live);
			break;
		case OBJECT_KIND_DOMAIN:
			changes = domain_compare(declared, live);
			break;
		case OBJECT_KIND_SEQUENCE:
			changes = sequence_compare(declared, live);
			break;
	}
	comment = comment_change(object_display(declared), object_display(declared),
							 declared->comment, live->comment,
							 comment_step(declared, declared->comment));
	if (comment != NULL)
		changes = lappend(changes, comment);
	return changes;
}
