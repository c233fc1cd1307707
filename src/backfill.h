/*-------------------------------------------------------------------------
 *
 * backfill.h
 *	  Filling a column of every existing row in batches, each committed on
 *	  its own (backfill.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_BACKFILL_H
#define PROVISION_BACKFILL_H

#include "postgres.h"

#include "online.h"

extern int	provision_batch_time;

extern void backfill_run(const OnlineStep *step, int stepno, int nsteps);

#endif							/* PROVISION_BACKFILL_H */
