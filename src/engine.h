/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The provisioning run: existence, name locks in one order, the
 *	  creation plan and its execution (engine.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_ENGINE_H
#define PROVISION_ENGINE_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "model.h"

extern bool provision_one_schema(const char *schema, const char *owner);
extern void report_schema(const char *schema, bool created);
extern void check_model_names(const Model *model);
extern int	find_existing(Model **models, int nmodels, bool *exists);
extern List *model_table_names(Model **models, int nmodels, const bool *exists,
							   List *steps, ObjectModel **objects, int nobjects,
							   const bool *obj_exists);
extern void lock_model_names(Model **models, int nmodels, const bool *exists,
							 List *steps, ObjectModel **objects, int nobjects,
							 const bool *obj_exists);
extern int	find_existing_objects(ObjectModel **objects, int nobjects, bool *exists);
extern List *creation_plan(const Selection *sel, const int *order, const bool *exists,
						   const bool *obj_exists);
extern List *table_comment_steps(const Model *model);
extern int *provision_run(const Selection *sel, bool notices, bool *created,
						  bool *obj_created, int *nschemas, List **executed);

#endif							/* PROVISION_ENGINE_H */
