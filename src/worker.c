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

#include "registry.h"

#define WORKER_QUEUE_SIZE	16384
#define WORKER_NSTRINGS		8

/* what the session hands to its worker, in dynamic shared memory */
typedef struct WorkerTask
{
	Oid			database;
	Oid			session_user;	/* who the worker connects as */
	Oid			current_user;	/* the caller's role */
	Oid			function;		/* a function of the extension: its schema */
	DDLKind		kind;
	bool		done;			/* set by the worker once it committed */
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
	step->model = -1;
	return step;
}

/* the session went away or gave up: so does its worker */
static void
terminate_worker(dsm_segment *seg, Datum arg)
{
	BackgroundWorkerHandle *handle = (BackgroundWorkerHandle *) DatumGetPointer(arg);

	(void) seg;
	TerminateBackgroundWorker(handle);
}

/*
 * Run step at top level in a background worker and wait for it; its
 * error, if any, is raised here.  Call with no snapshot held.
 */
void
worker_run(const DDLStep *step)
{
	const char *strings[WORKER_NSTRINGS];
	Size		size = offsetof(WorkerTask, data);
	Size		offset;
	dsm_segment *seg;
	WorkerTask *task;
	shm_mq	   *queue;
	shm_mq_handle *mqh;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	pid_t		pid;
	ErrorData  *error = NULL;
	int			i;

	step_strings(step, strings);
	for (i = 0; i < WORKER_NSTRINGS; i++)
		size += strings[i] ? strlen(strings[i]) + 1 : 0;
	size = MAXALIGN(size);
	offset = size;
	size += WORKER_QUEUE_SIZE;

	seg = dsm_create(size, 0);
	task = dsm_segment_address(seg);
	memset(task, 0, offsetof(WorkerTask, data));
	task->database = MyDatabaseId;
	task->session_user = GetSessionUserId();
	task->current_user = GetUserId();
	task->function = extension_function;
	task->kind = step->kind;
	task->queue_offset = offset;
	{
		char	   *p = task->data;

		for (i = 0; i < WORKER_NSTRINGS; i++)
		{
			if (strings[i] == NULL)
				continue;
			task->string_offsets[i] = p - (char *) task;
			strcpy(p, strings[i]);
			p += strlen(strings[i]) + 1;
		}
	}
	queue = shm_mq_create((char *) task + offset, WORKER_QUEUE_SIZE);
	shm_mq_set_receiver(queue, MyProc);
	mqh = shm_mq_attach(queue, seg, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, library, BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "provision_online_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "provision online worker for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "provision online worker");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	/* the handle outlives the transaction, for the detach callback */
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker to run \"%s\"", step->sql),
				 errdetail("Every background worker slot is in use."),
				 errhint("Raise max_worker_processes, or run CALL provision_apply() again when a slot is free.")));
	MemoryContextSwitchTo(old);
	on_dsm_detach(seg, terminate_worker, PointerGetDatum(handle));
	shm_mq_set_handle(mqh, handle);
	if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_POSTMASTER_DIED)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited while starting a background worker")));

	/* its messages, until it detaches */
	for (;;)
	{
		Size		nbytes;
		void	   *data;
		StringInfoData msg;
		char		msgtype;

		if (shm_mq_receive(mqh, &nbytes, &data, false) != SHM_MQ_SUCCESS)
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
	(void) WaitForBackgroundWorkerShutdown(handle);
	if (error != NULL)
		ThrowErrorData(error);
	pg_read_barrier();
	if (!task->done)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("background worker running \"%s\" exited without finishing", step->sql),
				 errhint("Run CALL provision_apply() again: it finishes or removes what was left.")));
	dsm_detach(seg);
}

/*
 * The background worker: runs one statement at top level, then exits.
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

	/* the step and its statement live for the whole session */
	cxt = AllocSetContextCreate(TopMemoryContext, "provision online worker",
								ALLOCSET_DEFAULT_SIZES);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
	step = task_step(task);
	registry_use_schema_of(task->function);
	SetUserIdAndSecContext(task->current_user, 0);
	debug_query_string = step->sql;
	pgstat_report_activity(STATE_RUNNING, step->sql);

	run_top_level_step(step);

	CommitTransactionCommand();
	pg_write_barrier();
	task->done = true;
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
