/*-------------------------------------------------------------------------
 *
 * model.h
 *	  What a model is: a declared table, its columns and constraints, and
 *	  its foreign keys kept apart with the tables they reference.
 *
 * A model's body is the normalized text of its CREATE TABLE without
 * foreign keys; those are kept apart, with their referenced tables
 * resolved at define time, so that provisioning can order tables by
 * dependency and close cycles with ALTER TABLE once every table of a
 * cycle exists.  Its shape (columns and constraints as the catalogs
 * describe them) is what drift detection compares with the live table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_MODEL_H
#define PROVISION_MODEL_H

#include "postgres.h"

#include "pg_compat.h"

/* One column as the catalogs describe it (see inspect.c) */
typedef struct ColumnShape
{
	char	   *name;
	char	   *type;			/* format_type_with_typemod() under the catalog
								 * search path: qualified unless in pg_catalog */
	char	   *collation;		/* non-default collation, or "" */
	bool		notnull;
	char	   *default_expr;	/* default or generation expression, or "" */
	char	   *alt_default;	/* another text the same default deparses to
								 * (see definition.c), or "" */
	char		identity;		/* '\0', 'a' (ALWAYS) or 'd' (BY DEFAULT) */
	char		generated;		/* '\0' or 's' (STORED) */
	char	   *identity_options;	/* " (START WITH 10)" or "" */
	char	   *serial;			/* "serial", "bigserial", "smallserial" or "" */
	char	   *comment;		/* COMMENT ON COLUMN, or "" */
	/* live columns only */
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			default_seq;	/* the sequence of a nextval() default */
	char	   *default_seq_name;	/* and its name, or NULL */
	bool		default_simple; /* the default is a constant or a function
								 * call of constants */
} ColumnShape;

/* One constraint: its name and its definition without the name */
typedef struct ConstraintShape
{
	char	   *name;
	char		contype;		/* p, u, x, c or f */
	char	   *def;			/* pg_get_constraintdef() or fk_signature() */
	char	   *alt_def;		/* another text of the same constraint, or "" */
	bool		explicit_name;	/* declared models: the user chose the name */
	bool		not_valid;		/* live constraints: added NOT VALID, not yet
								 * validated */
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
	char	   *comment;		/* COMMENT ON TABLE, or "" */
	char	   *partition_by;	/* pg_get_partkeydef(): "RANGE (at)", or "" */
	char	   *partition_bound;	/* "FOR VALUES ...", "DEFAULT", or "" */
	char	   *parent_schema;	/* the table it is a partition of, or NULL */
	char	   *parent_table;
	List	   *constraint_indexes;	/* live tables: the indexes of its keys */
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
	char	   *declared_by;	/* the role whose rights its DDL runs with */
	char	   *body;			/* columns and non-foreign-key constraints */
	int			nfkeys;
	ForeignKeyDef *fkeys;
	char	   *definition;		/* body and foreign keys: what users read */
	char	   *partition_by;	/* "RANGE (at)", or "" */
	char	   *parent_schema;	/* a partition: the table it is one of, or NULL */
	char	   *parent_table;
	char	   *partition_bound;	/* a partition: "FOR VALUES ...", "DEFAULT" */
	TableShape *shape;			/* declared columns and non-FK constraints, when
								 * defined in this call; else see model_shape() */
	struct RegistryTuple *stored;	/* the registry row it was read from, kept
									 * when read for drift detection */
} Model;

/*
 * A model of another kind than a table.  What attrs and the constraint
 * arrays hold is the kind's:
 *	  enum		attrs: the labels, in order
 *	  domain	attrs: base type, collation, default, "t"/"f" NOT NULL, the
 *				default's other text; constraints: its CHECKs
 *	  sequence	attrs: type, start, increment, min, max, cache, "t"/"f" cycle;
 *				table and column: OWNED BY, or NULL
 *	  index		attrs: signature (all of its definition but its name and
 *				table), the signature's other text; table: its table
 *	  schema	nothing
 */
typedef enum ObjectKind
{
	OBJECT_KIND_SCHEMA,
	OBJECT_KIND_ENUM,
	OBJECT_KIND_DOMAIN,
	OBJECT_KIND_SEQUENCE,
	OBJECT_KIND_INDEX
} ObjectKind;

#define OBJECT_KIND_COUNT 5

typedef struct ObjectModel
{
	ObjectKind	kind;
	char	   *schema;
	char	   *name;			/* for a schema: its name again */
	char	   *table_schema;	/* index: its table; sequence: OWNED BY */
	char	   *table_name;
	char	   *column_name;	/* sequence: OWNED BY column */
	char	   *definition;		/* the normalized statement */
	int			nattrs;
	char	  **attrs;
	int			ncons;
	char	  **con_names;
	char	  **con_defs;
	char	  **con_alt_defs;
	char	   *comment;		/* "" for none */
	char	   *declared_by;
} ObjectModel;

/* What a run works on: table models and models of other kinds */
typedef struct Selection
{
	Model	  **models;			/* sorted by schema, then table */
	int			nmodels;
	ObjectModel **objects;		/* sorted by kind, schema, name */
	int			nobjects;
} Selection;

/* A table's name, for name locks and lookups */
typedef struct TableName
{
	const char *schema;
	const char *table;
} TableName;

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

#endif							/* PROVISION_MODEL_H */
