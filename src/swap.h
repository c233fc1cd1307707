/*-------------------------------------------------------------------------
 *
 * swap.h
 *	  Swapping a shadow column in for the column it replaces (swap.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_SWAP_H
#define PROVISION_SWAP_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "online.h"

/*
 * What else depends on a column whose type is changed through a shadow:
 * the indexes, constraints and sequences the swap carries over, and the
 * reasons it cannot (anything else).
 */
typedef struct ColumnDependents
{
	List	   *indexes;		/* Oid: indexes of the table using the column */
	List	   *constraints;	/* Oid: check and foreign keys of the table on it */
	List	   *referencing;	/* Oid: foreign keys of tables referencing it */
	Oid			serial_seq;		/* a sequence the column owns */
	Oid			identity_seq;	/* the column's identity sequence */
	List	   *refusals;		/* char *: what stands in the way */
} ColumnDependents;

extern void column_dependents(Relation rel, AttrNumber attnum, const char *declarer,
							  ColumnDependents *deps);
extern char *index_copy_sql(Relation rel, Oid indexoid, AttrNumber from, const char *to,
							Oid to_type, const char *name, const char **why);
extern List *swap_steps(OnlineStep *swap, List **missing, bool planning);

#endif							/* PROVISION_SWAP_H */
