/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Existence checks through the catalog caches, the read-only guard and
 *	  the catalog search path (catalog.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_CATALOG_H
#define PROVISION_CATALOG_H

#include "postgres.h"

extern Oid	lookup_schema(const char *schema);
extern Oid	lookup_table(Oid nspid, const char *schema, const char *table);
extern void check_writable(const char *funcname);
extern int	catalog_search_path_push(void);
extern void catalog_search_path_pop(int save_nestlevel);

#endif							/* PROVISION_CATALOG_H */
