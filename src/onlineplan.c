/*-------------------------------------------------------------------------
 *
 * onlineplan.c
 *	  The online plan: the changes of a drift run turned into steps that
 *	  each commit on their own, none holding a lock that blocks readers or
 *	  writers longer than a catalog update.
 *
 * What each change becomes (the transactional DDL of drift.c, unless
 * said otherwise):
 *
 *	missing tables	created a batch of tables per transaction;
 *	CHECK, FOREIGN KEY	ADD ... NOT VALID, committed; VALIDATE later;
 *	SET NOT NULL	CHECK (col IS NOT NULL) NOT VALID, committed; VALIDATE;
 *					then SET NOT NULL (no scan: the valid check implies it)
 *					and the check dropped, together;
 *	UNIQUE, PRIMARY KEY	CREATE UNIQUE INDEX CONCURRENTLY (a background
 *					worker, at top level), then ADD CONSTRAINT ... USING
 *					INDEX; a constraint that differs is dropped and
 *					replaced in that same transaction;
 *	a column with a volatile default (or serial)	added without it, the
 *					default set and a fill trigger created together;
 *					older rows filled in batches; NOT NULL as above;
 *	a type change that rewrites (integer to bigint)	a shadow column of the
 *					new type kept equal by a trigger (NOT NULL DEFAULT 0
 *					for a NOT NULL number, else a helper check validated),
 *					backfilled in batches, its indexes built concurrently,
 *					then swapped in in one brief transaction (swap.c), the
 *					constraints that involve it, and the foreign keys of
 *					other tables that reference it, re-added NOT VALID and
 *					validated after;
 *	an index model	CREATE INDEX CONCURRENTLY under a helper name, then
 *					renamed; DROP INDEX CONCURRENTLY;
 *	a model of another kind	its statements in one transaction when that
 *					is a catalog update (an enum value, a sequence), else
 *					refused (a domain constraint);
 *	everything else	as provision_migrate() runs it, all the statements of
 *					a change in one transaction, when none of them costs
 *					more than a catalog update.
 *
 * What cannot be done that way is refused before anything changes,
 * saying why: a stored generated or identity column, or a column of a
 * domain with constraints, added to a table with rows; a type change the
 * server rewrites and that is not a widening a cast can do row by row, or
 * whose column something else depends on (a view, a trigger, a policy, an
 * exclusion constraint, an expression index...); an exclusion
 * constraint; any other statement that would scan or rewrite a table
 * with rows.  A table without rows is changed as provision_migrate()
 * would change it.
 *
 * The plan starts from what the catalogs show: the helpers an
 * interrupted apply left (helper.c) are picked up where they are (a
 * shadow column is backfilled again, a valid helper check is not added
 * again, a valid helper index is attached, an INVALID one is dropped
 * concurrently and built again), and those no longer needed are removed.
 *
 *-------------------------------------------------------------------------
 */
#include "online.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "catalog/pg_type_d.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "blocking.h"
#include "catalog.h"
#include "helper.h"
#include "inspect.h"
#include "name.h"
#include "registry.h"
#include "swap.h"

/* tables created per committed transaction */
#define CREATE_BATCH	50

/* one table being planned */
typedef struct TableContext
{
	DriftRun   *run;
	OnlinePlan *plan;
	const Model *model;
	int			m;
	Relation	rel;
	const char *table;			/* quoted, qualified */
	TableShape *actual;
	List	   *helpers;
	List	   *used;			/* the helpers the plan picks up */
	int			empty;			/* -1: not looked at yet */
} TableContext;

static int	plan_seq;

static OnlineStep *
new_step(TableContext *cx, OnlineStepKind kind, DDLPhase phase)
{
	OnlineStep *step = palloc0(sizeof(OnlineStep));

	step->kind = kind;
	step->phase = phase;
	step->seq = plan_seq++;
	step->model = cx->m;
	step->schema = cx->model->schema;
	step->relname = cx->model->table;
	step->table = cx->table;
	step->model_name = display_name(cx->model->schema, cx->model->table);
	step->run_as = cx->model->declared_by;
	step->owner = cx->model;
	step->blocking = BLOCKING_NONE;
	cx->plan->steps = lappend(cx->plan->steps, step);
	return step;
}

/* add a statement to a step; blocking as given, or as classified */
static void
add_ddl(OnlineStep *step, DDLStep *ddl, Blocking blocking)
{
	ddl->blocking = blocking != BLOCKING_UNKNOWN ? blocking : step_blocking(ddl);
	if (ddl->blocking > step->blocking)
		step->blocking = ddl->blocking;
	step->ddl = lappend(step->ddl, ddl);
}

/* "ALTER TABLE table <sql>", one subcommand on column */
#define alter(cx, subtype, column, ...) \
	make_alter_table_stepf((cx)->model, (cx)->m, PHASE_ALTER_COLUMN, (subtype), (column), __VA_ARGS__)

/* a statement of kind on the table, naming object */
static DDLStep *
table_statement(TableContext *cx, DDLKind kind, const char *object, const char *other,
				const char *column, char *sql)
{
	return make_table_step(cx->model, cx->m, PHASE_ALTER_COLUMN, kind, object, other, column,
						   sql);
}

/* a statement on an index of the table, the index its target */
static DDLStep *
index_statement(TableContext *cx, DDLKind kind, const char *index, const char *other,
				char *sql)
{
	return make_index_step(cx->model, cx->m, PHASE_ALTER_COLUMN, kind, index, other, sql);
}

static void plan_concurrent_index(TableContext *cx, const char *name, char *sql,
								  DDLPhase phase, const char *run_as);
static void plan_index_model(TableContext *cx, DDLStep *ddl);

static void
refuse(TableContext *cx, Change *change, const char *why)
{
	cx->plan->refused = lappend(cx->plan->refused,
								psprintf("%s: %s \"%s\": %s", change->table, change->kind,
										 change->object, why));
}

/* whether the table has no rows (looked at once) */
static bool
table_is_empty(TableContext *cx)
{
	if (cx->empty < 0 && cx->rel->rd_rel->relkind != RELKIND_RELATION)
		cx->empty = 0;			/* partitioned: its rows are its partitions' */
	if (cx->empty < 0)
	{
		TableScanDesc scan;
		TupleTableSlot *slot = table_slot_create(cx->rel, NULL);
		bool		pushed = !ActiveSnapshotSet();

		if (pushed)
			PushActiveSnapshot(GetTransactionSnapshot());
		scan = table_beginscan(cx->rel, GetActiveSnapshot(), 0, NULL);
		cx->empty = table_scan_getnextslot(scan, ForwardScanDirection, slot) ? 0 : 1;
		table_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
		if (pushed)
			PopActiveSnapshot();
	}
	return cx->empty == 1;
}

static void
use_helper(TableContext *cx, Helper *helper)
{
	if (helper != NULL)
		cx->used = lappend(cx->used, helper);
}

static const ColumnShape *
declared_column(TableContext *cx, const char *name)
{
	const TableShape *shape = model_shape(cx->model);
	int			i;

	for (i = 0; i < shape->ncolumns; i++)
	{
		if (strcmp(shape->columns[i].name, name) == 0)
			return &shape->columns[i];
	}
	return NULL;
}

static Form_pg_attribute
live_attribute(TableContext *cx, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(cx->rel), name);

	if (attnum == InvalidAttrNumber)
		return NULL;
	return TupleDescAttr(RelationGetDescr(cx->rel), attnum - 1);
}

/*
 * Everything of a change, as provision_migrate() runs it: its statements
 * (validations apart, each in a later transaction of its own) in one
 * transaction, refused when that costs more than a catalog update on a
 * table with rows.
 */
static void
plan_as_is(TableContext *cx, Change *change)
{
	OnlineStep *main = NULL;
	bool		locked = false;
	ListCell   *lc;

	foreach(lc, change->steps)
	{
		DDLStep    *ddl = lfirst(lc);
		Blocking	b;

		if (list_member_ptr(cx->run->creation, ddl))
			continue;			/* run with the creation of what is missing */
		if ((ddl->kind == DDL_CREATE_INDEX || ddl->kind == DDL_DROP_INDEX) &&
			cx->rel->rd_rel->relkind == RELKIND_RELATION)
		{
			plan_index_model(cx, ddl);
			continue;
		}
		b = step_blocking(ddl);
		if (ddl->phase == PHASE_VALIDATE && ddl->kind == DDL_ALTER_TABLE &&
			ddl->nsubcommands == 1 && ddl->subcommands[0] == AT_ValidateConstraint)
		{
			add_ddl(new_step(cx, ONLINE_DDL, PHASE_VALIDATE), ddl, b);
			continue;
		}
		if (main == NULL)
			main = new_step(cx, ONLINE_DDL, ddl->phase);
		if (ddl->phase > main->phase)
			main->phase = ddl->phase;
		/* a read of every row after a lock was taken holds that lock */
		if (ddl->kind == DDL_RESTART_SEQUENCE && locked)
		{
			Form_pg_attribute att = live_attribute(cx, ddl->column);

			b = BLOCKING_SCAN;
			if (att != NULL)
			{
				List	   *indexes = RelationGetIndexList(cx->rel);
				ListCell   *ic;

				foreach(ic, indexes)
				{
					HeapTuple	tuple = SearchSysCache1(INDEXRELID,
														ObjectIdGetDatum(lfirst_oid(ic)));

					if (HeapTupleIsValid(tuple))
					{
						Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);

						if (index->indkey.values[0] == att->attnum && index->indisvalid)
							b = BLOCKING_BRIEF; /* max() reads the index */
						ReleaseSysCache(tuple);
					}
				}
			}
		}
		if (b >= BLOCKING_BRIEF)
			locked = true;
		add_ddl(main, ddl, b);
	}
	if (main != NULL && main->blocking > BLOCKING_BRIEF && !table_is_empty(cx))
		refuse(cx, change,
			   psprintf("%s %s a table with rows",
						joined_steps(main->ddl),
						main->blocking == BLOCKING_REWRITE ?
						"rewrites, under an ACCESS EXCLUSIVE lock," :
						"reads every row, holding a lock that blocks readers or writers, of"));
}

/*
 * SET NOT NULL on column online: the helper check added NOT VALID,
 * validated, then SET NOT NULL and its drop together.  Picks up a helper
 * check an interrupted apply left.
 */
static void
plan_set_not_null(TableContext *cx, const char *column, DDLPhase phase)
{
	Form_pg_attribute att = live_attribute(cx, column);
	Helper	   *helper = helper_of(cx->helpers, HELPER_NOT_NULL, column);
	const char *check = helper ? helper->name :
		helper_not_null_name(RelationGetRelationName(cx->rel), column);
	const char *q = quote_identifier(column);
	OnlineStep *step;

	use_helper(cx, helper);
	if (att != NULL && att->attnotnull)
	{
		if (helper != NULL)
			add_ddl(new_step(cx, ONLINE_DDL, phase),
					alter(cx, AT_DropConstraint, check, "DROP CONSTRAINT %s",
						  quote_identifier(check)), BLOCKING_BRIEF);
		return;
	}
	if (helper == NULL && att != NULL && not_null_implied(cx->rel, att->attnum))
	{
		add_ddl(new_step(cx, ONLINE_DDL, phase),
				alter(cx, AT_SetNotNull, column, "ALTER COLUMN %s SET NOT NULL", q),
				BLOCKING_BRIEF);
		return;
	}
	if (helper == NULL)
		add_ddl(new_step(cx, ONLINE_DDL, phase),
				alter(cx, AT_AddConstraint, NULL,
					  "ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
					  quote_identifier(check), q), BLOCKING_BRIEF);
	if (helper == NULL || !helper->valid)
		add_ddl(new_step(cx, ONLINE_DDL, phase),
				alter(cx, AT_ValidateConstraint, check, "VALIDATE CONSTRAINT %s",
					  quote_identifier(check)), BLOCKING_NONE);
	step = new_step(cx, ONLINE_DDL, phase);
	add_ddl(step, alter(cx, AT_SetNotNull, column, "ALTER COLUMN %s SET NOT NULL", q),
			BLOCKING_BRIEF);
	add_ddl(step, alter(cx, AT_DropConstraint, check, "DROP CONSTRAINT %s",
						quote_identifier(check)), BLOCKING_BRIEF);
}

static OnlineStep *
backfill_step(TableContext *cx, BackfillKind fill, const char *column, const char *source,
			  const char *type, DDLPhase phase)
{
	OnlineStep *step = new_step(cx, ONLINE_BACKFILL, phase);

	step->fill = fill;
	step->column = pstrdup(column);
	step->source = source ? pstrdup(source) : NULL;
	step->type = type ? pstrdup(type) : NULL;
	step->blocking = BLOCKING_NONE;
	return step;
}

/*
 * Fill the older rows of column with its default, then remove the fill
 * trigger (and, when the model says NOT NULL, set it through the helper
 * check).
 */
static void
plan_fill(TableContext *cx, const char *column, const char *trigger, bool notnull)
{
	backfill_step(cx, BACKFILL_DEFAULT, column, NULL, NULL, PHASE_ADD_COLUMN);
	if (notnull)
		plan_set_not_null(cx, column, PHASE_ADD_COLUMN);
	add_ddl(new_step(cx, ONLINE_DDL, PHASE_ADD_COLUMN),
			helper_drop_trigger_step(cx->model, cx->m, PHASE_ADD_COLUMN, trigger),
			BLOCKING_BRIEF);
}

/*
 * A column added: as it is when that is a catalog update; with a volatile
 * default or as serial, added without a value, its default (and a
 * sequence) set and a fill trigger created in one transaction, then
 * filled in batches.
 */
static void
plan_add_column(TableContext *cx, Change *change)
{
	const ColumnShape *d = declared_column(cx, change->object);
	DDLStep    *add = linitial(change->steps);
	Blocking	b = step_blocking(add);
	ColumnShape bare;
	OnlineStep *step;
	const char *q;
	char	   *trigger;

	if (d == NULL || b <= BLOCKING_SCAN || table_is_empty(cx))
	{
		/* SCAN: NOT NULL without a default, which fails on any row anyway */
		plan_as_is(cx, change);
		return;
	}
	if (d->generated)
	{
		refuse(cx, change, "a stored generated column is computed for every row when it is added, under an ACCESS EXCLUSIVE lock");
		return;
	}
	if (d->identity)
	{
		refuse(cx, change, "an identity column is given a value for every row when it is added, under an ACCESS EXCLUSIVE lock; add it as serial, or to an empty table");
		return;
	}
	if (d->serial[0] == '\0' && d->default_expr[0] == '\0')
	{
		refuse(cx, change, "a column of a domain with constraints is checked in every row when it is added, under an ACCESS EXCLUSIVE lock");
		return;
	}

	q = quote_identifier(d->name);
	bare = *d;
	bare.default_expr = "";
	bare.notnull = false;
	bare.serial = "";
	bare.identity = '\0';
	if (d->serial[0] != '\0')
		bare.type = strcmp(d->serial, "bigserial") == 0 ? "bigint" :
			strcmp(d->serial, "smallserial") == 0 ? "smallint" : "integer";
	trigger = helper_fill_name(RelationGetRelationName(cx->rel), d->name);

	step = new_step(cx, ONLINE_DDL, PHASE_ADD_COLUMN);
	add_ddl(step, alter(cx, AT_AddColumn, d->name, "ADD COLUMN %s", render_column(&bare)),
			BLOCKING_BRIEF);
	if (d->serial[0] != '\0')
	{
		/* what serial makes: a sequence owned by the column, its default */
		char	   *seq = ChooseRelationName(cx->model->table, d->name, "seq",
											 RelationGetNamespace(cx->rel), false);
		const char *qseq = quoted_name(cx->model->schema, seq);
		DDLStep    *create = make_step(cx->table, cx->m, PHASE_ADD_COLUMN,
									   DDL_CREATE_SEQUENCE,
									   psprintf("CREATE SEQUENCE %s AS %s OWNED BY %s.%s",
												qseq, bare.type, cx->table, q));

		create->model_name = display_name(cx->model->schema, cx->model->table);
		create->target_schema = cx->model->schema;
		create->target_name = seq;
		create->run_as = cx->model->declared_by;
		add_ddl(step, create, BLOCKING_NONE);
		add_ddl(step, alter(cx, AT_ColumnDefault, d->name,
							"ALTER COLUMN %s SET DEFAULT pg_catalog.nextval(%s::regclass)",
							q, quote_literal_cstr(qseq)), BLOCKING_BRIEF);
	}
	else
		add_ddl(step, alter(cx, AT_ColumnDefault, d->name, "ALTER COLUMN %s SET DEFAULT %s",
							q, d->default_expr), BLOCKING_BRIEF);
	add_ddl(step, table_statement(cx, DDL_CREATE_TRIGGER, trigger, NULL, d->name,
								  psprintf("CREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s(%s)",
										   quote_identifier(trigger), cx->table,
										   quoted_name(get_namespace_name(registry_namespace()),
													   "provision_fill_default"),
										   quote_literal_cstr(d->name))),
			BLOCKING_BRIEF);
	plan_fill(cx, d->name, trigger, d->notnull || d->serial[0] != '\0');
}

/* "CREATE ... INDEX CONCURRENTLY" without CONCURRENTLY: pg_get_indexdef()'s text */
static bool
same_index_definition(const Helper *helper, const char *sql)
{
	char	   *plain = pstrdup(sql);
	char	   *at = strstr(plain, " CONCURRENTLY");

	if (at == NULL || helper->def == NULL)
		return false;
	memmove(at, at + strlen(" CONCURRENTLY"), strlen(at + strlen(" CONCURRENTLY")) + 1);
	return strcmp(plain, helper->def) == 0;
}

/*
 * Build index name concurrently from sql (CREATE ... INDEX CONCURRENTLY),
 * unless a valid helper index of that name and definition is there; an
 * INVALID or different one is dropped concurrently first.
 */
static void
plan_concurrent_index(TableContext *cx, const char *name, char *sql, DDLPhase phase,
					  const char *run_as)
{
	Helper	   *helper = helper_named(cx->helpers, HELPER_INDEX, name);
	DDLStep    *build;

	if (helper != NULL)
	{
		DDLStep    *drop;

		use_helper(cx, helper);
		if (helper->valid && same_index_definition(helper, sql))
			return;
		drop = index_statement(cx, DDL_DROP_INDEX_CONCURRENTLY, name, NULL,
							   psprintf("DROP INDEX CONCURRENTLY %s",
										quoted_name(cx->model->schema, name)));
		if (run_as != NULL)
			drop->run_as = run_as;
		add_ddl(new_step(cx, ONLINE_CONCURRENT, phase), drop, BLOCKING_NONE);
	}
	build = index_statement(cx, DDL_CREATE_INDEX_CONCURRENTLY, name, NULL, sql);
	if (run_as != NULL)
		build->run_as = run_as;
	add_ddl(new_step(cx, ONLINE_CONCURRENT, phase), build, BLOCKING_NONE);
}

/*
 * An index model's statement, online: CREATE INDEX built CONCURRENTLY
 * under a helper name (an interrupted build leaves it INVALID, found and
 * built again by the next run), then renamed to its own; DROP INDEX
 * CONCURRENTLY.  The statement is the model's own, with CONCURRENTLY and
 * the helper name put in; it is checked again as every statement is.
 */
static void
plan_index_model(TableContext *cx, DDLStep *ddl)
{
	OnlineStep *step;

	if (ddl->kind == DDL_DROP_INDEX)
	{
		DDLStep    *drop = index_statement(cx, DDL_DROP_INDEX_CONCURRENTLY, ddl->target_name,
										   NULL,
										   psprintf("DROP INDEX CONCURRENTLY %s",
													quoted_name(ddl->target_schema,
																ddl->target_name)));

		drop->target_schema = ddl->target_schema;
		drop->run_as = ddl->run_as;
		add_ddl(new_step(cx, ONLINE_CONCURRENT, ddl->phase), drop, BLOCKING_NONE);
		return;
	}
	else
	{
		const char *qname = quote_identifier(ddl->target_name);
		char	   *helper = helper_index_name(ddl->target_name);
		char	   *marker = psprintf("INDEX %s ON ", qname);
		char	   *at = strstr(ddl->sql, marker);
		char	   *sql;
		DDLStep    *rename;

		if (at == NULL)
		{
			/* not the text index.c writes: as it is (refused on a table with rows) */
			step = new_step(cx, ONLINE_DDL, ddl->phase);
			add_ddl(step, ddl, BLOCKING_UNKNOWN);
			return;
		}
		sql = psprintf("%.*sINDEX CONCURRENTLY %s ON %s", (int) (at - ddl->sql), ddl->sql,
					   quote_identifier(helper), at + strlen(marker));
		plan_concurrent_index(cx, helper, sql, ddl->phase, ddl->run_as);
		rename = index_statement(cx, DDL_RENAME_INDEX, helper, ddl->target_name,
								 psprintf("ALTER INDEX %s RENAME TO %s",
										  quoted_name(ddl->target_schema, helper), qname));
		rename->target_schema = ddl->target_schema;
		rename->run_as = ddl->run_as;
		add_ddl(new_step(cx, ONLINE_DDL, ddl->phase), rename, BLOCKING_BRIEF);
	}
}

/* the names of a raw constraint's columns, quoted, joined */
static char *
column_list(List *names, const char *separator, bool quote)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len ? separator : "",
						 quote ? quote_identifier(strVal(lfirst(lc))) : strVal(lfirst(lc)));
	return buf.data;
}

/* the raw Constraint of an "ALTER TABLE ... ADD [CONSTRAINT name] ..." step */
static Constraint *
added_constraint(DDLStep *step)
{
	List	   *parsetree = provision_raw_parser(step->sql);
	AlterTableStmt *stmt;
	AlterTableCmd *cmd;

	if (list_length(parsetree) != 1)
		return NULL;
	stmt = (AlterTableStmt *) linitial_node(RawStmt, parsetree)->stmt;
	if (!IsA(stmt, AlterTableStmt) || list_length(stmt->cmds) != 1)
		return NULL;
	cmd = linitial_node(AlterTableCmd, stmt->cmds);
	if (cmd->subtype != AT_AddConstraint || !IsA(cmd->def, Constraint))
		return NULL;
	return (Constraint *) cmd->def;
}

/*
 * A primary key or unique constraint added (and the one it replaces,
 * dropped in the same transaction): its index built concurrently under a
 * helper name, then attached with ADD CONSTRAINT ... USING INDEX.
 */
static void
plan_unique(TableContext *cx, Change *change, DDLStep *add, List *drops)
{
	Constraint *con = added_constraint(add);
	bool		primary;
	const char *name;
	char	   *index;
	StringInfoData sql;
	OnlineStep *attach;
	ListCell   *lc;

	if (con == NULL || con->keys == NIL || con->indexname != NULL)
	{
		plan_as_is(cx, change);
		return;
	}
	primary = con->contype == CONSTR_PRIMARY;
	if (con->conname != NULL)
		name = con->conname;
	else
		name = ChooseRelationName(cx->model->table,
								  primary ? NULL : column_list(con->keys, "_", false),
								  primary ? "pkey" : "key",
								  RelationGetNamespace(cx->rel), true);
	index = helper_index_name(name);

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s USING btree (%s)",
					 quote_identifier(index), cx->table, column_list(con->keys, ", ", true));
	if (con->including != NIL)
		appendStringInfo(&sql, " INCLUDE (%s)", column_list(con->including, ", ", true));
	if (provision_constraint_nulls_not_distinct(con))
		appendStringInfoString(&sql, " NULLS NOT DISTINCT");
	if (con->options != NIL)
	{
		appendStringInfoString(&sql, " WITH (");
		foreach(lc, con->options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			appendStringInfo(&sql, "%s%s = %s", foreach_current_index(lc) ? ", " : "",
							 quote_identifier(opt->defname),
							 quote_literal_cstr(defGetString(opt)));
		}
		appendStringInfoChar(&sql, ')');
	}
	if (con->indexspace != NULL)
		appendStringInfo(&sql, " TABLESPACE %s", quote_identifier(con->indexspace));
	plan_concurrent_index(cx, index, sql.data, PHASE_ADD_CONSTRAINT, NULL);

	attach = new_step(cx, ONLINE_DDL, PHASE_ADD_CONSTRAINT);
	foreach(lc, drops)
		add_ddl(attach, lfirst(lc), BLOCKING_BRIEF);
	add_ddl(attach, alter(cx, AT_AddConstraint, NULL,
						  "ADD CONSTRAINT %s %s USING INDEX %s%s%s",
						  quote_identifier(name), primary ? "PRIMARY KEY" : "UNIQUE",
						  quote_identifier(index),
						  con->deferrable ? " DEFERRABLE" : "",
						  con->initdeferred ? " INITIALLY DEFERRED" : ""),
			BLOCKING_BRIEF);
}

/* constraint_missing and constraint_differs */
static void
plan_constraint(TableContext *cx, Change *change)
{
	DDLStep    *add = NULL;
	List	   *drops = NIL;
	Constraint *con;
	ListCell   *lc;

	foreach(lc, change->steps)
	{
		DDLStep    *step = lfirst(lc);

		if (step->kind == DDL_ALTER_TABLE && step->subcommands[0] == AT_AddConstraint)
			add = step;
		else if (step->kind == DDL_ALTER_TABLE && step->subcommands[0] == AT_DropConstraint)
			drops = lappend(drops, step);
	}
	con = add != NULL ? added_constraint(add) : NULL;
	if (con != NULL && (con->contype == CONSTR_PRIMARY || con->contype == CONSTR_UNIQUE))
		plan_unique(cx, change, add, drops);
	else
		plan_as_is(cx, change);	/* checks and foreign keys are NOT VALID already */
}

/*
 * A type change.  In place when the server does it without a rewrite;
 * else, for a safe widening a cast does row by row, through a shadow
 * column.
 */
static void
plan_type_change(TableContext *cx, Change *change)
{
	const ColumnShape *d = declared_column(cx, change->object);
	DDLStep    *alter_type = linitial(change->steps);
	Blocking	b = step_blocking(alter_type);
	Form_pg_attribute att = live_attribute(cx, change->object);
	Oid			typid;
	int32		typmod;
	Oid			funcid;
	CoercionPathType path;
	ColumnDependents deps;
	Helper	   *shadow;
	const char *shadow_name;
	const char *relname = RelationGetRelationName(cx->rel);
	char	   *type;
	bool		shadow_notnull;
	OnlineStep *step;
	ListCell   *lc;

	if (b <= BLOCKING_BRIEF || table_is_empty(cx) || d == NULL || att == NULL)
	{
		plan_as_is(cx, change);
		return;
	}
	if (b == BLOCKING_SCAN)
	{
		refuse(cx, change, "an index of the column is rebuilt, under an ACCESS EXCLUSIVE lock, for its new type");
		return;
	}
	column_dependents(cx->rel, att->attnum, cx->model->declared_by, &deps);
	if (!heap_attisnull(SearchSysCacheCopyAttNum(RelationGetRelid(cx->rel), att->attnum),
						Anum_pg_attribute_attacl, NULL))
		deps.refusals = lappend(deps.refusals, "it has column privileges");
	if (deps.refusals != NIL)
	{
		refuse(cx, change, psprintf("the column cannot be swapped for a new one: %s",
									(char *) linitial(deps.refusals)));
		return;
	}
	if (!change->safe)
	{
		refuse(cx, change, "the values are converted with a cast that can fail, while the table is rewritten under an ACCESS EXCLUSIVE lock");
		return;
	}
	provision_parse_type_string(d->type, &typid, &typmod);
	path = find_coercion_pathway(typid, att->atttypid, COERCION_ASSIGNMENT, &funcid);
	if (!OidIsValid(typid) || typmod >= 0 || strcmp(d->collation, "") != 0 ||
		(path != COERCION_PATH_FUNC && path != COERCION_PATH_RELABELTYPE))
	{
		refuse(cx, change, "the table is rewritten under an ACCESS EXCLUSIVE lock, and the new values are not a plain cast of the old ones");
		return;
	}
	if (OidIsValid(deps.identity_seq) && d->identity_options[0] != '\0')
	{
		refuse(cx, change, "the column cannot be swapped for a new one: its identity has sequence options");
		return;
	}

	type = format_type_with_typemod(typid, -1);
	shadow = helper_of(cx->helpers, HELPER_SHADOW, att->attname.data);
	shadow_name = shadow ? shadow->name : helper_shadow_name(NameStr(att->attname));

	/*
	 * A NOT NULL number gets a shadow NOT NULL DEFAULT 0: a catalog update,
	 * and no check to validate later (the backfill and the trigger give
	 * every row its value).  Others a helper check.
	 */
	shadow_notnull = att->attnotnull && TypeCategory(typid) == TYPCATEGORY_NUMERIC;
	if (shadow != NULL && shadow->exists)
	{
		Form_pg_attribute satt = live_attribute(cx, shadow->name);

		shadow_notnull = satt != NULL && satt->attnotnull;
		if (satt == NULL || satt->atttypid != typid)
		{
			/* a shadow of another type: start over */
			step = new_step(cx, ONLINE_DDL, PHASE_ALTER_COLUMN);
			foreach(lc, helper_cleanup_steps(cx->model, cx->m, cx->rel, shadow))
				add_ddl(step, lfirst(lc), BLOCKING_BRIEF);
			shadow->exists = false;
		}
	}
	use_helper(cx, shadow);

	if (shadow == NULL || !shadow->exists)
	{
		const char *trigger = helper_trigger_name(relname, NameStr(att->attname));

		step = new_step(cx, ONLINE_DDL, PHASE_ALTER_COLUMN);
		if (shadow != NULL)		/* its trigger, left alone */
			add_ddl(step, helper_drop_trigger_step(cx->model, cx->m, PHASE_ALTER_COLUMN,
												   shadow->trigger), BLOCKING_BRIEF);
		add_ddl(step, alter(cx, AT_AddColumn, shadow_name, "ADD COLUMN %s %s%s",
							quote_identifier(shadow_name), type,
							shadow_notnull ? " NOT NULL DEFAULT 0" : ""), BLOCKING_BRIEF);
		if (att->attnotnull && !shadow_notnull)
		{
			const char *check = helper_not_null_name(relname, shadow_name);

			add_ddl(step, alter(cx, AT_AddConstraint, NULL,
								"ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
								quote_identifier(check), quote_identifier(shadow_name)),
					BLOCKING_BRIEF);
		}
		add_ddl(step, table_statement(cx, DDL_CREATE_TRIGGER, trigger, shadow_name,
									  NameStr(att->attname),
									  psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s(%s, %s)",
											   quote_identifier(trigger), cx->table,
											   quoted_name(get_namespace_name(registry_namespace()),
														   "provision_shadow_copy"),
											   quote_literal_cstr(NameStr(att->attname)),
											   quote_literal_cstr(shadow_name))),
				BLOCKING_BRIEF);
		shadow = NULL;			/* nothing of a former one is kept */
	}

	backfill_step(cx, BACKFILL_SHADOW, shadow_name, NameStr(att->attname), type,
				  PHASE_ALTER_COLUMN);
	if (att->attnotnull && !shadow_notnull)
	{
		Helper	   *check = shadow ? helper_of(cx->helpers, HELPER_NOT_NULL, shadow_name) : NULL;
		const char *check_name = helper_not_null_name(relname, shadow_name);

		use_helper(cx, check);
		if (shadow != NULL && check == NULL)
			add_ddl(new_step(cx, ONLINE_DDL, PHASE_ALTER_COLUMN),
					alter(cx, AT_AddConstraint, NULL,
						  "ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
						  quote_identifier(check_name), quote_identifier(shadow_name)),
					BLOCKING_BRIEF);
		if (check == NULL || !check->valid)
			add_ddl(new_step(cx, ONLINE_DDL, PHASE_ALTER_COLUMN),
					alter(cx, AT_ValidateConstraint, check_name, "VALIDATE CONSTRAINT %s",
						  quote_identifier(check_name)), BLOCKING_NONE);
	}

	/* the indexes of the column, built again on the shadow */
	foreach(lc, deps.indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		const char *why = NULL;
		char	   *name = helper_index_name(get_rel_name(indexoid));
		char	   *sql = index_copy_sql(cx->rel, indexoid, att->attnum, shadow_name, typid,
										 name, &why);

		if (sql == NULL)
		{
			refuse(cx, change, psprintf("the column cannot be swapped for a new one: %s", why));
			return;
		}
		plan_concurrent_index(cx, name, sql, PHASE_ALTER_COLUMN, NULL);
	}

	step = new_step(cx, ONLINE_SWAP, PHASE_ALTER_COLUMN);
	step->column = pstrdup(NameStr(att->attname));
	step->source = pstrdup(shadow_name);
	step->type = type;
	step->blocking = BLOCKING_BRIEF;
	{
		List	   *missing = NIL;
		ListCell   *sc;

		/* what it runs now (run again under its locks when its turn comes) */
		step->ddl = swap_steps(step, &missing, true);
		foreach(sc, step->ddl)
		{
			DDLStep    *ddl = lfirst(sc);

			if (ddl->subcommands[0] == AT_ValidateConstraint)
				continue;
			ddl->blocking = BLOCKING_BRIEF;
		}
	}
	/* the constraints re-added NOT VALID, validated after */
	foreach(lc, list_concat_copy(deps.constraints, deps.referencing))
	{
		Oid			conoid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
		Form_pg_constraint form;
		DDLStep    *validate;
		char	   *nsp;
		char	   *rel;

		if (!HeapTupleIsValid(tuple))
			continue;
		form = (Form_pg_constraint) GETSTRUCT(tuple);
		nsp = get_namespace_name(get_rel_namespace(form->conrelid));
		rel = get_rel_name(form->conrelid);
		validate = make_alter_table_step(cx->model, cx->m, PHASE_VALIDATE,
										 AT_ValidateConstraint,
										 pstrdup(NameStr(form->conname)),
										 psprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s",
												  quoted_name(nsp, rel),
												  quote_identifier(NameStr(form->conname))));
		validate->table = quoted_name(nsp, rel);
		validate->target_schema = nsp;
		validate->target_name = rel;
		add_ddl(new_step(cx, ONLINE_DDL, PHASE_VALIDATE), validate, BLOCKING_NONE);
		ReleaseSysCache(tuple);
	}
}

/* a helper nothing in the plan picks up: removed */
static void
plan_cleanup(TableContext *cx, Helper *helper)
{
	OnlineStep *step;
	ListCell   *lc;

	if (list_member_ptr(cx->used, helper))
		return;
	switch (helper->kind)
	{
		case HELPER_INDEX:
			add_ddl(new_step(cx, ONLINE_CONCURRENT, PHASE_DROP_CONSTRAINT),
					index_statement(cx, DDL_DROP_INDEX_CONCURRENTLY, helper->name, NULL,
									psprintf("DROP INDEX CONCURRENTLY %s",
											 quoted_name(cx->model->schema, helper->name))),
					BLOCKING_NONE);
			break;
		case HELPER_FILL:
			if (helper->exists)
			{
				/* the column is filled before its trigger goes */
				const ColumnShape *d = declared_column(cx, helper->column);

				plan_fill(cx, helper->column, helper->trigger,
						  d != NULL && d->notnull &&
						  helper_of(cx->helpers, HELPER_NOT_NULL, helper->column) != NULL);
				break;
			}
			/* FALLTHROUGH */
		default:
			step = new_step(cx, ONLINE_DDL, PHASE_DROP_CONSTRAINT);
			foreach(lc, helper_cleanup_steps(cx->model, cx->m, cx->rel, helper))
			{
				DDLStep    *ddl = lfirst(lc);

				if (ddl->kind != DDL_FILL_DEFAULT)
					add_ddl(step, ddl, BLOCKING_BRIEF);
			}
			break;
	}
}

/* the changes of one existing table */
static void
plan_table(TableContext *cx, List *changes)
{
	ListCell   *lc;

	/* a fill in progress is finished first; its NOT NULL is part of it */
	foreach(lc, cx->helpers)
	{
		Helper	   *helper = lfirst(lc);

		if (helper->kind == HELPER_FILL && helper->exists)
		{
			plan_cleanup(cx, helper);
			use_helper(cx, helper);
			use_helper(cx, helper_of(cx->helpers, HELPER_NOT_NULL, helper->column));
		}
	}

	foreach(lc, changes)
	{
		Change	   *change = lfirst(lc);

		if (!change->safe)
			cx->plan->unsafe = lappend(cx->plan->unsafe,
									   psprintf("%s: %s \"%s\": %s", change->table, change->kind,
												change->object, joined_steps(change->steps)));
		if (strcmp(change->kind, "online_incomplete") == 0)
			continue;			/* picked up or removed below */
		if (cx->rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		{
			/*
			 * A partitioned table has no pages to backfill by, and no index
			 * of it can be built concurrently: only what is a catalog
			 * update is done online
			 */
			plan_as_is(cx, change);
			continue;
		}
		if (strcmp(change->kind, "column_missing") == 0)
			plan_add_column(cx, change);
		else if (strcmp(change->kind, "column_type") == 0)
			plan_type_change(cx, change);
		else if (strcmp(change->kind, "column_nullability") == 0 &&
				 strcmp(change->declared, "NOT NULL") == 0)
		{
			Helper	   *fill = helper_of(cx->helpers, HELPER_FILL, change->object);

			if (fill != NULL)
				continue;		/* planned with its fill */
			plan_set_not_null(cx, change->object, PHASE_ALTER_COLUMN);
		}
		else if (strcmp(change->kind, "constraint_missing") == 0 ||
				 strcmp(change->kind, "constraint_differs") == 0)
			plan_constraint(cx, change);
		else
			plan_as_is(cx, change);
	}

	foreach(lc, cx->helpers)
		plan_cleanup(cx, lfirst(lc));
}

/* a fill in progress makes its column's NOT NULL safe: the fill sets it */
static void
forgive_filled_columns(List *changes, List *helpers)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		Change	   *change = lfirst(lc);

		if (!change->safe && strcmp(change->kind, "column_nullability") == 0 &&
			helper_of(helpers, HELPER_FILL, change->object) != NULL)
			change->safe = true;
	}
}

static int
online_step_cmp(const ListCell *a, const ListCell *b)
{
	const OnlineStep *sa = lfirst(a);
	const OnlineStep *sb = lfirst(b);

	if (sa->phase != sb->phase)
		return (int) sa->phase - (int) sb->phase;
	return sa->seq - sb->seq;
}

/* the missing tables, created a batch per transaction, in the run's order */
static void
plan_creation(OnlinePlan *plan, DriftRun *run)
{
	OnlineStep *step = NULL;
	int			tables = 0;
	ListCell   *lc;

	foreach(lc, run->creation)
	{
		DDLStep    *ddl = lfirst(lc);

		if (step == NULL || (ddl->kind == DDL_CREATE_TABLE && tables == CREATE_BATCH))
		{
			step = palloc0(sizeof(OnlineStep));
			step->kind = ONLINE_DDL;
			step->phase = PHASE_CREATE;
			step->seq = plan_seq++;
			step->model = -1;
			step->blocking = BLOCKING_NONE;
			plan->steps = lappend(plan->steps, step);
			tables = 0;
		}
		if (ddl->kind == DDL_CREATE_TABLE)
			tables++;
		if (step->table == NULL && ddl->model >= 0)
		{
			step->table = ddl->table;
			step->model_name = ddl->model_name;
			step->schema = run->sel.models[ddl->model]->schema;
			step->relname = run->sel.models[ddl->model]->table;
		}
		add_ddl(step, ddl, BLOCKING_UNKNOWN);
	}
}

/*
 * A change of a model of another kind (an enum, a domain, a sequence):
 * its statements in one transaction, when that costs no more than a
 * catalog update; refused otherwise (a domain constraint checked in every
 * table that uses the domain).
 */
static void
plan_object(OnlinePlan *plan, DriftRun *run, Change *change)
{
	OnlineStep *step = NULL;
	ListCell   *lc;

	if (!change->safe)
		plan->unsafe = lappend(plan->unsafe,
							   psprintf("%s: %s \"%s\": %s", change->table, change->kind,
										change->object, joined_steps(change->steps)));
	foreach(lc, change->steps)
	{
		DDLStep    *ddl = lfirst(lc);

		if (list_member_ptr(run->creation, ddl) || ddl->phase == PHASE_CREATE)
			continue;
		if (step == NULL)
		{
			step = palloc0(sizeof(OnlineStep));
			step->kind = ONLINE_DDL;
			step->phase = ddl->phase;
			step->seq = plan_seq++;
			step->model = -1;
			step->table = change->table;
			step->model_name = ddl->model_name;
			step->run_as = ddl->run_as;
			step->blocking = BLOCKING_NONE;
			plan->steps = lappend(plan->steps, step);
		}
		add_ddl(step, ddl, BLOCKING_UNKNOWN);
	}
	if (step != NULL && step->blocking > BLOCKING_BRIEF)
		plan->refused = lappend(plan->refused,
								psprintf("%s: %s \"%s\": %s reads every row of the tables that use it, holding a lock that blocks their writers",
										 change->table, change->kind, change->object,
										 joined_steps(step->ddl)));
}

static void
add_table_name(OnlinePlan *plan, const char *schema, const char *table)
{
	TableName  *name = palloc(sizeof(TableName));

	name->schema = schema;
	name->table = table;
	plan->tables = lappend(plan->tables, name);
}

/*
 * The online plan of a drift run (under an active snapshot): the steps,
 * the changes it refuses, and the unsafe ones.
 */
OnlinePlan *
online_plan(DriftRun *run)
{
	OnlinePlan *plan = palloc0(sizeof(OnlinePlan));
	int			save_nestlevel = catalog_search_path_push();
	int			i;

	plan_seq = 0;
	plan_creation(plan, run);
	for (i = 0; i < run->sel.nmodels; i++)
	{
		Model	   *model = run->sel.models[i];
		List	   *changes = NIL;
		TableContext cx;
		ListCell   *lc;
		Oid			relid;

		foreach(lc, run->changes)
		{
			Change	   *change = lfirst(lc);
			DDLStep    *first = change->steps ? linitial(change->steps) : NULL;

			if (strcmp(change->kind, "table_missing") != 0 && first != NULL && first->model == i)
				changes = lappend(changes, change);
		}
		if (changes == NIL)
			continue;

		relid = lookup_table(lookup_schema(model->schema), model->schema, model->table);
		if (!OidIsValid(relid))
			continue;			/* dropped meanwhile: the next drift run sees it */
		memset(&cx, 0, sizeof(cx));
		cx.run = run;
		cx.plan = plan;
		cx.model = model;
		cx.m = i;
		cx.table = quoted_name(model->schema, model->table);
		cx.empty = -1;
		cx.rel = relation_open(relid, AccessShareLock);
		cx.actual = inspect_table(cx.rel);
		cx.helpers = find_helpers(cx.rel, cx.actual);
		forgive_filled_columns(changes, cx.helpers);
		add_table_name(plan, model->schema, model->table);
		for (int f = 0; f < model->nfkeys; f++)
			add_table_name(plan, model->fkeys[f].ref_schema, model->fkeys[f].ref_table);
		plan_table(&cx, changes);
		relation_close(cx.rel, AccessShareLock);
	}
	/* the models of other kinds */
	{
		ListCell   *lc;

		foreach(lc, run->changes)
		{
			Change	   *change = lfirst(lc);
			DDLStep    *first = change->steps ? linitial(change->steps) : NULL;

			if (first != NULL && first->model < 0)
				plan_object(plan, run, change);
		}
	}
	catalog_search_path_pop(save_nestlevel);
	list_sort(plan->steps, online_step_cmp);
	return plan;
}

/* what a backfill does, as one line */
char *
backfill_description(const OnlineStep *step)
{
	if (step->fill == BACKFILL_DEFAULT)
		return psprintf("UPDATE %s SET %s = DEFAULT WHERE %s IS NULL, in batches of pages committed one by one",
						step->table, quote_identifier(step->column),
						quote_identifier(step->column));
	return psprintf("UPDATE %s SET %s = %s WHERE %s IS DISTINCT FROM CAST(%s AS %s), in batches of pages committed one by one",
					step->table, quote_identifier(step->column),
					quote_identifier(step->source), quote_identifier(step->column),
					quote_identifier(step->source), step->type);
}

