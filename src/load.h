/*-------------------------------------------------------------------------
 *
 * load.h
 *	  A DDL script read as models (load.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_LOAD_H
#define PROVISION_LOAD_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* what provision_load() returns, one row per object */
typedef struct LoadRow
{
	const char *kind;			/* schema, enum, domain, sequence, table,
								 * partition, index */
	char	   *object;			/* its qualified, quoted name */
	const char *action;			/* declared, replaced, unchanged */
} LoadRow;

extern List *load_script(const char *text, bool skip_unsupported, List *live_tables,
						 List *live_objects, List **skipped_kinds);
extern void load_report_skipped(List *kinds);

#endif							/* PROVISION_LOAD_H */
