/*-------------------------------------------------------------------------
 *
 * dump.c
 *	  Models written as one DDL script: provision_dump(), and the script
 *	  provision_capture() reads live objects through.
 *
 * The script is in dependency order, the way pg_dump orders a schema:
 * schemas; enum types; domains (one over another after it); sequences;
 * tables (a partitioned table before its partitions, written as PARTITION
 * OF); foreign keys as ALTER TABLE ... ADD, after every table, so that
 * cycles need nothing special; sequence ownership; indexes; comments.
 * Every name is qualified and quoted as needed, every text is what the
 * server's deparsers wrote, so provision_load() reads the script back to
 * the same models, and psql can run it on an empty database.
 *
 *-------------------------------------------------------------------------
 */
#include "dump.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "ddl.h"
#include "inspect.h"
#include "name.h"
#include "objects.h"
#include "order.h"
#include "registry.h"

static void
comment_line(StringInfo buf, const char *on, const char *object, const char *comment)
{
	if (comment != NULL && comment[0] != '\0')
		appendStringInfo(buf, "COMMENT ON %s %s IS %s;\n", on, object,
						 quote_literal_cstr(comment));
}

/* whether domain d is over another domain of objects[] not yet written */
static bool
waits(ObjectModel **objects, int nobjects, const bool *written, int d)
{
	int			i;

	for (i = 0; i < nobjects; i++)
	{
		char	   *name;

		if (i == d || written[i] || objects[i]->kind != OBJECT_KIND_DOMAIN)
			continue;
		name = quoted_name(objects[i]->schema, objects[i]->name);
		if (strncmp(objects[d]->attrs[0], name, strlen(name)) == 0)
			return true;
	}
	return false;
}

static void
write_objects(StringInfo buf, ObjectModel **objects, int nobjects, ObjectKind kind)
{
	bool	   *written = palloc0(sizeof(bool) * (nobjects + 1));
	bool		progress;
	int			i;

	do
	{
		progress = false;
		for (i = 0; i < nobjects; i++)
		{
			ObjectModel *obj = objects[i];

			if (written[i] || obj->kind != kind ||
				(kind == OBJECT_KIND_DOMAIN && waits(objects, nobjects, written, i)))
				continue;
			written[i] = progress = true;
			switch (kind)
			{
				case OBJECT_KIND_SCHEMA:
					appendStringInfo(buf, "CREATE SCHEMA %s;\n", quote_identifier(obj->schema));
					comment_line(buf, "SCHEMA", quote_identifier(obj->schema), obj->comment);
					break;
				case OBJECT_KIND_ENUM:
					appendStringInfo(buf, "%s;\n", enum_definition(obj));
					comment_line(buf, "TYPE", object_display(obj), obj->comment);
					break;
				case OBJECT_KIND_DOMAIN:
					appendStringInfo(buf, "%s;\n", domain_definition(obj));
					comment_line(buf, "DOMAIN", object_display(obj), obj->comment);
					break;
				case OBJECT_KIND_SEQUENCE:
					appendStringInfo(buf, "%s;\n", sequence_definition(obj));
					comment_line(buf, "SEQUENCE", object_display(obj), obj->comment);
					break;
				case OBJECT_KIND_INDEX:
					/* the statement provisioning runs, not stored text */
					appendStringInfo(buf, "%s;\n",
									 ((DDLStep *) linitial(index_create_steps(obj)))->sql);
					comment_line(buf, "INDEX", object_display(obj), obj->comment);
					break;
			}
		}
	} while (progress);
	/* a cycle of domains, if one could exist: written as it is */
	for (i = 0; i < nobjects; i++)
	{
		if (!written[i] && objects[i]->kind == kind && kind == OBJECT_KIND_DOMAIN)
			appendStringInfo(buf, "%s;\n", domain_definition(objects[i]));
	}
}

/*
 * A damaged model (its registry row not written by provision) is refused,
 * as provisioning refuses it: the script is there to be run.
 */
static void
check_selection(const Selection *sel)
{
	ListCell   *lc;
	int			i,
				k;

	for (i = 0; i < sel->nmodels; i++)
	{
		check_step_statement(ddl_create_table(sel->models[i], -1, NULL));
		for (k = 0; k < sel->models[i]->nfkeys; k++)
			check_step_statement(ddl_add_foreign_key(sel->models[i], -1, k));
	}
	for (i = 0; i < sel->nobjects; i++)
	{
		foreach(lc, object_create_steps(sel->objects[i]))
			check_step_statement(lfirst(lc));
		if (sel->objects[i]->kind == OBJECT_KIND_SEQUENCE)
		{
			foreach(lc, sequence_owner_steps(sel->objects[i]))
				check_step_statement(lfirst(lc));
		}
	}
}

/*
 * The script of a selection of models (tables sorted by schema and name,
 * read with MODEL_SHAPE; objects of other kinds) in dependency order.
 */
char *
write_script(const Selection *sel)
{
	StringInfoData buf;
	int		   *order = model_dependency_order(sel->models, sel->nmodels);
	int			i,
				k;

	check_selection(sel);
	initStringInfo(&buf);
	write_objects(&buf, sel->objects, sel->nobjects, OBJECT_KIND_SCHEMA);
	write_objects(&buf, sel->objects, sel->nobjects, OBJECT_KIND_ENUM);
	write_objects(&buf, sel->objects, sel->nobjects, OBJECT_KIND_DOMAIN);
	write_objects(&buf, sel->objects, sel->nobjects, OBJECT_KIND_SEQUENCE);

	for (i = 0; i < sel->nmodels; i++)
	{
		Model	   *model = sel->models[order[i]];
		char	   *name = quoted_name(model->schema, model->table);

		if (model->parent_table != NULL)
		{
			/* its columns are its parent's: its own constraints only */
			char	   *constraints = render_constraints(model_shape(model));

			appendStringInfo(&buf, "CREATE TABLE %s PARTITION OF %s", name,
							 quoted_name(model->parent_schema, model->parent_table));
			if (constraints[0] != '\0')
				appendStringInfo(&buf, " (%s)", constraints);
			appendStringInfo(&buf, " %s", model->partition_bound);
			/* a partition partitioned in turn */
			if (model->partition_by != NULL && model->partition_by[0] != '\0')
				appendStringInfo(&buf, " PARTITION BY %s", model->partition_by);
			appendStringInfoString(&buf, ";\n");
		}
		else
		{
			appendStringInfo(&buf, "CREATE TABLE %s (%s)", name, model->body);
			if (model->partition_by != NULL && model->partition_by[0] != '\0')
				appendStringInfo(&buf, " PARTITION BY %s", model->partition_by);
			appendStringInfoString(&buf, ";\n");
		}
	}
	for (i = 0; i < sel->nmodels; i++)
	{
		Model	   *model = sel->models[order[i]];

		for (k = 0; k < model->nfkeys; k++)
			appendStringInfo(&buf, "ALTER TABLE %s ADD %s;\n",
							 quoted_name(model->schema, model->table), model->fkeys[k].clause);
	}
	for (i = 0; i < sel->nobjects; i++)
	{
		ObjectModel *obj = sel->objects[i];

		if (obj->kind == OBJECT_KIND_SEQUENCE && obj->table_name != NULL)
			appendStringInfo(&buf, "ALTER SEQUENCE %s OWNED BY %s.%s;\n", object_display(obj),
							 quoted_name(obj->table_schema, obj->table_name),
							 quote_identifier(obj->column_name));
	}
	write_objects(&buf, sel->objects, sel->nobjects, OBJECT_KIND_INDEX);
	for (i = 0; i < sel->nmodels; i++)
	{
		Model	   *model = sel->models[order[i]];
		char	   *name = quoted_name(model->schema, model->table);
		char	   *comment;
		int			ncolumns;
		char	  **names;
		char	  **comments;

		model_comments(model, &comment, &ncolumns, &names, &comments);
		comment_line(&buf, "TABLE", name, comment);
		for (k = 0; k < ncolumns; k++)
			comment_line(&buf, "COLUMN", psprintf("%s.%s", name, quote_identifier(names[k])),
						 comments[k]);
	}
	return buf.data;
}
