/*-------------------------------------------------------------------------
 *
 * backfill.h
 *	  Filling a column of every existing row in batches, each committed on
 *	  its own, by the session and by background workers (backfill.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_BACKFILL_H
#define PROVISION_BACKFILL_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/block.h"

#include "online.h"

extern int	provision_batch_time;
extern int	provision_backfill_workers;

/* the fixed text of a backfill's batches, and what it walks */
typedef struct BackfillSpec
{
	char	   *table;			/* quoted, qualified */
	char	   *model_name;
	char	   *run_as;			/* the model's declarer */
	char	   *prefix;			/* "UPDATE ... WHERE " */
	char	   *suffix;			/* " AND ..." */
	BlockNumber nblocks;		/* the pages the table had when it started */
	double		estimate;		/* its rows, as last counted */
} BackfillSpec;

/* a batch's transaction: txn_run() in the session, its own in a worker */
typedef void (*BatchRunner) (void (*work) (void *arg), void *arg, const char *table);

extern BackfillSpec *backfill_prepare(const OnlineStep *step);
/* rows changed by others (workers), for progress reports */
typedef uint64 (*OtherRows) (void *arg);

extern void backfill_range(const BackfillSpec *spec, BlockNumber start, BlockNumber end,
						   BatchRunner runner, pg_atomic_uint64 *rows,
						   OtherRows others, void *others_arg);

#endif							/* PROVISION_BACKFILL_H */
