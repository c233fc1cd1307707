/*-------------------------------------------------------------------------
 *
 * inspect.h
 *	  The shape of a table as the catalogs show it, and the text of its
 *	  columns and foreign keys (inspect.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_INSPECT_H
#define PROVISION_INSPECT_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "model.h"

extern TableShape *inspect_table(Relation rel);
extern void inspect_comments(Oid objoid, Oid classoid,
							 void (*found) (void *arg, int32 subid, char *comment),
							 void *arg);
extern char *render_column_type(const ColumnShape *col);
extern char *render_column(const ColumnShape *col);
extern char *render_constraints(const TableShape *shape);
extern char *fk_signature(List *columns, const char *ref_schema,
						  const char *ref_table, List *ref_columns,
						  char matchtype, char upd_action, char del_action,
						  List *del_set_columns, bool deferrable,
						  bool initdeferred);

#endif							/* PROVISION_INSPECT_H */
