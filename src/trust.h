/*-------------------------------------------------------------------------
 *
 * trust.h
 *	  Whose rights a model's DDL runs with (trust.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_TRUST_H
#define PROVISION_TRUST_H

#include "postgres.h"

/* what trust_enter() changed, for trust_leave() */
typedef struct TrustScope
{
	Oid			saved_userid;
	int			saved_sec_context;
	int			saved_nestlevel;
} TrustScope;

extern Oid	trust_declarer(const char *role_name, const char *model_name);
extern void trust_enter(Oid role, bool catalog_path, TrustScope *scope);
extern void trust_leave(TrustScope *scope);
extern void trust_enter_session(Oid role);

#endif							/* PROVISION_TRUST_H */
