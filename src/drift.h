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
	const ObjectModel *of_object;	/* a change of a model of another kind
									 * (not of a table's index), or NULL */
} Change;

/* A drift run: the models compared, and what differs */
typedef struct DriftRun
{
	Selection	sel;
	List	   *creation;		/* DDLStep: creating what is missing */
	List	   *changes;		/* Change: objects first, then tables in order */
} DriftRun;

/* tablediff.c */
extern List *table_drift(Model **models, int nmodels, int m, Relation rel,
						 ObjectModel **indexes, int nindexes);

/* drift.c */
extern void drift_run(DriftRun *run, const Selection *sel);
extern List *plan_steps(DriftRun *run);
extern List *change_steps(DriftRun *run);
extern void drifted_selection(DriftRun *run, Selection *drifted);
extern int	selection_drift_count(const Selection *sel);
extern char *joined_steps(List *steps);

#endif							/* PROVISION_DRIFT_H */
