/*
 * Copyright (C) The nginx mobility authors
 *
 * An event-driven outbound HTTP client for the push providers: no
 * request is needed (it runs from timers and queues), nothing blocks.
 * One peer is one origin (scheme, host, port).  Over TLS the peer asks
 * for HTTP/2 with ALPN and multiplexes requests over one long-lived
 * connection (libnghttp2 driven by nginx's event loop, as APNs wants);
 * when the server does not speak h2 it falls back to HTTP/1.1 with a few
 * keep-alive connections.  Host names are resolved with nginx's resolver
 * (the "resolver" directive); IP literals need none.
 */

#ifndef _NGX_MOBILITY_HTTP_CLIENT_H_INCLUDED_
#define _NGX_MOBILITY_HTTP_CLIENT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


typedef struct ngx_mobility_http_peer_s  ngx_mobility_http_peer_t;


typedef struct {
    ngx_str_t                  name;      /* lower case */
    ngx_str_t                  value;
} ngx_mobility_http_header_t;


typedef struct {
    ngx_ssl_t                 *ssl;       /* NULL: cleartext */
    ngx_uint_t                 verify;    /* check the certificate and name */
    ngx_uint_t                 http2;     /* 1: h2 only (APNs), 0: h2 or 1.1 */
    ngx_resolver_t            *resolver;  /* NULL: IP literals only */
    ngx_msec_t                 resolver_timeout;
    ngx_msec_t                 connect_timeout;
    ngx_msec_t                 idle_timeout;   /* then the connection closes */
    ngx_uint_t                 max_connections; /* HTTP/1.1 */
    size_t                     max_response;    /* body bytes kept */
} ngx_mobility_http_peer_conf_t;


typedef struct {
    ngx_str_t                  method;
    ngx_str_t                  path;      /* with the query */
    ngx_mobility_http_header_t *headers;
    ngx_uint_t                 nheaders;
    ngx_str_t                  body;
    ngx_msec_t                 timeout;   /* the whole exchange */
} ngx_mobility_http_request_t;


typedef struct {
    ngx_uint_t                 status;    /* 0: no answer, see error */
    ngx_str_t                  error;     /* why there is no answer */
    ngx_uint_t                 http2;     /* answered over HTTP/2 */
    ngx_mobility_http_header_t *headers;
    ngx_uint_t                 nheaders;
    ngx_str_t                  body;      /* at most max_response bytes */
} ngx_mobility_http_response_t;


/*
 * Called once per request, never from inside ngx_mobility_http_send();
 * the response is valid only during the call.
 */
typedef void (*ngx_mobility_http_done_pt)(ngx_mobility_http_response_t *r,
    void *data);


/*
 * A peer for origin ("https://host[:port]" or "http://host[:port]").
 * The peer allocates from its own pool; conf is copied.  NULL on error
 * (logged).
 */
ngx_mobility_http_peer_t *ngx_mobility_http_peer_create(ngx_str_t *origin,
    ngx_mobility_http_peer_conf_t *conf, ngx_log_t *log);

/*
 * Queues a request; method, path, headers and body are copied, so the
 * caller's memory may go at once.  done(data) runs exactly once, later,
 * with the answer or a failure (status 0: resolution, connection, TLS,
 * reset, GOAWAY before the request was processed, timeout, or the peer
 * closed).  NGX_ERROR only when the request cannot even be queued.
 */
ngx_int_t ngx_mobility_http_send(ngx_mobility_http_peer_t *peer,
    ngx_mobility_http_request_t *req, ngx_mobility_http_done_pt done,
    void *data);

/* requests queued or in flight */
ngx_uint_t ngx_mobility_http_pending(ngx_mobility_http_peer_t *peer);

/* connections opened so far (statistics, tests) */
ngx_uint_t ngx_mobility_http_connections(ngx_mobility_http_peer_t *peer);

/*
 * Closes the connections and frees the peer (at worker exit, or when a
 * peer is no longer wanted).  Every request not answered yet gets done()
 * with status 0 and the error "peer closed" before this returns.
 */
void ngx_mobility_http_peer_destroy(ngx_mobility_http_peer_t *peer);


/* the value of a response header (name in lower case), or NULL */
ngx_str_t *ngx_mobility_http_header(ngx_mobility_http_response_t *r,
    const char *name);


#endif /* _NGX_MOBILITY_HTTP_CLIENT_H_INCLUDED_ */
