/*-------------------------------------------------------------------------
 *
 * relnames.c
 *	  The relation names models make, and the check, when models are
 *	  declared, that no two models of a schema make relations of one name.
 *
 * A table model makes more relations than its table: the index of each of
 * its primary key, unique and exclusion constraints, and the sequence of
 * each of its serial and identity columns.  Such an index takes its
 * constraint's name, and an identity's sequence its SEQUENCE NAME, where
 * the model gives one: a name the model chose.  Otherwise PostgreSQL
 * chooses one when it creates the table, made of the table's name, the
 * columns' and a label (t_pkey, t_a_key, t_a_excl, t_id_seq), and adds a
 * number to the label while a relation or constraint of that name is
 * there.  What is there depends on what was made before, so such a name is
 * taken here as PostgreSQL chooses it for the table alone in an empty
 * schema, as the trial of provision_define() makes it.
 *
 * Two models of a schema collide when a relation one makes would have a
 * name the other chose (its own, a constraint's, an identity sequence's):
 * provision_all() could then make both only in the order where PostgreSQL
 * happens to choose around the chosen name, or never (42P07, relation
 * already exists), and a dump of the two need not read back.  Declaring
 * the second is refused with 42P07, naming the first.  What does not
 * collide: two names PostgreSQL chooses (the second gets a number,
 * whatever the order); a name PostgreSQL chooses and a sequence model's
 * (provisioning makes sequence models before any table, and a script
 * declares them first, so PostgreSQL always chooses around them); a model
 * and itself (the server has made it in its trial); and the own names of
 * two models (one name, one kind of model: see registry_store(); a model
 * of the same kind and name is replaced).
 *
 * The models declared together (by one provision_define(), or all those of
 * one provision_load() or capture) are checked with each other, as they
 * will be once stored, then with the other models of their schemas (the
 * models they replace left out).  The registry is asked, through its
 * indexes, only for the models of the same schema that may hold one of
 * their names (registry_fetch_name_holders()): those named one of them or
 * with a constraint named one of them, and the tables whose name may begin
 * a name PostgreSQL would choose that is one of them.  Only declaring
 * checks: provisioning runs nothing of this.
 *
 * Not counted: the indexes a partition takes from its parent's keys and
 * index models (named by PostgreSQL after the partition), and an identity's
 * SEQUENCE NAME in a model declared before one whose relation PostgreSQL
 * would give that name (no index finds a name inside the identity options;
 * the other order is refused).
 *
 *-------------------------------------------------------------------------
 */
#include "relnames.h"

#include "catalog/pg_constraint.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parse_target.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "name.h"
#include "pg_compat.h"
#include "registry.h"

/* how a model makes a relation */
typedef enum ClaimSource
{
	CLAIM_MODEL,				/* the model itself */
	CLAIM_CONSTRAINT,			/* the index of a key or exclusion constraint */
	CLAIM_SEQUENCE				/* the sequence of a serial or identity column */
} ClaimSource;

/* one relation a model makes */
typedef struct Claim
{
	const char *schema;
	const char *name;			/* the relation's name */
	bool		chosen;			/* named by the model; else by PostgreSQL */
	ClaimSource source;
	const char *kind;			/* the model's: table, partition, index, sequence */
	const char *model;			/* the model's name */
	const char *what;			/* a constraint: its name, or its definition
								 * when unnamed; a sequence: its column */
	const char *column_kind;	/* a sequence: "serial" or "identity" */
	int			owner;			/* the model's number: none collides with
								 * itself */
} Claim;

#define CLAIM_KEY_SIZE (2 * NAMEDATALEN + 2)

/* the claims of the declared models to one name */
typedef struct ClaimEntry
{
	char		key[CLAIM_KEY_SIZE];
	List	   *claims;
} ClaimEntry;

/*
 * The shortest start of a table's name that PostgreSQL keeps when it
 * shortens the name to make a name of it (makeObjectName() shortens the
 * longer of the two names it joins, down to half of what fits).
 */
#define MIN_SHORTENED_TABLE_NAME 20

static Claim *
new_claim(const char *schema, const char *name, bool chosen, ClaimSource source,
		  const char *kind, const char *model, const char *what,
		  const char *column_kind, int owner)
{
	Claim	   *c = palloc(sizeof(Claim));

	c->schema = schema;
	c->name = name;
	c->chosen = chosen;
	c->source = source;
	c->kind = kind;
	c->model = model;
	c->what = what;
	c->column_kind = column_kind;
	c->owner = owner;
	return c;
}

static bool
string_member(List *strings, const char *s)
{
	ListCell   *lc;

	foreach(lc, strings)
	{
		if (strcmp(lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

/*
 * The name PostgreSQL chooses from name1, name2 and label where the names
 * in taken are in use (ChooseRelationName()).
 */
static char *
choose_name(const char *name1, const char *name2, const char *label, List *taken)
{
	char		modlabel[NAMEDATALEN];
	int			pass = 0;

	strlcpy(modlabel, label, sizeof(modlabel));
	for (;;)
	{
		char	   *name = makeObjectName(name1, name2, modlabel);

		if (!string_member(taken, name))
			return name;
		snprintf(modlabel, sizeof(modlabel), "%s%d", label, ++pass);
	}
}

/* the one statement sql parses to, or NULL (a damaged registry row) */
static Node *
parse_one(const char *sql)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *parsetree = NIL;

	PG_TRY();
	{
		parsetree = provision_raw_parser(sql);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		FlushErrorState();
		parsetree = NIL;
	}
	PG_END_TRY();
	if (list_length(parsetree) != 1)
		return NULL;
	return linitial_node(RawStmt, parsetree)->stmt;
}

/*
 * The column names PostgreSQL gives the index of a key or exclusion
 * constraint (ChooseIndexColumnNames() of the elements transformIndexStmt()
 * made): its columns, INCLUDE ones too, an expression's function or
 * column, else "expr", each numbered when met before.  *ok false when def
 * is not such a constraint (a damaged registry row: reported where the
 * model is used, not here).
 */
static List *
constraint_index_columns(const char *def, char contype, bool *ok)
{
	Node	   *stmt = parse_one(psprintf("CREATE TABLE x (%s)", def));
	CreateStmt *create;
	Constraint *con;
	List	   *elems = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	*ok = false;
	if (stmt == NULL || !IsA(stmt, CreateStmt))
		return NIL;
	create = (CreateStmt *) stmt;
	if (list_length(create->tableElts) != 1 || !IsA(linitial(create->tableElts), Constraint))
		return NIL;
	con = linitial_node(Constraint, create->tableElts);
	if (con->contype != (contype == CONSTRAINT_PRIMARY ? CONSTR_PRIMARY :
						 contype == CONSTRAINT_UNIQUE ? CONSTR_UNIQUE : CONSTR_EXCLUSION))
		return NIL;
	if (con->contype == CONSTR_EXCLUSION)
	{
		foreach(lc, con->exclusions)
		{
			List	   *pair = lfirst(lc);
			IndexElem  *elem;
			const char *name;

			if (list_length(pair) != 2 || !IsA(linitial(pair), IndexElem))
				return NIL;
			elem = linitial_node(IndexElem, pair);
			name = elem->indexcolname ? elem->indexcolname : elem->name;
			if (name == NULL && elem->expr != NULL)
				name = FigureIndexColname(elem->expr);
			elems = lappend(elems, (char *) (name ? name : "expr"));
		}
	}
	else
	{
		foreach(lc, con->keys)
			elems = lappend(elems, strVal(lfirst(lc)));
	}
	foreach(lc, con->including)
		elems = lappend(elems, strVal(lfirst(lc)));

	foreach(lc, elems)
	{
		const char *orig = lfirst(lc);
		char	   *name = pstrdup(orig);
		int			n = 0;

		while (string_member(result, name))
		{
			char		number[32];
			int			len;

			snprintf(number, sizeof(number), "%d", ++n);
			len = pg_mbcliplen(orig, strlen(orig), NAMEDATALEN - 1 - strlen(number));
			name = psprintf("%.*s%s", len, orig, number);
		}
		result = lappend(result, name);
	}
	*ok = true;
	return result;
}

/* the index's columns joined for its name (ChooseIndexNameAddition()) */
static char *
index_name_addition(List *columns)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, columns)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, '_');
		appendStringInfoString(&buf, lfirst(lc));
		if (buf.len >= NAMEDATALEN)
			break;
	}
	return buf.data;
}

/* the SEQUENCE NAME of an identity column's options, or NULL */
static char *
identity_sequence_name(const char *options)
{
	Node	   *stmt;
	ColumnDef  *col;
	ListCell   *lc;

	if (strstr(options, "SEQUENCE NAME") == NULL)
		return NULL;
	stmt = parse_one(psprintf("CREATE TABLE x (c integer GENERATED BY DEFAULT AS IDENTITY%s)",
							  options));
	if (stmt == NULL || !IsA(stmt, CreateStmt) ||
		list_length(((CreateStmt *) stmt)->tableElts) != 1 ||
		!IsA(linitial(((CreateStmt *) stmt)->tableElts), ColumnDef))
		return NULL;
	col = linitial_node(ColumnDef, ((CreateStmt *) stmt)->tableElts);
	foreach(lc, col->constraints)
	{
		Constraint *con = lfirst_node(Constraint, lc);
		ListCell   *oc;

		if (con->contype != CONSTR_IDENTITY)
			continue;
		foreach(oc, con->options)
		{
			DefElem    *opt = lfirst_node(DefElem, oc);

			if (strcmp(opt->defname, "sequence_name") == 0 && IsA(opt->arg, List) &&
				list_length((List *) opt->arg) > 0)
				return strVal(llast((List *) opt->arg));
		}
	}
	return NULL;
}

/*
 * The relations table model schema.table makes, with shape: itself, then
 * the sequences of its serial and identity columns (CREATE TABLE makes
 * them first), then the indexes of its constraints, in the order CREATE
 * TABLE makes them (its primary key first), each unnamed one as PostgreSQL
 * names it in an empty schema.  A partition makes no sequence: its
 * columns' defaults are its parent's.
 */
static List *
table_claims(List *claims, const char *schema, const char *table, bool partition,
			 const TableShape *shape, int owner)
{
	const char *kind = partition ? "partition" : "table";
	List	   *taken = list_make1((char *) table);
	int			i;

	claims = lappend(claims, new_claim(schema, table, true, CLAIM_MODEL, kind, table,
									   NULL, NULL, owner));
	for (i = 0; i < shape->ncolumns && !partition; i++)
	{
		const ColumnShape *col = &shape->columns[i];
		char	   *seqname = NULL;

		if (col->identity)
			seqname = identity_sequence_name(col->identity_options);
		else if (col->serial[0] == '\0')
			continue;
		if (seqname != NULL)
			claims = lappend(claims, new_claim(schema, seqname, true, CLAIM_SEQUENCE, kind,
											   table, col->name, "identity", owner));
		else
		{
			seqname = choose_name(table, col->name, "seq", taken);
			claims = lappend(claims, new_claim(schema, seqname, false, CLAIM_SEQUENCE, kind,
											   table, col->name,
											   col->identity ? "identity" : "serial", owner));
		}
		taken = lappend(taken, seqname);
	}

	/* a named constraint is there before an unnamed index gets its name */
	for (i = 0; i < shape->nconstraints; i++)
	{
		if (shape->constraints[i].explicit_name)
			taken = lappend(taken, shape->constraints[i].name);
	}
	for (i = 0; i < shape->nconstraints; i++)
	{
		const ConstraintShape *con = &shape->constraints[i];
		char	   *name;

		if (con->contype != CONSTRAINT_PRIMARY && con->contype != CONSTRAINT_UNIQUE &&
			con->contype != CONSTRAINT_EXCLUSION)
			continue;
		if (con->explicit_name)
		{
			claims = lappend(claims, new_claim(schema, con->name, true, CLAIM_CONSTRAINT, kind,
											   table, con->name, NULL, owner));
			continue;
		}
		if (con->contype == CONSTRAINT_PRIMARY)
			name = choose_name(table, NULL, "pkey", taken);
		else
		{
			bool		ok;
			List	   *columns = constraint_index_columns(con->def, con->contype, &ok);

			if (!ok)
				continue;
			name = choose_name(table, index_name_addition(columns),
							   con->contype == CONSTRAINT_UNIQUE ? "key" : "excl", taken);
		}
		taken = lappend(taken, name);
		claims = lappend(claims, new_claim(schema, name, false, CLAIM_CONSTRAINT, kind, table,
										   con->def, NULL, owner));
	}
	return claims;
}

static bool
is_sequence_model(const Claim *c)
{
	return c->source == CLAIM_MODEL && strcmp(c->kind, "sequence") == 0;
}

/* whether two claims to one name collide (see the file header) */
static bool
collide(const Claim *a, const Claim *b)
{
	if (a->owner == b->owner)
		return false;
	if (a->source == CLAIM_MODEL && b->source == CLAIM_MODEL)
		return false;
	if (!a->chosen && !b->chosen)
		return false;
	if ((!a->chosen && is_sequence_model(b)) || (!b->chosen && is_sequence_model(a)))
		return false;
	return true;
}

/* what a claim is, for a message */
static char *
claim_phrase(const Claim *c)
{
	const char *model = display_name(c->schema, c->model);

	switch (c->source)
	{
		case CLAIM_MODEL:
			return psprintf("%s model \"%s\"", c->kind, model);
		case CLAIM_CONSTRAINT:
			if (c->chosen)
				return psprintf("the index of constraint \"%s\" of %s model \"%s\"",
								c->what, c->kind, model);
			return psprintf("the index PostgreSQL names for the unnamed constraint %s of %s model \"%s\"",
							c->what, c->kind, model);
		case CLAIM_SEQUENCE:
			if (c->chosen)
				return psprintf("the sequence of identity column \"%s\" of %s model \"%s\"",
								c->what, c->kind, model);
			return psprintf("the sequence PostgreSQL names for %s column \"%s\" of %s model \"%s\"",
							c->column_kind, c->what, c->kind, model);
	}
	return NULL;				/* keep compiler quiet */
}

static void report_collision(const Claim *mine, const Claim *other) pg_attribute_noreturn();

static void
report_collision(const Claim *mine, const Claim *other)
{
	const char *relation = display_name(mine->schema, mine->name);

	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_TABLE),
			 errmsg("cannot declare a model of %s \"%s\": another model makes relation \"%s\"",
					mine->kind, display_name(mine->schema, mine->model), relation),
			 errdetail("Relation \"%s\" would be %s, and %s.",
					   relation, claim_phrase(mine), claim_phrase(other)),
			 (mine->chosen && other->chosen) ?
			 errhint("Declare one of them under another name.") :
			 errhint("PostgreSQL names the index of an unnamed constraint, and the sequence of a serial or identity column, after the table and its columns. Name the constraint, or declare one of the models under another name.")));
}

static void
claim_key(char *key, const char *schema, const char *name)
{
	snprintf(key, CLAIM_KEY_SIZE, "%s%c%s", schema, '\x01', name);
}

/* a claim of another model against the declared ones of its name */
static void
check_claim(HTAB *declared, const Claim *other)
{
	char		key[CLAIM_KEY_SIZE];
	ClaimEntry *entry;
	ListCell   *lc;

	claim_key(key, other->schema, other->name);
	entry = hash_search(declared, key, HASH_FIND, NULL);
	if (entry == NULL)
		return;
	foreach(lc, entry->claims)
	{
		if (collide(lfirst(lc), other))
			report_collision(lfirst(lc), other);
	}
}

/*
 * The tables whose names may begin name, were PostgreSQL to choose it for
 * one of their constraints or columns: name ends in one of the labels (and
 * maybe a number), and the table's name runs up to one of its
 * underscores.  A name that long may have been shortened from a longer
 * table's name: then its start is one of prefixes.
 */
static void
default_name_tables(const char *name, List **tables, List **prefixes)
{
	static const char *const labels[] = {"_pkey", "_key", "_excl", "_seq"};
	int			len = strlen(name);
	int			end = len;
	int			stop = 0;
	bool		shortened = len >= NAMEDATALEN - 1 - 2 * (pg_database_encoding_max_length() - 1);
	int			i;

	while (end > 0 && name[end - 1] >= '0' && name[end - 1] <= '9')
		end--;
	for (i = 0; i < (int) lengthof(labels); i++)
	{
		int			l = strlen(labels[i]);

		if (end > l && strncmp(name + end - l, labels[i], l) == 0)
			stop = Max(stop, end - l);
	}
	for (i = 1; i <= stop; i++)
	{
		if (name[i] != '_')
			continue;
		*tables = lappend(*tables, pnstrdup(name, i));
		if (shortened && i >= MIN_SHORTENED_TABLE_NAME)
			*prefixes = lappend(*prefixes, pnstrdup(name, i));
	}
}

static bool
declared_object(List *objects, ObjectKind kind, const char *schema, const char *name)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		ObjectModel *obj = lfirst(lc);

		if (obj->kind == kind && strcmp(obj->schema, schema) == 0 && strcmp(obj->name, name) == 0)
			return true;
	}
	return false;
}

/* the declared claims of schema against its other models */
static void
check_schema(const char *schema, List *claims, HTAB *declared, List *tables, List *objects,
			 int *owner)
{
	List	   *names = NIL;
	List	   *owners = NIL;
	List	   *prefixes = NIL;
	List	   *replaced = NIL;
	Model	  **held;
	ObjectModel **held_objects;
	int			nheld;
	int			nheld_objects;
	ListCell   *lc;
	int			i;

	foreach(lc, claims)
	{
		Claim	   *c = lfirst(lc);

		if (strcmp(c->schema, schema) != 0)
			continue;
		names = lappend(names, (char *) c->name);
		if (c->chosen && !is_sequence_model(c))
			default_name_tables(c->name, &owners, &prefixes);
	}
	/* a model declared again is replaced: not one of the others */
	foreach(lc, tables)
	{
		Model	   *m = lfirst(lc);

		if (strcmp(m->schema, schema) == 0)
			replaced = lappend(replaced, m->table);
	}
	registry_fetch_name_holders(schema, names, owners, prefixes, replaced, &held, &nheld,
								&held_objects, &nheld_objects);
	for (i = 0; i < nheld; i++)
	{
		Model	   *m = held[i];

		foreach(lc, table_claims(NIL, m->schema, m->table, m->parent_table != NULL,
								 model_shape(m), ++*owner))
			check_claim(declared, lfirst(lc));
	}
	for (i = 0; i < nheld_objects; i++)
	{
		ObjectModel *obj = held_objects[i];

		if (declared_object(objects, obj->kind, obj->schema, obj->name))
			continue;
		check_claim(declared, new_claim(obj->schema, obj->name, true, CLAIM_MODEL,
										object_kind_name(obj->kind), obj->name, NULL, NULL,
										++*owner));
	}
}

/*
 * Refuse, with 42P07, the models declared together (tables: Model with
 * their shapes; objects: ObjectModel, of which indexes and sequences make
 * relations) when two of them, or one of them and another model of its
 * schema, would make relations of one name (see the file header).  Before
 * they are stored: the models they replace are left out.
 */
void
check_relation_names(List *tables, List *objects)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "provision relation names",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(cxt);
	List	   *claims = NIL;
	List	   *schemas = NIL;
	HASHCTL		ctl;
	HTAB	   *declared;
	int			owner = 0;
	ListCell   *lc;

	foreach(lc, tables)
	{
		Model	   *m = lfirst(lc);

		claims = table_claims(claims, m->schema, m->table, m->parent_table != NULL, m->shape,
							  ++owner);
	}
	foreach(lc, objects)
	{
		ObjectModel *obj = lfirst(lc);

		if (obj->kind == OBJECT_KIND_INDEX || obj->kind == OBJECT_KIND_SEQUENCE)
			claims = lappend(claims, new_claim(obj->schema, obj->name, true, CLAIM_MODEL,
											   object_kind_name(obj->kind), obj->name, NULL,
											   NULL, ++owner));
	}

	/* with each other, in the order they were declared */
	ctl.keysize = CLAIM_KEY_SIZE;
	ctl.entrysize = sizeof(ClaimEntry);
	ctl.hcxt = cxt;
	declared = hash_create("provision relation names", Max(list_length(claims), 16), &ctl,
						   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	foreach(lc, claims)
	{
		Claim	   *c = lfirst(lc);
		char		key[CLAIM_KEY_SIZE];
		ClaimEntry *entry;
		bool		found;
		ListCell   *oc;

		claim_key(key, c->schema, c->name);
		entry = hash_search(declared, key, HASH_ENTER, &found);
		if (!found)
			entry->claims = NIL;
		foreach(oc, entry->claims)
		{
			if (collide(c, lfirst(oc)))
				report_collision(c, lfirst(oc));
		}
		entry->claims = lappend(entry->claims, c);
		if (!string_member(schemas, c->schema))
			schemas = lappend(schemas, (char *) c->schema);
	}

	/* with the other models of their schemas */
	foreach(lc, schemas)
		check_schema(lfirst(lc), claims, declared, tables, objects, &owner);

	MemoryContextSwitchTo(caller);
	MemoryContextDelete(cxt);
}
