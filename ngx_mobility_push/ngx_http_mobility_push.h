/*
 * Copyright (C) The nginx mobility authors
 *
 * The push sender (ngx_http_mobility_push_module): it takes due entries
 * of the durable push queue (shared/ngx_mobility_push.h), sends them to
 * APNs, FCM or a Web Push service over the outbound HTTP client and
 * records each outcome in the store.  One worker of a node sends (worker
 * 0); queue entries are claimed with a lease, so an old and a new worker
 * 0 overlapping during a reload never send one entry twice unless the
 * lease runs out (docs/push.md).
 */

#ifndef _NGX_HTTP_MOBILITY_PUSH_H_INCLUDED_
#define _NGX_HTTP_MOBILITY_PUSH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_core.h"
#include "ngx_mobility_push.h"
#include "ngx_mobility_http_client.h"


#define NGX_MOBILITY_PUSH_APNS_JWT_AGE   (40 * 60)     /* s: 20..60 min */
#define NGX_MOBILITY_PUSH_MAX_PAYLOAD    4096          /* provider limit */
#define NGX_MOBILITY_PUSH_PROVIDERS      4             /* 1..3 in use    */


/* what became of one attempt */
typedef enum {
    NGX_MOBILITY_PUSH_SENT = 0,      /* the provider accepted it        */
    NGX_MOBILITY_PUSH_RETRY,         /* try again later                 */
    NGX_MOBILITY_PUSH_GONE,          /* the target is dead: invalidate  */
    NGX_MOBILITY_PUSH_FAILED         /* permanent refusal: drop it      */
} ngx_mobility_push_outcome_e;


/* counters per provider, in shared memory: every worker reports */
typedef struct {
    ngx_atomic_t                  sent;
    ngx_atomic_t                  failed;
    ngx_atomic_t                  retried;
    ngx_atomic_t                  invalidated;
} ngx_mobility_push_counters_t;


typedef struct {
    ngx_mobility_push_counters_t  provider[NGX_MOBILITY_PUSH_PROVIDERS];
    ngx_atomic_t                  expired;
    ngx_atomic_t                  in_flight;
} ngx_mobility_push_stats_t;


typedef struct ngx_mobility_push_job_s  ngx_mobility_push_job_t;


typedef struct {
    /* APNs: token authentication */
    EVP_PKEY                     *apns_key;
    ngx_str_t                     apns_key_id;
    ngx_str_t                     apns_team_id;
    ngx_str_t                     apns_production;  /* origins */
    ngx_str_t                     apns_sandbox;

    /* FCM HTTP v1: a service account */
    EVP_PKEY                     *fcm_key;
    ngx_str_t                     fcm_key_id;
    ngx_str_t                     fcm_project;
    ngx_str_t                     fcm_client_email;
    ngx_str_t                     fcm_token_uri;
    ngx_str_t                     fcm_origin;

    /* Web Push: VAPID */
    EVP_PKEY                     *vapid_key;
    ngx_str_t                     vapid_subject;

    ngx_ssl_t                    *ssl;
    ngx_flag_t                    verify;
    ngx_str_t                     trusted_certificate;
    ngx_msec_t                    timeout;
    ngx_uint_t                    max_in_flight;
    ngx_uint_t                    device_rate;   /* a minute, 0: off */
    ngx_http_core_loc_conf_t     *clcf;          /* its resolver */

    ngx_shm_zone_t               *stats_zone;
} ngx_http_mobility_push_main_conf_t;


/* a claimed queue entry on its way to the provider */
struct ngx_mobility_push_job_s {
    ngx_pool_t                   *pool;
    ngx_mobility_push_entry_t     entry;       /* owns entry.buf          */

    /* the target, from the registration when the entry was claimed */
    uint64_t                      provider;
    ngx_str_t                     token;       /* or the endpoint URL     */
    ngx_str_t                     topic;
    ngx_uint_t                    sandbox;
    ngx_uint_t                    previews;
    u_char                        p256dh[65];
    u_char                        auth[16];

    ngx_uint_t                    env;         /* APNs: 1 sandbox         */
    ngx_uint_t                    status;      /* the provider's answer   */
    ngx_mobility_push_outcome_e   outcome;
    time_t                        retry_after; /* s, 0: by backoff        */
    ngx_str_t                     reason;      /* for the log             */

    ngx_mobility_push_job_t      *next;        /* waiting and done lists  */
};


extern ngx_module_t  ngx_http_mobility_push_module;


ngx_http_mobility_push_main_conf_t *ngx_http_mobility_push_conf(void);
ngx_mobility_push_stats_t *ngx_http_mobility_push_stats(void);

/* the sender (ngx_mobility_push_sender.c) */
ngx_int_t ngx_mobility_push_sender_init(ngx_cycle_t *cycle);
void ngx_mobility_push_sender_exit(ngx_cycle_t *cycle);
uint64_t ngx_mobility_push_sender_depth(ngx_log_t *log);

/* every provider reports the end of an attempt here, exactly once */
void ngx_mobility_push_job_done(ngx_mobility_push_job_t *job);

/* helpers of the providers */
ngx_mobility_http_peer_t *ngx_mobility_push_peer(ngx_str_t *origin,
    ngx_uint_t http2, ngx_log_t *log);
void ngx_mobility_push_payload_text(ngx_mobility_push_job_t *job,
    ngx_str_t *title, ngx_str_t *body);
ngx_int_t ngx_mobility_push_answered(ngx_mobility_push_job_t *job,
    ngx_mobility_http_response_t *r, ngx_str_t *why);
time_t ngx_mobility_push_retry_after(ngx_mobility_http_response_t *r);
time_t ngx_mobility_push_ttl(ngx_mobility_push_job_t *job);
size_t ngx_mobility_push_utf8_cut(const u_char *data, size_t len,
    size_t cut);
void ngx_mobility_push_uuid(ngx_mobility_push_job_t *job, u_char *out);
void ngx_mobility_push_topic(ngx_mobility_bytes_t *thread, u_char *md);
ngx_int_t ngx_mobility_push_split_url(ngx_str_t *url, ngx_str_t *origin,
    ngx_str_t *path);
ngx_uint_t ngx_mobility_push_str_is(ngx_str_t *s, const char *value);

/* the per-device rate limit (ngx_mobility_push_limit.c) */
void ngx_mobility_push_limit_init(void);
ngx_uint_t ngx_mobility_push_limit_allow(ngx_mobility_push_job_t *job,
    time_t *wait);
void ngx_mobility_push_limit_exit(void);

/* the providers: send one job; NGX_ERROR: it is already done */
ngx_int_t ngx_mobility_push_apns_send(ngx_mobility_push_job_t *job);
ngx_int_t ngx_mobility_push_fcm_send(ngx_mobility_push_job_t *job);
ngx_int_t ngx_mobility_push_webpush_send(ngx_mobility_push_job_t *job);
void ngx_mobility_push_apns_exit(void);
void ngx_mobility_push_fcm_exit(void);
void ngx_mobility_push_webpush_exit(void);


#endif /* _NGX_HTTP_MOBILITY_PUSH_H_INCLUDED_ */
