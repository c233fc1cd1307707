/*-------------------------------------------------------------------------
 *
 * txn.c
 *	  Work of an online migration in transactions of its own.
 *
 * provision_apply() is a procedure: it commits after every step, so that
 * no step holds its locks longer than it needs them and everything done
 * so far stays done when a later step fails.  Each piece of work runs in
 * a subtransaction of a fresh transaction, which is committed when the
 * work is done.
 *
 * Steps commit without waiting for the WAL flush (see txn_run()).
 *
 * Every lock is taken with provision.lock_timeout.  A piece of work that
 * times out on a lock (55P03), or is chosen as a deadlock victim (40P01),
 * is rolled back and tried again after a pause that doubles each time
 * (provision.lock_retry_delay, then twice that, ..., with some jitter, at
 * most 30 seconds), at most provision.lock_retries more times; then the
 * call fails with 55P03, everything committed before it consistent, and
 * the next call goes on from there.  So a migration never queues for long
 * behind a long transaction while every later query on the table queues
 * behind it.
 *
 * provision.pause_key (for tests, superuser only): when not zero, before
 * every step and once in the middle of every backfill the procedure waits
 * for pg_advisory_lock(pause_key, n) (n counts the pauses from 1), taken
 * shared and released at once, with nothing locked; so an isolation test
 * holding those locks runs other sessions' statements between steps.
 *
 * What runs is shown in pg_stat_activity.query of the session.
 *
 *-------------------------------------------------------------------------
 */
#include "txn.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "pg_compat.h"

/* provision.lock_retries and provision.lock_retry_delay (ms) */
int			provision_lock_retries = 10;
int			provision_lock_retry_delay = 100;

/* provision.pause_key: for tests; 0 is off */
int			provision_pause_key = 0;

#define MAX_RETRY_DELAY_MS	30000

static int	pauses = 0;
static const char *call_text = NULL;

/* the procedure starts: commits are allowed from here on */
void
txn_begin_procedure(void)
{
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
	pauses = 0;
	call_text = debug_query_string;
}

void
txn_end_procedure(void)
{
	txn_report_done();
	SPI_finish();
}

/* commit, and start the next transaction with nothing held */
void
txn_commit(void)
{
	SPI_commit();
	InvalidateCatalogSnapshot();
}

static bool
retryable(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED;
}

static void
sleep_ms(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
					 PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Run work(arg) in a transaction of its own and commit it; on a lock
 * timeout or a deadlock, roll it back and try again with backoff.  table
 * names what was being locked, for the error when no attempt succeeds.
 */
void
txn_run(TxnWork work, void *arg, const char *table)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile long delay = provision_lock_retry_delay;
	volatile int attempt;

	for (attempt = 0;; attempt++)
	{
		ErrorData  *edata;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);

		/*
		 * The commit releases the step's locks without waiting for its WAL
		 * to reach the disk: the wait would be a stall for every reader and
		 * writer queued on them.  A step lost in a crash is done again by
		 * the next run, and no commit that waited for the disk can depend
		 * on it without making it durable too (the WAL is flushed in
		 * order).  LOCAL: for the rest of the transaction.
		 */
		(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
		PG_TRY();
		{
			work(arg);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			edata = NULL;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_END_TRY();

		if (edata == NULL)
			break;
		if (!retryable(edata->sqlerrcode))
			ReThrowError(edata);
		if (attempt >= provision_lock_retries)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg_plural("could not lock table \"%s\" in %d attempt",
								   "could not lock table \"%s\" in %d attempts",
								   attempt + 1, table, attempt + 1),
					 errdetail("The last attempt failed with: %s. Every step before this one was committed; the table is consistent.",
							   edata->message),
					 errhint("Run CALL provision_apply() again when the table is less busy, or raise provision.lock_timeout or provision.lock_retries.")));

		/* nothing held while waiting: start a fresh transaction */
		txn_commit();
		ereport(DEBUG1,
				(errmsg("retrying online step on table \"%s\" after %ld ms: %s",
						table, delay, edata->message)));
		sleep_ms(delay + (long) (provision_random_fraction() * delay / 2));
		delay = Min(delay * 2, MAX_RETRY_DELAY_MS);
		FreeErrorData(edata);
	}
	txn_commit();
}

/*
 * The test hook: wait for pg_advisory_lock(provision.pause_key, n) to be
 * free (shared, released at once), n counting the pauses of this call;
 * pg_stat_activity shows what comes next meanwhile.
 */
void
txn_pause(void)
{
	LOCKTAG		tag;

	if (provision_pause_key == 0)
		return;
	pauses++;
	/* what pg_advisory_lock_shared(int4, int4) locks */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) provision_pause_key, (uint32) pauses, 2);
	(void) LockAcquire(&tag, ShareLock, true, false);
	(void) LockRelease(&tag, ShareLock, true);
}

/* what pg_stat_activity shows for the session */
void
txn_report(const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "CALL provision_apply(): ");
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	pgstat_report_activity(STATE_RUNNING, buf.data);
	pfree(buf.data);
}

void
txn_report_done(void)
{
	if (call_text != NULL)
		pgstat_report_activity(STATE_RUNNING, call_text);
}
