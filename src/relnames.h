/*-------------------------------------------------------------------------
 *
 * relnames.h
 *	  The relation names models make, checked when they are declared
 *	  (relnames.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_RELNAMES_H
#define PROVISION_RELNAMES_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "model.h"

extern void check_relation_names(List *tables, List *objects);

#endif							/* PROVISION_RELNAMES_H */
