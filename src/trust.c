/*-------------------------------------------------------------------------
 *
 * trust.c
 *	  Whose rights a model's DDL runs with.
 *
 * The rule: every statement built from a model runs as the role that
 * declared the model, in a security-restricted operation, and only for a
 * caller that could SET ROLE to that role itself.  A declarer therefore
 * never acts, through a deploy run by a stronger role, with more than its
 * own rights: a default, check, index expression or type function it
 * wrote runs as the declarer, and objects are created by and owned by the
 * declarer, exactly as if it had run the DDL itself.  And a caller never
 * acts, through a model, as a role it could not become.
 *
 * This is what PostgreSQL's own maintenance commands do with the table
 * owner (VACUUM, ANALYZE, REFRESH MATERIALIZED VIEW, CREATE INDEX switch
 * to it under SECURITY_RESTRICTED_OPERATION), and what pg_cron does with
 * the role that scheduled a job.  The restricted context keeps the
 * declarer's code from changing the session it borrowed (no SET ROLE, no
 * temporary objects, no PREPARE), and search_path is "pg_catalog, pg_temp"
 * throughout, so that no object of the caller's search_path is picked up.
 *
 * An error inside restores the previous user and context by itself:
 * (sub)transaction abort resets both, and the GUC nest level with them.
 *
 *-------------------------------------------------------------------------
 */
#include "trust.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"

#include "pg_compat.h"

/*
 * The OID of role_name, the declarer of the model of table model_name,
 * checked for the current user: the declarer must still exist (42704), and
 * the current user must be able to act as it (42501).
 */
Oid
trust_declarer(const char *role_name, const char *model_name)
{
	Oid			role = get_role_oid(role_name, true);
	Oid			user = GetUserId();

	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" that declared the model of table \"%s\" does not exist",
						role_name, model_name),
				 errdetail("provision runs the DDL of a model as the role that declared it."),
				 errhint("Declare the model again as an existing role.")));
	if (role != user && !provision_can_set_role(user, role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to run the model of table \"%s\"",
						model_name),
				 errdetail("The model was declared by role \"%s\", and provision runs the DDL of a model as the role that declared it; the current role cannot act as that role.",
						   role_name),
				 errhint("Run it as a role that can SET ROLE to \"%s\", or declare the model again as the current role.",
						 role_name)));
	return role;
}

/*
 * Act as role, in a security-restricted operation, until
 * trust_leave(scope); with catalog_path, under search_path
 * "pg_catalog, pg_temp" (stored DDL), else under the session's own
 * (a trial of the caller's own text).
 */
void
trust_enter(Oid role, bool catalog_path, TrustScope *scope)
{
	GetUserIdAndSecContext(&scope->saved_userid, &scope->saved_sec_context);
	SetUserIdAndSecContext(role, scope->saved_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	scope->saved_nestlevel = NewGUCNestLevel();
	if (catalog_path)
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
trust_leave(TrustScope *scope)
{
	AtEOXact_GUC(false, scope->saved_nestlevel);
	SetUserIdAndSecContext(scope->saved_userid, scope->saved_sec_context);
}

/*
 * For a session of its own (a background worker, worker.c): act as role,
 * in a security-restricted operation, under search_path "pg_catalog,
 * pg_temp", for the rest of the session.  A statement run there at top
 * level commits transactions of its own, which would end a GUC nest
 * level; these settings outlive them.
 */
void
trust_enter_session(Oid role)
{
	Oid			userid;
	int			sec_context;

	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	GetUserIdAndSecContext(&userid, &sec_context);
	SetUserIdAndSecContext(role, sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}
