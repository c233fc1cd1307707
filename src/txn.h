/*-------------------------------------------------------------------------
 *
 * txn.h
 *	  Work of an online migration in transactions of its own: committed,
 *	  retried on lock timeouts with backoff, paused for tests, shown in
 *	  pg_stat_activity (txn.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_TXN_H
#define PROVISION_TXN_H

#include "postgres.h"

extern int	provision_lock_retries;
extern int	provision_lock_retry_delay;
extern int	provision_pause_key;

typedef void (*TxnWork) (void *arg);

extern void txn_begin_procedure(void);
extern void txn_end_procedure(void);
extern void txn_commit(void);
extern void txn_run(TxnWork work, void *arg, const char *table);
extern void txn_pause(void);
extern void txn_report(const char *fmt,...) pg_attribute_printf(1, 2);
extern void txn_report_done(void);

#endif							/* PROVISION_TXN_H */
