/*-------------------------------------------------------------------------
 *
 * backfill.c
 *	  Filling a column of every existing row in batches, each in a
 *	  transaction of its own.
 *
 * A backfill walks the table's pages as they were when it started, a
 * batch of pages at a time, with one fixed UPDATE per batch (quoted
 * identifiers, operators qualified, run as the model's declarer):
 *
 *	UPDATE t SET c = DEFAULT WHERE <pages> AND c IS NULL
 *	UPDATE t SET c_pvnew = c WHERE <pages> AND c_pvnew IS DISTINCT FROM CAST(c AS type)
 *
 * where <pages> is a TID range (a TID range scan reads just those pages).
 * Rows written after it started, and rows moved by a writer's update, are
 * not its business: the fill or sync trigger created with the column gave
 * them their value (shadow.c).  Running it again (after a cancel or a
 * crash) finds nothing left to change in the rows already done.
 *
 * The session walks one part of the pages, and background workers
 * (provision.backfill_workers, worker.c) the others, each with the same
 * statements; a worker that cannot start leaves its part to the session.
 *
 * A batch locks the rows it changes until it commits, so a writer of one
 * of them waits at most that long: the number of pages per batch adapts
 * so that a batch takes about provision.batch_time (10 ms).  User
 * triggers do not fire (session_replication_role is replica for the
 * batch), as they do not for the ALTER TABLE whose rewrite this replaces;
 * and its commit does not wait for the WAL to reach the disk (a batch lost
 * in a crash is done again by the next run).  Every batch is recorded in
 * the history, as run online.
 *
 *-------------------------------------------------------------------------
 */
#include "backfill.h"

#include "access/relation.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "history.h"
#include "pg_compat.h"
#include "trust.h"
#include "txn.h"

/* provision.batch_time, in milliseconds; provision.backfill_workers */
int			provision_batch_time = 10;
int			provision_backfill_workers = 1;

#define FIRST_BATCH_PAGES	8
#define MAX_BATCH_PAGES		65536

typedef struct Batch
{
	const BackfillSpec *spec;
	Oid			role;
	const char *caller;
	const char *run_as;
	BlockNumber start;
	BlockNumber end;
	uint64		rows;
} Batch;

static void
batch_work(void *arg)
{
	Batch	   *batch = arg;
	const BackfillSpec *spec = batch->spec;
	char	   *query = psprintf("%s" PROVISION_PAGE_RANGE_QUAL "%s", spec->prefix,
								 batch->start, batch->end, spec->suffix);
	TrustScope	scope;
	char		timeout[32];
	int			ret;

	/* whose rights: checked in every batch's transaction */
	batch->role = trust_declarer(spec->run_as, spec->model_name);
	batch->caller = GetUserNameFromId(GetUserId(), false);
	batch->run_as = GetUserNameFromId(batch->role, false);

	/* the rest of the transaction, not of the subtransaction: LOCAL */
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	trust_enter(batch->role, true, &scope);
	snprintf(timeout, sizeof(timeout), "%d", provision_lock_timeout);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(query, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "SPI query \"%s\" failed: %s", query, SPI_result_code_string(ret));
	batch->rows = SPI_processed;
	SPI_finish();
	trust_leave(&scope);
	history_record(spec->table, query, batch->caller, batch->run_as, true);
}

/*
 * The statements of a backfill step, and the pages it walks (read in the
 * current transaction).
 */
BackfillSpec *
backfill_prepare(const OnlineStep *step)
{
	BackfillSpec *spec = palloc0(sizeof(BackfillSpec));
	const char *column = quote_identifier(step->column);
	Relation	rel;
	Oid			relid;

	spec->table = pstrdup(step->table);
	spec->model_name = pstrdup(step->model_name);
	spec->run_as = pstrdup(step->run_as);
	if (step->fill == BACKFILL_DEFAULT)
	{
		spec->prefix = psprintf("UPDATE %s SET %s = DEFAULT WHERE ", step->table, column);
		spec->suffix = psprintf(" AND %s IS NULL", column);
	}
	else
	{
		const char *source = quote_identifier(step->source);

		spec->prefix = psprintf("UPDATE %s SET %s = %s WHERE ", step->table, column, source);
		spec->suffix = psprintf(" AND %s IS DISTINCT FROM CAST(%s AS %s)", column, source,
								step->type);
	}
	relid = lookup_table(lookup_schema(step->schema), step->schema, step->relname);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" was dropped during its online migration",
						step->model_name)));
	rel = relation_open(relid, AccessShareLock);
	spec->nblocks = RelationGetNumberOfBlocks(rel);
	spec->estimate = rel->rd_rel->reltuples;
	relation_close(rel, AccessShareLock);
	return spec;
}

/*
 * Fill pages [start, end) of spec's table, each batch in a transaction of
 * its own run by runner; adds the rows changed to *rows as it goes.  In
 * the session (not a worker), reports progress at most once a second,
 * counting what others (workers) did too.
 */
void
backfill_range(const BackfillSpec *spec, BlockNumber start, BlockNumber end,
			   BatchRunner runner, pg_atomic_uint64 *rows, OtherRows others, void *others_arg)
{
	Batch		batch;
	BlockNumber pages = FIRST_BATCH_PAGES;
	TimestampTz last_report = GetCurrentTimestamp();
	bool		session = !provision_is_background_worker();
	bool		paused = false;

	memset(&batch, 0, sizeof(batch));
	batch.spec = spec;

	for (batch.start = start; batch.start < end; batch.start = batch.end)
	{
		TimestampTz began = GetCurrentTimestamp();
		long		secs;
		int			usecs;
		double		elapsed;
		double		next;

		batch.end = Min(batch.start + pages, end);
		if (session)
			txn_report("filling %s: pages %u to %u of %u", spec->table, batch.start,
					   batch.end - 1, spec->nblocks);
		runner(batch_work, &batch, spec->model_name);
		pg_atomic_fetch_add_u64(rows, batch.rows);

		/* about provision.batch_time a batch */
		TimestampDifference(began, GetCurrentTimestamp(), &secs, &usecs);
		elapsed = Max(secs * 1000.0 + usecs / 1000.0, 1.0);
		/* grow slowly, shrink at once: a long batch is a writer's stall */
		next = (double) pages * provision_batch_time / elapsed;
		next = Min(Max(next, pages / 4.0), pages * 1.25);
		pages = (BlockNumber) Max(1.0, Min(next, (double) MAX_BATCH_PAGES));

		if (session && batch.end < end &&
			TimestampDifferenceExceeds(last_report, GetCurrentTimestamp(), 1000))
		{
			uint64		done = pg_atomic_read_u64(rows) +
				(others ? others(others_arg) : 0);

			last_report = GetCurrentTimestamp();
			if (spec->estimate > 0)
				ereport(NOTICE,
						(errmsg("filling table \"%s\": " UINT64_FORMAT " of about %.0f rows",
								spec->model_name, done, spec->estimate)));
			else
				ereport(NOTICE,
						(errmsg("filling table \"%s\": " UINT64_FORMAT " rows",
								spec->model_name, done)));
		}
		if (session && !paused)
		{
			paused = true;
			txn_pause();
		}
		CHECK_FOR_INTERRUPTS();
	}
}
