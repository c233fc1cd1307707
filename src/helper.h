/*-------------------------------------------------------------------------
 *
 * helper.h
 *	  The objects an online migration keeps on a table while it works:
 *	  their names, finding them, and reporting them as drift (helper.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_HELPER_H
#define PROVISION_HELPER_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "ddl.h"
#include "model.h"

typedef enum HelperKind
{
	HELPER_NOT_NULL,			/* CHECK (col IS NOT NULL): SET NOT NULL without a scan */
	HELPER_FILL,				/* a trigger on a column whose NULLs still get its default */
	HELPER_SHADOW,				/* a column of the new type, kept in sync by a trigger */
	HELPER_INDEX				/* an index built concurrently, not yet in place */
} HelperKind;

typedef struct Helper
{
	HelperKind	kind;
	char	   *name;			/* the constraint, shadow column, index or
								 * (FILL) trigger */
	char	   *column;			/* the column it serves (SHADOW: its source) */
	char	   *trigger;		/* SHADOW, FILL: the trigger */
	bool		exists;			/* SHADOW: the shadow column is there; FILL: the
								 * column is */
	bool		valid;			/* NOT_NULL: validated; INDEX: valid and ready */
	Oid			oid;			/* INDEX: the index */
	char	   *def;			/* the constraint's or index's definition */
} Helper;

extern char *helper_not_null_name(const char *table, const char *column);
extern char *helper_fill_name(const char *table, const char *column);
extern char *helper_shadow_name(const char *column);
extern char *helper_trigger_name(const char *table, const char *column);
extern char *helper_index_name(const char *name);
extern Oid	helper_function(const char *name);

extern List *find_helpers(Relation rel, const TableShape *actual);
extern Helper *helper_of(List *helpers, HelperKind kind, const char *column);
extern Helper *helper_named(List *helpers, HelperKind kind, const char *name);
extern bool is_helper_column(List *helpers, const char *name);
extern bool helper_index_oid(List *helpers, Oid indexoid);
extern bool is_helper_constraint(List *helpers, const char *name);
extern List *helper_changes(const Model *model, int m, Relation rel, List *helpers);
extern DDLStep *helper_drop_trigger_step(const Model *model, int m, DDLPhase phase,
										 const char *trigger);
extern List *helper_cleanup_steps(const Model *model, int m, Relation rel,
								  const Helper *helper);

#endif							/* PROVISION_HELPER_H */
