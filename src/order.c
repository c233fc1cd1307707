/*-------------------------------------------------------------------------
 *
 * order.c
 *	  Foreign-key dependency order of models, the order create_all() uses:
 *	  referenced tables before the tables that reference them, and a
 *	  partitioned table before its partitions.
 *
 * A depth-first walk in name order emits each model after its parent (a
 * partition's), the models its foreign keys reference and the models its
 * body names (a column of another table's row type).  A reference back to
 * a model still being walked closes a cycle; the walk ignores it, and
 * provisioning adds that foreign key with ALTER TABLE once both tables
 * exist.  The walk keeps its own
 * stack, so a long chain of references cannot overflow the C stack.
 *
 *-------------------------------------------------------------------------
 */
#include "order.h"

#include "lib/stringinfo.h"

static int
model_key_cmp(const void *key, const void *elem)
{
	const TableName *k = key;
	const Model *m = *(Model *const *) elem;
	int			c = strcmp(k->schema, m->schema);

	return c != 0 ? c : strcmp(k->table, m->table);
}

/*
 * Index of schema.table in models (sorted by schema, then table, in byte
 * order), or -1.
 */
int
model_index(Model **models, int nmodels, const char *schema, const char *table)
{
	TableName	key = {schema, table};
	Model	  **found;

	if (nmodels == 0)
		return -1;
	found = bsearch(&key, models, nmodels, sizeof(Model *), model_key_cmp);
	return found ? (int) (found - models) : -1;
}

/*
 * An identifier at p (quoted, or lower-case unquoted as quote_identifier()
 * writes it), unquoted into *ident; the position after it, or NULL.
 */
static const char *
read_identifier(const char *p, StringInfo ident)
{
	resetStringInfo(ident);
	if (*p == '"')
	{
		for (p++; *p != '\0'; p++)
		{
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				return ident->len > 0 ? p + 1 : NULL;
			appendStringInfoChar(ident, *p);
		}
		return NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$' ||
		   IS_HIGHBIT_SET(*p))
		appendStringInfoChar(ident, *p++);
	return ident->len > 0 ? p : NULL;
}

/*
 * The models whose qualified names model's body mentions: a column of
 * another model's row type (or an array of it), a default that casts its
 * name to regclass.  Bodies name every non-catalog type and relation
 * schema-qualified; a name that only looks like one (in a string, say)
 * adds an edge that costs nothing but order.
 */
static List *
named_models(Model **models, int nmodels, int m)
{
	const char *p = models[m]->body;
	List	   *found = NIL;
	StringInfoData schema;
	StringInfoData table;

	if (p == NULL)
		return NIL;
	initStringInfo(&schema);
	initStringInfo(&table);
	while (*p != '\0')
	{
		const char *after;
		bool		boundary = (p == models[m]->body ||
								!((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9') ||
								  p[-1] == '_' || p[-1] == '$' || p[-1] == '.' ||
								  IS_HIGHBIT_SET(p[-1])));

		after = boundary ? read_identifier(p, &schema) : NULL;
		if (after != NULL && *after == '.' && (after = read_identifier(after + 1, &table)) != NULL)
		{
			int			target = model_index(models, nmodels, schema.data, table.data);

			if (target >= 0 && target != m)
				found = lappend_int(found, target);
			p = after;
		}
		else
			p++;
	}
	pfree(schema.data);
	pfree(table.data);
	return found;
}

/*
 * A permutation of 0..nmodels-1: models in dependency order.
 */
int *
model_dependency_order(Model **models, int nmodels)
{
	enum
	{
		UNSEEN, WALKING, DONE
	}		   *state = palloc0(sizeof(*state) * (nmodels + 1));
	int		   *order = palloc(sizeof(int) * (nmodels + 1));
	int		   *stack_model = palloc(sizeof(int) * (nmodels + 1));
	int		   *stack_next_edge = palloc(sizeof(int) * (nmodels + 1));
	List	  **edges = palloc0(sizeof(List *) * (nmodels + 1));
	int			norder = 0;
	int			root;
	int			m;

	/* a partition's parent; the tables its foreign keys reference; named ones */
	for (m = 0; m < nmodels; m++)
	{
		Model	   *model = models[m];
		int			k;

		if (model->parent_table != NULL)
			edges[m] = lappend_int(edges[m], model_index(models, nmodels, model->parent_schema,
														 model->parent_table));
		for (k = 0; k < model->nfkeys; k++)
			edges[m] = lappend_int(edges[m], model_index(models, nmodels,
														 model->fkeys[k].ref_schema,
														 model->fkeys[k].ref_table));
		edges[m] = list_concat(edges[m], named_models(models, nmodels, m));
	}

	for (root = 0; root < nmodels; root++)
	{
		int			depth = 0;

		if (state[root] != UNSEEN)
			continue;
		state[root] = WALKING;
		stack_model[depth] = root;
		stack_next_edge[depth] = 0;
		depth++;

		while (depth > 0)
		{
			m = stack_model[depth - 1];
			if (stack_next_edge[depth - 1] < list_length(edges[m]))
			{
				int			target = list_nth_int(edges[m], stack_next_edge[depth - 1]++);

				if (target >= 0 && state[target] == UNSEEN)
				{
					state[target] = WALKING;
					stack_model[depth] = target;
					stack_next_edge[depth] = 0;
					depth++;
				}
			}
			else
			{
				state[m] = DONE;
				order[norder++] = m;
				depth--;
			}
		}
	}
	for (m = 0; m < nmodels; m++)
		list_free(edges[m]);
	pfree(edges);
	pfree(state);
	pfree(stack_model);
	pfree(stack_next_edge);
	return order;
}
