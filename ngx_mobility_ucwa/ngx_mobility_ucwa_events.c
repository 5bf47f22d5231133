/*
 * Copyright (C) The nginx mobility authors
 *
 * The event channel: P-GETs (GET .../events?ack=N).
 *
 * The store holds the truth: events, packages and which request is
 * parked on a channel (a random token).  A P-GET that cannot be answered
 * yet is parked in this worker: the request is kept (r->main->count++),
 * a cancelable timer bounds it, ngx_http_test_reading notices a client
 * that goes away, and a per-worker hash maps the application id to its
 * parked requests.
 *
 * After a change commits, the ids of the affected applications are
 * broadcast to every worker (NGX_MOBILITY_IPC_APP_WAKE); each worker
 * looks its hash up and evaluates its parked requests: real-time and
 * high events release at once, medium and low ones when their hold time
 * is reached (the timer is moved there).  A new P-GET on a channel takes
 * the token; the previous holder, wherever it is parked, answers 409
 * PGetReplaced (NGX_MOBILITY_IPC_APP_PARKED, and the token check in the
 * release transaction if that message is lost).
 *
 * What needs the write lock is batched: the P-GETs that arrive in an
 * event-loop iteration and the held ones found due in it are handled by
 * one posted event in one write transaction (one fsync), and answered
 * or parked after its commit (ngx_mobility_ucwa_batch_handler()).
 *
 * Graceful shutdown: a parked connection is marked idle, so nginx's
 * ngx_close_idle_connections() calls its read handler with c->close
 * set; our handler then answers with whatever is pending instead of
 * letting nginx close the connection.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_ipc.h"


#define NGX_MOBILITY_UCWA_BUCKETS       4096
/* 100 applications a second, in short steps */
#define NGX_MOBILITY_UCWA_SWEEP_MS      2500
#define NGX_MOBILITY_UCWA_SWEEP_APPS    256
#define NGX_MOBILITY_UCWA_HOLD_MEDIUM   5
#define NGX_MOBILITY_UCWA_HOLD_LOW      15
#define NGX_MOBILITY_UCWA_HOLD_MIN      5
#define NGX_MOBILITY_UCWA_TIMEOUT_MIN   180
#define NGX_MOBILITY_UCWA_TIMEOUT_MAX   1800

/*
 * How far ahead of a recovered channel an ack is believed: past the first
 * lost package only empty ones (timeouts, >= 180 s each) can have been
 * lost, so 1024 covers two days of them; further is not a lost release
 */
#define NGX_MOBILITY_UCWA_RECOVER_MAX   1024

#define NGX_MOBILITY_UCWA_EVALUATE      0
#define NGX_MOBILITY_UCWA_FORCE         1

/* a longer wait of a held P-GET ends early, the rest is a short wait */
#define NGX_MOBILITY_UCWA_SLACK_MIN     50


/*
 * A P-GET of this worker: arriving (waiting for the batch that takes the
 * channel), held (in the hash, with its timer), or due (waiting for the
 * batch that packages it).
 */
typedef struct {
    ngx_http_request_t            *request;
    ngx_mobility_ucwa_req_t       *rq;
    ngx_event_t                    timer;
    ngx_queue_t                    queue;       /* the hash of held ones */
    ngx_queue_t                    batch;       /* the batch to come */
    ngx_event_handler_pt           conn_read;   /* saved c->read->handler */
    ngx_mobility_ucwa_resp_t      *rs;          /* the answer, if any */
    json_t                        *obj;         /* its package */
    ngx_str_t                      raw;         /* or the package, JSON */
    ngx_str_t                      instance;    /* arriving: instanceId */
    ngx_str_t                      chan_instance; /* of the channel */
    uint64_t                       timeout;     /* arriving: s, 0: sticky */
    uint64_t                       low;
    uint64_t                       medium;
    uint64_t                       prio;
    uint64_t                       replaced;    /* the token it replaced */
    uint64_t                       due;         /* ms */
    uint64_t                       token;
    uint64_t                       ack;
    uint64_t                       until;       /* ms */
    uint64_t                       aim;         /* ms, of its timer */
    ngx_mobility_evchan_t          pre_ec;      /* prepared: its channel */
    ngx_uint_t                     channel;
    ngx_uint_t                     base;        /* of the application */
    ngx_uint_t                     how;
    size_t                         app_len;
    u_char                         app[NGX_MOBILITY_UCWA_ID_MAX];
    unsigned                       linked:1;
    unsigned                       done:1;
    unsigned                       arriving:1;
    unsigned                       batched:1;
    unsigned                       has_ack:1;
    unsigned                       decided:1;   /* rs or obj or token set */
    unsigned                       written:1;   /* in the batch's commit */
    unsigned                       dirty:1;     /* its step began writing */
    unsigned                       pre:1;       /* package rendered early */
} ngx_mobility_ucwa_parked_t;


/*
 * A held P-GET whose client went away: the next batch forgets its park
 * (clears the park token and sets last_release, so that the idle clock
 * of its application starts) in the batch's write transaction, which
 * commits without a sync where releases do: one commit for a storm of
 * disconnects instead of a synced commit each on the event loop.  Lost
 * (a crash, a failed commit), the park only lapses at its deadline.
 */
typedef struct {
    ngx_queue_t                    queue;
    uint64_t                       token;
    size_t                         klen;
    u_char                         key[NGX_MOBILITY_EV_KEY_MAX];
} ngx_mobility_ucwa_gone_t;


typedef struct {
    json_t                        *senders;
    json_t                        *last;
    ngx_log_t                     *log;
} ngx_mobility_ucwa_pkg_ctx_t;


static void ngx_mobility_ucwa_pget_arm(ngx_mobility_ucwa_parked_t *p,
    uint64_t at);
static void ngx_mobility_ucwa_pget_timer(ngx_event_t *ev);
static void ngx_mobility_ucwa_pget_cleanup(void *data);
static void ngx_mobility_ucwa_pget_conn_read(ngx_event_t *ev);
static void ngx_mobility_ucwa_pget_release(ngx_mobility_ucwa_parked_t *p,
    ngx_uint_t how);
static void ngx_mobility_ucwa_ipc_wake(ngx_uint_t type, const u_char *data,
    size_t len, ngx_pid_t from);
static void ngx_mobility_ucwa_ipc_parked(ngx_uint_t type,
    const u_char *data, size_t len, ngx_pid_t from);
static void ngx_mobility_ucwa_replace(u_char *app, size_t len,
    ngx_uint_t channel, uint64_t token);
static void ngx_mobility_ucwa_sweep_handler(ngx_event_t *ev);
static void ngx_mobility_ucwa_due_handler(ngx_event_t *ev);
static void ngx_mobility_ucwa_batch_add(ngx_mobility_ucwa_parked_t *p,
    ngx_uint_t how);
static void ngx_mobility_ucwa_batch_post(void);
static void ngx_mobility_ucwa_gone_free(ngx_queue_t *gone);
static void ngx_mobility_ucwa_batch_handler(ngx_event_t *ev);


static ngx_queue_t                         *ngx_mobility_ucwa_buckets;
static ngx_uint_t                           ngx_mobility_ucwa_nparked;
static ngx_http_mobility_ucwa_main_conf_t  *ngx_mobility_ucwa_umcf;
static ngx_connection_t                     ngx_mobility_ucwa_dummy;
static ngx_event_t                          ngx_mobility_ucwa_sweep_ev;
static ngx_event_t                          ngx_mobility_ucwa_due_ev;
static uint64_t                             ngx_mobility_ucwa_due_at;
static ngx_queue_t                          ngx_mobility_ucwa_batch_queue;
static ngx_queue_t                          ngx_mobility_ucwa_gone_queue;
static ngx_event_t                          ngx_mobility_ucwa_batch_ev;


/* ------------------------------------------------------------------ */
/* the process                                                        */


ngx_int_t
ngx_mobility_ucwa_events_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t  i;

    ngx_mobility_ucwa_umcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_mobility_ucwa_module);

    ngx_mobility_ucwa_buckets = ngx_palloc(cycle->pool,
                                           NGX_MOBILITY_UCWA_BUCKETS
                                           * sizeof(ngx_queue_t));
    if (ngx_mobility_ucwa_buckets == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_MOBILITY_UCWA_BUCKETS; i++) {
        ngx_queue_init(&ngx_mobility_ucwa_buckets[i]);
    }

    ngx_mobility_ucwa_nparked = 0;

    ngx_mobility_ipc_set_handler(NGX_MOBILITY_IPC_APP_WAKE,
                                 ngx_mobility_ucwa_ipc_wake);
    ngx_mobility_ipc_set_handler(NGX_MOBILITY_IPC_APP_PARKED,
                                 ngx_mobility_ucwa_ipc_parked);
    ngx_mobility_ipc_set_list(NGX_MOBILITY_IPC_APP_WAKE);
    ngx_mobility_ipc_set_list(NGX_MOBILITY_IPC_APP_PARKED);

    /* presence due in this worker; expiry sweeps in worker 0 only */

    /* debug logging of timers reads ev->data as a connection */
    ngx_mobility_ucwa_dummy.fd = (ngx_socket_t) -1;

    ngx_mobility_ucwa_due_ev.data = &ngx_mobility_ucwa_dummy;
    ngx_mobility_ucwa_due_ev.handler = ngx_mobility_ucwa_due_handler;
    ngx_mobility_ucwa_due_ev.log = cycle->log;
    ngx_mobility_ucwa_due_ev.cancelable = 1;
    ngx_mobility_ucwa_due_at = 0;

    ngx_queue_init(&ngx_mobility_ucwa_batch_queue);
    ngx_queue_init(&ngx_mobility_ucwa_gone_queue);
    ngx_mobility_ucwa_batch_ev.data = &ngx_mobility_ucwa_dummy;
    ngx_mobility_ucwa_batch_ev.handler = ngx_mobility_ucwa_batch_handler;
    ngx_mobility_ucwa_batch_ev.log = cycle->log;

    if (ngx_process != NGX_PROCESS_WORKER || ngx_worker == 0) {
        ngx_mobility_ucwa_sweep_ev.data = &ngx_mobility_ucwa_dummy;
        ngx_mobility_ucwa_sweep_ev.handler = ngx_mobility_ucwa_sweep_handler;
        ngx_mobility_ucwa_sweep_ev.log = cycle->log;
        ngx_mobility_ucwa_sweep_ev.cancelable = 1;
        ngx_add_timer(&ngx_mobility_ucwa_sweep_ev, 1000);
    }

    return NGX_OK;
}


void
ngx_mobility_ucwa_events_exit_process(ngx_cycle_t *cycle)
{
    ngx_mobility_ucwa_buckets = NULL;
    ngx_mobility_ucwa_nparked = 0;

    /* parks not forgotten yet lapse at their deadlines */

    if (ngx_mobility_ucwa_gone_queue.next) {
        ngx_mobility_ucwa_gone_free(&ngx_mobility_ucwa_gone_queue);
    }
}


static void
ngx_mobility_ucwa_gone_free(ngx_queue_t *gone)
{
    ngx_queue_t  *q;

    while (!ngx_queue_empty(gone)) {
        q = ngx_queue_head(gone);
        ngx_queue_remove(q);
        ngx_free(ngx_queue_data(q, ngx_mobility_ucwa_gone_t, queue));
    }
}


static ngx_queue_t *
ngx_mobility_ucwa_bucket(u_char *app, size_t len)
{
    return &ngx_mobility_ucwa_buckets[ngx_crc32_short(app, len)
                                      & (NGX_MOBILITY_UCWA_BUCKETS - 1)];
}


/* ------------------------------------------------------------------ */
/* rendering a package                                                */


static int
ngx_mobility_ucwa_pkg_event(void *data, ngx_mobility_event_t *ev)
{
    ngx_mobility_ucwa_pkg_ctx_t  *ctx = data;

    json_t        *payload, *s, *e, *rel, *href, *lrel, *lhref, *block;
    json_error_t   err;

    payload = json_loadb((const char *) ev->payload.data, ev->payload.len, 0,
                         &err);
    if (payload == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ctx->log, 0,
                      "mobility ucwa: event %uL is corrupt: %s", ev->seq,
                      err.text);
        return 0;
    }

    s = json_object_get(payload, "s");
    e = json_object_get(payload, "e");
    rel = json_object_get(s, "rel");
    href = json_object_get(s, "href");

    if (!json_is_object(e) || !json_is_string(rel) || !json_is_string(href)) {
        json_decref(payload);
        return 0;
    }

    /* consecutive events of one sender share its block */

    block = ctx->last;

    if (block) {
        lrel = json_object_get(block, "rel");
        lhref = json_object_get(block, "href");

        if (!json_equal(lrel, rel) || !json_equal(lhref, href)) {
            block = NULL;
        }
    }

    if (block == NULL) {
        block = json_object();
        if (block == NULL) {
            json_decref(payload);
            return -1;
        }

        json_object_set(block, "rel", rel);
        json_object_set(block, "href", href);
        json_object_set_new(block, "events", json_array());
        json_array_append_new(ctx->senders, block);
        ctx->last = block;
    }

    json_array_append(json_object_get(block, "events"), e);

    json_decref(payload);

    return 0;
}


static json_t *
ngx_mobility_ucwa_package(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, const u_char *key, size_t klen,
    ngx_mobility_evchan_t *ec, uint64_t ack)
{
    json_t                       *obj, *links, *link;
    ngx_str_t                     href;
    ngx_mobility_ucwa_pkg_ctx_t   ctx;

    obj = json_object();
    links = json_object();
    ctx.senders = json_array();
    ctx.last = NULL;
    ctx.log = tx->log;

    if (obj == NULL || links == NULL || ctx.senders == NULL) {
        goto failed;
    }

    json_object_set_new(obj, "_links", links);

    if (ngx_mobility_ucwa_events_href(tx->pool, prefix, ch, ack, &href)
        != NGX_OK)
    {
        goto failed;
    }

    link = json_object();
    json_object_set_new(link, "href", ngx_mobility_ucwa_str(&href));
    json_object_set_new(links, "self", link);

    if (ngx_mobility_ucwa_events_href(tx->pool, prefix, ch, ack + 1, &href)
        != NGX_OK)
    {
        goto failed;
    }

    link = json_object();
    json_object_set_new(link, "href", ngx_mobility_ucwa_str(&href));
    json_object_set_new(links, (ec->flags & NGX_MOBILITY_EVCHAN_PKG_RESUME)
                               ? "resume" : "next", link);

    if (ngx_mobility_event_each(tx->st, tx->txn, key, klen, ec->pkg_first,
                                ec->pkg_end, ngx_mobility_ucwa_pkg_event,
                                &ctx)
        < 0)
    {
        goto failed;
    }

    if (json_array_size(ctx.senders)) {
        json_object_set_new(obj, "sender", ctx.senders);

    } else {
        json_decref(ctx.senders);
    }

    return obj;

failed:

    json_decref(obj);
    json_decref(links);
    json_decref(ctx.senders);

    return NULL;
}


/*
 * The package in JSON without jansson: the bytes json_dumpb(JSON_COMPACT)
 * gives for ngx_mobility_ucwa_package()'s object.  Stored payloads are
 * jansson's own compact output ({"s":{...},"e":{...}}), so the "rel" and
 * "href" of the sender and the event are copied as they are.  Anything
 * unexpected (a payload of another shape, an href that would need
 * escaping) gives NGX_DECLINED, and the caller renders with jansson,
 * which also logs and skips corrupt events as before.
 */

typedef struct {
    ngx_mobility_ucwa_jw_t        *jw;
    ngx_str_t                      rel;         /* of the open block */
    ngx_str_t                      href;
    ngx_uint_t                     blocks;
    ngx_uint_t                     declined;
} ngx_mobility_ucwa_raw_ctx_t;


/* the end of the JSON value at p, or NULL */
static const u_char *
ngx_mobility_ucwa_json_skip(const u_char *p, const u_char *last)
{
    ngx_uint_t  depth;

    if (p >= last) {
        return NULL;
    }

    if (*p == '"') {
        for (p++; p < last; p++) {
            if (*p == '\\') {
                p++;
                continue;
            }

            if (*p == '"') {
                return p + 1;
            }
        }

        return NULL;
    }

    if (*p == '{' || *p == '[') {
        depth = 0;

        while (p < last) {
            if (*p == '"') {
                p = ngx_mobility_ucwa_json_skip(p, last);
                if (p == NULL) {
                    return NULL;
                }

                continue;
            }

            if (*p == '{' || *p == '[') {
                depth++;

            } else if (*p == '}' || *p == ']') {
                if (--depth == 0) {
                    return p + 1;
                }
            }

            p++;
        }

        return NULL;
    }

    /* a number, true, false, null */

    while (p < last && *p != ',' && *p != '}' && *p != ']') {
        p++;
    }

    return p;
}


/*
 * The values of two members of the compact object that is exactly
 * p..last (the last of duplicates, as json_loadb() keeps); a value not
 * found stays empty.
 */
static ngx_int_t
ngx_mobility_ucwa_json_pick(const u_char *p, const u_char *last,
    const char *n1, ngx_str_t *v1, const char *n2, ngx_str_t *v2)
{
    size_t         klen;
    const u_char  *k, *e;

    v1->len = 0;
    v2->len = 0;

    if (p >= last || *p++ != '{') {
        return NGX_ERROR;
    }

    if (p < last && *p == '}') {
        return (p + 1 == last) ? NGX_OK : NGX_ERROR;
    }

    for ( ;; ) {
        if (p >= last || *p != '"') {
            return NGX_ERROR;
        }

        k = p + 1;
        e = ngx_mobility_ucwa_json_skip(p, last);

        if (e == NULL || e >= last || *e != ':') {
            return NGX_ERROR;
        }

        klen = e - 1 - k;
        p = e + 1;

        e = ngx_mobility_ucwa_json_skip(p, last);
        if (e == NULL || e == p) {
            return NGX_ERROR;
        }

        if (klen == ngx_strlen(n1) && ngx_memcmp(k, n1, klen) == 0) {
            v1->data = (u_char *) p;
            v1->len = e - p;

        } else if (klen == ngx_strlen(n2) && ngx_memcmp(k, n2, klen) == 0) {
            v2->data = (u_char *) p;
            v2->len = e - p;
        }

        p = e;

        if (p < last && *p == ',') {
            p++;
            continue;
        }

        return (p + 1 == last && *p == '}') ? NGX_OK : NGX_ERROR;
    }
}


static int
ngx_mobility_ucwa_raw_event(void *data, ngx_mobility_event_t *ev)
{
    ngx_mobility_ucwa_raw_ctx_t  *ctx = data;

    ngx_str_t                 sv, ev_, rel, href;
    const u_char             *p, *last;
    ngx_mobility_ucwa_jw_t   *jw;

    p = ev->payload.data;
    last = p + ev->payload.len;

    if (ngx_mobility_ucwa_json_pick(p, last, "s", &sv, "e", &ev_) != NGX_OK
        || sv.len == 0 || ev_.len == 0 || ev_.data[0] != '{'
        || ngx_mobility_ucwa_json_pick(sv.data, sv.data + sv.len,
                                       "rel", &rel, "href", &href)
           != NGX_OK
        || rel.len == 0 || href.len == 0
        || rel.data[0] != '"' || href.data[0] != '"')
    {
        ctx->declined = 1;
        return 1;
    }

    jw = ctx->jw;

    /* consecutive events of one sender share its block */

    if (ctx->blocks
        && rel.len == ctx->rel.len
        && ngx_memcmp(rel.data, ctx->rel.data, rel.len) == 0
        && href.len == ctx->href.len
        && ngx_memcmp(href.data, ctx->href.data, href.len) == 0)
    {
        ngx_mobility_ucwa_jw_lit(jw, ",");

    } else {
        if (ctx->blocks == 0) {
            ngx_mobility_ucwa_jw_lit(jw, ",\"sender\":[{\"rel\":");

        } else {
            ngx_mobility_ucwa_jw_lit(jw, "]},{\"rel\":");
        }

        ngx_mobility_ucwa_jw_raw(jw, (char *) rel.data, rel.len);
        ngx_mobility_ucwa_jw_lit(jw, ",\"href\":");
        ngx_mobility_ucwa_jw_raw(jw, (char *) href.data, href.len);
        ngx_mobility_ucwa_jw_lit(jw, ",\"events\":[");

        ctx->rel = rel;
        ctx->href = href;
        ctx->blocks++;
    }

    ngx_mobility_ucwa_jw_raw(jw, (char *) ev_.data, ev_.len);

    return 0;
}


/* an href written as it is: printable ASCII without '"' and '\' */
static ngx_uint_t
ngx_mobility_ucwa_raw_href(ngx_mobility_ucwa_jw_t *jw, const char *rel,
    ngx_str_t *href)
{
    size_t  i;
    u_char  c;

    for (i = 0; i < href->len; i++) {
        c = href->data[i];

        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            return 0;
        }
    }

    ngx_mobility_ucwa_jw_raw(jw, rel, ngx_strlen(rel));
    ngx_mobility_ucwa_jw_raw(jw, (char *) href->data, href->len);
    ngx_mobility_ucwa_jw_lit(jw, "\"}");

    return 1;
}


static ngx_int_t
ngx_mobility_ucwa_package_raw(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, const u_char *key, size_t klen,
    ngx_mobility_evchan_t *ec, uint64_t ack, ngx_str_t *out)
{
    ngx_str_t                     href;
    ngx_mobility_ucwa_jw_t        jw;
    ngx_mobility_ucwa_raw_ctx_t   ctx;

    if (ngx_mobility_ucwa_jw_init(&jw, tx->pool, 1024) != NGX_OK
        || ngx_mobility_ucwa_events_href(tx->pool, prefix, ch, ack, &href)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!ngx_mobility_ucwa_raw_href(&jw, "{\"_links\":{\"self\":{\"href\":\"",
                                    &href))
    {
        return NGX_DECLINED;
    }

    if (ngx_mobility_ucwa_events_href(tx->pool, prefix, ch, ack + 1, &href)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!ngx_mobility_ucwa_raw_href(&jw,
                                    (ec->flags & NGX_MOBILITY_EVCHAN_PKG_RESUME)
                                    ? ",\"resume\":{\"href\":\""
                                    : ",\"next\":{\"href\":\"",
                                    &href))
    {
        return NGX_DECLINED;
    }

    ngx_mobility_ucwa_jw_lit(&jw, "}");

    ngx_memzero(&ctx, sizeof(ngx_mobility_ucwa_raw_ctx_t));
    ctx.jw = &jw;

    if (ngx_mobility_event_each(tx->st, tx->txn, key, klen, ec->pkg_first,
                                ec->pkg_end, ngx_mobility_ucwa_raw_event,
                                &ctx)
        < 0)
    {
        return NGX_ERROR;
    }

    if (ctx.declined) {
        return NGX_DECLINED;
    }

    if (ctx.blocks) {
        ngx_mobility_ucwa_jw_lit(&jw, "]}]");
    }

    ngx_mobility_ucwa_jw_lit(&jw, "}");

    if (jw.failed) {
        return NGX_ERROR;
    }

    out->data = jw.start;
    out->len = jw.pos - jw.start;

    return NGX_OK;
}


/*
 * A package: JSON written directly when the P-GET wants JSON, else (XML,
 * or a payload the direct writer declines) the jansson object in *obj.
 */
static ngx_int_t
ngx_mobility_ucwa_package_any(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_req_t *rq, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, const u_char *key, size_t klen,
    ngx_mobility_evchan_t *ec, uint64_t ack, json_t **obj, ngx_str_t *raw)
{
    ngx_int_t  rc;

    *obj = NULL;
    raw->len = 0;

    if (!rq->xml) {
        rc = ngx_mobility_ucwa_package_raw(tx, prefix, ch, key, klen, ec, ack,
                                           raw);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        raw->len = 0;
    }

    *obj = ngx_mobility_ucwa_package(tx, prefix, ch, key, klen, ec, ack);

    return (*obj == NULL) ? NGX_ERROR : NGX_OK;
}


static json_t *
ngx_mobility_ucwa_resync(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, uint64_t ack)
{
    json_t     *obj, *links, *link;
    ngx_str_t   href;

    if (ngx_mobility_ucwa_events_href(tx->pool, prefix, ch, ack, &href)
        != NGX_OK)
    {
        return NULL;
    }

    obj = json_object();
    links = json_object();
    link = json_object();

    if (obj == NULL || links == NULL || link == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(link);
        return NULL;
    }

    json_object_set_new(link, "href", ngx_mobility_ucwa_str(&href));
    json_object_set_new(links, "resync", link);
    json_object_set_new(obj, "_links", links);

    return obj;
}


/* ------------------------------------------------------------------ */
/* arriving P-GETs                                                    */


static uint64_t
ngx_mobility_ucwa_num_arg(ngx_mobility_ucwa_req_t *rq, const char *name,
    ngx_uint_t *present)
{
    size_t     i;
    uint64_t   n;
    ngx_str_t  v;

    *present = 0;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, name, &v) != NGX_OK
        || v.len == 0)
    {
        return 0;
    }

    n = 0;

    for (i = 0; i < v.len; i++) {
        if (v.data[i] < '0' || v.data[i] > '9') {
            return 0;
        }

        /* absurd values are clamped, never rejected */
        if (n > 100000000000000ULL) {
            n = 100000000000000ULL;
            continue;
        }

        n = n * 10 + (v.data[i] - '0');
    }

    *present = 1;

    return n;
}


static uint64_t
ngx_mobility_ucwa_clamp(uint64_t v, uint64_t min, uint64_t max)
{
    return (v < min) ? min : (v > max) ? max : v;
}


static ngx_int_t
ngx_mobility_ucwa_pget_answer(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_http_mobility_ucwa_respond(r, rq, rs);
}


/*
 * A P-GET arrives: its arguments are read here, the store is consulted
 * and written by the batch of this event-loop iteration (one write
 * transaction for every P-GET that arrived meanwhile and every held one
 * that is due), which then answers or parks it.
 */
ngx_int_t
ngx_mobility_ucwa_pget(ngx_http_request_t *r, ngx_mobility_ucwa_req_t *rq)
{
    uint64_t                             tmin;
    ngx_uint_t                           has;
    ngx_http_cleanup_t                  *cln;
    ngx_mobility_ucwa_parked_t          *pk;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    umcf = rq->umcf;

    pk = ngx_pcalloc(r->pool, sizeof(ngx_mobility_ucwa_parked_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (pk == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "instanceId",
                              &pk->instance)
        != NGX_OK)
    {
        ngx_str_null(&pk->instance);
    }

    pk->ack = ngx_mobility_ucwa_num_arg(rq, "ack", &has);
    pk->has_ack = has;

    /* clamp, never reject; the lower bound follows a shorter default */

    tmin = ngx_min((uint64_t) umcf->pget_timeout,
                   NGX_MOBILITY_UCWA_TIMEOUT_MIN);

    pk->timeout = ngx_mobility_ucwa_num_arg(rq, "timeout", &has);
    pk->timeout = has ? ngx_mobility_ucwa_clamp(pk->timeout, tmin,
                                                NGX_MOBILITY_UCWA_TIMEOUT_MAX)
                      : 0;

    pk->low = ngx_mobility_ucwa_num_arg(rq, "low", &has);
    pk->low = has ? ngx_mobility_ucwa_clamp(pk->low,
                                            NGX_MOBILITY_UCWA_HOLD_MIN,
                                            NGX_MOBILITY_UCWA_TIMEOUT_MAX)
                  : 0;

    pk->medium = ngx_mobility_ucwa_num_arg(rq, "medium", &has);
    pk->medium = has ? ngx_mobility_ucwa_clamp(pk->medium,
                                               NGX_MOBILITY_UCWA_HOLD_MIN,
                                               NGX_MOBILITY_UCWA_TIMEOUT_MAX)
                     : 0;

    pk->prio = ngx_mobility_ucwa_num_arg(rq, "priority", &has);
    pk->prio = ngx_min(pk->prio, 1000000);

    pk->request = r;
    pk->rq = rq;
    pk->arriving = 1;

    rq->parked = pk;

    cln->handler = ngx_mobility_ucwa_pget_cleanup;
    cln->data = pk;

    /* a client that goes away meanwhile is noticed once parked */
    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_mobility_ucwa_batch_add(pk, NGX_MOBILITY_UCWA_EVALUATE);

    r->main->count++;

    return NGX_DONE;
}


/*
 * An arriving P-GET, in the batch's write transaction: NGX_OK,
 * it wrote and pk->token (park) or pk->obj (answer) is set; NGX_DECLINED,
 * it wrote nothing and answers *rs; NGX_ERROR, the store failed.
 */
static ngx_int_t
ngx_mobility_ucwa_pget_arrive(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_parked_t *pk, ngx_mobility_ucwa_resp_t *rs)
{
    u_char                        key[NGX_MOBILITY_EV_KEY_MAX];
    u_char                        msg[16];
    size_t                        klen;
    json_t                       *obj;
    uint64_t                      ack, timeout, low, medium, due, token;
    ngx_int_t                     rc;
    ngx_str_t                     prefix;
    ngx_str_t                     raw;
    ngx_uint_t                    parked;
    ngx_mobility_evchan_t         ec, next;
    ngx_mobility_ucwa_app_t       app;
    ngx_mobility_ucwa_req_t      *rq;
    ngx_mobility_ucwa_channel_t  *ch;

    rq = pk->rq;
    ack = pk->ack;
    due = 0;

    rc = ngx_mobility_ucwa_app_load(rq, rs, tx, &app);

    if (rc != NGX_OK) {
        return rc;
    }

    ch = ngx_mobility_ucwa_app_channel(&app, &pk->instance);
    klen = ch ? ngx_mobility_ucwa_channel_key(&app, ch, key) : 0;

    if (ch == NULL
        || ngx_mobility_evchan_get(tx->st, tx->txn, key, klen, &ec)
           != NGX_MOBILITY_OK)
    {
        (void) ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", "ApplicationNotFound",
                                       "The event channel does not exist.");
        return NGX_DECLINED;
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, &app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    /* parameters stick until the channel goes */

    if (pk->timeout) {
        ec.timeout = pk->timeout;
    }

    if (pk->low) {
        ec.hold_low = pk->low;
    }

    if (pk->medium) {
        ec.hold_medium = pk->medium;
    }

    timeout = ec.timeout ? ec.timeout : (uint64_t) tx->umcf->pget_timeout;
    low = ec.hold_low ? ec.hold_low : NGX_MOBILITY_UCWA_HOLD_LOW;
    medium = ec.hold_medium ? ec.hold_medium : NGX_MOBILITY_UCWA_HOLD_MEDIUM;

    parked = (ec.park_token && ec.park_until > tx->now);

    if (parked && pk->prio < ec.park_priority) {

        /* a P-GET of higher priority holds the channel */

        (void) ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                       "Conflict", "PGetReplaced",
                                       "A pending GET of higher priority "
                                       "holds the event channel.");
        return NGX_DECLINED;
    }

    token = 0;
    obj = NULL;
    raw.len = 0;

    if (ec.flags & NGX_MOBILITY_EVCHAN_RECOVERED) {

        if (pk->has_ack && ack > ec.pkg_no + 1
            && ack - ec.pkg_no <= NGX_MOBILITY_UCWA_RECOVER_MAX)
        {

            /*
             * the store lost releases (an operating-system crash, a
             * restored backup): the client saw them, and the first held
             * exactly the events pending at the recovery
             */

            ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                          "mobility ucwa: recovered event channel %*s: "
                          "ack %uL taken as the lost packages %uL..%uL",
                          klen, key, ack, ec.pkg_no + 1, ack - 1);

            pk->dirty = 1;

            if (ngx_mobility_evchan_catch_up(tx->st, tx->txn, key, klen,
                                             &ec, ack)
                != NGX_MOBILITY_OK)
            {
                return NGX_ERROR;
            }

        } else {
            /* the client is where the store is: the normal rules */
            ec.flags &= ~(NGX_MOBILITY_EVCHAN_RECOVERED
                          |NGX_MOBILITY_EVCHAN_RECOVERED_RESUME);
            ec.recovered_end = 0;
        }
    }

    if (pk->has_ack && ack && ack == ec.pkg_no
        && !(ec.flags & NGX_MOBILITY_EVCHAN_ACKED))
    {
        /* the same ack again: the same package again */

        if (ngx_mobility_ucwa_package_any(tx, rq, &prefix, ch, key, klen,
                                          &ec, ack, &obj, &raw)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (pk->has_ack && ack == ec.pkg_no + 1) {

        /*
         * the acknowledged package goes; what can fail without the store
         * failing (rendering) is done before anything is written
         */

        if (ngx_mobility_evchan_due(tx->st, tx->txn, key, klen, &ec,
                                    medium * 1000, low * 1000, &due)
            != NGX_MOBILITY_OK)
        {
            return NGX_ERROR;
        }

        if (due <= tx->now || ngx_exiting) {
            next = ec;
            ngx_mobility_evchan_package(&next, ack);

            if (ngx_mobility_ucwa_package_any(tx, rq, &prefix, ch, key, klen,
                                              &next, ack, &obj, &raw)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        pk->dirty = 1;

        if (ngx_mobility_evchan_ack(tx->st, tx->txn, key, klen, &ec)
            != NGX_MOBILITY_OK)
        {
            json_decref(obj);
            return NGX_ERROR;
        }

        if (obj || raw.len) {
            /* the same channel state the package was rendered from */
            ngx_mobility_evchan_package(&ec, ack);

        } else {
            do {
                ngx_mobility_ucwa_random_hex(msg, 16);
                token = ngx_hextoi(msg, 8) * 0x100000000ULL
                        + ngx_hextoi(msg + 8, 8);
            } while (token == 0);
        }

    } else {
        obj = ngx_mobility_ucwa_resync(tx, &prefix, ch,
                                       ngx_mobility_ucwa_expected_ack(&ec));
    }

    if (token == 0 && obj == NULL && raw.len == 0) {
        return NGX_ERROR;
    }

    pk->replaced = parked ? ec.park_token : 0;

    if (token) {
        ec.park_token = token;
        ec.park_until = tx->now + timeout * 1000;
        ec.park_priority = pk->prio;

    } else {
        ec.park_token = 0;
        ec.last_release = tx->now;
    }

    pk->dirty = 1;

    if (ngx_mobility_evchan_put(tx->st, tx->txn, key, klen, &ec)
        != NGX_MOBILITY_OK)
    {
        json_decref(obj);
        return NGX_ERROR;
    }

    pk->obj = obj;
    pk->raw = raw;
    pk->token = token;
    pk->until = ec.park_until;
    pk->due = due;
    pk->channel = ch->no;
    pk->base = app.base;
    pk->app_len = app.id.len;
    ngx_memcpy(pk->app, app.id.data, app.id.len);

    /* what its release needs, so that it reads only the channel */
    pk->chan_instance = ch->instance;

    return NGX_OK;
}


/*
 * The answer of a P-GET is kept in its request's pool only when it
 * answers: a held P-GET carries no response object.
 */
static void
ngx_mobility_ucwa_pget_keep(ngx_mobility_ucwa_parked_t *p,
    ngx_mobility_ucwa_resp_t *rs)
{
    if (p->rs == NULL) {
        p->rs = ngx_palloc(p->request->pool,
                           sizeof(ngx_mobility_ucwa_resp_t));
        if (p->rs == NULL) {
            /* the request answers 500 without a body */
            return;
        }
    }

    *p->rs = *rs;
}


/* the package becomes the answer */
static void
ngx_mobility_ucwa_pget_resource(ngx_mobility_ucwa_parked_t *p)
{
    if (p->raw.len) {
        if (p->rs) {
            ngx_mobility_ucwa_raw_json(p->rq, p->rs, &p->raw);
            p->rs->events = 1;
        }

        p->raw.len = 0;
        return;
    }

    if (p->obj == NULL) {
        return;
    }

    if (p->rs == NULL) {
        json_decref(p->obj);

    } else if (ngx_mobility_ucwa_resource(p->rq, p->rs, NGX_HTTP_OK, p->obj)
               != NGX_OK)
    {
        ngx_memzero(p->rs, sizeof(ngx_mobility_ucwa_resp_t));
        (void) ngx_mobility_ucwa_store_error(p->rq, p->rs, NULL);

    } else {
        p->rs->events = 1;
    }

    p->obj = NULL;
}


/* after the batch's commit: the arriving P-GET answers or is held */
static void
ngx_mobility_ucwa_pget_settle(ngx_mobility_ucwa_parked_t *pk)
{
    u_char                   *p;
    u_char                    msg[NGX_MOBILITY_UCWA_ID_MAX + 64];
    uint64_t                  t;
    ngx_connection_t         *c;
    ngx_http_request_t       *r;
    ngx_mobility_ucwa_req_t  *rq;

    r = pk->request;
    rq = pk->rq;
    c = r->connection;

    pk->arriving = 0;

    if (pk->written && pk->replaced) {

        /* the previous holder answers 409, here or in another worker */

        ngx_mobility_ucwa_replace(pk->app, pk->app_len, pk->channel,
                                  pk->token);

        p = ngx_sprintf(msg, "%*s/%ui %016xL\n", pk->app_len, pk->app,
                        pk->channel, pk->token);

        if (ngx_mobility_ipc_broadcast(NGX_MOBILITY_IPC_APP_PARKED, msg,
                                       p - msg)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                          "mobility ucwa: replacing a P-GET of %*s: "
                          "broadcast failed", pk->app_len, pk->app);
        }
    }

    if (!pk->written || pk->token == 0) {

        ngx_mobility_ucwa_pget_resource(pk);

        pk->done = 1;

        ngx_http_finalize_request(r, pk->rs
                              ? ngx_mobility_ucwa_pget_answer(r, rq, pk->rs)
                              : NGX_HTTP_INTERNAL_SERVER_ERROR);
        ngx_http_run_posted_requests(c);
        return;
    }

    /* park */

    pk->timer.handler = ngx_mobility_ucwa_pget_timer;
    pk->timer.data = c;
    pk->timer.log = c->log;
    pk->timer.cancelable = 1;

    t = (pk->due < pk->until) ? pk->due : pk->until;

    ngx_mobility_ucwa_pget_arm(pk, t);

    ngx_queue_insert_tail(ngx_mobility_ucwa_bucket(pk->app, pk->app_len),
                          &pk->queue);
    pk->linked = 1;
    ngx_mobility_ucwa_nparked++;

    /* notice a client that goes away */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

#if (NGX_HTTP_V2)
    if (r->stream == NULL)
#endif
    {
        /* graceful shutdown answers idle connections: see above */
        pk->conn_read = c->read->handler;
        c->read->handler = ngx_mobility_ucwa_pget_conn_read;
        c->idle = 1;
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "mobility ucwa: P-GET parked on %*s/%ui ack %uL until %uL",
                   pk->app_len, pk->app, pk->channel, pk->ack, t);
}


/* ------------------------------------------------------------------ */
/* parked P-GETs                                                      */


static void
ngx_mobility_ucwa_unpark(ngx_mobility_ucwa_parked_t *p)
{
    ngx_connection_t  *c;

    if (p->linked) {
        ngx_queue_remove(&p->queue);
        p->linked = 0;
        ngx_mobility_ucwa_nparked--;
    }

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    c = p->request->connection;

    if (p->conn_read) {
        c->read->handler = p->conn_read;
        c->idle = 0;
        p->conn_read = NULL;
    }

    p->request->read_event_handler = ngx_http_block_reading;
    p->done = 1;
}


/*
 * The client went away while its P-GET was held: the channel is free
 * again (a P-GET of lower priority may take it at once) and the
 * application counts as active until now, from the next batch on
 * (ngx_mobility_ucwa_gone_t).
 */
static void
ngx_mobility_ucwa_pget_abandon(ngx_mobility_ucwa_parked_t *p)
{
    ngx_mobility_ucwa_gone_t  *g;

    if (ngx_mobility_store_current() == NULL) {
        return;
    }

    g = ngx_alloc(sizeof(ngx_mobility_ucwa_gone_t), ngx_cycle->log);
    if (g == NULL) {
        return;
    }

    g->token = p->token;
    g->klen = ngx_sprintf(g->key, "%*s/%ui", p->app_len, p->app, p->channel)
              - g->key;

    ngx_queue_insert_tail(&ngx_mobility_ucwa_gone_queue, &g->queue);
    ngx_mobility_ucwa_batch_post();
}


static void
ngx_mobility_ucwa_pget_cleanup(void *data)
{
    ngx_mobility_ucwa_parked_t  *p = data;

    if (p->done) {
        return;
    }

    if (p->batched) {
        ngx_queue_remove(&p->batch);
        p->batched = 0;
    }

    if (p->obj) {
        json_decref(p->obj);
        p->obj = NULL;
    }

    if (p->arriving) {
        /* it went away before the batch took the channel for it */
        p->done = 1;
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, p->request->connection->log, 0,
                   "mobility ucwa: parked P-GET of %*s went away",
                   p->app_len, p->app);

    if (p->linked) {
        ngx_queue_remove(&p->queue);
        p->linked = 0;
        ngx_mobility_ucwa_nparked--;
    }

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    p->done = 1;

    ngx_mobility_ucwa_pget_abandon(p);
}


/*
 * The timer of a held P-GET, for "at" (ms of ngx_mobility_ucwa_now()).
 * The kernel lets an epoll_wait() of t ms end up to t / 1000 later (the
 * timer slack of poll-type waits): 5 ms on a 5 s medium hold when
 * nothing else wakes the worker, which made a presence fan-out late by
 * anything up to 5 ms per worker.  So a wait longer than 50 ms ends
 * t / 500 + 2 ms early, and the timer handler waits the rest (a slack
 * of 50 us).  A timer already set is moved, not left where it was when
 * it is near (ngx_add_timer()'s lazy 300 ms).
 */
static void
ngx_mobility_ucwa_pget_arm(ngx_mobility_ucwa_parked_t *p, uint64_t at)
{
    uint64_t    now;
    ngx_msec_t  delay;

    now = ngx_mobility_ucwa_now();
    delay = (ngx_msec_t) ((at > now) ? at - now : 0);

    p->aim = at;

    if (delay > NGX_MOBILITY_UCWA_SLACK_MIN) {
        delay -= delay / 500 + 2;
    }

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    ngx_add_timer(&p->timer, delay);
}


/*
 * Its timer: not yet there (see above), or the hold or the deadline.
 * Times are whole milliseconds of the cached wall clock, nginx's timers
 * run on the monotonic one: a timer may see the time 1 ms short of its
 * aim, which counts as reached (a hold ends 1 ms early at worst).
 */
static void
ngx_mobility_ucwa_pget_timer(ngx_event_t *ev)
{
    uint64_t                     now;
    ngx_mobility_ucwa_parked_t  *p;

    p = (ngx_mobility_ucwa_parked_t *)
            ((u_char *) ev - offsetof(ngx_mobility_ucwa_parked_t, timer));

    now = ngx_mobility_ucwa_now();

    if (now + 1 < p->aim) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                       "mobility ucwa: P-GET wait ended %uL ms early, "
                       "waiting the rest", p->aim - now);

        ngx_mobility_ucwa_pget_arm(p, p->aim);
        return;
    }

    ngx_mobility_ucwa_pget_release(p, (now + 1 >= p->until)
                                      ? NGX_MOBILITY_UCWA_FORCE
                                      : NGX_MOBILITY_UCWA_EVALUATE);
}


static void
ngx_mobility_ucwa_pget_conn_read(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_mobility_ucwa_req_t     *rq;
    ngx_mobility_ucwa_parked_t  *p;

    c = ev->data;
    r = c->data;

    rq = ngx_http_mobility_ucwa_get_req(r);
    p = rq ? rq->parked : NULL;

    if (p == NULL || p->done) {
        /* cannot happen: the handler is restored when unparked */
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (c->close) {
        /* the worker shuts down: answer now, the client comes back */
        c->close = 0;

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "mobility ucwa: releasing a P-GET on shutdown");

        ngx_mobility_ucwa_pget_release(p, NGX_MOBILITY_UCWA_FORCE);
        return;
    }

    p->conn_read(ev);
}


/*
 * Where a held P-GET stands, in the batch's read transaction: NGX_OK, it
 * still holds its channel and *due tells when the pending events are
 * due; NGX_DECLINED, it must answer *status (404 gone, 410 expired, 409
 * replaced); NGX_ERROR, the store could not tell.  A request may be
 * evaluated many times while it is held: what this needs comes from the
 * batch's pool, not from the request's.
 */
/*
 * The channel of a held P-GET, read by its key ("<app id>/<no>", known
 * since it arrived) without the application record: the records of an
 * application's channels exist exactly as long as the application lists
 * them (one transaction writes both), so only when the channel is gone
 * is the application read, to tell an expired one (410) from a deleted
 * one (404).  NGX_DECLINED: *status answers, 0 when the application
 * exists without the channel.
 */
static ngx_int_t
ngx_mobility_ucwa_pget_channel(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_parked_t *p, u_char *key, size_t *klen,
    ngx_mobility_evchan_t *ec, ngx_uint_t *status)
{
    int                      rc;
    ngx_int_t                arc;
    ngx_str_t                id;
    ngx_mobility_ucwa_app_t  app;

    *klen = ngx_sprintf(key, "%*s/%ui", p->app_len, p->app, p->channel)
            - key;

    rc = ngx_mobility_evchan_get(tx->st, tx->txn, key, *klen, ec);

    if (rc == NGX_MOBILITY_OK) {
        return NGX_OK;
    }

    if (rc == NGX_MOBILITY_ERROR) {
        *status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    id.data = p->app;
    id.len = p->app_len;

    arc = ngx_mobility_ucwa_app_get(tx, &id, &app);

    if (arc == NGX_ERROR) {
        *status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    if (arc == NGX_DECLINED) {
        *status = NGX_HTTP_NOT_FOUND;

    } else if (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
        *status = NGX_MOBILITY_UCWA_GONE;

    } else {
        /* the application is there, the channel is not */
        *status = 0;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_mobility_ucwa_pget_check(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_parked_t *p, uint64_t *due, ngx_uint_t *status)
{
    u_char                 key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                 klen;
    uint64_t               medium, low;
    ngx_int_t              rc;
    ngx_mobility_evchan_t  ec;

    rc = ngx_mobility_ucwa_pget_channel(tx, p, key, &klen, &ec, status);

    if (rc != NGX_OK) {
        if (*status == 0) {
            *status = NGX_HTTP_NOT_FOUND;
        }

        return rc;
    }

    if (ec.park_token != p->token) {
        *status = NGX_HTTP_CONFLICT;
        return NGX_DECLINED;
    }

    medium = ec.hold_medium ? ec.hold_medium : NGX_MOBILITY_UCWA_HOLD_MEDIUM;
    low = ec.hold_low ? ec.hold_low : NGX_MOBILITY_UCWA_HOLD_LOW;

    return (ngx_mobility_evchan_due(tx->st, tx->txn, key, klen, &ec,
                                    medium * 1000, low * 1000, due)
            == NGX_MOBILITY_OK) ? NGX_OK : NGX_ERROR;
}


static void
ngx_mobility_ucwa_pget_verdict(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status)
{
    switch (status) {

    case NGX_MOBILITY_UCWA_GONE:
        (void) ngx_mobility_ucwa_error(rq, rs, NGX_MOBILITY_UCWA_GONE, "Gone",
                                       "InactiveApplicationExpired",
                                       "The application expired because it "
                                       "was inactive.");
        break;

    case NGX_HTTP_CONFLICT:
        (void) ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "PGetReplaced",
                                       "A newer pending GET replaced this "
                                       "one.");
        break;

    default:
        (void) ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", "ApplicationNotFound",
                                       "The application does not exist.");
        break;
    }
}


/*
 * A held P-GET is to be evaluated (a wake-up, its timer, a replacement)
 * or answered now (NGX_MOBILITY_UCWA_FORCE: its deadline, a shutdown):
 * it joins the batch of this event-loop iteration.
 */
static void
ngx_mobility_ucwa_pget_release(ngx_mobility_ucwa_parked_t *p, ngx_uint_t how)
{
    if (p->done) {
        return;
    }

    ngx_mobility_ucwa_batch_add(p, how);
}


/*
 * A held P-GET found due in the batch's read transaction: its package is
 * rendered there, before the write transaction, with the channel record
 * it was rendered from.  The write transaction then only checks that the
 * record is the same (every change of a channel's events rewrites its
 * record: next_seq, pending, the package bounds) and writes it; else the
 * package is rendered again there.  So the writer lock, which the other
 * workers' releases of the same change wait for, is held for the writes
 * and the commit only, and the workers render in parallel.  Nothing here
 * is an error: what fails is done again in the write transaction.
 */
static void
ngx_mobility_ucwa_pget_prepare(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_parked_t *p)
{
    u_char                       key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                       klen;
    json_t                      *obj;
    ngx_str_t                    prefix, raw;
    ngx_mobility_evchan_t        ec;
    ngx_mobility_ucwa_tx_t       item;
    ngx_mobility_ucwa_channel_t  ch;

    klen = ngx_sprintf(key, "%*s/%ui", p->app_len, p->app, p->channel)
           - key;

    if (ngx_mobility_evchan_get(tx->st, tx->txn, key, klen, &ec)
        != NGX_MOBILITY_OK
        || ec.park_token != p->token
        || ec.pkg_no + 1 != p->ack)
    {
        return;
    }

    p->pre_ec = ec;

    ngx_mobility_evchan_package(&ec, p->ack);

    item = *tx;
    item.pool = p->rq->pool;
    item.log = p->rq->log;

    ch.no = p->channel;
    ch.instance = p->chan_instance;

    if (ngx_mobility_ucwa_prefix_id(p->rq->pool, p->base, p->app, p->app_len,
                                    &prefix)
        != NGX_OK
        || ngx_mobility_ucwa_package_any(&item, p->rq, &prefix, &ch, key,
                                         klen, &ec, p->ack, &obj, &raw)
           != NGX_OK)
    {
        return;
    }

    p->obj = obj;
    p->raw = raw;
    p->pre = 1;
}


/* a package rendered early that is not to be sent */
static void
ngx_mobility_ucwa_pget_unprepare(ngx_mobility_ucwa_parked_t *p)
{
    if (p->obj) {
        json_decref(p->obj);
        p->obj = NULL;
    }

    p->raw.len = 0;
    p->pre = 0;
}


/*
 * A due P-GET, in the batch's write transaction: NGX_OK, its
 * package is in pk->obj and the channel was written; NGX_DECLINED, it
 * wrote nothing and answers *rs; NGX_ERROR, the store failed.
 */
static ngx_int_t
ngx_mobility_ucwa_pget_package(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_parked_t *p, ngx_mobility_ucwa_resp_t *rs)
{
    u_char                       key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                       klen;
    json_t                      *obj;
    ngx_int_t                    rc;
    ngx_str_t                    prefix, raw;
    ngx_uint_t                   status;
    ngx_mobility_evchan_t        ec;
    ngx_mobility_ucwa_req_t     *rq;
    ngx_mobility_ucwa_channel_t  ch;

    rq = p->rq;

    rc = ngx_mobility_ucwa_pget_channel(tx, p, key, &klen, &ec, &status);

    if (p->pre) {
        if (rc == NGX_OK
            && ngx_memcmp(&ec, &p->pre_ec, sizeof(ngx_mobility_evchan_t))
               == 0)
        {
            /* rendered in the read transaction from this very record */

            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, tx->log, 0,
                           "mobility ucwa: P-GET of %*s: package rendered "
                           "before the write transaction",
                           p->app_len, p->app);

            p->pre = 0;

            ngx_mobility_evchan_package(&ec, p->ack);
            ec.park_token = 0;
            ec.last_release = tx->now;

            p->dirty = 1;

            if (ngx_mobility_evchan_put(tx->st, tx->txn, key, klen, &ec)
                != NGX_MOBILITY_OK)
            {
                ngx_mobility_ucwa_pget_unprepare(p);
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        ngx_mobility_ucwa_pget_unprepare(p);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        if (status == 0) {
            (void) ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                           "NotFound", "ApplicationNotFound",
                                           "The event channel does not "
                                           "exist.");

        } else {
            ngx_mobility_ucwa_pget_verdict(rq, rs, status);
        }

        return NGX_DECLINED;
    }

    if (ec.park_token != p->token || ec.pkg_no + 1 != p->ack) {
        ngx_mobility_ucwa_pget_verdict(rq, rs, NGX_HTTP_CONFLICT);
        return NGX_DECLINED;
    }

    ngx_mobility_evchan_package(&ec, p->ack);
    ec.park_token = 0;
    ec.last_release = tx->now;

    ch.no = p->channel;
    ch.instance = p->chan_instance;

    if (ngx_mobility_ucwa_prefix_id(rq->pool, p->base, p->app, p->app_len,
                                    &prefix)
        != NGX_OK
        || ngx_mobility_ucwa_package_any(tx, rq, &prefix, &ch, key, klen,
                                         &ec, p->ack, &obj, &raw)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the one write, after everything that can fail otherwise */

    p->dirty = 1;

    if (ngx_mobility_evchan_put(tx->st, tx->txn, key, klen, &ec)
        != NGX_MOBILITY_OK)
    {
        if (obj) {
            json_decref(obj);
        }

        return NGX_ERROR;
    }

    p->obj = obj;
    p->raw = raw;

    return NGX_OK;
}


/* after the batch's commit: a held P-GET answers */
static void
ngx_mobility_ucwa_pget_answer_held(ngx_mobility_ucwa_parked_t *p)
{
    ngx_connection_t         *c;
    ngx_http_request_t       *r;
    ngx_mobility_ucwa_req_t  *rq;

    r = p->request;
    rq = p->rq;
    c = r->connection;

    ngx_mobility_ucwa_pget_resource(p);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "mobility ucwa: P-GET of %*s released: %ui",
                   p->app_len, p->app, p->rs ? p->rs->status : 500);

    ngx_mobility_ucwa_unpark(p);

    ngx_http_finalize_request(r, p->rs
                                 ? ngx_http_mobility_ucwa_respond(r, rq, p->rs)
                                 : NGX_HTTP_INTERNAL_SERVER_ERROR);
    ngx_http_run_posted_requests(c);
}


/* ------------------------------------------------------------------ */
/* the batch                                                          */


/*
 * Everything that needs the store's write lock for P-GETs is done once
 * per event-loop iteration, in one write transaction (one fsync with
 * durability=full): the P-GETs that arrived, the held ones that a
 * wake-up, a timer or a replacement found due.  A P-GET's step does
 * everything that can fail without the store failing (reading, rendering
 * the package) before its first write, so a step that fails cleanly has
 * written nothing and answers alone; a store failure after a write
 * aborts the whole batch (every P-GET of it answers 500, nothing is
 * stored).  Nothing answers before the commit.  During a graceful
 * shutdown the batch runs from a timer that is not cancelable, so the
 * worker does not exit before it.
 */
static void
ngx_mobility_ucwa_batch_add(ngx_mobility_ucwa_parked_t *p, ngx_uint_t how)
{
    if (p->batched) {
        if (how > p->how) {
            p->how = how;
        }

        return;
    }

    p->how = how;
    p->batched = 1;
    p->decided = 0;
    p->written = 0;

    ngx_queue_insert_tail(&ngx_mobility_ucwa_batch_queue, &p->batch);

    ngx_mobility_ucwa_batch_post();
}


static void
ngx_mobility_ucwa_batch_post(void)
{
    if (ngx_exiting) {
        if (!ngx_mobility_ucwa_batch_ev.timer_set) {
            ngx_add_timer(&ngx_mobility_ucwa_batch_ev, 1);
        }

    } else if (!ngx_mobility_ucwa_batch_ev.posted) {
        ngx_post_event(&ngx_mobility_ucwa_batch_ev, &ngx_posted_events);
    }
}


/* the held P-GETs that are not due yet wait again, read-only */
static void
ngx_mobility_ucwa_batch_evaluate(ngx_queue_t *work, ngx_pool_t *pool,
    ngx_log_t *log)
{
    uint64_t                     due, now;
    ngx_int_t                    rc;
    ngx_uint_t                   status, reading;
    ngx_queue_t                 *q, *next;
    ngx_mobility_ucwa_tx_t       tx;
    ngx_mobility_ucwa_resp_t     rs;
    ngx_mobility_ucwa_parked_t  *p;

    if (ngx_exiting) {
        return;
    }

    ngx_memzero(&tx, sizeof(ngx_mobility_ucwa_tx_t));
    tx.pool = pool;
    tx.log = log;
    tx.umcf = ngx_mobility_ucwa_umcf;

    reading = 0;

    for (q = ngx_queue_head(work); q != ngx_queue_sentinel(work); q = next) {
        next = ngx_queue_next(q);
        p = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, batch);

        if (p->arriving || p->how != NGX_MOBILITY_UCWA_EVALUATE) {
            continue;
        }

        if (!reading) {
            if (ngx_mobility_ucwa_tx_begin(&tx, NULL, 0) != NGX_OK) {
                /* the write transaction will tell */
                return;
            }

            reading = 1;
        }

        rc = ngx_mobility_ucwa_pget_check(&tx, p, &due, &status);

        if (rc == NGX_DECLINED) {
            ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));
            ngx_mobility_ucwa_pget_verdict(p->rq, &rs, status);
            ngx_mobility_ucwa_pget_keep(p, &rs);
            p->decided = 1;
            continue;
        }

        if (rc != NGX_OK) {
            continue;
        }

        now = ngx_mobility_ucwa_now();

        if (due > now + 1) {

            /*
             * nothing to release yet: wait for the hold time or timeout
             * (1 ms short of it counts as there: see the timer)
             */

            if (due > p->until) {
                due = p->until;
            }

            ngx_queue_remove(q);
            p->batched = 0;

            ngx_mobility_ucwa_pget_arm(p, due);

            continue;
        }

        ngx_mobility_ucwa_pget_prepare(&tx, p);
    }

    if (reading) {
        ngx_mobility_ucwa_tx_abort(&tx);
    }
}


/* the parks of held P-GETs that went away; NGX_ERROR: the store failed */
static ngx_int_t
ngx_mobility_ucwa_batch_forget(ngx_mobility_ucwa_tx_t *tx, ngx_queue_t *gone,
    ngx_uint_t *nwritten)
{
    int                        rc;
    ngx_queue_t               *q;
    ngx_mobility_evchan_t      ec;
    ngx_mobility_ucwa_gone_t  *g;

    for (q = ngx_queue_head(gone);
         q != ngx_queue_sentinel(gone);
         q = ngx_queue_next(q))
    {
        g = ngx_queue_data(q, ngx_mobility_ucwa_gone_t, queue);

        rc = ngx_mobility_evchan_get(tx->st, tx->txn, g->key, g->klen, &ec);

        if (rc == NGX_MOBILITY_ERROR) {
            goto failed;
        }

        if (rc == NGX_MOBILITY_NOTFOUND || ec.park_token != g->token) {
            /* gone with its application, or a newer P-GET holds it */
            continue;
        }

        ec.park_token = 0;
        ec.last_release = tx->now;

        if (ngx_mobility_evchan_put(tx->st, tx->txn, g->key, g->klen, &ec)
            != NGX_MOBILITY_OK)
        {
            goto failed;
        }

        (*nwritten)++;
    }

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                  tx->st->err);
    return NGX_ERROR;
}


static void
ngx_mobility_ucwa_batch_write(ngx_queue_t *work, ngx_queue_t *gone,
    ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_int_t                    rc, res;
    ngx_uint_t                   nwritten, poisoned;
    ngx_queue_t                 *q;
    ngx_mobility_ucwa_tx_t       tx, item;
    ngx_mobility_ucwa_resp_t     rs;
    ngx_mobility_ucwa_parked_t  *p;

    ngx_memzero(&tx, sizeof(ngx_mobility_ucwa_tx_t));
    tx.pool = pool;
    tx.log = log;
    tx.umcf = ngx_mobility_ucwa_umcf;

    /*
     * The batch writes channel bookkeeping only (acks, packages, parks,
     * sticky parameters, last_release): every event it releases was
     * committed with a sync by its change before.  So it commits without
     * a sync; what an operating-system crash loses of it is recovered at
     * the next start (ngx_mobility_evchan_recover_all(), docs/
     * architecture.md "Releases without a sync").  A step that writes
     * anything else sets item.durable and the batch syncs.
     */
    tx.lazy = 1;

    rc = NGX_DECLINED;
    nwritten = 0;
    poisoned = 0;

    if (!ngx_queue_empty(gone)) {
        rc = ngx_mobility_ucwa_tx_begin(&tx, NULL, 1);

        if (rc == NGX_OK
            && ngx_mobility_ucwa_batch_forget(&tx, gone, &nwritten)
               != NGX_OK)
        {
            poisoned = 1;
        }
    }

    for (q = ngx_queue_head(work);
         q != ngx_queue_sentinel(work);
         q = ngx_queue_next(q))
    {
        p = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, batch);

        if (p->decided) {
            continue;
        }

        p->decided = 1;
        p->dirty = 0;

        if (!p->pre) {
            p->obj = NULL;
            p->raw.len = 0;
        }

        p->token = p->arriving ? 0 : p->token;
        ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));

        if (rc == NGX_DECLINED) {
            rc = ngx_mobility_ucwa_tx_begin(&tx, NULL, 1);
        }

        if (rc != NGX_OK || poisoned) {
            ngx_mobility_ucwa_pget_unprepare(p);
            (void) ngx_mobility_ucwa_store_error(p->rq, &rs, NULL);
            ngx_mobility_ucwa_pget_keep(p, &rs);
            continue;
        }

        item = tx;
        item.pool = p->rq->pool;
        item.log = p->rq->log;
        item.wake = p->rq->wake;

        res = p->arriving ? ngx_mobility_ucwa_pget_arrive(&item, p, &rs)
                          : ngx_mobility_ucwa_pget_package(&item, p, &rs);

        if (item.durable || item.push || item.logged != tx.logged) {
            tx.durable = 1;
        }

        if (res == NGX_OK) {
            p->written = 1;
            nwritten++;

            /* a park needs no answer (yet) */
            if (!(p->arriving && p->token)) {
                ngx_mobility_ucwa_pget_keep(p, &rs);
            }

            continue;
        }

        if (res == NGX_ERROR) {
            /*
             * a step fails after its first write only when the store
             * fails: the transaction is not to be committed
             */
            if (p->dirty) {
                poisoned = 1;
            }

            p->token = p->arriving ? 0 : p->token;
            ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));
            (void) ngx_mobility_ucwa_store_error(p->rq, &rs, tx.st);
        }

        ngx_mobility_ucwa_pget_keep(p, &rs);
    }

    if (rc != NGX_OK) {
        return;
    }

    if (nwritten == 0 && !poisoned) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return;
    }

    if (poisoned) {
        ngx_mobility_ucwa_tx_abort(&tx);

    } else if (ngx_mobility_ucwa_tx_commit(&tx) == NGX_OK) {
        return;
    }

    /* nothing of the batch is in the store: nobody gets a package */

    for (q = ngx_queue_head(work);
         q != ngx_queue_sentinel(work);
         q = ngx_queue_next(q))
    {
        p = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, batch);

        if (!p->written) {
            continue;
        }

        p->written = 0;

        if (p->obj) {
            json_decref(p->obj);
            p->obj = NULL;
        }

        p->raw.len = 0;

        if (p->arriving) {
            p->token = 0;
        }

        ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));
        (void) ngx_mobility_ucwa_store_error(p->rq, &rs, NULL);
        ngx_mobility_ucwa_pget_keep(p, &rs);
    }
}


static void
ngx_mobility_ucwa_batch_handler(ngx_event_t *ev)
{
    ngx_pool_t                  *pool;
    ngx_queue_t                  work, gone, *q;
    ngx_mobility_ucwa_resp_t     rs;
    ngx_mobility_ucwa_parked_t  *p;

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }

    if (ev->posted) {
        ngx_delete_posted_event(ev);
    }

    if (ngx_queue_empty(&ngx_mobility_ucwa_batch_queue)
        && ngx_queue_empty(&ngx_mobility_ucwa_gone_queue))
    {
        return;
    }

    /* what arrives while this batch is handled makes the next one */

    ngx_queue_init(&work);
    ngx_queue_add(&work, &ngx_mobility_ucwa_batch_queue);
    ngx_queue_init(&ngx_mobility_ucwa_batch_queue);

    ngx_queue_init(&gone);
    ngx_queue_add(&gone, &ngx_mobility_ucwa_gone_queue);
    ngx_queue_init(&ngx_mobility_ucwa_gone_queue);

    pool = ngx_create_pool(16384, ev->log);

    if (pool) {
        ngx_mobility_ucwa_batch_evaluate(&work, pool, ev->log);
        ngx_mobility_ucwa_batch_write(&work, &gone, pool, ev->log);
        ngx_destroy_pool(pool);

    } else {
        for (q = ngx_queue_head(&work);
             q != ngx_queue_sentinel(&work);
             q = ngx_queue_next(q))
        {
            p = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, batch);
            ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));
            (void) ngx_mobility_ucwa_store_error(p->rq, &rs, NULL);
            ngx_mobility_ucwa_pget_keep(p, &rs);
            p->token = p->arriving ? 0 : p->token;
            p->decided = 1;
            p->written = 0;
        }
    }

    ngx_mobility_ucwa_gone_free(&gone);

    /* answers (and parks) only after the commit */

    while (!ngx_queue_empty(&work)) {
        q = ngx_queue_head(&work);
        ngx_queue_remove(q);

        p = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, batch);
        p->batched = 0;

        if (p->arriving) {
            ngx_mobility_ucwa_pget_settle(p);

        } else {
            ngx_mobility_ucwa_pget_answer_held(p);
        }
    }
}


/* ------------------------------------------------------------------ */
/* wake-ups                                                           */


void
ngx_mobility_ucwa_wake_local(const u_char *data, size_t len)
{
    const u_char                *p, *last, *nl;
    ngx_queue_t                 *bucket, *q, *next;
    ngx_mobility_ucwa_parked_t  *pk;

    if (ngx_mobility_ucwa_buckets == NULL || ngx_mobility_ucwa_nparked == 0)
    {
        return;
    }

    p = data;
    last = data + len;

    while (p < last) {
        nl = ngx_strlchr((u_char *) p, (u_char *) last, '\n');
        if (nl == NULL) {
            nl = last;
        }

        if (nl > p && (size_t) (nl - p) <= NGX_MOBILITY_UCWA_ID_MAX) {
            bucket = ngx_mobility_ucwa_bucket((u_char *) p, nl - p);

            for (q = ngx_queue_head(bucket);
                 q != ngx_queue_sentinel(bucket);
                 q = next)
            {
                next = ngx_queue_next(q);
                pk = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, queue);

                if (pk->app_len == (size_t) (nl - p)
                    && ngx_memcmp(pk->app, p, pk->app_len) == 0)
                {
                    ngx_mobility_ucwa_pget_release(pk,
                                                   NGX_MOBILITY_UCWA_EVALUATE);
                }
            }
        }

        p = nl + 1;
    }
}


/*
 * Every P-GET held here is evaluated against the store: what an empty
 * (merged beyond its size) wake-up or replacement message asks for.
 */
static void
ngx_mobility_ucwa_evaluate_all(void)
{
    ngx_uint_t                   i;
    ngx_queue_t                 *q, *next;
    ngx_mobility_ucwa_parked_t  *pk;

    if (ngx_mobility_ucwa_buckets == NULL) {
        return;
    }

    for (i = 0; i < NGX_MOBILITY_UCWA_BUCKETS; i++) {
        for (q = ngx_queue_head(&ngx_mobility_ucwa_buckets[i]);
             q != ngx_queue_sentinel(&ngx_mobility_ucwa_buckets[i]);
             q = next)
        {
            next = ngx_queue_next(q);
            pk = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, queue);
            ngx_mobility_ucwa_pget_release(pk, NGX_MOBILITY_UCWA_EVALUATE);
        }
    }
}


static void
ngx_mobility_ucwa_ipc_wake(ngx_uint_t type, const u_char *data, size_t len,
    ngx_pid_t from)
{
    if (len == 0) {
        ngx_mobility_ucwa_evaluate_all();
        return;
    }

    ngx_mobility_ucwa_wake_local(data, len);
}


/*
 * Another P-GET took the channel (its token is "token"): the ones held
 * here are evaluated against the store, which decides.  Messages from
 * several workers may arrive in any order, so the token in the message
 * only spares its own P-GET the store lookup.
 */
static void
ngx_mobility_ucwa_replace(u_char *app, size_t len, ngx_uint_t channel,
    uint64_t token)
{
    ngx_queue_t                 *bucket, *q, *next;
    ngx_mobility_ucwa_parked_t  *pk;

    if (ngx_mobility_ucwa_buckets == NULL) {
        return;
    }

    bucket = ngx_mobility_ucwa_bucket(app, len);

    for (q = ngx_queue_head(bucket); q != ngx_queue_sentinel(bucket); q = next)
    {
        next = ngx_queue_next(q);
        pk = ngx_queue_data(q, ngx_mobility_ucwa_parked_t, queue);

        if (pk->app_len == len && ngx_memcmp(pk->app, app, len) == 0
            && pk->channel == channel && pk->token != token)
        {
            ngx_mobility_ucwa_pget_release(pk, NGX_MOBILITY_UCWA_EVALUATE);
        }
    }
}


/* "<app>/<channel> <token hex>\n" ... */
static void
ngx_mobility_ucwa_ipc_parked(ngx_uint_t type, const u_char *data,
    size_t len, ngx_pid_t from)
{
    u_char      *p, *last, *nl, *slash, *sp;
    uint64_t     token;
    ngx_int_t    channel, hi, lo;

    if (len == 0) {
        ngx_mobility_ucwa_evaluate_all();
        return;
    }

    p = (u_char *) data;
    last = p + len;

    while (p < last) {
        nl = ngx_strlchr(p, last, '\n');
        if (nl == NULL) {
            nl = last;
        }

        slash = ngx_strlchr(p, nl, '/');
        sp = slash ? ngx_strlchr(slash, nl, ' ') : NULL;

        if (sp && nl - sp == 17 && slash > p
            && (size_t) (slash - p) <= NGX_MOBILITY_UCWA_ID_MAX)
        {
            channel = ngx_atoi(slash + 1, sp - slash - 1);
            hi = ngx_hextoi(sp + 1, 8);
            lo = ngx_hextoi(sp + 9, 8);

            if (channel != NGX_ERROR && hi != NGX_ERROR && lo != NGX_ERROR) {
                token = (uint64_t) hi * 0x100000000ULL + (uint64_t) lo;
                ngx_mobility_ucwa_replace(p, slash - p, channel, token);
            }
        }

        p = nl + 1;
    }
}


/* ------------------------------------------------------------------ */
/* timers: presence changes that are due, expiry sweeps               */


void
ngx_mobility_ucwa_due_arm(uint64_t due)
{
    uint64_t  now;

    if (due == 0 || ngx_mobility_ucwa_due_ev.handler == NULL || ngx_exiting) {
        return;
    }

    if (ngx_mobility_ucwa_due_ev.timer_set && ngx_mobility_ucwa_due_at
        && ngx_mobility_ucwa_due_at <= due)
    {
        return;
    }

    now = ngx_mobility_ucwa_now();

    ngx_mobility_ucwa_due_at = due;
    ngx_add_timer(&ngx_mobility_ucwa_due_ev,
                  (ngx_msec_t) ((due > now) ? due - now : 0) + 10);
}


static void
ngx_mobility_ucwa_maintain(ngx_uint_t sweep, ngx_log_t *log)
{
    ngx_pool_t              *pool;
    ngx_array_t             *ids, *pruned;
    ngx_mobility_ucwa_tx_t   tx;

    pool = ngx_create_pool(16384, log);
    if (pool == NULL) {
        return;
    }

    ngx_memzero(&tx, sizeof(ngx_mobility_ucwa_tx_t));

    tx.pool = pool;
    tx.log = log;
    tx.umcf = ngx_mobility_ucwa_umcf;
    tx.wake = ngx_array_create(pool, 8, sizeof(ngx_str_t));

    if (tx.wake == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    /* the sweep looks in a read transaction; only what expired is written */

    ids = NULL;
    pruned = NULL;

    if (sweep && ngx_mobility_ucwa_tx_begin(&tx, NULL, 0) == NGX_OK) {
        ids = ngx_mobility_ucwa_sweep_scan(&tx, NGX_MOBILITY_UCWA_SWEEP_APPS);
        pruned = ngx_mobility_ucwa_history_scan(&tx);
        ngx_mobility_ucwa_tx_abort(&tx);
    }

    if (ngx_mobility_ucwa_tx_begin(&tx, NULL, 1) != NGX_OK) {
        ngx_destroy_pool(pool);
        return;
    }

    if (ids && ids->nelts) {
        ngx_mobility_ucwa_sweep(&tx, ids);
    }

    ngx_mobility_ucwa_presence_due(&tx, 128);
    ngx_mobility_ucwa_im_due(&tx, 64);
    ngx_mobility_ucwa_conf_due(&tx, 64);

    if (sweep) {
        ngx_mobility_ucwa_subs_due(&tx, 64);
    }

    if (pruned && pruned->nelts) {
        ngx_mobility_ucwa_history_prune(&tx, pruned);
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) == NGX_OK) {
        ngx_mobility_ucwa_due_at = 0;
        ngx_mobility_ucwa_wake_flush(tx.wake, tx.due, log);
    }

    ngx_destroy_pool(pool);
}


static void
ngx_mobility_ucwa_due_handler(ngx_event_t *ev)
{
    ngx_mobility_ucwa_due_at = 0;

    if (ngx_exiting || ngx_mobility_store_current() == NULL) {
        return;
    }

    ngx_mobility_ucwa_maintain(0, ev->log);
}


static void
ngx_mobility_ucwa_sweep_handler(ngx_event_t *ev)
{
    if (ngx_exiting) {
        return;
    }

    if (ngx_mobility_store_current()) {
        ngx_mobility_ucwa_maintain(1, ev->log);
    }

    ngx_add_timer(ev, NGX_MOBILITY_UCWA_SWEEP_MS);
}
