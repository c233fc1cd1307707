/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  The one place where provision bridges PostgreSQL 13 to 18 API
 *	  differences, so that version tests do not leak into the logic: no .c
 *	  file tests PG_VERSION_NUM.
 *
 *	  Two kinds of shim live here.  A function or symbol that older servers
 *	  lack is supplied under its upstream name (try_table_open, F_NEXTVAL),
 *	  so call sites read as current PostgreSQL.  Where the signature or the
 *	  struct differs, a provision_ macro hides the difference.
 *
 *	  Tested on 13, 15, 17 and 18 (make matrix); 14 and 16 are in no Debian
 *	  release the matrix can reach, so the 14 and 16 branches below are
 *	  written from the upstream sources but never compiled here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_PG_COMPAT_H
#define PROVISION_PG_COMPAT_H

#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/relcache.h"

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

/*
 * 13 lacks try_table_open() (14); it is try_relation_open() refusing what
 * table_open() refuses.
 */
#if PG_VERSION_NUM < 140000
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "utils/rel.h"

static inline Relation
try_table_open(Oid relationId, LOCKMODE lockmode)
{
	Relation	r = try_relation_open(relationId, lockmode);

	if (r == NULL)
		return NULL;
	if (r->rd_rel->relkind == RELKIND_INDEX ||
		r->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is an index", RelationGetRelationName(r))));
	if (r->rd_rel->relkind == RELKIND_COMPOSITE_TYPE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a composite type", RelationGetRelationName(r))));
	return r;
}
#endif

/* fmgroids.h names nextval(regclass) F_NEXTVAL from 14 on, F_NEXTVAL_OID before */
#if PG_VERSION_NUM < 140000
#include "utils/fmgroids.h"
#define F_NEXTVAL F_NEXTVAL_OID
#endif

/* the pg_constraint index macros moved from catalog/indexing.h in 14 */
#if PG_VERSION_NUM < 140000
#include "catalog/indexing.h"
#endif

/* per-column COMPRESSION arrived in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_column_has_compression(col) ((col)->compression != NULL)
#else
#define provision_column_has_compression(col) ((void) (col), false)
#endif

/*
 * ON DELETE SET NULL/SET DEFAULT (columns) arrived in 15: the parse node's
 * list and pg_constraint.confdelsetcols.  Before, there are none.
 */
#if PG_VERSION_NUM >= 150000
#define provision_fk_del_set_cols(con) ((con)->fk_del_set_cols)
#define provision_confdelsetcols(tuple, desc, isnull) \
	heap_getattr((tuple), Anum_pg_constraint_confdelsetcols, (desc), (isnull))
#else
#define provision_fk_del_set_cols(con) ((void) (con), NIL)
#define provision_confdelsetcols(tuple, desc, isnull) \
	((void) (tuple), (void) (desc), *(isnull) = true, (Datum) 0)
#endif

/* MarkGUCPrefixReserved() replaced EmitWarningsOnPlaceholders() in 15 */
#if PG_VERSION_NUM >= 150000
#define provision_reserve_guc_prefix(prefix) MarkGUCPrefixReserved(prefix)
#else
#define provision_reserve_guc_prefix(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* RelationGetPrimaryKeyIndex() grew deferrable_ok in 18 */
#if PG_VERSION_NUM >= 180000
#define provision_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define provision_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

#endif							/* PROVISION_PG_COMPAT_H */
