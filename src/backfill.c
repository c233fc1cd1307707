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
 * A batch locks the rows it changes until it commits, so a writer of one
 * of them waits at most that long: the number of pages per batch adapts
 * so that a batch takes about provision.batch_time (20 ms).  User
 * triggers do not fire (session_replication_role is replica for the
 * batch), as they do not for the ALTER TABLE whose rewrite this replaces.
 * Every batch is recorded in the history, as run online.  Progress is
 * reported at most once a second, and shown in pg_stat_activity.
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

/* provision.batch_time, in milliseconds */
int			provision_batch_time = 20;

#define FIRST_BATCH_PAGES	8
#define MAX_BATCH_PAGES		65536

typedef struct Batch
{
	const OnlineStep *step;
	Oid			role;
	const char *caller;
	const char *run_as;
	const char *prefix;			/* "UPDATE ... WHERE " */
	const char *suffix;			/* " AND ..." */
	BlockNumber start;
	BlockNumber end;
	uint64		rows;
} Batch;

static void
batch_work(void *arg)
{
	Batch	   *batch = arg;
	char	   *query = psprintf("%s" PROVISION_PAGE_RANGE_QUAL "%s", batch->prefix,
								 batch->start, batch->end, batch->suffix);
	TrustScope	scope;
	char		timeout[32];
	int			ret;

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
	history_record(batch->step->table, query, batch->caller, batch->run_as, true);
}

/*
 * Fill the column of step (an ONLINE_BACKFILL) in every row the table had
 * when it started; step number stepno of nsteps, for progress reports.
 */
void
backfill_run(const OnlineStep *step, int stepno, int nsteps)
{
	Batch		batch;
	Relation	rel;
	Oid			relid;
	BlockNumber nblocks;
	double		estimate;
	uint64		total = 0;
	BlockNumber pages = FIRST_BATCH_PAGES;
	TimestampTz last_report = GetCurrentTimestamp();
	bool		paused = false;
	const char *column = quote_identifier(step->column);

	memset(&batch, 0, sizeof(batch));
	batch.step = step;
	batch.role = trust_declarer(step->run_as, step->model_name);
	batch.caller = GetUserNameFromId(GetUserId(), false);
	batch.run_as = GetUserNameFromId(batch.role, false);
	if (step->fill == BACKFILL_DEFAULT)
	{
		batch.prefix = psprintf("UPDATE %s SET %s = DEFAULT WHERE ", step->table, column);
		batch.suffix = psprintf(" AND %s IS NULL", column);
	}
	else
	{
		const char *source = quote_identifier(step->source);

		batch.prefix = psprintf("UPDATE %s SET %s = %s WHERE ", step->table, column, source);
		batch.suffix = psprintf(" AND %s IS DISTINCT FROM CAST(%s AS %s)", column, source,
								step->type);
	}

	relid = lookup_table(lookup_schema(step->schema), step->schema, step->relname);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" was dropped during its online migration",
						step->model_name)));
	rel = relation_open(relid, AccessShareLock);
	nblocks = RelationGetNumberOfBlocks(rel);
	estimate = rel->rd_rel->reltuples;
	relation_close(rel, AccessShareLock);
	txn_commit();

	for (batch.start = 0; batch.start < nblocks; batch.start = batch.end)
	{
		TimestampTz began = GetCurrentTimestamp();
		long		secs;
		int			usecs;
		double		elapsed;

		batch.end = Min(batch.start + pages, nblocks);
		txn_report("step %d of %d on table %s: filling pages %u to %u of %u",
				   stepno, nsteps, step->table, batch.start, batch.end - 1, nblocks);
		txn_run(batch_work, &batch, step->model_name);
		total += batch.rows;

		/* about provision.batch_time a batch */
		TimestampDifference(began, GetCurrentTimestamp(), &secs, &usecs);
		elapsed = secs * 1000.0 + usecs / 1000.0;
		if (elapsed < 1.0)
			elapsed = 1.0;
		{
			double		next = (double) pages * provision_batch_time / elapsed;

			next = Max(next, pages / 2.0);
			next = Min(next, pages * 2.0);
			pages = (BlockNumber) Max(1.0, Min(next, (double) MAX_BATCH_PAGES));
		}

		if (TimestampDifferenceExceeds(last_report, GetCurrentTimestamp(), 1000) &&
			batch.end < nblocks)
		{
			last_report = GetCurrentTimestamp();
			if (estimate > 0)
				ereport(NOTICE,
						(errmsg("online step %d of %d on table \"%s\": " UINT64_FORMAT " of about %.0f rows filled",
								stepno, nsteps, step->model_name, total, estimate)));
			else
				ereport(NOTICE,
						(errmsg("online step %d of %d on table \"%s\": " UINT64_FORMAT " rows filled, %u of %u pages",
								stepno, nsteps, step->model_name, total, batch.end, nblocks)));
		}
		if (!paused)
		{
			paused = true;
			txn_pause();
		}
		CHECK_FOR_INTERRUPTS();
	}
}
