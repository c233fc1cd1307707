/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The model registry: the table provision_registry in the extension's
 *	  schema, one row per declared table, and the right to change it.
 *
 * One descriptor lists the registry's columns with their types; the
 * reader finds them by name in the table's tuple descriptor and the writer
 * builds its INSERT from it, so the two cannot disagree.
 *
 * Reads go straight to the table with the snapshot SQL would use, in the
 * caller's transaction, unless row-level security applies to the caller:
 * then they go through SQL, so that they see exactly the rows a plain
 * SELECT would.  Everything read is checked before use: a row that is not
 * what provision writes (a NULL where none belongs, arrays of different
 * lengths, a value no model can have) is reported as a damaged model
 * (XX001), never used.  Nothing read here is ever run as SQL text: DDL is
 * built in ddl.c and checked again there.
 *
 * Writes are provision's alone.  No role needs or holds INSERT, UPDATE or
 * DELETE on the registry; the declare right is membership in the role
 * provision_declarer (or being a superuser, or the extension's owner), and
 * rows are written, after that check, as the registry's owner with fixed,
 * parameterized statements.  declared_by is the role that called, which
 * is therefore the role whose rights the model's DDL runs with (trust.c).
 *
 *-------------------------------------------------------------------------
 */
#include "registry.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "name.h"
#include "trust.h"

#define REGISTRY_TABLE		"provision_registry"
#define DECLARER_ROLE		"provision_declarer"

static Oid	registry_nspid = InvalidOid;

/*
 * The registry lives in the schema of the extension's functions; every
 * SQL-callable function names itself here before touching the registry.
 */
void
registry_use_schema_of(Oid funcoid)
{
	registry_nspid = get_func_namespace(funcoid);
}

Oid
registry_namespace(void)
{
	return registry_nspid;
}

static Oid
registry_relid(void)
{
	Oid			relid = get_relname_relid(REGISTRY_TABLE, registry_nspid);

	if (!OidIsValid(relid))
		elog(ERROR, "table \"%s\" of extension \"provision\" not found", REGISTRY_TABLE);
	return relid;
}

static char *
registry_qualified_name(void)
{
	char	   *nspname = get_namespace_name(registry_nspid);

	if (nspname == NULL)
		elog(ERROR, "schema of extension \"provision\" not found");
	return quote_qualified_identifier(nspname, REGISTRY_TABLE);
}

/* the owner of the registry: the role provision writes it as */
Oid
registry_owner(void)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(registry_relid()));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", registry_relid());
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * The right to declare and forget models: members of provision_declarer,
 * the extension's owner and superusers.
 */
void
registry_check_declare_right(bool forget)
{
	Oid			user = GetUserId();
	Oid			declarers = get_role_oid(DECLARER_ROLE, true);

	if (has_privs_of_role(user, registry_owner()) ||
		(OidIsValid(declarers) && has_privs_of_role(user, declarers)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 forget ? errmsg("permission denied to forget models")
			 : errmsg("permission denied to declare models"),
			 errdetail("Declaring and forgetting models is the right of the members of role \"%s\".",
					   DECLARER_ROLE),
			 errhint("A superuser can grant it: GRANT %s TO role.", DECLARER_ROLE)));
}

/*
 * The extension's own tables, views and sequences are not models: migrating
 * them would change the registry or the history under the extension's
 * feet.  Checked by name, whether or not they exist, and, with existing,
 * for an existing relation by its membership in any extension.
 */
void
reject_extension_relation(const char *schema, const char *table, bool existing)
{
	static const char *const own[] = {
		"provision_registry", "provision_models", "provision_history",
		"provision_history_log", "provision_history_log_id_seq"
	};
	Oid			nspid = lookup_schema(schema);
	Oid			relid;
	Oid			extension;
	int			i;

	if (!OidIsValid(nspid))
		return;
	if (nspid == registry_nspid)
	{
		for (i = 0; i < (int) lengthof(own); i++)
		{
			if (strcmp(table, own[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("relation \"%s\" belongs to extension \"provision\"",
								display_name(schema, table)),
						 errdetail("The extension's registry and history are not models."),
						 errhint("Declare a model under another name.")));
		}
	}
	if (!existing)
		return;
	relid = get_relname_relid(table, nspid);
	if (!OidIsValid(relid))
		return;
	extension = getExtensionOfObject(RelationRelationId, relid);
	if (OidIsValid(extension))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation \"%s\" belongs to extension \"%s\"",
						display_name(schema, table), get_extension_name(extension)),
				 errdetail("Tables of extensions are created and changed by their extension, not by models."),
				 errhint("Declare a model under another name.")));
}

/*
 * The registry's columns: the one list both the reader and the writer use.
 */
typedef enum RegistryColumn
{
	RC_SCHEMA, RC_TABLE, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES,
	RC_BODY, RC_DEFINITION, RC_FOREIGN_KEYS, RC_FK_NAMES, RC_FK_SIGNATURES,
	RC_COL_NAMES, RC_COL_TYPES, RC_COL_COLLATIONS, RC_COL_NOTNULL,
	RC_COL_DEFAULTS, RC_COL_ALT_DEFAULTS, RC_COL_IDENTITY, RC_COL_GENERATED,
	RC_COL_IDENTITY_OPTIONS, RC_COL_SERIAL,
	RC_CON_NAMES, RC_CON_TYPES, RC_CON_DEFS, RC_CON_ALT_DEFS, RC_CON_EXPLICIT,
	RC_DECLARED_AT, RC_DECLARED_BY,
	RC_COUNT
} RegistryColumn;

typedef struct RegistryColumnDesc
{
	const char *name;
	Oid			type;
} RegistryColumnDesc;

static const RegistryColumnDesc registry_columns[RC_COUNT] = {
	[RC_SCHEMA] = {"schema_name", NAMEOID},
	[RC_TABLE] = {"table_name", NAMEOID},
	[RC_FK_REF_SCHEMAS] = {"fk_ref_schemas", TEXTARRAYOID},
	[RC_FK_REF_TABLES] = {"fk_ref_tables", TEXTARRAYOID},
	[RC_BODY] = {"body", TEXTOID},
	[RC_DEFINITION] = {"definition", TEXTOID},
	[RC_FOREIGN_KEYS] = {"foreign_keys", TEXTARRAYOID},
	[RC_FK_NAMES] = {"fk_names", TEXTARRAYOID},
	[RC_FK_SIGNATURES] = {"fk_signatures", TEXTARRAYOID},
	[RC_COL_NAMES] = {"col_names", TEXTARRAYOID},
	[RC_COL_TYPES] = {"col_types", TEXTARRAYOID},
	[RC_COL_COLLATIONS] = {"col_collations", TEXTARRAYOID},
	[RC_COL_NOTNULL] = {"col_notnull", BOOLARRAYOID},
	[RC_COL_DEFAULTS] = {"col_defaults", TEXTARRAYOID},
	[RC_COL_ALT_DEFAULTS] = {"col_alt_defaults", TEXTARRAYOID},
	[RC_COL_IDENTITY] = {"col_identity", TEXTARRAYOID},
	[RC_COL_GENERATED] = {"col_generated", TEXTARRAYOID},
	[RC_COL_IDENTITY_OPTIONS] = {"col_identity_options", TEXTARRAYOID},
	[RC_COL_SERIAL] = {"col_serial", TEXTARRAYOID},
	[RC_CON_NAMES] = {"con_names", TEXTARRAYOID},
	[RC_CON_TYPES] = {"con_types", TEXTARRAYOID},
	[RC_CON_DEFS] = {"con_defs", TEXTARRAYOID},
	[RC_CON_ALT_DEFS] = {"con_alt_defs", TEXTARRAYOID},
	[RC_CON_EXPLICIT] = {"con_explicit", BOOLARRAYOID},
	[RC_DECLARED_AT] = {"declared_at", TIMESTAMPTZOID},
	[RC_DECLARED_BY] = {"declared_by", NAMEOID},
};

/* the columns a MODEL_NAMES read needs: the no-op path deforms no further */
static const RegistryColumn name_columns[] = {
	RC_SCHEMA, RC_TABLE, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES
};

typedef struct RegistryRow
{
	TupleDesc	desc;
	AttrNumber	attnums[RC_COUNT];
	Datum	   *values;			/* the current row, deformed once */
	bool	   *nulls;
	const char *schema;			/* the model's name, once read: for errors */
	const char *table;
} RegistryRow;

/*
 * A registry row kept for decoding the declared shape later: drift
 * detection decodes each model's shape just before comparing its table,
 * in the memory it resets per table, so that reading 10000 models does not
 * hold 10000 decoded shapes at once.
 */
struct RegistryTuple
{
	HeapTuple	tuple;
	const RegistryRow *layout;	/* desc and attnums, shared by one read */
};

static void
registry_layout(RegistryRow *row, TupleDesc desc)
{
	int			i;

	row->desc = desc;
	for (i = 0; i < RC_COUNT; i++)
	{
		row->attnums[i] = SPI_fnumber(desc, registry_columns[i].name);
		if (row->attnums[i] <= 0 ||
			TupleDescAttr(desc, row->attnums[i] - 1)->atttypid != registry_columns[i].type)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the registry of extension \"provision\" is not the one this library expects"),
					 errdetail("Column \"%s\" of table \"%s\" is missing or of another type.",
							   registry_columns[i].name, REGISTRY_TABLE),
					 errhint("Update the extension: ALTER EXTENSION provision UPDATE.")));
	}
	row->schema = row->table = NULL;
}

/* the registry has the columns this library writes (else: update the extension) */
static void
registry_check_layout(void)
{
	Relation	rel = table_open(registry_relid(), AccessShareLock);
	RegistryRow row;

	registry_layout(&row, RelationGetDescr(rel));
	table_close(rel, AccessShareLock);
}

/*
 * A row that is not what provision writes.  Such a row can only come from
 * a direct write by the registry's owner or a superuser.
 */
static void damaged(RegistryRow *row, const char *fmt,...) pg_attribute_printf(2, 3);

static void
damaged(RegistryRow *row, const char *fmt,...)
{
	StringInfoData detail;

	initStringInfo(&detail);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&detail, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&detail, needed);
	}
	if (row->schema != NULL && row->table != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the model of table \"%s\" is damaged",
						display_name(row->schema, row->table)),
				 errdetail("%s", detail.data),
				 errhint("Its registry row was not written by provision. Declare the model again with provision_define(), or remove it with provision_forget().")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("a row of the model registry is damaged"),
			 errdetail("%s", detail.data),
			 errhint("The row was not written by provision. A superuser can remove it from %s.",
					 registry_qualified_name())));
}

static Datum
row_value(RegistryRow *row, RegistryColumn column)
{
	int			i = row->attnums[column] - 1;

	if (row->nulls[i])
		damaged(row, "Its column \"%s\" is null.", registry_columns[column].name);
	return row->values[i];
}

static char *
row_text(RegistryRow *row, RegistryColumn column)
{
	return TextDatumGetCString(row_value(row, column));
}

static char *
row_name(RegistryRow *row, RegistryColumn column)
{
	char	   *name = pstrdup(NameStr(*DatumGetName(row_value(row, column))));

	if (name[0] == '\0')
		damaged(row, "Its column \"%s\" is empty.", registry_columns[column].name);
	return name;
}

/*
 * Whether a registry array has no element, read in place: most models have
 * no foreign key, and detoasting and deconstructing their empty arrays on
 * every read is most of the read's memory.
 */
static bool
array_is_empty(Datum array)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(array);
	int32		ndim;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		return false;
	/* ArrayType after its length word: ndim first, maybe unaligned */
	memcpy(&ndim, VARDATA_ANY(v), sizeof(int32));
	return ndim == 0;
}

/*
 * The elements of an array column, none NULL; their count must match the
 * row's other arrays of the same group (*count >= 0), or sets it.
 */
static Datum *
row_array(RegistryRow *row, RegistryColumn column, int *count)
{
	Datum		array = row_value(row, column);
	Oid			elemtype = registry_columns[column].type == BOOLARRAYOID ? BOOLOID : TEXTOID;
	Datum	   *elems = NULL;
	bool	   *nulls;
	int			n = 0;
	int			i;

	if (!array_is_empty(array))
	{
		ArrayType  *a = DatumGetArrayTypeP(array);

		if (ARR_NDIM(a) != 1)
			damaged(row, "Its column \"%s\" is not a one-dimensional array.",
					registry_columns[column].name);
		deconstruct_array(a, elemtype, elemtype == BOOLOID ? 1 : -1,
						  elemtype == BOOLOID, elemtype == BOOLOID ? TYPALIGN_CHAR : TYPALIGN_INT,
						  &elems, &nulls, &n);
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				damaged(row, "Element %d of its column \"%s\" is null.",
						i + 1, registry_columns[column].name);
		}
	}
	if (*count >= 0 && n != *count)
		damaged(row, "Its column \"%s\" has %d elements where %d were expected.",
				registry_columns[column].name, n, *count);
	*count = n;
	return elems;
}

/* a one-character code out of the ones allowed ("" counts as '\0') */
static char
row_code(RegistryRow *row, RegistryColumn column, Datum value, const char *allowed,
		 bool empty_ok)
{
	char	   *s = TextDatumGetCString(value);

	if ((s[0] == '\0' && empty_ok) ||
		(s[0] != '\0' && s[1] == '\0' && strchr(allowed, s[0]) != NULL))
		return s[0];
	damaged(row, "Its column \"%s\" holds \"%s\", which no model has.",
			registry_columns[column].name, s);
	return '\0';				/* keep the compiler quiet */
}

static char *
row_identifier(RegistryRow *row, RegistryColumn column, Datum value)
{
	char	   *s = TextDatumGetCString(value);

	if (s[0] == '\0' || strlen(s) >= NAMEDATALEN)
		damaged(row, "Its column \"%s\" holds \"%s\", which is not a name.",
				registry_columns[column].name, s);
	return s;
}

static TableShape *
shape_from_row(RegistryRow *row)
{
	TableShape *shape = palloc0(sizeof(TableShape));
	int			n = -1;
	int			c = -1;
	Datum	   *names = row_array(row, RC_COL_NAMES, &n);
	Datum	   *types = row_array(row, RC_COL_TYPES, &n);
	Datum	   *collations = row_array(row, RC_COL_COLLATIONS, &n);
	Datum	   *notnull = row_array(row, RC_COL_NOTNULL, &n);
	Datum	   *defaults = row_array(row, RC_COL_DEFAULTS, &n);
	Datum	   *alt_defaults = row_array(row, RC_COL_ALT_DEFAULTS, &n);
	Datum	   *identity = row_array(row, RC_COL_IDENTITY, &n);
	Datum	   *generated = row_array(row, RC_COL_GENERATED, &n);
	Datum	   *idopts = row_array(row, RC_COL_IDENTITY_OPTIONS, &n);
	Datum	   *serial = row_array(row, RC_COL_SERIAL, &n);
	Datum	   *connames = row_array(row, RC_CON_NAMES, &c);
	Datum	   *contypes = row_array(row, RC_CON_TYPES, &c);
	Datum	   *condefs = row_array(row, RC_CON_DEFS, &c);
	Datum	   *conalt = row_array(row, RC_CON_ALT_DEFS, &c);
	Datum	   *conexplicit = row_array(row, RC_CON_EXPLICIT, &c);
	int			i;

	shape->ncolumns = n;
	shape->columns = palloc0(sizeof(ColumnShape) * (n + 1));
	for (i = 0; i < n; i++)
	{
		ColumnShape *col = &shape->columns[i];

		col->name = row_identifier(row, RC_COL_NAMES, names[i]);
		col->type = TextDatumGetCString(types[i]);
		if (col->type[0] == '\0')
			damaged(row, "Column \"%s\" has no type.", col->name);
		col->collation = TextDatumGetCString(collations[i]);
		col->notnull = DatumGetBool(notnull[i]);
		col->default_expr = TextDatumGetCString(defaults[i]);
		col->alt_default = TextDatumGetCString(alt_defaults[i]);
		col->identity = row_code(row, RC_COL_IDENTITY, identity[i], "ad", true);
		col->generated = row_code(row, RC_COL_GENERATED, generated[i], "s", true);
		col->identity_options = TextDatumGetCString(idopts[i]);
		col->serial = TextDatumGetCString(serial[i]);
		if (col->serial[0] != '\0' && strcmp(col->serial, "serial") != 0 &&
			strcmp(col->serial, "bigserial") != 0 && strcmp(col->serial, "smallserial") != 0)
			damaged(row, "Its column \"%s\" holds \"%s\", which no model has.",
					registry_columns[RC_COL_SERIAL].name, col->serial);
		if (col->generated && col->default_expr[0] == '\0')
			damaged(row, "Generated column \"%s\" has no expression.", col->name);
	}
	shape->nconstraints = c;
	shape->constraints = palloc0(sizeof(ConstraintShape) * (c + 1));
	for (i = 0; i < c; i++)
	{
		ConstraintShape *con = &shape->constraints[i];

		con->name = row_identifier(row, RC_CON_NAMES, connames[i]);
		con->contype = row_code(row, RC_CON_TYPES, contypes[i], "puxc", false);
		con->def = TextDatumGetCString(condefs[i]);
		con->alt_def = TextDatumGetCString(conalt[i]);
		con->explicit_name = DatumGetBool(conexplicit[i]);
		if (con->def[0] == '\0')
			damaged(row, "Constraint \"%s\" has no definition.", con->name);
	}
	return shape;
}

/*
 * The declared shape of model: as defined in this call, or decoded from its
 * registry row into CurrentMemoryContext (not kept: callers decode once
 * per comparison).  The model must have been read with MODEL_SHAPE.
 */
TableShape *
model_shape(const Model *model)
{
	RegistryRow row;

	if (model->shape != NULL)
		return model->shape;
	if (model->stored == NULL)
		elog(ERROR, "model of \"%s.%s\" was read without its shape",
			 model->schema, model->table);
	row = *model->stored->layout;
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	row.schema = model->schema;
	row.table = model->table;
	heap_deform_tuple(model->stored->tuple, row.desc, row.values, row.nulls);
	return shape_from_row(&row);
}

static Model *
model_from_row(RegistryRow *row, ModelRead read, HeapTuple tuple, const RegistryRow *layout)
{
	Model	   *model = palloc0(sizeof(Model));
	int			n = -1;
	Datum	   *ref_schemas;
	Datum	   *ref_tables;
	Datum	   *clauses = NULL;
	Datum	   *names = NULL;
	Datum	   *signatures = NULL;
	int			i;

	row->schema = row->table = NULL;
	model->schema = row_name(row, RC_SCHEMA);
	model->table = row_name(row, RC_TABLE);
	row->schema = model->schema;
	row->table = model->table;
	ref_schemas = row_array(row, RC_FK_REF_SCHEMAS, &n);
	ref_tables = row_array(row, RC_FK_REF_TABLES, &n);
	if (read >= MODEL_DEFINITION)
	{
		clauses = row_array(row, RC_FOREIGN_KEYS, &n);
		names = row_array(row, RC_FK_NAMES, &n);
		signatures = row_array(row, RC_FK_SIGNATURES, &n);
		model->body = row_text(row, RC_BODY);
		model->definition = row_text(row, RC_DEFINITION);
		model->declared_by = row_name(row, RC_DECLARED_BY);
	}
	model->nfkeys = n;
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (n + 1));
	for (i = 0; i < n; i++)
	{
		model->fkeys[i].ref_schema = row_identifier(row, RC_FK_REF_SCHEMAS, ref_schemas[i]);
		model->fkeys[i].ref_table = row_identifier(row, RC_FK_REF_TABLES, ref_tables[i]);
		if (read < MODEL_DEFINITION)
			continue;
		model->fkeys[i].clause = TextDatumGetCString(clauses[i]);
		model->fkeys[i].name = TextDatumGetCString(names[i]);
		model->fkeys[i].signature = TextDatumGetCString(signatures[i]);
		if (model->fkeys[i].clause[0] == '\0' || model->fkeys[i].signature[0] == '\0')
			damaged(row, "Foreign key %d has no definition.", i + 1);
	}
	if (read == MODEL_SHAPE)
	{
		model->stored = palloc(sizeof(struct RegistryTuple));
		model->stored->tuple = heap_copytuple(tuple);
		model->stored->layout = layout;
	}
	return model;
}

static int
model_ptr_cmp(const void *a, const void *b)
{
	const Model *ma = *(Model *const *) a;
	const Model *mb = *(Model *const *) b;
	int			c = strcmp(ma->schema, mb->schema);

	return c != 0 ? c : strcmp(ma->table, mb->table);
}

/* a growing array of models */
typedef struct ModelArray
{
	Model	  **models;
	int			n;
	int			allocated;
} ModelArray;

static void
model_array_add(ModelArray *array, Model *model)
{
	if (array->n == array->allocated)
	{
		array->allocated = Max(16, array->allocated * 2);
		array->models = array->models
			? repalloc(array->models, sizeof(Model *) * array->allocated)
			: palloc(sizeof(Model *) * array->allocated);
	}
	array->models[array->n++] = model;
}

/*
 * Decode one row into a model.  A MODEL_NAMES read deforms only up to the
 * columns it needs; the others are deformed whole.
 */
static void
read_row(RegistryRow *row, TupleDesc deform_desc, HeapTuple tuple, ModelRead read,
		 const RegistryRow *layout, ModelArray *result)
{
	Model	   *model;

	heap_deform_tuple(tuple, deform_desc, row->values, row->nulls);
	model = model_from_row(row, read, tuple, layout);
	model_array_add(result, model);
}

/*
 * Read through SQL: row-level security applies to the caller, so the rows
 * it reads must be the ones a plain SELECT returns.
 */
static void
read_through_sql(const char *schema, const char *table, ModelRead read,
				 ModelArray *result)
{
	StringInfoData query;
	Oid			argtypes[2] = {NAMEOID, NAMEOID};
	Datum		args[2];
	NameData	schema_key;
	NameData	table_key;
	RegistryRow row;
	RegistryRow *layout;
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;
	int			ret;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT * FROM %s r", registry_qualified_name());
	if (schema != NULL)
	{
		appendStringInfoString(&query,
							   " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
							   " AND r.table_name OPERATOR(pg_catalog.=) $2");
		namestrcpy(&schema_key, schema);
		namestrcpy(&table_key, table);
		args[0] = NameGetDatum(&schema_key);
		args[1] = NameGetDatum(&table_key);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(query.data, schema ? 2 : 0, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed: %s", query.data, SPI_result_code_string(ret));

	/* what is kept must outlive SPI: decode in the caller's memory */
	MemoryContextSwitchTo(caller);
	layout = palloc(sizeof(RegistryRow));
	registry_layout(layout, CreateTupleDescCopy(SPI_tuptable->tupdesc));
	row = *layout;
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = heap_copytuple(SPI_tuptable->vals[i]);

		read_row(&row, row.desc, tuple, read, layout, result);
	}
	SPI_finish();
}

/*
 * Read models (one, or all): straight from the registry's heap through its
 * primary key index, with the snapshot an SQL query would use, or through
 * SQL where row-level security applies.  The direct read is the read of
 * every call, so it avoids SQL's parse, plan and tuple copies; SELECT on
 * the registry is still required, as for SQL.
 */
static Model **
registry_read(const char *schema, const char *table, ModelRead read, int *nmodels)
{
	Oid			relid = registry_relid();
	Relation	rel;
	RegistryRow row;
	SysScanDesc scan;
	ScanKeyData keys[2];
	NameData	schema_key;
	NameData	table_key;
	HeapTuple	tuple;
	RegistryRow *layout = NULL;
	TupleDesc	deform_desc;
	ModelArray	result = {NULL, 0, 0};
	int			i;

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, REGISTRY_TABLE);

	/* as SELECT would: policies apply, or row_security = off refuses */
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		read_through_sql(schema, table, read, &result);
	else
	{
		rel = table_open(relid, AccessShareLock);
		registry_layout(&row, RelationGetDescr(rel));
		row.values = palloc(sizeof(Datum) * row.desc->natts);
		row.nulls = palloc(sizeof(bool) * row.desc->natts);

		/*
		 * Names and references stand at the start of a row: deform only up
		 * to them, rather than walk every array of the declared shape.
		 */
		deform_desc = row.desc;
		if (read == MODEL_NAMES)
		{
			deform_desc = CreateTupleDescCopy(row.desc);
			deform_desc->natts = 0;
			for (i = 0; i < (int) lengthof(name_columns); i++)
				deform_desc->natts = Max(deform_desc->natts, row.attnums[name_columns[i]]);
		}
		if (read == MODEL_SHAPE)
		{
			/* what model_shape() needs to deform the kept rows later */
			layout = palloc(sizeof(RegistryRow));
			*layout = row;
			layout->desc = CreateTupleDescCopy(row.desc);
		}

		/* see what this transaction wrote so far, as SPI would */
		PushCopiedSnapshot(GetActiveSnapshot());
		UpdateActiveSnapshotCommandId();
		if (schema != NULL)
		{
			namestrcpy(&schema_key, schema);
			namestrcpy(&table_key, table);
			ScanKeyInit(&keys[0], row.attnums[RC_SCHEMA], BTEqualStrategyNumber,
						F_NAMEEQ, NameGetDatum(&schema_key));
			ScanKeyInit(&keys[1], row.attnums[RC_TABLE], BTEqualStrategyNumber,
						F_NAMEEQ, NameGetDatum(&table_key));
			scan = systable_beginscan(rel, provision_primary_key_index(rel), true,
									  GetActiveSnapshot(), 2, keys);
		}
		else
			scan = systable_beginscan(rel, InvalidOid, false, GetActiveSnapshot(), 0, NULL);

		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
			read_row(&row, deform_desc, tuple, read, layout, &result);
		systable_endscan(scan);
		PopActiveSnapshot();
		table_close(rel, AccessShareLock);
	}

	/* byte order of schema, then table: the order lock.c needs */
	if (result.n > 1)
		qsort(result.models, result.n, sizeof(Model *), model_ptr_cmp);
	*nmodels = result.n;
	return result.models ? result.models : palloc0(sizeof(Model *));
}

/*
 * The model of schema.table, or NULL when none is declared, decoded as far
 * as read asks.
 */
Model *
registry_fetch(const char *schema, const char *table, ModelRead read)
{
	int			n;
	Model	  **models = registry_read(schema, table, read, &n);

	return n > 0 ? models[0] : NULL;
}

/*
 * Every declared model, sorted by schema and table name in byte order.
 */
Model **
registry_fetch_all(int *nmodels, ModelRead read)
{
	return registry_read(NULL, NULL, read, nmodels);
}

static Datum
text_datum_of_char(char c)
{
	char		buf[2] = {c, '\0'};

	return CStringGetTextDatum(buf);
}

/* an array column's value from count elements */
static Datum
array_datum(Datum *elems, int count, RegistryColumn column)
{
	bool		is_bool = registry_columns[column].type == BOOLARRAYOID;

	return PointerGetDatum(construct_array(elems, count, is_bool ? BOOLOID : TEXTOID,
										   is_bool ? 1 : -1, is_bool,
										   is_bool ? TYPALIGN_CHAR : TYPALIGN_INT));
}

/*
 * Run a fixed, parameterized statement on the registry as its owner: the
 * declare right was checked by the caller, and no role needs a privilege
 * on the table itself.  Returns the number of rows processed.
 */
static uint64
registry_write(const char *query, int nargs, Oid *argtypes, Datum *args, int expected)
{
	TrustScope	scope;
	uint64		processed;
	int			ret;

	trust_enter(registry_owner(), true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(query, nargs, argtypes, args, NULL, false, 0);
	if (ret != expected)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
	processed = SPI_processed;
	SPI_finish();
	trust_leave(&scope);
	return processed;
}

/*
 * Declare or replace the model of model->schema.model->table, with its
 * shape, as declared by the current role.
 */
void
registry_store(const Model *model)
{
	const TableShape *shape = model->shape;
	int			nf = model->nfkeys;
	int			nc = shape->ncolumns;
	int			nk = shape->nconstraints;
	int			most = Max(Max(nf, nc), nk) + 1;
	Datum		values[RC_COUNT];
	Datum	   *e[RC_COUNT];
	Oid			argtypes[RC_COUNT];
	Datum		args[RC_COUNT];
	NameData	names[3];
	StringInfoData query;
	int			nargs = 0;
	int			i,
				k;

	reject_extension_relation(model->schema, model->table, true);
	registry_check_layout();
	for (k = 0; k < RC_COUNT; k++)
		e[k] = palloc(sizeof(Datum) * most);

	namestrcpy(&names[0], model->schema);
	namestrcpy(&names[1], model->table);
	namestrcpy(&names[2], GetUserNameFromId(GetUserId(), false));
	values[RC_SCHEMA] = NameGetDatum(&names[0]);
	values[RC_TABLE] = NameGetDatum(&names[1]);
	values[RC_DECLARED_BY] = NameGetDatum(&names[2]);
	values[RC_BODY] = CStringGetTextDatum(model->body);
	values[RC_DEFINITION] = CStringGetTextDatum(model->definition);

	for (i = 0; i < nf; i++)
	{
		const ForeignKeyDef *fk = &model->fkeys[i];

		e[RC_FOREIGN_KEYS][i] = CStringGetTextDatum(fk->clause);
		e[RC_FK_NAMES][i] = CStringGetTextDatum(fk->name);
		e[RC_FK_SIGNATURES][i] = CStringGetTextDatum(fk->signature);
		e[RC_FK_REF_SCHEMAS][i] = CStringGetTextDatum(fk->ref_schema);
		e[RC_FK_REF_TABLES][i] = CStringGetTextDatum(fk->ref_table);
	}
	for (i = 0; i < nc; i++)
	{
		const ColumnShape *col = &shape->columns[i];

		e[RC_COL_NAMES][i] = CStringGetTextDatum(col->name);
		e[RC_COL_TYPES][i] = CStringGetTextDatum(col->type);
		e[RC_COL_COLLATIONS][i] = CStringGetTextDatum(col->collation);
		e[RC_COL_NOTNULL][i] = BoolGetDatum(col->notnull);
		e[RC_COL_DEFAULTS][i] = CStringGetTextDatum(col->default_expr);
		e[RC_COL_ALT_DEFAULTS][i] = CStringGetTextDatum(col->alt_default);
		e[RC_COL_IDENTITY][i] = text_datum_of_char(col->identity);
		e[RC_COL_GENERATED][i] = text_datum_of_char(col->generated);
		e[RC_COL_IDENTITY_OPTIONS][i] = CStringGetTextDatum(col->identity_options);
		e[RC_COL_SERIAL][i] = CStringGetTextDatum(col->serial);
	}
	for (i = 0; i < nk; i++)
	{
		const ConstraintShape *con = &shape->constraints[i];

		e[RC_CON_NAMES][i] = CStringGetTextDatum(con->name);
		e[RC_CON_TYPES][i] = text_datum_of_char(con->contype);
		e[RC_CON_DEFS][i] = CStringGetTextDatum(con->def);
		e[RC_CON_ALT_DEFS][i] = CStringGetTextDatum(con->alt_def);
		e[RC_CON_EXPLICIT][i] = BoolGetDatum(con->explicit_name);
	}
	for (k = 0; k < RC_COUNT; k++)
	{
		int			count;

		if (registry_columns[k].type != TEXTARRAYOID &&
			registry_columns[k].type != BOOLARRAYOID)
			continue;
		count = (k >= RC_COL_NAMES && k <= RC_COL_SERIAL) ? nc
			: (k >= RC_CON_NAMES && k <= RC_CON_EXPLICIT) ? nk : nf;
		values[k] = array_datum(e[k], count, (RegistryColumn) k);
	}

	/* declared_at is now(); every other column is a parameter */
	initStringInfo(&query);
	appendStringInfo(&query, "INSERT INTO %s AS r (", registry_qualified_name());
	for (k = 0; k < RC_COUNT; k++)
		appendStringInfo(&query, "%s%s", k ? ", " : "", registry_columns[k].name);
	appendStringInfoString(&query, ") VALUES (");
	for (k = 0; k < RC_COUNT; k++)
	{
		if (k > 0)
			appendStringInfoString(&query, ", ");
		if (k == RC_DECLARED_AT)
			appendStringInfoString(&query, "pg_catalog.now()");
		else
		{
			argtypes[nargs] = registry_columns[k].type;
			args[nargs] = values[k];
			appendStringInfo(&query, "$%d", ++nargs);
		}
	}
	appendStringInfoString(&query, ") ON CONFLICT (schema_name, table_name) DO UPDATE SET ");
	for (k = RC_FK_REF_SCHEMAS; k < RC_COUNT; k++)
		appendStringInfo(&query, "%s%s = excluded.%s", k > RC_FK_REF_SCHEMAS ? ", " : "",
						 registry_columns[k].name, registry_columns[k].name);

	(void) registry_write(query.data, nargs, argtypes, args, SPI_OK_INSERT);
}

/*
 * Forget the model of schema.table; false when there was none.
 */
bool
registry_delete(const char *schema, const char *table)
{
	Oid			argtypes[2] = {NAMEOID, NAMEOID};
	Datum		args[2];
	NameData	schema_key;
	NameData	table_key;
	char	   *query;

	namestrcpy(&schema_key, schema);
	namestrcpy(&table_key, table);
	args[0] = NameGetDatum(&schema_key);
	args[1] = NameGetDatum(&table_key);
	query = psprintf("DELETE FROM %s r"
					 " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
					 " AND r.table_name OPERATOR(pg_catalog.=) $2",
					 registry_qualified_name());
	return registry_write(query, 2, argtypes, args, SPI_OK_DELETE) > 0;
}
