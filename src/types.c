/*-------------------------------------------------------------------------
 *
 * types.c
 *	  Enum types and domains as models: their live form, their normalized
 *	  statement, and what brings a live one in line with its model.
 *
 * An enum is its labels in order.  A missing label is added where the
 * model puts it (ALTER TYPE ... ADD VALUE ... AFTER the label before it);
 * PostgreSQL cannot remove or reorder labels, so an extra label or another
 * order is reported, unsafe, with nothing that applies it.
 *
 * A domain is its base type (with typmod), collation, default, NOT NULL
 * and CHECK constraints, as the server's deparsers print them.  A default
 * changes in place, a missing CHECK is added NOT VALID then validated, as
 * a table's is; a new NOT NULL can fail on existing rows and is unsafe, as
 * are dropping or changing a CHECK; a base type or collation cannot change
 * in place (unsafe, nothing applies it).
 *
 * Call under catalog_search_path_push(), so that names outside pg_catalog
 * come out qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "objects.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "change.h"
#include "ddl.h"
#include "name.h"

static int
enum_sort_cmp(const void *a, const void *b)
{
	float4		sa = ((Form_pg_enum) GETSTRUCT(*(HeapTuple const *) a))->enumsortorder;
	float4		sb = ((Form_pg_enum) GETSTRUCT(*(HeapTuple const *) b))->enumsortorder;

	return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/* the labels of enum typid, in order */
void
enum_inspect(ObjectModel *obj, Oid typid)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(typid));
	HeapTuple  *tuples = palloc(sizeof(HeapTuple) * (list->n_members + 1));
	int			i;

	for (i = 0; i < list->n_members; i++)
		tuples[i] = &list->members[i]->tuple;
	qsort(tuples, list->n_members, sizeof(HeapTuple), enum_sort_cmp);
	obj->nattrs = list->n_members;
	obj->attrs = palloc(sizeof(char *) * (list->n_members + 1));
	for (i = 0; i < list->n_members; i++)
		obj->attrs[i] = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tuples[i]))->enumlabel));
	ReleaseSysCacheList(list);
	obj->definition = enum_definition(obj);
}

char *
enum_definition(const ObjectModel *obj)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TYPE %s AS ENUM (", quoted_name(obj->schema, obj->name));
	for (i = 0; i < obj->nattrs; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", quote_literal_cstr(obj->attrs[i]));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

static int
label_index(const ObjectModel *obj, const char *label)
{
	int			i;

	for (i = 0; i < obj->nattrs; i++)
	{
		if (strcmp(obj->attrs[i], label) == 0)
			return i;
	}
	return -1;
}

static char *
labels_text(const ObjectModel *obj)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < obj->nattrs; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", quote_literal_cstr(obj->attrs[i]));
	return buf.data;
}

List *
enum_compare(const ObjectModel *declared, const ObjectModel *live)
{
	List	   *changes = NIL;
	char	   *display = quoted_name(declared->schema, declared->name);
	char	   *model_name = display_name(declared->schema, declared->name);
	int			last_common = -1;
	bool		reordered = false;
	int			i;

	/* labels the model adds, each after the one before it in the model */
	for (i = 0; i < declared->nattrs; i++)
	{
		const char *label = declared->attrs[i];
		int			at = label_index(live, label);
		Change	   *change;
		char	   *sql;

		if (at >= 0)
		{
			if (at < last_common)
				reordered = true;
			last_common = at;
			continue;
		}
		if (i > 0)
			sql = psprintf("ALTER TYPE %s ADD VALUE %s AFTER %s", display,
						   quote_literal_cstr(label), quote_literal_cstr(declared->attrs[i - 1]));
		else if (live->nattrs > 0)
			sql = psprintf("ALTER TYPE %s ADD VALUE %s BEFORE %s", display,
						   quote_literal_cstr(label), quote_literal_cstr(live->attrs[0]));
		else
			sql = psprintf("ALTER TYPE %s ADD VALUE %s", display, quote_literal_cstr(label));
		change = make_change(display, "enum_value_missing", label, label, NULL, true);
		change_step(change, ddl_object_step(DDL_ALTER_ENUM, PHASE_TYPE, declared->schema,
											declared->name, model_name,
											declared->declared_by, sql));
		changes = lappend(changes, change);
	}
	/* what PostgreSQL cannot do in place: reported, never applied */
	for (i = 0; i < live->nattrs; i++)
	{
		if (label_index(declared, live->attrs[i]) < 0)
			changes = lappend(changes, make_change(display, "enum_value_extra", live->attrs[i],
												   NULL, live->attrs[i], false));
	}
	if (reordered)
		changes = lappend(changes, make_change(display, "enum_order", display,
											   labels_text(declared), labels_text(live), false));
	return changes;
}

/*
 * A domain's live form.  attrs: base type, collation, default, NOT NULL
 * ("t"/"f"), the default's other text (""); constraints: its CHECKs, by
 * name.
 */
void
domain_inspect(ObjectModel *obj, Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type form;
	Relation	conrel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	contuple;
	bool		isnull;
	Datum		defbin;
	int			allocated = 4;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for type %u", typid);
	form = (Form_pg_type) GETSTRUCT(tuple);
	obj->nattrs = 5;
	obj->attrs = palloc0(sizeof(char *) * 6);
	obj->attrs[0] = format_type_with_typemod(form->typbasetype, form->typtypmod);
	obj->attrs[1] = (OidIsValid(form->typcollation) &&
					 form->typcollation != get_typcollation(form->typbasetype))
		? generate_collation_name(form->typcollation) : pstrdup("");
	defbin = SysCacheGetAttr(TYPEOID, tuple, Anum_pg_type_typdefaultbin, &isnull);
	obj->attrs[2] = isnull ? pstrdup("")
		: deparse_expression(stringToNode(TextDatumGetCString(defbin)), NIL, false, false);
	obj->attrs[3] = pstrdup(form->typnotnull ? "t" : "f");
	obj->attrs[4] = pstrdup("");
	ReleaseSysCache(tuple);

	obj->ncons = 0;
	obj->con_names = palloc(sizeof(char *) * allocated);
	obj->con_defs = palloc(sizeof(char *) * allocated);
	obj->con_alt_defs = palloc(sizeof(char *) * allocated);
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	scan = systable_beginscan(conrel, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(contuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(contuple);
		char	   *def;
		size_t		len;

		/* NOT NULL is typnotnull (17 also keeps it as a constraint row) */
		if (con->contype != CONSTRAINT_CHECK)
			continue;
		if (obj->ncons == allocated)
		{
			allocated *= 2;
			obj->con_names = repalloc(obj->con_names, sizeof(char *) * allocated);
			obj->con_defs = repalloc(obj->con_defs, sizeof(char *) * allocated);
			obj->con_alt_defs = repalloc(obj->con_alt_defs, sizeof(char *) * allocated);
		}
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
													  ObjectIdGetDatum(con->oid)));
		len = strlen(def);
		if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
			def[len - 10] = '\0';
		obj->con_names[obj->ncons] = pstrdup(NameStr(con->conname));
		obj->con_defs[obj->ncons] = def;
		obj->con_alt_defs[obj->ncons] = "";
		obj->ncons++;
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);

	/* by name, as pg_dump writes them: the index scan's order is not stable */
	for (int i = 1; i < obj->ncons; i++)
	{
		for (int j = i; j > 0 && strcmp(obj->con_names[j - 1], obj->con_names[j]) > 0; j--)
		{
			char	   *name = obj->con_names[j];
			char	   *def = obj->con_defs[j];
			char	   *alt = obj->con_alt_defs[j];

			obj->con_names[j] = obj->con_names[j - 1];
			obj->con_defs[j] = obj->con_defs[j - 1];
			obj->con_alt_defs[j] = obj->con_alt_defs[j - 1];
			obj->con_names[j - 1] = name;
			obj->con_defs[j - 1] = def;
			obj->con_alt_defs[j - 1] = alt;
		}
	}
	obj->definition = domain_definition(obj);
}

char *
domain_definition(const ObjectModel *obj)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE DOMAIN %s AS %s", quoted_name(obj->schema, obj->name),
					 obj->attrs[0]);
	if (obj->attrs[1][0] != '\0')
		appendStringInfo(&buf, " COLLATE %s", obj->attrs[1]);
	if (obj->attrs[2][0] != '\0')
		appendStringInfo(&buf, " DEFAULT %s", obj->attrs[2]);
	if (strcmp(obj->attrs[3], "t") == 0)
		appendStringInfoString(&buf, " NOT NULL");
	for (i = 0; i < obj->ncons; i++)
		appendStringInfo(&buf, " CONSTRAINT %s %s", quote_identifier(obj->con_names[i]),
						 obj->con_defs[i]);
	return buf.data;
}

/* an ALTER DOMAIN step of declared */
static DDLStep *
domain_step(const ObjectModel *declared, char subtype, DDLPhase phase, char *sql)
{
	DDLStep    *step = ddl_object_step(DDL_ALTER_DOMAIN, phase, declared->schema, declared->name,
									   display_name(declared->schema, declared->name),
									   declared->declared_by, sql);

	step->domain_subtype = subtype;
	return step;
}

static bool
same_check(const ObjectModel *declared, int d, const ObjectModel *live, int l)
{
	return strcmp(declared->con_defs[d], live->con_defs[l]) == 0 ||
		(declared->con_alt_defs[d][0] != '\0' &&
		 strcmp(declared->con_alt_defs[d], live->con_defs[l]) == 0);
}

List *
domain_compare(const ObjectModel *declared, const ObjectModel *live)
{
	List	   *changes = NIL;
	char	   *display = quoted_name(declared->schema, declared->name);
	bool	   *dmatched = palloc0(sizeof(bool) * (declared->ncons + 1));
	bool	   *lmatched = palloc0(sizeof(bool) * (live->ncons + 1));
	Change	   *change;
	int			d,
				l;

	if (strcmp(declared->attrs[0], live->attrs[0]) != 0)
		changes = lappend(changes, make_change(display, "domain_base_type", display,
											   declared->attrs[0], live->attrs[0], false));
	if (strcmp(declared->attrs[1], live->attrs[1]) != 0)
		changes = lappend(changes, make_change(display, "domain_collation", display,
											   declared->attrs[1], live->attrs[1], false));
	if (strcmp(declared->attrs[2], live->attrs[2]) != 0 &&
		(declared->attrs[4][0] == '\0' || strcmp(declared->attrs[4], live->attrs[2]) != 0))
	{
		change = make_change(display, "domain_default", display,
							 declared->attrs[2][0] ? declared->attrs[2] : NULL,
							 live->attrs[2][0] ? live->attrs[2] : NULL, true);
		change_step(change, domain_step(declared, 'T', PHASE_TYPE,
										declared->attrs[2][0]
										? psprintf("ALTER DOMAIN %s SET DEFAULT %s", display,
												   declared->attrs[2])
										: psprintf("ALTER DOMAIN %s DROP DEFAULT", display)));
		changes = lappend(changes, change);
	}
	if (strcmp(declared->attrs[3], live->attrs[3]) != 0)
	{
		bool		set = strcmp(declared->attrs[3], "t") == 0;

		/* a new NOT NULL fails on a NULL in any column of the domain */
		change = make_change(display, "domain_not_null", display, set ? "NOT NULL" : "NULL",
							 set ? "NULL" : "NOT NULL", !set);
		change_step(change, domain_step(declared, set ? 'O' : 'N', PHASE_TYPE,
										psprintf("ALTER DOMAIN %s %s NOT NULL", display,
												 set ? "SET" : "DROP")));
		changes = lappend(changes, change);
	}

	for (d = 0; d < declared->ncons; d++)
	{
		for (l = 0; l < live->ncons; l++)
		{
			if (!lmatched[l] && same_check(declared, d, live, l))
			{
				dmatched[d] = lmatched[l] = true;
				break;
			}
		}
	}
	for (d = 0; d < declared->ncons; d++)
	{
		const char *name = quote_identifier(declared->con_names[d]);
		bool		differs = false;

		if (dmatched[d])
			continue;
		for (l = 0; l < live->ncons; l++)
		{
			if (!lmatched[l] && strcmp(declared->con_names[d], live->con_names[l]) == 0)
			{
				lmatched[l] = differs = true;
				break;
			}
		}
		change = make_change(display, differs ? "domain_constraint_differs" : "domain_constraint_missing",
							 declared->con_names[d], declared->con_defs[d],
							 differs ? live->con_defs[l] : NULL, !differs);
		if (differs)
			change_step(change, domain_step(declared, 'X', PHASE_TYPE,
											psprintf("ALTER DOMAIN %s DROP CONSTRAINT %s",
													 display, name)));
		/* NOT VALID first, as for a table's check */
		change_step(change, domain_step(declared, 'C', PHASE_TYPE,
										psprintf("ALTER DOMAIN %s ADD CONSTRAINT %s %s NOT VALID",
												 display, name, declared->con_defs[d])));
		change_step(change, domain_step(declared, 'V', PHASE_VALIDATE,
										psprintf("ALTER DOMAIN %s VALIDATE CONSTRAINT %s",
												 display, name)));
		changes = lappend(changes, change);
	}
	for (l = 0; l < live->ncons; l++)
	{
		if (lmatched[l])
			continue;
		change = make_change(display, "domain_constraint_extra", live->con_names[l], NULL,
							 live->con_defs[l], false);
		change_step(change, domain_step(declared, 'X', PHASE_TYPE,
										psprintf("ALTER DOMAIN %s DROP CONSTRAINT %s", display,
												 quote_identifier(live->con_names[l]))));
		changes = lappend(changes, change);
	}
	return changes;
}
