/*-------------------------------------------------------------------------
 *
 * order.h
 *	  Foreign-key dependency order of models (order.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_ORDER_H
#define PROVISION_ORDER_H

#include "postgres.h"

#include "model.h"

extern int	model_index(Model **models, int nmodels, const char *schema,
						const char *table);
extern int *model_dependency_order(Model **models, int nmodels);

#endif							/* PROVISION_ORDER_H */
