/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  Catalog inspection: the shape of a table as the catalogs show it, and
 *	  the text of its columns and constraints.
 *
 * One function reads every table provision looks at: the temporary trial
 * table of a definition (giving a model's declared shape), a live table
 * (giving its actual shape, for drift detection) and a table being
 * captured.  Both sides of a comparison therefore come out of the same
 * code: types as (type OID, typmod), defaults and check expressions as the
 * server's deparser prints them, constraints as pg_get_constraintdef()
 * prints them, foreign keys as a signature built from pg_constraint's own
 * fields.  Types are kept as format_type prints them with their typmod
 * (integer, character varying(50), app.mood), which names each type once
 * and survives a dump and restore, unlike an OID.  Equal tables give equal shapes whatever text declared them,
 * which is what makes comparison semantic rather than textual.
 *
 * Callers run this under catalog_search_path_push(), so that every name
 * outside pg_catalog comes out schema-qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "inspect.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_description.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

/*
 * A serial column is an integer NOT NULL column whose default is nextval()
 * of a sequence owned by that very column.
 */
/*
 * A constant, or a function call whose arguments are constants, maybe
 * under implicit casts: such a default deparses to text that parses back
 * to the same expression.
 */
static bool
is_simple_expression(Node *expr)
{
	ListCell   *lc;

	expr = strip_implicit_coercions(expr);
	if (IsA(expr, Const))
		return true;
	if (!IsA(expr, FuncExpr) || ((FuncExpr *) expr)->funcformat != COERCE_EXPLICIT_CALL)
		return false;
	foreach(lc, ((FuncExpr *) expr)->args)
	{
		if (!IsA(strip_implicit_coercions(lfirst(lc)), Const))
			return false;
	}
	return true;
}

/* the sequence of a nextval('seq') default, or InvalidOid */
static Oid
nextval_sequence(Node *defexpr)
{
	FuncExpr   *func;
	Const	   *arg;

	if (defexpr == NULL)
		return InvalidOid;
	/* serial and smallserial cast nextval()'s bigint to their type */
	defexpr = strip_implicit_coercions(defexpr);
	if (!IsA(defexpr, FuncExpr))
		return InvalidOid;
	func = (FuncExpr *) defexpr;
	if (func->funcid != provision_f_nextval || list_length(func->args) != 1 ||
		!IsA(linitial(func->args), Const))
		return InvalidOid;
	arg = linitial_node(Const, func->args);
	if (arg->consttype != REGCLASSOID || arg->constisnull)
		return InvalidOid;
	return DatumGetObjectId(arg->constvalue);
}

static const char *
serial_type(Relation rel, Form_pg_attribute att, Oid seqrelid)
{
	Oid			owner_rel;
	int32		owner_col;

	if (!OidIsValid(seqrelid) || !att->attnotnull)
		return NULL;
	if (!sequenceIsOwned(seqrelid, DEPENDENCY_AUTO, &owner_rel, &owner_col) ||
		owner_rel != RelationGetRelid(rel) || owner_col != att->attnum)
		return NULL;

	switch (att->atttypid)
	{
		case INT2OID:
			return "smallserial";
		case INT4OID:
			return "serial";
		case INT8OID:
			return "bigserial";
		default:
			return NULL;
	}
}

/* identity sequence options that differ from what CREATE TABLE would pick */
static char *
identity_options(Relation rel, Form_pg_attribute att)
{
	Oid			seqid = provision_identity_sequence(rel, att->attnum);
	HeapTuple	tuple = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqid));
	Form_pg_sequence seq;
	int64		typmin,
				typmax,
				defmin,
				defmax,
				defstart;
	char	   *seqname;
	StringInfoData opts;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for sequence %u", seqid);
	seq = (Form_pg_sequence) GETSTRUCT(tuple);

	typmin = seq->seqtypid == INT2OID ? PG_INT16_MIN :
		seq->seqtypid == INT4OID ? PG_INT32_MIN : PG_INT64_MIN;
	typmax = seq->seqtypid == INT2OID ? PG_INT16_MAX :
		seq->seqtypid == INT4OID ? PG_INT32_MAX : PG_INT64_MAX;
	defmin = seq->seqincrement > 0 ? 1 : typmin;
	defmax = seq->seqincrement > 0 ? typmax : -1;
	defstart = seq->seqincrement > 0 ? seq->seqmin : seq->seqmax;

	initStringInfo(&opts);
	/* a name other than the one CREATE TABLE picks: always the table's schema */
	seqname = get_rel_name(seqid);
	if (seqname != NULL &&
		strcmp(seqname, makeObjectName(RelationGetRelationName(rel),
									   NameStr(att->attname), "seq")) != 0)
		appendStringInfo(&opts, " SEQUENCE NAME %s", quote_identifier(seqname));
	if (seq->seqincrement != 1)
		appendStringInfo(&opts, " INCREMENT BY " INT64_FORMAT, seq->seqincrement);
	if (seq->seqmin != defmin)
		appendStringInfo(&opts, " MINVALUE " INT64_FORMAT, seq->seqmin);
	if (seq->seqmax != defmax)
		appendStringInfo(&opts, " MAXVALUE " INT64_FORMAT, seq->seqmax);
	if (seq->seqstart != defstart)
		appendStringInfo(&opts, " START WITH " INT64_FORMAT, seq->seqstart);
	if (seq->seqcache != 1)
		appendStringInfo(&opts, " CACHE " INT64_FORMAT, seq->seqcache);
	if (seq->seqcycle)
		appendStringInfoString(&opts, " CYCLE");
	ReleaseSysCache(tuple);
	return opts.len > 0 ? psprintf(" (%s)", opts.data + 1) : pstrdup("");
}

static void
inspect_columns(Relation rel, TableShape *shape)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *dpcontext = deparse_context_for(RelationGetRelationName(rel),
												RelationGetRelid(rel));
	int			i;

	shape->columns = palloc0(sizeof(ColumnShape) * (desc->natts + 1));
	shape->ncolumns = 0;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ColumnShape *col;
		Node	   *defexpr = NULL;
		const char *serial;

		if (att->attisdropped)
			continue;
		col = &shape->columns[shape->ncolumns++];
		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		col->type = format_type_with_typemod(att->atttypid, att->atttypmod);
		col->collation = (OidIsValid(att->attcollation) &&
						  att->attcollation != get_typcollation(att->atttypid))
			? generate_collation_name(att->attcollation) : pstrdup("");
		col->notnull = att->attnotnull;
		col->identity = att->attidentity;
		col->generated = att->attgenerated;
		col->identity_options = att->attidentity ? identity_options(rel, att) : pstrdup("");
		col->default_expr = pstrdup("");
		col->alt_default = pstrdup("");

		if (att->atthasdef && desc->constr != NULL)
		{
			int			d;

			for (d = 0; d < desc->constr->num_defval; d++)
			{
				if (desc->constr->defval[d].adnum != att->attnum)
					continue;
				defexpr = stringToNode(desc->constr->defval[d].adbin);
				col->default_expr = deparse_expression(defexpr, dpcontext, false, false);
				col->default_simple = is_simple_expression(defexpr);
			}
		}
		col->default_seq = att->attgenerated ? InvalidOid : nextval_sequence(defexpr);
		col->default_seq_name = OidIsValid(col->default_seq) ? get_rel_name(col->default_seq) : NULL;
		col->attnum = att->attnum;
		col->comment = "";
		serial = serial_type(rel, att, col->default_seq);
		col->serial = pstrdup(serial ? serial : "");
	}
}

static int
constraint_rank(char contype)
{
	switch (contype)
	{
		case CONSTRAINT_PRIMARY:
			return 0;
		case CONSTRAINT_UNIQUE:
			return 1;
		case CONSTRAINT_EXCLUSION:
			return 2;
		case CONSTRAINT_CHECK:
			return 3;
		case CONSTRAINT_FOREIGN:
			return 4;
		default:
			return -1;			/* not part of a table body: NOT NULL rows
								 * of 18 (contype n, kept as columns'
								 * attnotnull), constraint triggers */
	}
}

static int
constraint_shape_cmp(const void *a, const void *b)
{
	const ConstraintShape *ca = a;
	const ConstraintShape *cb = b;
	int			ra = constraint_rank(ca->contype);
	int			rb = constraint_rank(cb->contype);

	if (ra != rb)
		return ra - rb;
	return strcmp(ca->name, cb->name);
}

static List *
attnum_names(Oid relid, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	List	   *names = NIL;

	deconstruct_array(DatumGetArrayTypeP(array), INT2OID, 2, true, TYPALIGN_SHORT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		names = lappend(names, makeString(get_attname(relid, DatumGetInt16(elems[i]), false)));
	return names;
}

static const char *
fk_action_name(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
		default:
			return NULL;		/* NO ACTION is not printed */
	}
}

static void
append_name_list(StringInfo buf, List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (lc != list_head(names))
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, quote_identifier(strVal(lfirst(lc))));
	}
}

/*
 * A foreign key's signature: everything that defines it but its name, in
 * the words pg_get_constraintdef() uses.  ref_columns NIL means "the
 * referenced table's primary key", as REFERENCES t without columns does.
 */
char *
fk_signature(List *columns, const char *ref_schema, const char *ref_table,
			 List *ref_columns, char matchtype, char upd_action,
			 char del_action, List *del_set_columns, bool deferrable,
			 bool initdeferred)
{
	StringInfoData buf;
	const char *action;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "FOREIGN KEY (");
	append_name_list(&buf, columns);
	appendStringInfo(&buf, ") REFERENCES %s",
					 quote_qualified_identifier(ref_schema, ref_table));
	if (ref_columns != NIL)
	{
		appendStringInfoChar(&buf, '(');
		append_name_list(&buf, ref_columns);
		appendStringInfoChar(&buf, ')');
	}
	if (matchtype == FKCONSTR_MATCH_FULL)
		appendStringInfoString(&buf, " MATCH FULL");
	if ((action = fk_action_name(upd_action)) != NULL)
		appendStringInfo(&buf, " ON UPDATE %s", action);
	if ((action = fk_action_name(del_action)) != NULL)
	{
		appendStringInfo(&buf, " ON DELETE %s", action);
		if (del_set_columns != NIL)
		{
			appendStringInfoString(&buf, " (");
			append_name_list(&buf, del_set_columns);
			appendStringInfoChar(&buf, ')');
		}
	}
	if (deferrable)
		appendStringInfoString(&buf, " DEFERRABLE");
	if (initdeferred)
		appendStringInfoString(&buf, " INITIALLY DEFERRED");
	return buf.data;
}

static void
inspect_foreign_key(Relation conrel, HeapTuple tuple, ConstraintShape *con)
{
	Form_pg_constraint form = (Form_pg_constraint) GETSTRUCT(tuple);
	TupleDesc	desc = RelationGetDescr(conrel);
	bool		isnull;
	List	   *columns;
	List	   *ref_columns;
	List	   *del_set_columns = NIL;

	columns = attnum_names(form->conrelid,
						   heap_getattr(tuple, Anum_pg_constraint_conkey, desc, &isnull));
	ref_columns = attnum_names(form->confrelid,
							   heap_getattr(tuple, Anum_pg_constraint_confkey, desc, &isnull));
	if (provision_has_confdelsetcols)
	{
		Datum		setcols = heap_getattr(tuple, provision_anum_confdelsetcols,
										   desc, &isnull);

		if (!isnull)
			del_set_columns = attnum_names(form->conrelid, setcols);
	}
	con->ref_schema = get_namespace_name(get_rel_namespace(form->confrelid));
	con->ref_table = get_rel_name(form->confrelid);
	con->def = fk_signature(columns, con->ref_schema, con->ref_table, ref_columns,
							form->confmatchtype, form->confupdtype, form->confdeltype,
							del_set_columns, form->condeferrable, form->condeferred);
	con->def_without_ref_columns =
		fk_signature(columns, con->ref_schema, con->ref_table, NIL,
					 form->confmatchtype, form->confupdtype, form->confdeltype,
					 del_set_columns, form->condeferrable, form->condeferred);
}

/* pg_get_constraintdef() text without the NOT VALID state */
static char *
constraint_definition(Oid conoid)
{
	char	   *def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
															  ObjectIdGetDatum(conoid)));
	size_t		len = strlen(def);

	if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
		def[len - 10] = '\0';
	return def;
}

static void
inspect_constraints(Relation rel, TableShape *shape)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			allocated = 8;

	shape->constraints = palloc0(sizeof(ConstraintShape) * allocated);
	shape->nconstraints = 0;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationGetRelid(rel)));
	scan = systable_beginscan(conrel, provision_constraint_relid_index, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint form = (Form_pg_constraint) GETSTRUCT(tuple);
		ConstraintShape *con;

		if (constraint_rank(form->contype) < 0)
			continue;
		/* what a parent or partitioned table declares is the parent's */
		if (!form->conislocal || OidIsValid(form->conparentid))
			continue;
		if (shape->nconstraints == allocated)
		{
			allocated *= 2;
			shape->constraints = repalloc(shape->constraints,
										  sizeof(ConstraintShape) * allocated);
		}
		if (OidIsValid(form->conindid) && form->contype != CONSTRAINT_FOREIGN)
			shape->constraint_indexes = lappend_oid(shape->constraint_indexes, form->conindid);
		con = &shape->constraints[shape->nconstraints++];
		memset(con, 0, sizeof(ConstraintShape));
		con->name = pstrdup(NameStr(form->conname));
		con->contype = form->contype;
		con->alt_def = "";
		con->not_valid = !form->convalidated;
		if (form->contype == CONSTRAINT_FOREIGN)
			inspect_foreign_key(conrel, tuple, con);
		else
			con->def = constraint_definition(form->oid);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);

	if (shape->nconstraints > 1)
		qsort(shape->constraints, shape->nconstraints, sizeof(ConstraintShape),
			  constraint_shape_cmp);
}

/*
 * The comments of an object: one scan of pg_description for all its
 * sub-objects, calling found(arg, subid, text) for each.
 */
void
inspect_comments(Oid objoid, Oid classoid, void (*found) (void *arg, int32 subid, char *comment),
				 void *arg)
{
	Relation	description = table_open(DescriptionRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], Anum_pg_description_objoid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objoid));
	ScanKeyInit(&keys[1], Anum_pg_description_classoid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classoid));
	scan = systable_beginscan(description, DescriptionObjIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_description form = (Form_pg_description) GETSTRUCT(tuple);
		bool		isnull;
		Datum		value = heap_getattr(tuple, Anum_pg_description_description,
										 RelationGetDescr(description), &isnull);

		if (!isnull)
			found(arg, form->objsubid, TextDatumGetCString(value));
	}
	systable_endscan(scan);
	table_close(description, AccessShareLock);
}

static void
table_comment_found(void *arg, int32 subid, char *comment)
{
	TableShape *shape = arg;
	int			i;

	if (subid == 0)
	{
		shape->comment = comment;
		return;
	}
	for (i = 0; i < shape->ncolumns; i++)
	{
		if (shape->columns[i].attnum == subid)
			shape->columns[i].comment = comment;
	}
}

/* a partitioned table's key, a partition's parent and bound */
static void
inspect_partitioning(Relation rel, TableShape *shape)
{
	Oid			relid = RelationGetRelid(rel);

	shape->partition_by = "";
	shape->partition_bound = "";
	shape->parent_schema = shape->parent_table = NULL;
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		shape->partition_by = TextDatumGetCString(DirectFunctionCall1(pg_get_partkeydef,
																	  ObjectIdGetDatum(relid)));
	if (rel->rd_rel->relispartition)
	{
		HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		Oid			parent = provision_partition_parent(relid);
		bool		isnull;
		Datum		bound;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		bound = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relpartbound, &isnull);
		if (!isnull)
			shape->partition_bound =
				TextDatumGetCString(DirectFunctionCall2(pg_get_expr, bound,
														ObjectIdGetDatum(relid)));
		ReleaseSysCache(tuple);
		shape->parent_schema = get_namespace_name(get_rel_namespace(parent));
		shape->parent_table = get_rel_name(parent);
	}
}

/*
 * The shape of rel: its columns in order, its primary key, unique,
 * exclusion, check and foreign key constraints, in that order (not those
 * it inherits), its comments and its partitioning.
 */
TableShape *
inspect_table(Relation rel)
{
	TableShape *shape = palloc0(sizeof(TableShape));

	inspect_columns(rel, shape);
	inspect_constraints(rel, shape);
	shape->comment = "";
	inspect_comments(RelationGetRelid(rel), RelationRelationId, table_comment_found, shape);
	inspect_partitioning(rel, shape);
	return shape;
}

/*
 * The type of a column as a definition writes it.
 */
char *
render_column_type(const ColumnShape *col)
{
	if (col->collation[0] != '\0')
		return psprintf("%s COLLATE %s", col->type, col->collation);
	return col->type;
}

/*
 * A column definition: what ADD COLUMN and CREATE TABLE take.
 */
char *
render_column(const ColumnShape *col)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s ", quote_identifier(col->name));
	if (col->serial[0] != '\0')
	{
		/* the sequence, its default and NOT NULL come with the type */
		appendStringInfoString(&buf, col->serial);
		return buf.data;
	}
	appendStringInfoString(&buf, render_column_type(col));
	if (col->identity)
		appendStringInfo(&buf, " GENERATED %s AS IDENTITY%s",
						 col->identity == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT",
						 col->identity_options);
	if (col->default_expr[0] != '\0')
	{
		if (col->generated == ATTRIBUTE_GENERATED_STORED)
			appendStringInfo(&buf, " GENERATED ALWAYS AS (%s) STORED", col->default_expr);
		else
			appendStringInfo(&buf, " DEFAULT %s", col->default_expr);
	}
	/* identity columns are NOT NULL by definition */
	if (col->notnull && !col->identity)
		appendStringInfoString(&buf, " NOT NULL");
	return buf.data;
}

/*
 * The constraints of shape as a definition writes them (a name only where
 * the user chose it), comma-separated; "" for none.  What a partition
 * declares besides its parent's columns.
 */
char *
render_constraints(const TableShape *shape)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < shape->nconstraints; i++)
	{
		const ConstraintShape *con = &shape->constraints[i];

		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		if (con->explicit_name)
			appendStringInfo(&buf, "CONSTRAINT %s ", quote_identifier(con->name));
		appendStringInfoString(&buf, con->def);
	}
	return buf.data;
}
