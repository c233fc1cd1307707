/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  Live objects declared as models: provision_capture() of a table and
 *	  provision_capture_schema() of a schema.
 *
 * A capture reads the catalogs (inspect.c, objects.c), writes what it
 * found as one script (dump.c) and declares that script (load.c), so a
 * captured object goes through exactly the validation and normalization a
 * loaded one does.  What a table brings along: its indexes, comments and
 * partitioning (a partitioned table's partitions, a partition's parent),
 * and the enum types, domains and sequences of user schemas it uses.  The
 * live objects' own texts are kept as the other accepted texts of their
 * models, so that what was captured never differs from its model.
 *
 * Inheritance trees other than partitioning are refused (0A000): a model
 * cannot say what ties them together.
 *
 * Other sessions may drop what a capture found.  A capture locks each table
 * it reads (AccessShareLock, a partition's parent before the partition, as
 * DROP TABLE does) and keeps the locks until the end of the transaction,
 * as pg_dump does: its tables, and the sequences, types and indexes that
 * cannot go without them, stay as they were read.  What it found by
 * listing (a schema's relations and types, a table's partitions) and what
 * was dropped, and committed, before the capture could lock it is left
 * out, as if the capture had come just after the drop: the schema no
 * longer holds it, and an error would make provision_capture_schema() fail
 * for as long as another session keeps creating and dropping tables.  The
 * table a capture names is another matter: it is 42P01 when it is gone.
 *
 *-------------------------------------------------------------------------
 */
#include "capture.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "dump.h"
#include "inspect.h"
#include "load.h"
#include "name.h"
#include "objects.h"
#include "registry.h"

/* what a capture collects */
typedef struct Capture
{
	List	   *tables;			/* Oid */
	List	   *types;			/* Oid: enums and domains */
	List	   *sequences;		/* Oid */
	List	   *schemas;		/* String: schema models */
} Capture;

static bool
user_namespace(Oid nspid)
{
	char	   *name = get_namespace_name(nspid);

	return name != NULL && strncmp(name, "pg_", 3) != 0 &&
		strcmp(name, "information_schema") != 0 && !isAnyTempNamespace(nspid);
}

/* an enum or domain of a user schema that typid is, or is an array of */
static void
add_type(Capture *cap, Oid typid)
{
	HeapTuple	tuple;
	Form_pg_type form;
	Oid			elem;
	Oid			base = InvalidOid;
	char		typtype;
	Oid			nspid;

	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_type) GETSTRUCT(tuple);
	elem = form->typelem;
	typtype = form->typtype;
	nspid = form->typnamespace;
	if (typtype == TYPTYPE_DOMAIN)
		base = form->typbasetype;
	ReleaseSysCache(tuple);

	if (OidIsValid(elem) && typtype == TYPTYPE_BASE)
	{
		add_type(cap, elem);	/* an array: its element */
		return;
	}
	if ((typtype != TYPTYPE_ENUM && typtype != TYPTYPE_DOMAIN) || !user_namespace(nspid) ||
		list_member_oid(cap->types, typid))
		return;
	if (OidIsValid(base))
		add_type(cap, base);	/* what the domain is over, first */
	cap->types = lappend_oid(cap->types, typid);
}

/*
 * Table relid and what it brings along, unless it was dropped since it was
 * found; it stays locked until the end of the transaction.
 */
static void
add_table(Capture *cap, Oid relid)
{
	Relation	rel;
	TableShape *shape;
	int			i;

	if (list_member_oid(cap->tables, relid))
		return;
	/* a partition's parent first: it is declared and locked before them */
	if (get_rel_relispartition(relid))
	{
		List	   *ancestors = get_partition_ancestors(relid);

		if (ancestors != NIL)
		{
			add_table(cap, linitial_oid(ancestors));
			if (list_member_oid(cap->tables, relid))
				return;
		}
	}
	rel = provision_try_table_open(relid, AccessShareLock);
	if (rel == NULL)
		return;					/* dropped since it was found */
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
	{
		table_close(rel, AccessShareLock);
		return;
	}
	if (!rel->rd_rel->relispartition && (has_subclass(relid) || has_superclass(relid)) &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot capture table \"%s\": it is part of an inheritance tree",
						display_name(get_namespace_name(RelationGetNamespace(rel)),
									 RelationGetRelationName(rel))),
				 errdetail("A model of it would lose the inheritance.")));
	shape = inspect_table(rel);
	table_close(rel, NoLock);	/* the capture reads it again */

	cap->tables = lappend_oid(cap->tables, relid);

	for (i = 0; i < shape->ncolumns; i++)
	{
		ColumnShape *col = &shape->columns[i];

		add_type(cap, col->typid);
		/* a sequence the column uses but does not own as a serial */
		if (OidIsValid(col->default_seq) && col->serial[0] == '\0' &&
			!list_member_oid(cap->sequences, col->default_seq) &&
			user_namespace(get_rel_namespace(col->default_seq)))
			cap->sequences = lappend_oid(cap->sequences, col->default_seq);
	}
	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
	{
		ListCell   *lc;

		foreach(lc, find_inheritance_children(relid, NoLock))
			add_table(cap, lfirst_oid(lc));
	}
}

/* a live table as a model: everything named, foreign keys apart */
static Model *
live_model(Oid relid, List **live_shapes)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableShape *shape = inspect_table(rel);
	Model	   *model = palloc0(sizeof(Model));
	StringInfoData body;
	int			nfk = 0;
	int			i;

	model->schema = get_namespace_name(RelationGetNamespace(rel));
	model->table = pstrdup(RelationGetRelationName(rel));
	table_close(rel, AccessShareLock);

	initStringInfo(&body);
	for (i = 0; i < shape->ncolumns; i++)
		appendStringInfo(&body, "%s%s", body.len ? ", " : "", render_column(&shape->columns[i]));
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (shape->nconstraints + 1));
	for (i = 0; i < shape->nconstraints; i++)
	{
		ConstraintShape *con = &shape->constraints[i];
		char	   *clause = psprintf("CONSTRAINT %s %s", quote_identifier(con->name), con->def);

		con->explicit_name = true;
		if (con->contype == CONSTRAINT_FOREIGN)
		{
			model->fkeys[nfk].ref_schema = con->ref_schema;
			model->fkeys[nfk].ref_table = con->ref_table;
			model->fkeys[nfk++].clause = clause;
		}
		else
			appendStringInfo(&body, "%s%s", body.len ? ", " : "", clause);
	}
	model->nfkeys = nfk;
	model->body = body.data;
	model->partition_by = shape->partition_by;
	model->parent_schema = shape->parent_schema;
	model->parent_table = shape->parent_table;
	model->partition_bound = shape->partition_bound;
	/* a partition's own constraints, without its foreign keys */
	{
		TableShape *own = palloc(sizeof(TableShape));

		*own = *shape;
		own->nconstraints = 0;
		own->constraints = palloc(sizeof(ConstraintShape) * (shape->nconstraints + 1));
		for (i = 0; i < shape->nconstraints; i++)
		{
			if (shape->constraints[i].contype != CONSTRAINT_FOREIGN)
				own->constraints[own->nconstraints++] = shape->constraints[i];
		}
		model->shape = own;
	}
	*live_shapes = lappend(*live_shapes, model);
	return model;
}

static int
model_name_cmp(const void *a, const void *b)
{
	const Model *ma = *(Model *const *) a;
	const Model *mb = *(Model *const *) b;
	int			c = strcmp(ma->schema, mb->schema);

	return c != 0 ? c : strcmp(ma->table, mb->table);
}

/* whether the sequence owned by column owner_col of owner_rel is its serial's */
static bool
sequence_is_serial(Oid seqid, Oid owner_rel, int32 owner_col)
{
	Relation	rel = provision_try_table_open(owner_rel, AccessShareLock);
	TableShape *shape;
	bool		serial = false;
	int			i;

	if (rel == NULL)
		return false;			/* dropped, and its serial's sequence with it */
	shape = inspect_table(rel);
	table_close(rel, NoLock);
	for (i = 0; i < shape->ncolumns; i++)
	{
		if (shape->columns[i].attnum == owner_col)
			serial = shape->columns[i].serial[0] != '\0' &&
				shape->columns[i].default_seq == seqid;
	}
	return serial;
}

/* the models of what cap collected, written as a script and loaded */
static List *
capture_load(Capture *cap)
{
	Selection	sel;
	List	   *live = NIL;
	List	   *live_objects = NIL;
	int			save_nestlevel = catalog_search_path_push();
	ListCell   *lc;
	char	   *script;

	sel.models = palloc(sizeof(Model *) * (list_length(cap->tables) + 1));
	sel.nmodels = 0;
	foreach(lc, cap->tables)
		sel.models[sel.nmodels++] = live_model(lfirst_oid(lc), &live);

	/* schemas, types, sequences, and the indexes of the tables */
	/* capture_schema() locked the schema */
	foreach(lc, cap->schemas)
		live_objects = lappend(live_objects,
							   object_inspect(OBJECT_KIND_SCHEMA,
											  get_namespace_oid(strVal(lfirst(lc)), false)));
	/* a type, sequence or index dropped since it was found is left out */
	foreach(lc, cap->types)
	{
		char		typtype = get_typtype(lfirst_oid(lc));
		ObjectModel *obj;

		obj = object_try_inspect(typtype == TYPTYPE_DOMAIN ? OBJECT_KIND_DOMAIN : OBJECT_KIND_ENUM,
								 lfirst_oid(lc));
		if (obj != NULL)
			live_objects = lappend(live_objects, obj);
	}
	foreach(lc, cap->sequences)
	{
		ObjectModel *obj = object_try_inspect(OBJECT_KIND_SEQUENCE, lfirst_oid(lc));

		if (obj != NULL)
			live_objects = lappend(live_objects, obj);
	}
	foreach(lc, cap->tables)
	{
		/* locked by add_table() */
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);
		List	   *indexes = live_indexes(rel, NULL);
		ListCell   *ic;

		table_close(rel, AccessShareLock);
		foreach(ic, indexes)
		{
			ObjectModel *obj = object_try_inspect(OBJECT_KIND_INDEX, lfirst_oid(ic));

			if (obj != NULL)
				live_objects = lappend(live_objects, obj);
		}
	}
	sel.objects = palloc(sizeof(ObjectModel *) * (list_length(live_objects) + 1));
	sel.nobjects = 0;
	foreach(lc, live_objects)
		sel.objects[sel.nobjects++] = lfirst(lc);

	/* tables sorted by name, as write_script() expects them */
	if (sel.nmodels > 1)
		qsort(sel.models, sel.nmodels, sizeof(Model *), model_name_cmp);
	script = write_script(&sel);
	catalog_search_path_pop(save_nestlevel);

	return load_script(script, false, live, live_objects, NULL);
}

/*
 * Declare the model of table schema.table (and what it brings along);
 * returns what was declared.
 */
List *
capture_table(const char *schema, const char *table)
{
	Capture		cap = {NIL, NIL, NIL, NIL};
	Oid			relid;

	/* the table may be dropped while we wait for its lock: add_table() skips it */
	relid = lookup_table(lookup_schema(schema), schema, table);
	if (OidIsValid(relid))
		add_table(&cap, relid);
	if (!OidIsValid(relid) || !list_member_oid(cap.tables, relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", display_name(schema, table))));
	return capture_load(&cap);
}

/*
 * Declare the models of everything schema holds that provision models:
 * the schema itself, its tables and partitions, enum types, domains,
 * sequences (but those of serial and identity columns, which are their
 * tables'), and indexes.
 */
List *
capture_schema(const char *schema)
{
	Capture		cap = {NIL, NIL, NIL, NIL};
	Oid			nspid = lookup_schema(schema);
	Relation	classrel;
	TableScanDesc scan;
	HeapTuple	tuple;
	List	   *relations = NIL;
	List	   *types = NIL;
	ListCell   *lc;

	/* locked, and looked for again: it may have been dropped meanwhile */
	if (OidIsValid(nspid))
	{
		LockDatabaseObject(NamespaceRelationId, nspid, 0, AccessShareLock);
		if (!SearchSysCacheExists1(NAMESPACEOID, ObjectIdGetDatum(nspid)))
			nspid = InvalidOid;
	}
	if (!OidIsValid(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", schema)));
	cap.schemas = list_make1(makeString(pstrdup(schema)));

	/* the schema's relations and types, in OID order */
	classrel = table_open(RelationRelationId, AccessShareLock);
	scan = table_beginscan_catalog(classrel, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (form->relnamespace == nspid &&
			(form->relkind == RELKIND_RELATION || form->relkind == RELKIND_PARTITIONED_TABLE ||
			 form->relkind == RELKIND_SEQUENCE))
			relations = lappend_oid(relations, form->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);
	classrel = table_open(TypeRelationId, AccessShareLock);
	scan = table_beginscan_catalog(classrel, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_type form = (Form_pg_type) GETSTRUCT(tuple);

		if (form->typnamespace == nspid &&
			(form->typtype == TYPTYPE_ENUM || form->typtype == TYPTYPE_DOMAIN))
			types = lappend_oid(types, form->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);

	foreach(lc, types)
		add_type(&cap, lfirst_oid(lc));
	foreach(lc, relations)
	{
		Oid			relid = lfirst_oid(lc);

		if (get_rel_relkind(relid) != RELKIND_SEQUENCE)
		{
			List	   *ancestors = get_rel_relispartition(relid)
				? get_partition_ancestors(relid) : NIL;

			/* add_table() leaves out a table dropped since the scan */
			if (ancestors == NIL || get_rel_namespace(linitial_oid(ancestors)) == nspid)
				add_table(&cap, relid);
		}
	}
	foreach(lc, relations)
	{
		Oid			relid = lfirst_oid(lc);
		Oid			owner_rel;
		int32		owner_col;

		if (get_rel_relkind(relid) != RELKIND_SEQUENCE || list_member_oid(cap.sequences, relid))
			continue;
		/*
		 * Identity sequences are their columns'; serial ones, their tables'.
		 * A sequence dropped since the scan is found by neither, and
		 * capture_load() leaves it out.
		 */
		if (sequenceIsOwned(relid, DEPENDENCY_INTERNAL, &owner_rel, &owner_col))
			continue;
		if (sequenceIsOwned(relid, DEPENDENCY_AUTO, &owner_rel, &owner_col) &&
			sequence_is_serial(relid, owner_rel, owner_col))
			continue;
		cap.sequences = lappend_oid(cap.sequences, relid);
	}
	return capture_load(&cap);
}
