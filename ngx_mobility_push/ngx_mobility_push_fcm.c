/*
 * Copyright (C) The nginx mobility authors
 *
 * Firebase Cloud Messaging HTTP v1.  Requests carry an OAuth 2.0 access
 * token obtained with the service account's RS256 assertion (the JWT
 * bearer grant) and cached until a minute before it expires; jobs that
 * arrive while a token is being fetched wait for it.
 */

#include "ngx_http_mobility_push.h"
#include "ngx_mobility_jose.h"

#include <jansson.h>


#define NGX_MOBILITY_PUSH_FCM_SCOPE                                          \
    "https://www.googleapis.com/auth/firebase.messaging"


static ngx_int_t ngx_mobility_push_fcm_request(ngx_mobility_push_job_t *job);
static void ngx_mobility_push_fcm_answer(ngx_mobility_http_response_t *r,
    void *data);
static ngx_int_t ngx_mobility_push_fcm_fetch_token(ngx_log_t *log);
static void ngx_mobility_push_fcm_token_answer(
    ngx_mobility_http_response_t *r, void *data);
static void ngx_mobility_push_fcm_release(ngx_str_t *error);


static ngx_mobility_http_peer_t  *ngx_mobility_push_fcm_peer;
static ngx_mobility_http_peer_t  *ngx_mobility_push_fcm_token_peer;

static u_char                     ngx_mobility_push_fcm_token[2048];
static size_t                     ngx_mobility_push_fcm_token_len;
static time_t                     ngx_mobility_push_fcm_token_expires;
static ngx_uint_t                 ngx_mobility_push_fcm_fetching;

static ngx_mobility_push_job_t   *ngx_mobility_push_fcm_waiting;


ngx_int_t
ngx_mobility_push_fcm_send(ngx_mobility_push_job_t *job)
{
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    if (pmcf->fcm_key == NULL) {
        ngx_str_set(&job->reason, "no mobility_push_fcm configured");
        job->outcome = NGX_MOBILITY_PUSH_RETRY;
        ngx_mobility_push_job_done(job);
        return NGX_ERROR;
    }

    if (ngx_mobility_push_fcm_token_len
        && ngx_time() < ngx_mobility_push_fcm_token_expires)
    {
        return ngx_mobility_push_fcm_request(job);
    }

    job->next = ngx_mobility_push_fcm_waiting;
    ngx_mobility_push_fcm_waiting = job;

    if (ngx_mobility_push_fcm_fetching) {
        return NGX_OK;
    }

    if (ngx_mobility_push_fcm_fetch_token(job->pool->log) != NGX_OK) {
        ngx_str_t  err = ngx_string("cannot request an FCM access token");

        ngx_mobility_push_fcm_release(&err);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_push_fcm_request(ngx_mobility_push_job_t *job)
{
    u_char                              *p;
    char                                *text;
    size_t                               len, over;
    json_t                              *doc, *msg, *note, *data, *android;
    ngx_str_t                            title, body;
    ngx_mobility_http_header_t           h[2];
    ngx_mobility_http_request_t          req;
    ngx_http_mobility_push_main_conf_t  *pmcf;
    u_char                               num[NGX_INT64_LEN + 2];

    pmcf = ngx_http_mobility_push_conf();

    if (ngx_mobility_push_fcm_peer == NULL) {
        ngx_mobility_push_fcm_peer = ngx_mobility_push_peer(&pmcf->fcm_origin,
                                                            0,
                                                            job->pool->log);
        if (ngx_mobility_push_fcm_peer == NULL) {
            ngx_str_set(&job->reason, "cannot create the FCM peer");
            goto retry;
        }
    }

    ngx_mobility_push_payload_text(job, &title, &body);

    for ( ;; ) {
        doc = json_object();
        msg = json_object();
        note = json_object();
        data = json_object();
        android = json_object();

        if (doc == NULL || msg == NULL || note == NULL || data == NULL
            || android == NULL)
        {
            json_decref(doc);
            json_decref(msg);
            json_decref(note);
            json_decref(data);
            json_decref(android);
            ngx_str_set(&job->reason, "out of memory");
            goto retry;
        }

        json_object_set_new(msg, "token",
                            json_stringn((char *) job->token.data,
                                         job->token.len));

        json_object_set_new(note, "title",
                            json_stringn((char *) title.data, title.len));
        json_object_set_new(note, "body",
                            json_stringn((char *) body.data, body.len));
        json_object_set_new(msg, "notification", note);

        /* FCM data values are strings */
        json_object_set_new(data, "type",
                            json_string(ngx_mobility_push_kind_name(
                                                      job->entry.kind)));
        p = ngx_sprintf(num, "%uL", job->entry.badge);
        json_object_set_new(data, "badge",
                            json_stringn((char *) num, p - num));

        if (job->entry.thread.len) {
            json_object_set_new(data, "conversation",
                                json_stringn((char *) job->entry.thread.data,
                                             job->entry.thread.len));
        }

        json_object_set_new(msg, "data", data);

        json_object_set_new(android, "priority", json_string("HIGH"));
        p = ngx_sprintf(num, "%Ts", ngx_mobility_push_ttl(job));
        json_object_set_new(android, "ttl",
                            json_stringn((char *) num, p - num));

        if (job->entry.thread.len) {
            json_object_set_new(android, "collapse_key",
                                json_stringn((char *) job->entry.thread.data,
                                             job->entry.thread.len));
        }

        json_object_set_new(msg, "android", android);
        json_object_set_new(doc, "message", msg);

        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);

        if (text == NULL) {
            ngx_str_set(&job->reason, "out of memory");
            goto retry;
        }

        len = ngx_strlen(text);

        if (len <= NGX_MOBILITY_PUSH_MAX_PAYLOAD || body.len == 0) {
            break;
        }

        over = len - NGX_MOBILITY_PUSH_MAX_PAYLOAD + 8;
        body.len = ngx_mobility_push_utf8_cut(body.data, body.len, over);
        free(text);
    }

    h[0].name = (ngx_str_t) ngx_string("authorization");
    h[0].value.len = sizeof("Bearer ") - 1 + ngx_mobility_push_fcm_token_len;
    h[0].value.data = ngx_pnalloc(job->pool, h[0].value.len);

    req.path.len = sizeof("/v1/projects//messages:send") - 1
                   + pmcf->fcm_project.len;
    req.path.data = ngx_pnalloc(job->pool, req.path.len);

    if (h[0].value.data == NULL || req.path.data == NULL) {
        free(text);
        ngx_str_set(&job->reason, "out of memory");
        goto retry;
    }

    ngx_sprintf(h[0].value.data, "Bearer %*s",
                ngx_mobility_push_fcm_token_len, ngx_mobility_push_fcm_token);
    ngx_sprintf(req.path.data, "/v1/projects/%V/messages:send",
                &pmcf->fcm_project);

    h[1].name = (ngx_str_t) ngx_string("content-type");
    ngx_str_set(&h[1].value, "application/json; charset=UTF-8");

    ngx_str_set(&req.method, "POST");
    req.headers = h;
    req.nheaders = 2;
    req.body.data = (u_char *) text;
    req.body.len = len;
    req.timeout = pmcf->timeout;

    if (ngx_mobility_http_send(ngx_mobility_push_fcm_peer, &req,
                               ngx_mobility_push_fcm_answer, job)
        != NGX_OK)
    {
        free(text);
        ngx_str_set(&job->reason, "cannot queue the FCM request");
        goto retry;
    }

    free(text);

    return NGX_OK;

retry:

    job->outcome = NGX_MOBILITY_PUSH_RETRY;
    ngx_mobility_push_job_done(job);

    return NGX_ERROR;
}


static void
ngx_mobility_push_fcm_answer(ngx_mobility_http_response_t *r, void *data)
{
    ngx_mobility_push_job_t *job = data;

    size_t     i;
    json_t    *doc, *details, *d, *code;
    ngx_str_t  why;

    ngx_str_null(&why);
    doc = NULL;

    if (r->status && r->status != 200 && r->body.len) {
        doc = json_loadb((char *) r->body.data, r->body.len, 0, NULL);
        details = json_object_get(json_object_get(doc, "error"), "details");

        json_array_foreach(details, i, d) {
            code = json_object_get(d, "errorCode");

            if (json_is_string(code)) {
                why.data = (u_char *) json_string_value(code);
                why.len = ngx_strlen(why.data);
                break;
            }
        }
    }

    if (ngx_mobility_push_answered(job, r, &why) == NGX_OK) {
        /* no answer, 429 or 5xx: retried */

    } else if (r->status == 200) {
        job->outcome = NGX_MOBILITY_PUSH_SENT;

    } else if (ngx_mobility_push_str_is(&why, "UNREGISTERED")
               || ngx_mobility_push_str_is(&why, "SENDER_ID_MISMATCH")
               || (why.len == 0 && r->status == 404))
    {
        job->outcome = NGX_MOBILITY_PUSH_GONE;

    } else if (r->status == 401) {
        /* the access token was refused: fetch a new one, then retry */
        ngx_mobility_push_fcm_token_len = 0;
        job->outcome = NGX_MOBILITY_PUSH_RETRY;

    } else {
        job->outcome = NGX_MOBILITY_PUSH_FAILED;
    }

    json_decref(doc);

    ngx_mobility_push_job_done(job);
}


/* the JWT bearer grant of the service account (RFC 7523) */

static ngx_int_t
ngx_mobility_push_fcm_fetch_token(ngx_log_t *log)
{
    u_char                              *p;
    char                                *header, *claims;
    size_t                               len, hlen, clen;
    json_t                              *h, *c;
    time_t                               now;
    ngx_str_t                            origin, path;
    ngx_mobility_http_header_t           ct;
    ngx_mobility_http_request_t          req;
    ngx_http_mobility_push_main_conf_t  *pmcf;
    static char                          jwt[4096];
    static u_char                        form[4608];

    pmcf = ngx_http_mobility_push_conf();

    if (ngx_mobility_push_split_url(&pmcf->fcm_token_uri, &origin, &path)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_push_fcm_token_peer == NULL) {
        ngx_mobility_push_fcm_token_peer = ngx_mobility_push_peer(&origin, 0,
                                                                  log);
        if (ngx_mobility_push_fcm_token_peer == NULL) {
            return NGX_ERROR;
        }
    }

    now = ngx_time();

    h = json_pack("{s:s, s:s, s:s%}", "alg", "RS256", "typ", "JWT",
                  "kid", pmcf->fcm_key_id.data, pmcf->fcm_key_id.len);
    c = json_pack("{s:s%, s:s, s:s%, s:I, s:I}",
                  "iss", pmcf->fcm_client_email.data,
                  pmcf->fcm_client_email.len,
                  "scope", NGX_MOBILITY_PUSH_FCM_SCOPE,
                  "aud", pmcf->fcm_token_uri.data, pmcf->fcm_token_uri.len,
                  "iat", (json_int_t) now,
                  "exp", (json_int_t) now + 3600);

    header = h ? json_dumps(h, JSON_COMPACT) : NULL;
    claims = c ? json_dumps(c, JSON_COMPACT) : NULL;

    json_decref(h);
    json_decref(c);

    if (header == NULL || claims == NULL) {
        free(header);
        free(claims);
        return NGX_ERROR;
    }

    hlen = ngx_strlen(header);
    clen = ngx_strlen(claims);

    len = ngx_mobility_jws_sign(pmcf->fcm_key, header, hlen, claims, clen,
                                jwt, sizeof(jwt));
    free(header);
    free(claims);

    if (len == 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "mobility push: cannot sign the FCM assertion");
        return NGX_ERROR;
    }

    /* the JWT is base64url and dots: nothing to escape in a form */
    p = ngx_cpymem(form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                         "grant-type%3Ajwt-bearer&assertion=",
                   sizeof("grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                          "grant-type%3Ajwt-bearer&assertion=") - 1);
    p = ngx_cpymem(p, jwt, len);

    ct.name = (ngx_str_t) ngx_string("content-type");
    ngx_str_set(&ct.value, "application/x-www-form-urlencoded");

    ngx_memzero(&req, sizeof(ngx_mobility_http_request_t));
    ngx_str_set(&req.method, "POST");
    req.path = path;
    req.headers = &ct;
    req.nheaders = 1;
    req.body.data = form;
    req.body.len = p - form;
    req.timeout = pmcf->timeout;

    if (ngx_mobility_http_send(ngx_mobility_push_fcm_token_peer, &req,
                               ngx_mobility_push_fcm_token_answer, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_mobility_push_fcm_fetching = 1;

    return NGX_OK;
}


static void
ngx_mobility_push_fcm_token_answer(ngx_mobility_http_response_t *r,
    void *data)
{
    json_t     *doc, *token, *expires;
    size_t      len;
    ngx_str_t   err;
    json_int_t  ttl;

    ngx_mobility_push_fcm_fetching = 0;

    doc = NULL;

    if (r->status != 200) {
        if (r->status == 0) {
            err = r->error;

        } else {
            ngx_str_set(&err, "the FCM token endpoint refused the "
                              "service account");
        }

        goto failed;
    }

    doc = json_loadb((char *) r->body.data, r->body.len, 0, NULL);
    token = json_object_get(doc, "access_token");
    expires = json_object_get(doc, "expires_in");

    len = json_is_string(token) ? json_string_length(token) : 0;
    ttl = json_is_integer(expires) ? json_integer_value(expires) : 0;

    if (len == 0 || len > sizeof(ngx_mobility_push_fcm_token) || ttl <= 0) {
        ngx_str_set(&err, "the FCM token endpoint answered no usable token");
        goto failed;
    }

    ngx_memcpy(ngx_mobility_push_fcm_token, json_string_value(token), len);
    ngx_mobility_push_fcm_token_len = len;

    /* renew a minute early, so no request carries an expiring token */
    ngx_mobility_push_fcm_token_expires = ngx_time()
                                          + (ttl > 120 ? ttl - 60 : ttl / 2);

    json_decref(doc);

    ngx_mobility_push_fcm_release(NULL);

    return;

failed:

    json_decref(doc);

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "mobility push: FCM access token: %V (status %ui)",
                  &err, r->status);

    ngx_mobility_push_fcm_release(&err);
}


/* the jobs waiting for a token go on, or come back for a retry */

static void
ngx_mobility_push_fcm_release(ngx_str_t *error)
{
    ngx_mobility_push_job_t  *job;

    while (ngx_mobility_push_fcm_waiting) {
        job = ngx_mobility_push_fcm_waiting;
        ngx_mobility_push_fcm_waiting = job->next;

        if (error) {
            job->reason = *error;
            job->outcome = NGX_MOBILITY_PUSH_RETRY;
            ngx_mobility_push_job_done(job);
            continue;
        }

        (void) ngx_mobility_push_fcm_request(job);
    }
}


void
ngx_mobility_push_fcm_exit(void)
{
    ngx_str_t  err = ngx_string("worker exiting");

    if (ngx_mobility_push_fcm_token_peer) {
        ngx_mobility_http_peer_destroy(ngx_mobility_push_fcm_token_peer);
        ngx_mobility_push_fcm_token_peer = NULL;
    }

    ngx_mobility_push_fcm_release(&err);

    if (ngx_mobility_push_fcm_peer) {
        ngx_mobility_http_peer_destroy(ngx_mobility_push_fcm_peer);
        ngx_mobility_push_fcm_peer = NULL;
    }
}
