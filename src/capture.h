/*-------------------------------------------------------------------------
 *
 * capture.h
 *	  Live objects declared as models (capture.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_CAPTURE_H
#define PROVISION_CAPTURE_H

#include "postgres.h"

#include "nodes/pg_list.h"

extern List *capture_table(const char *schema, const char *table);
extern List *capture_schema(const char *schema);

#endif							/* PROVISION_CAPTURE_H */
