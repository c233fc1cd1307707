/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Statements that must run at top level, run by a dynamic background
 *	  worker for the session that waits for it (worker.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_WORKER_H
#define PROVISION_WORKER_H

#include "postgres.h"

#include "storage/block.h"

#include "ddl.h"

struct BackfillSpec;
typedef struct Worker Worker;

extern void worker_use_library_of(Oid funcoid);
extern void worker_run(const DDLStep *step);
extern Worker *worker_start_backfill(const struct BackfillSpec *spec, BlockNumber start,
									 BlockNumber end);
extern void worker_wait(Worker *w);
extern uint64 worker_rows(Worker *w);
extern void worker_stop(Worker *w);

extern PGDLLEXPORT void provision_online_worker_main(Datum main_arg);

#endif							/* PROVISION_WORKER_H */
