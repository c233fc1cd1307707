/*-------------------------------------------------------------------------
 *
 * trial.h
 *	  DDL run for real in a subtransaction that is always rolled back, in
 *	  scratch schemas of its own (trial.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_TRIAL_H
#define PROVISION_TRIAL_H

#include "postgres.h"

#include "nodes/nodes.h"

extern void trial_run(void (*body) (void *arg), void *arg);
extern char *trial_schema(void);
extern void trial_utility(Node *stmt, const char *sql, int location, int len);

#endif							/* PROVISION_TRIAL_H */
