/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  The selection of models a drift function works on, from its table
 *	  name argument (migrate.c); provision_apply() takes the same.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_MIGRATE_H
#define PROVISION_MIGRATE_H

#include "postgres.h"

#include "fmgr.h"

#include "model.h"

extern void selected_models(FunctionCallInfo fcinfo, int argno, Selection *sel);

#endif							/* PROVISION_MIGRATE_H */
