/*-------------------------------------------------------------------------
 *
 * drift.h
 *	  Differences between models and their tables: one table compared
 *	  (tablediff.c), and a run over many models (drift.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_DRIFT_H
#define PROVISION_DRIFT_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "model.h"

/* One difference between a model and its table */
typedef struct Change
{
	char	   *table;			/* quoted, qualified */
	const char *kind;			/* table_missing, column_type, ... */
	char	   *object;			/* the column, constraint or table */
	char	   *declared;		/* what the model says, or NULL */
	char	   *actual;			/* what the table has, or NULL */
	bool		safe;			/* runs without losing or rewriting data */
	char	   *cascades;		/* other tables the change alters too, or NULL */
	List	   *steps;			/* DDLStep: what reconciles it */
} Change;

/* A drift run: the models compared, and what differs */
typedef struct DriftRun
{
	Model	  **models;
	int			nmodels;
	List	   *creation;		/* DDLStep: creating the missing tables */
	List	   *changes;		/* Change, in model order */
} DriftRun;

/* tablediff.c */
extern List *table_drift(Model **models, int m, Relation rel);

/* drift.c */
extern void drift_run(DriftRun *run, Model **models, int nmodels);
extern List *plan_steps(DriftRun *run);
extern List *change_steps(DriftRun *run);
extern Model **drifted_models(DriftRun *run, int *count);
extern int	model_drift_count(Model *model);
extern char *joined_steps(List *steps);

#endif							/* PROVISION_DRIFT_H */
