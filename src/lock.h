/*-------------------------------------------------------------------------
 *
 * lock.h
 *	  Transaction-level locks on the names of objects about to be created
 *	  or changed, and waits for plain DDL in flight (lock.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_LOCK_H
#define PROVISION_LOCK_H

#include "postgres.h"

#include "nodes/pg_list.h"

extern void lock_schema_name(const char *schema);
extern void lock_table_name(const char *schema, const char *table);
extern void lock_table_names(List *names);
extern void unlock_table_names(List *names);
extern void lock_table_names_session(List *names);
extern void unlock_table_names_session(List *names);
extern bool wait_for_uncommitted_schema(const char *schema);
extern bool wait_for_uncommitted_relation(Oid nspid, const char *table);

#endif							/* PROVISION_LOCK_H */
