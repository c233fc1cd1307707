/*-------------------------------------------------------------------------
 *
 * objects.h
 *	  Models of the other kinds (schemas, enum types, domains, sequences,
 *	  indexes): their live form, the statements that create them and the
 *	  changes that bring them in line (objects.c, and per kind types.c,
 *	  sequence.c, index.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROVISION_OBJECTS_H
#define PROVISION_OBJECTS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "model.h"

/* objects.c: every kind */
extern char *object_display(const ObjectModel *obj);
extern Oid	object_lookup(const ObjectModel *obj);
extern ObjectModel *object_try_inspect(ObjectKind kind, Oid oid);
extern ObjectModel *object_inspect(ObjectKind kind, Oid oid);
extern List *object_create_steps(const ObjectModel *obj);
extern List *object_compare(const ObjectModel *declared, const ObjectModel *live);
extern ObjectModel *new_object(ObjectKind kind, const char *schema, const char *name);

/* types.c: enum types and domains */
extern void enum_inspect(ObjectModel *obj, Oid typid);
extern void domain_inspect(ObjectModel *obj, Oid typid);
extern char *enum_definition(const ObjectModel *obj);
extern char *domain_definition(const ObjectModel *obj);
extern List *enum_compare(const ObjectModel *declared, const ObjectModel *live);
extern List *domain_compare(const ObjectModel *declared, const ObjectModel *live);

/* sequence.c */
extern void sequence_inspect(ObjectModel *obj, Oid seqid);
extern char *sequence_definition(const ObjectModel *obj);
extern List *sequence_compare(const ObjectModel *declared, const ObjectModel *live);
extern List *sequence_owner_steps(const ObjectModel *obj);

/* index.c */
extern void index_inspect(ObjectModel *obj, Oid indexid);
extern List *live_indexes(Relation rel, const TableShape *shape);
extern List *index_compare_table(ObjectModel **declared, int ndeclared, ObjectModel **live,
								 int nlive, const char *declared_by);
extern List *index_create_steps(const ObjectModel *obj);

#endif							/* PROVISION_OBJECTS_H */
