/*-------------------------------------------------------------------------
 *
 * loadcache.c
 *	  A script loaded again unchanged is not tried again.
 *
 * A deploy loads its schema file every time, and nearly every time the
 * file is the one loaded before: trying every statement again (creating
 * every object in scratch schemas) would make the no-op deploy cost as
 * much as the first.  So each role's last load is remembered
 * (provision_loads): the digest of what it loaded (the script, whether
 * unsupported statements were skipped, the role and its search_path,
 * which resolve the script's unqualified names) and the registry's
 * fingerprint right after it.  The same digest with the same fingerprint
 * means that the load would declare exactly what is already declared: it
 * returns what it returned then, every object "unchanged", and the same
 * NOTICE for skipped statements, without a trial.  Any model declared,
 * replaced or forgotten since (by anyone), another script, role or
 * search_path, and the load runs in full.
 *
 * What the fast path does not see: a function, type or operator outside
 * the script that the script uses, changed since, would make a full load
 * normalize the script differently.  The models it declared stay as they
 * were declared; provision_diff() still compares them with what is there.
 *
 *-------------------------------------------------------------------------
 */
#include "loadcache.h"

#include "catalog/namespace.h"
#include "common/md5.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "load.h"
#include "pg_compat.h"
#include "registry.h"

/* bumped when what a load declares from the same script may change */
#define LOAD_DIGEST_VERSION "provision 1.2 load 1"

/*
 * The digest of a load of text by the current role; NULL where no digest
 * can be made (an MD5-less FIPS build): the load then always runs.
 */
char *
load_digest(const char *text, bool skip_unsupported)
{
	StringInfoData buf;
	Oid			role = GetUserId();
	char	   *hex = palloc(33);
	const char *errstr = NULL;

	initStringInfo(&buf);
	appendStringInfoString(&buf, LOAD_DIGEST_VERSION);
	appendStringInfoChar(&buf, '\0');
	appendBinaryStringInfo(&buf, (char *) &role, sizeof(role));
	appendStringInfoChar(&buf, skip_unsupported ? 't' : 'f');
	appendStringInfoString(&buf, namespace_search_path);
	appendStringInfoChar(&buf, '\0');
	appendStringInfoString(&buf, text);
	if (!provision_md5_hash(buf.data, buf.len, hex, &errstr))
		return NULL;
	return hex;
}

/*
 * Whether the current role's last load had this digest and nothing in the
 * registry changed since; then *rows are what it declared, unchanged, and
 * *skipped_kinds the kinds of the statements it skipped.
 */
bool
load_cache_hit(const char *digest, List **rows, List **skipped_kinds)
{
	char	   *last_digest;
	char	   *last_fingerprint;
	char	   *fingerprint;
	List	   *kinds;
	List	   *objects;
	ListCell   *kc;
	ListCell   *oc;

	if (digest == NULL ||
		!registry_last_load(&last_digest, &last_fingerprint, &kinds, &objects, skipped_kinds) ||
		strcmp(last_digest, digest) != 0)
		return false;
	fingerprint = registry_fingerprint();
	if (fingerprint == NULL || strcmp(fingerprint, last_fingerprint) != 0)
		return false;

	*rows = NIL;
	forboth(kc, kinds, oc, objects)
	{
		LoadRow    *row = palloc(sizeof(LoadRow));

		row->kind = lfirst(kc);
		row->object = lfirst(oc);
		row->action = "unchanged";
		*rows = lappend(*rows, row);
	}
	return true;
}

/* Remember a load of the current role that declared rows. */
void
load_cache_remember(const char *digest, List *rows, List *skipped_kinds)
{
	char	   *fingerprint;
	List	   *kinds = NIL;
	List	   *objects = NIL;
	ListCell   *lc;

	if (digest == NULL || (fingerprint = registry_fingerprint()) == NULL)
		return;
	foreach(lc, rows)
	{
		LoadRow    *row = lfirst(lc);

		kinds = lappend(kinds, (char *) row->kind);
		objects = lappend(objects, row->object);
	}
	registry_remember_load(digest, fingerprint, kinds, objects, skipped_kinds);
}
