/*
 * Copyright (C) The nginx mobility authors
 *
 * The per-device rate limit of the sender (mobility_push_device_rate,
 * 240 a minute by default: FCM's documented limit for one device; APNs
 * answers TooManyRequests for a token pushed to too often).  A fixed
 * one-minute window per device token, kept in this worker's memory: only
 * worker 0 sends.  A push over the limit waits for the next window as a
 * retry, so nothing is dropped.
 */

#include "ngx_http_mobility_push.h"


#define NGX_MOBILITY_PUSH_WINDOW  60000      /* ms */


typedef struct {
    ngx_str_node_t   sn;                     /* the token (copied)       */
    ngx_queue_t      queue;                  /* oldest window first      */
    ngx_msec_t       start;
    ngx_uint_t       count;
} ngx_mobility_push_device_t;


static ngx_rbtree_t       ngx_mobility_push_devices;
static ngx_rbtree_node_t  ngx_mobility_push_devices_sentinel;
static ngx_queue_t        ngx_mobility_push_windows;


void
ngx_mobility_push_limit_init(void)
{
    ngx_rbtree_init(&ngx_mobility_push_devices,
                    &ngx_mobility_push_devices_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&ngx_mobility_push_windows);
}


/* forget the devices whose window ended before now (all: now 0) */

static void
ngx_mobility_push_limit_expire(ngx_msec_t now)
{
    ngx_queue_t                 *q;
    ngx_mobility_push_device_t  *d;

    while (!ngx_queue_empty(&ngx_mobility_push_windows)) {
        q = ngx_queue_head(&ngx_mobility_push_windows);
        d = ngx_queue_data(q, ngx_mobility_push_device_t, queue);

        if (now && now - d->start < NGX_MOBILITY_PUSH_WINDOW) {
            return;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&ngx_mobility_push_devices, &d->sn.node);
        ngx_free(d);
    }
}


/*
 * 1: the job may go now; 0: the device had its pushes for this window,
 * *wait is when the next one starts (s).  Out of memory lets it go.
 */
ngx_uint_t
ngx_mobility_push_limit_allow(ngx_mobility_push_job_t *job, time_t *wait)
{
    uint32_t                             hash;
    ngx_msec_t                           now;
    ngx_mobility_push_device_t          *d;
    ngx_http_mobility_push_main_conf_t  *pmcf;

    pmcf = ngx_http_mobility_push_conf();

    if (pmcf->device_rate == 0) {
        return 1;
    }

    now = ngx_current_msec;

    ngx_mobility_push_limit_expire(now);

    hash = ngx_crc32_short(job->token.data, job->token.len);

    d = (ngx_mobility_push_device_t *)
            ngx_str_rbtree_lookup(&ngx_mobility_push_devices, &job->token,
                                  hash);

    if (d == NULL) {
        d = ngx_alloc(sizeof(ngx_mobility_push_device_t) + job->token.len,
                      job->pool->log);
        if (d == NULL) {
            return 1;
        }

        d->sn.str.len = job->token.len;
        d->sn.str.data = (u_char *) d + sizeof(ngx_mobility_push_device_t);
        ngx_memcpy(d->sn.str.data, job->token.data, job->token.len);
        d->sn.node.key = hash;
        d->start = now;
        d->count = 0;

        ngx_rbtree_insert(&ngx_mobility_push_devices, &d->sn.node);
        ngx_queue_insert_tail(&ngx_mobility_push_windows, &d->queue);
    }

    if (d->count < pmcf->device_rate) {
        d->count++;
        return 1;
    }

    *wait = (time_t) ((d->start + NGX_MOBILITY_PUSH_WINDOW - now) / 1000) + 1;

    return 0;
}


void
ngx_mobility_push_limit_exit(void)
{
    ngx_mobility_push_limit_expire(0);
}
