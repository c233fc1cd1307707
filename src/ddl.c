/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  Building and running the DDL that provisioning and migration need.
 *
 * Statements are built only from quote_identifier() output and from model
 * text that the server's own deparsers produced (see definition.c and
 * inspect.c), and run through SPI as ordinary utility statements, so event
 * triggers, the read-only check and every privilege check of plain DDL
 * apply, and objects are owned by the calling role.
 *
 * They run under search_path "pg_catalog, pg_temp": model text names every
 * non-catalog object with its schema, and the caller's search_path (or a
 * temporary table of the same name) must not change what a statement
 * refers to.  They also run under provision.lock_timeout, so that DDL
 * stuck behind a long transaction fails instead of queueing forever while
 * every later query on the table queues behind it.
 *
 * Every statement run is recorded in the history (history.c) and, when
 * the caller asks, in a list it can return.
 *
 *-------------------------------------------------------------------------
 */
#include "provision.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"

/* provision.lock_timeout, in milliseconds; 0 waits forever */
int			provision_lock_timeout = 5000;

DDLStep *
make_step(const char *table, int model, DDLPhase phase, char *sql)
{
	DDLStep    *step = palloc0(sizeof(DDLStep));

	step->table = pstrdup(table);
	step->model = model;
	step->phase = phase;
	step->sql = sql;
	return step;
}

/*
 * Run one DDL statement that concerns table_name (quoted, qualified).
 * With executed, append the step to *executed.
 */
void
run_ddl(const char *table_name, const char *sql, List **executed)
{
	int			save_nestlevel;
	int			ret;
	char		timeout[32];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	save_nestlevel = catalog_search_path_push();
	snprintf(timeout, sizeof(timeout), "%d", provision_lock_timeout);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = SPI_execute(sql, false, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(ret));
	catalog_search_path_pop(save_nestlevel);
	SPI_finish();

	history_record(table_name, sql);
	if (executed != NULL)
		*executed = lappend(*executed, make_step(table_name, -1, PHASE_CREATE,
												 pstrdup(sql)));
}

char *
ddl_create_schema_sql(const char *schema, const char *owner)
{
	if (owner != NULL)
		return psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
						quote_identifier(schema), quote_identifier(owner));
	return psprintf("CREATE SCHEMA %s", quote_identifier(schema));
}

/*
 * CREATE TABLE for model, with the foreign keys that inline_fkeys selects
 * (NULL: all); the others are added by ddl_add_foreign_key_sql().
 */
char *
ddl_create_table_sql(const Model *model, const bool *inline_fkeys)
{
	StringInfoData sql;
	bool		first = (model->body[0] == '\0');
	int			i;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (%s",
					 quoted_name(model->schema, model->table), model->body);
	for (i = 0; i < model->nfkeys; i++)
	{
		if (inline_fkeys != NULL && !inline_fkeys[i])
			continue;
		appendStringInfo(&sql, "%s%s", first ? "" : ", ", model->fkeys[i].clause);
		first = false;
	}
	appendStringInfoChar(&sql, ')');
	return sql.data;
}

char *
ddl_add_foreign_key_sql(const Model *model, int fkey)
{
	return psprintf("ALTER TABLE %s ADD %s",
					quoted_name(model->schema, model->table),
					model->fkeys[fkey].clause);
}
