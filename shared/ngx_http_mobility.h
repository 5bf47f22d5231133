/*
 * Copyright (C) The nginx mobility authors
 *
 * The HTTP side every mobility front end shares (ngx_http_mobility_module):
 * the pool topology declared in nginx.conf, authentication by OAuth "cwt"
 * tokens and the MsRtcOAuth challenge, the token service, the
 * $mobility_user variable, request bodies and common response helpers.
 */

#ifndef _NGX_HTTP_MOBILITY_H_INCLUDED_
#define _NGX_HTTP_MOBILITY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_core.h"


#define NGX_HTTP_MOBILITY_EXTERNAL     0
#define NGX_HTTP_MOBILITY_INTERNAL     1

#define NGX_HTTP_MOBILITY_HTTPS_AUTO   0
#define NGX_HTTP_MOBILITY_HTTPS_ON     1
#define NGX_HTTP_MOBILITY_HTTPS_OFF    2

/* where ngx_http_mobility_authenticate() may look for a token */
#define NGX_HTTP_MOBILITY_AUTH_BEARER     0x01  /* Authorization: Bearer  */
#define NGX_HTTP_MOBILITY_AUTH_WEBTICKET  0x02  /* X-MS-WebTicket: opaque= */
#define NGX_HTTP_MOBILITY_AUTH_COOKIE     0x04  /* cwt_ucwa cookie         */


typedef struct {
    ngx_str_t      name;
    ngx_str_t      autodiscover;     /* absolute URL of its root resource */
} ngx_http_mobility_pool_t;


typedef struct {
    ngx_str_t      host;
    ngx_uint_t     port;
} ngx_http_mobility_endpoint_t;


typedef struct {
    ngx_str_t            pool_name;        /* mobility_pool_name        */
    ngx_array_t         *pools;            /* mobility_pool: other pools */
    ngx_str_t            hosting_provider; /* mobility_hosting_provider */
    ngx_str_t            server_fqdn;      /* mobility_server_fqdn      */
    time_t               token_lifetime;   /* mobility_token_lifetime   */
    ngx_uint_t           lockout_failures; /* mobility_signin_lockout   */
    ngx_uint_t           lockout_address_failures;
    time_t               lockout_window;
    ngx_shm_zone_t      *throttle_zone;
    void                *thread_pool;      /* ngx_thread_pool_t, if any */
} ngx_http_mobility_main_conf_t;


typedef struct {
    ngx_str_t                     web_internal;   /* mobility_web_internal */
    ngx_str_t                     web_external;   /* mobility_web_external */
    ngx_uint_t                    access;         /* mobility_access       */
    ngx_uint_t                    https;          /* mobility_https        */
    ngx_http_mobility_endpoint_t  sip_internal;   /* mobility_sip_access   */
    ngx_http_mobility_endpoint_t  sip_external;
    ngx_uint_t                    mcx_exposure;   /* mobility_mcx_exposure */
    ngx_array_t                  *origins;        /* mobility_allow_origin */
    size_t                        max_body;       /* mobility_max_body     */
} ngx_http_mobility_loc_conf_t;


typedef struct {
    u_char         sip[NGX_MOBILITY_SIP_MAX + 1];  /* canonical user@dom */
    size_t         sip_len;
    time_t         issued;
    time_t         expires;
    unsigned       anonymous:1;
    ngx_str_t      token;            /* the "cwt=..." the client sent */
} ngx_http_mobility_identity_t;


/* body is NULL when it exceeded mobility_max_body: answer 413 */
typedef void (*ngx_http_mobility_body_handler_pt)(ngx_http_request_t *r,
    ngx_str_t *body);


typedef struct ngx_http_mobility_signin_s  ngx_http_mobility_signin_t;


/* per-request state of the common module */
typedef struct {
    ngx_http_mobility_identity_t        identity;
    ngx_http_mobility_body_handler_pt   body_handler;
    ngx_http_mobility_signin_t         *signin;

    /* ngx_http_mobility_authenticate_keep(): its read transaction and
     * the user record read in it (valid while txn is); from the auth
     * cache only its sip is set and user_rec points to the record in
     * the cache's entry (valid while txn is too: the handler's
     * synchronous run), decoded when needed
     * (ngx_http_mobility_txn_take()) */
    MDB_txn                            *txn;
    ngx_mobility_user_t                 user;
    ngx_str_t                           user_rec;
    uint64_t                            dir_gen;  /* read in txn */

    unsigned                            authenticated:1;
    unsigned                            user_found:1;
    unsigned                            auth_transient:1;
} ngx_http_mobility_ctx_t;


extern ngx_module_t  ngx_http_mobility_module;


/* EXTERNAL or INTERNAL: which web site (server block) took the request */
ngx_uint_t ngx_http_mobility_access(ngx_http_request_t *r);

/* whether the request reached us over TLS (or a TLS-terminating proxy) */
ngx_uint_t ngx_http_mobility_is_https(ngx_http_request_t *r);

/*
 * "https://host[:port]" of the web services of the given access
 * location, without a trailing slash; falls back to the other side and
 * then to the request's own Host.
 */
ngx_int_t ngx_http_mobility_web_base(ngx_http_request_t *r,
    ngx_uint_t access, ngx_str_t *base);

/* looks a pool up by name; NULL when unknown */
ngx_http_mobility_pool_t *ngx_http_mobility_pool(ngx_http_request_t *r,
    ngx_str_t *name);

/* whether a user homed in "pool" lives here (empty = this pool) */
ngx_uint_t ngx_http_mobility_pool_is_local(ngx_http_request_t *r,
    ngx_str_t *pool);

/*
 * Validates the token the request carries (sources: AUTH_* flags) against
 * the keys and the user in the store.  NGX_OK: *id is filled (also kept
 * in the request ctx for $mobility_user); NGX_DECLINED: no token, or it
 * is invalid, expired or revoked; NGX_ERROR: store failure.
 */
ngx_int_t ngx_http_mobility_authenticate(ngx_http_request_t *r,
    ngx_uint_t sources, ngx_http_mobility_identity_t **id);

/*
 * The same, and the read transaction of the check stays open for the
 * handler of the request (one transaction per request instead of two).
 * ngx_http_mobility_txn_take() hands it over once, with the user record
 * read in it (NULL for an anonymous token or a user no longer in the
 * directory; valid as long as the transaction).  When raw->len is not 0
 * only the user's sip is set: the rest is ngx_mobility_user_decode() of
 * raw (a copy in the request's pool), left to the taker, who may not
 * need it (the auth cache's hits).  The taker ends it with
 * ngx_mobility_store_read_end().  ngx_http_mobility_txn_end() ends it
 * if nobody took it; the handler calls it before it returns to nginx.
 */
ngx_int_t ngx_http_mobility_authenticate_keep(ngx_http_request_t *r,
    ngx_uint_t sources, ngx_http_mobility_identity_t **id);
MDB_txn *ngx_http_mobility_txn_take(ngx_http_request_t *r,
    ngx_mobility_user_t **user, ngx_str_t *raw, uint64_t *dir_gen);
void ngx_http_mobility_txn_end(ngx_http_request_t *r);

/*
 * The request's token is looked up in the worker's auth cache but not
 * entered into it (a P-GET: one check per long poll is not worth the
 * cache's memory); call before authenticating.
 */
void ngx_http_mobility_auth_transient(ngx_http_request_t *r);

/* the identity ngx_http_mobility_authenticate() found, or NULL */
ngx_http_mobility_identity_t *ngx_http_mobility_request_identity(
    ngx_http_request_t *r);
ngx_http_mobility_ctx_t *ngx_http_mobility_get_ctx(ngx_http_request_t *r);

/* sends 401 with the MsRtcOAuth challenge and X-MS-WebTicketURL */
ngx_int_t ngx_http_mobility_send_challenge(ngx_http_request_t *r);

/*
 * Reads the request body into one contiguous buffer (at most
 * mobility_max_body bytes, else 413) and calls handler(r, body).  Returns
 * what a content handler returns.  The handler must finalize the request.
 */
ngx_int_t ngx_http_mobility_read_body(ngx_http_request_t *r,
    ngx_http_mobility_body_handler_pt handler);

/* adds a response header (name and value must outlive the request) */
ngx_int_t ngx_http_mobility_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);

/* Cache-Control: no-cache, Pragma: no-cache, Expires: -1, X-MS-Server-Fqdn */
ngx_int_t ngx_http_mobility_nocache_headers(ngx_http_request_t *r);

/*
 * Sends a complete response with Content-Type and Content-Length (body
 * may be empty); the body is copied.  Returns what ngx_http_output_filter
 * returns, for ngx_http_finalize_request().
 */
ngx_int_t ngx_http_mobility_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, const u_char *body, size_t len);

/* the same with a body in the request's pool, sent without a copy */
ngx_int_t ngx_http_mobility_send_pooled(ngx_http_request_t *r,
    ngx_uint_t status, const char *content_type, u_char *body, size_t len);


#endif /* _NGX_HTTP_MOBILITY_H_INCLUDED_ */
