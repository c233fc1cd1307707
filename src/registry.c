/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The model registry: the table provision_registry in the extension's
 *	  schema, one row per declared table, and the right to change it.
 *
 * Rows are read and written through SPI in the caller's transaction, so a
 * rollback takes a declaration back with everything else.  The registry is
 * read once per call; what it holds is already normalized (see
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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

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

static char **
text_array_elements(Datum array, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **result;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, count);
	result = palloc(sizeof(char *) * (*count + 1));
	for (i = 0; i < *count; i++)
		result[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return result;
}

static Datum
text_array_datum(char **values, int count)
{
	Datum	   *elems = palloc(sizeof(Datum) * (count + 1));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(values[i]);
	return PointerGetDatum(construct_array(elems, count, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

#define MODEL_COLUMNS \
	"schema_name, table_name, body, foreign_keys, fk_ref_schemas, fk_ref_tables, definition"

/*
 * Build a Model from the current SPI row, allocated in the caller's
 * context (outside SPI's, which SPI_finish frees).
 */
static Model *
model_from_row(HeapTuple tuple, TupleDesc desc, MemoryContext target)
{
	MemoryContext old = MemoryContextSwitchTo(target);
	Model	   *model = palloc0(sizeof(Model));
	bool		isnull;
	char	  **clauses;
	char	  **ref_schemas;
	char	  **ref_tables;
	int			n1,
				n2,
				n3,
				i;

	model->schema = SPI_getvalue(tuple, desc, 1);
	model->table = SPI_getvalue(tuple, desc, 2);
	model->body = SPI_getvalue(tuple, desc, 3);
	clauses = text_array_elements(SPI_getbinval(tuple, desc, 4, &isnull), &n1);
	ref_schemas = text_array_elements(SPI_getbinval(tuple, desc, 5, &isnull), &n2);
	ref_tables = text_array_elements(SPI_getbinval(tuple, desc, 6, &isnull), &n3);
	if (n1 != n2 || n1 != n3)
		elog(ERROR, "corrupt foreign keys in the model of table \"%s\"",
			 display_name(model->schema, model->table));
	model->definition = SPI_getvalue(tuple, desc, 7);
	model->nfkeys = n1;
	model->fkeys = palloc0(sizeof(ForeignKeyDef) * (n1 + 1));
	for (i = 0; i < n1; i++)
	{
		model->fkeys[i].clause = clauses[i];
		model->fkeys[i].ref_schema = ref_schemas[i];
		model->fkeys[i].ref_table = ref_tables[i];
	}
	MemoryContextSwitchTo(old);
	return model;
}

/*
 * The model of schema.table, or NULL when none is declared.
 */
Model *
registry_fetch(const char *schema, const char *table)
{
	MemoryContext caller = CurrentMemoryContext;
	Model	   *model = NULL;
	char	   *query;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	int			ret;

	spi_connect();
	query = psprintf("SELECT " MODEL_COLUMNS " FROM %s"
					 " WHERE schema_name = $1::pg_catalog.name AND table_name = $2::pg_catalog.name",
					 registry_qualified_name());
	args[0] = CStringGetTextDatum(schema);
	args[1] = CStringGetTextDatum(table);
	ret = SPI_execute_with_args(query, 2, argtypes, args, NULL, true, 1);
	spi_check(ret, SPI_OK_SELECT, query);
	if (SPI_processed > 0)
		model = model_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, caller);
	SPI_finish();
	return model;
}

/*
 * Every declared model, sorted by schema and table name (byte order, the
 * order lock.c needs).
 */
Model **
registry_fetch_all(int *nmodels)
{
	MemoryContext caller = CurrentMemoryContext;
	Model	  **models;
	char	   *query;
	int			ret;
	uint64		i;

	spi_connect();
	query = psprintf("SELECT " MODEL_COLUMNS " FROM %s"
					 " ORDER BY schema_name COLLATE \"C\", table_name COLLATE \"C\"",
					 registry_qualified_name());
	ret = SPI_execute(query, true, 0);
	spi_check(ret, SPI_OK_SELECT, query);
	models = MemoryContextAlloc(caller, sizeof(Model *) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
		models[i] = model_from_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, caller);
	*nmodels = (int) SPI_processed;
	SPI_finish();
	return models;
}

/*
 * Declare or replace the model of model->schema.model->table.
 */
void
registry_store(const Model *model)
{
	char	   *query;
	Oid			argtypes[8] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTOID, TEXTOID};
	Datum		args[8];
	char	  **clauses = palloc(sizeof(char *) * (model->nfkeys + 1));
	char	  **ref_schemas = palloc(sizeof(char *) * (model->nfkeys + 1));
	char	  **ref_tables = palloc(sizeof(char *) * (model->nfkeys + 1));
	int			i;
	int			ret;

	for (i = 0; i < model->nfkeys; i++)
	{
		clauses[i] = model->fkeys[i].clause;
		ref_schemas[i] = model->fkeys[i].ref_schema;
		ref_tables[i] = model->fkeys[i].ref_table;
	}
	args[0] = CStringGetTextDatum(model->schema);
	args[1] = CStringGetTextDatum(model->table);
	args[2] = CStringGetTextDatum(model->body);
	args[3] = text_array_datum(clauses, model->nfkeys);
	args[4] = text_array_datum(ref_schemas, model->nfkeys);
	args[5] = text_array_datum(ref_tables, model->nfkeys);
	args[6] = CStringGetTextDatum(model->definition);
	args[7] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));

	spi_connect();
	query = psprintf("INSERT INTO %s AS r (" MODEL_COLUMNS ", declared_at, declared_by)"
					 " VALUES ($1::pg_catalog.name, $2::pg_catalog.name, $3, $4, $5, $6, $7,"
					 " pg_catalog.now(), $8::pg_catalog.name)"
					 " ON CONFLICT (schema_name, table_name) DO UPDATE SET"
					 " body = excluded.body, foreign_keys = excluded.foreign_keys,"
					 " fk_ref_schemas = excluded.fk_ref_schemas,"
					 " fk_ref_tables = excluded.fk_ref_tables,"
					 " definition = excluded.definition,"
					 " declared_at = excluded.declared_at,"
					 " declared_by = excluded.declared_by",
					 registry_qualified_name());
	ret = SPI_execute_with_args(query, 8, argtypes, args, NULL, false, 0);
	spi_check(ret, SPI_OK_INSERT, query);
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
