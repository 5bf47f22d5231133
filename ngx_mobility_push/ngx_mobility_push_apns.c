/*
 * Copyright (C) The nginx mobility authors
 *
 * APNs provider API over HTTP/2 with token authentication: one
 * long-lived multiplexed connection per environment, an ES256 provider
 * token reused for NGX_MOBILITY_PUSH_APNS_JWT_AGE, and on a fresh
 * connection a single request until the first answer (Apple checks the
 * token on the first stream; a burst with a bad token is abuse).
 */

#include "ngx_http_mobility_push.h"
#include "ngx_mobility_jose.h"

#include <jansson.h>


typedef struct {
    ngx_mobility_http_peer_t  *peer;
    ngx_uint_t                 probing;     /* one stream until an answer */
    ngx_uint_t                 probe_busy;
    ngx_mobility_push_job_t   *waiting;     /* held while probing */
    ngx_mobility_push_job_t  **waiting_last;
    ngx_uint_t                 closing;
} ngx_mobility_push_apns_conn_t;


static ngx_int_t ngx_mobility_push_apns_request(ngx_mobility_push_job_t *job,
    ngx_uint_t env);
static void ngx_mobility_push_apns_answer(ngx_mobility_http_response_t *r,
    void *data);
static ngx_int_t ngx_mobility_push_apns_jwt(ngx_log_t *log, ngx_uint_t renew);


static ngx_mobility_push_apns_conn_t  ngx_mobility_push_apns_conns[2];

static char    ngx_mobility_push_apns_token[512];
static size_t  ngx_mobility_push_apns_token_len;
static time_t  ngx_mobility_push_apns_token_iat;


ngx_int_t
ngx_mobility_push_apns_send(ngx_mobility_push_job_t *job)
{
    ngx_uint_t                           env;
    ngx_str_t                           *origin;
    ngx_mobility_push_apns_conn_t       *ac;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    if (pmcf->apns_key == NULL) {
        ngx_str_set(&job->reason, "no mobility_push_apns configured");
        job->outcome = NGX_MOBILITY_PUSH_RETRY;
        ngx_mobility_push_job_done(job);
        return NGX_ERROR;
    }

    env = job->sandbox ? 1 : 0;
    ac = &ngx_mobility_push_apns_conns[env];

    if (ac->peer == NULL) {
        origin = env ? &pmcf->apns_sandbox : &pmcf->apns_production;

        ac->peer = ngx_mobility_push_peer(origin, 1, job->pool->log);
        if (ac->peer == NULL) {
            ngx_str_set(&job->reason, "cannot create the APNs peer");
            job->outcome = NGX_MOBILITY_PUSH_RETRY;
            ngx_mobility_push_job_done(job);
            return NGX_ERROR;
        }

        ac->probing = 1;
        ac->waiting = NULL;
        ac->waiting_last = &ac->waiting;
    }

    if (ac->probing && ac->probe_busy) {
        job->next = NULL;
        *ac->waiting_last = job;
        ac->waiting_last = &job->next;
        return NGX_OK;
    }

    if (ac->probing) {
        ac->probe_busy = 1;
    }

    return ngx_mobility_push_apns_request(job, env);
}


static ngx_int_t
ngx_mobility_push_apns_request(ngx_mobility_push_job_t *job, ngx_uint_t env)
{
    u_char                              *p;
    size_t                               len, over;
    char                                *text;
    json_t                              *doc, *aps, *alert;
    ngx_str_t                            title, body, thread;
    ngx_uint_t                           n;
    ngx_mobility_http_header_t           h[8];
    ngx_mobility_http_request_t          req;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    if (ngx_mobility_push_apns_jwt(job->pool->log, 0) != NGX_OK) {
        ngx_str_set(&job->reason, "cannot sign the APNs provider token");
        job->outcome = NGX_MOBILITY_PUSH_RETRY;
        goto failed;
    }

    ngx_mobility_push_payload_text(job, &title, &body);

    thread.data = (u_char *) job->entry.thread.data;
    thread.len = job->entry.thread.len;

    doc = NULL;
    text = NULL;

    for ( ;; ) {
        doc = json_object();
        aps = json_object();
        alert = json_object();

        if (doc == NULL || aps == NULL || alert == NULL) {
            json_decref(doc);
            json_decref(aps);
            json_decref(alert);
            goto nomem;
        }

        json_object_set_new(alert, "title",
                            json_stringn((char *) title.data, title.len));
        json_object_set_new(alert, "body",
                            json_stringn((char *) body.data, body.len));
        json_object_set_new(aps, "alert", alert);
        json_object_set_new(aps, "badge",
                            json_integer((json_int_t) job->entry.badge));
        json_object_set_new(aps, "sound", json_string("default"));

        if (thread.len) {
            json_object_set_new(aps, "thread-id",
                                json_stringn((char *) thread.data,
                                             thread.len));
        }

        json_object_set_new(doc, "aps", aps);
        json_object_set_new(doc, "type",
                            json_string(ngx_mobility_push_kind_name(
                                                      job->entry.kind)));
        if (thread.len) {
            json_object_set_new(doc, "conversation",
                                json_stringn((char *) thread.data,
                                             thread.len));
        }

        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);

        if (text == NULL) {
            goto nomem;
        }

        len = ngx_strlen(text);

        if (len <= NGX_MOBILITY_PUSH_MAX_PAYLOAD || body.len == 0) {
            break;
        }

        /* too long: shorten the preview, never refuse what was queued */
        over = len - NGX_MOBILITY_PUSH_MAX_PAYLOAD + 8;
        body.len = ngx_mobility_push_utf8_cut(body.data, body.len, over);
        free(text);
        text = NULL;
    }

    n = 0;

    h[n].name = (ngx_str_t) ngx_string("authorization");
    h[n].value.len = sizeof("bearer ") - 1 + ngx_mobility_push_apns_token_len;
    h[n].value.data = ngx_pnalloc(job->pool, h[n].value.len);
    if (h[n].value.data == NULL) {
        free(text);
        goto nomem;
    }
    ngx_sprintf(h[n].value.data, "bearer %*s",
                ngx_mobility_push_apns_token_len,
                ngx_mobility_push_apns_token);
    n++;

    h[n].name = (ngx_str_t) ngx_string("apns-topic");
    h[n].value.data = job->topic.data;
    h[n].value.len = job->topic.len;
    n++;

    h[n].name = (ngx_str_t) ngx_string("apns-push-type");
    ngx_str_set(&h[n].value, "alert");
    n++;

    h[n].name = (ngx_str_t) ngx_string("apns-priority");
    ngx_str_set(&h[n].value, "10");
    n++;

    h[n].name = (ngx_str_t) ngx_string("apns-expiration");
    h[n].value.data = ngx_pnalloc(job->pool, NGX_TIME_T_LEN);
    if (h[n].value.data == NULL) {
        free(text);
        goto nomem;
    }
    h[n].value.len = ngx_sprintf(h[n].value.data, "%uL",
                                 job->entry.expires / 1000)
                     - h[n].value.data;
    n++;

    /* the same apns-id on every attempt: Apple and the logs see one push */
    h[n].name = (ngx_str_t) ngx_string("apns-id");
    h[n].value.data = ngx_pnalloc(job->pool, 36);
    if (h[n].value.data == NULL) {
        free(text);
        goto nomem;
    }
    ngx_mobility_push_uuid(job, h[n].value.data);
    h[n].value.len = 36;
    n++;

    if (thread.len && thread.len <= 64) {
        h[n].name = (ngx_str_t) ngx_string("apns-collapse-id");
        h[n].value = thread;
        n++;
    }

    h[n].name = (ngx_str_t) ngx_string("content-type");
    ngx_str_set(&h[n].value, "application/json");
    n++;

    ngx_memzero(&req, sizeof(ngx_mobility_http_request_t));

    ngx_str_set(&req.method, "POST");

    req.path.len = sizeof("/3/device/") - 1 + job->token.len;
    req.path.data = ngx_pnalloc(job->pool, req.path.len);
    if (req.path.data == NULL) {
        free(text);
        goto nomem;
    }

    p = ngx_cpymem(req.path.data, "/3/device/", sizeof("/3/device/") - 1);
    ngx_memcpy(p, job->token.data, job->token.len);

    req.headers = h;
    req.nheaders = n;
    req.body.data = (u_char *) text;
    req.body.len = len;
    req.timeout = pmcf->timeout;

    job->env = env;

    if (ngx_mobility_http_send(ngx_mobility_push_apns_conns[env].peer, &req,
                               ngx_mobility_push_apns_answer, job)
        != NGX_OK)
    {
        free(text);
        ngx_str_set(&job->reason, "cannot queue the APNs request");
        job->outcome = NGX_MOBILITY_PUSH_RETRY;
        goto failed;
    }

    free(text);

    return NGX_OK;

nomem:

    ngx_str_set(&job->reason, "out of memory");
    job->outcome = NGX_MOBILITY_PUSH_RETRY;

failed:

    ngx_mobility_push_apns_conns[env].probe_busy = 0;
    ngx_mobility_push_job_done(job);

    return NGX_ERROR;
}


static void
ngx_mobility_push_apns_answer(ngx_mobility_http_response_t *r, void *data)
{
    ngx_mobility_push_job_t *job = data;

    json_t                         *doc, *reason;
    ngx_str_t                       why;
    ngx_mobility_push_job_t        *next;
    ngx_mobility_push_apns_conn_t  *ac;

    ac = &ngx_mobility_push_apns_conns[job->env];

    ngx_str_null(&why);
    doc = NULL;

    if (r->status && r->body.len) {
        doc = json_loadb((char *) r->body.data, r->body.len, 0, NULL);
        reason = json_object_get(doc, "reason");

        if (json_is_string(reason)) {
            why.data = (u_char *) json_string_value(reason);
            why.len = ngx_strlen(why.data);
        }
    }

    if (ngx_mobility_push_answered(job, r, &why) == NGX_OK) {
        /* no answer, 429 or 5xx: retried */

    } else if (r->status == 200) {
        job->outcome = NGX_MOBILITY_PUSH_SENT;

    } else if (r->status == 410
               || (r->status == 400
                   && (ngx_mobility_push_str_is(&why, "BadDeviceToken")
                       || ngx_mobility_push_str_is(&why,
                                                  "DeviceTokenNotForTopic"))))
    {
        job->outcome = NGX_MOBILITY_PUSH_GONE;

    } else if (r->status == 403
               && (ngx_mobility_push_str_is(&why, "ExpiredProviderToken")
                   || ngx_mobility_push_str_is(&why, "InvalidProviderToken")))
    {
        /* a new token, then the same notification again */
        (void) ngx_mobility_push_apns_jwt(job->pool->log, 1);
        job->outcome = NGX_MOBILITY_PUSH_RETRY;

    } else {
        job->outcome = NGX_MOBILITY_PUSH_FAILED;
    }

    json_decref(doc);

    /* the probe is over: an answer opens the connection to all */
    if (ac->probing && ac->probe_busy) {
        ac->probe_busy = 0;

        if (r->status) {
            ac->probing = 0;
        }
    }

    if (r->status == 0 && !ac->probing) {
        /* the connection broke: the next one starts with a probe again */
        ac->probing = 1;
    }

    ngx_mobility_push_job_done(job);

    while (ac->waiting && !ac->closing
           && (!ac->probing || !ac->probe_busy))
    {
        next = ac->waiting;
        ac->waiting = next->next;

        if (ac->waiting == NULL) {
            ac->waiting_last = &ac->waiting;
        }

        if (ac->probing) {
            ac->probe_busy = 1;
        }

        (void) ngx_mobility_push_apns_request(next, job->env);
    }
}


/*
 * The provider token: {"alg":"ES256","kid":...}.{"iss":...,"iat":...},
 * made again after NGX_MOBILITY_PUSH_APNS_JWT_AGE, or when APNs says it
 * expired or is invalid and it is older than 20 minutes (Apple refuses
 * tokens renewed more often: TooManyProviderTokenUpdates).
 */

static ngx_int_t
ngx_mobility_push_apns_jwt(ngx_log_t *log, ngx_uint_t renew)
{
    char                                 header[128], claims[128];
    size_t                               hlen, clen, len;
    time_t                               now, age;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    now = ngx_time();
    age = now - ngx_mobility_push_apns_token_iat;

    if (ngx_mobility_push_apns_token_len
        && age < NGX_MOBILITY_PUSH_APNS_JWT_AGE
        && !(renew && age >= 20 * 60))
    {
        return NGX_OK;
    }

    pmcf = ngx_http_mobility_push_conf();

    hlen = ngx_snprintf((u_char *) header, sizeof(header),
                        "{\"alg\":\"ES256\",\"kid\":\"%V\"}",
                        &pmcf->apns_key_id)
           - (u_char *) header;

    clen = ngx_snprintf((u_char *) claims, sizeof(claims),
                        "{\"iss\":\"%V\",\"iat\":%T}",
                        &pmcf->apns_team_id, now)
           - (u_char *) claims;

    len = ngx_mobility_jws_sign(pmcf->apns_key, header, hlen, claims, clen,
                                ngx_mobility_push_apns_token,
                                sizeof(ngx_mobility_push_apns_token));
    if (len == 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "mobility push: cannot sign the APNs provider token");
        return NGX_ERROR;
    }

    ngx_mobility_push_apns_token_len = len;
    ngx_mobility_push_apns_token_iat = now;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "mobility push: new APNs provider token (key %V)",
                  &pmcf->apns_key_id);

    return NGX_OK;
}


void
ngx_mobility_push_apns_exit(void)
{
    ngx_uint_t                      i;
    ngx_mobility_push_job_t        *job;
    ngx_mobility_push_apns_conn_t  *ac;

    for (i = 0; i < 2; i++) {
        ac = &ngx_mobility_push_apns_conns[i];

        /* the jobs held behind a probe never left: they come back */
        while (ac->waiting) {
            job = ac->waiting;
            ac->waiting = job->next;

            ngx_str_set(&job->reason, "worker exiting");
            job->outcome = NGX_MOBILITY_PUSH_RETRY;
            ngx_mobility_push_job_done(job);
        }

        ac->waiting_last = &ac->waiting;

        if (ac->peer) {
            /* answers to come must not start new requests on it */
            ac->closing = 1;
            ngx_mobility_http_peer_destroy(ac->peer);
            ac->peer = NULL;
        }
    }
}
