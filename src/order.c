/*-------------------------------------------------------------------------
 *
 * order.c
 *	  Foreign-key dependency order of models, the order create_all() uses:
 *	  referenced tables before the tables that reference them, and a
 *	  partitioned table before its partitions.
 *
 * A depth-first walk in name order emits each model after its parent (a
 * partition's) and the models its foreign keys reference.  A reference back to a model still being walked
 * closes a cycle; the walk ignores it, and provisioning adds that foreign
 * key with ALTER TABLE once both tables exist.  The walk keeps its own
 * stack, so a long chain of references cannot overflow the C stack.
 *
 *-------------------------------------------------------------------------
 */
#include "order.h"

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
	int		   *stack_next_fk = palloc(sizeof(int) * (nmodels + 1));
	int			norder = 0;
	int			root;

	for (root = 0; root < nmodels; root++)
	{
		int			depth = 0;

		if (state[root] != UNSEEN)
			continue;
		state[root] = WALKING;
		stack_model[depth] = root;
		stack_next_fk[depth] = 0;
		depth++;

		while (depth > 0)
		{
			int			m = stack_model[depth - 1];
			Model	   *model = models[m];

			if (stack_next_fk[depth - 1] < model->nfkeys + 1)
			{
				/* edge 0: a partition's parent; then its foreign keys */
				int			edge = stack_next_fk[depth - 1]++;
				int			target;

				if (edge == 0)
					target = model->parent_table == NULL ? -1
						: model_index(models, nmodels, model->parent_schema,
									  model->parent_table);
				else
					target = model_index(models, nmodels,
										 model->fkeys[edge - 1].ref_schema,
										 model->fkeys[edge - 1].ref_table);

				if (target >= 0 && state[target] == UNSEEN)
				{
					state[target] = WALKING;
					stack_model[depth] = target;
					stack_next_fk[depth] = 0;
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
	pfree(state);
	pfree(stack_model);
	pfree(stack_next_fk);
	return order;
}
