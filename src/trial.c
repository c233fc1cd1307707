/*-------------------------------------------------------------------------
 *
 * trial.c
 *	  Trials: DDL run for real inside a subtransaction that is always
 *	  rolled back, so that the server itself validates a declaration and
 *	  shows, in its catalogs, what the declaration makes.
 *
 * A trial creates its objects in scratch schemas of its own, made for the
 * trial and gone with it: nothing the session or the database already has
 * can clash with a trial object's name (not even the session's temporary
 * tables), generated names come out as they would in the real schema, the
 * transaction stays preparable (nothing temporary is touched), and no
 * TEMPORARY privilege is needed.  A scratch schema is created by the
 * registry's owner and owned by the declaring role; the declaration itself
 * runs as the declaring role, in a security-restricted operation
 * (trust.c), with no more rights than that role has anyway.  Event
 * triggers do not see a trial: it runs as a subcommand.
 *
 *-------------------------------------------------------------------------
 */
#include "trial.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_utilcmd.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "pg_compat.h"
#include "registry.h"
#include "trust.h"

/* scratch schemas made in this backend, for unique names */
static uint32 scratch_counter = 0;

static void
run_subcommand(Node *stmt, const char *sql, int location, int len)
{
	PlannedStmt *pstmt = makeNode(PlannedStmt);

	pstmt->commandType = CMD_UTILITY;
	pstmt->canSetTag = false;
	pstmt->utilityStmt = stmt;
	pstmt->stmt_location = location;
	pstmt->stmt_len = len;
	provision_process_utility(pstmt, sql, PROCESS_UTILITY_SUBCOMMAND);
	CommandCounterIncrement();
}

/*
 * A new, empty schema for trial objects, owned by the current role.  Only
 * inside trial_run().
 */
char *
trial_schema(void)
{
	CreateSchemaStmt *stmt = makeNode(CreateSchemaStmt);
	RoleSpec   *owner = makeNode(RoleSpec);
	Oid			declarer = GetUserId();
	TrustScope	scope;
	char	   *sql;

	stmt->schemaname = psprintf("provision_trial_%d_%u", MyProcPid, ++scratch_counter);
	owner->roletype = ROLESPEC_CSTRING;
	owner->rolename = GetUserNameFromId(declarer, false);
	owner->location = -1;
	stmt->authrole = owner;
	sql = psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
				   quote_identifier(stmt->schemaname), quote_identifier(owner->rolename));

	trust_enter(registry_owner(), true, &scope);
	run_subcommand((Node *) stmt, sql, 0, 0);
	trust_leave(&scope);
	return stmt->schemaname;
}

/*
 * CREATE INDEX in a trial, the way ProcessUtility runs it but not built:
 * a trial's tables are empty and rolled back, and everything CREATE INDEX
 * checks (rights, columns, expressions, operator classes, predicates) is
 * checked before the build.  A schema file of a thousand indexes is
 * loaded that much faster.
 */
static void
trial_define_index(IndexStmt *stmt, const char *sql)
{
	Oid			relid;
	bool		is_alter_table = stmt->transformed;

	Assert(!stmt->concurrent);
	relid = RangeVarGetRelidExtended(stmt->relation, ShareLock, 0,
									 RangeVarCallbackOwnsRelation, NULL);
	/* a partitioned table's index recurses: its partitions locked first */
	if (stmt->relation->inh && get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		list_free(find_all_inheritors(relid, ShareLock, NULL));
	stmt = transformIndexStmt(relid, stmt, sql);
	(void) provision_define_index(relid, stmt, is_alter_table, true);
	CommandCounterIncrement();
}

/*
 * CREATE TABLE in a trial, the way ProcessUtility runs it (transformCreateStmt,
 * then each resulting statement) but with no TOAST table and with its key
 * indexes not built: a trial reads neither, and a TOAST table is a
 * relation and an index more to create and unlink for each table, about a
 * fifth of a trial's work on a schema file.  With storage options (which
 * may name TOAST options) the statement runs as ProcessUtility runs it.
 */
static void
trial_create_table(CreateStmt *stmt, const char *sql, int location, int len)
{
	List	   *stmts;
	RangeVar   *table_rv = NULL;

	if (stmt->options != NIL)
	{
		run_subcommand((Node *) stmt, sql, location, len);
		return;
	}
	stmts = transformCreateStmt(stmt, sql);
	while (stmts != NIL)
	{
		Node	   *sub = linitial(stmts);

		stmts = list_delete_first(stmts);
		if (IsA(sub, CreateStmt))
		{
			table_rv = ((CreateStmt *) sub)->relation;
			(void) DefineRelation((CreateStmt *) sub, RELKIND_RELATION, InvalidOid, NULL, sql);
			CommandCounterIncrement();
		}
		else if (IsA(sub, TableLikeClause))
		{
			Assert(table_rv != NULL);
			stmts = list_concat(expandTableLikeClause(table_rv, (TableLikeClause *) sub), stmts);
		}
		else if (IsA(sub, IndexStmt) && !((IndexStmt *) sub)->concurrent)
			trial_define_index((IndexStmt *) sub, sql);
		else
			run_subcommand(sub, sql, location, len);
	}
}

/* whether relid has a column of that name, and it is NOT NULL */
static bool
column_is_not_null(Oid relid, const char *name)
{
	HeapTuple	att = SearchSysCacheAttName(relid, name);
	bool		not_null;

	if (!HeapTupleIsValid(att))
		return false;
	not_null = ((Form_pg_attribute) GETSTRUCT(att))->attnotnull;
	ReleaseSysCache(att);
	return not_null;
}

/*
 * ALTER TABLE ... ADD CONSTRAINT of primary keys, unique and exclusion
 * constraints in a trial (what pg_dump writes for every key), the way
 * ALTER TABLE runs them but with their indexes not built and no TOAST
 * table: ALTER TABLE makes the TOAST table that trial_create_table() left
 * out, which with the index build was most of the statement's work.  Only
 * for a plain table with no partitions or inheritance children, and only
 * when ALTER TABLE would do nothing but create the indexes (the key's
 * columns already NOT NULL); otherwise false, and nothing was done.
 */
static bool
trial_add_key_constraints(AlterTableStmt *stmt, const char *sql)
{
	Oid			relid;
	List	   *before = NIL;
	List	   *after = NIL;
	AlterTableStmt *transformed;
	ListCell   *lc;

	if (provision_alter_table_objtype(stmt) != OBJECT_TABLE)
		return false;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		Constraint *con = (Constraint *) cmd->def;

		if (cmd->subtype != AT_AddConstraint || !IsA(con, Constraint) ||
			(con->contype != CONSTR_PRIMARY && con->contype != CONSTR_UNIQUE &&
			 con->contype != CONSTR_EXCLUSION) ||
			con->indexname != NULL)
			return false;
	}

	/* locked as ALTER TABLE locks it, before it is looked at */
	relid = RangeVarGetRelidExtended(stmt->relation, AccessExclusiveLock,
									 stmt->missing_ok ? RVR_MISSING_OK : 0,
									 RangeVarCallbackOwnsRelation, NULL);
	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION ||
		get_rel_relispartition(relid) || has_subclass(relid))
		return false;

	/* on a copy: 18 changes the statement it transforms, which may yet run */
	transformed = transformAlterTableStmt(relid, copyObject(stmt), sql, &before, &after);
	if (before != NIL || after != NIL)
		return false;
	foreach(lc, transformed->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddIndex)
		{
			IndexStmt  *index = castNode(IndexStmt, cmd->def);
			ListCell   *ec;

			/*
			 * A primary key's columns must be NOT NULL already: ALTER TABLE
			 * would make them so (before 18 through SET NOT NULL commands
			 * of the transformed statement, checked below; from 18 on in
			 * its own preparation).
			 */
			if (!index->primary)
				continue;
			foreach(ec, index->indexParams)
			{
				IndexElem  *elem = lfirst_node(IndexElem, ec);

				if (elem->name == NULL || !column_is_not_null(relid, elem->name))
					return false;
			}
			continue;
		}
		/* a key column's SET NOT NULL: nothing to do when it is NOT NULL */
		if (cmd->subtype != AT_SetNotNull || !column_is_not_null(relid, cmd->name))
			return false;
	}
	foreach(lc, transformed->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddIndex)
			trial_define_index(castNode(IndexStmt, cmd->def), sql);
	}
	return true;
}

/*
 * Run one parsed statement of a trial as the current role, restricted.
 * Only inside trial_run().
 */
void
trial_utility(Node *stmt, const char *sql, int location, int len)
{
	TrustScope	scope;

	trust_enter(GetUserId(), false, &scope);
	if (IsA(stmt, IndexStmt) && !((IndexStmt *) stmt)->concurrent)
		trial_define_index((IndexStmt *) stmt, sql);
	else if (IsA(stmt, CreateStmt))
		trial_create_table((CreateStmt *) stmt, sql, location, len);
	else if (IsA(stmt, AlterTableStmt) &&
			 trial_add_key_constraints((AlterTableStmt *) stmt, sql))
		;
	else
		run_subcommand(stmt, sql, location, len);
	trust_leave(&scope);
}

/*
 * Run body(arg) in a subtransaction that is rolled back whether it
 * succeeds or fails; an error inside is raised again outside.  What body
 * allocates in the caller's memory context survives.
 */
void
trial_run(void (*body) (void *arg), void *arg)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);

	PG_TRY();
	{
		/* a trial's tables are empty: no parallel builds planned (undone with the subtransaction) */
		(void) set_config_option("max_parallel_maintenance_workers", "0", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		body(arg);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		ReThrowError(edata);
	}
	PG_END_TRY();
}
