/*-------------------------------------------------------------------------
 *
 * loadcache.h
 *	  A script loaded again unchanged is not tried again (loadcache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_LOADCACHE_H
#define PROVISION_LOADCACHE_H

#include "postgres.h"

#include "nodes/pg_list.h"

extern char *load_digest(const char *text, bool skip_unsupported);
extern bool load_cache_hit(const char *digest, List **rows, List **skipped_kinds);
extern void load_cache_remember(const char *digest, List *rows, List *skipped_kinds);

#endif							/* PROVISION_LOADCACHE_H */
