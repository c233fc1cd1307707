/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  Sequences as models: their options, the column that owns them, their
 *	  normalized statement, and what brings a live one in line.
 *
 * A sequence is its data type, START, INCREMENT, MINVALUE, MAXVALUE, CACHE
 * and CYCLE (all written out, whatever the defaults), and the column that
 * owns it (OWNED BY), if any.  Options change in place with ALTER
 * SEQUENCE: safe while the range of values only grows (a narrower range or
 * type can fail on the sequence's current value); ownership changes are
 * safe.  The sequences of serial and identity columns belong to their
 * tables' models, not to sequence models.
 *
 *-------------------------------------------------------------------------
 */
#include "objects.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_sequence.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "change.h"
#include "ddl.h"
#include "name.h"

/* attrs: type, start, increment, min, max, cache, cycle */
void
sequence_inspect(ObjectModel *obj, Oid seqid)
{
	HeapTuple	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	Form_pg_sequence seq;
	Oid			owner_rel;
	int32		owner_col;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for sequence %u", seqid);
	seq = (Form_pg_sequence) GETSTRUCT(tuple);
	obj->nattrs = 7;
	obj->attrs = palloc(sizeof(char *) * 8);
	obj->attrs[0] = format_type_be(seq->seqtypid);
	obj->attrs[1] = psprintf(INT64_FORMAT, seq->seqstart);
	obj->attrs[2] = psprintf(INT64_FORMAT, seq->seqincrement);
	obj->attrs[3] = psprintf(INT64_FORMAT, seq->seqmin);
	obj->attrs[4] = psprintf(INT64_FORMAT, seq->seqmax);
	obj->attrs[5] = psprintf(INT64_FORMAT, seq->seqcache);
	obj->attrs[6] = pstrdup(seq->seqcycle ? "t" : "f");
	ReleaseSysCache(tuple);

	obj->table_schema = obj->table_name = obj->column_name = NULL;
	if (sequenceIsOwned(seqid, DEPENDENCY_AUTO, &owner_rel, &owner_col))
	{
		obj->table_schema = get_namespace_name(get_rel_namespace(owner_rel));
		obj->table_name = get_rel_name(owner_rel);
		obj->column_name = get_attname(owner_rel, owner_col, false);
	}
	obj->definition = sequence_definition(obj);
}

/* the options of a sequence, as CREATE and ALTER SEQUENCE take them */
static char *
sequence_options(const ObjectModel *obj)
{
	return psprintf("AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s",
					obj->attrs[0], obj->attrs[2], obj->attrs[3], obj->attrs[4], obj->attrs[1],
					obj->attrs[5], strcmp(obj->attrs[6], "t") == 0 ? "CYCLE" : "NO CYCLE");
}

char *
sequence_definition(const ObjectModel *obj)
{
	return psprintf("CREATE SEQUENCE %s %s", quoted_name(obj->schema, obj->name),
					sequence_options(obj));
}

/* ALTER SEQUENCE ... OWNED BY of obj: what creating it ends with */
List *
sequence_owner_steps(const ObjectModel *obj)
{
	if (obj->table_name == NULL)
		return NIL;
	return list_make1(ddl_object_step(DDL_ALTER_SEQUENCE, PHASE_COMMENT, obj->schema, obj->name,
									  display_name(obj->schema, obj->name), obj->declared_by,
									  psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
											   quoted_name(obj->schema, obj->name),
											   quoted_name(obj->table_schema, obj->table_name),
											   quote_identifier(obj->column_name))));
}

static int64
attr_int(const ObjectModel *obj, int i)
{
	return strtoll(obj->attrs[i], NULL, 10);
}

List *
sequence_compare(const ObjectModel *declared, const ObjectModel *live)
{
	List	   *changes = NIL;
	char	   *display = quoted_name(declared->schema, declared->name);
	char	   *model_name = display_name(declared->schema, declared->name);
	bool		options_differ = false;
	int			i;

	for (i = 0; i < 7; i++)
		options_differ |= strcmp(declared->attrs[i], live->attrs[i]) != 0;
	if (options_differ)
	{
		/* values the sequence may hold now stay allowed: safe */
		bool		safe = strcmp(declared->attrs[0], live->attrs[0]) == 0 &&
			attr_int(declared, 3) <= attr_int(live, 3) &&
			attr_int(declared, 4) >= attr_int(live, 4);
		Change	   *change = make_change(display, "sequence_differs", display,
										 sequence_options(declared), sequence_options(live),
										 safe);

		change_step(change, ddl_object_step(DDL_ALTER_SEQUENCE, PHASE_TYPE, declared->schema,
											declared->name, model_name, declared->declared_by,
											psprintf("ALTER SEQUENCE %s %s", display,
													 sequence_options(declared))));
		changes = lappend(changes, change);
	}
	if ((declared->table_name == NULL) != (live->table_name == NULL) ||
		(declared->table_name != NULL &&
		 (strcmp(declared->table_schema, live->table_schema) != 0 ||
		  strcmp(declared->table_name, live->table_name) != 0 ||
		  strcmp(declared->column_name, live->column_name) != 0)))
	{
		char	   *owner_d = declared->table_name
			? psprintf("%s.%s", quoted_name(declared->table_schema, declared->table_name),
					   quote_identifier(declared->column_name)) : NULL;
		char	   *owner_l = live->table_name
			? psprintf("%s.%s", quoted_name(live->table_schema, live->table_name),
					   quote_identifier(live->column_name)) : NULL;
		Change	   *change = make_change(display, "sequence_owner", display, owner_d, owner_l,
										 true);

		change_step(change, ddl_object_step(DDL_ALTER_SEQUENCE, PHASE_COMMENT, declared->schema,
											declared->name, model_name, declared->declared_by,
											psprintf("ALTER SEQUENCE %s OWNED BY %s", display,
													 owner_d ? owner_d : "NONE")));
		changes = lappend(changes, change);
	}
	return changes;
}
