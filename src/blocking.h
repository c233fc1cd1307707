/*-------------------------------------------------------------------------
 *
 * blocking.h
 *	  What a step costs a live table: none, brief, scan or rewrite
 *	  (blocking.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_BLOCKING_H
#define PROVISION_BLOCKING_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "ddl.h"

extern Blocking step_blocking(DDLStep *step);
extern Blocking steps_blocking(List *steps);
extern Blocking transaction_blocking(List *steps, Blocking *each);
extern const char *blocking_name(Blocking blocking);
extern bool raw_expression_is_volatile(Node *expr);
extern bool type_change_rewrites(Relation rel, AttrNumber attnum, Oid typid,
								 int32 typmod, bool explicit_cast);
extern bool type_change_rebuilds_index(Relation rel, AttrNumber attnum, Oid typid,
									   Oid collation);
extern bool not_null_implied(Relation rel, AttrNumber attnum);

#endif							/* PROVISION_BLOCKING_H */
