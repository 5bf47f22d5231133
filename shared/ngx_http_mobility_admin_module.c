/*
 * Copyright (C) The nginx mobility authors
 *
 * The admin API: mobility policies, grants, the MCX and push notification
 * settings and the audit log over HTTP, JSON in and out, for an internal
 * listener.  The operations are those of mobilityctl (the same code,
 * ngx_mobility_policy.c); every change is one LMDB write transaction with
 * its audit entry, and running workers are told through the IPC channel.
 *
 * Callers authenticate with a Bearer "cwt" token of a user flagged as an
 * administrator, or, where "mobility_admin_client_cert on" is set, with a
 * TLS client certificate nginx verified (ssl_verify_client).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mobility.h"
#include "ngx_http_mobility_admin.h"
#include "ngx_mobility_ipc.h"
#include "ngx_mobility_policy.h"
#include "ngx_mobility_audit.h"
#include "ngx_mobility_notify.h"


#define NGX_HTTP_MOBILITY_ADMIN_SEGS     5

/* the methods that carry a body */
#define NGX_HTTP_MOBILITY_ADMIN_WRITE    (NGX_HTTP_POST|NGX_HTTP_PUT         \
                                          |NGX_HTTP_PATCH)

/* the operations */
#define NGX_HTTP_MOBILITY_ADMIN_NEW      1
#define NGX_HTTP_MOBILITY_ADMIN_SET      2
#define NGX_HTTP_MOBILITY_ADMIN_REMOVE   3
#define NGX_HTTP_MOBILITY_ADMIN_GRANT    4


/* the CLI's sender and nginx's receiver must agree */
#if (NGX_MOBILITY_NOTIFY_MAX != NGX_MOBILITY_IPC_MAX                         \
     || NGX_MOBILITY_NOTIFY_USER != NGX_MOBILITY_IPC_USER                   \
     || NGX_MOBILITY_NOTIFY_PUSH != NGX_MOBILITY_IPC_PUSH)
#error "ngx_mobility_notify.h and ngx_mobility_ipc.h disagree"
#endif


typedef struct {
    ngx_flag_t                    enable;         /* mobility_admin        */
    ngx_flag_t                    client_cert;    /* ..._admin_client_cert */
    ngx_int_t                     verify_index;   /* $ssl_client_verify    */
    ngx_int_t                     dn_index;       /* $ssl_client_s_dn      */
} ngx_http_mobility_admin_loc_conf_t;


typedef struct {
    char                         *seg[NGX_HTTP_MOBILITY_ADMIN_SEGS];
    ngx_uint_t                    nseg;
    char                         *who;
    char                         *client;
} ngx_http_mobility_admin_ctx_t;


static ngx_int_t ngx_http_mobility_admin_handler(ngx_http_request_t *r);
static void ngx_http_mobility_admin_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_mobility_admin_route(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, json_t *body);
static ngx_int_t ngx_http_mobility_admin_init_process(ngx_cycle_t *cycle);
static void ngx_http_mobility_admin_ipc(ngx_uint_t type, const u_char *data,
    size_t len, ngx_pid_t from);
static void *ngx_http_mobility_admin_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_admin_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_mobility_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_admin_client_cert(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_mobility_admin_commands[] = {

    { ngx_string("mobility_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mobility_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_admin_client_cert"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_mobility_admin_client_cert,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_admin_loc_conf_t, client_cert),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mobility_admin_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mobility_admin_create_loc_conf, /* create location conf */
    ngx_http_mobility_admin_merge_loc_conf   /* merge location conf */
};


ngx_module_t  ngx_http_mobility_admin_module = {
    NGX_MODULE_V1,
    &ngx_http_mobility_admin_module_ctx,   /* module context */
    ngx_http_mobility_admin_commands,      /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_mobility_admin_init_process,  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_mobility_change_pt  ngx_http_mobility_admin_hooks[
                                        NGX_HTTP_MOBILITY_ADMIN_HOOKS];


/* ------------------------------------------------------------------ */
/* responses                                                          */


static ngx_int_t
ngx_http_mobility_admin_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *j)
{
    char       *s;
    ngx_int_t   rc;

    if (j == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_mobility_nocache_headers(r) != NGX_OK) {
        free(s);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mobility_send(r, status, "application/json", (u_char *) s,
                                ngx_strlen(s));
    free(s);

    return rc;
}


static ngx_int_t
ngx_http_mobility_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *message, const char *param)
{
    json_t  *j;

    j = json_pack("{s:s, s:s}", "error", error, "message", message);

    if (j && param) {
        json_object_set_new(j, "parameter", json_string(param));
    }

    return ngx_http_mobility_admin_json(r, status, j);
}


/* an operation's failure as HTTP */
static ngx_int_t
ngx_http_mobility_admin_op_error(ngx_http_request_t *r, int rc,
    ngx_mobility_admin_op_t *op)
{
    switch (rc) {

    case NGX_MOBILITY_INVALID:
        return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                             "invalid_parameter", op->err,
                                             op->param);

    case NGX_MOBILITY_NOTFOUND:
        return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND,
                                             "not_found", op->err, op->param);

    case NGX_MOBILITY_EXISTS:
        return ngx_http_mobility_admin_error(r, NGX_HTTP_CONFLICT, "exists",
                                             op->err, op->param);

    case NGX_MOBILITY_CONFLICT:
        return ngx_http_mobility_admin_error(r, NGX_HTTP_CONFLICT,
                                             "conflict", op->err, op->param);

    default:
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility admin: %s", op->err);
        return ngx_http_mobility_admin_error(r,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR,
                                             "store_error",
                                             "the store failed; see the "
                                             "error log", NULL);
    }
}


static ngx_int_t
ngx_http_mobility_admin_store_error(ngx_http_request_t *r,
    ngx_mobility_store_t *st)
{
    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "mobility admin: %s", st->err);

    return ngx_http_mobility_admin_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                         "store_error", "the store failed; "
                                         "see the error log", NULL);
}


static ngx_int_t
ngx_http_mobility_admin_not_allowed(ngx_http_request_t *r)
{
    return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method_not_allowed",
                                         "method not allowed on this "
                                         "resource", NULL);
}


/* ------------------------------------------------------------------ */
/* the handler                                                        */


static char *
ngx_http_mobility_admin_pstr(ngx_pool_t *pool, u_char *p, size_t len)
{
    char  *s;

    s = ngx_pnalloc(pool, len + 1);
    if (s == NULL) {
        return NULL;
    }

    ngx_memcpy(s, p, len);
    s[len] = '\0';

    return s;
}


/* refuses a request: its body is read and dropped first */
static ngx_int_t
ngx_http_mobility_admin_refuse(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (status == NGX_HTTP_UNAUTHORIZED) {
        return ngx_http_mobility_send_challenge(r);
    }

    return ngx_http_mobility_admin_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                         "not a mobility administrator",
                                         NULL);
}


/*
 * Who is asking: NGX_OK with ctx->who set, or NGX_DECLINED with the rc of
 * the response already sent (401, 403) in *res.
 */
static ngx_int_t
ngx_http_mobility_admin_auth(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, ngx_int_t *res)
{
    int                                  rc;
    u_char                              *p;
    MDB_txn                             *txn;
    ngx_int_t                            rv;
    ngx_mobility_user_t                  u;
    ngx_mobility_store_t                *st;
    ngx_http_variable_value_t           *vv, *dn;
    ngx_http_mobility_identity_t        *id;
    ngx_http_mobility_admin_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_admin_module);

    *res = NGX_HTTP_INTERNAL_SERVER_ERROR;

    if (alcf->client_cert && alcf->verify_index != NGX_ERROR) {
        vv = ngx_http_get_indexed_variable(r, alcf->verify_index);

        if (vv && !vv->not_found && vv->len == sizeof("SUCCESS") - 1
            && ngx_strncmp(vv->data, "SUCCESS", vv->len) == 0)
        {
            dn = ngx_http_get_indexed_variable(r, alcf->dn_index);

            if (dn == NULL || dn->not_found) {
                return NGX_DECLINED;
            }

            ctx->who = ngx_pnalloc(r->pool, sizeof("cert:") + dn->len);
            if (ctx->who == NULL) {
                return NGX_DECLINED;
            }

            p = ngx_cpymem(ctx->who, "cert:", sizeof("cert:") - 1);
            p = ngx_cpymem(p, dn->data, dn->len);
            *p = '\0';

            return NGX_OK;
        }
    }

    rv = ngx_http_mobility_authenticate(r, NGX_HTTP_MOBILITY_AUTH_BEARER,
                                        &id);

    if (rv == NGX_DECLINED) {
        *res = ngx_http_mobility_admin_refuse(r, NGX_HTTP_UNAUTHORIZED);
        return NGX_DECLINED;
    }

    if (rv != NGX_OK) {
        return NGX_DECLINED;
    }

    st = ngx_mobility_store_current();

    if (id->anonymous) {
        rc = NGX_MOBILITY_NOTFOUND;

    } else {
        if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
            *res = ngx_http_mobility_admin_store_error(r, st);
            return NGX_DECLINED;
        }

        rc = ngx_mobility_user_get(st, txn, id->sip, id->sip_len, &u);

        if (rc == NGX_MOBILITY_OK && !(u.admin && u.enabled)) {
            rc = NGX_MOBILITY_NOTFOUND;
        }

        mdb_txn_abort(txn);

        if (rc == NGX_MOBILITY_ERROR) {
            *res = ngx_http_mobility_admin_store_error(r, st);
            return NGX_DECLINED;
        }
    }

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility admin: \"%s\" is not an administrator",
                      id->anonymous ? (u_char *) "(anonymous)" : id->sip);

        *res = ngx_http_mobility_admin_refuse(r, NGX_HTTP_FORBIDDEN);
        return NGX_DECLINED;
    }

    ctx->who = ngx_pnalloc(r->pool, sizeof("sip:") + id->sip_len);
    if (ctx->who == NULL) {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(ctx->who, "sip:", sizeof("sip:") - 1);
    p = ngx_cpymem(p, id->sip, id->sip_len);
    *p = '\0';

    return NGX_OK;
}


/* the path below the location, in segments */
static ngx_int_t
ngx_http_mobility_admin_segments(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx)
{
    u_char                    *p, *last, *start;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    p = r->uri.data;
    last = p + r->uri.len;

    if (
#if (NGX_PCRE)
        clcf->regex == NULL &&
#endif
        r->uri.len >= clcf->name.len
        && ngx_strncmp(p, clcf->name.data, clcf->name.len) == 0)
    {
        p += clcf->name.len;
    }

    ctx->nseg = 0;

    while (p < last) {
        while (p < last && *p == '/') {
            p++;
        }

        if (p == last) {
            break;
        }

        start = p;

        while (p < last && *p != '/') {
            p++;
        }

        if (ctx->nseg == NGX_HTTP_MOBILITY_ADMIN_SEGS) {
            return NGX_DECLINED;
        }

        ctx->seg[ctx->nseg] = ngx_http_mobility_admin_pstr(r->pool, start,
                                                           p - start);
        if (ctx->seg[ctx->nseg] == NULL) {
            return NGX_ERROR;
        }

        ctx->nseg++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mobility_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_mobility_admin_ctx_t  *ctx;

    if (ngx_mobility_store_current() == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mobility_admin_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_mobility_admin_module);

    /* no credentials, or not an administrator: nothing else happens */

    if (ngx_http_mobility_admin_auth(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    ctx->client = ngx_http_mobility_admin_pstr(r->pool,
                                               r->connection->addr_text.data,
                                               r->connection->addr_text.len);
    if (ctx->client == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mobility_admin_segments(r, ctx);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_discard_request_body(r);
        return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND,
                                             "not_found", "no such resource",
                                             NULL);
    }

    if (r->method & NGX_HTTP_MOBILITY_ADMIN_WRITE) {
        return ngx_http_mobility_read_body(r, ngx_http_mobility_admin_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_mobility_admin_route(r, ctx, NULL);
}


static void
ngx_http_mobility_admin_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char                         *p, *last;
    json_t                         *j;
    ngx_int_t                       rc;
    json_error_t                    e;
    ngx_http_mobility_admin_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_admin_module);

    if (body == NULL) {
        ngx_http_finalize_request(r,
            ngx_http_mobility_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "payload_too_large",
                                          "the body exceeds mobility_max_body",
                                          NULL));
        return;
    }

    p = body->data;
    last = p + body->len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    if (p == last) {
        /* no body: no parameters */
        j = json_object();

    } else {
        j = json_loadb((char *) body->data, body->len, 0, &e);

        if (j == NULL || !json_is_object(j)) {
            json_decref(j);
            ngx_http_finalize_request(r,
                ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                              "bad_json",
                                              "the body must be a JSON "
                                              "object", NULL));
            return;
        }
    }

    if (j == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_mobility_admin_route(r, ctx, j);

    json_decref(j);

    ngx_http_finalize_request(r, rc);
}


/* ------------------------------------------------------------------ */
/* operations                                                         */


static ngx_uint_t
ngx_http_mobility_admin_flag(ngx_http_request_t *r, const char *name)
{
    ngx_str_t  v;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &v) != NGX_OK) {
        return 0;
    }

    return v.len == 0
           || (v.len == 1 && v.data[0] == '1')
           || (v.len == 4 && ngx_strncasecmp(v.data, (u_char *) "true", 4)
                             == 0);
}


/* a query argument, decoded and NUL-terminated; NULL if absent */
static ngx_int_t
ngx_http_mobility_admin_arg(ngx_http_request_t *r, const char *name,
    char **out)
{
    u_char     *dst, *src;
    ngx_str_t   v;

    *out = NULL;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &v) != NGX_OK) {
        return NGX_OK;
    }

    *out = ngx_pnalloc(r->pool, v.len + 1);
    if (*out == NULL) {
        return NGX_ERROR;
    }

    dst = (u_char *) *out;
    src = v.data;
    ngx_unescape_uri(&dst, &src, v.len, 0);
    *dst = '\0';

    return NGX_OK;
}


static void
ngx_http_mobility_admin_op_init(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, ngx_mobility_admin_op_t *op)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    ngx_mobility_admin_op_init(op);

    op->who = ctx->who;
    op->via = "rest";
    op->client = ctx->client;
    op->now_ms = (uint64_t) tp->sec * 1000 + tp->msec;
    op->dry = ngx_http_mobility_admin_flag(r, "whatif");
    op->force = ngx_http_mobility_admin_flag(r, "force");
}


static json_t *
ngx_http_mobility_admin_change_json(ngx_mobility_admin_op_t *op)
{
    json_t  *j;

    j = json_object();
    if (j == NULL) {
        return NULL;
    }

    if (json_object_set_new(j, "Action", json_string(op->action))
        || json_object_set_new(j, "Target", json_string(op->target))
        || json_object_set_new(j, "WhatIf", json_boolean(op->dry))
        || json_object_set_new(j, "Before", op->before ? json_incref(op->before)
                                                       : json_null())
        || json_object_set_new(j, "After", op->after ? json_incref(op->after)
                                                     : json_null())
        || json_object_set_new(j, "AuditId",
                               op->audit_id[0] ? json_string(op->audit_id)
                                               : json_null()))
    {
        json_decref(j);
        return NULL;
    }

    return j;
}


static void
ngx_http_mobility_admin_notify(ngx_http_request_t *r, const u_char *data,
    size_t len)
{
    if (len == 0) {
        return;
    }

    if (ngx_mobility_ipc_broadcast(NGX_MOBILITY_IPC_USER, data, len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility admin: could not tell every worker of the "
                      "change (they see it when they next read it)");
    }
}


/*
 * One or more changes in one write transaction: all or none.  For grants
 * "users" lists the users (JSON strings) and "identity" is the policy.
 */
static ngx_int_t
ngx_http_mobility_admin_change(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, const ngx_mobility_cfg_kind_t *kind,
    ngx_uint_t what, const char *identity, json_t *params, json_t *users)
{
    int                       rc;
    u_char                   *notify, *nl;
    size_t                    i, n, len;
    json_t                   *out, *one, *u;
    MDB_txn                  *txn;
    ngx_int_t                 res;
    ngx_uint_t                all;
    const char               *user;
    ngx_mobility_store_t     *st;
    ngx_mobility_admin_op_t  *op;

    st = ngx_mobility_store_current();

    op = ngx_palloc(r->pool, sizeof(ngx_mobility_admin_op_t));
    notify = ngx_pnalloc(r->pool, NGX_MOBILITY_NOTIFY_MAX);
    out = (what == NGX_HTTP_MOBILITY_ADMIN_GRANT) ? json_array() : NULL;

    if (op == NULL || notify == NULL
        || (what == NGX_HTTP_MOBILITY_ADMIN_GRANT && out == NULL))
    {
        json_decref(out);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        json_decref(out);
        return ngx_http_mobility_admin_store_error(r, st);
    }

    n = (what == NGX_HTTP_MOBILITY_ADMIN_GRANT) ? json_array_size(users) : 1;
    len = 0;
    all = 0;
    one = NULL;
    rc = NGX_MOBILITY_OK;

    for (i = 0; i < n; i++) {
        ngx_http_mobility_admin_op_init(r, ctx, op);

        switch (what) {

        case NGX_HTTP_MOBILITY_ADMIN_NEW:
            rc = ngx_mobility_cfg_new(st, txn, kind, identity, params, op);
            break;

        case NGX_HTTP_MOBILITY_ADMIN_SET:
            rc = ngx_mobility_cfg_set(st, txn, kind, identity, params, op);
            break;

        case NGX_HTTP_MOBILITY_ADMIN_REMOVE:
            rc = ngx_mobility_cfg_remove(st, txn, kind, identity, op);
            break;

        default: /* NGX_HTTP_MOBILITY_ADMIN_GRANT */
            u = json_array_get(users, i);
            user = json_string_value(u);

            if (user == NULL) {
                ngx_snprintf((u_char *) op->err, sizeof(op->err),
                             "Users: every user is a string%Z");
                op->param = "Users";
                rc = NGX_MOBILITY_INVALID;
                break;
            }

            rc = ngx_mobility_policy_grant(st, txn, user, ngx_strlen(user),
                                           identity, op);
            break;
        }

        if (rc != NGX_MOBILITY_OK) {
            break;
        }

        one = ngx_http_mobility_admin_change_json(op);

        if (one && out) {
            /* the array takes the reference, even when it fails */
            rc = json_array_append_new(out, one) ? NGX_MOBILITY_ERROR
                                                 : NGX_MOBILITY_OK;
            one = NULL;

        } else if (one == NULL) {
            rc = NGX_MOBILITY_ERROR;
        }

        if (rc != NGX_MOBILITY_OK) {
            ngx_snprintf((u_char *) op->err, sizeof(op->err),
                         "out of memory%Z");
            break;
        }

        /* the workers to tell, once it is committed */

        nl = ngx_strlchr(op->notify, op->notify + op->notify_len, '\n');

        if (nl && !all) {
            if (nl + 2 == op->notify + op->notify_len && nl[1] == '*') {
                all = 1;
                len = ngx_cpymem(notify, op->notify, op->notify_len) - notify;

            } else if (len == 0) {
                len = ngx_cpymem(notify, op->notify, op->notify_len) - notify;

            } else if (len + (op->notify + op->notify_len - nl)
                       <= NGX_MOBILITY_NOTIFY_MAX)
            {
                len = ngx_cpymem(notify + len, nl,
                                 op->notify + op->notify_len - nl)
                      - notify;

            } else {
                all = 1;
                len = ngx_sprintf(notify, "%s\n*", kind->notify) - notify;
            }
        }

        if (!op->dry) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "mobility admin: %s %s by %s (audit %s)",
                          op->action, op->target, ctx->who, op->audit_id);
        }

        ngx_mobility_admin_op_free(op);
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        json_decref(out);
        json_decref(one);

        res = ngx_http_mobility_admin_op_error(r, rc, op);
        ngx_mobility_admin_op_free(op);

        return res;
    }

    if (op->dry) {
        mdb_txn_abort(txn);

    } else {
        if (ngx_mobility_store_commit(st, txn) != 0) {
            json_decref(out);
            json_decref(one);
            return ngx_http_mobility_admin_store_error(r, st);
        }

        ngx_http_mobility_admin_notify(r, notify, len);
    }

    if (out) {
        one = json_pack("{s:o}", "Changes", out);
    }

    return ngx_http_mobility_admin_json(r,
               (what == NGX_HTTP_MOBILITY_ADMIN_NEW && !op->dry)
               ? NGX_HTTP_CREATED : NGX_HTTP_OK, one);
}


/*
 * The identity a body names, checked against the one in the path: NULL,
 * or why they cannot be used.
 */
static const char *
ngx_http_mobility_admin_identity(json_t *body, const char *path,
    const char **identity)
{
    const char  *s;
    json_t      *v;

    v = json_object_get(body, "Identity");

    if (v == NULL) {
        *identity = path;
        return NULL;
    }

    s = json_string_value(v);

    if (s == NULL) {
        return "Identity must be a string";
    }

    if (path && ngx_strcasecmp((u_char *) s, (u_char *) path) != 0) {
        return "the Identity of the body and of the path differ";
    }

    *identity = s;

    return NULL;
}


/* /<collection>[/<identity>] of a kind */
static ngx_int_t
ngx_http_mobility_admin_cfg(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, const ngx_mobility_cfg_kind_t *kind,
    json_t *body)
{
    int                    rc;
    char                   err[NGX_MOBILITY_CFG_ERRLEN], *f;
    json_t                *j;
    MDB_txn               *txn;
    const char            *identity, *msg;
    ngx_mobility_cfg_t    *c;
    ngx_mobility_store_t  *st;

    st = ngx_mobility_store_current();
    identity = (ctx->nseg > 1) ? ctx->seg[1] : NULL;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {

        if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        if (identity == NULL) {
            if (ngx_http_mobility_admin_arg(r, "filter", &f) != NGX_OK) {
                mdb_txn_abort(txn);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            j = ngx_mobility_cfg_list(st, txn, kind, f, &rc);
            mdb_txn_abort(txn);

            if (j == NULL) {
                return ngx_http_mobility_admin_store_error(r, st);
            }

            return ngx_http_mobility_admin_json(r, NGX_HTTP_OK, j);
        }

        c = ngx_palloc(r->pool, sizeof(ngx_mobility_cfg_t));
        if (c == NULL) {
            mdb_txn_abort(txn);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_mobility_cfg_get(st, txn, kind, identity,
                                  ngx_strlen(identity), c, err, sizeof(err));
        mdb_txn_abort(txn);

        if (rc == NGX_MOBILITY_OK) {
            return ngx_http_mobility_admin_json(r, NGX_HTTP_OK,
                                                ngx_mobility_cfg_json(c));
        }

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        return ngx_http_mobility_admin_error(r,
                   rc == NGX_MOBILITY_NOTFOUND ? NGX_HTTP_NOT_FOUND
                                               : NGX_HTTP_BAD_REQUEST,
                   rc == NGX_MOBILITY_NOTFOUND ? "not_found"
                                               : "invalid_parameter",
                   err, rc == NGX_MOBILITY_NOTFOUND ? NULL : "Identity");
    }

    if (r->method == NGX_HTTP_POST) {
        msg = ngx_http_mobility_admin_identity(body, identity, &identity);
        if (msg) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter", msg,
                                                 "Identity");
        }

        return ngx_http_mobility_admin_change(r, ctx, kind,
                                              NGX_HTTP_MOBILITY_ADMIN_NEW,
                                              identity, body, NULL);
    }

    if (identity == NULL) {
        return ngx_http_mobility_admin_not_allowed(r);
    }

    if (r->method & (NGX_HTTP_PUT|NGX_HTTP_PATCH)) {
        msg = ngx_http_mobility_admin_identity(body, identity, &identity);
        if (msg) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter", msg,
                                                 "Identity");
        }

        return ngx_http_mobility_admin_change(r, ctx, kind,
                                              NGX_HTTP_MOBILITY_ADMIN_SET,
                                              identity, body, NULL);
    }

    if (r->method == NGX_HTTP_DELETE) {
        return ngx_http_mobility_admin_change(r, ctx, kind,
                                              NGX_HTTP_MOBILITY_ADMIN_REMOVE,
                                              identity, NULL, NULL);
    }

    return ngx_http_mobility_admin_not_allowed(r);
}


/* the canonical SIP address of a user as typed, into sip */
static int
ngx_http_mobility_admin_user(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *user, u_char *sip)
{
    return ngx_mobility_user_resolve_login(st, txn, (const u_char *) user,
                                           ngx_strlen(user), sip);
}


/* /mobility-policies/<identity>/grants[/<user>] */
static ngx_int_t
ngx_http_mobility_admin_grants(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, json_t *body)
{
    int                    rc, n;
    char                   err[NGX_MOBILITY_CFG_ERRLEN];
    u_char                 sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t                *j, *users;
    MDB_txn               *txn;
    ngx_int_t              res;
    ngx_mobility_cfg_t    *c;
    ngx_mobility_user_t    u;
    ngx_mobility_store_t  *st;

    st = ngx_mobility_store_current();

    c = ngx_palloc(r->pool, sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        return ngx_http_mobility_admin_store_error(r, st);
    }

    rc = ngx_mobility_cfg_get(st, txn, &ngx_mobility_policy_kind, ctx->seg[1],
                              ngx_strlen(ctx->seg[1]), c, err, sizeof(err));

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        return ngx_http_mobility_admin_error(r,
                   rc == NGX_MOBILITY_NOTFOUND ? NGX_HTTP_NOT_FOUND
                                               : NGX_HTTP_BAD_REQUEST,
                   rc == NGX_MOBILITY_NOTFOUND ? "not_found"
                                               : "invalid_parameter",
                   err, NULL);
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (ctx->nseg > 3) {
            mdb_txn_abort(txn);
            return ngx_http_mobility_admin_not_allowed(r);
        }

        users = ngx_mobility_policy_users(st, txn, c, &rc);
        mdb_txn_abort(txn);

        if (users == NULL) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        j = json_pack("{s:s, s:o}", "Identity", c->identity, "Users", users);

        return ngx_http_mobility_admin_json(r, NGX_HTTP_OK, j);
    }

    if (c->scope != NGX_MOBILITY_SCOPE_TAG) {
        mdb_txn_abort(txn);
        return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                             "invalid_parameter",
                                             "only per-user (tag:) policies "
                                             "can be granted", "Identity");
    }

    if (ctx->nseg == 4 && r->method == NGX_HTTP_DELETE) {
        /* the user must hold this grant */

        n = ngx_http_mobility_admin_user(st, txn, ctx->seg[3], sip);

        rc = (n > 0) ? ngx_mobility_user_get(st, txn, sip, n, &u)
                     : (n < 0 ? NGX_MOBILITY_ERROR : NGX_MOBILITY_NOTFOUND);

        if (rc == NGX_MOBILITY_OK
            && (u.policy.len != ngx_strlen(ngx_mobility_cfg_name(c))
                || ngx_strncasecmp((u_char *) u.policy.data,
                                   (u_char *) ngx_mobility_cfg_name(c),
                                   u.policy.len) != 0))
        {
            rc = NGX_MOBILITY_CONFLICT;
        }

        mdb_txn_abort(txn);

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        if (rc != NGX_MOBILITY_OK) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND,
                                                 "not_found",
                                                 rc == NGX_MOBILITY_CONFLICT
                                                 ? "the user does not hold "
                                                   "this grant"
                                                 : "no such user", NULL);
        }

        users = json_pack("[s]", ctx->seg[3]);

        res = ngx_http_mobility_admin_change(r, ctx,
                                             &ngx_mobility_policy_kind,
                                             NGX_HTTP_MOBILITY_ADMIN_GRANT,
                                             NULL, NULL, users);
        json_decref(users);

        return res;
    }

    mdb_txn_abort(txn);

    if (ctx->nseg == 4 && (r->method & (NGX_HTTP_PUT|NGX_HTTP_POST))) {
        users = json_pack("[s]", ctx->seg[3]);

    } else if (ctx->nseg == 3 && r->method == NGX_HTTP_POST) {
        users = json_object_get(body, "Users");

        if (users == NULL && json_is_string(json_object_get(body,
                                                            "Identity")))
        {
            users = json_pack("[O]", json_object_get(body, "Identity"));

        } else if (json_is_array(users) && json_array_size(users)) {
            json_incref(users);

        } else {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter",
                                                 "name the users: "
                                                 "{\"Users\": [\"sip:...\"]}",
                                                 "Users");
        }

    } else {
        return ngx_http_mobility_admin_not_allowed(r);
    }

    if (users == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    res = ngx_http_mobility_admin_change(r, ctx, &ngx_mobility_policy_kind,
                                         NGX_HTTP_MOBILITY_ADMIN_GRANT,
                                         c->identity, NULL, users);
    json_decref(users);

    return res;
}


/* /users/<user>/effective-policy and /users/<user>/mobility-policy */
static ngx_int_t
ngx_http_mobility_admin_users(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, json_t *body)
{
    int                    rc, n;
    u_char                 sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t                *j, *users, *v;
    MDB_txn               *txn;
    ngx_int_t              res;
    const char            *policy;
    ngx_mobility_user_t    u;
    ngx_mobility_store_t  *st;

    st = ngx_mobility_store_current();

    if (ngx_strcmp(ctx->seg[2], "effective-policy") != 0
        && ngx_strcmp(ctx->seg[2], "mobility-policy") != 0)
    {
        return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND,
                                             "not_found", "no such resource",
                                             NULL);
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        n = ngx_http_mobility_admin_user(st, txn, ctx->seg[1], sip);

        rc = (n > 0) ? ngx_mobility_user_get(st, txn, sip, n, &u)
                     : (n < 0 ? NGX_MOBILITY_ERROR : NGX_MOBILITY_NOTFOUND);

        if (rc != NGX_MOBILITY_OK) {
            mdb_txn_abort(txn);

            if (rc == NGX_MOBILITY_ERROR) {
                return ngx_http_mobility_admin_store_error(r, st);
            }

            return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND,
                                                 "not_found", "no such user",
                                                 NULL);
        }

        if (ctx->seg[2][0] == 'e') {
            j = ngx_mobility_effective_json(st, txn, &u, &rc);

        } else {
            j = json_object();

            if (j
                && (json_object_set_new(j, "Identity",
                                        json_sprintf("sip:%s", (char *) sip))
                    || json_object_set_new(j, "MobilityPolicy",
                                           u.policy.len
                                           ? json_stringn(
                                                 (char *) u.policy.data,
                                                 u.policy.len)
                                           : json_null())))
            {
                json_decref(j);
                j = NULL;
            }
        }

        mdb_txn_abort(txn);

        if (j == NULL) {
            return ngx_http_mobility_admin_store_error(r, st);
        }

        return ngx_http_mobility_admin_json(r, NGX_HTTP_OK, j);
    }

    if (ctx->seg[2][0] == 'e') {
        return ngx_http_mobility_admin_not_allowed(r);
    }

    /* Grant-CsMobilityPolicy */

    if (r->method & (NGX_HTTP_PUT|NGX_HTTP_POST|NGX_HTTP_PATCH)) {
        v = json_object_get(body, "PolicyName");

        if (v == NULL) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter",
                                                 "PolicyName is required "
                                                 "(null to remove the grant)",
                                                 "PolicyName");
        }

        if (!json_is_null(v) && !json_is_string(v)) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter",
                                                 "PolicyName must be a "
                                                 "string or null",
                                                 "PolicyName");
        }

        policy = json_string_value(v);

    } else if (r->method == NGX_HTTP_DELETE) {
        policy = NULL;

    } else {
        return ngx_http_mobility_admin_not_allowed(r);
    }

    users = json_pack("[s]", ctx->seg[1]);

    res = ngx_http_mobility_admin_change(r, ctx, &ngx_mobility_policy_kind,
                                         NGX_HTTP_MOBILITY_ADMIN_GRANT,
                                         policy, NULL, users);
    json_decref(users);

    return res;
}


static ngx_int_t
ngx_http_mobility_admin_audit(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx)
{
    int                    rc;
    char                  *before, *target;
    json_t                *j;
    MDB_txn               *txn;
    ngx_int_t              limit;
    ngx_str_t              v;
    ngx_mobility_store_t  *st;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) || ctx->nseg > 1) {
        return ngx_http_mobility_admin_not_allowed(r);
    }

    st = ngx_mobility_store_current();

    limit = 100;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &v) == NGX_OK) {
        limit = ngx_atoi(v.data, v.len);

        if (limit < 1 || limit > NGX_MOBILITY_AUDIT_LIST_MAX) {
            return ngx_http_mobility_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                                 "invalid_parameter",
                                                 "limit: 1 to 1000", "limit");
        }
    }

    if (ngx_http_mobility_admin_arg(r, "before", &before) != NGX_OK
        || ngx_http_mobility_admin_arg(r, "target", &target) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        return ngx_http_mobility_admin_store_error(r, st);
    }

    j = ngx_mobility_audit_list(st, txn, (size_t) limit, before, target, &rc);
    mdb_txn_abort(txn);

    if (j == NULL) {
        return ngx_http_mobility_admin_store_error(r, st);
    }

    return ngx_http_mobility_admin_json(r, NGX_HTTP_OK, j);
}


static ngx_int_t
ngx_http_mobility_admin_route(ngx_http_request_t *r,
    ngx_http_mobility_admin_ctx_t *ctx, json_t *body)
{
    const char  *top;

    if (ctx->nseg == 0) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_mobility_admin_not_allowed(r);
        }

        return ngx_http_mobility_admin_json(r, NGX_HTTP_OK,
                   json_pack("{s:[sssss], s:s}", "Resources",
                             "mobility-policies", "mcx-configuration",
                             "push-configuration", "users", "audit",
                             "Who", ctx->who));
    }

    top = ctx->seg[0];

    if (ngx_strcmp(top, "mobility-policies") == 0) {
        if (ctx->nseg <= 2) {
            return ngx_http_mobility_admin_cfg(r, ctx,
                                               &ngx_mobility_policy_kind,
                                               body);
        }

        if (ngx_strcmp(ctx->seg[2], "grants") == 0 && ctx->nseg <= 4) {
            return ngx_http_mobility_admin_grants(r, ctx, body);
        }

    } else if (ngx_strcmp(top, "mcx-configuration") == 0) {
        if (ctx->nseg <= 2) {
            return ngx_http_mobility_admin_cfg(r, ctx, &ngx_mobility_mcx_kind,
                                               body);
        }

    } else if (ngx_strcmp(top, "push-configuration") == 0) {
        if (ctx->nseg <= 2) {
            return ngx_http_mobility_admin_cfg(r, ctx,
                                               &ngx_mobility_push_kind, body);
        }

    } else if (ngx_strcmp(top, "users") == 0) {
        if (ctx->nseg == 3) {
            return ngx_http_mobility_admin_users(r, ctx, body);
        }

    } else if (ngx_strcmp(top, "audit") == 0) {
        return ngx_http_mobility_admin_audit(r, ctx);
    }

    return ngx_http_mobility_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         "no such resource", NULL);
}


/* ------------------------------------------------------------------ */
/* live changes                                                       */


ngx_int_t
ngx_http_mobility_admin_on_change(ngx_http_mobility_change_pt handler)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_MOBILITY_ADMIN_HOOKS; i++) {
        if (ngx_http_mobility_admin_hooks[i] == handler) {
            return NGX_OK;
        }

        if (ngx_http_mobility_admin_hooks[i] == NULL) {
            ngx_http_mobility_admin_hooks[i] = handler;
            return NGX_OK;
        }
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_mobility_admin_init_process(ngx_cycle_t *cycle)
{
    if (ngx_mobility_store_current() == NULL) {
        return NGX_OK;
    }

    ngx_mobility_ipc_set_handler(NGX_MOBILITY_IPC_USER,
                                 ngx_http_mobility_admin_ipc);

    return NGX_OK;
}


static void
ngx_http_mobility_admin_ipc(ngx_uint_t type, const u_char *data, size_t len,
    ngx_pid_t from)
{
    u_char      *p, *nl, buf[NGX_MOBILITY_NOTIFY_MAX];
    ngx_str_t    kind, users;
    ngx_uint_t   i;

    nl = ngx_strlchr((u_char *) data, (u_char *) data + len, '\n');

    if (nl == NULL || nl + 1 == data + len) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "mobility: malformed change message of %uz bytes "
                      "from %P", len, from);
        return;
    }

    kind.data = (u_char *) data;
    kind.len = nl - data;
    users.data = nl + 1;
    users.len = data + len - users.data;

    /* one line in the log: "a@b,c@d" */

    p = ngx_cpymem(buf, users.data, ngx_min(users.len, sizeof(buf)));

    for (i = 0; i < (size_t) (p - buf); i++) {
        if (buf[i] == '\n') {
            buf[i] = ',';
        }
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "mobility: policy change for %*s (%V, from %P)",
                  (size_t) (p - buf), buf, &kind, from);

    for (i = 0; i < NGX_HTTP_MOBILITY_ADMIN_HOOKS; i++) {
        if (ngx_http_mobility_admin_hooks[i] == NULL) {
            break;
        }

        ngx_http_mobility_admin_hooks[i](&kind, &users, from);
    }
}


/* ------------------------------------------------------------------ */
/* configuration                                                      */


static void *
ngx_http_mobility_admin_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_admin_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_admin_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->enable = NGX_CONF_UNSET;
    alcf->client_cert = NGX_CONF_UNSET;
    alcf->verify_index = NGX_CONF_UNSET;
    alcf->dn_index = NGX_CONF_UNSET;

    return alcf;
}


static char *
ngx_http_mobility_admin_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_mobility_admin_loc_conf_t  *prev = parent;
    ngx_http_mobility_admin_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->client_cert, prev->client_cert, 0);
    ngx_conf_merge_value(conf->verify_index, prev->verify_index, NGX_ERROR);
    ngx_conf_merge_value(conf->dn_index, prev->dn_index, NGX_ERROR);

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_admin_loc_conf_t  *alcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (alcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    alcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mobility_admin_handler;

    ngx_mobility_require_store(cf, "mobility_admin");

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_admin_client_cert(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mobility_admin_loc_conf_t  *alcf = conf;

    char       *rv;
    ngx_str_t   name;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK || !alcf->client_cert) {
        return rv;
    }

#if (NGX_HTTP_SSL)

    ngx_str_set(&name, "ssl_client_verify");

    alcf->verify_index = ngx_http_get_variable_index(cf, &name);
    if (alcf->verify_index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&name, "ssl_client_s_dn");

    alcf->dn_index = ngx_http_get_variable_index(cf, &name);
    if (alcf->dn_index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

#else

    (void) name;

    return "needs nginx built with the SSL module";

#endif
}
