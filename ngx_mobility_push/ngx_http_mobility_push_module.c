/*
 * Copyright (C) The nginx mobility authors
 *
 * ngx_http_mobility_push_module: the provider credentials, the outbound
 * TLS settings, the sender's life cycle in the workers and the status
 * location (mobility_push_status).
 */

#include "ngx_http_mobility_push.h"
#include "ngx_http_mobility.h"
#include "ngx_mobility_jose.h"

#include <jansson.h>


static void *ngx_http_mobility_push_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_push_init_main_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_mobility_push_apns(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_push_fcm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_push_webpush(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mobility_push_status(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static EVP_PKEY *ngx_http_mobility_push_key(ngx_conf_t *cf, ngx_str_t *file,
    const char *pem, size_t len);
static ngx_int_t ngx_http_mobility_push_origin(ngx_conf_t *cf,
    ngx_str_t *value, const char *directive);
static ngx_int_t ngx_http_mobility_push_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_mobility_push_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_mobility_push_init_process(ngx_cycle_t *cycle);
static void ngx_http_mobility_push_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_mobility_push_commands[] = {

    { ngx_string("mobility_push_apns"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_mobility_push_apns,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_push_fcm"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_mobility_push_fcm,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_push_webpush"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_mobility_push_webpush,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_push_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_push_main_conf_t, trusted_certificate),
      NULL },

    { ngx_string("mobility_push_verify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_push_main_conf_t, verify),
      NULL },

    { ngx_string("mobility_push_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_push_main_conf_t, timeout),
      NULL },

    { ngx_string("mobility_push_concurrency"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_push_main_conf_t, max_in_flight),
      NULL },

    { ngx_string("mobility_push_device_rate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_push_main_conf_t, device_rate),
      NULL },

    { ngx_string("mobility_push_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mobility_push_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mobility_push_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_mobility_push_create_main_conf, /* create main configuration */
    ngx_http_mobility_push_init_main_conf, /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_mobility_push_module = {
    NGX_MODULE_V1,
    &ngx_http_mobility_push_module_ctx,    /* module context */
    ngx_http_mobility_push_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_mobility_push_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_mobility_push_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_mobility_push_main_conf_t  *ngx_http_mobility_push_current;
static ngx_mobility_push_stats_t           *ngx_http_mobility_push_counters;
static ngx_mobility_push_stats_t            ngx_http_mobility_push_no_stats;


ngx_http_mobility_push_main_conf_t *
ngx_http_mobility_push_conf(void)
{
    return ngx_http_mobility_push_current;
}


ngx_mobility_push_stats_t *
ngx_http_mobility_push_stats(void)
{
    return ngx_http_mobility_push_counters ? ngx_http_mobility_push_counters
                                           : &ngx_http_mobility_push_no_stats;
}


static void *
ngx_http_mobility_push_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_push_main_conf_t));
    if (pmcf == NULL) {
        return NULL;
    }

    pmcf->verify = NGX_CONF_UNSET;
    pmcf->timeout = NGX_CONF_UNSET_MSEC;
    pmcf->max_in_flight = NGX_CONF_UNSET_UINT;
    pmcf->device_rate = NGX_CONF_UNSET_UINT;

    return pmcf;
}


static void
ngx_http_mobility_push_free_key(void *data)
{
    EVP_PKEY_free(data);
}


static char *
ngx_http_mobility_push_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_mobility_push_main_conf_t *pmcf = conf;

    ngx_str_t            name = ngx_string("mobility_push");
    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_value(pmcf->verify, 1);
    ngx_conf_init_msec_value(pmcf->timeout, 10000);
    ngx_conf_init_uint_value(pmcf->max_in_flight, 1000);
    ngx_conf_init_uint_value(pmcf->device_rate, 240);

    if (pmcf->apns_key == NULL && pmcf->fcm_key == NULL
        && pmcf->vapid_key == NULL)
    {
        return NGX_CONF_OK;
    }

    ngx_mobility_require_store(cf, "mobility_push_*");

    pmcf->clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    pmcf->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (pmcf->ssl == NULL) {
        return NGX_CONF_ERROR;
    }

    pmcf->ssl->log = cf->log;

    if (ngx_ssl_create(pmcf->ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(pmcf->ssl);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = pmcf->ssl;

    if (pmcf->trusted_certificate.len) {
        if (ngx_ssl_trusted_certificate(cf, pmcf->ssl,
                                        &pmcf->trusted_certificate, 9)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (SSL_CTX_set_default_verify_paths(pmcf->ssl->ctx) != 1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "SSL_CTX_set_default_verify_paths() failed");
        return NGX_CONF_ERROR;
    }

    pmcf->stats_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                             &ngx_http_mobility_push_module);
    if (pmcf->stats_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    pmcf->stats_zone->init = ngx_http_mobility_push_init_zone;

    return NGX_CONF_OK;
}


/* "name=value" parameters */

static ngx_int_t
ngx_http_mobility_push_param(ngx_str_t *arg, const char *name,
    ngx_str_t *value)
{
    size_t  len;

    len = ngx_strlen(name);

    if (arg->len <= len || ngx_strncmp(arg->data, name, len) != 0
        || arg->data[len] != '=')
    {
        return NGX_DECLINED;
    }

    value->data = arg->data + len + 1;
    value->len = arg->len - len - 1;

    return NGX_OK;
}


static char *
ngx_http_mobility_push_apns(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_push_main_conf_t *pmcf = conf;

    ngx_str_t   *value, key, v;
    ngx_uint_t   i;

    if (pmcf->apns_key) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&key);
    ngx_str_set(&pmcf->apns_production, "https://api.push.apple.com");
    ngx_str_set(&pmcf->apns_sandbox, "https://api.development.push.apple.com");

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_mobility_push_param(&value[i], "key", &v) == NGX_OK) {
            key = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "key_id", &v) == NGX_OK) {
            pmcf->apns_key_id = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "team_id", &v)
            == NGX_OK)
        {
            pmcf->apns_team_id = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "production", &v)
            == NGX_OK)
        {
            if (ngx_http_mobility_push_origin(cf, &v, "mobility_push_apns")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            pmcf->apns_production = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "sandbox", &v)
            == NGX_OK)
        {
            if (ngx_http_mobility_push_origin(cf, &v, "mobility_push_apns")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            pmcf->apns_sandbox = v;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"mobility_push_apns\""
                           ": expected key=, key_id=, team_id=, production= "
                           "or sandbox=", &value[i]);
        return NGX_CONF_ERROR;
    }

    /* Apple's key and team ids are 10 characters */
    if (key.len == 0 || pmcf->apns_key_id.len != 10
        || pmcf->apns_team_id.len != 10)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_push_apns\" needs key=<.p8 file>, "
                           "key_id=<10 characters> and team_id=<10 "
                           "characters>");
        return NGX_CONF_ERROR;
    }

    pmcf->apns_key = ngx_http_mobility_push_key(cf, &key, NULL, 0);
    if (pmcf->apns_key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(ngx_mobility_jws_alg(pmcf->apns_key), "ES256") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_push_apns\": \"%V\" is not a P-256 "
                           "key", &key);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_push_fcm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_push_main_conf_t *pmcf = conf;

    json_t        *doc, *f;
    ngx_str_t     *value, file, v, *dst;
    ngx_uint_t     i, k;
    json_error_t   jerr;

    static const char  *fields[] = {
        "project_id", "client_email", "private_key", "private_key_id",
        "token_uri"
    };

    if (pmcf->fcm_key) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&file);
    ngx_str_set(&pmcf->fcm_origin, "https://fcm.googleapis.com");

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_mobility_push_param(&value[i], "service_account", &v)
            == NGX_OK)
        {
            file = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "url", &v) == NGX_OK) {
            if (ngx_http_mobility_push_origin(cf, &v, "mobility_push_fcm")
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            pmcf->fcm_origin = v;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"mobility_push_fcm\""
                           ": expected service_account= or url=", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (file.len == 0) {
        return "needs service_account=<JSON key file>";
    }

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    doc = json_load_file((char *) file.data, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_push_fcm\": cannot read the service "
                           "account \"%V\": %s", &file, jerr.text);
        return NGX_CONF_ERROR;
    }

    for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        f = json_object_get(doc, fields[k]);

        if (!json_is_string(f) || json_string_length(f) == 0) {
            if (k == 3) {
                continue;       /* private_key_id is optional */
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"mobility_push_fcm\": the service account "
                               "\"%V\" has no \"%s\"", &file, fields[k]);
            json_decref(doc);
            return NGX_CONF_ERROR;
        }

        if (k == 2) {
            pmcf->fcm_key = ngx_http_mobility_push_key(cf, &file,
                                                       json_string_value(f),
                                                       json_string_length(f));
            if (pmcf->fcm_key == NULL) {
                json_decref(doc);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        dst = (k == 0) ? &pmcf->fcm_project
              : (k == 1) ? &pmcf->fcm_client_email
              : (k == 3) ? &pmcf->fcm_key_id
              : &pmcf->fcm_token_uri;

        dst->len = json_string_length(f);
        dst->data = ngx_pnalloc(cf->pool, dst->len + 1);
        if (dst->data == NULL) {
            json_decref(doc);
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(dst->data, json_string_value(f), dst->len + 1);
    }

    json_decref(doc);

    if (ngx_strcmp(ngx_mobility_jws_alg(pmcf->fcm_key), "RS256") != 0) {
        return "needs a service account with an RSA key";
    }

    if (ngx_strncmp(pmcf->fcm_token_uri.data, "https://", 8) != 0
        && ngx_strncmp(pmcf->fcm_token_uri.data, "http://127.0.0.1", 16) != 0)
    {
        return "needs a service account whose token_uri is https";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_push_webpush(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mobility_push_main_conf_t *pmcf = conf;

    ngx_str_t   *value, key, v;
    ngx_uint_t   i;

    if (pmcf->vapid_key) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&key);

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_http_mobility_push_param(&value[i], "vapid_key", &v)
            == NGX_OK)
        {
            key = v;
            continue;
        }

        if (ngx_http_mobility_push_param(&value[i], "subject", &v)
            == NGX_OK)
        {
            if (!(v.len > 7 && ngx_strncmp(v.data, "mailto:", 7) == 0)
                && !(v.len > 8 && ngx_strncmp(v.data, "https://", 8) == 0))
            {
                return "needs a subject= of mailto: or https:";
            }

            pmcf->vapid_subject = v;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in "
                           "\"mobility_push_webpush\": expected vapid_key= "
                           "or subject=", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (key.len == 0 || pmcf->vapid_subject.len == 0) {
        return "needs vapid_key=<PEM file> and subject=<mailto: or https:>";
    }

    pmcf->vapid_key = ngx_http_mobility_push_key(cf, &key, NULL, 0);
    if (pmcf->vapid_key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(ngx_mobility_jws_alg(pmcf->vapid_key), "ES256") != 0) {
        return "needs a P-256 vapid_key (mobilityctl vapid generate)";
    }

    return NGX_CONF_OK;
}


/* a private key from a file, or from PEM text found in a file */

static EVP_PKEY *
ngx_http_mobility_push_key(ngx_conf_t *cf, ngx_str_t *file, const char *pem,
    size_t len)
{
    char                 err[NGX_MOBILITY_JOSE_ERR_MAX];
    EVP_PKEY            *key;
    ngx_pool_cleanup_t  *cln;

    if (pem == NULL
        && ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK)
    {
        return NULL;
    }

    err[0] = '\0';

    key = pem ? ngx_mobility_pkey_read_pem(pem, len, err, sizeof(err))
              : ngx_mobility_pkey_read_file((char *) file->data, err,
                                            sizeof(err));
    if (key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cannot load the private key of \"%V\": %s",
                           file, err);
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        EVP_PKEY_free(key);
        return NULL;
    }

    cln->handler = ngx_http_mobility_push_free_key;
    cln->data = key;

    return key;
}


/* "https://host[:port]" (or http:// for local test services) */

static ngx_int_t
ngx_http_mobility_push_origin(ngx_conf_t *cf, ngx_str_t *value,
    const char *directive)
{
    ngx_str_t  origin, path;

    if (ngx_mobility_push_split_url(value, &origin, &path) != NGX_OK
        || path.len > 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid origin \"%V\" in \"%s\": expected "
                           "https://host[:port]", value, directive);
        return NGX_ERROR;
    }

    *value = origin;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mobility_push_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* a reload keeps the counters */
        shm_zone->data = data;
        ngx_http_mobility_push_counters = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_mobility_push_counters = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool,
                                     sizeof(ngx_mobility_push_stats_t));
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;
    ngx_http_mobility_push_counters = shm_zone->data;

    return NGX_OK;
}


static char *
ngx_http_mobility_push_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mobility_push_status_handler;

    ngx_mobility_require_store(cf, "mobility_push_status");

    return NGX_CONF_OK;
}


/*
 * {"queue":N,"in_flight":N,"expired":N,"providers":{"apns":{"sent":..,
 * "failed":..,"retried":..,"invalidated":..},"fcm":{..},"webpush":{..}}}
 */

static ngx_int_t
ngx_http_mobility_push_status_handler(ngx_http_request_t *r)
{
    char                          *text;
    json_t                        *doc, *providers, *p;
    ngx_int_t                      rc;
    ngx_uint_t                     i;
    uint64_t                       depth;
    ngx_mobility_push_stats_t     *stats;
    ngx_mobility_push_counters_t  *c;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    depth = ngx_mobility_push_sender_depth(r->connection->log);
    if (depth == (uint64_t) -1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    stats = ngx_http_mobility_push_stats();

    doc = json_object();
    providers = json_object();

    if (doc == NULL || providers == NULL) {
        json_decref(doc);
        json_decref(providers);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_object_set_new(doc, "queue", json_integer((json_int_t) depth));
    json_object_set_new(doc, "in_flight",
                        json_integer((json_int_t) stats->in_flight));
    json_object_set_new(doc, "expired",
                        json_integer((json_int_t) stats->expired));

    for (i = 1; i < NGX_MOBILITY_PUSH_PROVIDERS; i++) {
        c = &stats->provider[i];

        p = json_pack("{s:I, s:I, s:I, s:I}",
                      "sent", (json_int_t) c->sent,
                      "failed", (json_int_t) c->failed,
                      "retried", (json_int_t) c->retried,
                      "invalidated", (json_int_t) c->invalidated);

        json_object_set_new(providers, ngx_mobility_push_provider_name(i), p);
    }

    json_object_set_new(doc, "providers", providers);

    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mobility_send(r, NGX_HTTP_OK, "application/json",
                                (u_char *) text, ngx_strlen(text));
    free(text);

    return rc;
}


static ngx_int_t
ngx_http_mobility_push_init_process(ngx_cycle_t *cycle)
{
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_mobility_push_module);

    if (pmcf == NULL || pmcf->ssl == NULL) {
        ngx_http_mobility_push_current = NULL;
        return NGX_OK;
    }

    ngx_http_mobility_push_current = pmcf;

    return ngx_mobility_push_sender_init(cycle);
}


static void
ngx_http_mobility_push_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_mobility_push_current == NULL) {
        return;
    }

    ngx_mobility_push_sender_exit(cycle);
}
