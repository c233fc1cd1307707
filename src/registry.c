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
 * A model is stored by an UPDATE of its row, else an INSERT, so that under
 * REPEATABLE READ a row another session changed or deleted since the
 * snapshot is a serialization failure, never a second row of one model.
 *
 *-------------------------------------------------------------------------
 */
#include "registry.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "common/md5.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
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
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "pg_compat.h"
#include "name.h"
#include "trust.h"

#define REGISTRY_TABLE		"provision_registry"
#define OBJECTS_TABLE		"provision_objects"
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
table_relid(const char *table)
{
	Oid			relid = get_relname_relid(table, registry_nspid);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" of extension \"provision\" does not exist", table),
				 errhint("Update the extension: ALTER EXTENSION provision UPDATE.")));
	return relid;
}

static Oid
registry_relid(void)
{
	return table_relid(REGISTRY_TABLE);
}

static char *
qualified_name_of(const char *table)
{
	char	   *nspname = get_namespace_name(registry_nspid);

	if (nspname == NULL)
		elog(ERROR, "schema of extension \"provision\" not found");
	return quote_qualified_identifier(nspname, table);
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
		"provision_registry", "provision_objects", "provision_models",
		"provision_history", "provision_history_log", "provision_history_log_id_seq"
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
 * The columns of a registry table: the one list both the reader and the
 * writer use.
 */
typedef struct RegistryColumnDesc
{
	const char *name;
	Oid			type;
	bool		nullable;		/* NULL means something (no comment, ...) */
} RegistryColumnDesc;

typedef struct RegistryTable
{
	const char *name;
	const RegistryColumnDesc *columns;
	int			ncolumns;
	int			declared_at;	/* the column that takes now() */
	int			first_updated;	/* ON CONFLICT updates this column and later */
	const char *conflict;		/* the primary key, for ON CONFLICT */
} RegistryTable;

/* provision_registry: one row per table model */
typedef enum RegistryColumn
{
	RC_SCHEMA, RC_TABLE, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES,
	RC_BODY, RC_DEFINITION, RC_FOREIGN_KEYS, RC_FK_NAMES, RC_FK_SIGNATURES,
	RC_COL_NAMES, RC_COL_TYPES, RC_COL_COLLATIONS, RC_COL_NOTNULL,
	RC_COL_DEFAULTS, RC_COL_ALT_DEFAULTS, RC_COL_IDENTITY, RC_COL_GENERATED,
	RC_COL_IDENTITY_OPTIONS, RC_COL_SERIAL, RC_COL_COMMENTS,
	RC_CON_NAMES, RC_CON_TYPES, RC_CON_DEFS, RC_CON_ALT_DEFS, RC_CON_EXPLICIT,
	RC_COMMENT, RC_PARTITION_BY, RC_PARTITION_OF_SCHEMA, RC_PARTITION_OF_TABLE,
	RC_PARTITION_BOUND,
	RC_DECLARED_AT, RC_DECLARED_BY,
	RC_COUNT
} RegistryColumn;

static const RegistryColumnDesc registry_columns[RC_COUNT] = {
	[RC_SCHEMA] = {"schema_name", NAMEOID, false},
	[RC_TABLE] = {"table_name", NAMEOID, false},
	[RC_FK_REF_SCHEMAS] = {"fk_ref_schemas", TEXTARRAYOID, false},
	[RC_FK_REF_TABLES] = {"fk_ref_tables", TEXTARRAYOID, false},
	[RC_BODY] = {"body", TEXTOID, false},
	[RC_DEFINITION] = {"definition", TEXTOID, false},
	[RC_FOREIGN_KEYS] = {"foreign_keys", TEXTARRAYOID, false},
	[RC_FK_NAMES] = {"fk_names", TEXTARRAYOID, false},
	[RC_FK_SIGNATURES] = {"fk_signatures", TEXTARRAYOID, false},
	[RC_COL_NAMES] = {"col_names", TEXTARRAYOID, false},
	[RC_COL_TYPES] = {"col_types", TEXTARRAYOID, false},
	[RC_COL_COLLATIONS] = {"col_collations", TEXTARRAYOID, false},
	[RC_COL_NOTNULL] = {"col_notnull", BOOLARRAYOID, false},
	[RC_COL_DEFAULTS] = {"col_defaults", TEXTARRAYOID, false},
	[RC_COL_ALT_DEFAULTS] = {"col_alt_defaults", TEXTARRAYOID, false},
	[RC_COL_IDENTITY] = {"col_identity", TEXTARRAYOID, false},
	[RC_COL_GENERATED] = {"col_generated", TEXTARRAYOID, false},
	[RC_COL_IDENTITY_OPTIONS] = {"col_identity_options", TEXTARRAYOID, false},
	[RC_COL_SERIAL] = {"col_serial", TEXTARRAYOID, false},
	[RC_COL_COMMENTS] = {"col_comments", TEXTARRAYOID, false},
	[RC_CON_NAMES] = {"con_names", TEXTARRAYOID, false},
	[RC_CON_TYPES] = {"con_types", TEXTARRAYOID, false},
	[RC_CON_DEFS] = {"con_defs", TEXTARRAYOID, false},
	[RC_CON_ALT_DEFS] = {"con_alt_defs", TEXTARRAYOID, false},
	[RC_CON_EXPLICIT] = {"con_explicit", BOOLARRAYOID, false},
	[RC_COMMENT] = {"comment", TEXTOID, true},
	[RC_PARTITION_BY] = {"partition_by", TEXTOID, false},
	[RC_PARTITION_OF_SCHEMA] = {"partition_of_schema", NAMEOID, true},
	[RC_PARTITION_OF_TABLE] = {"partition_of_table", NAMEOID, true},
	[RC_PARTITION_BOUND] = {"partition_bound", TEXTOID, false},
	[RC_DECLARED_AT] = {"declared_at", TIMESTAMPTZOID, false},
	[RC_DECLARED_BY] = {"declared_by", NAMEOID, false},
};

static const RegistryTable table_registry = {
	REGISTRY_TABLE, registry_columns, RC_COUNT, RC_DECLARED_AT, RC_FK_REF_SCHEMAS,
	"schema_name, table_name"
};

/* provision_objects: one row per model of another kind */
typedef enum ObjectColumn
{
	OC_KIND, OC_SCHEMA, OC_NAME, OC_TABLE_SCHEMA, OC_TABLE_NAME, OC_COLUMN_NAME,
	OC_DEFINITION, OC_ATTRS, OC_CON_NAMES, OC_CON_DEFS, OC_CON_ALT_DEFS, OC_COMMENT,
	OC_DECLARED_AT, OC_DECLARED_BY,
	OC_COUNT
} ObjectColumn;

static const RegistryColumnDesc object_columns[OC_COUNT] = {
	[OC_KIND] = {"kind", TEXTOID, false},
	[OC_SCHEMA] = {"schema_name", NAMEOID, false},
	[OC_NAME] = {"object_name", NAMEOID, false},
	[OC_TABLE_SCHEMA] = {"table_schema", NAMEOID, true},
	[OC_TABLE_NAME] = {"table_name", NAMEOID, true},
	[OC_COLUMN_NAME] = {"column_name", NAMEOID, true},
	[OC_DEFINITION] = {"definition", TEXTOID, false},
	[OC_ATTRS] = {"attrs", TEXTARRAYOID, false},
	[OC_CON_NAMES] = {"con_names", TEXTARRAYOID, false},
	[OC_CON_DEFS] = {"con_defs", TEXTARRAYOID, false},
	[OC_CON_ALT_DEFS] = {"con_alt_defs", TEXTARRAYOID, false},
	[OC_COMMENT] = {"comment", TEXTOID, true},
	[OC_DECLARED_AT] = {"declared_at", TIMESTAMPTZOID, false},
	[OC_DECLARED_BY] = {"declared_by", NAMEOID, false},
};

static const RegistryTable object_registry = {
	OBJECTS_TABLE, object_columns, OC_COUNT, OC_DECLARED_AT, OC_TABLE_SCHEMA,
	"kind, schema_name, object_name"
};

/* the kinds of provision_objects, by ObjectKind */
static const char *const object_kind_names[OBJECT_KIND_COUNT] = {
	[OBJECT_KIND_SCHEMA] = "schema",
	[OBJECT_KIND_ENUM] = "enum",
	[OBJECT_KIND_DOMAIN] = "domain",
	[OBJECT_KIND_SEQUENCE] = "sequence",
	[OBJECT_KIND_INDEX] = "index",
};

/* how many attrs each kind has; -1: any number (an enum's labels) */
static const int object_kind_nattrs[OBJECT_KIND_COUNT] = {
	[OBJECT_KIND_SCHEMA] = 0,
	[OBJECT_KIND_ENUM] = -1,
	[OBJECT_KIND_DOMAIN] = 5,
	[OBJECT_KIND_SEQUENCE] = 7,
	[OBJECT_KIND_INDEX] = 2,
};

const char *
object_kind_name(ObjectKind kind)
{
	return object_kind_names[kind];
}

/* the columns a MODEL_NAMES read needs: the no-op path deforms no further */
static const RegistryColumn name_columns[] = {
	RC_SCHEMA, RC_TABLE, RC_FK_REF_SCHEMAS, RC_FK_REF_TABLES
};

typedef struct RegistryRow
{
	const RegistryTable *table;
	TupleDesc	desc;
	AttrNumber	attnums[Max((int) RC_COUNT, (int) OC_COUNT)];
	Datum	   *values;			/* the current row, deformed once */
	bool	   *nulls;
	const char *kind;			/* the model's kind and name, once read: for errors */
	const char *schema;
	const char *name;
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
registry_layout(RegistryRow *row, const RegistryTable *table, TupleDesc desc)
{
	int			i;

	row->table = table;
	row->desc = desc;
	for (i = 0; i < table->ncolumns; i++)
	{
		row->attnums[i] = SPI_fnumber(desc, table->columns[i].name);
		if (row->attnums[i] <= 0 ||
			TupleDescAttr(desc, row->attnums[i] - 1)->atttypid != table->columns[i].type)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the registry of extension \"provision\" is not the one this library expects"),
					 errdetail("Column \"%s\" of table \"%s\" is missing or of another type.",
							   table->columns[i].name, table->name),
					 errhint("Update the extension: ALTER EXTENSION provision UPDATE.")));
	}
	row->kind = row->schema = row->name = NULL;
}

/* the registry tables have the columns this library writes (else: update the extension) */
static void
registry_check_layout(const RegistryTable *table)
{
	Relation	rel = table_open(table_relid(table->name), AccessShareLock);
	RegistryRow row;

	registry_layout(&row, table, RelationGetDescr(rel));
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
	if (row->schema != NULL && row->name != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the model of %s \"%s\" is damaged",
						row->kind ? row->kind : "table", display_name(row->schema, row->name)),
				 errdetail("%s", detail.data),
				 errhint("Its registry row was not written by provision. Declare the model again, or remove it with provision_forget().")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("a row of the model registry is damaged"),
			 errdetail("%s", detail.data),
			 errhint("The row was not written by provision. A superuser can remove it from %s.",
					 qualified_name_of(row->table->name))));
}

static Datum
row_value(RegistryRow *row, int column)
{
	int			i = row->attnums[column] - 1;

	if (row->nulls[i])
		damaged(row, "Its column \"%s\" is null.", row->table->columns[column].name);
	return row->values[i];
}

static bool
row_isnull(RegistryRow *row, int column)
{
	Assert(row->table->columns[column].nullable);
	return row->nulls[row->attnums[column] - 1];
}

static char *
row_text(RegistryRow *row, int column)
{
	return TextDatumGetCString(row_value(row, column));
}

/* a nullable text: "" when NULL */
static char *
row_text_or_empty(RegistryRow *row, int column)
{
	return row_isnull(row, column) ? "" : row_text(row, column);
}

static char *
row_name(RegistryRow *row, int column)
{
	char	   *name = pstrdup(NameStr(*DatumGetName(row_value(row, column))));

	if (name[0] == '\0')
		damaged(row, "Its column \"%s\" is empty.", row->table->columns[column].name);
	return name;
}

/* a nullable name: NULL when NULL */
static char *
row_name_or_null(RegistryRow *row, int column)
{
	return row_isnull(row, column) ? NULL : row_name(row, column);
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
row_array(RegistryRow *row, int column, int *count)
{
	Datum		array = row_value(row, column);
	Oid			elemtype = row->table->columns[column].type == BOOLARRAYOID ? BOOLOID : TEXTOID;
	Datum	   *elems = NULL;
	bool	   *nulls;
	int			n = 0;
	int			i;

	if (!array_is_empty(array))
	{
		ArrayType  *a = DatumGetArrayTypeP(array);

		if (ARR_NDIM(a) != 1)
			damaged(row, "Its column \"%s\" is not a one-dimensional array.",
					row->table->columns[column].name);
		deconstruct_array(a, elemtype, elemtype == BOOLOID ? 1 : -1,
						  elemtype == BOOLOID, elemtype == BOOLOID ? TYPALIGN_CHAR : TYPALIGN_INT,
						  &elems, &nulls, &n);
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				damaged(row, "Element %d of its column \"%s\" is null.",
						i + 1, row->table->columns[column].name);
		}
	}
	if (*count >= 0 && n != *count)
		damaged(row, "Its column \"%s\" has %d elements where %d were expected.",
				row->table->columns[column].name, n, *count);
	*count = n;
	return elems;
}

/* a text array column as C strings */
static char **
row_strings(RegistryRow *row, int column, int *count)
{
	Datum	   *elems = row_array(row, column, count);
	char	  **strings = palloc(sizeof(char *) * (*count + 1));
	int			i;

	for (i = 0; i < *count; i++)
		strings[i] = TextDatumGetCString(elems[i]);
	return strings;
}

/* a constraint's text as provision writes it: ends in " NOT VALID" */
static bool
ends_with_not_valid(const char *def)
{
	size_t		len = strlen(def);

	return len > 10 && strcmp(def + len - 10, " NOT VALID") == 0;
}

/* take " NOT VALID" off def, if it ends so; whether it did */
static bool
strip_not_valid(char *def)
{
	if (!ends_with_not_valid(def))
		return false;
	def[strlen(def) - 10] = '\0';
	return true;
}

/* a one-character code out of the ones allowed ("" counts as '\0') */
static char
row_code(RegistryRow *row, int column, Datum value, const char *allowed, bool empty_ok)
{
	char	   *s = TextDatumGetCString(value);

	if ((s[0] == '\0' && empty_ok) ||
		(s[0] != '\0' && s[1] == '\0' && strchr(allowed, s[0]) != NULL))
		return s[0];
	damaged(row, "Its column \"%s\" holds \"%s\", which no model has.",
			row->table->columns[column].name, s);
	return '\0';				/* keep the compiler quiet */
}

static char *
row_identifier(RegistryRow *row, int column, Datum value)
{
	char	   *s = TextDatumGetCString(value);

	if (s[0] == '\0' || strlen(s) >= NAMEDATALEN)
		damaged(row, "Its column \"%s\" holds \"%s\", which is not a name.",
				row->table->columns[column].name, s);
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
	Datum	   *comments = row_array(row, RC_COL_COMMENTS, &n);
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
		col->comment = TextDatumGetCString(comments[i]);
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
		con->not_valid = con->contype == CONSTRAINT_CHECK && strip_not_valid(con->def);
		con->alt_def = TextDatumGetCString(conalt[i]);
		con->explicit_name = DatumGetBool(conexplicit[i]);
		if (con->def[0] == '\0')
			damaged(row, "Constraint \"%s\" has no definition.", con->name);
	}
	shape->comment = row_text_or_empty(row, RC_COMMENT);
	shape->partition_by = row_text(row, RC_PARTITION_BY);
	shape->partition_bound = row_text(row, RC_PARTITION_BOUND);
	shape->parent_schema = row_name_or_null(row, RC_PARTITION_OF_SCHEMA);
	shape->parent_table = row_name_or_null(row, RC_PARTITION_OF_TABLE);
	if ((shape->parent_schema == NULL) != (shape->parent_table == NULL) ||
		(shape->parent_table == NULL) != (shape->partition_bound[0] == '\0'))
		damaged(row, "Its partition columns do not agree with each other.");
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
	row.name = model->table;
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

	row->kind = row->schema = row->name = NULL;
	model->schema = row_name(row, RC_SCHEMA);
	model->table = row_name(row, RC_TABLE);
	row->schema = model->schema;
	row->name = model->table;
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
		model->partition_by = row_text(row, RC_PARTITION_BY);
		model->parent_schema = row_name_or_null(row, RC_PARTITION_OF_SCHEMA);
		model->parent_table = row_name_or_null(row, RC_PARTITION_OF_TABLE);
		model->partition_bound = row_text(row, RC_PARTITION_BOUND);
		if ((model->parent_schema == NULL) != (model->parent_table == NULL) ||
			(model->parent_table == NULL) != (model->partition_bound[0] == '\0'))
			damaged(row, "Its partition columns do not agree with each other.");
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
		model->fkeys[i].not_valid = ends_with_not_valid(model->fkeys[i].clause);
		if (model->fkeys[i].clause[0] == '\0' || model->fkeys[i].signature[0] == '\0')
			damaged(row, "Foreign key %d has no definition.", i + 1);
	}
	if (read >= MODEL_DEFINITION)
	{
		/* what creating the table needs beyond its statement: its comments */
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
 * A model of another kind from its row.  With names_only, just what the
 * no-op path needs: kind, names, and the table of an index.
 */
static ObjectModel *
object_from_row(RegistryRow *row, bool names_only)
{
	ObjectModel *obj = palloc0(sizeof(ObjectModel));
	char	   *kind;
	int			n = -1;
	int			c = -1;
	int			k;

	row->kind = row->schema = row->name = NULL;
	kind = row_text(row, OC_KIND);
	for (k = 0; k < OBJECT_KIND_COUNT; k++)
	{
		if (strcmp(kind, object_kind_names[k]) == 0)
			break;
	}
	if (k == OBJECT_KIND_COUNT)
		damaged(row, "Its kind is \"%s\", which no model has.", kind);
	obj->kind = (ObjectKind) k;
	row->kind = object_kind_names[k];
	obj->schema = row_name(row, OC_SCHEMA);
	obj->name = row_name(row, OC_NAME);
	row->schema = obj->schema;
	row->name = obj->name;
	obj->table_schema = row_name_or_null(row, OC_TABLE_SCHEMA);
	obj->table_name = row_name_or_null(row, OC_TABLE_NAME);
	obj->column_name = row_name_or_null(row, OC_COLUMN_NAME);
	if ((obj->table_schema == NULL) != (obj->table_name == NULL) ||
		(obj->kind == OBJECT_KIND_INDEX && obj->table_name == NULL) ||
		(obj->kind == OBJECT_KIND_SEQUENCE && (obj->table_name == NULL) != (obj->column_name == NULL)) ||
		(obj->kind != OBJECT_KIND_SEQUENCE && obj->column_name != NULL) ||
		(obj->kind != OBJECT_KIND_INDEX && obj->kind != OBJECT_KIND_SEQUENCE && obj->table_name != NULL))
		damaged(row, "Its table and column do not fit its kind.");
	if (obj->kind == OBJECT_KIND_SCHEMA && strcmp(obj->schema, obj->name) != 0)
		damaged(row, "A schema's model must name the schema twice.");
	if (names_only)
		return obj;

	obj->definition = row_text(row, OC_DEFINITION);
	if (obj->definition[0] == '\0' && obj->kind != OBJECT_KIND_SCHEMA)
		damaged(row, "It has no definition.");
	obj->attrs = row_strings(row, OC_ATTRS, &n);
	obj->nattrs = n;
	if (object_kind_nattrs[k] >= 0 && n != object_kind_nattrs[k])
		damaged(row, "Its column \"attrs\" has %d elements where %d were expected.",
				n, object_kind_nattrs[k]);
	obj->con_names = row_strings(row, OC_CON_NAMES, &c);
	obj->con_defs = row_strings(row, OC_CON_DEFS, &c);
	obj->con_alt_defs = row_strings(row, OC_CON_ALT_DEFS, &c);
	obj->ncons = c;
	if (c > 0 && obj->kind != OBJECT_KIND_DOMAIN)
		damaged(row, "Only a domain has constraints.");
	obj->comment = row_text_or_empty(row, OC_COMMENT);
	obj->declared_by = row_name(row, OC_DECLARED_BY);
	if (obj->kind == OBJECT_KIND_INDEX && obj->attrs[0][0] == '\0')
		damaged(row, "The index has no signature.");
	if (obj->kind == OBJECT_KIND_SEQUENCE)
	{
		int			i;

		for (i = 1; i < 6; i++)
		{
			char	   *end;

			errno = 0;
			(void) strtoll(obj->attrs[i], &end, 10);
			if (errno != 0 || end == obj->attrs[i] || *end != '\0')
				damaged(row, "Its sequence option \"%s\" is not a number.", obj->attrs[i]);
		}
		if (strcmp(obj->attrs[6], "t") != 0 && strcmp(obj->attrs[6], "f") != 0)
			damaged(row, "Its sequence option \"%s\" is not a boolean.", obj->attrs[6]);
	}
	if (obj->kind == OBJECT_KIND_DOMAIN &&
		(obj->attrs[0][0] == '\0' ||
		 (strcmp(obj->attrs[3], "t") != 0 && strcmp(obj->attrs[3], "f") != 0)))
		damaged(row, "Its domain attributes are not a domain's.");
	return obj;
}

static int
object_ptr_cmp(const void *a, const void *b)
{
	const ObjectModel *oa = *(ObjectModel *const *) a;
	const ObjectModel *ob = *(ObjectModel *const *) b;
	int			c;

	if (oa->kind != ob->kind)
		return (int) oa->kind - (int) ob->kind;
	c = strcmp(oa->schema, ob->schema);
	return c != 0 ? c : strcmp(oa->name, ob->name);
}

/* a growing array of pointers */
typedef struct PtrArray
{
	void	  **items;
	int			n;
	int			allocated;
} PtrArray;

static void
ptr_array_add(PtrArray *array, void *item)
{
	if (array->n == array->allocated)
	{
		array->allocated = Max(16, array->allocated * 2);
		array->items = array->items
			? repalloc(array->items, sizeof(void *) * array->allocated)
			: palloc(sizeof(void *) * array->allocated);
	}
	array->items[array->n++] = item;
}

/* what one read decodes, and how */
typedef struct ReadRequest
{
	const RegistryTable *table;
	const char *key[3];			/* NULL: every row; else the primary key */
	int			nkeys;
	ModelRead	read;			/* table models */
	bool		names_only;		/* object models */
} ReadRequest;

/* decode one row into result */
static void
read_row(const ReadRequest *req, RegistryRow *row, TupleDesc deform_desc, HeapTuple tuple,
		 const RegistryRow *layout, PtrArray *result)
{
	heap_deform_tuple(tuple, deform_desc, row->values, row->nulls);
	if (req->table == &table_registry)
		ptr_array_add(result, model_from_row(row, req->read, tuple, layout));
	else
		ptr_array_add(result, object_from_row(row, req->names_only));
}

/*
 * Read through SQL: row-level security applies to the caller, so the rows
 * it reads must be the ones a plain SELECT returns.
 */
static void
read_through_sql(const ReadRequest *req, PtrArray *result)
{
	StringInfoData query;
	Oid			argtypes[3] = {TEXTOID, NAMEOID, NAMEOID};
	Datum		args[3];
	NameData	keys[3];
	RegistryRow row;
	RegistryRow *layout;
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;
	int			k;
	int			ret;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT * FROM %s r", qualified_name_of(req->table->name));
	for (k = 0; k < req->nkeys; k++)
	{
		int			column = req->table == &table_registry ? k : k;

		appendStringInfo(&query, "%s r.%s OPERATOR(pg_catalog.=) $%d",
						 k == 0 ? " WHERE" : " AND", req->table->columns[column].name, k + 1);
		argtypes[k] = req->table->columns[column].type;
		if (argtypes[k] == NAMEOID)
		{
			namestrcpy(&keys[k], req->key[k]);
			args[k] = NameGetDatum(&keys[k]);
		}
		else
			args[k] = CStringGetTextDatum(req->key[k]);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(query.data, req->nkeys, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed: %s", query.data, SPI_result_code_string(ret));

	/* what is kept must outlive SPI: decode in the caller's memory */
	MemoryContextSwitchTo(caller);
	layout = palloc(sizeof(RegistryRow));
	registry_layout(layout, req->table, CreateTupleDescCopy(SPI_tuptable->tupdesc));
	row = *layout;
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	for (i = 0; i < SPI_processed; i++)
		read_row(req, &row, row.desc, heap_copytuple(SPI_tuptable->vals[i]), layout, result);
	SPI_finish();
}

/*
 * A scan of a registry table, laid out as row, for the rows whose primary
 * key starts with key (nkeys values; none: every row), under the active
 * snapshot with what this transaction wrote so far, as SPI would see it.
 */
typedef struct KeyScan
{
	ScanKeyData scankeys[3];
	NameData	names[3];
	SysScanDesc scan;
} KeyScan;

static void
key_scan_begin(KeyScan *ks, Relation rel, const RegistryRow *row, int nkeys,
			   const char *const *key)
{
	int			i;

	Assert(nkeys >= 0 && nkeys <= (int) lengthof(ks->scankeys));
	PushCopiedSnapshot(GetActiveSnapshot());
	UpdateActiveSnapshotCommandId();
	for (i = 0; i < nkeys; i++)
	{
		bool		is_name = row->table->columns[i].type == NAMEOID;

		if (is_name)
			namestrcpy(&ks->names[i], key[i]);
		ScanKeyInit(&ks->scankeys[i], row->attnums[i], BTEqualStrategyNumber,
					is_name ? F_NAMEEQ : F_TEXTEQ,
					is_name ? NameGetDatum(&ks->names[i]) : CStringGetTextDatum(key[i]));
	}
	if (nkeys > 0)
		ks->scan = systable_beginscan(rel, provision_primary_key_index(rel), true,
									  GetActiveSnapshot(), nkeys, ks->scankeys);
	else
		ks->scan = systable_beginscan(rel, InvalidOid, false, GetActiveSnapshot(), 0, NULL);
}

static void
key_scan_end(KeyScan *ks)
{
	systable_endscan(ks->scan);
	PopActiveSnapshot();
}

/*
 * Read rows of a registry table (one, or all): straight from the heap
 * through its primary key index, with the snapshot an SQL query would use,
 * or through SQL where row-level security applies.  The direct read is the
 * read of every call, so it avoids SQL's parse, plan and tuple copies;
 * SELECT on the table is still required, as for SQL.
 */
static PtrArray
registry_read(const ReadRequest *req)
{
	Oid			relid = table_relid(req->table->name);
	PtrArray	result = {NULL, 0, 0};
	Relation	rel;
	RegistryRow row;
	KeyScan		scan;
	HeapTuple	tuple;
	RegistryRow *layout = NULL;
	TupleDesc	deform_desc;
	int			i;

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, req->table->name);

	/* as SELECT would: policies apply, or row_security = off refuses */
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
	{
		read_through_sql(req, &result);
		return result;
	}

	rel = table_open(relid, AccessShareLock);
	registry_layout(&row, req->table, RelationGetDescr(rel));
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);

	/*
	 * Names and references stand at the start of a table model's row:
	 * deform only up to them, rather than walk every array of the shape.
	 */
	deform_desc = row.desc;
	if (req->table == &table_registry && req->read == MODEL_NAMES)
	{
		deform_desc = CreateTupleDescCopy(row.desc);
		deform_desc->natts = 0;
		for (i = 0; i < (int) lengthof(name_columns); i++)
			deform_desc->natts = Max(deform_desc->natts, row.attnums[name_columns[i]]);
	}
	if (req->table == &table_registry && req->read >= MODEL_DEFINITION)
	{
		/* what model_shape() needs to deform the kept rows later */
		layout = palloc(sizeof(RegistryRow));
		*layout = row;
		layout->desc = CreateTupleDescCopy(row.desc);
	}

	key_scan_begin(&scan, rel, &row, req->nkeys, req->key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan.scan)))
		read_row(req, &row, deform_desc, tuple, layout, &result);
	key_scan_end(&scan);
	table_close(rel, AccessShareLock);
	return result;
}

static Model **
read_models(const char *schema, const char *table, ModelRead read, int *nmodels)
{
	ReadRequest req = {&table_registry, {schema, table, NULL}, schema ? 2 : 0, read, false};
	PtrArray	result = registry_read(&req);

	/* byte order of schema, then table: the order lock.c needs */
	if (result.n > 1)
		qsort(result.items, result.n, sizeof(Model *), model_ptr_cmp);
	*nmodels = result.n;
	return result.items ? (Model **) result.items : palloc0(sizeof(Model *));
}

/*
 * The model of schema.table, or NULL when none is declared, decoded as far
 * as read asks.
 */
Model *
registry_fetch(const char *schema, const char *table, ModelRead read)
{
	int			n;
	Model	  **models = read_models(schema, table, read, &n);

	return n > 0 ? models[0] : NULL;
}

/*
 * Every declared table model, sorted by schema and table name in byte order.
 */
Model **
registry_fetch_all(int *nmodels, ModelRead read)
{
	return read_models(NULL, NULL, read, nmodels);
}

/*
 * The comments of a table model read with MODEL_DEFINITION or MODEL_SHAPE:
 * the table's ("" for none), and each column's, aligned with names.
 */
void
model_comments(const Model *model, char **comment, int *ncolumns, char ***names,
			   char ***comments)
{
	RegistryRow row;
	int			n = -1;

	if (model->shape != NULL)
	{
		int			i;

		*comment = model->shape->comment;
		*ncolumns = model->shape->ncolumns;
		*names = palloc(sizeof(char *) * (*ncolumns + 1));
		*comments = palloc(sizeof(char *) * (*ncolumns + 1));
		for (i = 0; i < *ncolumns; i++)
		{
			(*names)[i] = model->shape->columns[i].name;
			(*comments)[i] = model->shape->columns[i].comment;
		}
		return;
	}
	if (model->stored == NULL)
		elog(ERROR, "model of \"%s.%s\" was read without its comments",
			 model->schema, model->table);
	row = *model->stored->layout;
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	row.schema = model->schema;
	row.name = model->table;
	heap_deform_tuple(model->stored->tuple, row.desc, row.values, row.nulls);
	*comment = row_text_or_empty(&row, RC_COMMENT);
	*names = row_strings(&row, RC_COL_NAMES, &n);
	*comments = row_strings(&row, RC_COL_COMMENTS, &n);
	*ncolumns = n;
}

/*
 * Every declared model of another kind, sorted by kind (schemas, enums,
 * domains, sequences, indexes), then schema and name.  With names_only,
 * decoded only as far as the no-op path needs.
 */
ObjectModel **
registry_fetch_objects(int *nobjects, bool names_only)
{
	ReadRequest req = {&object_registry, {NULL, NULL, NULL}, 0, MODEL_NAMES, names_only};
	PtrArray	result = registry_read(&req);

	if (result.n > 1)
		qsort(result.items, result.n, sizeof(ObjectModel *), object_ptr_cmp);
	*nobjects = result.n;
	return result.items ? (ObjectModel **) result.items : palloc0(sizeof(ObjectModel *));
}

/* the model of kind schema.name, or NULL */
ObjectModel *
registry_fetch_object(ObjectKind kind, const char *schema, const char *name)
{
	ReadRequest req = {&object_registry, {object_kind_names[kind], schema, name}, 3,
	MODEL_NAMES, false};
	PtrArray	result = registry_read(&req);

	return result.n > 0 ? (ObjectModel *) result.items[0] : NULL;
}

static Datum
text_datum_of_char(char c)
{
	char		buf[2] = {c, '\0'};

	return CStringGetTextDatum(buf);
}

/* an array column's value from count elements */
static Datum
array_datum(const RegistryTable *table, int column, Datum *elems, int count)
{
	bool		is_bool = table->columns[column].type == BOOLARRAYOID;

	return PointerGetDatum(construct_array(elems, count, is_bool ? BOOLOID : TEXTOID,
										   is_bool ? 1 : -1, is_bool,
										   is_bool ? TYPALIGN_CHAR : TYPALIGN_INT));
}

static Datum
strings_datum(const RegistryTable *table, int column, char **strings, int count)
{
	Datum	   *elems = palloc(sizeof(Datum) * (count + 1));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(strings[i]);
	return array_datum(table, column, elems, count);
}

/*
 * The registry's few statements, each prepared once per backend: a schema
 * file declares thousands of models, and parsing and planning the same
 * UPDATE and INSERT for each would cost more than the write.  The plan cache
 * re-plans after DDL on the registry; a query text not seen before (the
 * extension moved to another schema) is prepared anew.
 */
#define REGISTRY_PLANS 16

static struct
{
	char	   *query;
	SPIPlanPtr	plan;
}			registry_plans[REGISTRY_PLANS];

/* inside SPI_connect() */
static SPIPlanPtr
registry_plan(const char *query, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < REGISTRY_PLANS && registry_plans[i].query != NULL; i++)
	{
		if (strcmp(registry_plans[i].query, query) == 0)
			return registry_plans[i].plan;
	}
	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare(\"%s\") failed: %s", query, SPI_result_code_string(SPI_result));
	if (i == REGISTRY_PLANS)
	{
		/* full: the oldest makes room */
		SPI_freeplan(registry_plans[0].plan);
		pfree(registry_plans[0].query);
		memmove(&registry_plans[0], &registry_plans[1],
				sizeof(registry_plans[0]) * (REGISTRY_PLANS - 1));
		i = REGISTRY_PLANS - 1;
	}
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	registry_plans[i].query = MemoryContextStrdup(TopMemoryContext, query);
	registry_plans[i].plan = plan;
	return plan;
}

/*
 * Run a fixed, parameterized statement on the registry as its owner: the
 * declare right was checked by the caller, and no role needs a privilege
 * on the table itself.  Returns the number of rows processed.
 */
static uint64
registry_write(const char *query, int nargs, Oid *argtypes, Datum *args, char *nulls,
			   int expected)
{
	TrustScope	scope;
	uint64		processed;
	int			ret;

	trust_enter(registry_owner(), true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_plan(registry_plan(query, nargs, argtypes), args, nulls, false, 0);
	if (ret != expected)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
	processed = SPI_processed;
	SPI_finish();
	trust_leave(&scope);
	return processed;
}

/*
 * Whether a registry table holds a row whose primary key starts with key
 * (nkeys values, in the key's order), whatever the caller may read: read
 * straight through the key's index with the snapshot a query would use.
 */
static bool
registry_has_key(const RegistryTable *table, int nkeys, const char *const *key)
{
	Relation	rel = table_open(table_relid(table->name), AccessShareLock);
	RegistryRow row;
	KeyScan		scan;
	bool		found;

	Assert(nkeys > 0);
	registry_layout(&row, table, RelationGetDescr(rel));
	key_scan_begin(&scan, rel, &row, nkeys, key);
	found = HeapTupleIsValid(systable_getnext(scan.scan));
	key_scan_end(&scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Store one row of table, built from its descriptor: declared_at is now(),
 * every other column a parameter (isnull[] marks NULLs of nullable
 * columns).  The row of the same key is updated if there is one, else the
 * row is inserted (ON CONFLICT DO UPDATE, for a row another session
 * inserted meanwhile).  The UPDATE comes first so that under REPEATABLE
 * READ or SERIALIZABLE a row the snapshot sees but another session deleted
 * (forgot) since is a serialization failure (40001), as it is when that
 * session changed it: an INSERT alone finds no conflict then, and the
 * transaction would see the model twice, its old row and the new one (a
 * dump listed it twice), and bring back what the other session forgot.
 */
static void
registry_upsert(const RegistryTable *table, Datum *values, bool *isnull)
{
	Oid			argtypes[Max((int) RC_COUNT, (int) OC_COUNT)];
	Datum		args[Max((int) RC_COUNT, (int) OC_COUNT)];
	char		nulls[Max((int) RC_COUNT, (int) OC_COUNT)];
	int			param[Max((int) RC_COUNT, (int) OC_COUNT)];
	const char *key[3];
	StringInfoData query;
	int			nargs = 0;
	int			k;

	registry_check_layout(table);
	for (k = 0; k < table->ncolumns; k++)
	{
		if (k == table->declared_at)
			continue;
		Assert(!isnull[k] || table->columns[k].nullable);
		argtypes[nargs] = table->columns[k].type;
		args[nargs] = values[k];
		nulls[nargs] = isnull[k] ? 'n' : ' ';
		param[k] = ++nargs;
	}

	/*
	 * The key is the columns before first_updated.  With no row of it in the
	 * snapshot the UPDATE would change nothing (a row a concurrent declarer
	 * committed since is the INSERT's conflict), so it is not run.
	 */
	Assert(table->first_updated <= (int) lengthof(key));
	for (k = 0; k < table->first_updated; k++)
		key[k] = table->columns[k].type == NAMEOID ? NameStr(*DatumGetName(values[k])) :
			TextDatumGetCString(values[k]);
	if (registry_has_key(table, table->first_updated, key))
	{
		initStringInfo(&query);
		appendStringInfo(&query, "UPDATE %s AS r SET ", qualified_name_of(table->name));
		for (k = table->first_updated; k < table->ncolumns; k++)
		{
			appendStringInfo(&query, "%s%s = ", k > table->first_updated ? ", " : "",
							 table->columns[k].name);
			if (k == table->declared_at)
				appendStringInfoString(&query, "pg_catalog.now()");
			else
				appendStringInfo(&query, "$%d", param[k]);
		}
		for (k = 0; k < table->first_updated; k++)
			appendStringInfo(&query, " %s r.%s OPERATOR(pg_catalog.=) $%d", k ? "AND" : "WHERE",
							 table->columns[k].name, param[k]);
		if (registry_write(query.data, nargs, argtypes, args, nulls, SPI_OK_UPDATE) > 0)
			return;
	}

	initStringInfo(&query);
	appendStringInfo(&query, "INSERT INTO %s AS r (", qualified_name_of(table->name));
	for (k = 0; k < table->ncolumns; k++)
		appendStringInfo(&query, "%s%s", k ? ", " : "", table->columns[k].name);
	appendStringInfoString(&query, ") VALUES (");
	for (k = 0; k < table->ncolumns; k++)
	{
		if (k > 0)
			appendStringInfoString(&query, ", ");
		if (k == table->declared_at)
			appendStringInfoString(&query, "pg_catalog.now()");
		else
			appendStringInfo(&query, "$%d", param[k]);
	}
	appendStringInfo(&query, ") ON CONFLICT (%s) DO UPDATE SET ", table->conflict);
	for (k = table->first_updated; k < table->ncolumns; k++)
		appendStringInfo(&query, "%s%s = excluded.%s", k > table->first_updated ? ", " : "",
						 table->columns[k].name, table->columns[k].name);

	(void) registry_write(query.data, nargs, argtypes, args, nulls, SPI_OK_INSERT);
}

/*
 * Whether a model of another kind than kind may hold schema.name where
 * reject_name_of_other_kind() would refuse it: a few index probes, so that
 * the usual case, no such model, costs no query.
 */
static bool
name_maybe_taken(const char *kind, const char *schema, const char *name,
				 bool is_relation, bool is_type)
{
	static const char *const relation_kinds[] = {"sequence", "index"};
	static const char *const type_kinds[] = {"enum", "domain"};
	const char *table_key[2] = {schema, name};
	int			i;

	if (strcmp(kind, "table") != 0 && registry_has_key(&table_registry, 2, table_key))
		return true;
	for (i = 0; i < 2; i++)
	{
		const char *rel_key[3] = {relation_kinds[i], schema, name};
		const char *type_key[3] = {type_kinds[i], schema, name};

		if (is_relation && strcmp(kind, relation_kinds[i]) != 0 &&
			registry_has_key(&object_registry, 3, rel_key))
			return true;
		if (is_type && strcmp(kind, type_kinds[i]) != 0 &&
			registry_has_key(&object_registry, 3, type_key))
			return true;
	}
	return false;
}

/*
 * Refuse a model of kind (a table or partition: "table") named
 * schema.name when another kind's model already holds that name where
 * PostgreSQL would refuse the two objects side by side: tables,
 * partitions, sequences and indexes are all relations of the schema
 * (42P07); enum types, domains and tables' row types are all types of it
 * (42710).  A model of the same kind is replaced, as always.  The models
 * are read as the registry's owner, so a row the caller cannot see still
 * counts.
 */
static void
reject_name_of_other_kind(const char *kind, const char *schema, const char *name)
{
	Oid			argtypes[2] = {NAMEOID, NAMEOID};
	Datum		args[2];
	NameData	schema_key;
	NameData	name_key;
	TrustScope	scope;
	char	   *query;
	char	   *other = NULL;
	MemoryContext caller_cxt = CurrentMemoryContext;
	bool		is_table = strcmp(kind, "table") == 0;
	bool		is_relation = is_table || strcmp(kind, "sequence") == 0 ||
		strcmp(kind, "index") == 0;
	bool		is_type = is_table || strcmp(kind, "enum") == 0 || strcmp(kind, "domain") == 0;
	uint64		i;

	if (!name_maybe_taken(kind, schema, name, is_relation, is_type))
		return;
	registry_check_layout(&table_registry);
	registry_check_layout(&object_registry);
	namestrcpy(&schema_key, schema);
	namestrcpy(&name_key, name);
	args[0] = NameGetDatum(&schema_key);
	args[1] = NameGetDatum(&name_key);
	query = psprintf("SELECT CASE WHEN r.partition_of_table IS NULL THEN 'table' ELSE 'partition' END"
					 " FROM %s r"
					 " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
					 " AND r.table_name OPERATOR(pg_catalog.=) $2"
					 " UNION ALL SELECT o.kind FROM %s o"
					 " WHERE o.schema_name OPERATOR(pg_catalog.=) $1"
					 " AND o.object_name OPERATOR(pg_catalog.=) $2"
					 " AND o.kind OPERATOR(pg_catalog.<>) 'schema'",
					 qualified_name_of(REGISTRY_TABLE), qualified_name_of(OBJECTS_TABLE));

	trust_enter(registry_owner(), true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* not read-only: an earlier call of the same statement stored models too */
	if (SPI_execute_plan(registry_plan(query, 2, argtypes), args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed", query);
	for (i = 0; i < SPI_processed && other == NULL; i++)
	{
		char	   *found = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bool		found_table = strcmp(found, "table") == 0 || strcmp(found, "partition") == 0;

		if ((is_table && found_table) || strcmp(found, kind) == 0)
			continue;			/* the same model, replaced */
		if ((is_relation && (found_table || strcmp(found, "sequence") == 0 ||
							 strcmp(found, "index") == 0)) ||
			(is_type && (found_table || strcmp(found, "enum") == 0 ||
						 strcmp(found, "domain") == 0)))
			other = MemoryContextStrdup(caller_cxt, found);
	}
	SPI_finish();
	trust_leave(&scope);

	if (other == NULL)
		return;
	if (is_relation && strcmp(other, "enum") != 0 && strcmp(other, "domain") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("cannot declare a model of %s \"%s\": another kind's model has that name",
						kind, display_name(schema, name)),
				 errdetail("\"%s\" is declared as a model of kind %s. Tables, partitions, sequences and indexes share the names of relations in a schema.",
						display_name(schema, name), other),
				 errhint("Forget that model first, or declare this one under another name.")));
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("cannot declare a model of %s \"%s\": another kind's model has that name",
					kind, display_name(schema, name)),
			 errdetail("\"%s\" is declared as a model of kind %s. Enum types, domains and the row types of tables share the names of types in a schema.",
					display_name(schema, name), other),
			 errhint("Forget that model first, or declare this one under another name.")));
}

/* one query of a registry table as its owner, every row it returns decoded into result */
static void
read_as_owner(const ReadRequest *req, const char *query, int nargs, Oid *argtypes,
			  Datum *args, PtrArray *result)
{
	MemoryContext caller = CurrentMemoryContext;
	TrustScope	scope;
	RegistryRow row;
	RegistryRow *layout;
	uint64		i;

	registry_check_layout(req->table);
	trust_enter(registry_owner(), true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* not read-only: see what an earlier call of the same statement stored */
	if (SPI_execute_plan(registry_plan(query, nargs, argtypes), args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed", query);

	/* what is kept must outlive SPI: decode in the caller's memory */
	MemoryContextSwitchTo(caller);
	layout = palloc(sizeof(RegistryRow));
	registry_layout(layout, req->table, CreateTupleDescCopy(SPI_tuptable->tupdesc));
	row = *layout;
	row.values = palloc(sizeof(Datum) * row.desc->natts);
	row.nulls = palloc(sizeof(bool) * row.desc->natts);
	for (i = 0; i < SPI_processed; i++)
		read_row(req, &row, row.desc, heap_copytuple(SPI_tuptable->vals[i]), layout, result);
	SPI_finish();
	trust_leave(&scope);
}

/* a name[] or text[] of strings */
static Datum
names_datum(List *strings, bool as_name)
{
	Datum	   *elems = palloc(sizeof(Datum) * (list_length(strings) + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, strings)
	{
		if (as_name)
		{
			Name		name = palloc(NAMEDATALEN);

			namestrcpy(name, lfirst(lc));
			elems[n++] = NameGetDatum(name);
		}
		else
			elems[n++] = CStringGetTextDatum(lfirst(lc));
	}
	return PointerGetDatum(as_name
						   ? construct_array(elems, n, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR)
						   : construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * The models of schema that may make a relation of one of names (see
 * relnames.c): the table models named one of names or tables, or whose
 * name begins with one of prefixes, or one of whose constraints is named
 * one of names (read with MODEL_DEFINITION: model_shape() decodes their
 * shapes), sorted by name; and the index and sequence models named one of
 * names (names only), sorted by kind and name; no table model named one of
 * except (the models being declared again).  Each is looked up through
 * an index: the registry's primary key (the schema, then the name),
 * provision_objects' (the kind, the schema, the name), and the registry's
 * index of constraint names; only a table's name shortened by PostgreSQL
 * (prefixes, of names near NAMEDATALEN) is looked for among all the
 * models of the schema.  Read as the registry's owner, so that a model the
 * caller cannot see still counts.
 */
void
registry_fetch_name_holders(const char *schema, List *names, List *tables, List *prefixes,
							List *except, Model ***models, int *nmodels,
							ObjectModel ***objects, int *nobjects)
{
	ReadRequest treq = {&table_registry, {NULL, NULL, NULL}, 0, MODEL_DEFINITION, false};
	ReadRequest oreq = {&object_registry, {NULL, NULL, NULL}, 0, MODEL_NAMES, true};
	Oid			argtypes[3] = {NAMEOID, NAMEARRAYOID, NAMEARRAYOID};
	Oid			textargtypes[3] = {NAMEOID, TEXTARRAYOID, NAMEARRAYOID};
	Datum		args[3];
	NameData	schema_key;
	PtrArray	found = {NULL, 0, 0};
	int			i,
				n;

	namestrcpy(&schema_key, schema);
	args[0] = NameGetDatum(&schema_key);
	args[2] = names_datum(except, true);

	args[1] = names_datum(list_concat(list_copy(names), tables), true);
	read_as_owner(&treq, psprintf("SELECT r.* FROM %s r"
								  " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
								  " AND r.table_name OPERATOR(pg_catalog.=) ANY ($2)"
								  " AND r.table_name OPERATOR(pg_catalog.<>) ALL ($3)",
								  qualified_name_of(REGISTRY_TABLE)),
				  3, argtypes, args, &found);
	args[1] = names_datum(names, false);
	read_as_owner(&treq, psprintf("SELECT r.* FROM %s r"
								  " WHERE r.con_names OPERATOR(pg_catalog.&&) $2"
								  " AND r.schema_name OPERATOR(pg_catalog.=) $1"
								  " AND r.table_name OPERATOR(pg_catalog.<>) ALL ($3)",
								  qualified_name_of(REGISTRY_TABLE)),
				  3, textargtypes, args, &found);
	if (prefixes != NIL)
	{
		args[1] = names_datum(prefixes, false);
		read_as_owner(&treq, psprintf("SELECT r.* FROM %s r"
									  " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
									  " AND r.table_name::pg_catalog.text OPERATOR(pg_catalog.^@) ANY ($2)"
									  " AND r.table_name OPERATOR(pg_catalog.<>) ALL ($3)",
									  qualified_name_of(REGISTRY_TABLE)),
					  3, textargtypes, args, &found);
	}
	/* by name, each once */
	if (found.n > 1)
		qsort(found.items, found.n, sizeof(Model *), model_ptr_cmp);
	for (i = n = 0; i < found.n; i++)
	{
		if (n > 0 && model_ptr_cmp(&found.items[n - 1], &found.items[i]) == 0)
			continue;
		found.items[n++] = found.items[i];
	}
	*models = found.items ? (Model **) found.items : palloc0(sizeof(Model *));
	*nmodels = n;

	found.items = NULL;
	found.n = found.allocated = 0;
	args[1] = names_datum(names, true);
	read_as_owner(&oreq, psprintf("SELECT o.* FROM %s o"
								  " WHERE o.kind OPERATOR(pg_catalog.=) ANY ('{index,sequence}'::pg_catalog.text[])"
								  " AND o.schema_name OPERATOR(pg_catalog.=) $1"
								  " AND o.object_name OPERATOR(pg_catalog.=) ANY ($2)",
								  qualified_name_of(OBJECTS_TABLE)),
				  2, argtypes, args, &found);
	if (found.n > 1)
		qsort(found.items, found.n, sizeof(ObjectModel *), object_ptr_cmp);
	*objects = found.items ? (ObjectModel **) found.items : palloc0(sizeof(ObjectModel *));
	*nobjects = found.n;
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
	bool		isnull[RC_COUNT];
	Datum	   *e[RC_COUNT];
	NameData	names[5];
	int			i,
				k;

	reject_extension_relation(model->schema, model->table, true);
	reject_name_of_other_kind("table", model->schema, model->table);
	for (k = 0; k < RC_COUNT; k++)
	{
		e[k] = palloc(sizeof(Datum) * most);
		isnull[k] = false;
	}

	namestrcpy(&names[0], model->schema);
	namestrcpy(&names[1], model->table);
	namestrcpy(&names[2], GetUserNameFromId(GetUserId(), false));
	values[RC_SCHEMA] = NameGetDatum(&names[0]);
	values[RC_TABLE] = NameGetDatum(&names[1]);
	values[RC_DECLARED_BY] = NameGetDatum(&names[2]);
	values[RC_DECLARED_AT] = (Datum) 0;
	values[RC_BODY] = CStringGetTextDatum(model->body);
	values[RC_DEFINITION] = CStringGetTextDatum(model->definition);
	values[RC_COMMENT] = CStringGetTextDatum(shape->comment ? shape->comment : "");
	isnull[RC_COMMENT] = shape->comment == NULL || shape->comment[0] == '\0';
	values[RC_PARTITION_BY] = CStringGetTextDatum(model->partition_by ? model->partition_by : "");
	values[RC_PARTITION_BOUND] =
		CStringGetTextDatum(model->partition_bound ? model->partition_bound : "");
	isnull[RC_PARTITION_OF_SCHEMA] = isnull[RC_PARTITION_OF_TABLE] = model->parent_table == NULL;
	if (model->parent_table != NULL)
	{
		namestrcpy(&names[3], model->parent_schema);
		namestrcpy(&names[4], model->parent_table);
		values[RC_PARTITION_OF_SCHEMA] = NameGetDatum(&names[3]);
		values[RC_PARTITION_OF_TABLE] = NameGetDatum(&names[4]);
	}
	else
		values[RC_PARTITION_OF_SCHEMA] = values[RC_PARTITION_OF_TABLE] = (Datum) 0;

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
		e[RC_COL_COMMENTS][i] = CStringGetTextDatum(col->comment ? col->comment : "");
	}
	for (i = 0; i < nk; i++)
	{
		const ConstraintShape *con = &shape->constraints[i];

		e[RC_CON_NAMES][i] = CStringGetTextDatum(con->name);
		e[RC_CON_TYPES][i] = text_datum_of_char(con->contype);
		/* a check declared NOT VALID keeps it (shape_from_row() takes it off) */
		e[RC_CON_DEFS][i] = CStringGetTextDatum(con->not_valid && con->contype == CONSTRAINT_CHECK
												? psprintf("%s NOT VALID", con->def) : con->def);
		e[RC_CON_ALT_DEFS][i] = CStringGetTextDatum(con->alt_def);
		e[RC_CON_EXPLICIT][i] = BoolGetDatum(con->explicit_name);
	}
	for (k = 0; k < RC_COUNT; k++)
	{
		int			count;

		if (registry_columns[k].type != TEXTARRAYOID &&
			registry_columns[k].type != BOOLARRAYOID)
			continue;
		count = (k >= RC_COL_NAMES && k <= RC_COL_COMMENTS) ? nc
			: (k >= RC_CON_NAMES && k <= RC_CON_EXPLICIT) ? nk : nf;
		values[k] = array_datum(&table_registry, k, e[k], count);
	}
	registry_upsert(&table_registry, values, isnull);
}

/* Declare or replace a model of another kind, as declared by the current role. */
void
registry_store_object(const ObjectModel *obj)
{
	Datum		values[OC_COUNT];
	bool		isnull[OC_COUNT];
	NameData	names[6];
	int			k;

	if (obj->kind != OBJECT_KIND_SCHEMA)
		reject_name_of_other_kind(object_kind_names[obj->kind], obj->schema, obj->name);
	for (k = 0; k < OC_COUNT; k++)
		isnull[k] = false;
	values[OC_KIND] = CStringGetTextDatum(object_kind_names[obj->kind]);
	namestrcpy(&names[0], obj->schema);
	namestrcpy(&names[1], obj->name);
	namestrcpy(&names[2], GetUserNameFromId(GetUserId(), false));
	values[OC_SCHEMA] = NameGetDatum(&names[0]);
	values[OC_NAME] = NameGetDatum(&names[1]);
	values[OC_DECLARED_BY] = NameGetDatum(&names[2]);
	values[OC_DECLARED_AT] = (Datum) 0;
	isnull[OC_TABLE_SCHEMA] = isnull[OC_TABLE_NAME] = obj->table_name == NULL;
	isnull[OC_COLUMN_NAME] = obj->column_name == NULL;
	values[OC_TABLE_SCHEMA] = values[OC_TABLE_NAME] = values[OC_COLUMN_NAME] = (Datum) 0;
	if (obj->table_name != NULL)
	{
		namestrcpy(&names[3], obj->table_schema);
		namestrcpy(&names[4], obj->table_name);
		values[OC_TABLE_SCHEMA] = NameGetDatum(&names[3]);
		values[OC_TABLE_NAME] = NameGetDatum(&names[4]);
	}
	if (obj->column_name != NULL)
	{
		namestrcpy(&names[5], obj->column_name);
		values[OC_COLUMN_NAME] = NameGetDatum(&names[5]);
	}
	values[OC_DEFINITION] = CStringGetTextDatum(obj->definition);
	values[OC_ATTRS] = strings_datum(&object_registry, OC_ATTRS, obj->attrs, obj->nattrs);
	values[OC_CON_NAMES] = strings_datum(&object_registry, OC_CON_NAMES, obj->con_names, obj->ncons);
	values[OC_CON_DEFS] = strings_datum(&object_registry, OC_CON_DEFS, obj->con_defs, obj->ncons);
	values[OC_CON_ALT_DEFS] = strings_datum(&object_registry, OC_CON_ALT_DEFS, obj->con_alt_defs,
											obj->ncons);
	values[OC_COMMENT] = CStringGetTextDatum(obj->comment ? obj->comment : "");
	isnull[OC_COMMENT] = obj->comment == NULL || obj->comment[0] == '\0';
	registry_upsert(&object_registry, values, isnull);
}

/*
 * Forget the model of schema.table, the models of its partitions (and of
 * theirs), and the models of their indexes and of the sequences they own
 * (OWNED BY one of their columns): DROP TABLE drops all of them too, and
 * a model whose table has no model any more could be neither created nor
 * dumped.  False when there was none.
 */
bool
registry_delete(const char *schema, const char *table)
{
	Oid			argtypes[2] = {NAMEOID, NAMEOID};
	Datum		args[2];
	NameData	schema_key;
	NameData	table_key;
	char	   *tables;
	char	   *query;

	namestrcpy(&schema_key, schema);
	namestrcpy(&table_key, table);
	args[0] = NameGetDatum(&schema_key);
	args[1] = NameGetDatum(&table_key);
	/* the model and its partitions, down the tree */
	tables = psprintf("WITH RECURSIVE t(s, n) AS ("
					  "SELECT r.schema_name, r.table_name FROM %s r"
					  " WHERE r.schema_name OPERATOR(pg_catalog.=) $1"
					  " AND r.table_name OPERATOR(pg_catalog.=) $2"
					  " UNION SELECT p.schema_name, p.table_name FROM %s p, t"
					  " WHERE p.partition_of_schema OPERATOR(pg_catalog.=) t.s"
					  " AND p.partition_of_table OPERATOR(pg_catalog.=) t.n)"
					  " SELECT s, n FROM t",
					  qualified_name_of(REGISTRY_TABLE), qualified_name_of(REGISTRY_TABLE));
	query = psprintf("DELETE FROM %s o USING (%s) x"
					 " WHERE o.kind OPERATOR(pg_catalog.=) ANY ('{index,sequence}'::pg_catalog.text[])"
					 " AND o.table_schema OPERATOR(pg_catalog.=) x.s"
					 " AND o.table_name OPERATOR(pg_catalog.=) x.n",
					 qualified_name_of(OBJECTS_TABLE), tables);
	(void) registry_write(query, 2, argtypes, args, NULL, SPI_OK_DELETE);
	query = psprintf("DELETE FROM %s r USING (%s) x"
					 " WHERE r.schema_name OPERATOR(pg_catalog.=) x.s"
					 " AND r.table_name OPERATOR(pg_catalog.=) x.n",
					 qualified_name_of(REGISTRY_TABLE), tables);
	return registry_write(query, 2, argtypes, args, NULL, SPI_OK_DELETE) > 0;
}

/* Forget the model of kind schema.name; false when there was none. */
bool
registry_delete_object(ObjectKind kind, const char *schema, const char *name)
{
	Oid			argtypes[3] = {TEXTOID, NAMEOID, NAMEOID};
	Datum		args[3];
	NameData	schema_key;
	NameData	name_key;
	char	   *query;

	namestrcpy(&schema_key, schema);
	namestrcpy(&name_key, name);
	args[0] = CStringGetTextDatum(object_kind_names[kind]);
	args[1] = NameGetDatum(&schema_key);
	args[2] = NameGetDatum(&name_key);
	query = psprintf("DELETE FROM %s o"
					 " WHERE o.kind OPERATOR(pg_catalog.=) $1"
					 " AND o.schema_name OPERATOR(pg_catalog.=) $2"
					 " AND o.object_name OPERATOR(pg_catalog.=) $3",
					 qualified_name_of(OBJECTS_TABLE));
	return registry_write(query, 3, argtypes, args, NULL, SPI_OK_DELETE) > 0;
}

/* ------------------------------------------------------------ loads */

#define LOADS_TABLE		"provision_loads"

/* one relation's visible rows, as (ctid, xmin), into buf */
static void
fingerprint_rows(StringInfo buf, Oid relid, Snapshot snapshot)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	HeapTuple	tuple;

	appendBinaryStringInfo(buf, (char *) &relid, sizeof(relid));
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		TransactionId xmin = HeapTupleHeaderGetRawXmin(tuple->t_data);

		appendBinaryStringInfo(buf, (char *) &tuple->t_self, sizeof(ItemPointerData));
		appendBinaryStringInfo(buf, (char *) &xmin, sizeof(xmin));
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * What the registry holds now, as a digest of where each model's row is
 * and which transaction wrote it: any declaration, replacement or
 * forgetting since changes it (so may a VACUUM FULL or a restore, which
 * only costs a load tried again).  NULL where no digest can be made.
 */
char *
registry_fingerprint(void)
{
	Snapshot	snapshot;
	StringInfoData buf;
	char	   *hex = palloc(33);
	const char *errstr = NULL;

	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	initStringInfo(&buf);
	fingerprint_rows(&buf, registry_relid(), snapshot);
	fingerprint_rows(&buf, table_relid(OBJECTS_TABLE), snapshot);
	UnregisterSnapshot(snapshot);
	if (!provision_md5_hash(buf.data, buf.len, hex, &errstr))
		return NULL;
	return hex;
}

/* a text[] of strings, as a Datum */
static Datum
text_array_datum(List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * (list_length(strings) + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, strings)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* the strings of a text[] with no NULL; false for anything else */
static bool
text_array_strings(Datum array, List **strings)
{
	ArrayType  *a = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*strings = NIL;
	if (ARR_NDIM(a) > 1 || ARR_ELEMTYPE(a) != TEXTOID)
		return false;
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			return false;
		*strings = lappend(*strings, TextDatumGetCString(elems[i]));
	}
	return true;
}

/*
 * The last load of the current role: the digest of its script, the
 * registry's fingerprint after it, what it returned (kinds and objects)
 * and the kinds of the statements it skipped.  False if there is none, or
 * the row is not one provision wrote.
 */
bool
registry_last_load(char **digest, char **fingerprint, List **kinds, List **objects,
				   List **skipped)
{
	char	   *query = psprintf("SELECT digest, fingerprint, kinds, objects, skipped FROM %s "
								 "WHERE declared_by OPERATOR(pg_catalog.=) $1",
								 qualified_name_of(LOADS_TABLE));
	Oid			argtypes[1] = {NAMEOID};
	Datum		args[1];
	NameData	role;
	TrustScope	scope;
	MemoryContext caller = CurrentMemoryContext;
	bool		found = false;

	(void) table_relid(LOADS_TABLE);
	namestrcpy(&role, GetUserNameFromId(GetUserId(), false));
	args[0] = NameGetDatum(&role);
	trust_enter(registry_owner(), true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan(registry_plan(query, 1, argtypes), args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "SPI query \"%s\" failed", query);
	if (SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		values[5];
		bool		isnull[5];
		bool		complete = true;
		MemoryContext spi;

		for (int i = 0; i < 5; i++)
		{
			values[i] = SPI_getbinval(tuple, desc, i + 1, &isnull[i]);
			complete &= !isnull[i];
		}
		/* copied out into the caller's memory: SPI's goes with SPI_finish() */
		spi = MemoryContextSwitchTo(caller);
		if (complete)
		{
			*digest = TextDatumGetCString(values[0]);
			*fingerprint = TextDatumGetCString(values[1]);
			found = text_array_strings(values[2], kinds) &&
				text_array_strings(values[3], objects) &&
				text_array_strings(values[4], skipped) &&
				list_length(*kinds) == list_length(*objects);
		}
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	trust_leave(&scope);
	return found;
}

/* Remember the current role's load of the script with this digest. */
void
registry_remember_load(const char *digest, const char *fingerprint, List *kinds,
					   List *objects, List *skipped)
{
	char	   *query = psprintf("INSERT INTO %s AS l (declared_by, digest, fingerprint, kinds, "
								 "objects, skipped) VALUES ($1, $2, $3, $4, $5, $6) "
								 "ON CONFLICT (declared_by) DO UPDATE SET digest = excluded.digest, "
								 "fingerprint = excluded.fingerprint, kinds = excluded.kinds, "
								 "objects = excluded.objects, skipped = excluded.skipped",
								 qualified_name_of(LOADS_TABLE));
	Oid			argtypes[6] = {NAMEOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID};
	Datum		args[6];
	NameData	role;

	(void) table_relid(LOADS_TABLE);
	namestrcpy(&role, GetUserNameFromId(GetUserId(), false));
	args[0] = NameGetDatum(&role);
	args[1] = CStringGetTextDatum(digest);
	args[2] = CStringGetTextDatum(fingerprint);
	args[3] = text_array_datum(kinds);
	args[4] = text_array_datum(objects);
	args[5] = text_array_datum(skipped);
	(void) registry_write(query, 6, argtypes, args, NULL, SPI_OK_INSERT);
}
