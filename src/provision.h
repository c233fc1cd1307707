/*-------------------------------------------------------------------------
 *
 * provision.h
 *	  Declarations shared by the files of the provision extension.
 *
 * A model is a declared table: its schema and name, the normalized body of
 * its CREATE TABLE (columns and every constraint but foreign keys), and its
 * foreign keys kept apart with their referenced tables, so that
 * provision_all() can order tables by dependency and close cycles with
 * ALTER TABLE once every table of the cycle exists.
 *
 * Which file owns what:
 *	  provision.c	SQL-callable functions and the provisioning run
 *	  name.c		parsing name arguments as SQL identifiers
 *	  registry.c	the model registry table (reads, writes, the declare right)
 *	  definition.c	validating a definition and normalizing it into a model
 *	  catalog.c		existence checks through the catalog caches
 *	  inspect.c		the shape of a table as the catalogs show it
 *	  ddl.c			building and running DDL
 *	  history.c		the record of every statement run
 *	  lock.c		transaction-level locks on object names
 *	  order.c		foreign-key dependency order of models
 *	  drift.c		comparing a model with its live table
 *	  migrate.c		diff, plan, migrate and capture
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_H
#define PROVISION_H

#include "postgres.h"

#include "pg_compat.h"
#include "utils/acl.h"
#include "utils/relcache.h"

/* One column as the catalogs describe it (see inspect.c) */
typedef struct ColumnShape
{
	char	   *name;
	Oid			type;
	int32		typmod;
	char	   *collation;		/* non-default collation, or "" */
	bool		notnull;
	char	   *default_expr;	/* default or generation expression, or "" */
	char		identity;		/* '\0', 'a' (ALWAYS) or 'd' (BY DEFAULT) */
	char		generated;		/* '\0' or 's' (STORED) */
	char	   *identity_options;	/* " (START WITH 10)" or "" */
	char	   *serial;			/* "serial", "bigserial", "smallserial" or "" */
} ColumnShape;

/* One constraint: its name and its definition without the name */
typedef struct ConstraintShape
{
	char	   *name;
	char		contype;		/* p, u, x, c or f */
	char	   *def;			/* pg_get_constraintdef() or fk_signature() */
	bool		explicit_name;	/* declared models: the user chose the name */
	/* foreign keys of live tables only */
	char	   *ref_schema;
	char	   *ref_table;
	char	   *def_without_ref_columns;
} ConstraintShape;

typedef struct TableShape
{
	int			ncolumns;
	ColumnShape *columns;
	int			nconstraints;
	ConstraintShape *constraints;	/* sorted: p, u, x, c, f; then by name */
} TableShape;

typedef struct ForeignKeyDef
{
	char	   *name;			/* the name the user chose, or "" */
	char	   *signature;		/* fk_signature(): all but the name */
	char	   *clause;			/* "[CONSTRAINT name] signature" */
	char	   *ref_schema;		/* referenced table, resolved at define time */
	char	   *ref_table;
} ForeignKeyDef;

typedef struct Model
{
	char	   *schema;
	char	   *table;
	char	   *body;			/* columns and non-foreign-key constraints */
	int			nfkeys;
	ForeignKeyDef *fkeys;
	char	   *definition;		/* body and foreign keys: what users read */
	TableShape *shape;			/* declared columns and non-FK constraints, when
								 * defined in this call; else see model_shape() */
	struct RegistryTuple *stored;	/* the registry row it was read from, kept
									 * when read for drift detection */
} Model;

/*
 * One DDL statement a provisioning or migration run will execute.  Phases
 * order the statements of a migration across tables: what is dropped
 * before what is added, columns before the constraints that use them.
 */
typedef enum DDLPhase
{
	PHASE_CREATE,				/* missing schemas and tables */
	PHASE_DROP_CONSTRAINT,
	PHASE_ADD_COLUMN,
	PHASE_ALTER_COLUMN,
	PHASE_DROP_COLUMN,
	PHASE_ADD_CONSTRAINT,
	PHASE_ADD_FOREIGN_KEY,
	PHASE_VALIDATE
} DDLPhase;

typedef struct DDLStep
{
	char	   *table;			/* quoted name of the table (or schema) */
	int			model;			/* index into the run's models, or -1 */
	DDLPhase	phase;
	char	   *sql;
	const char *schema;			/* set on CREATE SCHEMA steps */
	int			seq;			/* keeps the order of steps within a phase */
	/* set on dropping a foreign key: the table it references (locked too) */
	const char *ref_schema;
	const char *ref_table;
} DDLStep;

/* A table's name, for the name locks of provision.c and lock.c */
typedef struct TableName
{
	const char *schema;
	const char *table;
} TableName;

/* One difference between a model and its table (see drift.c) */
typedef struct Change
{
	char	   *table;			/* quoted, qualified */
	const char *kind;			/* table_missing, column_type, ... */
	char	   *object;			/* the column, constraint or table */
	char	   *declared;		/* what the model says, or NULL */
	char	   *actual;			/* what the table has, or NULL */
	bool		safe;			/* runs without losing or rewriting data */
	List	   *steps;			/* DDLStep: what reconciles it */
} Change;

/* name.c */
extern char *parse_schema_name(const char *input);
extern void parse_table_name(const char *input, char **schema, char **table);
extern char *display_name(const char *schema, const char *table);
extern char *quoted_name(const char *schema, const char *table);

/* catalog.c */
extern int	catalog_search_path_push(void);
extern void catalog_search_path_pop(int save_nestlevel);
extern char *creation_schema_name(void);
extern void reject_temporary_schema(const char *schema);
extern Oid	lookup_schema(const char *schema);
extern Oid	lookup_table(Oid nspid, const char *schema, const char *table);
extern void check_writable(const char *funcname);

/* registry.c */
extern void registry_use_schema_of(Oid funcoid);
extern Oid	registry_namespace(void);
extern void registry_check_right(AclMode mode);
/*
 * How much of a model a registry read decodes: names and the tables its
 * foreign keys reference (enough to order models and see that their
 * tables exist), also its definition text (to create a table), or also its
 * declared shape (to compare it with its table; see model_shape()).
 */
typedef enum ModelRead
{
	MODEL_NAMES,
	MODEL_DEFINITION,
	MODEL_SHAPE
} ModelRead;

extern Model *registry_fetch(const char *schema, const char *table, ModelRead read);
extern Model **registry_fetch_all(int *nmodels, ModelRead read);
extern TableShape *model_shape(const Model *model);
extern void registry_store(const Model *model);
extern bool registry_delete(const char *schema, const char *table);

/* inspect.c */
extern TableShape *inspect_table(Relation rel);
extern char *render_column_type(const ColumnShape *col);
extern char *render_column(const ColumnShape *col);
extern char *fk_signature(List *columns, const char *ref_schema,
						  const char *ref_table, List *ref_columns,
						  char matchtype, char upd_action, char del_action,
						  List *del_set_columns, bool deferrable,
						  bool initdeferred);

/* definition.c */
extern Model *model_from_definition(const char *schema, const char *table,
									const char *definition);
extern void model_render(Model *model);

/* ddl.c */
extern int	provision_lock_timeout;
extern DDLStep *make_step(const char *table, int model, DDLPhase phase,
						  char *sql);
extern void run_ddl(const char *table_name, const char *sql, List **executed);
extern char *ddl_create_schema_sql(const char *schema, const char *owner);
extern char *ddl_create_table_sql(const Model *model, const bool *inline_fkeys);
extern char *ddl_add_foreign_key_sql(const Model *model, int fkey);

/* drift.c */
extern List *table_drift(Model **models, int m, Relation rel);

/* migrate.c */
extern int	model_drift_count(Model *model);

/* history.c */
extern void history_record(const char *table_name, const char *statement);

/* provision.c */
extern int	find_existing(Model **models, int nmodels, bool *exists);
extern List *model_table_names(Model **models, int nmodels, const bool *exists,
							   List *steps);
extern void lock_model_names(Model **models, int nmodels, const bool *exists,
							 List *steps);
extern List *creation_plan(Model **models, int nmodels, const int *order,
						   const bool *exists);
extern int *provision_run(Model **models, int nmodels, bool notices,
						  bool *created, int *nschemas, List **executed);

/* lock.c */
extern void lock_schema_name(const char *schema);
extern void lock_table_name(const char *schema, const char *table);
extern void lock_table_names(List *names);
extern void unlock_table_names(List *names);
extern bool wait_for_uncommitted_schema(const char *schema);
extern bool wait_for_uncommitted_relation(Oid nspid, const char *table);

/* order.c */
extern int	model_index(Model **models, int nmodels, const char *schema,
						const char *table);
extern int *model_dependency_order(Model **models, int nmodels);

#endif							/* PROVISION_H */
