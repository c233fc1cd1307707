/*-------------------------------------------------------------------------
 *
 * dump.h
 *	  Models written as one DDL script (dump.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_DUMP_H
#define PROVISION_DUMP_H

#include "postgres.h"

#include "model.h"

extern char *write_script(const Selection *sel);

#endif							/* PROVISION_DUMP_H */
