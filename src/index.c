/*-------------------------------------------------------------------------
 *
 * index.c
 *	  Indexes as models: their signature, and what brings a table's live
 *	  indexes in line with the index models of the table.
 *
 * An index is compared by its signature: everything pg_get_indexdef()
 * prints after the table (access method, key columns and expressions,
 * operator classes, collations, ordering, INCLUDE, NULLS NOT DISTINCT,
 * predicate), with UNIQUE in front; never by the text it was declared
 * with, and never by its name.  A declared index also matches the other
 * text its signature may deparse to (see load.c).  The indexes that
 * constraints own (primary keys, unique and exclusion constraints) belong
 * to the table's model.  A partition's index attached to an index of its
 * parent belongs to the parent: it is never extra, but it is there, so
 * it satisfies an index model of the partition that it matches (a model
 * declared before its parent's index, which PostgreSQL then attached).
 * A live index of the same name and signature is preferred to one of
 * another name, so that two models of the same signature each find
 * their own index.
 *
 * Adding an index is safe; dropping one (extra) or rebuilding one (another
 * signature under the same name) is not.
 *
 * Call under catalog_search_path_push(), so that names outside pg_catalog
 * come out qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "objects.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/dependency.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "change.h"
#include "ddl.h"
#include "name.h"

/*
 * The signature of index indexid of table schema.table: pg_get_indexdef()
 * without "CREATE [UNIQUE] INDEX name ON [ONLY] table ", UNIQUE kept.
 */
static char *
index_signature(Oid indexid, const char *index_name, const char *schema, const char *table,
				bool unique)
{
	char	   *def = TextDatumGetCString(DirectFunctionCall1(pg_get_indexdef,
															  ObjectIdGetDatum(indexid)));
	const char *qtable = quoted_name(schema, table);
	char	   *prefix = psprintf("CREATE %sINDEX %s ON ", unique ? "UNIQUE " : "",
								  quote_identifier(index_name));
	const char *rest;

	if (strncmp(def, prefix, strlen(prefix)) != 0)
		elog(ERROR, "unexpected definition of index \"%s\": %s", index_name, def);
	rest = def + strlen(prefix);
	if (strncmp(rest, "ONLY ", 5) == 0)
		rest += 5;
	if (strncmp(rest, qtable, strlen(qtable)) != 0 || rest[strlen(qtable)] != ' ')
		elog(ERROR, "unexpected definition of index \"%s\": %s", index_name, def);
	rest += strlen(qtable) + 1;
	return psprintf("%s%s", unique ? "UNIQUE " : "", rest);
}

/*
 * Signatures already worked out in this backend, by index: pg_get_indexdef()
 * looks up every column's default operator class by scanning pg_opclass,
 * and provision_diff() over a schema of a thousand indexes would spend
 * most of its time there.  An entry goes when the index or its table is
 * invalidated (anything that changes the index, renames a column or the
 * table, or drops either); a signature does not depend on anything else
 * the relation cache does not cover, except the names of the types,
 * functions and operator classes it uses, and a live index that still
 * uses the same ones is still the index its model declares.
 */
typedef struct SignatureEntry
{
	Oid			indexid;		/* key */
	Oid			relid;
	char	   *signature;		/* in signature_context */
} SignatureEntry;

static HTAB *signatures = NULL;
static MemoryContext signature_context = NULL;

static void
forget_signatures(Datum arg pg_attribute_unused(), Oid relid)
{
	HASH_SEQ_STATUS status;
	SignatureEntry *entry;

	if (signatures == NULL)
		return;
	hash_seq_init(&status, signatures);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (!OidIsValid(relid) || entry->indexid == relid || entry->relid == relid)
		{
			pfree(entry->signature);
			(void) hash_search(signatures, &entry->indexid, HASH_REMOVE, NULL);
		}
	}
}

static char *
cached_signature(Oid indexid, Oid relid, const char *index_name, const char *schema,
				 const char *table, bool unique)
{
	SignatureEntry *entry;
	bool		found;
	char	   *signature;

	if (signatures == NULL)
	{
		HASHCTL		ctl;

		signature_context = AllocSetContextCreate(TopMemoryContext,
												  "provision index signatures",
												  ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SignatureEntry);
		ctl.hcxt = signature_context;
		signatures = hash_create("provision index signatures", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(forget_signatures, (Datum) 0);
	}
	entry = hash_search(signatures, &indexid, HASH_FIND, NULL);
	if (entry != NULL && entry->relid == relid)
		return pstrdup(entry->signature);

	signature = index_signature(indexid, index_name, schema, table, unique);
	entry = hash_search(signatures, &indexid, HASH_ENTER, &found);
	if (found)
		pfree(entry->signature);
	entry->relid = relid;
	entry->signature = MemoryContextStrdup(signature_context, signature);
	return signature;
}

/* the statement that creates index obj: its name, table and signature */
static char *
index_definition(const ObjectModel *obj, const char *signature)
{
	bool		unique = strncmp(signature, "UNIQUE ", 7) == 0;

	return psprintf("CREATE %sINDEX %s ON %s %s", unique ? "UNIQUE " : "",
					quote_identifier(obj->name),
					quoted_name(obj->table_schema, obj->table_name),
					unique ? signature + 7 : signature);
}

/* attrs: signature, its other text ("") */
void
index_inspect(ObjectModel *obj, Oid indexid)
{
	HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
	Form_pg_index index;
	Oid			relid;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", indexid);
	index = (Form_pg_index) GETSTRUCT(tuple);
	relid = index->indrelid;
	obj->table_schema = get_namespace_name(get_rel_namespace(relid));
	obj->table_name = get_rel_name(relid);
	obj->nattrs = 2;
	obj->attrs = palloc(sizeof(char *) * 3);
	obj->attrs[0] = cached_signature(indexid, relid, obj->name, obj->table_schema,
									 obj->table_name, index->indisunique);
	obj->attrs[1] = pstrdup("");
	ReleaseSysCache(tuple);
	obj->definition = index_definition(obj, obj->attrs[0]);
}

/*
 * The indexes of rel that may be models: not owned by one of its keys
 * (shape->constraint_indexes, or, without a shape, by any constraint), not
 * attached to a parent's index.
 */
List *
live_indexes(Relation rel, const TableShape *shape)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, RelationGetIndexList(rel))
	{
		Oid			indexid = lfirst_oid(lc);

		if (shape != NULL ? list_member_oid(shape->constraint_indexes, indexid)
			: OidIsValid(get_index_constraint(indexid)))
			continue;
		if (get_rel_relispartition(indexid))
			continue;
		result = lappend_oid(result, indexid);
	}
	return result;
}

/*
 * The indexes of partition rel attached to an index of its parent, not
 * owned by a constraint (as live_indexes() tells): never models of rel,
 * but they may be what one of its index models declares.
 */
List *
attached_indexes(Relation rel, const TableShape *shape)
{
	List	   *result = NIL;
	ListCell   *lc;

	if (!rel->rd_rel->relispartition)
		return NIL;
	foreach(lc, RelationGetIndexList(rel))
	{
		Oid			indexid = lfirst_oid(lc);

		if (!get_rel_relispartition(indexid))
			continue;
		if (shape != NULL ? list_member_oid(shape->constraint_indexes, indexid)
			: OidIsValid(get_index_constraint(indexid)))
			continue;
		result = lappend_oid(result, indexid);
	}
	return result;
}

static bool
same_index(const ObjectModel *declared, const ObjectModel *live)
{
	return strcmp(declared->attrs[0], live->attrs[0]) == 0 ||
		(declared->attrs[1][0] != '\0' && strcmp(declared->attrs[1], live->attrs[0]) == 0);
}

static DDLStep *
create_step(const ObjectModel *declared)
{
	DDLStep    *step = ddl_object_step(DDL_CREATE_INDEX, PHASE_INDEX, declared->schema,
									   declared->name,
									   display_name(declared->table_schema, declared->table_name),
									   declared->declared_by,
									   index_definition(declared, declared->attrs[0]));

	step->owner_schema = declared->table_schema;
	step->owner_table = declared->table_name;
	/* shown, and kept in the history, under its table, as provision_diff() shows it */
	step->table = quoted_name(declared->table_schema, declared->table_name);
	return step;
}

/* early, with the constraints: before a dropped column takes it along */
static DDLStep *
drop_step(const ObjectModel *live, const char *declared_by)
{
	DDLStep    *step = ddl_object_step(DDL_DROP_INDEX, PHASE_DROP_CONSTRAINT, live->schema,
									   live->name,
									   display_name(live->table_schema, live->table_name),
									   declared_by,
									   psprintf("DROP INDEX %s",
												quoted_name(live->schema, live->name)));

	step->table = quoted_name(live->table_schema, live->table_name);
	return step;
}

/*
 * The changes that bring the live indexes of a table in line with its
 * index models: declared[] (of that table) and live[] (live_indexes(),
 * then the nattached last ones attached_indexes(), inspected).  Extra
 * indexes are dropped as declared_by, the table model's declarer; an
 * attached index is never extra.
 */
List *
index_compare_table(ObjectModel **declared, int ndeclared, ObjectModel **live, int nlive,
					int nattached, const char *declared_by)
{
	List	   *changes = NIL;
	bool	   *dmatched = palloc0(sizeof(bool) * (ndeclared + 1));
	bool	   *lmatched = palloc0(sizeof(bool) * (nlive + 1));
	int			nown = nlive - nattached;
	int			pass;
	int			d,
				l;

	/*
	 * Same signature: first under the same name, then another index of the
	 * table's own, then one attached to the parent's.
	 */
	for (pass = 0; pass < 3; pass++)
	{
		for (d = 0; d < ndeclared; d++)
		{
			if (dmatched[d])
				continue;
			for (l = pass == 2 ? nown : 0; l < (pass == 1 ? nown : nlive); l++)
			{
				if (!lmatched[l] && same_index(declared[d], live[l]) &&
					(pass != 0 || strcmp(declared[d]->name, live[l]->name) == 0))
				{
					dmatched[d] = lmatched[l] = true;
					break;
				}
			}
		}
	}
	for (d = 0; d < ndeclared; d++)
	{
		const ObjectModel *obj = declared[d];
		char	   *table = quoted_name(obj->table_schema, obj->table_name);
		Change	   *change;

		if (dmatched[d])
			continue;
		for (l = 0; l < nlive; l++)
		{
			if (!lmatched[l] && strcmp(live[l]->name, obj->name) == 0)
				break;
		}
		if (l < nlive)
		{
			lmatched[l] = true;
			change = make_change(table, "index_differs", obj->name, obj->attrs[0],
								 live[l]->attrs[0], false);
			change_step(change, drop_step(live[l], obj->declared_by));
		}
		else
			change = make_change(table, "index_missing", obj->name, obj->attrs[0], NULL, true);
		change_step(change, create_step(obj));
		changes = lappend(changes, change);
	}
	for (l = 0; l < nown; l++)
	{
		Change	   *change;

		if (lmatched[l])
			continue;
		change = make_change(quoted_name(live[l]->table_schema, live[l]->table_name),
							 "index_extra", live[l]->name, NULL, live[l]->attrs[0], false);
		change_step(change, drop_step(live[l], declared_by));
		changes = lappend(changes, change);
	}
	return changes;
}

/* the statement that creates index model obj */
List *
index_create_steps(const ObjectModel *obj)
{
	return list_make1(create_step(obj));
}
