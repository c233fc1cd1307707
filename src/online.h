/*-------------------------------------------------------------------------
 *
 * online.h
 *	  Online migrations: the plan (onlineplan.c, swap.c), its steps run
 *	  each in a transaction of its own (online.c), backfills in batches
 *	  (backfill.c), statements run at top level by a background worker
 *	  (worker.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_ONLINE_H
#define PROVISION_ONLINE_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "ddl.h"
#include "drift.h"

typedef enum OnlineStepKind
{
	ONLINE_DDL,					/* statements committed together */
	ONLINE_CONCURRENT,			/* one statement run at top level by a worker */
	ONLINE_BACKFILL,			/* rows filled in batches, each committed */
	ONLINE_SWAP					/* a shadow column swapped in, in one transaction */
} OnlineStepKind;

typedef enum BackfillKind
{
	BACKFILL_DEFAULT,			/* column = DEFAULT where it is NULL */
	BACKFILL_SHADOW				/* shadow = source where they differ */
} BackfillKind;

typedef struct OnlineStep
{
	OnlineStepKind kind;
	DDLPhase	phase;
	int			seq;			/* keeps the order within a phase */
	int			model;			/* index into the run's models */
	const char *schema;			/* the table */
	const char *relname;
	const char *table;			/* quoted, qualified */
	const char *model_name;
	const char *run_as;			/* the model's declarer */
	const Model *owner;			/* the model */
	List	   *ddl;			/* DDLStep, in order; CONCURRENT: one */
	Blocking	blocking;		/* the most any of it costs */

	/* ONLINE_BACKFILL */
	BackfillKind fill;
	const char *column;			/* the column filled (SWAP: the old column) */
	const char *source;			/* BACKFILL_SHADOW: the column copied */
	const char *type;			/* BACKFILL_SHADOW, SWAP: the new type */
} OnlineStep;

/* An online plan: its steps, and the changes it cannot make online */
typedef struct OnlinePlan
{
	List	   *steps;			/* OnlineStep, in order */
	List	   *refused;		/* char *: one line per change, and why */
	List	   *unsafe;			/* char *: changes that can lose data */
	List	   *tables;			/* TableName: the tables it changes or locks */
} OnlinePlan;

/* onlineplan.c */
extern OnlinePlan *online_plan(DriftRun *run);
extern char *backfill_description(const OnlineStep *step);

/* online.c */
extern void online_define_settings(void);
extern void online_apply(const Selection *sel, bool allow_destructive);

#endif							/* PROVISION_ONLINE_H */
