/*-------------------------------------------------------------------------
 *
 * history.h
 *	  The record of every DDL statement provision ran (history.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_HISTORY_H
#define PROVISION_HISTORY_H

#include "postgres.h"

extern void history_record(const char *table_name, const char *statement,
						   const char *executed_by, const char *run_as,
						   bool online);

#endif							/* PROVISION_HISTORY_H */
