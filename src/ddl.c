/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  Building and running the DDL that provisioning needs.
 *
 * Statements are built only from quote_identifier() output and from the
 * normalized model text (itself the output of the server's deparsers, see
 * definition.c), and run through SPI as ordinary utility statements, so
 * event triggers, the read-only check and every privilege check of plain
 * DDL apply, and objects are owned by the calling role.
 *
 * They run under search_path "pg_catalog, pg_temp": the model text names
 * every non-catalog object with its schema, and a caller's search_path
 * (or a temporary table of the same name) must not change what a
 * statement refers to.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

static void
run_ddl(const char *sql)
{
	int			save_nestlevel;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	save_nestlevel = catalog_search_path_push();
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(ret));
	catalog_search_path_pop(save_nestlevel);
	SPI_finish();
}

void
ddl_create_schema(const char *schema, const char *owner)
{
	char	   *sql;

	if (owner != NULL)
		sql = psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
					   quote_identifier(schema), quote_identifier(owner));
	else
		sql = psprintf("CREATE SCHEMA %s", quote_identifier(schema));
	run_ddl(sql);
}

/*
 * CREATE TABLE for model, with the foreign keys that inline_fkeys selects;
 * the others are added later by ddl_add_foreign_key().
 */
void
ddl_create_table(const Model *model, const bool *inline_fkeys)
{
	StringInfoData sql;
	bool		first = (model->body[0] == '\0');
	int			i;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (%s",
					 quoted_name(model->schema, model->table), model->body);
	for (i = 0; i < model->nfkeys; i++)
	{
		if (!inline_fkeys[i])
			continue;
		appendStringInfo(&sql, "%s%s", first ? "" : ", ", model->fkeys[i].clause);
		first = false;
	}
	appendStringInfoChar(&sql, ')');
	run_ddl(sql.data);
}

void
ddl_add_foreign_key(const Model *model, int fkey)
{
	run_ddl(psprintf("ALTER TABLE %s ADD %s",
					 quoted_name(model->schema, model->table),
					 model->fkeys[fkey].clause));
}
