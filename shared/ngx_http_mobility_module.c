/*
 * Copyright (C) The nginx mobility authors
 *
 * The common HTTP module: topology directives, the token service and
 * authentication (ngx_http_mobility_auth.c), $mobility_user, request
 * bodies and response helpers shared by every mobility front end.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mobility.h"
#include "ngx_http_mobility_auth.h"


static ngx_int_t ngx_http_mobility_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_mobility_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void *ngx_http_mobility_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_mobility_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_mobility_url_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_pool_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mobility_sip_access(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mobility_lockout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_mobility_body_posted(ngx_http_request_t *r);
static ngx_int_t ngx_http_mobility_init_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_mobility_access_values[] = {
    { ngx_string("external"), NGX_HTTP_MOBILITY_EXTERNAL },
    { ngx_string("internal"), NGX_HTTP_MOBILITY_INTERNAL },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_mobility_https_values[] = {
    { ngx_string("auto"), NGX_HTTP_MOBILITY_HTTPS_AUTO },
    { ngx_string("on"), NGX_HTTP_MOBILITY_HTTPS_ON },
    { ngx_string("off"), NGX_HTTP_MOBILITY_HTTPS_OFF },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_mobility_commands[] = {

    { ngx_string("mobility_web_external"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_mobility_url_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, web_external),
      NULL },

    { ngx_string("mobility_web_internal"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_mobility_url_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, web_internal),
      NULL },

    { ngx_string("mobility_access"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, access),
      &ngx_http_mobility_access_values },

    { ngx_string("mobility_https"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, https),
      &ngx_http_mobility_https_values },

    { ngx_string("mobility_sip_access"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_mobility_sip_access,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_mcx_exposure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, mcx_exposure),
      &ngx_http_mobility_access_values },

    { ngx_string("mobility_allow_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_mobility_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mobility_loc_conf_t, max_body),
      NULL },

    { ngx_string("mobility_pool_name"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_main_conf_t, pool_name),
      NULL },

    { ngx_string("mobility_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_mobility_pool_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_hosting_provider"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_mobility_url_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_main_conf_t, hosting_provider),
      NULL },

    { ngx_string("mobility_server_fqdn"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_main_conf_t, server_fqdn),
      NULL },

    { ngx_string("mobility_token_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_main_conf_t, token_lifetime),
      NULL },

    { ngx_string("mobility_signin_lockout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_mobility_lockout,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mobility_token_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mobility_module_ctx = {
    ngx_http_mobility_add_variables,       /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_mobility_create_main_conf,    /* create main configuration */
    ngx_http_mobility_init_main_conf,      /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mobility_create_loc_conf,     /* create location configuration */
    ngx_http_mobility_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_mobility_module = {
    NGX_MODULE_V1,
    &ngx_http_mobility_module_ctx,         /* module context */
    ngx_http_mobility_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_mobility_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The store is opened by the core module; what needs connections and
 * timers starts here, after the event module in static builds too.
 */
static ngx_int_t
ngx_http_mobility_init_process(ngx_cycle_t *cycle)
{
    return ngx_mobility_init_events(cycle);
}


static ngx_http_variable_t  ngx_http_mobility_vars[] = {

    { ngx_string("mobility_user"), NULL,
      ngx_http_mobility_user_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_mobility_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_mobility_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mobility_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_mobility_identity_t  *id;

    id = ngx_http_mobility_request_identity(r);

    if (id == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = id->sip;
    v->len = id->sip_len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static void *
ngx_http_mobility_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_main_conf_t  *mmcf;

    mmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_main_conf_t));
    if (mmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mmcf->pool_name = { 0, NULL };
     *     mmcf->hosting_provider = { 0, NULL };
     *     mmcf->server_fqdn = { 0, NULL };
     *     mmcf->throttle_zone = NULL;
     *     mmcf->thread_pool = NULL;
     */

    mmcf->pools = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_mobility_pool_t));
    if (mmcf->pools == NULL) {
        return NULL;
    }

    mmcf->token_lifetime = NGX_CONF_UNSET;
    mmcf->lockout_failures = NGX_CONF_UNSET_UINT;
    mmcf->lockout_address_failures = NGX_CONF_UNSET_UINT;
    mmcf->lockout_window = NGX_CONF_UNSET;

    return mmcf;
}


static char *
ngx_http_mobility_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_mobility_main_conf_t  *mmcf = conf;

    ngx_conf_init_value(mmcf->token_lifetime, 8 * 60 * 60);
    ngx_conf_init_uint_value(mmcf->lockout_failures, 10);
    ngx_conf_init_uint_value(mmcf->lockout_address_failures, 100);
    ngx_conf_init_value(mmcf->lockout_window, 15 * 60);

    if (mmcf->server_fqdn.len == 0) {
        mmcf->server_fqdn = cf->cycle->hostname;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_mobility_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_loc_conf_t));
    if (mlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mlcf->web_internal = { 0, NULL };
     *     mlcf->web_external = { 0, NULL };
     *     mlcf->sip_internal = { { 0, NULL }, 0 };
     *     mlcf->sip_external = { { 0, NULL }, 0 };
     */

    mlcf->access = NGX_CONF_UNSET_UINT;
    mlcf->https = NGX_CONF_UNSET_UINT;
    mlcf->mcx_exposure = NGX_CONF_UNSET_UINT;
    mlcf->origins = NGX_CONF_UNSET_PTR;
    mlcf->max_body = NGX_CONF_UNSET_SIZE;

    return mlcf;
}


static char *
ngx_http_mobility_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_mobility_loc_conf_t  *prev = parent;
    ngx_http_mobility_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->web_internal, prev->web_internal, "");
    ngx_conf_merge_str_value(conf->web_external, prev->web_external, "");
    ngx_conf_merge_uint_value(conf->access, prev->access,
                              NGX_HTTP_MOBILITY_EXTERNAL);
    ngx_conf_merge_uint_value(conf->https, prev->https,
                              NGX_HTTP_MOBILITY_HTTPS_AUTO);
    ngx_conf_merge_uint_value(conf->mcx_exposure, prev->mcx_exposure,
                              NGX_HTTP_MOBILITY_EXTERNAL);
    ngx_conf_merge_ptr_value(conf->origins, prev->origins, NULL);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body, 64 * 1024);

    if (conf->sip_internal.host.len == 0) {
        conf->sip_internal = prev->sip_internal;
    }

    if (conf->sip_external.host.len == 0) {
        conf->sip_external = prev->sip_external;
    }

    return NGX_CONF_OK;
}


/* an absolute http(s) URL, stored without a trailing slash */
static ngx_int_t
ngx_http_mobility_check_url(ngx_conf_t *cf, ngx_str_t *url)
{
    u_char  *p, *last;

    if (url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                        == 0)
    {
        p = url->data + 8;

    } else if (url->len > 7
               && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)
    {
        p = url->data + 7;

    } else {
        return NGX_ERROR;
    }

    last = url->data + url->len;

    if (p == last || *p == '/') {
        return NGX_ERROR;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\'
            || *p >= 0x7f)
        {
            return NGX_ERROR;
        }
    }

    while (url->len && url->data[url->len - 1] == '/') {
        url->len--;
    }

    return NGX_OK;
}


static char *
ngx_http_mobility_url_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    if (ngx_http_mobility_check_url(cf, field) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs an absolute http:// or https:// URL, "
                           "not \"%V\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_pool_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mobility_main_conf_t  *mmcf = conf;

    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_mobility_pool_t  *pool;

    value = cf->args->elts;

    pool = mmcf->pools->elts;

    for (i = 0; i < mmcf->pools->nelts; i++) {
        if (pool[i].name.len == value[1].len
            && ngx_strncasecmp(pool[i].name.data, value[1].data,
                               value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate mobility_pool \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    pool = ngx_array_push(mmcf->pools);
    if (pool == NULL) {
        return NGX_CONF_ERROR;
    }

    pool->name = value[1];
    pool->autodiscover = value[2];

    if (ngx_http_mobility_check_url(cf, &pool->autodiscover) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mobility_pool \"%V\" needs the absolute URL of "
                           "its autodiscover root, not \"%V\"",
                           &value[1], &value[2]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_sip_access(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_loc_conf_t  *mlcf = conf;

    ngx_int_t                      port;
    ngx_str_t                     *value;
    ngx_uint_t                     i;
    ngx_http_mobility_endpoint_t  *ep;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "internal") == 0) {
        ep = &mlcf->sip_internal;

    } else if (ngx_strcmp(value[1].data, "external") == 0) {
        ep = &mlcf->sip_external;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mobility_sip_access needs \"internal\" or "
                           "\"external\", not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ep->host.len) {
        return "is duplicate";
    }

    for (i = value[2].len; i > 0; i--) {
        if (value[2].data[i - 1] == ':') {
            break;
        }
    }

    port = (i > 1) ? ngx_atoi(value[2].data + i, value[2].len - i)
                   : NGX_ERROR;

    if (port < 1 || port > 65535) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mobility_sip_access needs \"host:port\", not "
                           "\"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    ep->host.data = value[2].data;
    ep->host.len = i - 1;
    ep->port = port;

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_loc_conf_t  *mlcf = conf;

    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (mlcf->origins == NGX_CONF_UNSET_PTR) {
        mlcf->origins = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (mlcf->origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        o = ngx_array_push(mlcf->origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];

        if (ngx_http_mobility_check_url(cf, o) != NGX_OK
            || ngx_strlchr(o->data + 8, o->data + o->len, '/') != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mobility_allow_origin needs an origin such "
                               "as \"https://app.contoso.com\", not \"%V\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_token_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mobility_token_handler;

    ngx_mobility_require_store(cf, "mobility_token");

    return ngx_http_mobility_auth_init_conf(cf);
}


static char *
ngx_http_mobility_lockout(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_main_conf_t  *mmcf = conf;

    time_t       t;
    ngx_int_t    n;
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "user=", 5) == 0) {
            n = ngx_atoi(value[i].data + 5, value[i].len - 5);
            if (n <= 0) {
                goto invalid;
            }

            mmcf->lockout_failures = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "address=", 8) == 0) {
            n = ngx_atoi(value[i].data + 8, value[i].len - 8);
            if (n <= 0) {
                goto invalid;
            }

            mmcf->lockout_address_failures = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "window=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            t = ngx_parse_time(&s, 1);
            if (t == (time_t) NGX_ERROR || t == 0) {
                goto invalid;
            }

            mmcf->lockout_window = t;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in mobility_signin_lockout: "
                       "expected user=<n>, address=<n> or window=<time>",
                       &value[i]);
    return NGX_CONF_ERROR;
}


ngx_uint_t
ngx_http_mobility_access(ngx_http_request_t *r)
{
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    return mlcf->access;
}


ngx_uint_t
ngx_http_mobility_is_https(ngx_http_request_t *r)
{
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    switch (mlcf->https) {
    case NGX_HTTP_MOBILITY_HTTPS_ON:
        return 1;
    case NGX_HTTP_MOBILITY_HTTPS_OFF:
        return 0;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        return 1;
    }
#endif

    return 0;
}


ngx_int_t
ngx_http_mobility_web_base(ngx_http_request_t *r, ngx_uint_t access,
    ngx_str_t *base)
{
    u_char                        *p;
    ngx_str_t                     *first, *second;
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    if (access == NGX_HTTP_MOBILITY_INTERNAL) {
        first = &mlcf->web_internal;
        second = &mlcf->web_external;

    } else {
        first = &mlcf->web_external;
        second = &mlcf->web_internal;
    }

    if (first->len) {
        *base = *first;
        return NGX_OK;
    }

    if (second->len) {
        *base = *second;
        return NGX_OK;
    }

    /* nothing configured: this host, over HTTPS */

    if (r->headers_in.server.len == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("https://") - 1
                             + r->headers_in.server.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    base->data = p;
    p = ngx_cpymem(p, "https://", sizeof("https://") - 1);
    p = ngx_cpymem(p, r->headers_in.server.data, r->headers_in.server.len);
    base->len = p - base->data;

    return NGX_OK;
}


ngx_http_mobility_pool_t *
ngx_http_mobility_pool(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t                      i;
    ngx_http_mobility_pool_t       *pool;
    ngx_http_mobility_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    pool = mmcf->pools->elts;

    for (i = 0; i < mmcf->pools->nelts; i++) {
        if (pool[i].name.len == name->len
            && ngx_strncasecmp(pool[i].name.data, name->data, name->len)
               == 0)
        {
            return &pool[i];
        }
    }

    return NULL;
}


ngx_uint_t
ngx_http_mobility_pool_is_local(ngx_http_request_t *r, ngx_str_t *pool)
{
    ngx_http_mobility_main_conf_t  *mmcf;

    if (pool->len == 0) {
        return 1;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    return mmcf->pool_name.len == pool->len
           && ngx_strncasecmp(mmcf->pool_name.data, pool->data, pool->len)
              == 0;
}


ngx_int_t
ngx_http_mobility_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return NGX_OK;
}


ngx_int_t
ngx_http_mobility_nocache_headers(ngx_http_request_t *r)
{
    ngx_http_mobility_main_conf_t  *mmcf;

    static ngx_str_t  no_cache = ngx_string("no-cache");
    static ngx_str_t  expires = ngx_string("-1");

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    if (ngx_http_mobility_add_header(r, "Cache-Control", &no_cache)
        != NGX_OK
        || ngx_http_mobility_add_header(r, "Pragma", &no_cache) != NGX_OK
        || ngx_http_mobility_add_header(r, "Expires", &expires) != NGX_OK
        || ngx_http_mobility_add_header(r, "X-MS-Server-Fqdn",
                                        &mmcf->server_fqdn)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mobility_send_body(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, u_char *body, size_t len, ngx_uint_t copy)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (content_type) {
        r->headers_out.content_type.data = (u_char *) content_type;
        r->headers_out.content_type.len = ngx_strlen(content_type);
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;
    }

    if (len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    if (copy) {
        b = ngx_create_temp_buf(r->pool, len);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->last = ngx_cpymem(b->pos, body, len);

    } else {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = body;
        b->last = body + len;
        b->start = body;
        b->end = body + len;
        b->temporary = 1;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_mobility_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, const u_char *body, size_t len)
{
    return ngx_http_mobility_send_body(r, status, content_type,
                                       (u_char *) body, len, 1);
}


ngx_int_t
ngx_http_mobility_send_pooled(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, u_char *body, size_t len)
{
    return ngx_http_mobility_send_body(r, status, content_type, body, len, 0);
}


typedef struct {
    ngx_http_mobility_body_handler_pt   handler;
} ngx_http_mobility_body_ctx_t;


ngx_int_t
ngx_http_mobility_read_body(ngx_http_request_t *r,
    ngx_http_mobility_body_handler_pt handler)
{
    ngx_int_t                      rc;
    ngx_http_mobility_ctx_t       *ctx;
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    ctx = ngx_http_mobility_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body_handler = handler;

    if (r->headers_in.content_length_n > (off_t) mlcf->max_body) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility: request body of %O bytes exceeds "
                      "mobility_max_body %uz",
                      r->headers_in.content_length_n, mlcf->max_body);

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        /* as ngx_http_read_client_request_body() would: the handler
         * finalizes, and the NGX_DONE returned below drops this count */
        r->main->count++;

        handler(r, NULL);
        return NGX_DONE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_mobility_body_posted);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_mobility_body_posted(ngx_http_request_t *r)
{
    off_t                          total;
    u_char                        *p;
    ssize_t                        n;
    ngx_buf_t                     *b;
    ngx_str_t                      body;
    ngx_chain_t                   *cl;
    ngx_http_mobility_ctx_t       *ctx;
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_module);

    ngx_str_null(&body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ctx->body_handler(r, &body);
        return;
    }

    total = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        total += ngx_buf_size(cl->buf);
    }

    if (total > (off_t) mlcf->max_body) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility: request body of %O bytes exceeds "
                      "mobility_max_body %uz", total, mlcf->max_body);
        ctx->body_handler(r, NULL);
        return;
    }

    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next == NULL && !b->in_file) {
        body.data = b->pos;
        body.len = b->last - b->pos;
        ctx->body_handler(r, &body);
        return;
    }

    /* spread over buffers or spilled to a temporary file: gather it */

    p = ngx_pnalloc(r->pool, (size_t) total + 1);
    if (p == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    body.data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                              b->file_pos);

            if (n != b->file_last - b->file_pos) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            p += n;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    body.len = p - body.data;

    ctx->body_handler(r, &body);
}


ngx_http_mobility_ctx_t *
ngx_http_mobility_get_ctx(ngx_http_request_t *r)
{
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mobility_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_mobility_module);
    }

    return ctx;
}


ngx_http_mobility_identity_t *
ngx_http_mobility_request_identity(ngx_http_request_t *r)
{
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mobility_module);

    if (ctx == NULL || !ctx->authenticated) {
        return NULL;
    }

    return &ctx->identity;
}
