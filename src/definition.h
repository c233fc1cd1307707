/*-------------------------------------------------------------------------
 *
 * definition.h
 *	  Validating a table definition and normalizing it into a model
 *	  (definition.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_DEFINITION_H
#define PROVISION_DEFINITION_H

#include "postgres.h"

#include "model.h"

extern Model *model_from_definition(const char *schema, const char *table,
									const char *definition, const TableShape *live);
extern Model *model_from_table(const char *schema, const char *table);

#endif							/* PROVISION_DEFINITION_H */
