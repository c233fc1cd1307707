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

#include "ddl.h"

extern void worker_use_library_of(Oid funcoid);
extern void worker_run(const DDLStep *step);

extern PGDLLEXPORT void provision_online_worker_main(Datum main_arg);

#endif							/* PROVISION_WORKER_H */
