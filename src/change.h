/*-------------------------------------------------------------------------
 *
 * change.h
 *	  Making the changes drift detection reports (change.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_CHANGE_H
#define PROVISION_CHANGE_H

#include "postgres.h"

#include "ddl.h"
#include "drift.h"

extern Change *make_change(const char *table, const char *kind, const char *object,
						   const char *declared, const char *actual, bool safe);
extern DDLStep *change_step(Change *change, DDLStep *step);
extern Change *comment_change(const char *table, const char *object, const char *declared,
							  const char *actual, DDLStep *step);

#endif							/* PROVISION_CHANGE_H */
