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

#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "access/table.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/relcache.h"
#include "utils/regproc.h"
#include "utils/varlena.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#if PG_VERSION_NUM < 140000
#include "access/relation.h"
#endif

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

/*
 * Whether member may SET ROLE to role: from 16 on a grant can allow
 * membership without SET; before, membership was enough.
 */
#if PG_VERSION_NUM >= 160000
#define provision_can_set_role(member, role) member_can_set_role((member), (role))
#else
#define provision_can_set_role(member, role) is_member_of_role((member), (role))
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

/* pg_md5_hash() reports why it failed from 14 on */
#if PG_VERSION_NUM >= 140000
#define provision_md5_hash(buf, len, hex, errstr) pg_md5_hash((buf), (len), (hex), (errstr))
#else
#define provision_md5_hash(buf, len, hex, errstr) \
	((void) (errstr), pg_md5_hash((buf), (len), (hex)))
#endif

/* DefineIndex() grew total_parts in 16 */
#if PG_VERSION_NUM >= 160000
#define provision_define_index(relid, stmt, is_alter_table, skip_build) \
	DefineIndex((relid), (stmt), InvalidOid, InvalidOid, InvalidOid, -1, \
				(is_alter_table), true, true, (skip_build), false)
#else
#define provision_define_index(relid, stmt, is_alter_table, skip_build) \
	DefineIndex((relid), (stmt), InvalidOid, InvalidOid, InvalidOid, \
				(is_alter_table), true, true, (skip_build), false)
#endif

/* getIdentitySequence() takes a Relation from 17 on */
#if PG_VERSION_NUM >= 170000
#define provision_identity_sequence(rel, attnum) \
	getIdentitySequence((rel), (attnum), false)
#else
#define provision_identity_sequence(rel, attnum) \
	getIdentitySequence(RelationGetRelid(rel), (attnum), false)
#endif

/* RelationGetPrimaryKeyIndex() takes deferrable_ok from 18 on */
#if PG_VERSION_NUM >= 180000
#define provision_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define provision_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/*
 * Whether PostgreSQL attaches a partition's equivalent foreign key to its
 * parent's when that one is NOT VALID too: from 18 on (NOT VALID foreign
 * keys on partitioned tables), validating it; before, only a validated
 * one, and a NOT VALID one stays the partition's own next to a clone of
 * the parent's (sql/partition_fk_not_valid shows both).
 */
#if PG_VERSION_NUM >= 180000
#define PROVISION_FK_ATTACHES_NOT_VALID true
#else
#define PROVISION_FK_ATTACHES_NOT_VALID false
#endif

/* ColumnDef.compression arrived in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_column_compression(col) ((col)->compression)
#else
#define provision_column_compression(col) ((char *) NULL)
#endif

/* AlterTableStmt.relkind was renamed objtype in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_alter_table_objtype(stmt) ((stmt)->objtype)
#else
#define provision_alter_table_objtype(stmt) ((stmt)->relkind)
#endif

/* nextval()'s fmgr OID macro lost its _OID suffix in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_f_nextval F_NEXTVAL
#else
#define provision_f_nextval F_NEXTVAL_OID
#endif

/* The pg_constraint index on conrelid moved to pg_constraint.h in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_constraint_relid_index ConstraintRelidTypidNameIndexId
#else
#include "catalog/indexing.h"
#define provision_constraint_relid_index ConstraintRelidTypidNameIndexId
#endif

/* try_table_open() arrived in 14; try_relation_open() serves before */
#if PG_VERSION_NUM >= 140000
#define provision_try_table_open(relid, lockmode) try_table_open((relid), (lockmode))
#else
#define provision_try_table_open(relid, lockmode) try_relation_open((relid), (lockmode))
#endif

/*
 * A type name to its OID and typmod; InvalidOid when there is no such
 * type.  From 16 on parseTypeString() reports through an error context
 * instead of missing_ok.
 */
static inline void
provision_parse_type_string(const char *str, Oid *typid, int32 *typmod)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {.type = T_ErrorSaveContext};

	if (!parseTypeString(str, typid, typmod, (Node *) &escontext))
		*typid = InvalidOid;
#else
	parseTypeString(str, typid, typmod, true);
#endif
}

/* getObjectDescription() grew missing_ok in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_object_description(address) getObjectDescription((address), false)
#else
#define provision_object_description(address) getObjectDescription(address)
#endif

/* ON DELETE SET NULL/DEFAULT (columns) arrived in 15 */
#if PG_VERSION_NUM >= 150000
#define provision_fk_del_set_cols(con) ((con)->fk_del_set_cols)
#define provision_has_confdelsetcols 1
#define provision_anum_confdelsetcols Anum_pg_constraint_confdelsetcols
#else
#define provision_fk_del_set_cols(con) ((List *) NIL)
#define provision_has_confdelsetcols 0
#define provision_anum_confdelsetcols 0
#endif

/* MarkGUCPrefixReserved() replaced EmitWarningsOnPlaceholders() in 15 */
#if PG_VERSION_NUM >= 150000
#define provision_mark_guc_prefix_reserved(prefix) MarkGUCPrefixReserved(prefix)
#else
#define provision_mark_guc_prefix_reserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* get_partition_parent() grew even_if_detached in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_partition_parent(relid) get_partition_parent((relid), false)
#else
#define provision_partition_parent(relid) get_partition_parent(relid)
#endif

/* A_Const holds a union from 15 on, a Value before; isnull arrived with it */
#if PG_VERSION_NUM >= 150000
#define provision_a_const_str(c) \
	((!(c)->isnull && IsA(&(c)->val, String)) ? strVal(&(c)->val) : (char *) NULL)
#define provision_a_const_set_str(c, s) ((c)->val.sval.sval = (s))
#else
#define provision_a_const_str(c) \
	((c)->val.type == T_String ? (c)->val.val.str : (char *) NULL)
#define provision_a_const_set_str(c, s) ((c)->val.val.str = (s))
#endif

/* stringToQualifiedNameList() grew an error context in 16 */
#if PG_VERSION_NUM >= 160000
#define provision_string_to_qualified_name_list(s) stringToQualifiedNameList((s), NULL)
#else
#define provision_string_to_qualified_name_list(s) stringToQualifiedNameList(s)
#endif

/*
 * 18 replaced the trailing pg_attribute_noreturn() by a leading pg_noreturn;
 * the trailing form, where the compiler has it, serves every version.
 */
#ifndef pg_attribute_noreturn
#if defined(__GNUC__) || defined(__SUNPRO_C)
#define pg_attribute_noreturn() __attribute__((noreturn))
#else
#define pg_attribute_noreturn()
#endif
#endif

/*
 * The pg_attrdef OID of the generation expression behind pg_depend row dep
 * when the row says that a generated column reads a column, else
 * InvalidOid.  From 15 on the expression depends on the column it reads
 * (normal); before, 13 at least records the generated column itself as
 * depending on it (auto), so both forms are taken there.
 */
#include "access/genam.h"
#include "catalog/dependency.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "utils/fmgroids.h"
static inline Oid
provision_generation_expression(Form_pg_depend dep)
{
	if (dep->classid == AttrDefaultRelationId && dep->deptype == DEPENDENCY_NORMAL)
		return dep->objid;
#if PG_VERSION_NUM < 150000
	if (dep->classid == RelationRelationId && dep->objsubid != 0 &&
		dep->deptype == DEPENDENCY_AUTO)
	{
		Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tuple;
		Oid			result = InvalidOid;

		ScanKeyInit(&key[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(dep->objid));
		ScanKeyInit(&key[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber, F_INT2EQ,
					Int16GetDatum((int16) dep->objsubid));
		scan = systable_beginscan(rel, AttrDefaultIndexId, true, NULL, 2, key);
		if (HeapTupleIsValid(tuple = systable_getnext(scan)))
			result = ((Form_pg_attrdef) GETSTRUCT(tuple))->oid;
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		return result;
	}
#endif
	return InvalidOid;
}

/* A_Const.isnull arrived in 15; before, a NULL constant was a T_Null value */
#if PG_VERSION_NUM >= 150000
#define provision_a_const_isnull(c) ((c)->isnull)
#else
#define provision_a_const_isnull(c) ((c)->val.type == T_Null)
#endif

/* IsBackgroundWorker gave way to AmBackgroundWorkerProcess() in 17 */
#if PG_VERSION_NUM >= 170000
#define provision_is_background_worker() AmBackgroundWorkerProcess()
#else
#define provision_is_background_worker() IsBackgroundWorker
#endif

/* HASH_STRINGS arrived in 14; before, string keys were the default */
#if PG_VERSION_NUM < 140000
#define HASH_STRINGS 0
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

/* CREATE OR REPLACE TRIGGER arrived in 14 */
#if PG_VERSION_NUM >= 140000
#define provision_trigger_replace(stmt) ((stmt)->replace)
#else
#define provision_trigger_replace(stmt) false
#endif

/*
 * The functions of a name, whatever their arguments: FuncnameGetCandidates()
 * grew include_out_arguments in 14
 */
#if PG_VERSION_NUM >= 140000
#define provision_functions_named(names) \
	FuncnameGetCandidates((names), -1, NIL, false, false, false, true)
#else
#define provision_functions_named(names) \
	FuncnameGetCandidates((names), -1, NIL, false, false, true)
#endif

/*
 * A batch of a table's pages in a WHERE clause, given the first page and
 * the page past the last: a TID range scan from 14 on; before, the TIDs of
 * those pages listed (a TID scan over them).
 */
#if PG_VERSION_NUM >= 140000
#define PROVISION_PAGE_RANGE_QUAL \
	"ctid OPERATOR(pg_catalog.>=) '(%u,0)'::pg_catalog.tid" \
	" AND ctid OPERATOR(pg_catalog.<) '(%u,0)'::pg_catalog.tid"
#else
#define PROVISION_PAGE_RANGE_QUAL \
	"ctid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.format('(%%s,%%s)', p, i)::pg_catalog.tid" \
	" FROM pg_catalog.generate_series(%u::pg_catalog.int8, %u::pg_catalog.int8 - 1) p," \
	" pg_catalog.generate_series(1, 291) i))"
#endif

/* UNIQUE NULLS NOT DISTINCT arrived in 15 */
#if PG_VERSION_NUM >= 150000
#define provision_index_nulls_not_distinct(index) ((index)->indnullsnotdistinct)
#define provision_constraint_nulls_not_distinct(con) ((con)->nulls_not_distinct)
#else
#define provision_index_nulls_not_distinct(index) false
#define provision_constraint_nulls_not_distinct(con) false
#endif

/* a random number in [0, 1): pg_prng arrived in 15 */
#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#define provision_random_fraction() pg_prng_double(&pg_global_prng_state)
#else
#define provision_random_fraction() ((double) random() / ((double) MAX_RANDOM_VALUE + 1))
#endif

#endif							/* PROVISION_PG_COMPAT_H */
