/*
 * Copyright (C) The nginx mobility authors
 *
 * The core of the mobility modules: the "mobility_store" directive and
 * the life cycle of the LMDB environment.  The master opens the store at
 * configuration time to create and validate it, then closes it: LMDB
 * environments must not cross fork().  Every worker opens its own in
 * init_process and clears reader slots left by crashed processes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "ngx_mobility_core.h"
#include "ngx_mobility_ipc.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_token.h"
#include "ngx_mobility_events.h"


static void *ngx_mobility_core_create_conf(ngx_cycle_t *cycle);
static char *ngx_mobility_core_init_conf(ngx_cycle_t *cycle, void *conf);
static char *ngx_mobility_store_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_mobility_core_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_mobility_core_init_process(ngx_cycle_t *cycle);
static void ngx_mobility_core_exit_process(ngx_cycle_t *cycle);
static void ngx_mobility_store_flush_handler(ngx_event_t *ev);
static void ngx_mobility_store_flush_arm(ngx_mobility_core_conf_t *mcf);
#if (NGX_THREADS)
static void ngx_mobility_store_flush_thread(void *data, ngx_log_t *log);
static void ngx_mobility_store_flush_done(ngx_event_t *ev);
static void ngx_mobility_process_free(void *data);
#endif


static ngx_command_t  ngx_mobility_core_commands[] = {

    { ngx_string("mobility_store"),
      NGX_MAIN_CONF|NGX_DIRECT_CONF|NGX_CONF_1MORE,
      ngx_mobility_store_directive,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_core_module_t  ngx_mobility_core_module_ctx = {
    ngx_string("mobility"),
    ngx_mobility_core_create_conf,
    ngx_mobility_core_init_conf
};


ngx_module_t  ngx_mobility_module = {
    NGX_MODULE_V1,
    &ngx_mobility_core_module_ctx,         /* module context */
    ngx_mobility_core_commands,            /* module directives */
    NGX_CORE_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_mobility_core_init_module,         /* init module */
    ngx_mobility_core_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_mobility_core_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the environment of this process; LMDB allows one per process */
static ngx_mobility_store_t  ngx_mobility_store;
static ngx_event_t           ngx_mobility_flush_event;

#if (NGX_THREADS)

/* the flush of durability=relaxed, run in the thread pool */
typedef struct {
    MDB_env                   *env;
    ngx_mobility_core_conf_t  *mcf;
    int                        rc;
} ngx_mobility_flush_ctx_t;

static ngx_thread_task_t    *ngx_mobility_flush_task;

#endif


ngx_mobility_store_t *
ngx_mobility_store_current(void)
{
    return ngx_mobility_store.env ? &ngx_mobility_store : NULL;
}


ngx_mobility_core_conf_t *
ngx_mobility_core_conf(ngx_cycle_t *cycle)
{
    return (ngx_mobility_core_conf_t *) ngx_get_conf(cycle->conf_ctx,
                                                     ngx_mobility_module);
}


/*
 * n zeroed elements for the rest of this process: calloc()'s pages stay
 * untouched (no resident memory) until used, unlike a pool's memset;
 * freed with the cycle's pool when the process exits
 */
void *
ngx_mobility_process_calloc(size_t n, size_t size)
{
    void                *p;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = calloc(n, size);
    if (p == NULL) {
        return NULL;
    }

    cln->handler = ngx_mobility_process_free;
    cln->data = p;

    return p;
}


static void
ngx_mobility_process_free(void *data)
{
    free(data);
}


void
ngx_mobility_require_store(ngx_conf_t *cf, const char *who)
{
    ngx_mobility_core_conf_t  *mcf;

    mcf = ngx_mobility_core_conf(cf->cycle);

    if (mcf->required == NULL) {
        mcf->required = who;
    }
}


static void *
ngx_mobility_core_create_conf(ngx_cycle_t *cycle)
{
    ngx_mobility_core_conf_t  *mcf;

    mcf = ngx_pcalloc(cycle->pool, sizeof(ngx_mobility_core_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->path = { 0, NULL };
     *     mcf->required = NULL;
     */

    mcf->size = NGX_CONF_UNSET_SIZE;
    mcf->durability = NGX_CONF_UNSET_UINT;
    mcf->flush = NGX_CONF_UNSET_MSEC;
    mcf->releases = NGX_CONF_UNSET_UINT;

    return mcf;
}


static char *
ngx_mobility_core_init_conf(ngx_cycle_t *cycle, void *conf)
{
    ngx_mobility_core_conf_t  *mcf = conf;

    ngx_conf_init_size_value(mcf->size, NGX_MOBILITY_STORE_DEFAULT_SIZE);
    ngx_conf_init_uint_value(mcf->durability, NGX_MOBILITY_DURABLE_FULL);
    ngx_conf_init_msec_value(mcf->flush, 1000);
    ngx_conf_init_uint_value(mcf->releases, NGX_MOBILITY_RELEASES_SYNC);

    if (mcf->required && mcf->path.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "\"%s\" needs the store: add \"mobility_store <path>;\" "
                      "at the top level of the configuration", mcf->required);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_mobility_store_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_mobility_core_conf_t  *mcf = conf;

    ssize_t     size;
    ngx_str_t  *value, s;
    ngx_msec_t  flush;
    ngx_uint_t  i;

    if (mcf->path.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    mcf->path = value[1];

    if (ngx_conf_full_name(cf->cycle, &mcf->path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "size=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR || size < (ssize_t) (1024 * 1024)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid store size \"%V\" in "
                                   "\"mobility_store\": at least 1m", &s);
                return NGX_CONF_ERROR;
            }

            mcf->size = size;
            continue;
        }

        if (ngx_strcmp(value[i].data, "durability=full") == 0) {
            mcf->durability = NGX_MOBILITY_DURABLE_FULL;
            continue;
        }

        if (ngx_strcmp(value[i].data, "durability=nometasync") == 0) {
            mcf->durability = NGX_MOBILITY_DURABLE_NOMETASYNC;
            continue;
        }

        if (ngx_strcmp(value[i].data, "durability=relaxed") == 0) {
            mcf->durability = NGX_MOBILITY_DURABLE_RELAXED;
            continue;
        }

        if (ngx_strcmp(value[i].data, "releases=nosync") == 0) {
            mcf->releases = NGX_MOBILITY_RELEASES_NOSYNC;
            continue;
        }

        if (ngx_strcmp(value[i].data, "releases=sync") == 0) {
            mcf->releases = NGX_MOBILITY_RELEASES_SYNC;
            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            flush = ngx_parse_time(&s, 0);

            if (flush == (ngx_msec_t) NGX_ERROR || flush == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid flush interval \"%V\" in "
                                   "\"mobility_store\"", &s);
                return NGX_CONF_ERROR;
            }

            mcf->flush = flush;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"mobility_store\": "
                           "expected size=, durability=full|nometasync|"
                           "relaxed, releases=sync|nosync or "
                           "flush=", &value[i]);
        return NGX_CONF_ERROR;
    }

#if (NGX_THREADS)
    if (mcf->durability == NGX_MOBILITY_DURABLE_RELAXED) {
        /* the flushes run in the pool "default" (thread_pool sizes it) */
        mcf->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (mcf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }
#endif

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_mobility_store_open_conf(ngx_cycle_t *cycle, ngx_mobility_core_conf_t *mcf)
{
    if (ngx_mobility_store_open(&ngx_mobility_store,
                                (const char *) mcf->path.data, mcf->size,
                                mcf->durability, 0)
        != 0)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "mobility_store: %s",
                      ngx_mobility_store.err);
        return NGX_ERROR;
    }

    /* the P-GET batches (ngx_mobility_store_commit_lazy()) */

    ngx_mobility_store.lazy_flag =
        (mcf->releases == NGX_MOBILITY_RELEASES_NOSYNC) ? MDB_NOSYNC : 0;

    return NGX_OK;
}


static void
ngx_mobility_store_chown(ngx_cycle_t *cycle, ngx_mobility_core_conf_t *mcf)
{
    u_char           *p, path[NGX_MAX_PATH];
    ngx_uint_t        i;
    ngx_core_conf_t  *ccf;

    static const char  *files[] = { "", "/data.mdb", "/lock.mdb" };

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (geteuid() != 0 || ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return;
    }

    /* the master runs as root, the workers as "user": hand them the store */

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        p = ngx_snprintf(path, sizeof(path) - 1, "%V%s", &mcf->path,
                         files[i]);
        *p = '\0';

        if (chown((char *) path, ccf->user, ccf->group) == -1) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                          "mobility_store: chown(\"%s\") failed", path);
        }
    }
}


/*
 * Whatever an operating-system crash made the store lose of its last
 * commits (the P-GET batches with releases=nosync, the last commit with
 * durability=nometasync, the last flush interval with relaxed), the
 * event channels may then be behind their clients.  The kernel's boot
 * id tells: a store last used under another boot (or a copy made by
 * mobilityctl backup, whose boot id is "restored") has its channels
 * recovered (ngx_mobility_evchan_recover_all()) before any worker serves
 * them.  A store without a boot id predates this check: its id is just
 * stored.
 */
static ngx_int_t
ngx_mobility_store_boot_check(ngx_cycle_t *cycle,
    ngx_mobility_core_conf_t *mcf)
{
    int                    len;
    char                   stored[NGX_MOBILITY_BOOT_ID_MAX + 1];
    u_char                 boot[NGX_MOBILITY_BOOT_ID_MAX + 1];
    ssize_t                n;
    int64_t                marked;
    MDB_txn               *txn;
    ngx_fd_t               fd;
    ngx_mobility_store_t  *st;

    st = &ngx_mobility_store;

    fd = ngx_open_file(NGX_MOBILITY_BOOT_ID_FILE, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, ngx_errno,
                      "mobility_store: cannot read the boot id \""
                      NGX_MOBILITY_BOOT_ID_FILE "\", taken as unchanged");
        return NGX_OK;
    }

    n = read(fd, boot, NGX_MOBILITY_BOOT_ID_MAX);

    (void) ngx_close_file(fd);

    while (n > 0 && (boot[n - 1] == '\n' || boot[n - 1] == ' ')) {
        n--;
    }

    if (n <= 0) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "mobility_store: the boot id \""
                      NGX_MOBILITY_BOOT_ID_FILE "\" is empty or unreadable, "
                      "taken as unchanged");
        return NGX_OK;
    }

    boot[n] = '\0';

    /* read only: on a reload (the same boot) nothing waits for the writer */

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        goto failed;
    }

    len = ngx_mobility_store_meta_str(st, txn, NGX_MOBILITY_META_BOOT_ID,
                                      stored, sizeof(stored));
    mdb_txn_abort(txn);

    if (len < 0) {
        goto failed;
    }

    if (len == n && ngx_memcmp(stored, boot, n) == 0) {
        /* the same boot: whatever was committed without a sync is there */
        return NGX_OK;
    }

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        goto failed;
    }

    if (len) {
        marked = ngx_mobility_evchan_recover_all(st, txn);

        if (marked < 0) {
            mdb_txn_abort(txn);
            goto failed;
        }

        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "mobility_store: last used under boot id \"%s\", now "
                      "\"%s\": %L event channels marked recovered", stored,
                      boot, marked);
    }

    if (ngx_mobility_store_set_meta_str(st, txn, NGX_MOBILITY_META_BOOT_ID,
                                        (char *) boot)
        != 0)
    {
        mdb_txn_abort(txn);
        goto failed;
    }

    /* with durability=full, durable before any worker starts */

    if (ngx_mobility_store_commit(st, txn) != 0) {
        goto failed;
    }

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "mobility_store: %s",
                  st->err);

    return NGX_ERROR;
}


static ngx_int_t
ngx_mobility_core_init_module(ngx_cycle_t *cycle)
{
    unsigned                   usage;
    ngx_mobility_core_conf_t  *mcf;

    mcf = ngx_mobility_core_conf(cycle);

    if (mcf == NULL || mcf->path.len == 0) {
        return NGX_OK;
    }

    if (ngx_mobility_store_open_conf(cycle, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a store written before the people-search index existed */
    if (ngx_mobility_user_search_upgrade(&ngx_mobility_store)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "mobility_store: %s", ngx_mobility_store.err);
        ngx_mobility_store_close(&ngx_mobility_store);
        return NGX_ERROR;
    }

    if (ngx_mobility_store_boot_check(cycle, mcf) != NGX_OK) {
        ngx_mobility_store_close(&ngx_mobility_store);
        return NGX_ERROR;
    }

    usage = ngx_mobility_store_usage(&ngx_mobility_store);

    if (usage >= 90) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "mobility_store \"%V\" is %ud%% full; raise \"size=\"",
                      &mcf->path, usage);
    }

    ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                  "mobility_store \"%V\" opened (format %d, map %uz bytes, "
                  "%ud%% used)", &mcf->path, NGX_MOBILITY_STORE_FORMAT,
                  ngx_mobility_store.map_size, usage);

    /* never keep the environment open across fork() */
    ngx_mobility_store_close(&ngx_mobility_store);

    ngx_mobility_store_chown(cycle, mcf);

    return NGX_OK;
}


/*
 * A read transaction ended on the event loop stays parked until the
 * iteration's posted events run (ngx_mobility_store_read(): a request
 * that finds nothing committed since uses it without a reset and a
 * renewal); then this releases it.
 */
static ngx_event_t  ngx_mobility_park_event;


static void
ngx_mobility_store_park_handler(ngx_event_t *ev)
{
    ngx_mobility_store_read_release(&ngx_mobility_store);
}


static void
ngx_mobility_store_parked(void *data)
{
    if (!ngx_mobility_park_event.posted) {
        ngx_post_event(&ngx_mobility_park_event, &ngx_posted_events);
    }
}


static ngx_int_t
ngx_mobility_core_init_process(ngx_cycle_t *cycle)
{
    int                        dead;
    ngx_mobility_core_conf_t  *mcf;

    mcf = ngx_mobility_core_conf(cycle);

    if (mcf == NULL || mcf->path.len == 0) {
        return NGX_OK;
    }

    if (ngx_mobility_store_open_conf(cycle, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    dead = ngx_mobility_store_reader_check(&ngx_mobility_store);

    if (dead > 0) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "mobility_store: cleared %d stale reader slot(s)", dead);
    }

    return NGX_OK;
}


/*
 * The parts that need nginx's event machinery (connections, timers),
 * which a static build initialises after this core module: called from
 * the init_process of ngx_http_mobility_module.
 */
ngx_int_t
ngx_mobility_init_events(ngx_cycle_t *cycle)
{
    ngx_mobility_core_conf_t  *mcf;

    mcf = ngx_mobility_core_conf(cycle);

    if (mcf == NULL || mcf->path.len == 0 || ngx_mobility_store.env == NULL) {
        return NGX_OK;
    }

    if (ngx_mobility_ipc_init_process(cycle, &ngx_mobility_store, &mcf->path)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_mobility_park_event.handler = ngx_mobility_store_park_handler;
    ngx_mobility_park_event.log = cycle->log;
    ngx_mobility_park_event.cancelable = 1;
    ngx_mobility_store.on_park = ngx_mobility_store_parked;
    ngx_mobility_store.park_data = NULL;

    if (mcf->durability == NGX_MOBILITY_DURABLE_RELAXED && ngx_worker == 0) {
        ngx_mobility_flush_event.handler = ngx_mobility_store_flush_handler;
        ngx_mobility_flush_event.data = mcf;
        ngx_mobility_flush_event.log = cycle->log;
        ngx_mobility_flush_event.cancelable = 1;

#if (NGX_THREADS)
        if (mcf->thread_pool) {
            ngx_mobility_flush_task = ngx_thread_task_alloc(cycle->pool,
                                              sizeof(ngx_mobility_flush_ctx_t));
            if (ngx_mobility_flush_task == NULL) {
                return NGX_ERROR;
            }

            ngx_mobility_flush_task->handler = ngx_mobility_store_flush_thread;
            ngx_mobility_flush_task->event.handler =
                                                 ngx_mobility_store_flush_done;
            ngx_mobility_flush_task->event.data = mcf;
            ngx_mobility_flush_task->event.log = cycle->log;
        }
#endif

        ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                      "mobility_store: durability=relaxed, flushed every "
                      "%M ms %s", mcf->flush,
#if (NGX_THREADS)
                      ngx_mobility_flush_task ? "in the thread pool" :
#endif
                      "on the event loop");

        ngx_add_timer(&ngx_mobility_flush_event, mcf->flush);
    }

    return NGX_OK;
}


/*
 * durability=relaxed: worker 0 makes the commits of the last interval
 * durable.  mdb_env_sync() (an fdatasync of the data file) can take tens
 * of milliseconds under load; it runs in the thread pool so that the
 * event loop, which is also the push sender's, never waits for it.  One
 * flush at a time: the next interval starts when it is done.  Without a
 * thread pool, or when the task cannot be posted, it runs here.
 */
static void
ngx_mobility_store_flush_handler(ngx_event_t *ev)
{
    int                        rc;
    ngx_mobility_core_conf_t  *mcf;

    mcf = ev->data;

    if (ngx_mobility_store.env == NULL) {
        return;
    }

#if (NGX_THREADS)
    {
    ngx_mobility_flush_ctx_t  *ctx;

    if (ngx_mobility_flush_task && mcf->thread_pool) {

        if (ngx_mobility_flush_task->event.active) {
            /* the previous flush is still running: it re-arms the timer */
            return;
        }

        ctx = ngx_mobility_flush_task->ctx;
        ctx->env = ngx_mobility_store.env;
        ctx->mcf = mcf;
        ctx->rc = 0;

        if (ngx_thread_task_post(mcf->thread_pool, ngx_mobility_flush_task)
            == NGX_OK)
        {
            return;
        }

        ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                      "mobility_store: the thread pool is unavailable, "
                      "flushing on the event loop");
    }
    }
#endif

    rc = mdb_env_sync(ngx_mobility_store.env, 1);

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility_store: mdb_env_sync() failed: %s",
                      mdb_strerror(rc));
    }

    ngx_mobility_store_flush_arm(mcf);
}


static void
ngx_mobility_store_flush_arm(ngx_mobility_core_conf_t *mcf)
{
    if (!ngx_exiting && ngx_mobility_store.env != NULL) {
        ngx_add_timer(&ngx_mobility_flush_event, mcf->flush);
    }
}


#if (NGX_THREADS)

/*
 * In a thread of the pool: LMDB allows mdb_env_sync() from any thread
 * while others run transactions.  The environment outlives the task:
 * the thread pool's exit_process, which runs before this module's
 * (core modules first, then the addons), waits for the queued tasks
 * before the environment is closed.
 */
static void
ngx_mobility_store_flush_thread(void *data, ngx_log_t *log)
{
    ngx_mobility_flush_ctx_t  *ctx = data;

    ctx->rc = mdb_env_sync(ctx->env, 1);
}


/* back on the event loop */
static void
ngx_mobility_store_flush_done(ngx_event_t *ev)
{
    ngx_mobility_flush_ctx_t  *ctx;

    ctx = ngx_mobility_flush_task->ctx;

    if (ctx->rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility_store: mdb_env_sync() failed: %s",
                      mdb_strerror(ctx->rc));
    }

    ngx_mobility_store_flush_arm(ctx->mcf);
}

#endif


static void
ngx_mobility_core_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_mobility_store.env == NULL) {
        return;
    }

    ngx_mobility_ipc_exit_process(cycle, &ngx_mobility_store);

    if (ngx_mobility_park_event.posted) {
        ngx_delete_posted_event(&ngx_mobility_park_event);
    }

    /* relaxed durability: what was committed reaches the disk on exit */
    (void) mdb_env_sync(ngx_mobility_store.env, 1);

    ngx_mobility_store_close(&ngx_mobility_store);

    ngx_mobility_token_release();
}
