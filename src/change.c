/*-------------------------------------------------------------------------
 *
 * change.c
 *	  Making the changes drift detection reports: one difference between a
 *	  model and what the catalogs show, with the steps that reconcile it.
 *
 * Shared by the comparison of tables (tablediff.c) and of the other kinds
 * (types.c, sequence.c, index.c, objects.c), so that every change reads
 * the same way whatever it concerns.
 *
 *-------------------------------------------------------------------------
 */
#include "change.h"

/*
 * A change of object (a column, constraint, index, ... of table; or the
 * object itself), with what the model says (declared) and what the catalogs
 * show (actual); NULL for either means none.
 */
Change *
make_change(const char *table, const char *kind, const char *object,
			const char *declared, const char *actual, bool safe)
{
	Change	   *change = palloc0(sizeof(Change));

	change->table = pstrdup(table);
	change->kind = kind;
	change->object = pstrdup(object);
	change->declared = declared ? pstrdup(declared) : NULL;
	change->actual = actual ? pstrdup(actual) : NULL;
	change->safe = safe;
	return change;
}

/* add step to what reconciles change; returns step */
DDLStep *
change_step(Change *change, DDLStep *step)
{
	change->steps = lappend(change->steps, step);
	return step;
}

/*
 * The change of a comment, of any object: missing and different comments
 * are set (safe), an extra one is removed (unsafe: text the model does not
 * have is lost).
 */
Change *
comment_change(const char *table, const char *object, const char *declared,
			   const char *actual, DDLStep *step)
{
	Change	   *change;

	if (strcmp(declared, actual) == 0)
		return NULL;
	change = make_change(table,
						 declared[0] == '\0' ? "comment_extra"
						 : actual[0] == '\0' ? "comment_missing" : "comment_differs",
						 object, declared[0] ? declared : NULL, actual[0] ? actual : NULL,
						 declared[0] != '\0');
	change_step(change, step);
	return change;
}

