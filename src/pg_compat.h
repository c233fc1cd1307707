/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  The one place where provision bridges PostgreSQL 13 to 17 API
 *	  differences, so that version tests do not leak into the logic.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_PG_COMPAT_H
#define PROVISION_PG_COMPAT_H

#include "postgres.h"

#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/acl.h"

/* object_aclcheck() replaced the per-catalog functions in 16 */
#if PG_VERSION_NUM >= 160000
#define provision_database_aclcheck(dbid, roleid, mode) \
	object_aclcheck(DatabaseRelationId, (dbid), (roleid), (mode))
#define provision_namespace_aclcheck(nspid, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nspid), (roleid), (mode))
#else
#define provision_database_aclcheck(dbid, roleid, mode) \
	pg_database_aclcheck((dbid), (roleid), (mode))
#define provision_namespace_aclcheck(nspid, roleid, mode) \
	pg_namespace_aclcheck((nspid), (roleid), (mode))
#endif

/* raw_parser() grew a mode argument in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_raw_parser(str) raw_parser((str), RAW_PARSE_DEFAULT)
#else
#define provision_raw_parser(str) raw_parser(str)
#endif

/* ProcessUtility() grew readOnlyTree in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_process_utility(pstmt, query, context) \
	ProcessUtility((pstmt), (query), false, (context), NULL, NULL, \
				   None_Receiver, NULL)
#else
#define provision_process_utility(pstmt, query, context) \
	ProcessUtility((pstmt), (query), (context), NULL, NULL, \
				   None_Receiver, NULL)
#endif

/* getIdentitySequence() takes a Relation from 17 on */
#if PG_VERSION_NUM >= 170000
#define provision_identity_sequence(rel, attnum) \
	getIdentitySequence((rel), (attnum), false)
#else
#define provision_identity_sequence(rel, attnum) \
	getIdentitySequence(RelationGetRelid(rel), (attnum), false)
#endif

/* Column storage is a name from 16 on, a char before */
#if PG_VERSION_NUM >= 160000
#define provision_column_has_storage(col) ((col)->storage_name != NULL)
#else
#define provision_column_has_storage(col) ((col)->storage != '\0')
#endif

/*
 * InitMaterializedSRF() arrived in 15; before it, set the tuplestore up by
 * hand.  The executor's expected tuple descriptor serves both row and
 * scalar results.
 */
#if PG_VERSION_NUM >= 150000
#include "funcapi.h"
#define provision_init_materialized_srf(fcinfo) \
	InitMaterializedSRF((fcinfo), MAT_SRF_USE_EXPECTED_DESC)
#else
extern void provision_init_materialized_srf(FunctionCallInfo fcinfo);
#define PROVISION_NEEDS_SRF_SHIM
#endif

#endif							/* PROVISION_PG_COMPAT_H */
