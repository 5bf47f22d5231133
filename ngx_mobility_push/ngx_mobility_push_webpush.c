/*
 * Copyright (C) The nginx mobility authors
 *
 * Web Push (RFC 8030) with aes128gcm message encryption (RFC 8291) and
 * VAPID (RFC 8292).  Subscriptions name arbitrary push services, so the
 * peers are made on demand, one per origin, and kept in a small
 * most-recently-used cache together with that origin's VAPID header.
 */

#include "ngx_http_mobility_push.h"
#include "ngx_mobility_webpush.h"
#include "ngx_mobility_codec.h"

#include <jansson.h>


#define NGX_MOBILITY_PUSH_WP_PEERS     64
#define NGX_MOBILITY_PUSH_WP_VAPID_TTL (12 * 60 * 60)   /* s */


typedef struct {
    ngx_str_t                  origin;      /* malloc'ed */
    ngx_mobility_http_peer_t  *peer;
    char                       vapid[1024];
    size_t                     vapid_len;
    time_t                     vapid_exp;
    ngx_msec_t                 used;
} ngx_mobility_push_wp_origin_t;


static ngx_mobility_push_wp_origin_t *ngx_mobility_push_wp_origin(
    ngx_str_t *origin, ngx_log_t *log);
static void ngx_mobility_push_wp_answer(ngx_mobility_http_response_t *r,
    void *data);


static ngx_mobility_push_wp_origin_t
    ngx_mobility_push_wp_origins[NGX_MOBILITY_PUSH_WP_PEERS];


ngx_int_t
ngx_mobility_push_webpush_send(ngx_mobility_push_job_t *job)
{
    u_char                              *body;
    char                                *text;
    size_t                               len, n;
    json_t                              *doc;
    time_t                               ttl;
    ngx_str_t                            origin, path, title, msg, topic;
    ngx_uint_t                           nh;
    ngx_mobility_http_header_t           h[6];
    ngx_mobility_http_request_t          req;
    ngx_mobility_push_wp_origin_t       *wo;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    if (pmcf->vapid_key == NULL) {
        ngx_str_set(&job->reason, "no mobility_push_webpush configured");
        goto retry;
    }

    if (ngx_mobility_push_split_url(&job->token, &origin, &path)
        != NGX_OK)
    {
        ngx_str_set(&job->reason, "the subscription endpoint is not a URL");
        job->outcome = NGX_MOBILITY_PUSH_GONE;
        ngx_mobility_push_job_done(job);
        return NGX_ERROR;
    }

    wo = ngx_mobility_push_wp_origin(&origin, job->pool->log);
    if (wo == NULL) {
        ngx_str_set(&job->reason, "cannot reach the push service");
        goto retry;
    }

    ngx_mobility_push_payload_text(job, &title, &msg);

    body = ngx_pnalloc(job->pool, NGX_MOBILITY_WEBPUSH_MAX_BODY);
    if (body == NULL) {
        ngx_str_set(&job->reason, "out of memory");
        goto retry;
    }

    for ( ;; ) {
        doc = json_pack("{s:s, s:s%, s:s%, s:I}",
                        "type", ngx_mobility_push_kind_name(job->entry.kind),
                        "title", title.data, title.len,
                        "body", msg.data, msg.len,
                        "badge", (json_int_t) job->entry.badge);
        if (doc == NULL) {
            ngx_str_set(&job->reason, "out of memory");
            goto retry;
        }

        if (job->entry.thread.len) {
            json_object_set_new(doc, "conversation",
                                json_stringn((char *) job->entry.thread.data,
                                             job->entry.thread.len));
        }

        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);

        if (text == NULL) {
            ngx_str_set(&job->reason, "out of memory");
            goto retry;
        }

        n = ngx_strlen(text);

        len = ngx_mobility_webpush_encrypt(job->p256dh, job->auth,
                                           (u_char *) text, n, body,
                                           NGX_MOBILITY_WEBPUSH_MAX_BODY);
        free(text);

        if (len) {
            break;
        }

        if (n + NGX_MOBILITY_WEBPUSH_OVERHEAD
            <= NGX_MOBILITY_WEBPUSH_MAX_BODY || msg.len == 0)
        {
            ngx_str_set(&job->reason, "cannot encrypt the message");
            goto retry;
        }

        msg.len = ngx_mobility_push_utf8_cut(msg.data, msg.len,
                                             n + NGX_MOBILITY_WEBPUSH_OVERHEAD
                                             - NGX_MOBILITY_WEBPUSH_MAX_BODY
                                             + 8);
    }

    ttl = ngx_mobility_push_ttl(job);

    nh = 0;

    h[nh].name = (ngx_str_t) ngx_string("authorization");
    h[nh].value.data = (u_char *) wo->vapid;
    h[nh].value.len = wo->vapid_len;
    nh++;

    h[nh].name = (ngx_str_t) ngx_string("content-encoding");
    ngx_str_set(&h[nh].value, "aes128gcm");
    nh++;

    h[nh].name = (ngx_str_t) ngx_string("content-type");
    ngx_str_set(&h[nh].value, "application/octet-stream");
    nh++;

    h[nh].name = (ngx_str_t) ngx_string("ttl");
    h[nh].value.data = ngx_pnalloc(job->pool, NGX_TIME_T_LEN);
    if (h[nh].value.data == NULL) {
        ngx_str_set(&job->reason, "out of memory");
        goto retry;
    }
    h[nh].value.len = ngx_sprintf(h[nh].value.data, "%T", ttl)
                      - h[nh].value.data;
    nh++;

    h[nh].name = (ngx_str_t) ngx_string("urgency");
    ngx_str_set(&h[nh].value, "high");
    nh++;

    /* Topic: at most 32 base64url characters; the conversation's hash */
    if (job->entry.thread.len) {
        u_char  md[16];

        ngx_mobility_push_topic(&job->entry.thread, md);

        topic.data = ngx_pnalloc(job->pool, 22);
        if (topic.data == NULL) {
            ngx_str_set(&job->reason, "out of memory");
            goto retry;
        }

        topic.len = ngx_mobility_b64url_encode(topic.data, md, 16);

        h[nh].name = (ngx_str_t) ngx_string("topic");
        h[nh].value = topic;
        nh++;
    }

    ngx_memzero(&req, sizeof(ngx_mobility_http_request_t));
    ngx_str_set(&req.method, "POST");
    req.path = path;
    req.headers = h;
    req.nheaders = nh;
    req.body.data = body;
    req.body.len = len;
    req.timeout = pmcf->timeout;

    if (ngx_mobility_http_send(wo->peer, &req, ngx_mobility_push_wp_answer,
                               job)
        != NGX_OK)
    {
        ngx_str_set(&job->reason, "cannot queue the Web Push request");
        goto retry;
    }

    return NGX_OK;

retry:

    job->outcome = NGX_MOBILITY_PUSH_RETRY;
    ngx_mobility_push_job_done(job);

    return NGX_ERROR;
}


static void
ngx_mobility_push_wp_answer(ngx_mobility_http_response_t *r, void *data)
{
    ngx_mobility_push_job_t *job = data;

    ngx_str_t  why;

    ngx_str_null(&why);

    if (ngx_mobility_push_answered(job, r, &why) == NGX_OK) {
        /* no answer, 429 or 5xx: retried */

    } else if (r->status >= 200 && r->status < 300) {
        job->outcome = NGX_MOBILITY_PUSH_SENT;

    } else if (r->status == 404 || r->status == 410) {
        job->outcome = NGX_MOBILITY_PUSH_GONE;
        ngx_str_set(&job->reason, "subscription gone");

    } else {
        job->outcome = NGX_MOBILITY_PUSH_FAILED;
    }

    ngx_mobility_push_job_done(job);
}


/* the peer and VAPID header of an origin, made or renewed on demand */

static ngx_mobility_push_wp_origin_t *
ngx_mobility_push_wp_origin(ngx_str_t *origin, ngx_log_t *log)
{
    time_t                               now;
    ngx_uint_t                           i;
    ngx_mobility_push_wp_origin_t       *wo, *lru;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    wo = NULL;
    lru = &ngx_mobility_push_wp_origins[0];

    for (i = 0; i < NGX_MOBILITY_PUSH_WP_PEERS; i++) {
        if (ngx_mobility_push_wp_origins[i].origin.len == origin->len
            && ngx_strncmp(ngx_mobility_push_wp_origins[i].origin.data,
                           origin->data, origin->len) == 0)
        {
            wo = &ngx_mobility_push_wp_origins[i];
            break;
        }

        if (ngx_mobility_push_wp_origins[i].used < lru->used) {
            lru = &ngx_mobility_push_wp_origins[i];
        }
    }

    if (wo == NULL) {
        wo = lru;

        if (wo->peer) {
            if (ngx_mobility_http_pending(wo->peer)) {
                ngx_log_error(NGX_LOG_WARN, log, 0,
                              "mobility push: more than %d busy push "
                              "services", NGX_MOBILITY_PUSH_WP_PEERS);
                return NULL;
            }

            ngx_mobility_http_peer_destroy(wo->peer);
            wo->peer = NULL;
        }

        ngx_free(wo->origin.data);
        ngx_memzero(wo, sizeof(ngx_mobility_push_wp_origin_t));

        wo->origin.data = ngx_alloc(origin->len, log);
        if (wo->origin.data == NULL) {
            return NULL;
        }

        ngx_memcpy(wo->origin.data, origin->data, origin->len);
        wo->origin.len = origin->len;

        wo->peer = ngx_mobility_push_peer(origin, 0, log);
        if (wo->peer == NULL) {
            ngx_free(wo->origin.data);
            ngx_str_null(&wo->origin);
            return NULL;
        }
    }

    wo->used = ngx_current_msec;

    now = ngx_time();

    /* a VAPID token is good for 12 hours; renew it with an hour left */
    if (wo->vapid_len == 0 || wo->vapid_exp - now < 60 * 60) {
        pmcf = ngx_http_mobility_push_conf();

        wo->vapid_exp = now + NGX_MOBILITY_PUSH_WP_VAPID_TTL;
        wo->vapid_len = ngx_mobility_vapid_authorization(pmcf->vapid_key,
                                             (char *) origin->data,
                                             origin->len,
                                             (uint64_t) wo->vapid_exp,
                                             (char *) pmcf->vapid_subject.data,
                                             pmcf->vapid_subject.len,
                                             wo->vapid, sizeof(wo->vapid));
        if (wo->vapid_len == 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "mobility push: cannot sign the VAPID token");
            return NULL;
        }
    }

    return wo;
}


void
ngx_mobility_push_webpush_exit(void)
{
    ngx_uint_t                      i;
    ngx_mobility_push_wp_origin_t  *wo;

    for (i = 0; i < NGX_MOBILITY_PUSH_WP_PEERS; i++) {
        wo = &ngx_mobility_push_wp_origins[i];

        if (wo->peer) {
            ngx_mobility_http_peer_destroy(wo->peer);
        }

        ngx_free(wo->origin.data);
        ngx_memzero(wo, sizeof(ngx_mobility_push_wp_origin_t));
    }
}
