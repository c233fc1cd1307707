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
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
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

static void
add_table(Capture *cap, Oid relid)
{
	Relation	rel;
	TableShape *shape;
	int			i;

	if (list_member_oid(cap->tables, relid))
		return;
	rel = table_open(relid, AccessShareLock);
	if (!rel->rd_rel->relispartition && (has_subclass(relid) || has_superclass(relid)) &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot capture table \"%s\": it is part of an inheritance tree",
						display_name(get_namespace_name(RelationGetNamespace(rel)),
									 RelationGetRelationName(rel))),
				 errdetail("A model of it would lose the inheritance.")));
	shape = inspect_table(rel);
	table_close(rel, AccessShareLock);

	/* a partition's parent first: it is declared before its partitions */
	if (get_rel_relispartition(relid))
		add_table(cap, provision_partition_parent(relid));
	if (list_member_oid(cap->tables, relid))
		return;
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
	Relation	rel = table_open(owner_rel, AccessShareLock);
	TableShape *shape = inspect_table(rel);
	bool		serial = false;
	int			i;

	table_close(rel, AccessShareLock);
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
	foreach(lc, cap->schemas)
		live_objects = lappend(live_objects,
							   object_inspect(OBJECT_KIND_SCHEMA,
											  get_namespace_oid(strVal(lfirst(lc)), false)));
	foreach(lc, cap->types)
		live_objects = lappend(live_objects,
							   object_inspect(get_typtype(lfirst_oid(lc)) == TYPTYPE_ENUM
											  ? OBJECT_KIND_ENUM : OBJECT_KIND_DOMAIN,
											  lfirst_oid(lc)));
	foreach(lc, cap->sequences)
		live_objects = lappend(live_objects, object_inspect(OBJECT_KIND_SEQUENCE, lfirst_oid(lc)));
	foreach(lc, cap->tables)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);
		List	   *indexes = live_indexes(rel, NULL);
		ListCell   *ic;

		table_close(rel, AccessShareLock);
		foreach(ic, indexes)
			live_objects = lappend(live_objects, object_inspect(OBJECT_KIND_INDEX, lfirst_oid(ic)));
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
	Relation	rel;

	/* the table may be dropped while we wait for its lock */
	relid = lookup_table(lookup_schema(schema), schema, table);
	rel = OidIsValid(relid) ? provision_try_table_open(relid, AccessShareLock) : NULL;
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" does not exist", display_name(schema, table))));
	table_close(rel, AccessShareLock);
	add_table(&cap, relid);
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
			if (!get_rel_relispartition(relid) ||
				get_rel_namespace(provision_partition_parent(relid)) == nspid)
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
		/* identity sequences are their columns'; serial ones, their tables' */
		if (sequenceIsOwned(relid, DEPENDENCY_INTERNAL, &owner_rel, &owner_col))
			continue;
		if (sequenceIsOwned(relid, DEPENDENCY_AUTO, &owner_rel, &owner_col) &&
			sequence_is_serial(relid, owner_rel, owner_col))
			continue;
		cap.sequences = lappend_oid(cap.sequences, relid);
	}
	return capture_load(&cap);
}
