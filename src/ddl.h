/*-------------------------------------------------------------------------
 *
 * ddl.h
 *	  The statements provisioning and migration run: what each must be,
 *	  in which phase it runs, and with whose rights (ddl.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_DDL_H
#define PROVISION_DDL_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"

#include "model.h"

/*
 * Phases order the statements of a migration across tables: what is
 * dropped before what is added, columns before the constraints that use
 * them.
 */
typedef enum DDLPhase
{
	PHASE_CREATE,				/* missing schemas, types, sequences, tables */
	PHASE_TYPE,					/* changes of types and sequences */
	PHASE_DROP_CONSTRAINT,
	PHASE_ADD_COLUMN,
	PHASE_ALTER_COLUMN,
	PHASE_DROP_COLUMN,
	PHASE_ADD_CONSTRAINT,
	PHASE_ADD_FOREIGN_KEY,
	PHASE_VALIDATE,
	PHASE_INDEX,				/* indexes dropped, then created */
	PHASE_COMMENT				/* comments, on everything that exists by then */
} DDLPhase;

/* The one statement a step may be; checked again just before it runs */
typedef enum DDLKind
{
	DDL_CREATE_SCHEMA,
	DDL_CREATE_TABLE,
	DDL_ALTER_TABLE,
	DDL_CREATE_SEQUENCE,
	DDL_ALTER_SEQUENCE,
	DDL_DROP_SEQUENCE,
	DDL_RESTART_SEQUENCE,		/* setval() past the column's largest value */
	DDL_CREATE_ENUM,
	DDL_ALTER_ENUM,
	DDL_CREATE_DOMAIN,
	DDL_ALTER_DOMAIN,
	DDL_CREATE_INDEX,
	DDL_DROP_INDEX,
	DDL_COMMENT,
	/* online migrations (online.c) */
	DDL_CREATE_INDEX_CONCURRENTLY,	/* run at top level by a worker (worker.c) */
	DDL_DROP_INDEX_CONCURRENTLY,	/* the same */
	DDL_CREATE_TRIGGER,			/* the shadow column's sync trigger (shadow.c) */
	DDL_DROP_TRIGGER,
	DDL_RENAME_COLUMN,
	DDL_RENAME_INDEX,
	DDL_FILL_DEFAULT			/* UPDATE: a column's NULLs set to its default */
} DDLKind;

/*
 * What a step costs a live table (blocking.c): no lock that blocks reads
 * or writes, a catalog update under a lock held for milliseconds, a read
 * of every row while writes or reads are blocked, or a rewrite of the
 * table and its indexes under ACCESS EXCLUSIVE.
 */
typedef enum Blocking
{
	BLOCKING_UNKNOWN = 0,		/* not classified yet */
	BLOCKING_NONE,
	BLOCKING_BRIEF,
	BLOCKING_SCAN,
	BLOCKING_REWRITE
} Blocking;

#define DDL_MAX_SUBCOMMANDS 2

typedef struct DDLStep
{
	char	   *table;			/* quoted name of the table (or schema) */
	const char *model_name;		/* the model it comes from, for messages */
	int			model;			/* index into the run's models, or -1 */
	DDLPhase	phase;
	char	   *sql;
	int			seq;			/* keeps the order of steps within a phase */
	bool		in_creation;	/* already in a migration's creation steps */

	/* what the statement must be: kind, and the object it names */
	DDLKind		kind;
	const char *target_schema;	/* schema of the object, or the schema itself */
	const char *target_name;	/* table or sequence; NULL for a schema */
	int			nsubcommands;	/* ALTER TABLE: exactly these subcommands */
	AlterTableType subcommands[DDL_MAX_SUBCOMMANDS];
	const char *column;			/* ALTER TABLE: the column each one names */
	const char *object;			/* the trigger a statement names */
	const char *other;			/* a rename's new name; a sync trigger's shadow */

	/* whose rights it runs with: the model's declarer; NULL for the caller */
	const char *run_as;

	const char *schema;			/* set on CREATE SCHEMA steps */
	/* set on dropping a foreign key: the table it references (locked too) */
	const char *ref_schema;
	const char *ref_table;
	/*
	 * DDL_RESTART_SEQUENCE: the table of the column; DDL_CREATE_INDEX (and
	 * CONCURRENTLY): the index's table; CREATE TABLE ... PARTITION OF: the
	 * parent
	 */
	const char *owner_schema;
	const char *owner_table;
	bool		partitioned;	/* CREATE TABLE: with PARTITION BY */
	char		domain_subtype; /* DDL_ALTER_DOMAIN: AlterDomainStmt.subtype */
	ObjectType	comment_on;		/* DDL_COMMENT: what it is on */

	Blocking	blocking;		/* set by the online plan; else see blocking.c */
} DDLStep;

extern int	provision_lock_timeout;

extern DDLStep *make_step(const char *table, int model, DDLPhase phase,
						  DDLKind kind, char *sql);
extern DDLStep *make_alter_table_step(const Model *model, int m, DDLPhase phase,
									  AlterTableType subtype, const char *column,
									  char *sql);
extern DDLStep *make_alter_table_stepf(const Model *model, int m, DDLPhase phase,
									   AlterTableType subtype, const char *column,
									   const char *fmt,...) pg_attribute_printf(6, 7);
extern DDLStep *make_table_step(const Model *model, int m, DDLPhase phase, DDLKind kind,
								const char *object, const char *other, const char *column,
								char *sql);
extern DDLStep *make_index_step(const Model *model, int m, DDLPhase phase, DDLKind kind,
								const char *index, const char *other, char *sql);
extern void run_step(const DDLStep *step, List **executed);
extern List *parse_steps(List *steps);
extern void run_parsed_step(const DDLStep *step, RawStmt *raw, List **executed);
extern void run_online_step(const DDLStep *step);
extern void run_top_level_step(const DDLStep *step);
extern void check_step_statement(const DDLStep *step);
extern RawStmt *checked_step_statement(const DDLStep *step);
extern void check_steps_runnable(List *steps);

extern DDLStep *ddl_create_schema(const char *schema, const char *owner,
								  const char *run_as, const char *model_name);
extern const char **partition_own_defaults(const Model *model, const TableShape *shape);
extern bool *partition_own_not_null(const Model *model, const TableShape *shape);
extern char *render_partition_elements(const Model *model);
extern DDLStep *ddl_create_table(const Model *model, int m, const bool *inline_fkeys);
extern DDLStep *ddl_add_foreign_key(const Model *model, int m, int fkey);
extern DDLStep *ddl_object_step(DDLKind kind, DDLPhase phase, const char *schema,
								const char *name, const char *model_name,
								const char *run_as, char *sql);
extern DDLStep *ddl_comment(ObjectType on, const char *schema, const char *name,
							const char *column, const char *comment,
							const char *model_name, const char *run_as);

#endif							/* PROVISION_DDL_H */
