/*-------------------------------------------------------------------------
 *
 * name.h
 *	  Name arguments parsed as SQL identifiers, where unqualified names go,
 *	  and how names are shown (name.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_NAME_H
#define PROVISION_NAME_H

#include "postgres.h"

extern char *parse_schema_name(const char *input);
extern void parse_table_name(const char *input, char **schema, char **table);
extern char *creation_schema_name(void);
extern void reject_temporary_schema(const char *schema);
extern void reject_unmodelable_schema(const char *schema);
extern char *display_name(const char *schema, const char *table);
extern char *quoted_name(const char *schema, const char *table);

#endif							/* PROVISION_NAME_H */
