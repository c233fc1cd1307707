/*-------------------------------------------------------------------------
 *
 * definition.h
 *	  Validating a table definition and normalizing it into a model
 *	  (definition.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_DEFINITION_H
#define PROVISION_DEFINITION_H

#include "postgres.h"

#include "nodes/parsenodes.h"

#include "model.h"

/* What a definition said beyond what the catalogs of its trial show */
typedef struct DefinitionFacts
{
	const char *schema;
	const char *table;
	const char *definition;		/* the text errors point into, or NULL */
	int			prefix_chars;	/* characters before the definition in sql */
	bool		partitioning_allowed;	/* PARTITION BY and PARTITION OF */
	List	   *explicit_names; /* constraint names the user wrote */
	List	   *foreign_keys;	/* Constraint nodes, fk_attrs filled in */
} DefinitionFacts;

extern Model *model_from_definition(const char *schema, const char *table,
									const char *definition, const TableShape *live);

/* the parts a script's tables are declared with (load.c) */
extern void collect_facts(CreateStmt *stmt, DefinitionFacts *facts);
extern bool add_constraint_fact(DefinitionFacts *facts, Constraint *con);
extern void render_foreign_key(DefinitionFacts *facts, Constraint *con, ForeignKeyDef *fk);
extern void reject_temporary_dependencies(Oid relid, DefinitionFacts *facts);
extern TableShape *trial_table_shape(Oid relid, DefinitionFacts *facts, bool first);
extern bool needs_second_trial(const TableShape *shape);
extern char *render_body(const TableShape *shape);
extern AlterTableStmt *take_not_valid_checks(CreateStmt *stmt);
extern void keep_other_texts(TableShape *shape, const TableShape *other);
extern void model_render(Model *model, const char *body);

#endif							/* PROVISION_DEFINITION_H */
