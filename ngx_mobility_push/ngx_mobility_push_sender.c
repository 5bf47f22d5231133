/*
 * Copyright (C) The nginx mobility authors
 *
 * The sender: worker 0 of each generation claims due queue entries (one
 * write transaction per batch), hands them to their provider and writes
 * the outcomes back in batches (one write transaction per batch of
 * answers, so a durable store commits once per batch, not per push).
 *
 * It is woken by NGX_MOBILITY_IPC_PUSH when a request queues pushes, and
 * otherwise sleeps on a timer until the earliest due entry.  A claim is
 * a lease: an entry whose outcome was never written (a crash, or a lease
 * that ran out) becomes due again when the lease ends.
 */

#include "ngx_http_mobility_push.h"
#include "ngx_mobility_ipc.h"
#include "ngx_mobility_webpush.h"
#include "ngx_mobility_codec.h"

#include <openssl/evp.h>
#include <openssl/rand.h>


#define NGX_MOBILITY_PUSH_BATCH         256
#define NGX_MOBILITY_PUSH_SLEEP         60000       /* ms, at most      */
#define NGX_MOBILITY_PUSH_GATHER        2           /* ms of answers    */
#define NGX_MOBILITY_PUSH_BACKOFF_MIN   1000        /* ms               */
#define NGX_MOBILITY_PUSH_BACKOFF_MAX   (10 * 60 * 1000)


static void ngx_mobility_push_run(ngx_event_t *ev);
static void ngx_mobility_push_flush(ngx_event_t *ev);
static void ngx_mobility_push_drain(ngx_event_t *ev);
static void ngx_mobility_push_wake(ngx_uint_t type, const u_char *data,
    size_t len, ngx_pid_t from);
static ngx_mobility_push_job_t *ngx_mobility_push_job(
    ngx_mobility_push_entry_t *e, ngx_mobility_push_reg_t *reg,
    ngx_log_t *log);
static uint64_t ngx_mobility_push_next_due(ngx_mobility_push_job_t *job,
    uint64_t now);
static void ngx_mobility_push_job_free(ngx_mobility_push_job_t *job);
static const char *ngx_mobility_push_reason(ngx_mobility_push_job_t *job);
static uint64_t ngx_mobility_push_now(void);


static ngx_event_t               ngx_mobility_push_run_ev;
static ngx_event_t               ngx_mobility_push_flush_ev;
static ngx_event_t               ngx_mobility_push_drain_ev;
static ngx_mobility_push_job_t  *ngx_mobility_push_done;
static ngx_uint_t                ngx_mobility_push_ndone;
static ngx_uint_t                ngx_mobility_push_in_flight;
static ngx_uint_t                ngx_mobility_push_active;
static uint64_t                  ngx_mobility_push_lease;


ngx_int_t
ngx_mobility_push_sender_init(ngx_cycle_t *cycle)
{
    ngx_http_mobility_push_main_conf_t  *pmcf;

    /* one sender per node: worker 0 (or the single process) */
    if (ngx_process == NGX_PROCESS_WORKER && ngx_worker != 0) {
        return NGX_OK;
    }

    pmcf = ngx_http_mobility_push_conf();

    /*
     * The lease must outlast the longest attempt: the request timeout,
     * plus waiting for an access token or behind an APNs probe.
     */
    ngx_mobility_push_lease = ngx_max(120000, 6 * (uint64_t) pmcf->timeout);

    ngx_mobility_push_run_ev.handler = ngx_mobility_push_run;
    ngx_mobility_push_run_ev.log = cycle->log;
    ngx_mobility_push_run_ev.data = &ngx_mobility_push_run_ev;
    ngx_mobility_push_run_ev.cancelable = 1;

    ngx_mobility_push_flush_ev.handler = ngx_mobility_push_flush;
    ngx_mobility_push_flush_ev.log = cycle->log;
    ngx_mobility_push_flush_ev.data = &ngx_mobility_push_flush_ev;

    /*
     * Not cancelable, and set only while attempts are in flight: a
     * graceful shutdown (reload) waits for their answers and records
     * them, instead of leaving accepted pushes to come back after the
     * lease and be sent twice.
     */
    ngx_mobility_push_drain_ev.handler = ngx_mobility_push_drain;
    ngx_mobility_push_drain_ev.log = cycle->log;
    ngx_mobility_push_drain_ev.data = &ngx_mobility_push_drain_ev;

    ngx_mobility_push_done = NULL;
    ngx_mobility_push_ndone = 0;
    ngx_mobility_push_in_flight = 0;
    ngx_mobility_push_active = 1;

    ngx_mobility_push_limit_init();

    ngx_mobility_ipc_set_handler(NGX_MOBILITY_IPC_PUSH,
                                 ngx_mobility_push_wake);

    /* what was queued while no sender ran */
    ngx_post_event(&ngx_mobility_push_run_ev, &ngx_posted_events);

    return NGX_OK;
}


void
ngx_mobility_push_sender_exit(ngx_cycle_t *cycle)
{
    if (!ngx_mobility_push_active) {
        return;
    }

    ngx_mobility_push_active = 0;

    /* unanswered requests end as retries; their leases bring them back */
    ngx_mobility_push_apns_exit();
    ngx_mobility_push_fcm_exit();
    ngx_mobility_push_webpush_exit();

    if (ngx_mobility_push_run_ev.timer_set) {
        ngx_del_timer(&ngx_mobility_push_run_ev);
    }

    if (ngx_mobility_push_run_ev.posted) {
        ngx_delete_posted_event(&ngx_mobility_push_run_ev);
    }

    if (ngx_mobility_push_drain_ev.timer_set) {
        ngx_del_timer(&ngx_mobility_push_drain_ev);
    }

    /* the outcomes known so far go to the store, if it is still open */
    ngx_mobility_push_flush(&ngx_mobility_push_flush_ev);

    ngx_mobility_push_limit_exit();
}


static void
ngx_mobility_push_wake(ngx_uint_t type, const u_char *data, size_t len,
    ngx_pid_t from)
{
    if (!ngx_mobility_push_active || ngx_exiting
        || ngx_mobility_push_run_ev.posted)
    {
        return;
    }

    if (ngx_mobility_push_run_ev.timer_set) {
        ngx_del_timer(&ngx_mobility_push_run_ev);
    }

    ngx_post_event(&ngx_mobility_push_run_ev, &ngx_posted_events);
}


/* claim what is due, send it, and sleep until the next due entry */

static void
ngx_mobility_push_run(ngx_event_t *ev)
{
    int                                  rc;
    size_t                               n, i, max;
    uint64_t                             now, expired, next;
    MDB_txn                             *txn;
    MDB_cursor                          *cur;
    MDB_val                              k, v;
    ngx_mobility_push_job_t             *job, *jobs, **last;
    ngx_mobility_store_t                *st;
    ngx_mobility_push_reg_t              reg;
    ngx_mobility_push_stats_t           *stats;
    ngx_http_mobility_push_main_conf_t  *pmcf;
    ngx_mobility_push_entry_t            out[NGX_MOBILITY_PUSH_BATCH];

    st = ngx_mobility_store_current();

    if (!ngx_mobility_push_active || ngx_exiting || st == NULL) {
        return;
    }

    pmcf = ngx_http_mobility_push_conf();
    stats = ngx_http_mobility_push_stats();

    if (ngx_mobility_push_in_flight >= pmcf->max_in_flight) {
        /* the next answers run us again */
        return;
    }

    max = ngx_min(NGX_MOBILITY_PUSH_BATCH,
                  pmcf->max_in_flight - ngx_mobility_push_in_flight);

    now = ngx_mobility_push_now();
    n = 0;
    expired = 0;
    next = NGX_MOBILITY_PUSH_SLEEP;
    jobs = NULL;
    last = &jobs;

    if (mdb_txn_begin(st->env, NULL, 0, &txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility push: cannot begin a transaction");
        goto sleep;
    }

    rc = ngx_mobility_push_claim(st, txn, now, ngx_mobility_push_lease, out,
                                 max, &n, &expired);

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility push: cannot claim queued pushes: %s",
                      st->err);
        mdb_txn_abort(txn);
        n = 0;
        goto sleep;
    }

    for (i = 0; i < n; i++) {
        rc = ngx_mobility_push_entry_live(st, txn, &out[i], &reg);

        if (rc == 1) {
            job = ngx_mobility_push_job(&out[i], &reg, ev->log);

            if (job) {
                /* in due order */
                *last = job;
                last = &job->next;
                continue;
            }

            /* no memory: the lease brings it back */
            ngx_mobility_push_entry_free(&out[i]);
            continue;
        }

        if (rc == 0) {
            /* its target went away since it was queued */
            (void) ngx_mobility_push_complete(st, txn, out[i].id,
                                              out[i].due);
        }

        ngx_mobility_push_entry_free(&out[i]);
    }

    /* the earliest entry left, claims included: when to look again */
    if (mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &cur) == 0)
    {
        if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 && k.mv_size >= 8) {
            next = ngx_mobility_be64(k.mv_data);
            next = (next > now) ? next - now : 1;
            next = ngx_min(next, NGX_MOBILITY_PUSH_SLEEP);
        }

        mdb_cursor_close(cur);
    }

    if (mdb_txn_commit(txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility push: cannot commit the claim");

        while (jobs) {
            job = jobs;
            jobs = job->next;
            ngx_mobility_push_job_free(job);
        }

        n = 0;
        goto sleep;
    }

    if (expired) {
        (void) ngx_atomic_fetch_add(&stats->expired, expired);

        ngx_log_error(NGX_LOG_INFO, ev->log, 0,
                      "mobility push: %uL queued pushes expired unsent",
                      expired);
    }

    while (jobs) {
        job = jobs;
        jobs = job->next;
        job->next = NULL;

        ngx_mobility_push_in_flight++;
        (void) ngx_atomic_fetch_add(&stats->in_flight, 1);

        if (!ngx_mobility_push_limit_allow(job, &job->retry_after)) {
            ngx_str_set(&job->reason, "device rate limit");
            job->outcome = NGX_MOBILITY_PUSH_RETRY;
            ngx_mobility_push_job_done(job);
            continue;
        }

        switch (job->provider) {

        case NGX_MOBILITY_PUSH_APNS:
            (void) ngx_mobility_push_apns_send(job);
            break;

        case NGX_MOBILITY_PUSH_FCM:
            (void) ngx_mobility_push_fcm_send(job);
            break;

        default: /* NGX_MOBILITY_PUSH_WEBPUSH */
            (void) ngx_mobility_push_webpush_send(job);
            break;
        }
    }

    if (ngx_mobility_push_in_flight
        && !ngx_mobility_push_drain_ev.timer_set)
    {
        ngx_add_timer(&ngx_mobility_push_drain_ev, 2 * pmcf->timeout + 1000);
    }

sleep:

    if (!ngx_mobility_push_active || ngx_exiting) {
        return;
    }

    if (n == max && n > 0) {
        /* more may be due: go on after the events already waiting */
        ngx_post_event(&ngx_mobility_push_run_ev, &ngx_posted_next_events);
        return;
    }

    /* sleep until the earliest entry is due */
    if (!ngx_mobility_push_run_ev.posted) {
        ngx_add_timer(&ngx_mobility_push_run_ev, (ngx_msec_t) next);
    }
}


void
ngx_mobility_push_job_done(ngx_mobility_push_job_t *job)
{
    job->next = ngx_mobility_push_done;
    ngx_mobility_push_done = job;
    ngx_mobility_push_ndone++;

    if (!ngx_mobility_push_active || ngx_mobility_push_flush_ev.posted) {
        return;
    }

    /*
     * Answers come in bursts: gather them for a moment, so that a durable
     * store syncs once for many of them, unless a batch is complete.
     */

    if (ngx_mobility_push_ndone >= NGX_MOBILITY_PUSH_BATCH) {
        if (ngx_mobility_push_flush_ev.timer_set) {
            ngx_del_timer(&ngx_mobility_push_flush_ev);
        }

        ngx_post_event(&ngx_mobility_push_flush_ev, &ngx_posted_events);
        return;
    }

    if (!ngx_mobility_push_flush_ev.timer_set) {
        ngx_add_timer(&ngx_mobility_push_flush_ev,
                      NGX_MOBILITY_PUSH_GATHER);
    }
}


/* the outcomes of the attempts that ended, in one write transaction */

static void
ngx_mobility_push_flush(ngx_event_t *ev)
{
    int                           rc;
    uint64_t                      now, next;
    MDB_txn                      *txn;
    ngx_uint_t                    n;
    ngx_mobility_push_job_t      *job, *list;
    ngx_mobility_store_t         *st;
    ngx_mobility_push_stats_t    *stats;
    ngx_mobility_push_counters_t *c;

    list = ngx_mobility_push_done;
    ngx_mobility_push_done = NULL;
    ngx_mobility_push_ndone = 0;

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    if (ev->posted) {
        ngx_delete_posted_event(ev);
    }

    if (list == NULL) {
        return;
    }

    st = ngx_mobility_store_current();
    stats = ngx_http_mobility_push_stats();
    now = ngx_mobility_push_now();
    txn = NULL;

    if (st == NULL || mdb_txn_begin(st->env, NULL, 0, &txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility push: cannot record push outcomes; the "
                      "leases will bring them back");
        txn = NULL;
    }

    n = 0;

    for (job = list; job; job = job->next) {
        n++;
        c = &stats->provider[job->provider < NGX_MOBILITY_PUSH_PROVIDERS
                             ? job->provider : 0];

        switch (job->outcome) {

        case NGX_MOBILITY_PUSH_SENT:
            (void) ngx_atomic_fetch_add(&c->sent, 1);

            ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                           "mobility push: %uL sent to %s, status %ui",
                           job->entry.id,
                           ngx_mobility_push_provider_name(job->provider),
                           job->status);

            if (txn) {
                (void) ngx_mobility_push_complete(st, txn, job->entry.id,
                                                  job->entry.due);
            }

            break;

        case NGX_MOBILITY_PUSH_RETRY:
            next = ngx_mobility_push_next_due(job, now);

            ngx_log_error(NGX_LOG_INFO, ev->log, 0,
                          "mobility push: %uL to %s: %V (status %ui), "
                          "attempt %uL, retry in %uL ms",
                          job->entry.id,
                          ngx_mobility_push_provider_name(job->provider),
                          &job->reason, job->status,
                          job->entry.attempts + 1, next - now);

            if (txn == NULL) {
                break;
            }

            rc = ngx_mobility_push_retry(st, txn, &job->entry, next);

            if (rc == NGX_MOBILITY_PUSH_CONFLICT) {
                (void) ngx_atomic_fetch_add(&stats->expired, 1);

            } else if (rc == NGX_MOBILITY_OK) {
                (void) ngx_atomic_fetch_add(&c->retried, 1);
            }

            break;

        case NGX_MOBILITY_PUSH_GONE:
            (void) ngx_atomic_fetch_add(&c->invalidated, 1);

            ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                          "mobility push: %s refused the push target of "
                          "%*s (%V): registration invalidated",
                          ngx_mobility_push_provider_name(job->provider),
                          job->entry.user.len, job->entry.user.data,
                          &job->reason);

            if (txn) {
                (void) ngx_mobility_push_complete(st, txn, job->entry.id,
                                                  job->entry.due);
                (void) ngx_mobility_push_invalidate(st, txn,
                                              job->entry.user.data,
                                              job->entry.user.len,
                                              job->entry.endpoint.data,
                                              job->entry.endpoint.len,
                                              ngx_mobility_push_reason(job),
                                              now);
            }

            break;

        default: /* NGX_MOBILITY_PUSH_FAILED */
            (void) ngx_atomic_fetch_add(&c->failed, 1);

            ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                          "mobility push: %s refused push %uL for %*s: "
                          "status %ui %V; dropped",
                          ngx_mobility_push_provider_name(job->provider),
                          job->entry.id, job->entry.user.len,
                          job->entry.user.data, job->status, &job->reason);

            if (txn) {
                (void) ngx_mobility_push_complete(st, txn, job->entry.id,
                                                  job->entry.due);
            }

            break;
        }
    }

    if (txn && mdb_txn_commit(txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "mobility push: cannot commit push outcomes; the "
                      "leases will bring them back");
    }

    while (list) {
        job = list;
        list = job->next;
        ngx_mobility_push_job_free(job);
    }

    ngx_mobility_push_in_flight -= ngx_min(n, ngx_mobility_push_in_flight);
    (void) ngx_atomic_fetch_add(&stats->in_flight, -(ngx_atomic_int_t) n);

    if (ngx_mobility_push_in_flight == 0
        && ngx_mobility_push_drain_ev.timer_set)
    {
        ngx_del_timer(&ngx_mobility_push_drain_ev);
    }

    /* room again: claim more */
    if (ngx_mobility_push_active && !ngx_exiting
        && !ngx_mobility_push_run_ev.posted)
    {
        if (ngx_mobility_push_run_ev.timer_set) {
            ngx_del_timer(&ngx_mobility_push_run_ev);
        }

        ngx_post_event(&ngx_mobility_push_run_ev, &ngx_posted_next_events);
    }
}


/* attempts still in flight: keep waiting, except on the way out */

static void
ngx_mobility_push_drain(ngx_event_t *ev)
{
    ngx_http_mobility_push_main_conf_t  *pmcf;

    if (ngx_mobility_push_in_flight == 0) {
        return;
    }

    if (ngx_exiting) {
        ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                      "mobility push: exiting with %ui pushes unanswered; "
                      "their leases bring them back",
                      ngx_mobility_push_in_flight);
        return;
    }

    pmcf = ngx_http_mobility_push_conf();
    ngx_add_timer(ev, 2 * pmcf->timeout + 1000);
}


/*
 * Exponential backoff with jitter: 1 s doubling per attempt up to 10
 * minutes, a random point in the upper half of that; never before the
 * provider's Retry-After.
 */

static uint64_t
ngx_mobility_push_next_due(ngx_mobility_push_job_t *job, uint64_t now)
{
    uint32_t  r;
    uint64_t  delay;

    delay = NGX_MOBILITY_PUSH_BACKOFF_MIN
            << ngx_min(job->entry.attempts, 20);
    delay = ngx_min(delay, NGX_MOBILITY_PUSH_BACKOFF_MAX);

    if (RAND_bytes((u_char *) &r, sizeof(r)) != 1) {
        r = (uint32_t) ngx_random();
    }

    delay = delay / 2 + r % (delay / 2 + 1);

    if ((uint64_t) job->retry_after * 1000 > delay) {
        delay = (uint64_t) job->retry_after * 1000;
    }

    return now + delay;
}


/* a job owns its pool and the entry's copy */

static ngx_mobility_push_job_t *
ngx_mobility_push_job(ngx_mobility_push_entry_t *e,
    ngx_mobility_push_reg_t *reg, ngx_log_t *log)
{
    char                      err[128];
    ngx_pool_t               *pool;
    ngx_mobility_push_job_t  *job;

    pool = ngx_create_pool(2048, log);
    if (pool == NULL) {
        return NULL;
    }

    job = ngx_pcalloc(pool, sizeof(ngx_mobility_push_job_t));
    if (job == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    job->pool = pool;
    job->entry = *e;
    job->provider = reg->provider;
    job->sandbox = reg->sandbox ? 1 : 0;
    job->previews = reg->previews ? 1 : 0;

    job->token.len = reg->token.len;
    job->token.data = ngx_pnalloc(pool, reg->token.len + 1);
    job->topic.len = reg->topic.len;
    job->topic.data = ngx_pnalloc(pool, reg->topic.len + 1);

    if (job->token.data == NULL || job->topic.data == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_memcpy(job->token.data, reg->token.data, reg->token.len);
    job->token.data[reg->token.len] = '\0';
    ngx_memcpy(job->topic.data, reg->topic.data, reg->topic.len);
    job->topic.data[reg->topic.len] = '\0';

    if (reg->provider == NGX_MOBILITY_PUSH_WEBPUSH
        && !ngx_mobility_webpush_keys((char *) reg->p256dh.data,
                                      reg->p256dh.len,
                                      (char *) reg->auth.data,
                                      reg->auth.len, job->p256dh, job->auth,
                                      err, sizeof(err)))
    {
        /* checked at registration; a store written by hand, then */
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "mobility push: stored subscription keys of %*s "
                      "are unusable: %s", e->user.len, e->user.data, err);
        ngx_destroy_pool(pool);
        return NULL;
    }

    return job;
}


static void
ngx_mobility_push_job_free(ngx_mobility_push_job_t *job)
{
    ngx_mobility_push_entry_free(&job->entry);
    ngx_destroy_pool(job->pool);
}


/* entries in the queue for the status location; -1 on error */

uint64_t
ngx_mobility_push_sender_depth(ngx_log_t *log)
{
    uint64_t               depth;
    MDB_txn               *txn;
    ngx_mobility_store_t  *st;

    st = ngx_mobility_store_current();

    if (st == NULL || mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "mobility push: cannot read the queue");
        return (uint64_t) -1;
    }

    depth = ngx_mobility_push_depth(st, txn);

    mdb_txn_abort(txn);

    return depth;
}


/* ------------------------------------------------------------------ */
/* helpers of the providers                                           */


ngx_mobility_http_peer_t *
ngx_mobility_push_peer(ngx_str_t *origin, ngx_uint_t http2, ngx_log_t *log)
{
    ngx_mobility_http_peer_conf_t        conf;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    ngx_memzero(&conf, sizeof(ngx_mobility_http_peer_conf_t));

    if (origin->len > 8 && ngx_strncmp(origin->data, "https://", 8) == 0) {
        conf.ssl = pmcf->ssl;
        conf.verify = pmcf->verify;
    }

    conf.http2 = http2;
    conf.resolver = pmcf->clcf ? pmcf->clcf->resolver : NULL;
    conf.resolver_timeout = pmcf->clcf ? pmcf->clcf->resolver_timeout
                                       : 30000;
    conf.connect_timeout = pmcf->timeout;
    conf.idle_timeout = 10 * 60 * 1000;
    conf.max_connections = 8;
    conf.max_response = 16384;

    return ngx_mobility_http_peer_create(origin, &conf, log);
}


/* the title and text a user sees; message text only where allowed */

void
ngx_mobility_push_payload_text(ngx_mobility_push_job_t *job,
    ngx_str_t *title, ngx_str_t *body)
{
    ngx_mobility_push_entry_t  *e;

    e = &job->entry;

    if (e->sender_name.len) {
        title->data = (u_char *) e->sender_name.data;
        title->len = e->sender_name.len;

    } else if (e->sender.len) {
        title->data = (u_char *) e->sender.data;
        title->len = e->sender.len;

    } else {
        ngx_str_set(title, "Skype for Business");
    }

    /* an operator's test: the operator's text, not a user's message */
    if (e->kind == NGX_MOBILITY_PUSH_TEST) {
        if (e->preview.len) {
            body->data = (u_char *) e->preview.data;
            body->len = e->preview.len;

        } else {
            ngx_str_set(body, "Test notification");
        }

        return;
    }

    if (job->previews && e->preview.len
        && (e->kind == NGX_MOBILITY_PUSH_IM
            || e->kind == NGX_MOBILITY_PUSH_MESSAGE
            || e->kind == NGX_MOBILITY_PUSH_MISSED))
    {
        body->data = (u_char *) e->preview.data;
        body->len = e->preview.len;
        return;
    }

    switch (e->kind) {

    case NGX_MOBILITY_PUSH_IM:
        ngx_str_set(body, "New instant message");
        break;

    case NGX_MOBILITY_PUSH_MESSAGE:
        ngx_str_set(body, "New message");
        break;

    case NGX_MOBILITY_PUSH_MISSED:
        ngx_str_set(body, "Missed conversation");
        break;

    case NGX_MOBILITY_PUSH_CALL:
        ngx_str_set(body, "Missed call");
        break;

    case NGX_MOBILITY_PUSH_VOICEMAIL:
        ngx_str_set(body, "New voicemail");
        break;

    default:
        ngx_str_set(body, "Meeting invitation");
        break;
    }
}


/*
 * What every provider does with an answer: keep the status and the
 * provider's reason (copied: the answer goes when the callback returns),
 * and retry when there was no answer, a 429 or a 5xx.  NGX_OK: decided;
 * NGX_DECLINED: the provider classifies the rest.
 */

ngx_int_t
ngx_mobility_push_answered(ngx_mobility_push_job_t *job,
    ngx_mobility_http_response_t *r, ngx_str_t *why)
{
    ngx_str_t  *src;

    job->status = r->status;

    src = r->status ? why : &r->error;

    if (src->len) {
        job->reason.data = ngx_pstrdup(job->pool, src);
        job->reason.len = job->reason.data ? src->len : 0;
    }

    if (r->status == 0 || r->status == 429 || r->status >= 500) {
        job->outcome = NGX_MOBILITY_PUSH_RETRY;
        job->retry_after = r->status ? ngx_mobility_push_retry_after(r) : 0;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* Retry-After in seconds or as an HTTP date; 0 without one */

time_t
ngx_mobility_push_retry_after(ngx_mobility_http_response_t *r)
{
    time_t      t;
    ngx_str_t  *v;
    ngx_int_t   n;

    v = ngx_mobility_http_header(r, "retry-after");
    if (v == NULL || v->len == 0) {
        return 0;
    }

    n = ngx_atoi(v->data, v->len);
    if (n != NGX_ERROR) {
        return ngx_min(n, 24 * 60 * 60);
    }

    t = ngx_parse_http_time(v->data, v->len);
    if (t == NGX_ERROR || t <= ngx_time()) {
        return 0;
    }

    return ngx_min(t - ngx_time(), 24 * 60 * 60);
}


/* the seconds a provider may keep trying, from the entry's expiry */

time_t
ngx_mobility_push_ttl(ngx_mobility_push_job_t *job)
{
    uint64_t  now;

    now = ngx_mobility_push_now();

    return job->entry.expires > now
           ? (time_t) ((job->entry.expires - now) / 1000) : 0;
}


/* a length "cut" bytes shorter, not splitting a UTF-8 character */

size_t
ngx_mobility_push_utf8_cut(const u_char *data, size_t len, size_t cut)
{
    if (cut >= len) {
        return 0;
    }

    len -= cut;

    while (len && (data[len] & 0xc0) == 0x80) {
        len--;
    }

    return len;
}


/* a UUID that is the same on every attempt of one push (apns-id) */

void
ngx_mobility_push_uuid(ngx_mobility_push_job_t *job, u_char *out)
{
    uint64_t  a, b;

    a = job->entry.created;
    b = job->entry.id;

    (void) ngx_sprintf(out, "%08xD-%04xD-4%03xD-8%03xD-%012xL",
                       (uint32_t) (a >> 16), (uint32_t) (a & 0xffff),
                       (uint32_t) ((b >> 48) & 0xfff),
                       (uint32_t) ((b >> 36) & 0xfff),
                       b & 0xfffffffffffULL);
}


/* the Web Push Topic of a conversation: 16 bytes of its SHA-256 */

void
ngx_mobility_push_topic(ngx_mobility_bytes_t *thread, u_char *md)
{
    u_char        full[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (EVP_Digest(thread->data, thread->len, full, &n, EVP_sha256(), NULL)
        != 1)
    {
        ngx_memzero(full, 16);
    }

    ngx_memcpy(md, full, 16);
}


/* "https://host[:port]/path" into the origin and the path */

ngx_int_t
ngx_mobility_push_split_url(ngx_str_t *url, ngx_str_t *origin,
    ngx_str_t *path)
{
    u_char  *p, *last, *host;

    p = url->data;
    last = url->data + url->len;

    if (url->len > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        host = p + 8;

    } else if (url->len > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        return NGX_ERROR;
    }

    for (p = host; p < last && *p != '/' && *p != '?' && *p != '#'; p++) {
        if (*p <= ' ' || *p == '@') {
            return NGX_ERROR;
        }
    }

    if (p == host) {
        return NGX_ERROR;
    }

    origin->data = url->data;
    origin->len = p - url->data;

    if (p == last) {
        ngx_str_set(path, "/");

    } else if (*p != '/') {
        return NGX_ERROR;

    } else {
        path->data = p;
        path->len = last - p;
    }

    return NGX_OK;
}


ngx_uint_t
ngx_mobility_push_str_is(ngx_str_t *s, const char *value)
{
    size_t  len;

    len = ngx_strlen(value);

    return s->len == len && ngx_strncmp(s->data, value, len) == 0;
}


/* the provider's reason as a C string, for the tombstone */

static const char *
ngx_mobility_push_reason(ngx_mobility_push_job_t *job)
{
    static char  reason[NGX_MOBILITY_PUSH_REASON_MAX + 1];

    if (job->reason.len == 0) {
        return "Unregistered";
    }

    ngx_cpystrn((u_char *) reason, job->reason.data,
                ngx_min(job->reason.len, NGX_MOBILITY_PUSH_REASON_MAX) + 1);

    return reason;
}


static uint64_t
ngx_mobility_push_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}
