/*
 * sanitize_canary.c: proves that test/stress/sanitize.sh's server really
 * catches what AddressSanitizer and UndefinedBehaviorSanitizer find in a
 * module it loads.  Built with the same flags as the sanitized provision
 * build; never part of the extension.
 *
 *   provision_canary_asan()  writes one byte past a malloc'd block
 *   provision_canary_ubsan() shifts an int by more than its width (PostgreSQL
 *                            builds with -fwrapv, so signed overflow is defined)
 *
 * Each one ends the backend that calls it once the sanitizer has reported.
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(provision_canary_asan);
PG_FUNCTION_INFO_V1(provision_canary_ubsan);

Datum
provision_canary_asan(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile char *p = malloc(n);

	p[n] = 'x';					/* heap-buffer-overflow */
	free((void *) p);
	PG_RETURN_INT32(n);
}

Datum
provision_canary_ubsan(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile int v = 1;

	PG_RETURN_INT32(v << n);	/* shift-exponent out of bounds for n >= 32 */
}
