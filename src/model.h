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
	/* live columns only */
	Oid			typid;
	int32		typmod;
	Oid			default_seq;	/* the sequence of a nextval() default */
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
	char	   *declared_by;	/* the role whose rights its DDL runs with */
	char	   *body;			/* columns and non-foreign-key constraints */
	int			nfkeys;
	ForeignKeyDef *fkeys;
	char	   *definition;		/* body and foreign keys: what users read */
	TableShape *shape;			/* declared columns and non-FK constraints, when
								 * defined in this call; else see model_shape() */
	struct RegistryTuple *stored;	/* the registry row it was read from, kept
									 * when read for drift detection */
} Model;

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
