/*
 * Copyright (C) The nginx mobility authors
 *
 * The Autodiscover service of the Mobility role ([MS-OCDISCWS] and the
 * UCWA discovery documents):
 *
 *     /                                              root (lyncdiscover)
 *     /Autodiscover/AutodiscoverService.svc/root         root
 *     .../root/user                         user, WebTicket or Bearer
 *     .../root/oauth/user                   user, Bearer
 *     .../root/domain                       domain, anonymous
 *     /Autodiscover/XFrame/XFrame.html, /xframe, .../root/xframe
 *
 * Paths match case-insensitively; answers come in the representation
 * Accept asks for (ngx_mobility_autodiscover_render.c).  Redirects are
 * 200 responses holding a single Redirect link, never HTTP 3xx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <libxml/parser.h>

#include "ngx_http_mobility.h"
#include "ngx_mobility_policy.h"
#include "ngx_mobility_autodiscover.h"


#define NGX_HTTP_MOBILITY_AD_R_ROOT        0
#define NGX_HTTP_MOBILITY_AD_R_USER        1     /* WebTicket flavour */
#define NGX_HTTP_MOBILITY_AD_R_OAUTH_USER  2     /* Bearer flavour    */
#define NGX_HTTP_MOBILITY_AD_R_DOMAIN      3
#define NGX_HTTP_MOBILITY_AD_R_XFRAME      4
#define NGX_HTTP_MOBILITY_AD_R_NONE        5

#define NGX_HTTP_MOBILITY_AD_PARAM_MAX     256
#define NGX_HTTP_MOBILITY_AD_GONE          410

#define NGX_HTTP_MOBILITY_AD_CACHE_SLOTS   8
#define NGX_HTTP_MOBILITY_AD_CACHE_KEY     512
#define NGX_HTTP_MOBILITY_AD_CACHE_BODY    2048

#define ngx_http_mobility_ad_unsafe(c)                                        \
    ((c) <= 0x20 || (c) >= 0x7f || ngx_strchr("\"<>\\^`{|}#", (c)) != NULL)

#define NGX_HTTP_MOBILITY_AD_SVC   "/Autodiscover/AutodiscoverService.svc"
#define NGX_HTTP_MOBILITY_AD_ROOT  NGX_HTTP_MOBILITY_AD_SVC "/root"


typedef struct {
    ngx_str_t                       path;
    ngx_uint_t                      resource;
} ngx_http_mobility_ad_route_t;


/*
 * Rendered root answers, per worker and location.  The anonymous root
 * depends only on the request's path, query, Host, Accept and scheme
 * (the key, taken verbatim) and on the served domains in the store,
 * which cannot have changed while LMDB's last transaction id has not.
 */

typedef struct {
    MDB_env                        *env;
    size_t                          txnid;
    ngx_uint_t                      repr;
    size_t                          key_len;
    size_t                          body_len;
    u_char                          key[NGX_HTTP_MOBILITY_AD_CACHE_KEY];
    u_char                          body[NGX_HTTP_MOBILITY_AD_CACHE_BODY];
} ngx_http_mobility_ad_cached_t;


typedef struct {
    ngx_uint_t                      next;
    ngx_http_mobility_ad_cached_t   slot[NGX_HTTP_MOBILITY_AD_CACHE_SLOTS];
} ngx_http_mobility_ad_cache_t;


typedef struct {
    ngx_flag_t                      enabled;
    ngx_str_t                       xframe;       /* the rendered page */
    ngx_http_mobility_ad_cache_t   *cache;
} ngx_http_mobility_autodiscover_loc_conf_t;


/* what one request is about; lives on the handler's stack */

typedef struct {
    ngx_uint_t                      resource;
    ngx_uint_t                      repr;
    ngx_uint_t                      access;
    ngx_str_t                       base;         /* of "access"       */
    ngx_str_t                       domain;       /* canonical or ""   */
    ngx_str_t                       odq;          /* "originalDomain=.." */
    ngx_str_t                       site;         /* the user's, or ""  */
    const char                     *error;        /* why a 400         */
    u_char                         *key;          /* cache key or NULL */
    size_t                          key_len;
    size_t                          txnid;
    unsigned                        domain_named:1;
    unsigned                        domain_bad:1;
    unsigned                        domain_from_host:1;
    u_char                          odq_buf[sizeof("originalDomain=") - 1
                                            + NGX_MOBILITY_DOMAIN_MAX + 1];
    u_char                          key_buf[NGX_HTTP_MOBILITY_AD_CACHE_KEY];
} ngx_http_mobility_ad_req_t;


static ngx_int_t ngx_http_mobility_autodiscover_handler(
    ngx_http_request_t *r);
static ngx_uint_t ngx_http_mobility_ad_route(ngx_str_t *uri);
static ngx_int_t ngx_http_mobility_ad_params(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad);
static ngx_int_t ngx_http_mobility_ad_decode(ngx_str_t *raw, u_char *buf,
    ngx_str_t *value);
static ngx_int_t ngx_http_mobility_ad_utf8(u_char *p, size_t len);
static void ngx_http_mobility_ad_set_domain(ngx_http_mobility_ad_req_t *ad,
    u_char *name, size_t len);
static ngx_int_t ngx_http_mobility_ad_served(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad);
static ngx_int_t ngx_http_mobility_ad_root(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad);
static ngx_int_t ngx_http_mobility_ad_user(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad);
static ngx_int_t ngx_http_mobility_ad_domain(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad);
static ngx_int_t ngx_http_mobility_ad_topology(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_mobility_ad_doc_t *doc);
static ngx_int_t ngx_http_mobility_ad_https_redirect(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, const char *path);
static ngx_int_t ngx_http_mobility_ad_redirect(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, const char *self, ngx_str_t *to,
    ngx_str_t *query);
static ngx_int_t ngx_http_mobility_ad_link(ngx_http_request_t *r,
    ngx_mobility_ad_doc_t *doc, const char *token, const char *rel,
    ngx_str_t *base, const char *path, ngx_str_t *query);
static ngx_int_t ngx_http_mobility_ad_concat(ngx_http_request_t *r,
    ngx_str_t *out, ngx_str_t *base, const char *path, ngx_str_t *query);
static ngx_http_mobility_ad_cached_t *ngx_http_mobility_ad_cache_find(
    ngx_http_request_t *r, ngx_http_mobility_ad_req_t *ad);
static void ngx_http_mobility_ad_cache_put(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_str_t *body);
static ngx_int_t ngx_http_mobility_ad_send_doc(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_mobility_ad_doc_t *doc);
static ngx_int_t ngx_http_mobility_ad_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *subcode,
    const char *message);
static ngx_int_t ngx_http_mobility_ad_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, u_char *body, size_t len);

static void *ngx_http_mobility_autodiscover_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_autodiscover_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_mobility_autodiscover(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_mobility_autodiscover_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_mobility_autodiscover_commands[] = {

    { ngx_string("mobility_autodiscover"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mobility_autodiscover,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mobility_autodiscover_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_mobility_autodiscover_init,   /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mobility_autodiscover_create_loc_conf,
                                           /* create location configuration */
    ngx_http_mobility_autodiscover_merge_loc_conf
                                           /* merge location configuration */
};


ngx_module_t  ngx_http_mobility_autodiscover_module = {
    NGX_MODULE_V1,
    &ngx_http_mobility_autodiscover_module_ctx, /* module context */
    ngx_http_mobility_autodiscover_commands,    /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_mobility_ad_route_t  ngx_http_mobility_ad_routes[] = {

    { ngx_string("/"), NGX_HTTP_MOBILITY_AD_R_ROOT },

    { ngx_string("/autodiscover/autodiscoverservice.svc/root"),
      NGX_HTTP_MOBILITY_AD_R_ROOT },

    { ngx_string("/autodiscover/autodiscoverservice.svc/root/user"),
      NGX_HTTP_MOBILITY_AD_R_USER },

    { ngx_string("/autodiscover/autodiscoverservice.svc/root/oauth/user"),
      NGX_HTTP_MOBILITY_AD_R_OAUTH_USER },

    { ngx_string("/autodiscover/autodiscoverservice.svc/root/domain"),
      NGX_HTTP_MOBILITY_AD_R_DOMAIN },

    { ngx_string("/autodiscover/autodiscoverservice.svc/root/xframe"),
      NGX_HTTP_MOBILITY_AD_R_XFRAME },

    { ngx_string("/autodiscover/xframe/xframe.html"),
      NGX_HTTP_MOBILITY_AD_R_XFRAME },

    { ngx_string("/xframe"), NGX_HTTP_MOBILITY_AD_R_XFRAME },

    { ngx_null_string, NGX_HTTP_MOBILITY_AD_R_NONE }
};


static ngx_str_t  ngx_http_mobility_ad_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_mobility_ad_html_type =
    ngx_string("text/html; charset=utf-8");
static ngx_str_t  ngx_http_mobility_ad_nosniff = ngx_string("nosniff");
static ngx_str_t  ngx_http_mobility_ad_allow = ngx_string("GET, HEAD");


static ngx_int_t
ngx_http_mobility_autodiscover_handler(ngx_http_request_t *r)
{
    ngx_int_t                                   rc;
    ngx_http_mobility_ad_req_t                  ad;
    ngx_http_mobility_ad_cached_t              *cached;
    ngx_http_mobility_autodiscover_loc_conf_t  *alcf;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {

        if (ngx_http_mobility_add_header(r, "Allow",
                                         &ngx_http_mobility_ad_allow)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mobility_ad_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                               "MethodNotAllowed", NULL,
                                               "Only GET and HEAD are "
                                               "allowed on this resource.");
    }

    /* a root answered before for the very same request */

    ad.key = ad.key_buf;
    ngx_str_null(&ad.site);

    cached = ngx_http_mobility_ad_cache_find(r, &ad);

    if (cached) {
        return ngx_http_mobility_ad_send(r, NGX_HTTP_OK,
                                 &ngx_mobility_ad_content_types[cached->repr],
                                 cached->body, cached->body_len);
    }

    ad.resource = ngx_http_mobility_ad_route(&r->uri);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mobility autodiscover: \"%V\" resource %ui",
                   &r->uri, ad.resource);

    if (ad.resource != NGX_HTTP_MOBILITY_AD_R_ROOT) {
        ad.key = NULL;
    }

    if (ad.resource == NGX_HTTP_MOBILITY_AD_R_NONE) {
        return ngx_http_mobility_ad_send(r, NGX_HTTP_NOT_FOUND, NULL,
                                         NULL, 0);
    }

    if (ad.resource == NGX_HTTP_MOBILITY_AD_R_XFRAME) {
        alcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_mobility_autodiscover_module);

        return ngx_http_mobility_ad_send(r, NGX_HTTP_OK,
                                         &ngx_http_mobility_ad_html_type,
                                         alcf->xframe.data, alcf->xframe.len);
    }

    ad.repr = ngx_mobility_ad_negotiate(r->headers_in.accept
                                        ? &r->headers_in.accept->value
                                        : NULL);

    if (ngx_http_mobility_ad_params(r, &ad) != NGX_OK) {
        return ngx_http_mobility_ad_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "BadRequest",
                                               "ParameterValidationFailure",
                                               ad.error);
    }

    ad.access = ngx_http_mobility_access(r);

    if (ngx_http_mobility_web_base(r, ad.access, &ad.base) != NGX_OK) {
        return ngx_http_mobility_ad_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "ServiceFailure", NULL,
                                          "The web services URL is not "
                                          "configured.");
    }

    switch (ad.resource) {

    case NGX_HTTP_MOBILITY_AD_R_ROOT:
        return ngx_http_mobility_ad_root(r, &ad);

    case NGX_HTTP_MOBILITY_AD_R_DOMAIN:
        return ngx_http_mobility_ad_domain(r, &ad);

    default: /* NGX_HTTP_MOBILITY_AD_R_USER, ..._R_OAUTH_USER */
        return ngx_http_mobility_ad_user(r, &ad);
    }
}


static ngx_uint_t
ngx_http_mobility_ad_route(ngx_str_t *uri)
{
    size_t                         len;
    ngx_http_mobility_ad_route_t  *route;

    len = uri->len;

    /* ".../root/" is ".../root" */

    if (len > 1 && uri->data[len - 1] == '/') {
        len--;
    }

    for (route = ngx_http_mobility_ad_routes; route->path.len; route++) {
        if (route->path.len == len
            && ngx_strncasecmp(route->path.data, uri->data, len) == 0)
        {
            return route->resource;
        }
    }

    return NGX_HTTP_MOBILITY_AD_R_NONE;
}


/*
 * The SIP domain of the request: that of "sipuri" (with or without
 * "sip:"), else "originalDomain", else the Host's "lyncdiscover." or
 * "lyncdiscoverinternal." suffix.  NGX_ERROR (ad->error says why) for a
 * parameter too long, not UTF-8 or holding control characters.
 */

static ngx_int_t
ngx_http_mobility_ad_params(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    u_char     *p, *at, *last, *amp, *eq;
    u_char      buf[NGX_HTTP_MOBILITY_AD_PARAM_MAX * 3];
    size_t      len;
    ngx_str_t   sipuri, domain, value, *host;

    ngx_str_null(&ad->domain);
    ngx_str_null(&ad->odq);
    ad->domain_named = 0;
    ad->domain_bad = 0;
    ad->domain_from_host = 0;

    /* the first "sipuri" and "originalDomain", names case-insensitive */

    sipuri.data = NULL;
    domain.data = NULL;

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');

        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (eq) {
            len = eq - p;

            if (len == sizeof("sipuri") - 1 && sipuri.data == NULL
                && ngx_strncasecmp(p, (u_char *) "sipuri", len) == 0)
            {
                sipuri.data = eq + 1;
                sipuri.len = amp - (eq + 1);

            } else if (len == sizeof("originalDomain") - 1
                       && domain.data == NULL
                       && ngx_strncasecmp(p, (u_char *) "originalDomain", len)
                          == 0)
            {
                domain.data = eq + 1;
                domain.len = amp - (eq + 1);
            }
        }

        p = amp + 1;
    }

    if (sipuri.data) {

        if (ngx_http_mobility_ad_decode(&sipuri, buf, &value) != NGX_OK) {
            ad->error = "The sipuri parameter is invalid.";
            return NGX_ERROR;
        }

        p = value.data;
        len = value.len;

        if (len >= 4 && ngx_strncasecmp(p, (u_char *) "sip:", 4) == 0) {
            p += 4;
            len -= 4;
        }

        for (at = p + len; at > p; at--) {
            if (at[-1] == '@') {
                break;
            }
        }

        if (at > p) {
            ngx_http_mobility_ad_set_domain(ad, at, p + len - at);
            return NGX_OK;
        }
    }

    if (domain.data) {

        if (ngx_http_mobility_ad_decode(&domain, buf, &value) != NGX_OK) {
            ad->error = "The originalDomain parameter is invalid.";
            return NGX_ERROR;
        }

        if (value.len) {
            ngx_http_mobility_ad_set_domain(ad, value.data, value.len);
            return NGX_OK;
        }
    }

    host = &r->headers_in.server;

    if (host->len > sizeof("lyncdiscoverinternal.") - 1
        && ngx_strncasecmp(host->data, (u_char *) "lyncdiscoverinternal.",
                           sizeof("lyncdiscoverinternal.") - 1)
           == 0)
    {
        len = sizeof("lyncdiscoverinternal.") - 1;
        ngx_http_mobility_ad_set_domain(ad, host->data + len, host->len - len);
        ad->domain_from_host = 1;

    } else if (host->len > sizeof("lyncdiscover.") - 1
               && ngx_strncasecmp(host->data, (u_char *) "lyncdiscover.",
                                  sizeof("lyncdiscover.") - 1)
                  == 0)
    {
        len = sizeof("lyncdiscover.") - 1;
        ngx_http_mobility_ad_set_domain(ad, host->data + len, host->len - len);
        ad->domain_from_host = 1;
    }

    return NGX_OK;
}


/* percent-decodes a parameter into buf: NGX_ERROR if too long, not UTF-8
 * or holding control characters */

static ngx_int_t
ngx_http_mobility_ad_decode(ngx_str_t *raw, u_char *buf, ngx_str_t *value)
{
    u_char  *src, *dst;

    if (raw->len > NGX_HTTP_MOBILITY_AD_PARAM_MAX * 3) {
        return NGX_ERROR;
    }

    src = raw->data;
    dst = buf;

    ngx_unescape_uri(&dst, &src, raw->len, 0);

    value->data = buf;
    value->len = dst - buf;

    if (value->len > NGX_HTTP_MOBILITY_AD_PARAM_MAX
        || ngx_http_mobility_ad_utf8(value->data, value->len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* strict UTF-8 (no overlongs, surrogates or controls) */

static ngx_int_t
ngx_http_mobility_ad_utf8(u_char *p, size_t len)
{
    u_char    *last;
    uint32_t   c, min;
    size_t     n;

    last = p + len;

    while (p < last) {
        c = *p++;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                return NGX_ERROR;
            }

            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            c &= 0x1f;
            n = 1;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            c &= 0x0f;
            n = 2;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            c &= 0x07;
            n = 3;
            min = 0x10000;

        } else {
            return NGX_ERROR;
        }

        if ((size_t) (last - p) < n) {
            return NGX_ERROR;
        }

        while (n--) {
            if ((*p & 0xc0) != 0x80) {
                return NGX_ERROR;
            }

            c = (c << 6) | (*p++ & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_mobility_ad_set_domain(ngx_http_mobility_ad_req_t *ad, u_char *name,
    size_t len)
{
    int      n;
    u_char  *p;

    ad->domain_named = 1;

    p = ngx_cpymem(ad->odq_buf, "originalDomain=",
                   sizeof("originalDomain=") - 1);

    n = ngx_mobility_domain_canon(name, len, p);

    if (n < 0) {
        ad->domain_bad = 1;
        return;
    }

    ad->domain.data = p;
    ad->domain.len = n;

    ad->odq.data = ad->odq_buf;
    ad->odq.len = p + n - ad->odq_buf;
}


/* NGX_OK: served here, NGX_DECLINED: not, NGX_ERROR: store failure */

static ngx_int_t
ngx_http_mobility_ad_served(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    int                    rc;
    MDB_txn               *txn;
    ngx_mobility_store_t  *st;

    if (ad->domain_bad) {
        return NGX_DECLINED;
    }

    st = ngx_mobility_store_current();

    if (st == NULL || ngx_mobility_store_begin(st, &txn, 0) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mobility autodiscover: %s",
                      st ? st->err : "the store is not open");
        return NGX_ERROR;
    }

    rc = ngx_mobility_domain_exists(st, txn, ad->domain.data, ad->domain.len);

    mdb_txn_abort(txn);

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mobility autodiscover: %s", st->err);
        return NGX_ERROR;
    }

    return (rc == NGX_MOBILITY_OK) ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_mobility_ad_root(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    ngx_int_t                       rc;
    ngx_mobility_ad_doc_t           doc;
    ngx_http_mobility_main_conf_t  *mmcf;

    if (!ngx_http_mobility_is_https(r)) {
        return ngx_http_mobility_ad_https_redirect(r, ad,
                                                   NGX_HTTP_MOBILITY_AD_ROOT);
    }

    if (ad->domain_named) {
        rc = ngx_http_mobility_ad_served(r, ad);

        if (rc == NGX_ERROR) {
            return ngx_http_mobility_ad_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "ServiceFailure", NULL,
                                          "The directory is unavailable.");
        }

        if (rc == NGX_DECLINED) {
            mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "mobility autodiscover: domain \"%V\" "
                           "not served here", &ad->domain);

            if (mmcf->hosting_provider.len == 0) {
                return ngx_http_mobility_ad_send(r, NGX_HTTP_NOT_FOUND, NULL,
                                                 NULL, 0);
            }

            return ngx_http_mobility_ad_redirect(r, ad,
                                                 NGX_HTTP_MOBILITY_AD_ROOT,
                                                 &mmcf->hosting_provider,
                                                 &ad->odq);
        }
    }

    ngx_memzero(&doc, sizeof(ngx_mobility_ad_doc_t));

    doc.resource = NGX_MOBILITY_AD_ROOT;
    doc.access = ad->access;

    if (ngx_http_mobility_ad_link(r, &doc, "Domain", NULL, &ad->base,
                                  NGX_HTTP_MOBILITY_AD_ROOT "/domain",
                                  &ad->odq)
        != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "User", NULL, &ad->base,
                                     NGX_HTTP_MOBILITY_AD_ROOT "/user",
                                     &ad->odq)
           != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "Self", "self", &ad->base,
                                     NGX_HTTP_MOBILITY_AD_ROOT, &ad->odq)
           != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "OAuth", "user", &ad->base,
                                     NGX_HTTP_MOBILITY_AD_ROOT "/oauth/user",
                                     &ad->odq)
           != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "XFrame", "xframe", &ad->base,
                                     "/Autodiscover/XFrame/XFrame.html", NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc.self = doc.links[2].href;

    return ngx_http_mobility_ad_send_doc(r, ad, &doc);
}


static ngx_int_t
ngx_http_mobility_ad_user(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    int                            rc;
    u_char                        *at;
    size_t                         len;
    MDB_txn                       *txn;
    ngx_int_t                      auth;
    ngx_str_t                      pool, odq;
    const char                    *self;
    ngx_uint_t                     sources;
    ngx_mobility_user_t            u;
    ngx_mobility_store_t          *st;
    ngx_mobility_ad_doc_t          doc;
    ngx_http_mobility_pool_t      *home;
    ngx_http_mobility_identity_t  *id;

    if (ad->resource == NGX_HTTP_MOBILITY_AD_R_USER) {
        self = NGX_HTTP_MOBILITY_AD_ROOT "/user";
        sources = NGX_HTTP_MOBILITY_AUTH_BEARER
                  |NGX_HTTP_MOBILITY_AUTH_WEBTICKET;

    } else {
        self = NGX_HTTP_MOBILITY_AD_ROOT "/oauth/user";
        sources = NGX_HTTP_MOBILITY_AUTH_BEARER;
    }

    /* no credentials over plain HTTP: send the client to HTTPS first */

    if (!ngx_http_mobility_is_https(r)) {
        return ngx_http_mobility_ad_https_redirect(r, ad, self);
    }

    auth = ngx_http_mobility_authenticate(r, sources, &id);

    if (auth == NGX_DECLINED) {
        if (ngx_http_mobility_add_header(r, "X-Content-Type-Options",
                                         &ngx_http_mobility_ad_nosniff)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mobility_send_challenge(r);
    }

    if (auth != NGX_OK) {
        return ngx_http_mobility_ad_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "ServiceFailure", NULL,
                                          "The directory is unavailable.");
    }

    /* where the user is homed */

    st = ngx_mobility_store_current();

    if (st == NULL || ngx_mobility_store_begin(st, &txn, 0) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mobility autodiscover: %s",
                      st ? st->err : "the store is not open");

        return ngx_http_mobility_ad_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "ServiceFailure", NULL,
                                          "The directory is unavailable.");
    }

    rc = ngx_mobility_user_get(st, txn, id->sip, id->sip_len, &u);

    ngx_str_null(&pool);

    if (rc == NGX_MOBILITY_OK && u.site.len) {
        ad->site.data = ngx_pnalloc(r->pool, u.site.len);
        if (ad->site.data == NULL) {
            mdb_txn_abort(txn);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ad->site.len = u.site.len;
        ngx_memcpy(ad->site.data, u.site.data, u.site.len);
    }

    if (rc == NGX_MOBILITY_OK && u.pool.len) {
        pool.data = ngx_pnalloc(r->pool, u.pool.len);
        if (pool.data == NULL) {
            mdb_txn_abort(txn);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        pool.len = u.pool.len;
        ngx_memcpy(pool.data, u.pool.data, u.pool.len);
    }

    mdb_txn_abort(txn);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility autodiscover: \"%*s\" has a valid token "
                      "but is not in the directory", id->sip_len, id->sip);

        return ngx_http_mobility_ad_send(r, NGX_HTTP_NOT_FOUND, NULL,
                                         NULL, 0);
    }

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "mobility autodiscover: %s", st->err);

        return ngx_http_mobility_ad_send_error(r,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "ServiceFailure", NULL,
                                          "The directory is unavailable.");
    }

    if (pool.len && !ngx_http_mobility_pool_is_local(r, &pool)) {

        home = ngx_http_mobility_pool(r, &pool);

        if (home == NULL) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "mobility autodiscover: \"%*s\" is homed in "
                          "the unknown pool \"%V\"",
                          id->sip_len, id->sip, &pool);

            return ngx_http_mobility_ad_send_error(r, NGX_HTTP_MOBILITY_AD_GONE,
                                          "Gone", "CannotRedirect",
                                          "The user's home pool is not "
                                          "known here.");
        }

        /* the redirect carries the user's SIP domain along */

        at = ngx_strlchr(id->sip, id->sip + id->sip_len, '@');

        ngx_str_null(&odq);

        if (at) {
            len = id->sip + id->sip_len - (at + 1);

            odq.data = ngx_pnalloc(r->pool,
                                   sizeof("originalDomain=") - 1 + len);
            if (odq.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            odq.len = ngx_sprintf(odq.data, "originalDomain=%*s", len, at + 1)
                      - odq.data;
        }

        return ngx_http_mobility_ad_redirect(r, ad, self, &home->autodiscover,
                                             &odq);
    }

    ngx_memzero(&doc, sizeof(ngx_mobility_ad_doc_t));

    doc.resource = NGX_MOBILITY_AD_USER;

    /* HAL: self, applications, xframe */

    if (ngx_http_mobility_ad_link(r, &doc, NULL, "applications", &ad->base,
                                  "/ucwa/oauth/v1/applications", NULL)
        != NGX_OK
        || ngx_http_mobility_ad_topology(r, ad, &doc) != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "Self", "self", &ad->base,
                                     self, &ad->odq)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc.self = doc.links[doc.nlinks - 1].href;

    return ngx_http_mobility_ad_send_doc(r, ad, &doc);
}


/* anonymous: the pool's topology, whether the domain is served or not */

static ngx_int_t
ngx_http_mobility_ad_domain(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    ngx_mobility_ad_doc_t  doc;

    ngx_memzero(&doc, sizeof(ngx_mobility_ad_doc_t));

    doc.resource = NGX_MOBILITY_AD_DOMAIN;

    /* HAL: self, user, xframe */

    if (ngx_http_mobility_ad_link(r, &doc, NULL, "user", &ad->base,
                                  NGX_HTTP_MOBILITY_AD_ROOT "/oauth/user",
                                  &ad->odq)
        != NGX_OK
        || ngx_http_mobility_ad_topology(r, ad, &doc) != NGX_OK
        || ngx_http_mobility_ad_link(r, &doc, "Self", "self", &ad->base,
                                     NGX_HTTP_MOBILITY_AD_ROOT "/domain",
                                     &ad->odq)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc.self = doc.links[doc.nlinks - 1].href;

    return ngx_http_mobility_ad_send_doc(r, ad, &doc);
}


/*
 * ExposedWebURL: the effective CsMcxConfiguration of the user's site (or
 * global) in the store, set with Set-CsMcxConfiguration; when it was
 * never set, mobility_mcx_exposure of nginx.conf.
 */

static ngx_uint_t
ngx_http_mobility_ad_mcx_exposure(ngx_http_request_t *r, ngx_str_t *site)
{
    int                            configured, rc;
    MDB_txn                       *txn;
    ngx_mobility_store_t          *st;
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    st = ngx_mobility_store_current();

    if (st == NULL || ngx_mobility_store_begin(st, &txn, 0) != 0) {
        return mlcf->mcx_exposure;
    }

    configured = 0;
    rc = ngx_mobility_mcx_exposed_web_url(st, txn, site->data, site->len,
                                          &configured);
    mdb_txn_abort(txn);

    if (rc < 0 || !configured) {
        return mlcf->mcx_exposure;
    }

    return (rc == NGX_MOBILITY_MCX_INTERNAL) ? NGX_HTTP_MOBILITY_INTERNAL
                                             : NGX_HTTP_MOBILITY_EXTERNAL;
}


/*
 * The links of the user and domain documents: Internal/... on the
 * internal web base, External/... on the external one, unprefixed ones
 * on the base of the request's own access location.  Mcx exposed
 * "external" points at the external base from both sides.
 */

static ngx_int_t
ngx_http_mobility_ad_topology(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_mobility_ad_doc_t *doc)
{
    ngx_str_t                      bases[2], *base, *mcx;
    ngx_uint_t                     i, exposure;
    ngx_http_mobility_loc_conf_t  *mlcf;

    static const char  *tokens[3][6] = {
        { "Internal/Autodiscover", "Internal/AuthBroker",
          "Internal/WebScheduler", "Internal/Mcx", "Internal/Ucwa",
          "Internal/XFrame" },
        { "External/Autodiscover", "External/AuthBroker",
          "External/WebScheduler", "External/Mcx", "External/Ucwa",
          "External/XFrame" },
        { "Autodiscover", "AuthBroker", "WebScheduler", "Mcx", "Ucwa",
          "XFrame" }
    };

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    doc->access = ad->access;

    if (mlcf->sip_internal.host.len) {
        doc->sip_internal = &mlcf->sip_internal;
    }

    if (mlcf->sip_external.host.len) {
        doc->sip_external = &mlcf->sip_external;
    }

    if (ngx_http_mobility_web_base(r, NGX_HTTP_MOBILITY_INTERNAL, &bases[0])
        != NGX_OK
        || ngx_http_mobility_web_base(r, NGX_HTTP_MOBILITY_EXTERNAL,
                                      &bases[1])
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    exposure = ngx_http_mobility_ad_mcx_exposure(r, &ad->site);

    for (i = 0; i < 3; i++) {
        base = (i < 2) ? &bases[i] : &ad->base;

        if (exposure == NGX_HTTP_MOBILITY_INTERNAL) {
            mcx = base;

        } else {
            mcx = &bases[1];
        }

        if (ngx_http_mobility_ad_link(r, doc, tokens[i][0], NULL, base,
                                      NGX_HTTP_MOBILITY_AD_ROOT, NULL)
            != NGX_OK
            || ngx_http_mobility_ad_link(r, doc, tokens[i][1], NULL, base,
                                         "/Reach/sip.svc", NULL)
               != NGX_OK
            || ngx_http_mobility_ad_link(r, doc, tokens[i][2], NULL, base,
                                         "/Scheduler", NULL)
               != NGX_OK
            || ngx_http_mobility_ad_link(r, doc, tokens[i][3], NULL, mcx,
                                         "/Mcx/McxService.svc", NULL)
               != NGX_OK
            || ngx_http_mobility_ad_link(r, doc, tokens[i][4], NULL, base,
                                         "/ucwa/v1/applications", NULL)
               != NGX_OK
            || ngx_http_mobility_ad_link(r, doc, tokens[i][5],
                                         (i == 2) ? "xframe" : NULL, base,
                                         "/Autodiscover/XFrame/XFrame.html",
                                         NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Plain HTTP: 200 and a Redirect to the HTTPS twin, query kept; a SIP
 * domain known from the lyncdiscover Host name only goes along as
 * originalDomain, the next host having another name.
 */

static ngx_int_t
ngx_http_mobility_ad_https_redirect(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, const char *path)
{
    u_char     *p;
    ngx_str_t   to, query;

    if (ngx_http_mobility_ad_concat(r, &to, &ad->base, path, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    query = r->args;

    if (ad->domain_from_host && ad->odq.len) {
        query.len = r->args.len + 1 + ad->odq.len;

        query.data = ngx_pnalloc(r->pool, query.len);
        if (query.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(query.data, r->args.data, r->args.len);

        if (r->args.len) {
            *p++ = '&';

        } else {
            query.len--;
        }

        ngx_memcpy(p, ad->odq.data, ad->odq.len);
    }

    return ngx_http_mobility_ad_redirect(r, ad, path, &to, &query);
}


/*
 * Sends the document of the requested resource holding only a Redirect
 * link to "to", with "query" (without "?") appended to it.
 */

static ngx_int_t
ngx_http_mobility_ad_redirect(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, const char *self, ngx_str_t *to,
    ngx_str_t *query)
{
    ngx_mobility_ad_doc_t  doc;

    ngx_memzero(&doc, sizeof(ngx_mobility_ad_doc_t));

    if (ngx_http_mobility_ad_concat(r, &doc.links[0].href, to, "", query)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc.resource = (ad->resource == NGX_HTTP_MOBILITY_AD_R_ROOT)
                   ? NGX_MOBILITY_AD_ROOT : NGX_MOBILITY_AD_USER;
    doc.access = ad->access;

    if (ngx_http_mobility_ad_concat(r, &doc.self, &ad->base, self, &ad->odq)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    doc.links[0].token = "Redirect";
    doc.links[0].rel = "redirect";
    doc.nlinks = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mobility autodiscover: redirect to \"%V\"",
                   &doc.links[0].href);

    return ngx_http_mobility_ad_send_doc(r, ad, &doc);
}


static ngx_int_t
ngx_http_mobility_ad_link(ngx_http_request_t *r, ngx_mobility_ad_doc_t *doc,
    const char *token, const char *rel, ngx_str_t *base, const char *path,
    ngx_str_t *query)
{
    ngx_mobility_ad_link_t  *link;

    if (doc->nlinks == NGX_MOBILITY_AD_LINKS_MAX) {
        return NGX_ERROR;
    }

    link = &doc->links[doc->nlinks];

    if (ngx_http_mobility_ad_concat(r, &link->href, base, path, query)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    link->token = token;
    link->rel = rel;

    doc->nlinks++;

    return NGX_OK;
}


/*
 * base + path + "?" + query (or "&" when base + path has a query), NUL-
 * terminated for libxml2.  Bytes of the query that may not appear in a
 * URL as such are percent-encoded; the escapes it has are kept.
 */

static ngx_int_t
ngx_http_mobility_ad_concat(ngx_http_request_t *r, ngx_str_t *out,
    ngx_str_t *base, const char *path, ngx_str_t *query)
{
    u_char      c, *p, *s, *last;
    size_t      len;
    ngx_uint_t  n;

    static u_char  hex[] = "0123456789ABCDEF";

    len = ngx_strlen(path);

    out->len = base->len + len;

    n = 0;

    if (query && query->len) {
        last = query->data + query->len;

        for (s = query->data; s < last; s++) {
            if (ngx_http_mobility_ad_unsafe(*s)) {
                n++;
            }
        }

        out->len += 1 + query->len + 2 * n;
    }

    out->data = ngx_pnalloc(r->pool, out->len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(out->data, base->data, base->len);
    p = ngx_cpymem(p, path, len);

    if (query && query->len) {
        *p = (ngx_strlchr(out->data, p, '?') != NULL) ? '&' : '?';
        p++;

        last = query->data + query->len;

        for (s = query->data; s < last; s++) {
            c = *s;

            if (ngx_http_mobility_ad_unsafe(c)) {
                *p++ = '%';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 0xf];

            } else {
                *p++ = c;
            }
        }
    }

    *p = '\0';

    return NGX_OK;
}


/*
 * Builds the key of the request into ad->key (NULL when the request is
 * too large to cache) and returns the fresh entry for it, if any.
 */

static ngx_http_mobility_ad_cached_t *
ngx_http_mobility_ad_cache_find(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad)
{
    u_char                                     *p;
    size_t                                      len;
    ngx_str_t                                  *accept, *host;
    ngx_uint_t                                  i;
    MDB_envinfo                                 info;
    ngx_mobility_store_t                       *st;
    ngx_http_mobility_ad_cached_t              *c;
    ngx_http_mobility_autodiscover_loc_conf_t  *alcf;

    static ngx_str_t  none = ngx_null_string;

    alcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_mobility_autodiscover_module);

    st = ngx_mobility_store_current();

    if (alcf->cache == NULL || st == NULL
        || mdb_env_info(st->env, &info) != 0)
    {
        ad->key = NULL;
        return NULL;
    }

    /* read before the store is: an entry never outlives its snapshot */

    ad->txnid = info.me_last_txnid;

    accept = r->headers_in.accept ? &r->headers_in.accept->value : &none;
    host = &r->headers_in.server;

    len = 1 + 2 + r->uri.len + 2 + accept->len + 2 + host->len
          + r->args.len;

    if (len > NGX_HTTP_MOBILITY_AD_CACHE_KEY) {
        ad->key = NULL;
        return NULL;
    }

    p = ad->key;

    *p++ = (u_char) ngx_http_mobility_is_https(r);

    *p++ = (u_char) (r->uri.len >> 8);
    *p++ = (u_char) r->uri.len;
    p = ngx_cpymem(p, r->uri.data, r->uri.len);

    *p++ = (u_char) (accept->len >> 8);
    *p++ = (u_char) accept->len;
    p = ngx_cpymem(p, accept->data, accept->len);

    *p++ = (u_char) (host->len >> 8);
    *p++ = (u_char) host->len;
    p = ngx_cpymem(p, host->data, host->len);

    p = ngx_cpymem(p, r->args.data, r->args.len);

    ad->key_len = len;

    for (i = 0; i < NGX_HTTP_MOBILITY_AD_CACHE_SLOTS; i++) {
        c = &alcf->cache->slot[i];

        if (c->key_len == len && ngx_memcmp(c->key, ad->key, len) == 0) {
            return (c->env == st->env && c->txnid == ad->txnid) ? c : NULL;
        }
    }

    return NULL;
}


static void
ngx_http_mobility_ad_cache_put(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_str_t *body)
{
    ngx_uint_t                                  i;
    ngx_http_mobility_ad_cache_t               *cache;
    ngx_http_mobility_ad_cached_t              *c;
    ngx_http_mobility_autodiscover_loc_conf_t  *alcf;

    if (ad->key == NULL || body->len > NGX_HTTP_MOBILITY_AD_CACHE_BODY) {
        return;
    }

    alcf = ngx_http_get_module_loc_conf(r,
                                        ngx_http_mobility_autodiscover_module);

    cache = alcf->cache;

    for (i = 0; i < NGX_HTTP_MOBILITY_AD_CACHE_SLOTS; i++) {
        c = &cache->slot[i];

        if (c->key_len == ad->key_len
            && ngx_memcmp(c->key, ad->key, ad->key_len) == 0)
        {
            goto found;
        }
    }

    c = &cache->slot[cache->next];
    cache->next = (cache->next + 1) % NGX_HTTP_MOBILITY_AD_CACHE_SLOTS;

found:

    c->env = ngx_mobility_store_current()->env;
    c->txnid = ad->txnid;
    c->repr = ad->repr;
    c->key_len = ad->key_len;
    c->body_len = body->len;

    ngx_memcpy(c->key, ad->key, ad->key_len);
    ngx_memcpy(c->body, body->data, body->len);
}


static ngx_int_t
ngx_http_mobility_ad_send_doc(ngx_http_request_t *r,
    ngx_http_mobility_ad_req_t *ad, ngx_mobility_ad_doc_t *doc)
{
    ngx_str_t  body;

    if (ngx_mobility_ad_render(doc, ad->repr, r->pool, r->connection->log,
                               &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* only roots carry a key: see the handler */

    ngx_http_mobility_ad_cache_put(r, ad, &body);

    return ngx_http_mobility_ad_send(r, NGX_HTTP_OK,
                                     &ngx_mobility_ad_content_types[ad->repr],
                                     body.data, body.len);
}


/* a UCWA error: {"code":..,"subcode":..,"message":..} */

static ngx_int_t
ngx_http_mobility_ad_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *subcode, const char *message)
{
    u_char  *p, *body;
    size_t   len;

    len = sizeof("{\"code\":\"\",\"message\":\"\"}") - 1
          + ngx_strlen(code) + ngx_strlen(message);

    if (subcode) {
        len += sizeof(",\"subcode\":\"\"") - 1 + ngx_strlen(subcode);
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the strings are constants: nothing to escape */

    p = ngx_sprintf(body, "{\"code\":\"%s\"", code);

    if (subcode) {
        p = ngx_sprintf(p, ",\"subcode\":\"%s\"", subcode);
    }

    p = ngx_sprintf(p, ",\"message\":\"%s\"}", message);

    return ngx_http_mobility_ad_send(r, status, &ngx_http_mobility_ad_json_type,
                                     body, p - body);
}


static ngx_int_t
ngx_http_mobility_ad_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len)
{
    if (ngx_http_mobility_nocache_headers(r) != NGX_OK
        || ngx_http_mobility_add_header(r, "X-Content-Type-Options",
                                        &ngx_http_mobility_ad_nosniff)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mobility_send(r, status,
                                  type ? (const char *) type->data : NULL,
                                  body, len);
}


static void *
ngx_http_mobility_autodiscover_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_autodiscover_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_mobility_autodiscover_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->enabled = 0;
     *     conf->xframe = { 0, NULL };
     *     conf->cache = NULL;
     */

    return conf;
}


/*
 * The common module's configuration of the same location is merged
 * already (it comes first): the XFrame page and its allow-list are built
 * here, once.  A location without the directive (an "if" block that
 * inherits the handler) shares its parent's page and cache.
 */

static char *
ngx_http_mobility_autodiscover_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_mobility_autodiscover_loc_conf_t  *prev = parent;
    ngx_http_mobility_autodiscover_loc_conf_t  *conf = child;

    ngx_array_t                   *origins;
    ngx_http_mobility_loc_conf_t  *mlcf;

    if (!conf->enabled) {
        conf->xframe = prev->xframe;
        conf->cache = prev->cache;
        return NGX_CONF_OK;
    }

    mlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_mobility_module);

    origins = mlcf->origins;

    if (origins == NGX_CONF_UNSET_PTR) {
        origins = NULL;
    }

    if (ngx_mobility_ad_xframe_page(origins, cf->pool, cf->log, &conf->xframe)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    conf->cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_ad_cache_t));
    if (conf->cache == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_autodiscover(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mobility_autodiscover_loc_conf_t  *alcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (alcf->enabled) {
        return "is duplicate";
    }

    alcf->enabled = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mobility_autodiscover_handler;

    ngx_mobility_require_store(cf, "mobility_autodiscover");

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mobility_autodiscover_init(ngx_conf_t *cf)
{
    /* libxml2 builds the XML representations; harmless when repeated */

    xmlInitParser();

    return NGX_OK;
}
