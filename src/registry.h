/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The model registry: reading and writing models, and the right to
 *	  declare them (registry.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_REGISTRY_H
#define PROVISION_REGISTRY_H

#include "postgres.h"

#include "model.h"

extern void registry_use_schema_of(Oid funcoid);
extern Oid	registry_namespace(void);
extern Oid	registry_owner(void);
extern void registry_check_declare_right(bool forget);
extern void reject_extension_relation(const char *schema, const char *table,
									  bool existing);

extern Model *registry_fetch(const char *schema, const char *table, ModelRead read);
extern Model **registry_fetch_all(int *nmodels, ModelRead read);
extern TableShape *model_shape(const Model *model);
extern void model_comments(const Model *model, char **comment, int *ncolumns,
						   char ***names, char ***comments);
extern void registry_store(const Model *model);
extern void registry_fetch_name_holders(const char *schema, List *names, List *tables,
										List *prefixes, List *except, Model ***models,
										int *nmodels, ObjectModel ***objects,
										int *nobjects);
extern bool registry_delete(const char *schema, const char *table);

extern char *registry_fingerprint(void);
extern bool registry_last_load(char **digest, char **fingerprint, List **kinds,
							   List **objects, List **skipped);
extern void registry_remember_load(const char *digest, const char *fingerprint,
								   List *kinds, List *objects, List *skipped);

extern const char *object_kind_name(ObjectKind kind);
extern ObjectModel **registry_fetch_objects(int *nobjects, bool names_only);
extern ObjectModel *registry_fetch_object(ObjectKind kind, const char *schema,
										  const char *name);
extern void registry_store_object(const ObjectModel *obj);
extern bool registry_delete_object(ObjectKind kind, const char *schema, const char *name);

#endif							/* PROVISION_REGISTRY_H */
