/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The model registry: the table provision_registry in the extension's
 *	  schema, one row per declared table, and the right to change it.
 *
 * Rows are written through SPI and read straight from the table with the
 * snapshot SQL would use, all in the caller's transaction, so a rollback
 * takes a declaration back with everything else.  The registry is read
 * once per call; what it holds is already normalized and analysed (see
 * definition.c), so nothing read here is parsed again.
 *
 * The right to declare or forget models is the right to write this table:
 * INSERT and UPDATE to declare, DELETE to forget.  The install script grants
 * it to nobody, so only the extension's owner and superusers have it until
 * they GRANT it.  It is checked up front, so that a role without it gets a
 * message about models rather than about a table it never named.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#define REGISTRY_TABLE "provision_registry"

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

static char *
registry_qualified_name(void)
{
	char	   *nspname = get_namespace_name(registry_nspid);

	if (nspname == NULL)
		elog(ERROR, "schema of extension \"provision\" not found");
	return quote_qualified_identifier(nspname, REGISTRY_TABLE);
}

void
registry_check_right(AclMode mode)
{
	Oid			relid = get_relname_relid(REGISTRY_TABLE, registry_nspid);

	if (!OidIsValid(relid))
		elog(ERROR, "table \"%s\" of extension \"provision\" not found",
			 REGISTRY_TABLE);
	if (pg_class_aclcheck(relid, GetUserId(), mode) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s models",
						(mode & ACL_DELETE) ? "forget" : "declare"),
				 errdetail("Declaring and forgetting models needs INSERT, UPDATE and DELETE on %s.",
						   registry_qualified_name()),
				 errhint("The owner of extension \"provision\" can grant them: GRANT INSERT, UPDATE, DELETE ON %s TO role.",
						 registry_qualified_name())));
}

static void
spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
spi_check(int ret, int expected, const char *query)
{
	if (ret != expected)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
}

/*
 * Arrays of the registry, element by element.  Every array of one model
 * row has one element per column, constraint or foreign key.
 */
static Datum *
array_elements(Datum array, Oid elemtype, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(DatumGetArrayTypeP(array), elemtype, typlen, typbyval,
					  typalign, &elems, &nulls, count);
	return elems;
}

static Datum
array_datum(Datum *elems, int count, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(elems, count, elemtype, typlen,
										   typbyval, typalign));
}

/*
 * The registry's columns that reads use, by attribute number, looked up
 * once per read.
 */
typedef enum RegistryColumn
{
	RC_SCHEMA, RC_TABLE, RC_BODY, RC_DEFINITION, RC_FOREIGN_KEYS, RC_FK_NAMES,
	RC_FK_SIGNATURES, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES,
	RC_COL_NAMES, RC_COL_TYPES, RC_COL_TYPMODS, RC_COL_COLLATIONS,
	RC_COL_NOTNULL, RC_COL_DEFAULTS, RC_COL_IDENTITY, RC_COL_GENERATED,
	RC_COL_IDENTITY_OPTIONS, RC_COL_SERIAL, RC_CON_NAMES, RC_CON_TYPES,
	RC_CON_DEFS, RC_CON_EXPLICIT,
	RC_COUNT
} RegistryColumn;

static const char *const registry_column_names[RC_COUNT] = {
	"schema_name", "table_name", "body", "definition", "foreign_keys",
	"fk_names", "fk_signatures", "fk_ref_schemas", "fk_ref_tables",
	"col_names", "col_types", "col_typmods", "col_collations",
	"col_notnull", "col_defaults", "col_identity", "col_generated",
	"col_identity_options", "col_serial", "con_names", "con_types",
	"con_defs", "con_explicit"
};

typedef struct RegistryRow
{
	TupleDesc	desc;
	AttrNumber	attnums[RC_COUNT];
	Datum	   *values;			/* the current row, deformed once */
	bool	   *nulls;
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

static Datum
row_value(RegistryRow *row, RegistryColumn column)
{
	int			i = row->attnums[column] - 1;

	if (row->nulls[i])
		elog(ERROR, "registry column \"%s\" is null", registry_column_names[column]);
	return row->values[i];
}

static char *
row_text(RegistryRow *row, RegistryColumn column)
{
	return TextDatumGetCString(row_value(row, column));
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

/* the element count must match the row's other arrays */
static Datum *
row_array(RegistryRow *row, RegistryColumn column, Oid elemtype, int *count)
{
	int			n;
	Datum		array = row_value(row, column);
	Datum	   *elems;

	if (array_is_empty(array))
	{
		n = 0;
		elems = NULL;
	}
	else
		elems = array_elements(array, elemtype, &n);

	if (*count >= 0 && n != *count)
		elog(ERROR, "registry column \"%s\" has %d elements, expected %d",
			 registry_column_names[column], n, *count);
	*count = n;
	return elems;
}

static TableShape *
shape_from_row(RegistryRow *row)
{
	TableShape *shape = palloc0(sizeof(TableShape));
	int			n = -1;
	int			c = -1;
	Datum	   *names = row_array(row, RC_COL_NAMES, TEXTOID, &n);
	Datum	   *types = row_array(row, RC_COL_TYPES, REGTYPEOID, &n);
	Datum	   *typmods = row_array(row, RC_COL_TYPMODS, INT4OID, &n);
	Datum	   *collations = row_array(row, RC_COL_COLLATIONS, TEXTOID, &n);
	Datum	   *notnull = row_array(row, RC_COL_NOTNULL, BOOLOID, &n);
	Datum	   *defaults = row_array(row, RC_COL_DEFAULTS, TEXTOID, &n);
	Datum	   *identity = row_array(row, RC_COL_IDENTITY, TEXTOID, &n);
	Datum	   *generated = row_array(row, RC_COL_GENERATED, TEXTOID, &n);
	Datum	   *idopts = row_array(row, RC_COL_IDENTITY_OPTIONS, TEXTOID, &n);
	Datum	   *serial = row_array(row, RC_COL_SERIAL, TEXTOID, &n);
	Datum	   *connames = row_array(row, RC_CON_NAMES, TEXTOID, &c);
	Datum	   *contypes = row_array(row, RC_CON_TYPES, TEXTOID, &c);
	Datum	   *condefs = row_array(row, RC_CON_DEFS, TEXTOID, &c);
	Datum	   *conexplicit = row_array(row, RC_CON_EXPLICIT, BOOLOID, &c);
	int			i;

	shape->ncolumns = n;
	shape->columns = palloc0(sizeof(ColumnShape) * (n + 1));
	for (i = 0; i < n; i++)
	{
		ColumnShape *col = &shape->columns[i];

		col->name = TextDatumGetCString(names[i]);
		col->type = DatumGetObjectId(types[i]);
		col->typmod = DatumGetInt32(typmods[i]);
		col->collation = TextDatumGetCString(collations[i]);
		col->notnull = DatumGetBool(notnull[i]);
		col->default_expr = TextDatumGetCString(defaults[i]);
		col->identity = TextDatumGetCString(identity[i])[0];
		col->generated = TextDatumGetCString(generated[i])[0];
		col->identity_options = TextDatumGetCString(idopts[i]);
		col->serial = TextDatumGetCString(serial[i]);
	}
	shape->nconstraints = c;
	shape->constraints = palloc0(sizeof(ConstraintShape) * (c + 1));
	for (i = 0; i < c; i++)
	{
		ConstraintShape *con = &shape->constraints[i];

		con->name = TextDatumGetCString(connames[i]);
		con->contype = TextDatumGetCString(contypes[i])[0];
		con->def = TextDatumGetCString(condefs[i]);
		con->explicit_name = DatumGetBool(conexplicit[i]);
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
	heap_deform_tuple(model->stored->tuple, row.desc, row.values, row.nulls);
	return shape_from_row(&row);
}

static Model *
model_from_row(RegistryRow *row, ModelRead read, HeapTuple tuple, const RegistryRow *layout)
{
	Model	   *model = palloc0(sizeof(Model));
	int			n = -1;
	Datum	   *ref_schemas = row_array(row, RC_FK_REF_SCHEMAS, TEXTOID, &n);
	Datum	   *ref_tables = row_array(row, RC_FK_REF_TABLES, TEXTOID, &n);
	Datum	   *clauses = NULL;
	Datum	   *names = NULL;
	Datum	   *signatures = NULL;
	int			i;

	model->schema = pstrdup(NameStr(*DatumGetName(row_value(row, RC_SCHEMA))));
	model->table = pstrdup(NameStr(*DatumGetName(row_value(row, RC_TABLE))));
	if (read >= MODEL_DEFINITION)
	{
		clauses = row_array(row, RC_FOREIGN_KEYS, TEXTOID, &n);
		names = row_array(row, RC_FK_NAMES, TEXTOID, &n);
		signatures = row_array(row, RC_FK_SIGNATURES, TEXTOID, &n);
		model->body = row_text(row, RC_BODY);
		model->definition = row_text(row, RC_DEFINITION);
	}
	model->nfkeys = n;
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (n + 1));
	for (i = 0; i < n; i++)
	{
		model->fkeys[i].ref_schema = TextDatumGetCString(ref_schemas[i]);
		model->fkeys[i].ref_table = TextDatumGetCString(ref_tables[i]);
		if (read < MODEL_DEFINITION)
			continue;
		model->fkeys[i].clause = TextDatumGetCString(clauses[i]);
		model->fkeys[i].name = TextDatumGetCString(names[i]);
		model->fkeys[i].signature = TextDatumGetCString(signatures[i]);
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

/*
 * Read models straight from the registry's heap (one model through its
 * primary key index, or all), with the snapshot an SQL query would use.
 * This is the read of every call, so it avoids SQL's parse, plan and
 * tuple copies; SELECT on the registry is still required, as for SQL.
 */
static Model **
registry_read(const char *schema, const char *table, ModelRead read, int *nmodels)
{
	Oid			relid = get_relname_relid(REGISTRY_TABLE, registry_nspid);
	Relation	rel;
	RegistryRow row;
	SysScanDesc scan;
	ScanKeyData keys[2];
	NameData	schema_key;
	NameData	table_key;
	HeapTuple	tuple;
	RegistryRow *layout = NULL;
	TupleDesc	deform_desc;
	Model	  **models;
	int			allocated = 16;
	int			n = 0;
	int			i;

	if (!OidIsValid(relid))
		elog(ERROR, "table \"%s\" of extension \"provision\" not found", REGISTRY_TABLE);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, REGISTRY_TABLE);

	rel = table_open(relid, AccessShareLock);
	row.desc = RelationGetDescr(rel);
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	for (i = 0; i < RC_COUNT; i++)
	{
		row.attnums[i] = SPI_fnumber(row.desc, registry_column_names[i]);
		if (row.attnums[i] <= 0)
			elog(ERROR, "registry column \"%s\" not found", registry_column_names[i]);
	}

	/*
	 * Names and references stand at the start of a row: deform only up to
	 * them, rather than walk every array of the declared shape.
	 */
	deform_desc = row.desc;
	if (read == MODEL_NAMES)
	{
		static const RegistryColumn name_columns[] = {
			RC_SCHEMA, RC_TABLE, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES
		};

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

	models = palloc(sizeof(Model *) * allocated);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		if (n == allocated)
		{
			allocated *= 2;
			models = repalloc(models, sizeof(Model *) * allocated);
		}
		heap_deform_tuple(tuple, deform_desc, row.values, row.nulls);
		models[n++] = model_from_row(&row, read, tuple, layout);
	}
	systable_endscan(scan);
	PopActiveSnapshot();
	table_close(rel, AccessShareLock);

	/* byte order of schema, then table: the order lock.c needs */
	if (n > 1)
		qsort(models, n, sizeof(Model *), model_ptr_cmp);
	*nmodels = n;
	return models;
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

/*
 * Declare or replace the model of model->schema.model->table, with its
 * shape.
 */
/*
 * provision's own tables and views are not models: migrating them would
 * change the registry or the history under the extension's feet.
 */
static void
reject_extension_relation(const Model *model)
{
	Oid			nspid = lookup_schema(model->schema);
	Oid			relid;

	if (!OidIsValid(nspid))
		return;
	relid = get_relname_relid(model->table, nspid);
	if (OidIsValid(relid) &&
		getExtensionOfObject(RelationRelationId, relid) == get_extension_oid("provision", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation \"%s\" belongs to extension \"provision\"",
						display_name(model->schema, model->table)),
				 errdetail("The extension's registry and history are not models."),
				 errhint("Declare a model under another name.")));
}

void
registry_store(const Model *model)
{
#define NSTORE 25
#define DECLARED_AT 23
	static const char *const columns[NSTORE] = {
		"schema_name", "table_name", "body", "definition", "foreign_keys",
		"fk_names", "fk_signatures", "fk_ref_schemas", "fk_ref_tables",
		"col_names", "col_types", "col_typmods", "col_collations",
		"col_notnull", "col_defaults", "col_identity", "col_generated",
		"col_identity_options", "col_serial", "con_names", "con_types",
		"con_defs", "con_explicit", "declared_at", "declared_by"
	};
	const TableShape *shape = model->shape;
	int			nf = model->nfkeys;
	int			nc = shape->ncolumns;
	int			nk = shape->nconstraints;
	Oid			argtypes[NSTORE];
	Datum		args[NSTORE];
	Datum	   *e[14];
	StringInfoData query;
	int			i,
				k;
	int			nparams;
	int			ret;

	reject_extension_relation(model);
	for (k = 0; k < 14; k++)
		e[k] = palloc(sizeof(Datum) * (Max(Max(nf, nc), nk) + 1));
	for (i = 0; i < nf; i++)
	{
		e[0][i] = CStringGetTextDatum(model->fkeys[i].clause);
		e[1][i] = CStringGetTextDatum(model->fkeys[i].name);
		e[2][i] = CStringGetTextDatum(model->fkeys[i].signature);
		e[3][i] = CStringGetTextDatum(model->fkeys[i].ref_schema);
		e[4][i] = CStringGetTextDatum(model->fkeys[i].ref_table);
	}
	args[0] = CStringGetTextDatum(model->schema);
	args[1] = CStringGetTextDatum(model->table);
	args[2] = CStringGetTextDatum(model->body);
	args[3] = CStringGetTextDatum(model->definition);
	for (k = 0; k < 5; k++)
		args[4 + k] = array_datum(e[k], nf, TEXTOID);

	for (i = 0; i < nc; i++)
	{
		const ColumnShape *col = &shape->columns[i];

		e[0][i] = CStringGetTextDatum(col->name);
		e[1][i] = ObjectIdGetDatum(col->type);
		e[2][i] = Int32GetDatum(col->typmod);
		e[3][i] = CStringGetTextDatum(col->collation);
		e[4][i] = BoolGetDatum(col->notnull);
		e[5][i] = CStringGetTextDatum(col->default_expr);
		e[6][i] = text_datum_of_char(col->identity);
		e[7][i] = text_datum_of_char(col->generated);
		e[8][i] = CStringGetTextDatum(col->identity_options);
		e[9][i] = CStringGetTextDatum(col->serial);
	}
	args[9] = array_datum(e[0], nc, TEXTOID);
	args[10] = array_datum(e[1], nc, REGTYPEOID);
	args[11] = array_datum(e[2], nc, INT4OID);
	args[12] = array_datum(e[3], nc, TEXTOID);
	args[13] = array_datum(e[4], nc, BOOLOID);
	for (k = 5; k < 10; k++)
		args[9 + k] = array_datum(e[k], nc, TEXTOID);

	for (i = 0; i < nk; i++)
	{
		const ConstraintShape *con = &shape->constraints[i];

		e[10][i] = CStringGetTextDatum(con->name);
		e[11][i] = text_datum_of_char(con->contype);
		e[12][i] = CStringGetTextDatum(con->def);
		e[13][i] = BoolGetDatum(con->explicit_name);
	}
	args[19] = array_datum(e[10], nk, TEXTOID);
	args[20] = array_datum(e[11], nk, TEXTOID);
	args[21] = array_datum(e[12], nk, TEXTOID);
	args[22] = array_datum(e[13], nk, BOOLOID);
	/* declared_at is now(), in the query; declared_by takes its parameter */
	args[DECLARED_AT] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));

	initStringInfo(&query);
	appendStringInfo(&query, "INSERT INTO %s AS r (", registry_qualified_name());
	for (k = 0; k < NSTORE; k++)
		appendStringInfo(&query, "%s%s", k ? ", " : "", columns[k]);
	appendStringInfoString(&query, ") VALUES (");
	for (k = 0, nparams = 0; k < NSTORE; k++)
	{
		if (k > 0)
			appendStringInfoString(&query, ", ");
		if (k == DECLARED_AT)
			appendStringInfoString(&query, "pg_catalog.now()");
		else
			appendStringInfo(&query, "$%d", ++nparams);
	}
	appendStringInfoString(&query, ") ON CONFLICT (schema_name, table_name) DO UPDATE SET ");
	for (k = 2; k < NSTORE; k++)
		appendStringInfo(&query, "%s%s = excluded.%s", k > 2 ? ", " : "",
						 columns[k], columns[k]);

	for (k = 0; k < NSTORE; k++)
		argtypes[k] = TEXTOID;
	argtypes[4] = argtypes[5] = argtypes[6] = argtypes[7] = argtypes[8] = TEXTARRAYOID;
	argtypes[9] = TEXTARRAYOID;
	argtypes[10] = REGTYPEARRAYOID;
	argtypes[11] = INT4ARRAYOID;
	argtypes[12] = TEXTARRAYOID;
	argtypes[13] = BOOLARRAYOID;
	for (k = 14; k < 22; k++)
		argtypes[k] = TEXTARRAYOID;
	argtypes[22] = BOOLARRAYOID;

	spi_connect();
	ret = SPI_execute_with_args(query.data, nparams, argtypes, args, NULL, false, 0);
	spi_check(ret, SPI_OK_INSERT, query.data);
	SPI_finish();
}

/*
 * Forget the model of schema.table; false when there was none.
 */
bool
registry_delete(const char *schema, const char *table)
{
	char	   *query;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	int			ret;
	bool		deleted;

	spi_connect();
	query = psprintf("DELETE FROM %s"
					 " WHERE schema_name = $1::pg_catalog.name AND table_name = $2::pg_catalog.name",
					 registry_qualified_name());
	args[0] = CStringGetTextDatum(schema);
	args[1] = CStringGetTextDatum(table);
	ret = SPI_execute_with_args(query, 2, argtypes, args, NULL, false, 0);
	spi_check(ret, SPI_OK_DELETE, query);
	deleted = SPI_processed > 0;
	SPI_finish();
	return deleted;
}
