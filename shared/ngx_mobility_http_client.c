/*
 * Copyright (C) The nginx mobility authors
 *
 * The outbound HTTP client of the push sender: see
 * ngx_mobility_http_client.h and docs/architecture.md, "Outbound HTTP for
 * push".  One peer per origin; exchanges wait in the peer's queue until a
 * connection takes them: an HTTP/2 connection (libnghttp2 over an nginx
 * connection) takes as many as the server's SETTINGS_MAX_CONCURRENT_STREAMS
 * allows, an HTTP/1.1 connection one at a time.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <nghttp2/nghttp2.h>

#include "ngx_mobility_http_client.h"


#define NGX_MOBILITY_HTTP_IN_SIZE       16384
#define NGX_MOBILITY_HTTP_OUT_SIZE      65536
#define NGX_MOBILITY_HTTP_POOL_SIZE     1024
#define NGX_MOBILITY_HTTP_TIMEOUT       30000
#define NGX_MOBILITY_HTTP_H2_WINDOW     (1 << 24)
#define NGX_MOBILITY_HTTP_H2_STREAMS    100   /* until the server's SETTINGS */

#define NGX_MOBILITY_HTTP_MODE_UNKNOWN  0
#define NGX_MOBILITY_HTTP_MODE_H2       1
#define NGX_MOBILITY_HTTP_MODE_H1       2

#define NGX_MOBILITY_HTTP_CONNECTING    0
#define NGX_MOBILITY_HTTP_HANDSHAKE     1
#define NGX_MOBILITY_HTTP_READY         2

/* HTTP/1.1 response parser states */
#define NGX_MOBILITY_H1_HEADER          0
#define NGX_MOBILITY_H1_LENGTH          1
#define NGX_MOBILITY_H1_UNTIL_CLOSE     2
#define NGX_MOBILITY_H1_CHUNK_SIZE      3
#define NGX_MOBILITY_H1_CHUNK_EXT       4
#define NGX_MOBILITY_H1_CHUNK_SIZE_LF   5
#define NGX_MOBILITY_H1_CHUNK_DATA      6
#define NGX_MOBILITY_H1_CHUNK_DATA_CR   7
#define NGX_MOBILITY_H1_CHUNK_DATA_LF   8
#define NGX_MOBILITY_H1_TRAILER         9
#define NGX_MOBILITY_H1_TRAILER_LINE    10
#define NGX_MOBILITY_H1_TRAILER_LF      11
#define NGX_MOBILITY_H1_DONE            12


typedef struct ngx_mobility_http_conn_s  ngx_mobility_http_conn_t;


typedef struct {
    ngx_queue_t                    queue;    /* peer waiting or conn list */
    ngx_pool_t                    *pool;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_conn_t      *conn;

    ngx_mobility_http_request_t    req;
    ngx_mobility_http_done_pt      done;
    void                          *data;

    ngx_event_t                    timer;

    int32_t                        stream_id;
    size_t                         body_sent;

    ngx_uint_t                     status;
    ngx_array_t                    headers;
    u_char                        *body;
    size_t                         body_len;
    size_t                         body_size;

    unsigned                       stream_closed:1;
    unsigned                       retried:1;
    unsigned                       head:1;
} ngx_mobility_http_exchange_t;


struct ngx_mobility_http_conn_s {
    ngx_queue_t                    queue;    /* in peer->conns */
    ngx_pool_t                    *pool;
    ngx_mobility_http_peer_t      *peer;
    ngx_peer_connection_t          pc;
    ngx_connection_t              *c;
    ngx_uint_t                     state;

    ngx_queue_t                    exchanges;
    ngx_uint_t                     nactive;

    ngx_buf_t                     *in;

    /* HTTP/2 */
    nghttp2_session               *session;
    u_char                        *out_start;
    u_char                        *out_pos;
    u_char                        *out_last;
    u_char                        *out_end;
    const uint8_t                 *pend;
    size_t                         pend_len;

    /* HTTP/1.1 */
    ngx_mobility_http_exchange_t  *cur;
    u_char                        *req_pos;
    u_char                        *req_last;
    ngx_uint_t                     h1_state;
    off_t                          rest;
    size_t                         received;

    unsigned                       h2:1;
    unsigned                       goaway:1;
    unsigned                       reused:1;
    unsigned                       keepalive:1;
    unsigned                       chunk_digit:1;
};


struct ngx_mobility_http_peer_s {
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;
    ngx_mobility_http_peer_conf_t  conf;

    ngx_str_t                      host;      /* no brackets */
    u_char                        *host_c;    /* NUL-terminated, for SNI */
    ngx_str_t                      authority; /* host[:port] as given */
    in_port_t                      port;
    ngx_uint_t                     tls;
    ngx_uint_t                     literal;

    ngx_addr_t                    *addrs;
    ngx_uint_t                     naddrs;
    ngx_uint_t                     next_addr;
    ngx_resolver_ctx_t            *rctx;

    ngx_queue_t                    waiting;
    ngx_queue_t                    conns;
    ngx_uint_t                     nconns;
    ngx_uint_t                     pending;
    ngx_uint_t                     connections;
    ngx_uint_t                     mode;

    ngx_event_t                    ev;
    ngx_uint_t                     nesting;
    unsigned                       destroyed:1;
};


static void ngx_mobility_http_peer_leave(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_peer_free(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_peer_post(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_peer_handler(ngx_event_t *ev);
static void ngx_mobility_http_peer_run(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_fail_waiting(ngx_mobility_http_peer_t *peer,
    char *error);
static void ngx_mobility_http_resolve(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_resolve_handler(ngx_resolver_ctx_t *ctx);

static void ngx_mobility_http_finish(ngx_mobility_http_exchange_t *x,
    ngx_uint_t status, char *error);
static void ngx_mobility_http_timeout_handler(ngx_event_t *ev);
static ngx_int_t ngx_mobility_http_body_append(ngx_mobility_http_exchange_t *x,
    const u_char *data, size_t len);
static ngx_int_t ngx_mobility_http_header_add(ngx_mobility_http_exchange_t *x,
    const u_char *name, size_t nlen, const u_char *value, size_t vlen);

static void ngx_mobility_http_connect(ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_connect_handler(ngx_event_t *ev);
static void ngx_mobility_http_connected(ngx_mobility_http_conn_t *conn);
#if (NGX_SSL)
static ngx_int_t ngx_mobility_http_check_host(ngx_connection_t *c,
    ngx_mobility_http_peer_t *peer);
static void ngx_mobility_http_ssl_handshake(ngx_connection_t *c);
#endif
static void ngx_mobility_http_ready(ngx_mobility_http_conn_t *conn,
    ngx_uint_t h2);
static void ngx_mobility_http_conn_failed(ngx_mobility_http_conn_t *conn,
    char *error);
static void ngx_mobility_http_close(ngx_mobility_http_conn_t *conn,
    char *error);
static void ngx_mobility_http_read_handler(ngx_event_t *rev);
static void ngx_mobility_http_write_handler(ngx_event_t *wev);
static void ngx_mobility_http_idle(ngx_mobility_http_conn_t *conn);

static ngx_int_t ngx_mobility_http_h2_init(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h2_submit(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h2_read(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h2_flush(ngx_mobility_http_conn_t *conn);
static ngx_int_t ngx_mobility_http_h2_send(ngx_mobility_http_conn_t *conn);

static void ngx_mobility_http_h1_assign(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h1_write(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h1_read(ngx_mobility_http_conn_t *conn);
static ngx_int_t ngx_mobility_http_h1_parse(ngx_mobility_http_conn_t *conn);
static ngx_int_t ngx_mobility_http_h1_header(ngx_mobility_http_conn_t *conn,
    u_char *p, u_char *end);
static ngx_int_t ngx_mobility_http_h1_body(ngx_mobility_http_conn_t *conn);
static void ngx_mobility_http_h1_complete(ngx_mobility_http_conn_t *conn);


/* peer */


ngx_mobility_http_peer_t *
ngx_mobility_http_peer_create(ngx_str_t *origin,
    ngx_mobility_http_peer_conf_t *conf, ngx_log_t *log)
{
    u_char                    *p, *last, *host, *colon;
    size_t                     hlen;
    ngx_int_t                  port;
    ngx_uint_t                 tls;
    ngx_addr_t                 addr;
    ngx_pool_t                *pool;
    ngx_mobility_http_peer_t  *peer;

    p = origin->data;
    last = p + origin->len;

    if (origin->len > 8 && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0) {
        tls = 1;
        p += 8;

    } else if (origin->len > 7
               && ngx_strncasecmp(p, (u_char *) "http://", 7) == 0)
    {
        tls = 0;
        p += 7;

    } else {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "mobility http: invalid origin \"%V\"", origin);
        return NULL;
    }

    if (last[-1] == '/') {
        last--;
    }

    if (tls && (conf->ssl == NULL)) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "mobility http: no TLS context for \"%V\"", origin);
        return NULL;
    }

    colon = NULL;

    if (p < last && *p == '[') {
        host = p + 1;
        p = ngx_strlchr(p, last, ']');
        if (p == NULL) {
            goto invalid;
        }

        hlen = p - host;
        p++;

        if (p < last) {
            if (*p != ':') {
                goto invalid;
            }
            colon = p;
        }

    } else {
        host = p;
        colon = ngx_strlchr(p, last, ':');
        hlen = (colon ? colon : last) - host;
    }

    if (hlen == 0 || ngx_strlchr(host, host + hlen, '/') != NULL
        || ngx_strlchr(host, host + hlen, '@') != NULL)
    {
        goto invalid;
    }

    if (colon) {
        port = ngx_atoi(colon + 1, last - colon - 1);
        if (port < 1 || port > 65535) {
            goto invalid;
        }

    } else {
        port = tls ? 443 : 80;
    }

    pool = ngx_create_pool(NGX_MOBILITY_HTTP_POOL_SIZE, log);
    if (pool == NULL) {
        return NULL;
    }

    peer = ngx_pcalloc(pool, sizeof(ngx_mobility_http_peer_t));
    if (peer == NULL) {
        goto failed;
    }

    peer->pool = pool;
    peer->log = log;
    peer->conf = *conf;
    peer->tls = tls;
    peer->port = (in_port_t) port;

    if (peer->conf.max_connections == 0) {
        peer->conf.max_connections = 1;
    }

    if (peer->conf.connect_timeout == 0) {
        peer->conf.connect_timeout = 10000;
    }

    if (peer->conf.resolver_timeout == 0) {
        peer->conf.resolver_timeout = 10000;
    }

    if (peer->conf.idle_timeout == 0) {
        peer->conf.idle_timeout = 60000;
    }

    peer->host.len = hlen;
    peer->host.data = ngx_pnalloc(pool, hlen + 1);
    if (peer->host.data == NULL) {
        goto failed;
    }

    ngx_strlow(peer->host.data, host, hlen);
    peer->host.data[hlen] = '\0';
    peer->host_c = peer->host.data;

    peer->authority.len = last - (origin->data + (tls ? 8 : 7));
    peer->authority.data = ngx_pstrdup(pool, &(ngx_str_t) {
                                           peer->authority.len,
                                           origin->data + (tls ? 8 : 7) });
    if (peer->authority.data == NULL) {
        goto failed;
    }

    if (ngx_parse_addr(pool, &addr, peer->host.data, hlen) == NGX_OK) {
        peer->literal = 1;
        peer->addrs = ngx_palloc(pool, sizeof(ngx_addr_t));
        if (peer->addrs == NULL) {
            goto failed;
        }

        peer->addrs[0] = addr;
        ngx_inet_set_port(addr.sockaddr, peer->port);

        peer->addrs[0].name.len = NGX_SOCKADDR_STRLEN;
        peer->addrs[0].name.data = ngx_pnalloc(pool, NGX_SOCKADDR_STRLEN);
        if (peer->addrs[0].name.data == NULL) {
            goto failed;
        }

        peer->addrs[0].name.len = ngx_sock_ntop(addr.sockaddr, addr.socklen,
                                                peer->addrs[0].name.data,
                                                NGX_SOCKADDR_STRLEN, 1);
        peer->naddrs = 1;
    }

    if (!tls) {
        peer->mode = conf->http2 ? NGX_MOBILITY_HTTP_MODE_H2
                                 : NGX_MOBILITY_HTTP_MODE_H1;
    }

    ngx_queue_init(&peer->waiting);
    ngx_queue_init(&peer->conns);

    peer->ev.handler = ngx_mobility_http_peer_handler;
    peer->ev.data = peer;
    peer->ev.log = log;

    return peer;

invalid:

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "mobility http: invalid origin \"%V\"", origin);
    return NULL;

failed:

    ngx_destroy_pool(pool);
    return NULL;
}


ngx_int_t
ngx_mobility_http_send(ngx_mobility_http_peer_t *peer,
    ngx_mobility_http_request_t *req, ngx_mobility_http_done_pt done,
    void *data)
{
    ngx_uint_t                     i;
    ngx_pool_t                    *pool;
    ngx_mobility_http_exchange_t  *x;

    if (peer->destroyed) {
        return NGX_ERROR;
    }

    pool = ngx_create_pool(NGX_MOBILITY_HTTP_POOL_SIZE, peer->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    x = ngx_pcalloc(pool, sizeof(ngx_mobility_http_exchange_t));
    if (x == NULL) {
        goto failed;
    }

    x->pool = pool;
    x->peer = peer;
    x->done = done;
    x->data = data;

    if (req->method.len == 0 || req->path.len == 0 || req->path.data[0] != '/'
        || ngx_strlchr(req->path.data, req->path.data + req->path.len, ' ')
        || ngx_strlchr(req->path.data, req->path.data + req->path.len, '\n'))
    {
        ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                      "mobility http: invalid request \"%V %V\"",
                      &req->method, &req->path);
        goto failed;
    }

    x->req.method.data = ngx_pstrdup(pool, &req->method);
    x->req.method.len = req->method.len;
    x->req.path.data = ngx_pstrdup(pool, &req->path);
    x->req.path.len = req->path.len;

    if (x->req.method.data == NULL || x->req.path.data == NULL) {
        goto failed;
    }

    x->head = (req->method.len == 4
               && ngx_strncmp(req->method.data, "HEAD", 4) == 0);

    if (req->nheaders) {
        x->req.headers = ngx_palloc(pool, req->nheaders
                                    * sizeof(ngx_mobility_http_header_t));
        if (x->req.headers == NULL) {
            goto failed;
        }

        for (i = 0; i < req->nheaders; i++) {
            x->req.headers[i].name.len = req->headers[i].name.len;
            x->req.headers[i].name.data = ngx_pnalloc(pool,
                                                   req->headers[i].name.len);
            x->req.headers[i].value.len = req->headers[i].value.len;
            x->req.headers[i].value.data = ngx_pnalloc(pool,
                                                  req->headers[i].value.len);

            if (x->req.headers[i].name.data == NULL
                || x->req.headers[i].value.data == NULL)
            {
                goto failed;
            }

            ngx_strlow(x->req.headers[i].name.data, req->headers[i].name.data,
                       req->headers[i].name.len);
            ngx_memcpy(x->req.headers[i].value.data,
                       req->headers[i].value.data, req->headers[i].value.len);
        }

        x->req.nheaders = req->nheaders;
    }

    if (req->body.len) {
        x->req.body.data = ngx_pnalloc(pool, req->body.len);
        if (x->req.body.data == NULL) {
            goto failed;
        }

        ngx_memcpy(x->req.body.data, req->body.data, req->body.len);
        x->req.body.len = req->body.len;
    }

    x->req.timeout = req->timeout ? req->timeout : NGX_MOBILITY_HTTP_TIMEOUT;

    if (ngx_array_init(&x->headers, pool, 8,
                       sizeof(ngx_mobility_http_header_t))
        != NGX_OK)
    {
        goto failed;
    }

    x->timer.handler = ngx_mobility_http_timeout_handler;
    x->timer.data = x;
    x->timer.log = peer->log;
    x->timer.cancelable = 1;
    ngx_add_timer(&x->timer, x->req.timeout);

    ngx_queue_insert_tail(&peer->waiting, &x->queue);
    peer->pending++;

    ngx_mobility_http_peer_post(peer);

    return NGX_OK;

failed:

    ngx_destroy_pool(pool);
    return NGX_ERROR;
}


ngx_uint_t
ngx_mobility_http_pending(ngx_mobility_http_peer_t *peer)
{
    return peer->pending;
}


ngx_uint_t
ngx_mobility_http_connections(ngx_mobility_http_peer_t *peer)
{
    return peer->connections;
}


void
ngx_mobility_http_peer_destroy(ngx_mobility_http_peer_t *peer)
{
    ngx_queue_t               *q;
    ngx_mobility_http_conn_t  *conn;

    if (peer->destroyed) {
        return;
    }

    peer->destroyed = 1;

    for (q = ngx_queue_head(&peer->conns);
         q != ngx_queue_sentinel(&peer->conns);
         q = ngx_queue_next(q))
    {
        conn = ngx_queue_data(q, ngx_mobility_http_conn_t, queue);

        while (!ngx_queue_empty(&conn->exchanges)) {
            ngx_mobility_http_finish(
                ngx_queue_data(ngx_queue_head(&conn->exchanges),
                               ngx_mobility_http_exchange_t, queue),
                0, "peer closed");
        }
    }

    ngx_mobility_http_fail_waiting(peer, "peer closed");

    if (peer->rctx) {
        ngx_resolve_name_done(peer->rctx);
        peer->rctx = NULL;
    }

    if (peer->nesting == 0) {
        ngx_mobility_http_peer_free(peer);
    }
}


ngx_str_t *
ngx_mobility_http_header(ngx_mobility_http_response_t *r, const char *name)
{
    size_t      len;
    ngx_uint_t  i;

    len = ngx_strlen(name);

    for (i = 0; i < r->nheaders; i++) {
        if (r->headers[i].name.len == len
            && ngx_strncmp(r->headers[i].name.data, name, len) == 0)
        {
            return &r->headers[i].value;
        }
    }

    return NULL;
}


static void
ngx_mobility_http_peer_leave(ngx_mobility_http_peer_t *peer)
{
    if (--peer->nesting == 0 && peer->destroyed) {
        ngx_mobility_http_peer_free(peer);
    }
}


static void
ngx_mobility_http_peer_free(ngx_mobility_http_peer_t *peer)
{
    while (!ngx_queue_empty(&peer->conns)) {
        ngx_mobility_http_close(ngx_queue_data(ngx_queue_head(&peer->conns),
                                               ngx_mobility_http_conn_t,
                                               queue),
                                NULL);
    }

    if (peer->ev.posted) {
        ngx_delete_posted_event(&peer->ev);
    }

    ngx_destroy_pool(peer->pool);
}


static void
ngx_mobility_http_peer_post(ngx_mobility_http_peer_t *peer)
{
    if (!peer->ev.posted && !peer->destroyed) {
        ngx_post_event(&peer->ev, &ngx_posted_events);
    }
}


static void
ngx_mobility_http_peer_handler(ngx_event_t *ev)
{
    ngx_mobility_http_peer_t  *peer;

    peer = ev->data;

    peer->nesting++;
    ngx_mobility_http_peer_run(peer);
    ngx_mobility_http_peer_leave(peer);
}


/* gives waiting exchanges to connections, opens connections as needed */

static void
ngx_mobility_http_peer_run(ngx_mobility_http_peer_t *peer)
{
    ngx_uint_t                 connecting;
    ngx_queue_t               *q, *next;
    ngx_mobility_http_conn_t  *conn, *usable;

    if (peer->destroyed || ngx_queue_empty(&peer->waiting)) {
        return;
    }

    if (peer->naddrs == 0) {
        if (peer->rctx == NULL) {
            ngx_mobility_http_resolve(peer);
        }
        return;
    }

    if (peer->mode != NGX_MOBILITY_HTTP_MODE_H1) {

        /* one usable connection: HTTP/2, or still negotiating */

        usable = NULL;

        for (q = ngx_queue_head(&peer->conns);
             q != ngx_queue_sentinel(&peer->conns);
             q = ngx_queue_next(q))
        {
            conn = ngx_queue_data(q, ngx_mobility_http_conn_t, queue);

            if (!conn->goaway) {
                usable = conn;
                break;
            }
        }

        if (usable == NULL) {
            ngx_mobility_http_connect(peer);
            return;
        }

        if (usable->state == NGX_MOBILITY_HTTP_READY && usable->h2) {
            ngx_mobility_http_h2_submit(usable);
            ngx_mobility_http_h2_flush(usable);
        }

        return;
    }

    /* HTTP/1.1: idle connections first, then new ones */

    connecting = 0;

    for (q = ngx_queue_head(&peer->conns);
         q != ngx_queue_sentinel(&peer->conns);
         q = next)
    {
        next = ngx_queue_next(q);
        conn = ngx_queue_data(q, ngx_mobility_http_conn_t, queue);

        if (conn->state != NGX_MOBILITY_HTTP_READY) {
            connecting++;
            continue;
        }

        if (conn->h2 || conn->cur || conn->goaway) {
            continue;
        }

        if (ngx_queue_empty(&peer->waiting)) {
            return;
        }

        ngx_mobility_http_h1_assign(conn);

        if (peer->destroyed) {
            return;
        }
    }

    for (q = ngx_queue_head(&peer->waiting);
         q != ngx_queue_sentinel(&peer->waiting);
         q = ngx_queue_next(q))
    {
        if (connecting) {
            connecting--;
            continue;
        }

        if (peer->nconns >= peer->conf.max_connections) {
            return;
        }

        ngx_mobility_http_connect(peer);

        if (peer->destroyed || ngx_queue_empty(&peer->waiting)) {
            return;
        }
    }
}


static void
ngx_mobility_http_fail_waiting(ngx_mobility_http_peer_t *peer, char *error)
{
    while (!ngx_queue_empty(&peer->waiting)) {
        ngx_mobility_http_finish(
            ngx_queue_data(ngx_queue_head(&peer->waiting),
                           ngx_mobility_http_exchange_t, queue),
            0, error);
    }
}


/* resolution */


static void
ngx_mobility_http_resolve(ngx_mobility_http_peer_t *peer)
{
    ngx_resolver_ctx_t  *ctx;

    if (peer->conf.resolver == NULL) {
        ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                      "mobility http: no resolver defined to resolve %V",
                      &peer->host);
        ngx_mobility_http_fail_waiting(peer, "no resolver");
        return;
    }

    ctx = ngx_resolve_start(peer->conf.resolver, NULL);
    if (ctx == NULL) {
        ngx_mobility_http_fail_waiting(peer, "resolver failed");
        return;
    }

    if (ctx == NGX_NO_RESOLVER) {
        ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                      "mobility http: no resolver defined to resolve %V",
                      &peer->host);
        ngx_mobility_http_fail_waiting(peer, "no resolver");
        return;
    }

    ctx->name = peer->host;
    ctx->handler = ngx_mobility_http_resolve_handler;
    ctx->data = peer;
    ctx->timeout = peer->conf.resolver_timeout;

    peer->rctx = ctx;

    if (ngx_resolve_name(ctx) != NGX_OK) {
        peer->rctx = NULL;
        ngx_mobility_http_fail_waiting(peer, "resolver failed");
    }
}


static void
ngx_mobility_http_resolve_handler(ngx_resolver_ctx_t *ctx)
{
    u_char                    *p;
    size_t                     len;
    ngx_uint_t                 i;
    struct sockaddr           *sa;
    ngx_mobility_http_peer_t  *peer;

    peer = ctx->data;
    peer->rctx = NULL;

    peer->nesting++;

    if (ctx->state) {
        ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                      "mobility http: %V could not be resolved (%i: %s)",
                      &ctx->name, ctx->state,
                      ngx_resolver_strerror(ctx->state));
        ngx_resolve_name_done(ctx);
        ngx_mobility_http_fail_waiting(peer, "host not found");
        goto done;
    }

    peer->addrs = ngx_pcalloc(peer->pool, ctx->naddrs * sizeof(ngx_addr_t));
    if (peer->addrs == NULL) {
        ngx_resolve_name_done(ctx);
        ngx_mobility_http_fail_waiting(peer, "out of memory");
        goto done;
    }

    for (i = 0; i < ctx->naddrs; i++) {
        len = ctx->addrs[i].socklen;

        sa = ngx_palloc(peer->pool, len);
        p = ngx_pnalloc(peer->pool, NGX_SOCKADDR_STRLEN);
        if (sa == NULL || p == NULL) {
            ngx_resolve_name_done(ctx);
            ngx_mobility_http_fail_waiting(peer, "out of memory");
            goto done;
        }

        ngx_memcpy(sa, ctx->addrs[i].sockaddr, len);
        ngx_inet_set_port(sa, peer->port);

        peer->addrs[i].sockaddr = sa;
        peer->addrs[i].socklen = len;
        peer->addrs[i].name.data = p;
        peer->addrs[i].name.len = ngx_sock_ntop(sa, len, p,
                                                NGX_SOCKADDR_STRLEN, 1);
    }

    peer->naddrs = ctx->naddrs;

    ngx_resolve_name_done(ctx);

    ngx_mobility_http_peer_post(peer);

done:

    ngx_mobility_http_peer_leave(peer);
}


/* exchanges */


static void
ngx_mobility_http_finish(ngx_mobility_http_exchange_t *x, ngx_uint_t status,
    char *error)
{
    ngx_mobility_http_conn_t      *conn;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_response_t   r;

    peer = x->peer;
    conn = x->conn;

    if (x->timer.timer_set) {
        ngx_del_timer(&x->timer);
    }

    ngx_queue_remove(&x->queue);

    ngx_memzero(&r, sizeof(ngx_mobility_http_response_t));

    if (conn) {
        conn->nactive--;
        r.http2 = conn->h2;

        if (conn->h2) {
            if (x->stream_id > 0 && !x->stream_closed) {
                (void) nghttp2_session_set_stream_user_data(conn->session,
                                                            x->stream_id,
                                                            NULL);
                (void) nghttp2_submit_rst_stream(conn->session,
                                                 NGHTTP2_FLAG_NONE,
                                                 x->stream_id,
                                                 NGHTTP2_CANCEL);
            }

        } else if (conn->cur == x) {
            conn->cur = NULL;
        }
    }

    peer->pending--;

    r.status = status;

    if (status) {
        r.headers = x->headers.elts;
        r.nheaders = x->headers.nelts;
        r.body.data = x->body;
        r.body.len = x->body_len;

    } else {
        r.error.data = (u_char *) error;
        r.error.len = ngx_strlen(error);

        ngx_log_debug3(NGX_LOG_DEBUG_EVENT, peer->log, 0,
                       "mobility http: %V %V failed: %s",
                       &x->req.method, &x->req.path, error);
    }

    x->done(&r, x->data);

    ngx_destroy_pool(x->pool);
}


static void
ngx_mobility_http_timeout_handler(ngx_event_t *ev)
{
    ngx_mobility_http_conn_t      *conn;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_exchange_t  *x;

    x = ev->data;
    peer = x->peer;
    conn = x->conn;

    ngx_log_error(NGX_LOG_INFO, peer->log, 0,
                  "mobility http: %V %V%V timed out",
                  &x->req.method, &peer->authority, &x->req.path);

    peer->nesting++;

    ngx_mobility_http_finish(x, 0, "timed out");

    if (conn && !peer->destroyed) {
        if (conn->h2) {
            ngx_mobility_http_h2_flush(conn);

        } else {
            /* the HTTP/1.1 connection is in an unknown state */
            ngx_mobility_http_close(conn, "timed out");
            ngx_mobility_http_peer_post(peer);
        }

    }

    ngx_mobility_http_peer_leave(peer);
}


static ngx_int_t
ngx_mobility_http_body_append(ngx_mobility_http_exchange_t *x,
    const u_char *data, size_t len)
{
    size_t   size, max;
    u_char  *p;

    max = x->peer->conf.max_response;

    if (x->body_len + len > max) {
        len = max - x->body_len;
    }

    if (len == 0) {
        return NGX_OK;
    }

    if (x->body_len + len > x->body_size) {
        size = x->body_size ? x->body_size * 2 : 1024;

        while (size < x->body_len + len) {
            size *= 2;
        }

        if (size > max) {
            size = max;
        }

        p = ngx_pnalloc(x->pool, size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (x->body_len) {
            ngx_memcpy(p, x->body, x->body_len);
        }

        x->body = p;
        x->body_size = size;
    }

    ngx_memcpy(x->body + x->body_len, data, len);
    x->body_len += len;

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_http_header_add(ngx_mobility_http_exchange_t *x,
    const u_char *name, size_t nlen, const u_char *value, size_t vlen)
{
    ngx_mobility_http_header_t  *h;

    h = ngx_array_push(&x->headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->name.data = ngx_pnalloc(x->pool, nlen + vlen);
    if (h->name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_strlow(h->name.data, (u_char *) name, nlen);
    h->name.len = nlen;
    h->value.data = h->name.data + nlen;
    h->value.len = vlen;
    ngx_memcpy(h->value.data, value, vlen);

    return NGX_OK;
}


/* connections */


static void
ngx_mobility_http_connect(ngx_mobility_http_peer_t *peer)
{
    ngx_int_t                  rc;
    ngx_addr_t                *addr;
    ngx_pool_t                *pool;
    ngx_connection_t          *c;
    ngx_mobility_http_conn_t  *conn;

    pool = ngx_create_pool(NGX_MOBILITY_HTTP_POOL_SIZE, peer->log);
    if (pool == NULL) {
        ngx_mobility_http_fail_waiting(peer, "out of memory");
        return;
    }

    conn = ngx_pcalloc(pool, sizeof(ngx_mobility_http_conn_t));
    if (conn == NULL) {
        ngx_destroy_pool(pool);
        ngx_mobility_http_fail_waiting(peer, "out of memory");
        return;
    }

    conn->pool = pool;
    conn->peer = peer;
    ngx_queue_init(&conn->exchanges);
    ngx_queue_insert_tail(&peer->conns, &conn->queue);
    peer->nconns++;
    peer->connections++;

    addr = &peer->addrs[peer->next_addr % peer->naddrs];

    conn->pc.sockaddr = addr->sockaddr;
    conn->pc.socklen = addr->socklen;
    conn->pc.name = &addr->name;
    conn->pc.get = ngx_event_get_peer;
    conn->pc.log = peer->log;
    conn->pc.log_error = NGX_ERROR_ERR;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, peer->log, 0,
                   "mobility http: connect to %V", &addr->name);

    rc = ngx_event_connect_peer(&conn->pc);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_mobility_http_conn_failed(conn, "connect() failed");
        return;
    }

    c = conn->pc.connection;
    conn->c = c;

    c->data = conn;
    c->pool = pool;
    c->log = peer->log;
    c->read->log = peer->log;
    c->write->log = peer->log;
    c->read->handler = ngx_mobility_http_connect_handler;
    c->write->handler = ngx_mobility_http_connect_handler;

    if (rc == NGX_AGAIN) {
        ngx_add_timer(c->write, peer->conf.connect_timeout);
        return;
    }

    ngx_mobility_http_connected(conn);
}


static void
ngx_mobility_http_connect_handler(ngx_event_t *ev)
{
    int                        err;
    socklen_t                  len;
    ngx_connection_t          *c;
    ngx_mobility_http_peer_t  *peer;
    ngx_mobility_http_conn_t  *conn;

    c = ev->data;
    conn = c->data;
    peer = conn->peer;

    peer->nesting++;

    if (ev->timedout) {
        ngx_log_error(NGX_LOG_ERR, peer->log, NGX_ETIMEDOUT,
                      "mobility http: connect to %V timed out",
                      conn->pc.name);
        ngx_mobility_http_conn_failed(conn, "connect timed out");
        goto done;
    }

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err) {
        ngx_log_error(NGX_LOG_ERR, peer->log, err,
                      "mobility http: connect() to %V failed", conn->pc.name);
        ngx_mobility_http_conn_failed(conn, "connect() failed");
        goto done;
    }

    ngx_mobility_http_connected(conn);

done:

    ngx_mobility_http_peer_leave(peer);
}


static void
ngx_mobility_http_connected(ngx_mobility_http_conn_t *conn)
{
    ngx_connection_t          *c;
    ngx_mobility_http_peer_t  *peer;
#if (NGX_SSL)
    ngx_int_t                  rc;
    static u_char              alpn_h2[] = "\x02h2";
    static u_char              alpn_any[] = "\x02h2\x08http/1.1";
#endif

    c = conn->c;
    peer = conn->peer;

    if (!peer->tls) {
        if (c->write->timer_set) {
            ngx_del_timer(c->write);
        }

        ngx_mobility_http_ready(conn,
                                peer->mode == NGX_MOBILITY_HTTP_MODE_H2);
        return;
    }

#if (NGX_SSL)

    conn->state = NGX_MOBILITY_HTTP_HANDSHAKE;

    if (ngx_ssl_create_connection(peer->conf.ssl, c,
                                  NGX_SSL_BUFFER|NGX_SSL_CLIENT)
        != NGX_OK)
    {
        ngx_mobility_http_conn_failed(conn, "TLS set-up failed");
        return;
    }

    if (!peer->literal
        && SSL_set_tlsext_host_name(c->ssl->connection,
                                    (char *) peer->host_c)
           == 0)
    {
        ngx_ssl_error(NGX_LOG_ERR, peer->log, 0,
                      "SSL_set_tlsext_host_name(\"%s\") failed",
                      peer->host_c);
        ngx_mobility_http_conn_failed(conn, "TLS set-up failed");
        return;
    }

    if (peer->conf.http2) {
        rc = SSL_set_alpn_protos(c->ssl->connection, alpn_h2,
                                 sizeof(alpn_h2) - 1);

    } else {
        rc = SSL_set_alpn_protos(c->ssl->connection, alpn_any,
                                 sizeof(alpn_any) - 1);
    }

    if (rc != 0) {
        ngx_ssl_error(NGX_LOG_ERR, peer->log, 0,
                      "SSL_set_alpn_protos() failed");
        ngx_mobility_http_conn_failed(conn, "TLS set-up failed");
        return;
    }

    c->log->action = "TLS handshake with a push provider";

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {
        if (!c->write->timer_set) {
            ngx_add_timer(c->write, peer->conf.connect_timeout);
        }

        c->ssl->handler = ngx_mobility_http_ssl_handshake;
        return;
    }

    ngx_mobility_http_ssl_handshake(c);

#else

    ngx_mobility_http_conn_failed(conn, "no TLS support");

#endif
}


#if (NGX_SSL)

/* ngx_ssl_check_host() knows names only; IP literals match IP SANs */

static ngx_int_t
ngx_mobility_http_check_host(ngx_connection_t *c,
    ngx_mobility_http_peer_t *peer)
{
    int    rc;
    X509  *cert;

    if (!peer->literal) {
        return ngx_ssl_check_host(c, &peer->host);
    }

    cert = SSL_get_peer_certificate(c->ssl->connection);
    if (cert == NULL) {
        return NGX_ERROR;
    }

    rc = X509_check_ip_asc(cert, (char *) peer->host_c, 0);

    X509_free(cert);

    return (rc == 1) ? NGX_OK : NGX_ERROR;
}


static void
ngx_mobility_http_ssl_handshake(ngx_connection_t *c)
{
    long                       rc;
    unsigned                   len;
    const unsigned char       *proto;
    ngx_uint_t                 h2;
    ngx_mobility_http_peer_t  *peer;
    ngx_mobility_http_conn_t  *conn;

    conn = c->data;
    peer = conn->peer;

    peer->nesting++;

    c->log->action = NULL;

    if (!c->ssl->handshaked) {
        if (c->write->timedout || c->read->timedout) {
            ngx_log_error(NGX_LOG_ERR, peer->log, NGX_ETIMEDOUT,
                          "mobility http: TLS handshake with %V timed out",
                          conn->pc.name);
            ngx_mobility_http_conn_failed(conn, "TLS handshake timed out");

        } else {
            ngx_mobility_http_conn_failed(conn, "TLS handshake failed");
        }

        goto done;
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (peer->conf.verify) {
        rc = SSL_get_verify_result(c->ssl->connection);

        if (rc != X509_V_OK) {
            ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                          "mobility http: certificate of %V does not verify: "
                          "(%l:%s)", &peer->authority, rc,
                          X509_verify_cert_error_string(rc));
            ngx_mobility_http_conn_failed(conn, "certificate verify error");
            goto done;
        }

        if (ngx_mobility_http_check_host(c, peer) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                          "mobility http: certificate does not match \"%V\"",
                          &peer->host);
            ngx_mobility_http_conn_failed(conn,
                                          "certificate does not match host");
            goto done;
        }
    }

    proto = NULL;
    len = 0;
    SSL_get0_alpn_selected(c->ssl->connection, &proto, &len);

    h2 = (len == 2 && proto[0] == 'h' && proto[1] == '2');

    if (!h2 && peer->conf.http2) {
        ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                      "mobility http: %V does not speak HTTP/2 (ALPN)",
                      &peer->authority);
        ngx_mobility_http_conn_failed(conn, "no HTTP/2 (ALPN)");
        goto done;
    }

    ngx_mobility_http_ready(conn, h2);

done:

    ngx_mobility_http_peer_leave(peer);
}

#endif


static void
ngx_mobility_http_ready(ngx_mobility_http_conn_t *conn, ngx_uint_t h2)
{
    ngx_connection_t          *c;
    ngx_mobility_http_peer_t  *peer;

    c = conn->c;
    peer = conn->peer;

    conn->state = NGX_MOBILITY_HTTP_READY;
    conn->h2 = h2;

    if (peer->mode == NGX_MOBILITY_HTTP_MODE_UNKNOWN) {
        peer->mode = h2 ? NGX_MOBILITY_HTTP_MODE_H2
                        : NGX_MOBILITY_HTTP_MODE_H1;
    }

    c->read->handler = ngx_mobility_http_read_handler;
    c->write->handler = ngx_mobility_http_write_handler;

    conn->in = ngx_create_temp_buf(conn->pool, NGX_MOBILITY_HTTP_IN_SIZE);
    if (conn->in == NULL) {
        ngx_mobility_http_conn_failed(conn, "out of memory");
        return;
    }

    if (h2) {
        if (ngx_mobility_http_h2_init(conn) != NGX_OK) {
            ngx_mobility_http_conn_failed(conn, "HTTP/2 set-up failed");
            return;
        }

        ngx_mobility_http_h2_submit(conn);

        /* the server's SETTINGS may already wait in the TLS buffer */
        ngx_mobility_http_h2_read(conn);
        return;
    }

    /* the peer gives it a request (the idle timer goes) or it idles */

    ngx_mobility_http_idle(conn);
    ngx_mobility_http_peer_run(peer);
}


/* a connection that never became ready: the waiting exchanges fail */

static void
ngx_mobility_http_conn_failed(ngx_mobility_http_conn_t *conn, char *error)
{
    ngx_mobility_http_peer_t  *peer;

    peer = conn->peer;

    peer->next_addr++;

    ngx_mobility_http_close(conn, error);

    if (peer->mode == NGX_MOBILITY_HTTP_MODE_H1 && peer->nconns) {
        /* other connections may still serve them */
        return;
    }

    ngx_mobility_http_fail_waiting(peer, error);
}


static void
ngx_mobility_http_close(ngx_mobility_http_conn_t *conn, char *error)
{
    ngx_connection_t          *c;
    ngx_mobility_http_peer_t  *peer;

    peer = conn->peer;

    while (!ngx_queue_empty(&conn->exchanges)) {
        ngx_mobility_http_finish(
            ngx_queue_data(ngx_queue_head(&conn->exchanges),
                           ngx_mobility_http_exchange_t, queue),
            0, error ? error : "connection closed");
    }

    ngx_queue_remove(&conn->queue);
    peer->nconns--;

    if (conn->session) {
        nghttp2_session_del(conn->session);
        conn->session = NULL;
    }

    c = conn->c;

    if (c) {
#if (NGX_SSL)
        if (c->ssl) {
            c->ssl->no_wait_shutdown = 1;
            (void) ngx_ssl_shutdown(c);
        }
#endif
        ngx_close_connection(c);
    }

    ngx_destroy_pool(conn->pool);
}


static void
ngx_mobility_http_read_handler(ngx_event_t *rev)
{
    ngx_connection_t          *c;
    ngx_mobility_http_conn_t  *conn;
    ngx_mobility_http_peer_t  *peer;

    c = rev->data;
    conn = c->data;
    peer = conn->peer;

    peer->nesting++;

    if (rev->timedout || c->close) {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, peer->log, 0,
                       "mobility http: idle connection closed");

        ngx_mobility_http_close(conn, NULL);

    } else if (conn->h2) {
        ngx_mobility_http_h2_read(conn);

    } else {
        ngx_mobility_http_h1_read(conn);
    }

    ngx_mobility_http_peer_leave(peer);
}


static void
ngx_mobility_http_write_handler(ngx_event_t *wev)
{
    ngx_connection_t          *c;
    ngx_mobility_http_conn_t  *conn;
    ngx_mobility_http_peer_t  *peer;

    c = wev->data;
    conn = c->data;
    peer = conn->peer;

    peer->nesting++;

    if (conn->h2) {
        ngx_mobility_http_h2_flush(conn);

    } else {
        ngx_mobility_http_h1_write(conn);
    }

    ngx_mobility_http_peer_leave(peer);
}


/* the idle timer runs on the read event when nothing is in flight */

static void
ngx_mobility_http_idle(ngx_mobility_http_conn_t *conn)
{
    ngx_event_t  *rev;

    rev = conn->c->read;

    if (conn->nactive) {
        if (rev->timer_set) {
            ngx_del_timer(rev);
        }
        return;
    }

    if (!rev->timer_set) {
        rev->cancelable = 1;
        ngx_add_timer(rev, conn->peer->conf.idle_timeout);
    }
}


/* HTTP/2 */


static ssize_t
ngx_mobility_http_h2_data(nghttp2_session *session, int32_t stream_id,
    uint8_t *buf, size_t length, uint32_t *data_flags,
    nghttp2_data_source *source, void *user_data)
{
    size_t                         n;
    ngx_mobility_http_exchange_t  *x;

    x = nghttp2_session_get_stream_user_data(session, stream_id);
    if (x == NULL) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    n = x->req.body.len - x->body_sent;
    if (n > length) {
        n = length;
    }

    ngx_memcpy(buf, x->req.body.data + x->body_sent, n);
    x->body_sent += n;

    if (x->body_sent == x->req.body.len) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    }

    return n;
}


static int
ngx_mobility_http_h2_on_header(nghttp2_session *session,
    const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
    const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    ngx_int_t                      status;
    ngx_mobility_http_exchange_t  *x;

    if (frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }

    x = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (x == NULL) {
        return 0;
    }

    if (namelen == 7 && ngx_strncmp(name, ":status", 7) == 0) {
        status = ngx_atoi((u_char *) value, valuelen);
        if (status < 100 || status > 999) {
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }

        if (status >= 200) {
            x->status = status;
        }

        return 0;
    }

    if (namelen && name[0] == ':') {
        return 0;
    }

    if (ngx_mobility_http_header_add(x, name, namelen, value, valuelen)
        != NGX_OK)
    {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    return 0;
}


static int
ngx_mobility_http_h2_on_data(nghttp2_session *session, uint8_t flags,
    int32_t stream_id, const uint8_t *data, size_t len, void *user_data)
{
    ngx_mobility_http_exchange_t  *x;

    x = nghttp2_session_get_stream_user_data(session, stream_id);
    if (x == NULL) {
        return 0;
    }

    if (ngx_mobility_http_body_append(x, data, len) != NGX_OK) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }

    return 0;
}


static int
ngx_mobility_http_h2_on_close(nghttp2_session *session, int32_t stream_id,
    uint32_t error_code, void *user_data)
{
    ngx_mobility_http_conn_t      *conn;
    ngx_mobility_http_exchange_t  *x;

    conn = user_data;

    x = nghttp2_session_get_stream_user_data(session, stream_id);
    if (x == NULL) {
        return 0;
    }

    x->stream_closed = 1;

    if (error_code == NGHTTP2_NO_ERROR && x->status) {
        ngx_mobility_http_finish(x, x->status, NULL);

    } else if (error_code == NGHTTP2_REFUSED_STREAM) {
        ngx_mobility_http_finish(x, 0, conn->goaway ? "GOAWAY"
                                                    : "stream refused");

    } else if (error_code == NGHTTP2_NO_ERROR) {
        ngx_mobility_http_finish(x, 0, "no response");

    } else {
        ngx_mobility_http_finish(x, 0, "stream reset");
    }

    return 0;
}


static int
ngx_mobility_http_h2_on_frame(nghttp2_session *session,
    const nghttp2_frame *frame, void *user_data)
{
    ngx_mobility_http_conn_t  *conn;

    conn = user_data;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        ngx_log_error(NGX_LOG_INFO, conn->peer->log, 0,
                      "mobility http: GOAWAY from %V, last stream %D, "
                      "error %uD", &conn->peer->authority,
                      frame->goaway.last_stream_id, frame->goaway.error_code);

        conn->goaway = 1;
    }

    return 0;
}


static ngx_int_t
ngx_mobility_http_h2_init(ngx_mobility_http_conn_t *conn)
{
    int                          rc;
    nghttp2_option              *opt;
    nghttp2_settings_entry       iv[2];
    nghttp2_session_callbacks   *cbs;

    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        return NGX_ERROR;
    }

    nghttp2_session_callbacks_set_on_header_callback(cbs,
                                           ngx_mobility_http_h2_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                           ngx_mobility_http_h2_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
                                           ngx_mobility_http_h2_on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
                                           ngx_mobility_http_h2_on_frame);

    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        return NGX_ERROR;
    }

    nghttp2_option_set_peer_max_concurrent_streams(opt,
                                           NGX_MOBILITY_HTTP_H2_STREAMS);

    rc = nghttp2_session_client_new2(&conn->session, cbs, conn, opt);

    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);

    if (rc != 0) {
        conn->session = NULL;
        return NGX_ERROR;
    }

    iv[0].settings_id = NGHTTP2_SETTINGS_ENABLE_PUSH;
    iv[0].value = 0;
    iv[1].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
    iv[1].value = NGX_MOBILITY_HTTP_H2_WINDOW;

    if (nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, iv, 2) != 0
        || nghttp2_session_set_local_window_size(conn->session,
                                                 NGHTTP2_FLAG_NONE, 0,
                                                 NGX_MOBILITY_HTTP_H2_WINDOW)
           != 0)
    {
        return NGX_ERROR;
    }

    conn->out_start = ngx_pnalloc(conn->pool, NGX_MOBILITY_HTTP_OUT_SIZE);
    if (conn->out_start == NULL) {
        return NGX_ERROR;
    }

    conn->out_pos = conn->out_start;
    conn->out_last = conn->out_start;
    conn->out_end = conn->out_start + NGX_MOBILITY_HTTP_OUT_SIZE;

    return NGX_OK;
}


/* moves waiting exchanges onto streams while the server allows more */

static void
ngx_mobility_http_h2_submit(ngx_mobility_http_conn_t *conn)
{
    u_char                        *p;
    size_t                         n;
    int32_t                        id;
    uint32_t                       max;
    ngx_uint_t                     i;
    nghttp2_nv                    *nva, *nv;
    ngx_queue_t                   *q;
    ngx_mobility_http_peer_t      *peer;
    nghttp2_data_provider          prd;
    ngx_mobility_http_exchange_t  *x;
    u_char                         clen[NGX_SIZE_T_LEN];

    peer = conn->peer;

    max = nghttp2_session_get_remote_settings(conn->session,
                                   NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);

    while (!conn->goaway && conn->nactive < max
           && !ngx_queue_empty(&peer->waiting))
    {
        q = ngx_queue_head(&peer->waiting);
        x = ngx_queue_data(q, ngx_mobility_http_exchange_t, queue);

        nva = ngx_palloc(x->pool, (x->req.nheaders + 5) * sizeof(nghttp2_nv));
        if (nva == NULL) {
            ngx_mobility_http_finish(x, 0, "out of memory");
            continue;
        }

        nv = nva;

#define ngx_mobility_h2_nv(n, nl, v, vl)                                     \
        nv->name = (uint8_t *) (n); nv->namelen = (nl);                      \
        nv->value = (uint8_t *) (v); nv->valuelen = (vl);                    \
        nv->flags = NGHTTP2_NV_FLAG_NONE; nv++

        ngx_mobility_h2_nv(":method", 7, x->req.method.data,
                           x->req.method.len);
        ngx_mobility_h2_nv(":scheme", 7, peer->tls ? "https" : "http",
                           peer->tls ? 5 : 4);
        ngx_mobility_h2_nv(":authority", 10, peer->authority.data,
                           peer->authority.len);
        ngx_mobility_h2_nv(":path", 5, x->req.path.data, x->req.path.len);

        for (i = 0; i < x->req.nheaders; i++) {
            n = x->req.headers[i].name.len;
            p = x->req.headers[i].name.data;

            /* connection-specific and computed fields are ours */
            if ((n == 4 && ngx_strncmp(p, "host", 4) == 0)
                || (n == 14 && ngx_strncmp(p, "content-length", 14) == 0)
                || (n == 10 && ngx_strncmp(p, "connection", 10) == 0)
                || (n == 10 && ngx_strncmp(p, "keep-alive", 10) == 0)
                || (n == 17 && ngx_strncmp(p, "transfer-encoding", 17) == 0)
                || (n == 7 && ngx_strncmp(p, "upgrade", 7) == 0)
                || (n == 2 && ngx_strncmp(p, "te", 2) == 0))
            {
                continue;
            }

            ngx_mobility_h2_nv(p, n, x->req.headers[i].value.data,
                               x->req.headers[i].value.len);
        }

        if (x->req.body.len) {
            n = ngx_sprintf(clen, "%uz", x->req.body.len) - clen;
            ngx_mobility_h2_nv("content-length", 14, clen, n);
        }

#undef ngx_mobility_h2_nv

        prd.source.ptr = NULL;
        prd.read_callback = ngx_mobility_http_h2_data;

        id = nghttp2_submit_request(conn->session, NULL, nva, nv - nva,
                                    x->req.body.len ? &prd : NULL, x);

        if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
            /* stream ids used up: a new connection takes the rest */
            conn->goaway = 1;
            ngx_mobility_http_peer_post(peer);
            break;
        }

        if (id < 0) {
            ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                          "mobility http: nghttp2_submit_request() failed: %s",
                          nghttp2_strerror(id));
            ngx_mobility_http_finish(x, 0, "invalid request");
            continue;
        }

        ngx_queue_remove(q);
        ngx_queue_insert_tail(&conn->exchanges, q);

        x->conn = conn;
        x->stream_id = id;
        conn->nactive++;
    }
}


static void
ngx_mobility_http_h2_read(ngx_mobility_http_conn_t *conn)
{
    ssize_t                    n, rc;
    ngx_buf_t                 *b;
    ngx_connection_t          *c;
    ngx_mobility_http_peer_t  *peer;

    c = conn->c;
    peer = conn->peer;
    b = conn->in;

    for ( ;; ) {
        n = c->recv(c, b->start, b->end - b->start);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_log_debug1(NGX_LOG_DEBUG_EVENT, peer->log, 0,
                           "mobility http: %V closed the connection",
                           &peer->authority);

            ngx_mobility_http_close(conn, "connection closed");
            ngx_mobility_http_peer_post(peer);
            return;
        }

        rc = nghttp2_session_mem_recv(conn->session, b->start, n);

        if (peer->destroyed) {
            return;
        }

        if (rc < 0) {
            ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                          "mobility http: HTTP/2 error from %V: %s",
                          &peer->authority, nghttp2_strerror((int) rc));
            ngx_mobility_http_close(conn, "HTTP/2 protocol error");
            ngx_mobility_http_peer_post(peer);
            return;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_mobility_http_close(conn, "connection error");
        ngx_mobility_http_peer_post(peer);
        return;
    }

    ngx_mobility_http_h2_submit(conn);

    if (conn->goaway && !ngx_queue_empty(&peer->waiting)) {
        ngx_mobility_http_peer_post(peer);
    }

    ngx_mobility_http_h2_flush(conn);
}


/* sends what nghttp2 has; closes the connection when it is finished */

static void
ngx_mobility_http_h2_flush(ngx_mobility_http_conn_t *conn)
{
    ngx_mobility_http_peer_t  *peer;

    peer = conn->peer;

    if (ngx_mobility_http_h2_send(conn) != NGX_OK) {
        ngx_mobility_http_close(conn, "connection error");
        ngx_mobility_http_peer_post(peer);
        return;
    }

    if (conn->out_pos != conn->out_last) {
        return;
    }

    if ((!nghttp2_session_want_read(conn->session)
         && !nghttp2_session_want_write(conn->session))
        || (conn->goaway && conn->nactive == 0))
    {
        ngx_mobility_http_close(conn, conn->goaway ? "GOAWAY"
                                                   : "connection closed");
        ngx_mobility_http_peer_post(peer);
        return;
    }

    ngx_mobility_http_idle(conn);
}


static ngx_int_t
ngx_mobility_http_h2_send(ngx_mobility_http_conn_t *conn)
{
    size_t             size;
    ssize_t            n;
    const uint8_t     *data;
    ngx_connection_t  *c;

    c = conn->c;

    for ( ;; ) {

        /* gather frames into one buffer: few TLS records, few writes */

        while (conn->out_last < conn->out_end) {
            if (conn->pend_len == 0) {
                n = nghttp2_session_mem_send(conn->session, &data);

                if (n < 0) {
                    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                                  "mobility http: "
                                  "nghttp2_session_mem_send() failed: %s",
                                  nghttp2_strerror((int) n));
                    return NGX_ERROR;
                }

                if (n == 0) {
                    break;
                }

                conn->pend = data;
                conn->pend_len = n;
            }

            size = ngx_min(conn->pend_len,
                           (size_t) (conn->out_end - conn->out_last));

            conn->out_last = ngx_cpymem(conn->out_last, conn->pend, size);
            conn->pend += size;
            conn->pend_len -= size;
        }

        if (conn->out_pos == conn->out_last) {
            return NGX_OK;
        }

        n = c->send(c, conn->out_pos, conn->out_last - conn->out_pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                return NGX_ERROR;
            }

            return NGX_OK;
        }

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        conn->out_pos += n;

        if (conn->out_pos == conn->out_last) {
            conn->out_pos = conn->out_start;
            conn->out_last = conn->out_start;
        }
    }
}


/* HTTP/1.1 */


static void
ngx_mobility_http_h1_assign(ngx_mobility_http_conn_t *conn)
{
    u_char                        *p;
    size_t                         len, n;
    ngx_uint_t                     i, skip;
    ngx_queue_t                   *q;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_exchange_t  *x;

    peer = conn->peer;

    q = ngx_queue_head(&peer->waiting);
    x = ngx_queue_data(q, ngx_mobility_http_exchange_t, queue);

    len = x->req.method.len + 1 + x->req.path.len + sizeof(" HTTP/1.1\r\n") - 1
          + sizeof("Host: \r\n") - 1 + peer->authority.len
          + sizeof("Content-Length: \r\n") - 1 + NGX_SIZE_T_LEN
          + sizeof("\r\n") - 1 + x->req.body.len;

    for (i = 0; i < x->req.nheaders; i++) {
        len += x->req.headers[i].name.len + 2 + x->req.headers[i].value.len
               + 2;
    }

    p = ngx_pnalloc(x->pool, len);
    if (p == NULL) {
        ngx_mobility_http_finish(x, 0, "out of memory");
        return;
    }

    conn->req_pos = p;

    p = ngx_sprintf(p, "%V %V HTTP/1.1\r\nHost: %V\r\n",
                    &x->req.method, &x->req.path, &peer->authority);

    for (i = 0; i < x->req.nheaders; i++) {
        n = x->req.headers[i].name.len;

        skip = (n == 4
                && ngx_strncmp(x->req.headers[i].name.data, "host", 4) == 0)
               || (n == 14
                   && ngx_strncmp(x->req.headers[i].name.data,
                                  "content-length", 14) == 0)
               || (n == 17
                   && ngx_strncmp(x->req.headers[i].name.data,
                                  "transfer-encoding", 17) == 0);

        if (skip
            || ngx_strlchr(x->req.headers[i].value.data,
                           x->req.headers[i].value.data
                           + x->req.headers[i].value.len, '\n'))
        {
            continue;
        }

        p = ngx_sprintf(p, "%V: %V\r\n", &x->req.headers[i].name,
                        &x->req.headers[i].value);
    }

    if (x->req.body.len
        || (x->req.method.len == 4
            && ngx_strncmp(x->req.method.data, "POST", 4) == 0)
        || (x->req.method.len == 3
            && ngx_strncmp(x->req.method.data, "PUT", 3) == 0))
    {
        p = ngx_sprintf(p, "Content-Length: %uz\r\n", x->req.body.len);
    }

    *p++ = '\r'; *p++ = '\n';

    p = ngx_cpymem(p, x->req.body.data, x->req.body.len);

    conn->req_last = p;

    ngx_queue_remove(q);
    ngx_queue_insert_tail(&conn->exchanges, q);
    x->conn = conn;
    conn->cur = x;
    conn->nactive++;

    conn->h1_state = NGX_MOBILITY_H1_HEADER;
    conn->received = 0;
    conn->keepalive = 1;
    conn->in->pos = conn->in->start;
    conn->in->last = conn->in->start;

    ngx_mobility_http_idle(conn);

    ngx_mobility_http_h1_write(conn);
}


static void
ngx_mobility_http_h1_write(ngx_mobility_http_conn_t *conn)
{
    ssize_t            n;
    ngx_connection_t  *c;

    c = conn->c;

    if (conn->cur == NULL) {
        return;
    }

    while (conn->req_pos < conn->req_last) {
        n = c->send(c, conn->req_pos, conn->req_last - conn->req_pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
                break;
            }
            return;
        }

        if (n == NGX_ERROR) {
            if (conn->reused && !conn->cur->retried) {
                /* the server closed a keep-alive connection: once more */
                conn->cur->retried = 1;
                conn->cur->conn = NULL;
                conn->cur->status = 0;
                ngx_queue_remove(&conn->cur->queue);
                ngx_queue_insert_head(&conn->peer->waiting,
                                      &conn->cur->queue);
                conn->cur = NULL;
                conn->nactive--;
            }

            ngx_mobility_http_close(conn, "connection error");
            ngx_mobility_http_peer_post(conn->peer);
            return;
        }

        conn->req_pos += n;
    }

    /* the answer may have arrived while we were writing */

    if (c->read->ready) {
        ngx_mobility_http_h1_read(conn);
    }
}


static void
ngx_mobility_http_h1_read(ngx_mobility_http_conn_t *conn)
{
    ssize_t                        n;
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_connection_t              *c;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_exchange_t  *x;

    c = conn->c;
    peer = conn->peer;
    b = conn->in;

    for ( ;; ) {
        if (b->last == b->end) {
            if (b->pos == b->start) {
                ngx_mobility_http_close(conn, "response header too large");
                ngx_mobility_http_peer_post(peer);
                return;
            }

            b->last = ngx_movemem(b->start, b->pos, b->last - b->pos);
            b->pos = b->start;
        }

        n = c->recv(c, b->last, b->end - b->last);

        if (n == NGX_AGAIN) {
            break;
        }

        x = conn->cur;

        if (n == 0 || n == NGX_ERROR) {

            if (x && conn->h1_state == NGX_MOBILITY_H1_UNTIL_CLOSE) {
                conn->keepalive = 0;
                ngx_mobility_http_h1_complete(conn);
                return;
            }

            if (x && conn->received == 0 && conn->reused && !x->retried) {
                /* the server closed a keep-alive connection: once more */
                x->retried = 1;
                x->conn = NULL;
                ngx_queue_remove(&x->queue);
                ngx_queue_insert_head(&peer->waiting, &x->queue);
                conn->cur = NULL;
                conn->nactive--;
            }

            ngx_mobility_http_close(conn, "connection closed prematurely");
            ngx_mobility_http_peer_post(peer);
            return;
        }

        if (x == NULL) {
            /* nothing was asked */
            ngx_mobility_http_close(conn, NULL);
            return;
        }

        b->last += n;
        conn->received += n;

        rc = ngx_mobility_http_h1_parse(conn);

        if (rc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, peer->log, 0,
                          "mobility http: invalid HTTP/1.1 response from %V",
                          &peer->authority);
            ngx_mobility_http_close(conn, "invalid response");
            ngx_mobility_http_peer_post(peer);
            return;
        }

        if (rc == NGX_OK) {
            ngx_mobility_http_h1_complete(conn);
            return;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_mobility_http_close(conn, "connection error");
        ngx_mobility_http_peer_post(peer);
    }
}


static void
ngx_mobility_http_h1_complete(ngx_mobility_http_conn_t *conn)
{
    ngx_uint_t                     keepalive;
    ngx_mobility_http_peer_t      *peer;
    ngx_mobility_http_exchange_t  *x;

    peer = conn->peer;
    x = conn->cur;

    keepalive = conn->keepalive && conn->in->pos == conn->in->last
                && conn->req_pos == conn->req_last;

    ngx_mobility_http_finish(x, x->status, NULL);

    if (peer->destroyed) {
        return;
    }

    if (!keepalive) {
        ngx_mobility_http_close(conn, NULL);
        ngx_mobility_http_peer_post(peer);
        return;
    }

    conn->reused = 1;
    conn->in->pos = conn->in->start;
    conn->in->last = conn->in->start;

    if (ngx_handle_read_event(conn->c->read, 0) != NGX_OK) {
        ngx_mobility_http_close(conn, NULL);
        return;
    }

    ngx_mobility_http_idle(conn);

    ngx_mobility_http_peer_post(peer);
}


/* NGX_OK: the response is complete, NGX_AGAIN: more, NGX_ERROR: invalid */

static ngx_int_t
ngx_mobility_http_h1_parse(ngx_mobility_http_conn_t *conn)
{
    u_char     *p, *end;
    ngx_int_t   rc;
    ngx_buf_t  *b;

    b = conn->in;

    while (conn->h1_state == NGX_MOBILITY_H1_HEADER) {

        end = NULL;

        for (p = b->pos; p + 3 < b->last; p++) {
            if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
                end = p + 2;
                break;
            }
        }

        if (end == NULL) {
            return NGX_AGAIN;
        }

        rc = ngx_mobility_http_h1_header(conn, b->pos, end);
        if (rc != NGX_OK) {
            return rc;
        }

        b->pos = end + 2;
    }

    return ngx_mobility_http_h1_body(conn);
}


static ngx_int_t
ngx_mobility_http_h1_header(ngx_mobility_http_conn_t *conn, u_char *p,
    u_char *end)
{
    u_char                        *line, *colon, *v, *ve;
    off_t                          length;
    ngx_int_t                      status;
    ngx_uint_t                     http10, chunked, close, keep;
    ngx_mobility_http_exchange_t  *x;

    x = conn->cur;

    /* HTTP/1.x SSS reason */

    if (end - p < 12 || ngx_strncmp(p, "HTTP/1.", 7) != 0
        || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
    {
        return NGX_ERROR;
    }

    http10 = (p[7] == '0');

    status = ngx_atoi(p + 9, 3);
    if (status < 100 || status > 999 || (p[12] != ' ' && p[12] != '\r')) {
        return NGX_ERROR;
    }

    p = ngx_strlchr(p, end, '\n');
    if (p == NULL) {
        return NGX_ERROR;
    }

    p++;

    length = -1;
    chunked = 0;
    close = 0;
    keep = 0;

    x->headers.nelts = 0;

    while (p < end) {
        line = p;

        p = ngx_strlchr(p, end, '\n');
        if (p == NULL || p == line || p[-1] != '\r') {
            return NGX_ERROR;
        }

        ve = p - 1;
        p++;

        colon = ngx_strlchr(line, ve, ':');
        if (colon == NULL || colon == line) {
            return NGX_ERROR;
        }

        for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++) {
            /* void */
        }

        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }

        if (ngx_mobility_http_header_add(x, line, colon - line, v, ve - v)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (colon - line == 14
            && ngx_strncasecmp(line, (u_char *) "content-length", 14) == 0)
        {
            length = ngx_atoof(v, ve - v);
            if (length < 0) {
                return NGX_ERROR;
            }

        } else if (colon - line == 17
                   && ngx_strncasecmp(line, (u_char *) "transfer-encoding",
                                      17) == 0)
        {
            if (ve - v == 7 && ngx_strncasecmp(v, (u_char *) "chunked", 7)
                               == 0)
            {
                chunked = 1;

            } else {
                return NGX_ERROR;
            }

        } else if (colon - line == 10
                   && ngx_strncasecmp(line, (u_char *) "connection", 10) == 0)
        {
            if (ngx_strlcasestrn(v, ve, (u_char *) "close", 5 - 1)) {
                close = 1;
            }

            if (ngx_strlcasestrn(v, ve, (u_char *) "keep-alive", 10 - 1)) {
                keep = 1;
            }
        }
    }

    if (status < 200) {
        /* 100 Continue and the like: the real answer follows */
        if (status == 101) {
            return NGX_ERROR;
        }

        x->headers.nelts = 0;
        return NGX_OK;
    }

    x->status = status;

    conn->keepalive = !close && (!http10 || keep);

    if (x->head || status == 204 || status == 304) {
        conn->h1_state = NGX_MOBILITY_H1_DONE;

    } else if (chunked) {
        conn->h1_state = NGX_MOBILITY_H1_CHUNK_SIZE;
        conn->rest = 0;
        conn->chunk_digit = 0;

    } else if (length >= 0) {
        conn->h1_state = length ? NGX_MOBILITY_H1_LENGTH
                                : NGX_MOBILITY_H1_DONE;
        conn->rest = length;

    } else {
        conn->h1_state = NGX_MOBILITY_H1_UNTIL_CLOSE;
        conn->keepalive = 0;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_http_h1_body(ngx_mobility_http_conn_t *conn)
{
    u_char                        ch;
    size_t                        n;
    ngx_int_t                     d;
    ngx_buf_t                    *b;
    ngx_mobility_http_exchange_t *x;

    b = conn->in;
    x = conn->cur;

    while (conn->h1_state != NGX_MOBILITY_H1_DONE) {

        if (b->pos == b->last) {
            b->pos = b->start;
            b->last = b->start;
            return NGX_AGAIN;
        }

        switch (conn->h1_state) {

        case NGX_MOBILITY_H1_UNTIL_CLOSE:
            if (ngx_mobility_http_body_append(x, b->pos, b->last - b->pos)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            b->pos = b->last;
            continue;

        case NGX_MOBILITY_H1_LENGTH:
        case NGX_MOBILITY_H1_CHUNK_DATA:
            n = b->last - b->pos;
            if ((off_t) n > conn->rest) {
                n = (size_t) conn->rest;
            }

            if (ngx_mobility_http_body_append(x, b->pos, n) != NGX_OK) {
                return NGX_ERROR;
            }

            b->pos += n;
            conn->rest -= n;

            if (conn->rest == 0) {
                conn->h1_state = (conn->h1_state == NGX_MOBILITY_H1_LENGTH)
                                 ? NGX_MOBILITY_H1_DONE
                                 : NGX_MOBILITY_H1_CHUNK_DATA_CR;
            }

            continue;

        default:
            break;
        }

        ch = *b->pos++;

        switch (conn->h1_state) {

        case NGX_MOBILITY_H1_CHUNK_SIZE:
            if (ch >= '0' && ch <= '9') {
                d = ch - '0';

            } else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
                d = (ch | 0x20) - 'a' + 10;

            } else {
                d = -1;
            }

            if (d >= 0) {
                if (conn->rest > (NGX_MAX_OFF_T_VALUE - 15) / 16) {
                    return NGX_ERROR;
                }

                conn->rest = conn->rest * 16 + d;
                conn->chunk_digit = 1;
                break;
            }

            if (!conn->chunk_digit) {
                return NGX_ERROR;
            }

            if (ch == ';' || ch == ' ' || ch == '\t') {
                conn->h1_state = NGX_MOBILITY_H1_CHUNK_EXT;

            } else if (ch == '\r') {
                conn->h1_state = NGX_MOBILITY_H1_CHUNK_SIZE_LF;

            } else {
                return NGX_ERROR;
            }

            break;

        case NGX_MOBILITY_H1_CHUNK_EXT:
            if (ch == '\n') {
                goto size_done;
            }
            break;

        case NGX_MOBILITY_H1_CHUNK_SIZE_LF:
            if (ch != '\n') {
                return NGX_ERROR;
            }

        size_done:

            conn->h1_state = conn->rest ? NGX_MOBILITY_H1_CHUNK_DATA
                                        : NGX_MOBILITY_H1_TRAILER;
            break;

        case NGX_MOBILITY_H1_CHUNK_DATA_CR:
            if (ch != '\r') {
                return NGX_ERROR;
            }

            conn->h1_state = NGX_MOBILITY_H1_CHUNK_DATA_LF;
            break;

        case NGX_MOBILITY_H1_CHUNK_DATA_LF:
            if (ch != '\n') {
                return NGX_ERROR;
            }

            conn->h1_state = NGX_MOBILITY_H1_CHUNK_SIZE;
            conn->rest = 0;
            conn->chunk_digit = 0;
            break;

        case NGX_MOBILITY_H1_TRAILER:
            if (ch == '\r') {
                conn->h1_state = NGX_MOBILITY_H1_TRAILER_LF;

            } else {
                conn->h1_state = NGX_MOBILITY_H1_TRAILER_LINE;
            }

            break;

        case NGX_MOBILITY_H1_TRAILER_LINE:
            if (ch == '\n') {
                conn->h1_state = NGX_MOBILITY_H1_TRAILER;
            }

            break;

        case NGX_MOBILITY_H1_TRAILER_LF:
            if (ch != '\n') {
                return NGX_ERROR;
            }

            conn->h1_state = NGX_MOBILITY_H1_DONE;
            break;

        default:
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
