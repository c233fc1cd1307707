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
							   List *steps);
extern void lock_model_names(Model **models, int nmodels, const bool *exists,
							 List *steps);
extern List *creation_plan(Model **models, int nmodels, const int *order,
						   const bool *exists);
extern int *provision_run(Model **models, int nmodels, bool notices,
						  bool *created, int *nschemas, List **executed);

#endif							/* PROVISION_ENGINE_H */
