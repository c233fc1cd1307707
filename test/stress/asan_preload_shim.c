/*
 * asan_preload_shim.c: preloaded by test/stress/sanitize.sh right after
 * libasan (and before libubsan), so that Debian's uninstrumented postgres
 * runs under the sanitizers as intended.  It fixes two things.
 *
 * 1. The start.  With libasan in LD_PRELOAD, ASan initializes lazily, on the
 * first malloc.  Debian's postgres pulls in libgpg-error (libsystemd ->
 * libgcrypt), whose constructor runs before libasan's and calls
 * bindtextdomain(): its malloc, made while glibc holds _nl_state_lock for
 * writing, starts ASan's initialization, which looks up swift_demangle with
 * dlsym(); the lookup fails, dlerror() translates its message with gettext
 * and takes the same lock for reading.  The lock's reader count goes
 * negative and the next bindtextdomain() (postgres's own, in main) waits
 * forever: postgres, psql and initdb all hang before main with
 * LD_PRELOAD=libasan.so (google/sanitizers issue 1270 is the same hang).
 * Defining swift_demangle makes that dlsym() succeed: no dlerror(), no
 * gettext, no hang.  It demangles nothing, so ASan falls back to its C++
 * demangler as it would without Swift.
 *
 * 2. UBSAN_OPTIONS.  The UBSan runtime reads its options when it first
 * reports, in a backend, and reads the environment from /proc/self/environ;
 * by then the postmaster has overwritten that memory with its process title
 * (ps_status.c moves environ away and reuses the area), so log_path and
 * print_stacktrace were silently lost.  This library copies UBSAN_OPTIONS at
 * load time, before main, and hands it back through __ubsan_default_options(),
 * which the runtime consults first; being preloaded ahead of libubsan, this
 * definition is the one the runtime's call resolves to.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

char	   *swift_demangle(const char *mangled, size_t mangled_len,
						   char *out, size_t *out_len, unsigned flags);
const char *__ubsan_default_options(void);

static char ubsan_options[4096];

char *
swift_demangle(const char *mangled, size_t mangled_len,
			   char *out, size_t *out_len, unsigned flags)
{
	(void) mangled;
	(void) mangled_len;
	(void) out;
	(void) out_len;
	(void) flags;
	return NULL;
}

static void save_ubsan_options(void) __attribute__((constructor));

static void
save_ubsan_options(void)
{
	const char *o = getenv("UBSAN_OPTIONS");

	if (o != NULL && strlen(o) < sizeof(ubsan_options))
		strcpy(ubsan_options, o);
}

const char *
__ubsan_default_options(void)
{
	return ubsan_options;
}
