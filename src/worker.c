/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Statements that must run at top level (CREATE INDEX CONCURRENTLY,
 *	  DROP INDEX CONCURRENTLY), run by a dynamic background worker for the
 *	  session that waits for it.
 *
 * CREATE INDEX CONCURRENTLY commits transactions of its own, so it
 * refuses to run inside a function or procedure.  The session running
 * provision_apply() hands the statement to a background worker started
 * for it (registered at run time: nothing needs to be preloaded), which
 * runs it as a client's statement would run, at top level, as pg_background
 * does, and waits for it with no snapshot held (the build waits for every
 * older snapshot to go).
 *
 * Whose rights: the worker connects as the session's authenticated user
 * (a role that could log in, which a model's declarer need not be), takes
 * the caller's current role, checks there that it may act as the model's
 * declarer, and runs the statement as the declarer in a security-
 * restricted operation (run_top_level_step() in ddl.c, which parses and
 * checks the statement as every statement of a model is checked).
 * Nothing runs as a superuser on a declarer's behalf.
 *
 * A backfill worker runs the batches of its part of the table's pages
 * (backfill.c), each batch a transaction of its own, as the model's
 * declarer, retried on lock timeouts like the session's own.
 *
 * The worker's errors and notices come back to the session through a
 * message queue, with their SQLSTATE, and are raised there.  When the
 * session ends or is cancelled while it waits, the worker is terminated:
 * an index build left INVALID is dropped and built again by the next
 * provision_apply() (onlineplan.c).
 *
 *-------------------------------------------------------------------------
 */
#include "worker.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "backfill.h"
#include "registry.h"
#include "txn.h"

#define WORKER_QUEUE_SIZE	16384
#define WORKER_NSTRINGS		10

typedef enum WorkerJob
{
	JOB_STATEMENT,				/* run a DDLStep at top level */
	JOB_BACKFILL				/* fill a range of pages */
} WorkerJob;

/* what the session hands to its worker, in dynamic shared memory */
typedef struct WorkerTask
{
	Oid			database;
	Oid			session_user;	/* who the worker connects as */
	Oid			current_user;	/* the caller's role */
	Oid			function;		/* a function of the extension: its schema */
	WorkerJob	job;
	DDLKind		kind;
	bool		done;			/* set by the worker once it committed */
	/* JOB_BACKFILL: its pages, the session's settings, the rows it changed */
	BlockNumber start;
	BlockNumber end;
	BlockNumber nblocks;
	int			lock_timeout;
	int			lock_retries;
	int			lock_retry_delay;
	int			batch_time;
	pg_atomic_uint64 rows;
	Size		queue_offset;
	Size		string_offsets[WORKER_NSTRINGS];	/* 0: NULL */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} WorkerTask;

/* the library the session loaded, and a function of the extension */
static char library[BGW_MAXLEN] = "provision";
static Oid	extension_function = InvalidOid;

/*
 * The worker loads the same library as the session that starts it (the
 * path of the function's own pg_proc entry), so that both run one build.
 */
void
worker_use_library_of(Oid funcoid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));

	extension_function = funcoid;
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		probin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &isnull);

		if (!isnull)
		{
			char	   *path = TextDatumGetCString(probin);

			if (strlen(path) < BGW_MAXLEN)
				strlcpy(library, path, BGW_MAXLEN);
		}
		ReleaseSysCache(tuple);
	}
}

static const char *
task_string(WorkerTask *task, int i)
{
	return task->string_offsets[i] ? (char *) task + task->string_offsets[i] : NULL;
}

/* the strings of a step, in the order task_step() reads them */
static void
step_strings(const DDLStep *step, const char *strings[WORKER_NSTRINGS])
{
	strings[0] = step->table;
	strings[1] = step->model_name;
	strings[2] = step->target_schema;
	strings[3] = step->target_name;
	strings[4] = step->object;
	strings[5] = step->other;
	strings[6] = step->run_as;
	strings[7] = step->sql;
	strings[8] = step->owner_schema;
	strings[9] = step->owner_table;
}

static DDLStep *
task_step(WorkerTask *task)
{
	DDLStep    *step = palloc0(sizeof(DDLStep));

	step->kind = task->kind;
	step->table = pstrdup(task_string(task, 0));
	step->model_name = pstrdup(task_string(task, 1));
	step->target_schema = pstrdup(task_string(task, 2));
	step->target_name = task_string(task, 3) ? pstrdup(task_string(task, 3)) : NULL;
	step->object = task_string(task, 4) ? pstrdup(task_string(task, 4)) : NULL;
	step->other = task_string(task, 5) ? pstrdup(task_string(task, 5)) : NULL;
	step->run_as = task_string(task, 6) ? pstrdup(task_string(task, 6)) : NULL;
	step->sql = pstrdup(task_string(task, 7));
	step->owner_schema = task_string(task, 8) ? pstrdup(task_string(task, 8)) : NULL;
	step->owner_table = task_string(task, 9) ? pstrdup(task_string(task, 9)) : NULL;
	step->model = -1;
	return step;
}

static void
set_kind(WorkerTask *task, const void *arg)
{
	task->kind = ((const DDLStep *) arg)->kind;
}

/* the session went away or gave up: so does its worker */
static void
terminate_worker(dsm_segment *seg, Datum arg)
{
	BackgroundWorkerHandle *handle = (BackgroundWorkerHandle *) DatumGetPointer(arg);

	(void) seg;
	TerminateBackgroundWorker(handle);
}

/* a worker started, for worker_wait() */
struct Worker
{
	dsm_segment *seg;
	shm_mq_handle *mqh;
	BackgroundWorkerHandle *handle;
	WorkerTask *task;
	const char *what;			/* for messages */
};

/*
 * Start a worker for the task of strings and settings set by fill();
 * NULL when no slot is free and missing_ok, else an error.
 */
static Worker *
worker_start(WorkerJob job, const char *strings[WORKER_NSTRINGS], const char *what,
			 bool missing_ok, void (*fill) (WorkerTask *task, const void *arg),
			 const void *arg)
{
	Size		size = offsetof(WorkerTask, data);
	Size		offset;
	Worker	   *w = palloc0(sizeof(Worker));
	shm_mq	   *queue;
	BackgroundWorker worker;
	MemoryContext old;
	pid_t		pid;
	int			i;

	for (i = 0; i < WORKER_NSTRINGS; i++)
		size += strings[i] ? strlen(strings[i]) + 1 : 0;
	size = MAXALIGN(size);
	offset = size;
	size += WORKER_QUEUE_SIZE;

	w->what = what;
	w->seg = dsm_create(size, 0);
	w->task = dsm_segment_address(w->seg);
	memset(w->task, 0, offsetof(WorkerTask, data));
	w->task->database = MyDatabaseId;
	w->task->session_user = GetSessionUserId();
	w->task->current_user = GetUserId();
	w->task->function = extension_function;
	w->task->job = job;
	w->task->queue_offset = offset;
	pg_atomic_init_u64(&w->task->rows, 0);
	{
		char	   *p = w->task->data;

		for (i = 0; i < WORKER_NSTRINGS; i++)
		{
			if (strings[i] == NULL)
				continue;
			w->task->string_offsets[i] = p - (char *) w->task;
			strcpy(p, strings[i]);
			p += strlen(strings[i]) + 1;
		}
	}
	if (fill != NULL)
		fill(w->task, arg);
	queue = shm_mq_create((char *) w->task + offset, WORKER_QUEUE_SIZE);
	shm_mq_set_receiver(queue, MyProc);
	w->mqh = shm_mq_attach(queue, w->seg, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, library, BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "provision_online_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "provision online worker for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "provision online worker");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(w->seg));
	worker.bgw_notify_pid = MyProcPid;

	/* the handle outlives the transaction, for the detach callback */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &w->handle))
	{
		MemoryContextSwitchTo(old);
		dsm_detach(w->seg);
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker to run \"%s\"", what),
				 errdetail("Every background worker slot is in use."),
				 errhint("Raise max_worker_processes, or run CALL provision_apply() again when a slot is free.")));
	}
	MemoryContextSwitchTo(old);
	on_dsm_detach(w->seg, terminate_worker, PointerGetDatum(w->handle));
	shm_mq_set_handle(w->mqh, w->handle);
	if (WaitForBackgroundWorkerStartup(w->handle, &pid) == BGWH_POSTMASTER_DIED)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited while starting a background worker")));
	return w;
}

/*
 * Wait for a worker to end, passing its notices on; its error, if any, is
 * raised here.
 */
void
worker_wait(Worker *w)
{
	ErrorData  *error = NULL;

	for (;;)
	{
		Size		nbytes;
		void	   *data;
		StringInfoData msg;
		char		msgtype;

		if (shm_mq_receive(w->mqh, &nbytes, &data, false) != SHM_MQ_SUCCESS)
			break;
		initStringInfo(&msg);
		appendBinaryStringInfo(&msg, data, nbytes);
		msgtype = pq_getmsgbyte(&msg);
		if (msgtype == 'E' || msgtype == 'N')
		{
			ErrorData	edata;

			pq_parse_errornotice(&msg, &edata);
			if (edata.elevel >= ERROR)
			{
				edata.elevel = ERROR;
				error = palloc(sizeof(ErrorData));
				*error = edata;
			}
			else
				ThrowErrorData(&edata);
		}
		pfree(msg.data);
	}
	(void) WaitForBackgroundWorkerShutdown(w->handle);
	if (error != NULL)
		ThrowErrorData(error);
	pg_read_barrier();
	if (!w->task->done)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("background worker running \"%s\" exited without finishing", w->what),
				 errhint("Run CALL provision_apply() again: it finishes or removes what was left.")));
	dsm_detach(w->seg);
}

/* the rows a backfill worker changed so far */
uint64
worker_rows(Worker *w)
{
	return pg_atomic_read_u64(&w->task->rows);
}

/* stop a worker now (the session gives up) */
void
worker_stop(Worker *w)
{
	dsm_detach(w->seg);
}

/*
 * Run step at top level in a background worker and wait for it; its
 * error, if any, is raised here.  Call with no snapshot held.
 */
void
worker_run(const DDLStep *step)
{
	const char *strings[WORKER_NSTRINGS];
	Worker	   *w;

	step_strings(step, strings);
	w = worker_start(JOB_STATEMENT, strings, step->sql, false, set_kind, step);
	worker_wait(w);
}

static void
set_backfill(WorkerTask *task, const void *arg)
{
	const BlockNumber *range = arg;

	task->start = range[0];
	task->end = range[1];
	task->nblocks = range[2];
	task->lock_timeout = provision_lock_timeout;
	task->lock_retries = provision_lock_retries;
	task->lock_retry_delay = provision_lock_retry_delay;
	task->batch_time = provision_batch_time;
}

/*
 * Start a worker filling pages [start, end) of spec's table; NULL when no
 * worker slot is free (the session fills them itself).  The worker lives
 * across the session's commits until worker_wait() or worker_stop().
 */
Worker *
worker_start_backfill(const BackfillSpec *spec, BlockNumber start, BlockNumber end)
{
	const char *strings[WORKER_NSTRINGS] = {spec->table, spec->model_name, spec->prefix,
	spec->suffix, NULL, NULL, spec->run_as, NULL, NULL, NULL};
	BlockNumber range[3] = {start, end, spec->nblocks};
	Worker	   *w = worker_start(JOB_BACKFILL, strings,
								 psprintf("%s... (pages %u to %u)", spec->prefix, start, end - 1),
								 true, set_backfill, range);

	if (w != NULL)
		dsm_pin_mapping(w->seg);
	return w;
}

/*
 * A batch of a worker's backfill in a transaction of its own, retried on
 * lock timeouts and deadlocks with backoff, as txn_run() does in the
 * session.
 */
static void
worker_batch(void (*work) (void *arg), void *arg, const char *table)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile long delay = provision_lock_retry_delay;
	volatile int attempt;

	for (attempt = 0;; attempt++)
	{
		ErrorData  *volatile edata = NULL;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			/* SPI needs an outer snapshot; a worker has no portal to give one */
			PushActiveSnapshot(GetTransactionSnapshot());
			work(arg);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if ((edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE &&
				 edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED) ||
				attempt >= provision_lock_retries)
				PG_RE_THROW();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		if (edata == NULL)
			break;
		pg_usleep(delay * 1000L);
		delay = Min(delay * 2, 30000);
		CHECK_FOR_INTERRUPTS();
	}
	(void) table;
}

/*
 * The background worker: runs one statement at top level, or one part of
 * a backfill, then exits.
 */
void
provision_online_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	WorkerTask *task;
	shm_mq	   *queue;
	shm_mq_handle *mqh;
	DDLStep    *step;
	MemoryContext cxt;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	CurrentResourceOwner = ResourceOwnerCreate(NULL, "provision online worker");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the dynamic shared memory segment of a provision online worker")));
	task = dsm_segment_address(seg);
	queue = (shm_mq *) ((char *) task + task->queue_offset);
	shm_mq_set_sender(queue, MyProc);
	mqh = shm_mq_attach(queue, seg, NULL);
	pq_redirect_to_shm_mq(seg, mqh);

	BackgroundWorkerInitializeConnectionByOid(task->database, task->session_user, 0);

	/* what it runs lives for the whole session */
	cxt = AllocSetContextCreate(TopMemoryContext, "provision online worker",
								ALLOCSET_DEFAULT_SIZES);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
	registry_use_schema_of(task->function);
	SetUserIdAndSecContext(task->current_user, 0);

	if (task->job == JOB_BACKFILL)
	{
		BackfillSpec *spec = palloc0(sizeof(BackfillSpec));
		spec->table = pstrdup(task_string(task, 0));
		spec->model_name = pstrdup(task_string(task, 1));
		spec->prefix = pstrdup(task_string(task, 2));
		spec->suffix = pstrdup(task_string(task, 3));
		spec->run_as = pstrdup(task_string(task, 6));
		spec->nblocks = task->nblocks;
		provision_lock_timeout = task->lock_timeout;
		provision_lock_retries = task->lock_retries;
		provision_lock_retry_delay = task->lock_retry_delay;
		provision_batch_time = task->batch_time;
		debug_query_string = spec->prefix;
		pgstat_report_activity(STATE_RUNNING, spec->prefix);
		CommitTransactionCommand();
		MemoryContextSwitchTo(cxt);
		backfill_range(spec, task->start, task->end, worker_batch, &task->rows, NULL, NULL);
		StartTransactionCommand();
	}
	else
	{
		step = task_step(task);
		step->kind = task->kind;
		debug_query_string = step->sql;
		pgstat_report_activity(STATE_RUNNING, step->sql);
		run_top_level_step(step);
	}

	CommitTransactionCommand();
	pg_write_barrier();
	task->done = true;
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
