/*-------------------------------------------------------------------------
 *
 * name.c
 *	  Parsing of name arguments as SQL identifiers, and their display.
 *
 * Names are read the way regclass input reads them: dot-separated parts,
 * each either a double-quoted identifier (with "" for a quote) or a bare
 * word folded to lower case, with white space allowed around the parts.
 * Unlike regclass, a part of NAMEDATALEN bytes or more is an error, never
 * silently truncated: a deploy must not create a table whose name differs
 * from the one it was given.
 *
 *-------------------------------------------------------------------------
 */
#include "name.h"

#include "catalog/namespace.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "parser/scansup.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"

/*
 * The schema CREATE TABLE would use for an unqualified name: the first
 * existing schema of search_path (3F000 if there is none).
 */
char *
creation_schema_name(void)
{
	RangeVar   *rv = makeRangeVar(NULL, "", -1);
	Oid			nspid = RangeVarGetCreationNamespace(rv);

	if (isTempNamespace(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot declare or provision temporary tables"),
				 errdetail("The first schema of search_path is the temporary schema."),
				 errhint("Qualify the table name with its schema.")));
	return get_namespace_name(nspid);
}

/*
 * Models are permanent tables; pg_temp would make them session-local.
 */
void
reject_temporary_schema(const char *schema)
{
	if (strcmp(schema, "pg_temp") == 0 ||
		strncmp(schema, "pg_temp_", 8) == 0 ||
		strncmp(schema, "pg_toast_temp_", 14) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot declare or provision temporary tables"),
				 errdetail("Schema \"%s\" is a temporary schema.", schema)));
}

static void
invalid_name_syntax(const char *input)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_NAME),
			 errmsg("invalid name syntax: \"%s\"", input),
			 errhint("Write names as SQL identifiers, for example app.users or \"Mixed Case\".\"Users\".")));
}

static void
check_length(const char *ident)
{
	if (strlen(ident) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("identifier \"%s\" is too long", ident),
				 errdetail("The identifier is %zu bytes long, the limit is %d bytes.",
						   strlen(ident), NAMEDATALEN - 1)));
}

/*
 * Split input into its identifier parts; at most max_parts of them.
 */
static List *
parse_identifier_parts(const char *input, int max_parts)
{
	List	   *parts = NIL;
	const char *p = input;

	for (;;)
	{
		char	   *ident;

		while (scanner_isspace(*p))
			p++;

		if (*p == '"')
		{
			StringInfoData buf;

			initStringInfo(&buf);
			p++;
			for (;;)
			{
				if (*p == '\0')
					invalid_name_syntax(input);	/* unterminated quote */
				if (*p == '"')
				{
					if (p[1] != '"')
						break;
					p++;		/* "" stands for one quote */
				}
				appendStringInfoChar(&buf, *p);
				p++;
			}
			p++;				/* the closing quote */
			if (buf.len == 0)
				invalid_name_syntax(input);
			ident = buf.data;
		}
		else
		{
			const char *start = p;

			while (*p != '\0' && *p != '.' && *p != '"' && !scanner_isspace(*p))
				p++;
			if (p == start)
				invalid_name_syntax(input);
			ident = downcase_identifier(start, p - start, false, false);
		}

		check_length(ident);
		parts = lappend(parts, ident);

		while (scanner_isspace(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != '.')
			invalid_name_syntax(input);
		p++;
	}

	if (list_length(parts) > max_parts)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("improper qualified name (too many dotted names): %s",
						input)));
	return parts;
}

/*
 * Models are permanent user tables: neither temporary (0A000) nor in the
 * schemas of the system (42939), where CREATE SCHEMA refuses new names and
 * migrations would change the catalogs.
 */
void
reject_unmodelable_schema(const char *schema)
{
	reject_temporary_schema(schema);
	if (strncmp(schema, "pg_", 3) == 0 || strcmp(schema, "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("schema \"%s\" is a system schema", schema),
				 errdetail("Models are tables of user schemas; the schemas of the system and names beginning with \"pg_\" are reserved."),
				 errhint("Declare the model in another schema.")));
}

/*
 * A schema name: exactly one identifier.
 */
char *
parse_schema_name(const char *input)
{
	List	   *parts = parse_identifier_parts(input, 1);

	reject_unmodelable_schema(linitial(parts));
	return linitial(parts);
}

/*
 * A table name, possibly schema-qualified.  An unqualified name is placed
 * where CREATE TABLE would place it: the first existing schema of
 * search_path.
 */
void
parse_table_name(const char *input, char **schema, char **table)
{
	List	   *parts = parse_identifier_parts(input, 2);

	if (list_length(parts) == 2)
	{
		*schema = linitial(parts);
		*table = lsecond(parts);
	}
	else
	{
		*schema = creation_schema_name();
		*table = linitial(parts);
	}
	reject_unmodelable_schema(*schema);
}

/*
 * "schema.table" unquoted, for use inside the double quotes of a message,
 * the way PostgreSQL's own messages name qualified relations.
 */
char *
display_name(const char *schema, const char *table)
{
	return psprintf("%s.%s", schema, table);
}

/*
 * schema.table quoted as SQL needs it: what DDL and result columns carry.
 */
char *
quoted_name(const char *schema, const char *table)
{
	return quote_qualified_identifier(schema, table);
}
