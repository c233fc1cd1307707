/*-------------------------------------------------------------------------
 *
 * swap.c
 *	  Swapping a shadow column in for the column it replaces: what depends
 *	  on the column, copies of its indexes on the shadow, and the brief
 *	  transaction that swaps them.
 *
 * An online type change (onlineplan.c) adds a shadow column of the new
 * type, keeps it equal to the old one with a trigger, fills it in batches
 * and builds copies of the old column's indexes on it concurrently.  The
 * swap then does, in one transaction under the ACCESS EXCLUSIVE locks of
 * the table and of the tables whose foreign keys reference the column,
 * catalog updates only: the sync trigger dropped; the referencing foreign
 * keys, the column's own checks and foreign keys, its primary key and
 * unique constraints dropped; a serial's sequence given to the shadow, or
 * the identity dropped; the old column dropped (its other indexes with
 * it) and the shadow renamed to it; NOT NULL (implied by the shadow's NOT
 * NULL or its validated helper check), the default, the sequence widened
 * or the identity restarted where it was; the primary key and unique
 * constraints attached to the copies (USING INDEX), the other copies
 * renamed; the checks and foreign keys re-added NOT VALID, validated in
 * later transactions.
 *
 * What the swap cannot carry over is found first (column_dependents()):
 * a view or rule, a trigger on the column, a policy, a statistics object,
 * a generated column, an expression or partial index, an exclusion
 * constraint, the replica identity index, column privileges, a
 * referencing table the model's declarer does not own.  The plan refuses
 * the change then, before anything is done; the swap itself checks again
 * under its locks, since the table may have changed meanwhile.
 *
 *-------------------------------------------------------------------------
 */
#include "swap.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "helper.h"
#include "inspect.h"
#include "name.h"
#include "trust.h"

/* ALTER TABLE of the swapped table, one subcommand on column */
#define swap_alter(swap, subtype, column, ...) \
	make_alter_table_stepf((swap)->owner, (swap)->model, PHASE_ALTER_COLUMN, (subtype), \
						   (column), __VA_ARGS__)


static char
constraint_type(Oid conoid)
{
	HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	char		contype = '\0';

	if (HeapTupleIsValid(tuple))
	{
		contype = ((Form_pg_constraint) GETSTRUCT(tuple))->contype;
		ReleaseSysCache(tuple);
	}
	return contype;
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner = InvalidOid;

	if (HeapTupleIsValid(tuple))
	{
		owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
		ReleaseSysCache(tuple);
	}
	return owner;
}

static bool
array_has_attnum(HeapTuple tuple, int attno, AttrNumber attnum)
{
	bool		isnull;
	Datum		datum = SysCacheGetAttr(CONSTROID, tuple, attno, &isnull);
	ArrayType  *array;
	int16	   *values;
	int			n,
				i;

	if (isnull)
		return false;
	array = DatumGetArrayTypeP(datum);
	n = ARR_DIMS(array)[0];
	values = (int16 *) ARR_DATA_PTR(array);
	for (i = 0; i < n; i++)
	{
		if (values[i] == attnum)
			return true;
	}
	return false;
}

/* whether an index uses column attnum in an expression or its predicate */
static bool
index_expression_uses(Oid indexoid, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	bool		uses = false;
	int			attno;

	if (!HeapTupleIsValid(tuple))
		return false;
	for (attno = Anum_pg_index_indexprs; attno <= Anum_pg_index_indpred;
		 attno += Anum_pg_index_indpred - Anum_pg_index_indexprs)
	{
		bool		isnull;
		Datum		datum = SysCacheGetAttr(INDEXRELID, tuple, attno, &isnull);
		Bitmapset  *attrs = NULL;

		if (isnull)
			continue;
		pull_varattnos(stringToNode(TextDatumGetCString(datum)), 1, &attrs);
		if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			uses = true;
	}
	ReleaseSysCache(tuple);
	return uses;
}

void
column_dependents(Relation rel, AttrNumber attnum, const char *declarer, ColumnDependents *deps)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			declarer_oid = get_role_oid(declarer, true);
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;

	memset(deps, 0, sizeof(ColumnDependents));
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(attnum));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 3, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);
		ObjectAddress object = {dep->classid, dep->objid, dep->objsubid};
		const char *refusal = NULL;

		if (dep->classid == RelationRelationId)
		{
			char		relkind = get_rel_relkind(dep->objid);

			if (dep->objid == relid)
				refusal = "a generated column is computed from it";
			else if (relkind == RELKIND_INDEX)
			{
				Oid			con = get_index_constraint(dep->objid);
				char		contype = OidIsValid(con) ? constraint_type(con) : '\0';

				if (contype == CONSTRAINT_EXCLUSION)
					refusal = "an exclusion constraint uses it";
				else if (index_expression_uses(dep->objid, attnum))
					refusal = "an index uses it in an expression or predicate";
				else if (rel->rd_rel->relreplident == REPLICA_IDENTITY_INDEX &&
						 RelationGetReplicaIndex(rel) == dep->objid)
					refusal = "it is in the replica identity index";
				else
					deps->indexes = list_append_unique_oid(deps->indexes, dep->objid);
			}
			else if (relkind == RELKIND_SEQUENCE && dep->deptype == DEPENDENCY_AUTO)
				deps->serial_seq = dep->objid;
			else if (relkind == RELKIND_SEQUENCE && dep->deptype == DEPENDENCY_INTERNAL)
				deps->identity_seq = dep->objid;
			else
				refusal = "another relation depends on it";
		}
		else if (dep->classid == ConstraintRelationId)
		{
			HeapTuple	con = SearchSysCache1(CONSTROID, ObjectIdGetDatum(dep->objid));
			Form_pg_constraint form;

			if (!HeapTupleIsValid(con))
				continue;
			form = (Form_pg_constraint) GETSTRUCT(con);
			if (form->contype == CONSTRAINT_EXCLUSION)
				refusal = "an exclusion constraint uses it";
			else if (form->contype == CONSTRAINT_FOREIGN && form->confrelid == relid &&
					 array_has_attnum(con, Anum_pg_constraint_confkey, attnum) &&
					 (form->conrelid != relid ||
					  !array_has_attnum(con, Anum_pg_constraint_conkey, attnum)))
			{
				if (OidIsValid(declarer_oid) &&
					!has_privs_of_role(declarer_oid, relation_owner(form->conrelid)))
					refusal = psprintf("foreign key \"%s\" of table \"%s\" references it, and that table is not owned by role \"%s\"",
									   NameStr(form->conname), get_rel_name(form->conrelid),
									   declarer);
				else
					deps->referencing = list_append_unique_oid(deps->referencing, dep->objid);
			}
			else if (form->conrelid == relid &&
					 (form->contype == CONSTRAINT_CHECK || form->contype == CONSTRAINT_FOREIGN))
				deps->constraints = list_append_unique_oid(deps->constraints, dep->objid);
			else if (form->conrelid == relid &&
					 (form->contype == CONSTRAINT_PRIMARY || form->contype == CONSTRAINT_UNIQUE))
			{
				/* its index depends on it, not on the column */
				if (rel->rd_rel->relreplident == REPLICA_IDENTITY_INDEX &&
					RelationGetReplicaIndex(rel) == form->conindid)
					refusal = "it is in the replica identity index";
				else
					deps->indexes = list_append_unique_oid(deps->indexes, form->conindid);
			}
			ReleaseSysCache(con);
		}
		else if (dep->classid == AttrDefaultRelationId)
			;					/* the column's own default */
		else
			refusal = psprintf("%s depends on it", provision_object_description(&object));

		if (refusal != NULL)
			deps->refusals = lappend(deps->refusals, (void *) refusal);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
}

/* an operator class or collation, qualified and quoted */
static char *
opclass_name(Oid opclass)
{
	HeapTuple	tuple = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
	Form_pg_opclass form;
	char	   *name;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator class %u", opclass);
	form = (Form_pg_opclass) GETSTRUCT(tuple);
	name = quoted_name(get_namespace_name(form->opcnamespace), NameStr(form->opcname));
	ReleaseSysCache(tuple);
	return name;
}

/*
 * CREATE INDEX CONCURRENTLY of a copy of index indexoid named name, with
 * column from replaced by column to (of type to_type); NULL, with *why,
 * when it cannot be copied so.
 */
char *
index_copy_sql(Relation rel, Oid indexoid, AttrNumber from, const char *to, Oid to_type,
			   const char *name, const char **why)
{
	HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	HeapTuple	classtuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
	Form_pg_index index;
	Form_pg_class class;
	oidvector  *indclass;
	oidvector  *indcollation;
	int2vector *indoption;
	bool		isnull;
	Datum		datum;
	StringInfoData sql;
	int			k;

	if (!HeapTupleIsValid(tuple) || !HeapTupleIsValid(classtuple))
		elog(ERROR, "cache lookup failed for index %u", indexoid);
	index = (Form_pg_index) GETSTRUCT(tuple);
	class = (Form_pg_class) GETSTRUCT(classtuple);
	indclass = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
															 Anum_pg_index_indclass, &isnull));
	indcollation = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
																 Anum_pg_index_indcollation,
																 &isnull));
	indoption = (int2vector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
															   Anum_pg_index_indoption,
															   &isnull));

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE %sINDEX CONCURRENTLY %s ON %s USING %s (",
					 index->indisunique ? "UNIQUE " : "", quote_identifier(name),
					 quoted_name(get_namespace_name(RelationGetNamespace(rel)),
								 RelationGetRelationName(rel)),
					 quote_identifier(get_am_name(class->relam)));
	for (k = 0; k < index->indnatts; k++)
	{
		AttrNumber	attnum = index->indkey.values[k];
		Oid			type;

		if (k == index->indnkeyatts)
			appendStringInfoString(&sql, ") INCLUDE (");
		else if (k > 0)
			appendStringInfoString(&sql, ", ");
		if (attnum == 0)
		{
			/* an expression that does not use the column */
			appendStringInfoString(&sql,
								   TextDatumGetCString(DirectFunctionCall3(pg_get_indexdef_ext,
																		   ObjectIdGetDatum(indexoid),
																		   Int32GetDatum(k + 1),
																		   BoolGetDatum(false))));
			type = get_opclass_input_type(indclass->values[k]);
		}
		else if (attnum == from)
		{
			appendStringInfoString(&sql, quote_identifier(to));
			type = to_type;
		}
		else
		{
			appendStringInfoString(&sql, quote_identifier(get_attname(RelationGetRelid(rel),
																	  attnum, false)));
			type = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
		}
		if (k >= index->indnkeyatts)
			continue;
		if (OidIsValid(indcollation->values[k]) &&
			indcollation->values[k] != get_typcollation(type))
		{
			HeapTuple	coll = SearchSysCache1(COLLOID, ObjectIdGetDatum(indcollation->values[k]));

			if (HeapTupleIsValid(coll))
			{
				Form_pg_collation cform = (Form_pg_collation) GETSTRUCT(coll);

				appendStringInfo(&sql, " COLLATE %s",
								 quoted_name(get_namespace_name(cform->collnamespace),
											 NameStr(cform->collname)));
				ReleaseSysCache(coll);
			}
		}
		if (attnum == from &&
			GetDefaultOpClass(TupleDescAttr(RelationGetDescr(rel), from - 1)->atttypid,
							  class->relam) == indclass->values[k])
			;					/* the old type's default: the new type's default */
		else if (GetDefaultOpClass(type, class->relam) != indclass->values[k])
		{
			if (attnum == from)
			{
				*why = psprintf("index \"%s\" uses operator class %s for it",
								NameStr(class->relname), opclass_name(indclass->values[k]));
				ReleaseSysCache(classtuple);
				ReleaseSysCache(tuple);
				return NULL;
			}
			appendStringInfo(&sql, " %s", opclass_name(indclass->values[k]));
		}
		if (indoption->values[k] & INDOPTION_DESC)
			appendStringInfo(&sql, " DESC%s",
							 (indoption->values[k] & INDOPTION_NULLS_FIRST) ? "" : " NULLS LAST");
		else if (indoption->values[k] & INDOPTION_NULLS_FIRST)
			appendStringInfoString(&sql, " NULLS FIRST");
	}
	appendStringInfoChar(&sql, ')');
	if (provision_index_nulls_not_distinct(index))
		appendStringInfoString(&sql, " NULLS NOT DISTINCT");
	datum = SysCacheGetAttr(RELOID, classtuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		Datum	   *options;
		int			noptions;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(datum), TEXTOID, -1, false, TYPALIGN_INT,
						  &options, NULL, &noptions);
		appendStringInfoString(&sql, " WITH (");
		for (i = 0; i < noptions; i++)
		{
			char	   *option = TextDatumGetCString(options[i]);
			char	   *eq = strchr(option, '=');

			if (eq == NULL)
				continue;
			*eq = '\0';
			appendStringInfo(&sql, "%s%s = %s", i ? ", " : "", quote_identifier(option),
							 quote_literal_cstr(eq + 1));
		}
		appendStringInfoChar(&sql, ')');
	}
	if (OidIsValid(class->reltablespace))
		appendStringInfo(&sql, " TABLESPACE %s",
						 quote_identifier(get_tablespace_name(class->reltablespace)));
	datum = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indpred, &isnull);
	if (!isnull)
		appendStringInfo(&sql, " WHERE %s",
						 TextDatumGetCString(DirectFunctionCall2(pg_get_expr, datum,
																 ObjectIdGetDatum(RelationGetRelid(rel)))));
	ReleaseSysCache(classtuple);
	ReleaseSysCache(tuple);
	return sql.data;
}

/* ALTER TABLE on another table (a referencing one), for the model's swap */
static DDLStep *
other_table_step(const OnlineStep *swap, Oid relid, AlterTableType subtype,
				 const char *object, char *sql_tail)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(relid));
	char	   *rel = get_rel_name(relid);
	DDLStep    *step = make_alter_table_step(swap->owner, swap->model, PHASE_ALTER_COLUMN,
											 subtype, object,
											 psprintf("ALTER TABLE %s %s", quoted_name(nsp, rel),
													  sql_tail));

	step->table = quoted_name(nsp, rel);
	step->target_schema = nsp;
	step->target_name = rel;
	return step;
}

/* pg_get_constraintdef() without NOT VALID: what is re-added */
static char *
constraint_text(Oid conoid)
{
	char	   *def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
															  ObjectIdGetDatum(conoid)));
	size_t		len = strlen(def);

	if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
		def[len - 10] = '\0';
	return def;
}

/*
 * The next value of an identity sequence, read as the model's declarer
 * (who owns it); the swap gives the new identity that start.  Planning,
 * read as the caller, when it may.
 */
static int64
identity_next_value(const OnlineStep *swap, Oid seqid, bool planning)
{
	char	   *query;
	TrustScope	scope;
	int64		result = 1;
	bool		isnull;

	if (planning && pg_class_aclcheck(seqid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return 1;
	query = psprintf("SELECT CASE WHEN s.is_called THEN s.last_value OPERATOR(pg_catalog.+) p.seqincrement ELSE s.last_value END"
					 " FROM %s s, pg_catalog.pg_sequence p WHERE p.seqrelid OPERATOR(pg_catalog.=) %u",
					 quoted_name(get_namespace_name(get_rel_namespace(seqid)), get_rel_name(seqid)),
					 seqid);
	trust_enter(planning ? GetUserId() : trust_declarer(swap->run_as, swap->model_name),
				true, &scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(query, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SPI query \"%s\" failed", query);
	result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	trust_leave(&scope);
	return result;
}

/*
 * The statements of a swap, from the catalogs as they are now: the old
 * column dropped and the shadow renamed to it, with its NOT NULL, default
 * (or sequence, or identity), indexes, constraints and the foreign keys
 * that reference it carried over; in one transaction, each a catalog
 * update, under an ACCESS EXCLUSIVE lock of the table taken first (and of
 * the referencing tables).  The re-added constraints are NOT VALID; their
 * validation follows in later transactions.  *missing gets the names of
 * the helper indexes that should be there and are not (valid).
 */
List *
swap_steps(OnlineStep *swap, List **missing, bool planning)
{
	Oid			relid = lookup_table(lookup_schema(swap->schema), swap->schema, swap->relname);
	Relation	rel;
	const char *relname = swap->relname;
	const char *table = swap->table;
	const char *column = swap->column;
	const char *shadow = swap->source;
	const char *qcol = quote_identifier(column);
	AttrNumber	attnum;
	Form_pg_attribute att;
	ColumnDependents deps;
	List	   *helpers;
	List	   *drops = NIL;
	List	   *adds = NIL;
	List	   *steps = NIL;
	char	   *default_text = NULL;
	bool		shadow_notnull;
	bool		shadow_hasdef;
	Oid			seqtype = InvalidOid;
	ListCell   *lc;
	int			save_nestlevel;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" was dropped during its online migration", swap->model_name)));
	rel = relation_open(relid, AccessShareLock);
	attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" was dropped during its online migration",
						column, swap->model_name)));
	save_nestlevel = catalog_search_path_push();
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	{
		AttrNumber	shadow_attnum = get_attnum(relid, shadow);
		Form_pg_attribute satt = shadow_attnum != InvalidAttrNumber ?
			TupleDescAttr(RelationGetDescr(rel), shadow_attnum - 1) : NULL;

		/* planned before the shadow is there: as it will be added */
		shadow_notnull = satt ? satt->attnotnull :
			att->attnotnull && TypeCategory(att->atttypid) == TYPCATEGORY_NUMERIC;
		shadow_hasdef = satt ? satt->atthasdef : shadow_notnull;
	}
	helpers = find_helpers(rel, inspect_table(rel));
	column_dependents(rel, attnum, swap->run_as, &deps);
	if (deps.refusals != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of table \"%s\" cannot be swapped for its new version",
						column, swap->model_name),
				 errdetail("Since the migration started, %s.", (char *) linitial(deps.refusals)),
				 errhint("Remove it, or apply the change with provision_migrate().")));

	/* the sync trigger first: nothing writes the shadow any more */
	drops = lappend(drops, helper_drop_trigger_step(swap->owner, swap->model,
													PHASE_ALTER_COLUMN,
													helper_trigger_name(relname, column)));
	foreach(lc, deps.referencing)
	{
		Oid			conoid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
		Form_pg_constraint form;
		char	   *name;

		if (!HeapTupleIsValid(tuple))
			continue;
		form = (Form_pg_constraint) GETSTRUCT(tuple);
		name = pstrdup(NameStr(form->conname));
		drops = lappend(drops, other_table_step(swap, form->conrelid, AT_DropConstraint, name,
												psprintf("DROP CONSTRAINT %s",
														 quote_identifier(name))));
		adds = lappend(adds, other_table_step(swap, form->conrelid, AT_AddConstraint, NULL,
											  psprintf("ADD CONSTRAINT %s %s NOT VALID",
													   quote_identifier(name),
													   constraint_text(conoid))));
		ReleaseSysCache(tuple);
	}
	foreach(lc, deps.constraints)
	{
		Oid			conoid = lfirst_oid(lc);
		char	   *name = get_constraint_name(conoid);

		drops = lappend(drops, swap_alter(swap, AT_DropConstraint, name, "DROP CONSTRAINT %s",
									 quote_identifier(name)));
		adds = lappend(adds, swap_alter(swap, AT_AddConstraint, NULL, "ADD CONSTRAINT %s %s NOT VALID",
								   quote_identifier(name), constraint_text(conoid)));
	}
	/* the indexes: constraints attached, others renamed, to the copies */
	{
		List	   *attaches = NIL;

		foreach(lc, deps.indexes)
		{
			Oid			indexoid = lfirst_oid(lc);
			char	   *index = get_rel_name(indexoid);
			char	   *copy = helper_index_name(index);
			Helper	   *helper = helper_named(helpers, HELPER_INDEX, copy);
			Oid			conoid = get_index_constraint(indexoid);

			if (helper == NULL || !helper->valid)
				*missing = lappend(*missing, copy);
			if (OidIsValid(conoid))
			{
				HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
				Form_pg_constraint form = (Form_pg_constraint) GETSTRUCT(tuple);
				char	   *name = pstrdup(NameStr(form->conname));

				drops = lappend(drops, swap_alter(swap, AT_DropConstraint, name, "DROP CONSTRAINT %s",
											 quote_identifier(name)));
				attaches = lappend(attaches,
								   swap_alter(swap, AT_AddConstraint, NULL,
										 "ADD CONSTRAINT %s %s USING INDEX %s%s%s",
										 quote_identifier(name),
										 form->contype == CONSTRAINT_PRIMARY ? "PRIMARY KEY" : "UNIQUE",
										 quote_identifier(copy),
										 form->condeferrable ? " DEFERRABLE" : "",
										 form->condeferred ? " INITIALLY DEFERRED" : ""));
				ReleaseSysCache(tuple);
			}
			else
			{
				DDLStep    *rename = make_index_step(swap->owner, swap->model, PHASE_ALTER_COLUMN, DDL_RENAME_INDEX, copy, index,
													 psprintf("ALTER INDEX %s RENAME TO %s",
															  quoted_name(swap->schema, copy),
															  quote_identifier(index)));

				attaches = lappend(attaches, rename);
			}
		}
		adds = list_concat(attaches, adds);
	}

	/* the column's default, sequence or identity */
	if (OidIsValid(deps.serial_seq))
	{
		char	   *seqnsp = get_namespace_name(get_rel_namespace(deps.serial_seq));
		char	   *seqname = get_rel_name(deps.serial_seq);
		DDLStep    *own = make_step(table, swap->model, PHASE_ALTER_COLUMN, DDL_ALTER_SEQUENCE,
									psprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
											 quoted_name(seqnsp, seqname), table,
											 quote_identifier(shadow)));
		HeapTuple	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(deps.serial_seq));

		own->model_name = swap->model_name;
		own->target_schema = seqnsp;
		own->target_name = seqname;
		own->run_as = swap->run_as;
		drops = lappend(drops, own);
		if (HeapTupleIsValid(tuple))
		{
			seqtype = ((Form_pg_sequence) GETSTRUCT(tuple))->seqtypid;
			ReleaseSysCache(tuple);
		}
	}
	else if (OidIsValid(deps.identity_seq))
		drops = lappend(drops, swap_alter(swap, AT_DropIdentity, column,
									 "ALTER COLUMN %s DROP IDENTITY", qcol));
	if (att->atthasdef && !OidIsValid(deps.identity_seq))
	{
		Node	   *expr = build_column_default(rel, attnum);

		if (expr != NULL)
			default_text = deparse_expression(expr, NIL, false, false);
	}

	steps = list_concat(steps, drops);
	steps = lappend(steps, swap_alter(swap, AT_DropColumn, column, "DROP COLUMN %s", qcol));
	steps = lappend(steps, make_table_step(swap->owner, swap->model, PHASE_ALTER_COLUMN, DDL_RENAME_COLUMN, NULL, column, shadow,
										   psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s",
													table, quote_identifier(shadow), qcol)));
	if (att->attnotnull && !shadow_notnull)
	{
		char	   *check = helper_not_null_name(relname, shadow);

		steps = lappend(steps, swap_alter(swap, AT_SetNotNull, column, "ALTER COLUMN %s SET NOT NULL",
									 qcol));
		steps = lappend(steps, swap_alter(swap, AT_DropConstraint, check, "DROP CONSTRAINT %s",
									 quote_identifier(check)));
	}
	if (default_text != NULL)
		steps = lappend(steps, swap_alter(swap, AT_ColumnDefault, column,
									 "ALTER COLUMN %s SET DEFAULT %s", qcol, default_text));
	else if (shadow_hasdef)
		steps = lappend(steps, swap_alter(swap, AT_ColumnDefault, column,
									 "ALTER COLUMN %s DROP DEFAULT", qcol));
	if (OidIsValid(deps.identity_seq))
		steps = lappend(steps, swap_alter(swap, AT_AddIdentity, column,
									 "ALTER COLUMN %s ADD GENERATED %s AS IDENTITY (START WITH " INT64_FORMAT ")",
									 qcol,
									 att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT",
									 identity_next_value(swap, deps.identity_seq, planning)));
	if (OidIsValid(seqtype) && seqtype == att->atttypid)
	{
		/* the serial's sequence widens with its column (bigserial) */
		Oid			typid;
		int32		typmod;
		DDLStep    *widen;

		provision_parse_type_string(swap->type, &typid, &typmod);
		if (typid == INT8OID || (typid == INT4OID && seqtype == INT2OID))
		{
			widen = make_step(table, swap->model, PHASE_ALTER_COLUMN, DDL_ALTER_SEQUENCE,
							  psprintf("ALTER SEQUENCE %s AS %s",
									   quoted_name(get_namespace_name(get_rel_namespace(deps.serial_seq)),
												   get_rel_name(deps.serial_seq)),
									   swap->type));
			widen->model_name = swap->model_name;
			widen->target_schema = get_namespace_name(get_rel_namespace(deps.serial_seq));
			widen->target_name = get_rel_name(deps.serial_seq);
			widen->run_as = swap->run_as;
			steps = lappend(steps, widen);
		}
	}
	steps = list_concat(steps, adds);

	catalog_search_path_pop(save_nestlevel);
	relation_close(rel, AccessShareLock);
	return steps;
}
