/*-------------------------------------------------------------------------
 *
 * online.c
 *	  Running an online migration: the plan of onlineplan.c, step by step,
 *	  each step committed before the next.
 *
 * A call looks at the models and their tables, plans (onlineplan.c), and
 * refuses before changing anything when a change can lose data (unless
 * allow_destructive) or cannot be made online.  Then it takes the names
 * of the tables it changes (and of those their foreign keys reference)
 * for the rest of the call, as provision_migrate() takes them for its
 * transaction, so that concurrent deploys wait for each other instead of
 * interleaving; and runs each step in a transaction of its own (txn.c):
 *
 *	statements	run as the model's declarer, each checked first (ddl.c);
 *				tables are created a batch per transaction, each name
 *				locked and looked for again first, as provision_all() does;
 *	concurrent	run at top level by a background worker (worker.c), this
 *				session waiting with nothing held;
 *	backfill	batches of pages, each committed (backfill.c);
 *	swap		the tables' locks taken first (referencing tables, then
 *				the table), the statements built again from the catalogs
 *				as they are then, and run.
 *
 * Each step says when it starts and ends (NOTICE) and shows in
 * pg_stat_activity while it runs.  When every step ran, the models are
 * compared with their tables again, and what is still different (a
 * constraint re-added NOT VALID by a swap that another session changed
 * meanwhile, say) is planned and run the same way, at most twice more.
 *
 *-------------------------------------------------------------------------
 */
#include "online.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "backfill.h"
#include "blocking.h"
#include "catalog.h"
#include "engine.h"
#include "lock.h"
#include "name.h"
#include "swap.h"
#include "trust.h"
#include "txn.h"
#include "worker.h"

#define MAX_ROUNDS	3

void
online_define_settings(void)
{
	DefineCustomIntVariable("provision.lock_retries",
							"How many more times provision_apply() tries a step that timed out on a lock.",
							"Each retry waits twice as long as the one before, starting at provision.lock_retry_delay.",
							&provision_lock_retries,
							10, 0, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("provision.lock_retry_delay",
							"The pause before provision_apply() first tries again a step that timed out on a lock.",
							NULL,
							&provision_lock_retry_delay,
							100, 1, 60000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("provision.batch_time",
							"How long a batch of an online backfill should take.",
							"A batch locks the rows it changes until it commits; the number of pages per batch adapts to take about this long.",
							&provision_batch_time,
							10, 1, 10000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("provision.backfill_workers",
							"Background workers that help provision_apply() fill a column.",
							"Each fills an equal part of the table's pages, besides the session's own part.",
							&provision_backfill_workers,
							1, 0, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("provision.pause_key",
							"For tests: provision_apply() waits for pg_advisory_lock(pause_key, n) between steps.",
							NULL,
							&provision_pause_key,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

static int
table_name_cmp(const ListCell *a, const ListCell *b)
{
	const TableName *na = lfirst(a);
	const TableName *nb = lfirst(b);
	int			c = strcmp(na->schema, nb->schema);

	return c != 0 ? c : strcmp(na->table, nb->table);
}

/* names sorted, each once: the one order name locks are taken in */
static List *
sorted_names(List *names)
{
	List	   *sorted = list_copy(names);
	List	   *result = NIL;
	ListCell   *lc;

	list_sort(sorted, table_name_cmp);
	foreach(lc, sorted)
	{
		if (result == NIL || table_name_cmp(list_tail(result), lc) != 0)
			result = lappend(result, lfirst(lc));
	}
	return result;
}

static char *
joined_lines(List *lines)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, lines)
		appendStringInfo(&buf, "%s%s", buf.len ? "\n" : "", (char *) lfirst(lc));
	return buf.data;
}

/* what a step does, for its notices */
static char *
step_description(OnlineStep *step)
{
	switch (step->kind)
	{
		case ONLINE_BACKFILL:
			return backfill_description(step);
		case ONLINE_SWAP:
			return psprintf("swapping in the new column \"%s\" (%s) for \"%s\"",
							step->column, step->type, step->column);
		default:
			if (step->phase == PHASE_CREATE)
			{
				int			tables = 0;
				ListCell   *lc;

				foreach(lc, step->ddl)
					tables += ((DDLStep *) lfirst(lc))->kind == DDL_CREATE_TABLE;
				if (tables > 1)
					return psprintf(ngettext("creating %d table", "creating %d tables", tables),
									tables);
			}
			return joined_steps(step->ddl);
	}
}

/* a batch of missing tables: each name locked and looked for again */
static void
create_work(void *arg)
{
	OnlineStep *step = arg;
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, step->ddl)
	{
		DDLStep    *ddl = lfirst(lc);

		if (ddl->kind == DDL_CREATE_SCHEMA)
			lock_schema_name(ddl->target_schema);
		else if (ddl->kind == DDL_CREATE_TABLE)
		{
			TableName  *name = palloc(sizeof(TableName));

			name->schema = ddl->target_schema;
			name->table = ddl->target_name;
			names = lappend(names, name);
		}
	}
	lock_table_names(sorted_names(names));
	foreach(lc, step->ddl)
	{
		DDLStep    *ddl = lfirst(lc);

		if (ddl->kind == DDL_CREATE_SCHEMA)
		{
			while (!OidIsValid(lookup_schema(ddl->target_schema)) &&
				   wait_for_uncommitted_schema(ddl->target_schema))
				;
			if (OidIsValid(lookup_schema(ddl->target_schema)))
				continue;		/* made meanwhile */
		}
		else if (ddl->kind == DDL_CREATE_TABLE)
		{
			Oid			nspid = lookup_schema(ddl->target_schema);

			while (OidIsValid(nspid) &&
				   !OidIsValid(lookup_table(nspid, ddl->target_schema, ddl->target_name)) &&
				   wait_for_uncommitted_relation(nspid, ddl->target_name))
				;
			if (OidIsValid(nspid) &&
				OidIsValid(lookup_table(nspid, ddl->target_schema, ddl->target_name)))
				continue;		/* made meanwhile */
		}
		run_online_step(ddl);
	}
}

static void
ddl_work(void *arg)
{
	OnlineStep *step = arg;
	ListCell   *lc;

	foreach(lc, step->ddl)
		run_online_step(lfirst(lc));
}

/*
 * The swap: every table it alters locked first (the referencing tables,
 * then the table), with provision.lock_timeout; then its statements,
 * built again from the catalogs as they are now.
 */
static void
swap_work(void *arg)
{
	OnlineStep *step = arg;
	List	   *missing = NIL;
	List	   *ddl;
	List	   *others = NIL;
	char		timeout[32];
	Oid			relid;
	ListCell   *lc;

	snprintf(timeout, sizeof(timeout), "%d", provision_lock_timeout);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ddl = swap_steps(step, &missing, false);
	relid = lookup_table(lookup_schema(step->schema), step->schema, step->relname);
	foreach(lc, ddl)
	{
		DDLStep    *d = lfirst(lc);
		Oid			other;

		if (d->kind != DDL_ALTER_TABLE ||
			(strcmp(d->target_schema, step->schema) == 0 &&
			 strcmp(d->target_name, step->relname) == 0))
			continue;
		other = lookup_table(lookup_schema(d->target_schema), d->target_schema, d->target_name);
		if (OidIsValid(other))
			others = list_append_unique_oid(others, other);
	}
	foreach(lc, others)
		LockRelationOid(lfirst_oid(lc), AccessExclusiveLock);
	LockRelationOid(relid, AccessExclusiveLock);

	/* what holds now, under the locks */
	missing = NIL;
	ddl = swap_steps(step, &missing, false);
	if (missing != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of table \"%s\" cannot be swapped yet",
						step->column, step->model_name),
				 errdetail("Index \"%s\" on its new version is not built; an index on the column was added since the migration started.",
						   (char *) linitial(missing)),
				 errhint("Run CALL provision_apply() again: it builds it first.")));
	foreach(lc, ddl)
		run_online_step(lfirst(lc));
}

static void
concurrent_work(void *arg)
{
	worker_run((DDLStep *) arg);
}

/*
 * A statement at top level, in a worker, this session holding nothing (the
 * build waits for every snapshot older than its own); retried when it
 * times out on a lock.
 */
static void
run_concurrent(OnlineStep *step)
{
	DDLStep    *ddl = linitial(step->ddl);

	check_step_statement(ddl);
	txn_commit();
	txn_run(concurrent_work, ddl, step->model_name);
}

/* tables smaller than this are filled by the session alone */
#define PARALLEL_BACKFILL_PAGES	1024

static uint64
worker_rows_sum(void *arg)
{
	List	   *workers = arg;
	uint64		sum = 0;
	ListCell   *lc;

	foreach(lc, workers)
		sum += worker_rows(lfirst(lc));
	return sum;
}

/*
 * A backfill: the table's pages in equal parts, one for this session and
 * one for each background worker (provision.backfill_workers) that could
 * start; the session fills the parts of those that could not.
 */
static void
run_backfill(OnlineStep *step)
{
	BackfillSpec *spec = backfill_prepare(step);
	int			parts = spec->nblocks >= PARALLEL_BACKFILL_PAGES ?
		provision_backfill_workers + 1 : 1;
	BlockNumber share = spec->nblocks / parts;
	List	   *workers = NIL;
	List	   *leftover = NIL;
	pg_atomic_uint64 rows;
	ListCell   *lc;
	int			k;

	pg_atomic_init_u64(&rows, 0);
	txn_commit();
	PG_TRY();
	{
		for (k = 1; k < parts; k++)
		{
			BlockNumber start = share * k;
			BlockNumber end = k == parts - 1 ? spec->nblocks : share * (k + 1);
			Worker	   *w = worker_start_backfill(spec, start, end);

			if (w != NULL)
				workers = lappend(workers, w);
			else
				leftover = lappend(leftover, list_make2_int((int) start, (int) end));
		}
		backfill_range(spec, 0, parts > 1 ? share : spec->nblocks, txn_run, &rows,
					   worker_rows_sum, workers);
		foreach(lc, leftover)
			backfill_range(spec, (BlockNumber) linitial_int(lfirst(lc)),
						   (BlockNumber) lsecond_int(lfirst(lc)), txn_run, &rows,
						   worker_rows_sum, workers);
		while (workers != NIL)
		{
			Worker	   *w = linitial(workers);

			worker_wait(w);
			workers = list_delete_first(workers);
		}
	}
	PG_CATCH();
	{
		foreach(lc, workers)
			worker_stop(lfirst(lc));
		PG_RE_THROW();
	}
	PG_END_TRY();
	txn_commit();
}

static void
report_start(OnlineStep *step, int i, int n)
{
	const char *what = step_description(step);

	if (step->model_name != NULL && step->phase != PHASE_CREATE)
		ereport(NOTICE,
				(errmsg("online step %d of %d on table \"%s\": %s", i, n, step->model_name, what)));
	else
		ereport(NOTICE,
				(errmsg("online step %d of %d: %s", i, n, what)));
	txn_report("step %d of %d%s%s: %s", i, n,
			   step->table && step->phase != PHASE_CREATE ? " on table " : "",
			   step->table && step->phase != PHASE_CREATE ? step->table : "", what);
}

static void
report_end(OnlineStep *step, int i, int n, TimestampTz began)
{
	long		secs;
	int			usecs;

	TimestampDifference(began, GetCurrentTimestamp(), &secs, &usecs);
	ereport(NOTICE,
			(errmsg("online step %d of %d done", i, n),
			 errdetail("It took %ld ms, blocking: %s.", secs * 1000 + usecs / 1000,
					   blocking_name(step->blocking))));
}

/* every statement's declarer, checked for the caller before anything runs */
static void
check_plan_runnable(OnlinePlan *plan)
{
	ListCell   *lc;

	foreach(lc, plan->steps)
	{
		OnlineStep *step = lfirst(lc);

		check_steps_runnable(step->ddl);
		if (step->run_as != NULL)
			(void) trust_declarer(step->run_as, step->model_name);
	}
}

static void
refuse_plan(OnlinePlan *plan, bool allow_destructive)
{
	int			n;

	n = list_length(plan->unsafe);
	if (n > 0 && !allow_destructive)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("migration refused: %d change can lose data or fail on existing rows",
							   "migration refused: %d changes can lose data or fail on existing rows",
							   n, n),
				 errdetail("%s", joined_lines(plan->unsafe)),
				 errhint("Nothing was changed. Review the changes with provision_diff(), then call provision_apply(allow_destructive => true) to apply them too.")));
	n = list_length(plan->refused);
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg_plural("%d change cannot be applied online",
							   "%d changes cannot be applied online",
							   n, n),
				 errdetail("%s", joined_lines(plan->refused)),
				 errhint("Nothing was changed. provision_migrate() applies such changes, holding its locks until it commits, when the table can wait; or change the model.")));
}

/* run one round's plan; returns the number of steps run */
static int
run_plan(OnlinePlan *plan)
{
	List	   *names = sorted_names(plan->tables);
	int			n = list_length(plan->steps);
	int			i = 0;
	ListCell   *lc;

	lock_table_names_session(names);
	PG_TRY();
	{
		foreach(lc, plan->steps)
		{
			OnlineStep *step = lfirst(lc);
			TimestampTz began;

			i++;
			report_start(step, i, n);
			txn_pause();
			began = GetCurrentTimestamp();
			switch (step->kind)
			{
				case ONLINE_DDL:
					txn_run(step->phase == PHASE_CREATE ? create_work : ddl_work, step,
							step->model_name ? step->model_name : "");
					break;
				case ONLINE_CONCURRENT:
					run_concurrent(step);
					break;
				case ONLINE_BACKFILL:
					run_backfill(step);
					break;
				case ONLINE_SWAP:
					txn_run(swap_work, step, step->model_name);
					break;
			}
			report_end(step, i, n, began);
		}
	}
	PG_FINALLY();
	{
		unlock_table_names_session(names);
	}
	PG_END_TRY();
	return n;
}

/*
 * Bring the tables (and objects) of sel in line with their models online.  Called by the
 * procedure provision_apply(), outside any transaction block, in a memory
 * context that outlives its commits.
 */
void
online_apply(const Selection *sel, bool allow_destructive)
{
	int			total = 0;
	int			round;

	txn_begin_procedure();
	for (round = 1; round <= MAX_ROUNDS; round++)
	{
		DriftRun	run;
		OnlinePlan *plan;
		int			i;

		PushActiveSnapshot(GetTransactionSnapshot());
		drift_run(&run, sel);
		plan = online_plan(&run);
		PopActiveSnapshot();
		if (round == 1 || plan->unsafe != NIL || plan->refused != NIL)
			refuse_plan(plan, allow_destructive);
		if (plan->steps == NIL)
			break;
		for (i = 0; i < sel->nmodels; i++)
			check_model_names(sel->models[i]);
		check_plan_runnable(plan);
		txn_commit();
		total += run_plan(plan);
	}
	if (round > MAX_ROUNDS)
		ereport(WARNING,
				(errmsg("tables still differ from their models after %d rounds of online steps",
						MAX_ROUNDS),
				 errhint("See SELECT * FROM provision_diff().")));
	if (total == 0)
		ereport(NOTICE,
				(errmsg("no drift: every table matches its model")));
	else
		ereport(NOTICE,
				(errmsg_plural("%d online step applied", "%d online steps applied", total, total)));
	txn_end_procedure();
}
