/*
 * Copyright (C) The nginx mobility authors
 *
 * The UCWA module: directives, the content handler (authentication,
 * cross-origin rules, the request body), the router shared with batch,
 * and the rendering of responses with the common UCWA headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_ipc.h"
#include "ngx_http_mobility_admin.h"


/* wake-up ids checked for duplicates as they are added */
#define NGX_MOBILITY_UCWA_WAKE_SCAN  64


typedef struct {
    ngx_str_t                      path;        /* lower case, after the id */
    ngx_uint_t                     methods;
    ngx_mobility_ucwa_handler_pt   handler;
    unsigned                       prefix:1;    /* path/<anything> */
    unsigned                       no_batch:1;
} ngx_mobility_ucwa_route_t;


typedef struct {
    ngx_mobility_ucwa_req_t       *rq;
    ngx_str_t                      origin;      /* allowed: echo in CORS */

    /* the request's headers the module reads, found in one scan */
    ngx_table_elt_t               *accept;
    ngx_table_elt_t               *h_origin;
    ngx_table_elt_t               *ms_origin;
    ngx_table_elt_t               *min_version;
    ngx_table_elt_t               *correlation;
    ngx_table_elt_t               *client_request;

    ngx_mobility_ucwa_route_t     *route;       /* of rq->rest, if routed */
    unsigned                       scanned:1;
    unsigned                       routed:1;
} ngx_http_mobility_ucwa_ctx_t;


static ngx_int_t ngx_http_mobility_ucwa_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_mobility_ucwa_start(ngx_http_request_t *r);
static void ngx_http_mobility_ucwa_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_mobility_ucwa_process(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq);
static ngx_int_t ngx_http_mobility_ucwa_preflight(ngx_http_request_t *r,
    ngx_http_mobility_ucwa_ctx_t *ctx);
static ngx_int_t ngx_http_mobility_ucwa_send_error(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_uint_t status, const char *code,
    const char *subcode, const char *message);
static ngx_int_t ngx_mobility_ucwa_dispatch_route(
    ngx_mobility_ucwa_req_t *rq, ngx_mobility_ucwa_resp_t *rs,
    ngx_uint_t routed, ngx_mobility_ucwa_route_t *route);
static void ngx_http_mobility_ucwa_scan_headers(ngx_http_request_t *r,
    ngx_http_mobility_ucwa_ctx_t *ctx);
static ngx_table_elt_t *ngx_http_mobility_ucwa_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_mobility_ucwa_init_process(ngx_cycle_t *cycle);
static void ngx_http_mobility_ucwa_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_mobility_ucwa_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_ucwa_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_http_mobility_ucwa_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mobility_ucwa_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_mobility_ucwa(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_ucwa_node(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_mobility_ucwa_meeting_url(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_num_bounds_t  ngx_http_mobility_ucwa_max_apps_bounds = {
    ngx_conf_check_num_bounds, 1, 1000
};

static ngx_conf_num_bounds_t  ngx_http_mobility_ucwa_max_events_bounds = {
    ngx_conf_check_num_bounds, 1, 100000
};

static ngx_conf_num_bounds_t  ngx_http_mobility_ucwa_max_meetings_bounds = {
    ngx_conf_check_num_bounds, 1, 10000
};


static ngx_command_t  ngx_http_mobility_ucwa_commands[] = {

    { ngx_string("mobility_ucwa"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mobility_ucwa,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_ucwa_node"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_mobility_ucwa_node,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mobility_ucwa_app_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, idle_timeout),
      NULL },

    { ngx_string("mobility_ucwa_max_apps"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, max_apps),
      &ngx_http_mobility_ucwa_max_apps_bounds },

    { ngx_string("mobility_ucwa_pget_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, pget_timeout),
      NULL },

    { ngx_string("mobility_ucwa_max_events"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, max_events),
      &ngx_http_mobility_ucwa_max_events_bounds },

    { ngx_string("mobility_ucwa_inactive_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, inactive_timeout),
      NULL },

    { ngx_string("mobility_ucwa_away_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, away_timeout),
      NULL },

    { ngx_string("mobility_ucwa_invitation_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, invitation_timeout),
      NULL },

    { ngx_string("mobility_ucwa_lobby_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, lobby_timeout),
      NULL },

    { ngx_string("mobility_ucwa_history_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, history_retention),
      NULL },

    { ngx_string("mobility_ucwa_html_messaging"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, html_messaging),
      NULL },

    { ngx_string("mobility_ucwa_conversation_keep"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, conversation_keep),
      NULL },

    { ngx_string("mobility_ucwa_subscription_warning"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, subscription_warning),
      NULL },

    { ngx_string("mobility_push_grace"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, push_grace),
      NULL },

    { ngx_string("mobility_push_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, push_ttl),
      NULL },

    { ngx_string("mobility_push_previews"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, push_previews),
      NULL },

    { ngx_string("mobility_ucwa_max_meetings"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_mobility_ucwa_main_conf_t, max_meetings),
      &ngx_http_mobility_ucwa_max_meetings_bounds },

    { ngx_string("mobility_ucwa_meeting_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_mobility_ucwa_meeting_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mobility_ucwa_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_mobility_ucwa_create_main_conf, /* create main configuration */
    ngx_http_mobility_ucwa_init_main_conf, /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mobility_ucwa_create_loc_conf, /* create location configuration */
    ngx_http_mobility_ucwa_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_mobility_ucwa_module = {
    NGX_MODULE_V1,
    &ngx_http_mobility_ucwa_module_ctx,    /* module context */
    ngx_http_mobility_ucwa_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_mobility_ucwa_init_process,   /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_mobility_ucwa_exit_process,   /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


#define ngx_mobility_ucwa_route(path, methods, handler, prefix, no_batch)    \
    { ngx_string(path), methods, handler, prefix, no_batch }

static ngx_mobility_ucwa_route_t  ngx_mobility_ucwa_routes[] = {

    ngx_mobility_ucwa_route("", NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_application, 0, 0),
    ngx_mobility_ucwa_route("/me", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_me, 0, 0),
    ngx_mobility_ucwa_route("/me/makemeavailable", NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_make_me_available, 0, 0),
    ngx_mobility_ucwa_route("/communication/makemeavailable",
                            NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_make_me_available, 0, 0),
    ngx_mobility_ucwa_route("/reportmyactivity", NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_report_activity, 0, 0),
    ngx_mobility_ucwa_route("/me/reportmyactivity", NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_report_activity, 0, 0),
    ngx_mobility_ucwa_route("/me/presence",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_presence, 0, 0),
    ngx_mobility_ucwa_route("/me/note",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_note, 0, 0),
    ngx_mobility_ucwa_route("/me/location",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_location, 0, 0),
    ngx_mobility_ucwa_route("/me/phones", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_phones, 0, 0),
    ngx_mobility_ucwa_route("/me/callforwardingsettings",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_PUT,
                            ngx_mobility_ucwa_call_forwarding, 0, 0),
    ngx_mobility_ucwa_route("/me/photo", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_photo, 0, 1),
    ngx_mobility_ucwa_route("/photo", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_photo, 0, 1),
    ngx_mobility_ucwa_route("/photos/", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_photo, 1, 1),
    ngx_mobility_ucwa_route("/communication",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_PUT,
                            ngx_mobility_ucwa_communication, 0, 0),
    ngx_mobility_ucwa_route("/communication/messagingInvitations",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_messaging, 0, 0),
    ngx_mobility_ucwa_route("/communication/messagingInvitations/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_messaging, 1, 0),
    ngx_mobility_ucwa_route("/communication/conversations",
                            NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_messaging, 0, 0),
    ngx_mobility_ucwa_route("/communication/conversations/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST
                            |NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_messaging, 1, 0),
    ngx_mobility_ucwa_route("/communication/onlineMeetingInvitations",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_conference, 0, 0),
    ngx_mobility_ucwa_route("/communication/onlineMeetingInvitations/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_conference, 1, 0),
    ngx_mobility_ucwa_route("/communication/participantInvitations",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_conference, 0, 0),
    ngx_mobility_ucwa_route("/communication/participantInvitations/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_conference, 1, 0),
    ngx_mobility_ucwa_route("/communication/conversationLogs",
                            NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_conversation_logs, 0, 0),
    ngx_mobility_ucwa_route("/communication/conversationLogs/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST
                            |NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_conversation_logs, 1, 0),
    ngx_mobility_ucwa_route("/communication/missedItems",
                            NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_missed_items, 0, 0),
    ngx_mobility_ucwa_route("/policies", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_policies, 0, 0),
    ngx_mobility_ucwa_route("/onlineMeetings", NGX_MOBILITY_UCWA_GET,
                            ngx_mobility_ucwa_meetings, 0, 0),
    ngx_mobility_ucwa_route("/onlineMeetings/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST
                            |NGX_MOBILITY_UCWA_PUT|NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_meetings, 1, 0),
    ngx_mobility_ucwa_route("/pushregistration",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_PUT
                            |NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_push_registration, 0, 0),
    ngx_mobility_ucwa_route("/batch", NGX_MOBILITY_UCWA_POST,
                            ngx_mobility_ucwa_batch, 0, 1),
    ngx_mobility_ucwa_route("/events", NGX_MOBILITY_UCWA_GET,
                            NULL, 0, 1),
    ngx_mobility_ucwa_route("/people/",
                            NGX_MOBILITY_UCWA_GET|NGX_MOBILITY_UCWA_POST
                            |NGX_MOBILITY_UCWA_PUT|NGX_MOBILITY_UCWA_DELETE,
                            ngx_mobility_ucwa_people, 1, 0),

    { ngx_null_string, 0, NULL, 0, 0 }
};


/*
 * What an anonymous meeting guest has no business with: 403 Forbidden,
 * AnonymousNotAllowed (the path and everything under it).
 */
static ngx_str_t  ngx_mobility_ucwa_anon_refused[] = {
    ngx_string("/people"),
    ngx_string("/onlineMeetings"),
    ngx_string("/pushRegistration"),
    ngx_string("/communication/conversationLogs"),
    ngx_string("/communication/missedItems"),
    ngx_string("/me/callForwardingSettings"),
    ngx_null_string
};


static ngx_str_t  ngx_mobility_ucwa_bases[] = {
    ngx_string("/ucwa/oauth/v1/applications"),
    ngx_string("/ucwa/v1/applications")
};


/* ------------------------------------------------------------------ */
/* helpers shared by the handlers                                     */


uint64_t
ngx_mobility_ucwa_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return ngx_mobility_ucwa_ms(tp);
}


void
ngx_mobility_ucwa_random_hex(u_char *dst, size_t n)
{
    u_char      raw[32];
    size_t      i, len;
    ngx_uint_t  r;

    len = (n + 1) / 2;

    if (len > sizeof(raw)) {
        len = sizeof(raw);
    }

    if (RAND_bytes(raw, (int) len) != 1) {
        for (i = 0; i < len; i++) {
            r = (ngx_uint_t) ngx_random();
            raw[i] = (u_char) (r >> 7);
        }
    }

    ngx_hex_dump(dst, raw, n / 2);

    if (n & 1) {
        dst[n - 1] = "0123456789abcdef"[raw[len - 1] & 0x0f];
    }
}


void
ngx_mobility_ucwa_guid(u_char *dst)
{
    u_char  hex[32];

    ngx_mobility_ucwa_random_hex(hex, 32);

    /* a version 4 UUID: 8-4-4-4-12 */
    hex[12] = '4';
    hex[16] = "89ab"[hex[16] & 3];

    ngx_sprintf(dst, "%*s-%*s-%*s-%*s-%*s", (size_t) 8, hex, (size_t) 4,
                hex + 8, (size_t) 4, hex + 12, (size_t) 4, hex + 16,
                (size_t) 12, hex + 20);
}


ngx_int_t
ngx_mobility_ucwa_tx_begin(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_req_t *rq, ngx_uint_t write)
{
    int  rc;

    if (rq) {
        tx->pool = rq->pool;
        tx->log = rq->log;
        tx->umcf = rq->umcf;
        tx->wake = rq->wake;
    }

    tx->due = 0;
    tx->pushed = NULL;
    tx->push = 0;
    tx->logged = NULL;
    tx->now = ngx_mobility_ucwa_now();
    tx->txn = NULL;
    tx->write = write;
    tx->user = NULL;
    tx->user_raw.len = 0;
    tx->app_view = 0;

    tx->st = ngx_mobility_store_current();
    if (tx->st == NULL) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0,
                      "mobility ucwa: the store is not open");
        return NGX_ERROR;
    }

    if (rq && rq->r && !rq->batch) {
        if (!write) {
            /*
             * the first read of the request uses the transaction of its
             * token check; it ends with this one, so that a later read
             * sees what the request wrote in between
             */
            tx->txn = ngx_http_mobility_txn_take(rq->r, &tx->user,
                                                 &tx->user_raw,
                                                 &tx->dir_gen);

            if (tx->txn) {
                return NGX_OK;
            }

        } else {
            ngx_http_mobility_txn_end(rq->r);
        }
    }

    if (write) {
        rc = ngx_mobility_store_begin(tx->st, &tx->txn, 1);

    } else {
        rc = ngx_mobility_store_read(tx->st, &tx->txn);
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        tx->txn = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_tx_commit(ngx_mobility_ucwa_tx_t *tx)
{
    MDB_txn  *txn;

    /* missedItems updated for the users whose log count changed, last */
    if (tx->logged && ngx_mobility_ucwa_history_flush(tx) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(tx);
        tx->push = 0;
        return NGX_ERROR;
    }

    txn = tx->txn;
    tx->txn = NULL;

    if (!tx->write) {
        /* a read transaction: nothing to commit */
        tx->user = NULL;
        ngx_mobility_store_read_end(tx->st, txn);
        return NGX_OK;
    }

    if (ngx_mobility_store_commit(tx->st, txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        tx->push = 0;
        return NGX_ERROR;
    }

    if (tx->push) {
        /* pushes were queued: the senders wake */
        ngx_mobility_ucwa_push_wake(tx);
    }

    return NGX_OK;
}


void
ngx_mobility_ucwa_tx_abort(ngx_mobility_ucwa_tx_t *tx)
{
    if (tx->txn == NULL) {
        return;
    }

    tx->user = NULL;

    if (!tx->write) {
        ngx_mobility_store_read_end(tx->st, tx->txn);

    } else {
        mdb_txn_abort(tx->txn);
    }

    tx->txn = NULL;
}


ngx_int_t
ngx_mobility_ucwa_store_error(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_store_t *st)
{
    if (st) {
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                      st->err);
    }

    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "ServiceFailure", NULL,
                                   "The server could not complete the "
                                   "request.");
}


ngx_int_t
ngx_mobility_ucwa_wake_add(ngx_array_t *wake, ngx_pool_t *pool,
    ngx_str_t *id)
{
    ngx_str_t   *ids, *s;
    ngx_uint_t   i;

    if (wake == NULL) {
        return NGX_OK;
    }

    ids = wake->elts;

    /*
     * a fan-out adds thousands: past a few, duplicates are dropped when
     * the ids are sent (a scan per id made a fan-out O(M^2))
     */

    for (i = (wake->nelts > NGX_MOBILITY_UCWA_WAKE_SCAN) ? wake->nelts : 0;
         i < wake->nelts;
         i++)
    {
        if (ids[i].len == id->len
            && ngx_memcmp(ids[i].data, id->data, id->len) == 0)
        {
            return NGX_OK;
        }
    }

    s = ngx_array_push(wake);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = ngx_pstrdup(pool, id);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    s->len = id->len;

    return NGX_OK;
}


static void
ngx_mobility_ucwa_wake_send(u_char *buf, size_t len, ngx_log_t *log)
{
    if (len == 0) {
        return;
    }

    if (ngx_mobility_ipc_broadcast(NGX_MOBILITY_IPC_APP_WAKE, buf, len)
        != NGX_OK)
    {
        /* no IPC in this process: at least wake our own P-GETs */
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "mobility ucwa: broadcast failed, waking locally");
        ngx_mobility_ucwa_wake_local(buf, len);
    }
}


static int ngx_libc_cdecl
ngx_mobility_ucwa_wake_cmp(const void *one, const void *two)
{
    const ngx_str_t  *a = one;
    const ngx_str_t  *b = two;

    if (a->len != b->len) {
        return (a->len < b->len) ? -1 : 1;
    }

    return ngx_memcmp(a->data, b->data, a->len);
}


void
ngx_mobility_ucwa_wake_flush(ngx_array_t *wake, uint64_t due, ngx_log_t *log)
{
    u_char      *p, *last;
    ngx_str_t   *ids;
    ngx_uint_t   i;
    u_char       buf[NGX_MOBILITY_IPC_MAX];

    /* presence may change later on its own: this worker will publish it */
    ngx_mobility_ucwa_due_arm(due);

    if (wake == NULL || wake->nelts == 0) {
        return;
    }

    ids = wake->elts;
    p = buf;
    last = buf + sizeof(buf);

    if (wake->nelts > NGX_MOBILITY_UCWA_WAKE_SCAN) {
        ngx_qsort(ids, wake->nelts, sizeof(ngx_str_t),
                  ngx_mobility_ucwa_wake_cmp);
    }

    for (i = 0; i < wake->nelts; i++) {

        if (i && ids[i].len == ids[i - 1].len
            && ngx_memcmp(ids[i].data, ids[i - 1].data, ids[i].len) == 0)
        {
            continue;
        }

        if ((size_t) (last - p) < ids[i].len + 1) {
            ngx_mobility_ucwa_wake_send(buf, p - buf, log);
            p = buf;
        }

        p = ngx_cpymem(p, ids[i].data, ids[i].len);
        *p++ = '\n';
    }

    ngx_mobility_ucwa_wake_send(buf, p - buf, log);

    wake->nelts = 0;
}


/* ------------------------------------------------------------------ */
/* the router                                                         */


static ngx_uint_t
ngx_mobility_ucwa_method_bit(ngx_uint_t method)
{
    switch (method) {
    case NGX_HTTP_GET:
    case NGX_HTTP_HEAD:
        return NGX_MOBILITY_UCWA_GET;
    case NGX_HTTP_POST:
        return NGX_MOBILITY_UCWA_POST;
    case NGX_HTTP_PUT:
        return NGX_MOBILITY_UCWA_PUT;
    case NGX_HTTP_DELETE:
        return NGX_MOBILITY_UCWA_DELETE;
    default:
        return 0;
    }
}


static ngx_mobility_ucwa_route_t *
ngx_mobility_ucwa_find_route(ngx_str_t *rest)
{
    size_t                      len;
    ngx_mobility_ucwa_route_t  *route;

    len = rest->len;

    /* one trailing slash is tolerated */
    if (len > 1 && rest->data[len - 1] == '/') {
        len--;
    }

    for (route = ngx_mobility_ucwa_routes; route->path.data; route++) {

        if (route->prefix) {
            if (rest->len > route->path.len
                && ngx_strncasecmp(rest->data, route->path.data,
                                   route->path.len) == 0)
            {
                return route;
            }

            continue;
        }

        if ((len == route->path.len
             && ngx_strncasecmp(rest->data, route->path.data, len) == 0)
            || (rest->len == 1 && route->path.len == 0))
        {
            return route;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_mobility_ucwa_allow(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t methods)
{
    u_char  *p;

    p = ngx_pnalloc(rq->pool, sizeof("GET, POST, PUT, DELETE"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    rs->allow.data = p;

    if (methods & NGX_MOBILITY_UCWA_GET) {
        p = ngx_cpymem(p, "GET, ", 5);
    }

    if (methods & NGX_MOBILITY_UCWA_POST) {
        p = ngx_cpymem(p, "POST, ", 6);
    }

    if (methods & NGX_MOBILITY_UCWA_PUT) {
        p = ngx_cpymem(p, "PUT, ", 5);
    }

    if (methods & NGX_MOBILITY_UCWA_DELETE) {
        p = ngx_cpymem(p, "DELETE, ", 8);
    }

    rs->allow.len = (p - rs->allow.data > 2) ? p - rs->allow.data - 2 : 0;

    return ngx_mobility_ucwa_not_allowed(rq, rs);
}


static ngx_uint_t
ngx_mobility_ucwa_is_anon_refused(ngx_str_t *rest)
{
    ngx_str_t  *p;

    for (p = ngx_mobility_ucwa_anon_refused; p->len; p++) {
        if (rest->len >= p->len
            && ngx_strncasecmp(rest->data, p->data, p->len) == 0
            && (rest->len == p->len || rest->data[p->len] == '/'
                || rest->data[p->len] == '?'))
        {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_mobility_ucwa_dispatch(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_dispatch_route(rq, rs, 0, NULL);
}


/* routed: the route of rq->rest was found already (may be NULL) */
static ngx_int_t
ngx_mobility_ucwa_dispatch_route(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t routed,
    ngx_mobility_ucwa_route_t *route)
{
    ngx_uint_t  bit;

    bit = ngx_mobility_ucwa_method_bit(rq->method);

    if (rq->app_id.len == 0) {
        if (bit != NGX_MOBILITY_UCWA_POST) {
            return ngx_mobility_ucwa_allow(rq, rs, NGX_MOBILITY_UCWA_POST);
        }

        if (rq->batch) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                           "BadRequest", NULL,
                                           "Applications cannot be created "
                                           "in a batch.");
        }

        return ngx_mobility_ucwa_applications(rq, rs);
    }

    if (!routed) {
        route = ngx_mobility_ucwa_find_route(&rq->rest);
    }

    if (route == NULL) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "The resource does not exist.");
    }

    if (rq->batch && route->no_batch) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                       "BadRequest", NULL,
                                       "This request is not allowed in a "
                                       "batch.");
    }

    if (!(route->methods & bit)) {
        return ngx_mobility_ucwa_allow(rq, rs, route->methods);
    }

    if (rq->identity && rq->identity->anonymous
        && ngx_mobility_ucwa_is_anon_refused(&rq->rest))
    {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", "AnonymousNotAllowed",
                                       "Anonymous users cannot do this.");
    }

    if (route->handler == NULL) {
        /* events: the P-GET is not a resource handler */
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                       "BadRequest", NULL,
                                       "This request is not allowed here.");
    }

    return route->handler(rq, rs);
}


/* ------------------------------------------------------------------ */
/* the content handler                                                */


static ngx_uint_t
ngx_http_mobility_ucwa_origin_allowed(ngx_http_request_t *r,
    ngx_str_t *origin)
{
    size_t                         len;
    ngx_str_t                     *o;
    ngx_uint_t                     i;
    ngx_http_mobility_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mobility_module);

    if (mlcf->origins == NULL) {
        return 0;
    }

    len = origin->len;

    while (len && origin->data[len - 1] == '/') {
        len--;
    }

    o = mlcf->origins->elts;

    for (i = 0; i < mlcf->origins->nelts; i++) {
        if (o[i].len == len
            && ngx_strncasecmp(o[i].data, origin->data, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_table_elt_t *
ngx_http_mobility_ucwa_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * The headers the module reads, in one walk of the list (the first of a
 * name, as ngx_http_mobility_ucwa_header() finds it): by their lower case
 * names, which nginx made while parsing them
 */
static void
ngx_http_mobility_ucwa_scan_headers(ngx_http_request_t *r,
    ngx_http_mobility_ucwa_ctx_t *ctx)
{
    u_char            *k;
    ngx_uint_t         i;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h, **slot;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        k = h[i].lowcase_key;
        slot = NULL;

        switch (h[i].key.len) {

        case sizeof("accept") - 1:
            if (ngx_memcmp(k, "accept", 6) == 0) {
                slot = &ctx->accept;

            } else if (ngx_memcmp(k, "origin", 6) == 0) {
                slot = &ctx->h_origin;
            }

            break;

        case sizeof("x-ms-origin") - 1:
            if (ngx_memcmp(k, "x-ms-origin", 11) == 0) {
                slot = &ctx->ms_origin;
            }

            break;

        case sizeof("client-request-id") - 1:
            if (ngx_memcmp(k, "client-request-id", 17) == 0) {
                slot = &ctx->client_request;
            }

            break;

        case sizeof("x-ms-correlation-id") - 1:
            if (ngx_memcmp(k, "x-ms-correlation-id", 19) == 0) {
                slot = &ctx->correlation;
            }

            break;

        case sizeof("x-ms-requiresminresourceversion") - 1:
            if (ngx_memcmp(k, "x-ms-requiresminresourceversion", 31) == 0) {
                slot = &ctx->min_version;
            }

            break;
        }

        if (slot && *slot == NULL) {
            *slot = &h[i];
        }
    }

    ctx->scanned = 1;
}


/* the bytes of an application id: [a-z0-9-] */
static const u_char  ngx_mobility_ucwa_id_char[256] = {
    ['-'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1
};


ngx_int_t
ngx_mobility_ucwa_parse_path(ngx_str_t *uri, ngx_mobility_ucwa_req_t *rq)
{
    u_char      *p, *last, *id;
    ngx_str_t   *b;
    ngx_uint_t   i;

    for (i = 0; i < 2; i++) {
        b = &ngx_mobility_ucwa_bases[i];

        /* the exact spelling first: ngx_strncasecmp() walks bytes */

        if (uri->len >= b->len
            && (ngx_memcmp(uri->data, b->data, b->len) == 0
                || ngx_strncasecmp(uri->data, b->data, b->len) == 0)
            && (uri->len == b->len || uri->data[b->len] == '/'))
        {
            break;
        }
    }

    if (i == 2) {
        return NGX_DECLINED;
    }

    rq->base = i;
    b = &ngx_mobility_ucwa_bases[i];

    p = uri->data + b->len;
    last = uri->data + uri->len;

    if (p < last) {
        p++;
    }

    id = p;

    /* an id is [a-z0-9-]*, up to the next slash: one walk */

    while (p < last && ngx_mobility_ucwa_id_char[*p]) {
        p++;
    }

    if (p < last && *p != '/') {
        return NGX_DECLINED;
    }

    rq->app_id.data = id;
    rq->app_id.len = p - id;

    if (rq->app_id.len > NGX_MOBILITY_UCWA_ID_MAX) {
        return NGX_DECLINED;
    }

    rq->rest.data = p;
    rq->rest.len = last - p;

    return NGX_OK;
}


/* CORS, for an origin the administrator allowed (mobility_allow_origin) */
static void
ngx_http_mobility_ucwa_cors_headers(ngx_http_request_t *r)
{
    ngx_http_mobility_ucwa_ctx_t  *ctx;

    static ngx_str_t  credentials = ngx_string("true");
    static ngx_str_t  expose = ngx_string("ETag, Location, WWW-Authenticate, "
                                          "X-MS-Correlation-Id, "
                                          "client-request-id, "
                                          "X-Ms-diagnostics, "
                                          "X-MS-Server-Fqdn");
    static ngx_str_t  vary = ngx_string("Origin");

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_ucwa_module);

    if (ctx == NULL || ctx->origin.len == 0) {
        return;
    }

    (void) ngx_http_mobility_add_header(r, "Access-Control-Allow-Origin",
                                        &ctx->origin);
    (void) ngx_http_mobility_add_header(r, "Access-Control-Allow-Credentials",
                                        &credentials);
    (void) ngx_http_mobility_add_header(r, "Access-Control-Expose-Headers",
                                        &expose);
    (void) ngx_http_mobility_add_header(r, "Vary", &vary);
}


static void
ngx_http_mobility_ucwa_common_headers(ngx_http_request_t *r,
    ngx_mobility_ucwa_resp_t *rs)
{
    ngx_table_elt_t               *h, *c;
    ngx_http_mobility_ucwa_ctx_t  *ctx;

    static ngx_str_t  nosniff = ngx_string("nosniff");
    static ngx_str_t  p3p = ngx_string("CP=\"IDC CUR ADM OUR BUS\"");

    if (rs == NULL || !rs->photo) {
        (void) ngx_http_mobility_nocache_headers(r);
    }

    (void) ngx_http_mobility_add_header(r, "X-Content-Type-Options",
                                        &nosniff);

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_ucwa_module);

    if (ctx && ctx->scanned) {
        h = ctx->correlation;
        c = ctx->client_request;

    } else {
        h = ngx_http_mobility_ucwa_header(r, "X-MS-Correlation-Id");
        c = ngx_http_mobility_ucwa_header(r, "client-request-id");
    }

    if (h && h->value.len && h->value.len <= 128) {
        (void) ngx_http_mobility_add_header(r, "X-MS-Correlation-Id",
                                            &h->value);
    }

    h = c;
    if (h && h->value.len && h->value.len <= 128) {
        (void) ngx_http_mobility_add_header(r, "client-request-id",
                                            &h->value);
    }

    ngx_http_mobility_ucwa_cors_headers(r);

    if (rs && rs->p3p) {
        (void) ngx_http_mobility_add_header(r, "P3P", &p3p);
    }
}


#if (NGX_HAVE_LITTLE_ENDIAN)

/*
 * The ETag of a body is its CRC-32 (the values of ngx_crc32_long()),
 * computed 8 bytes at a step ("slicing by 8"): nginx's table walks one
 * byte at a time, which was 2 us of a 0.7 KB "me".
 */
static uint32_t  ngx_http_mobility_ucwa_crc_tab[8][256];
static ngx_uint_t  ngx_http_mobility_ucwa_crc_ready;


#if (NGX_HAVE_LITTLE_ENDIAN && defined __x86_64__ && defined __GNUC__)

/*
 * With PCLMULQDQ the CRC-32 folds 64 bytes a step (Intel, "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction", the
 * bit-reflected constants of the gzip polynomial, as zlib's and the Linux
 * kernel's crc32 do): the same values as the tables, a tenth of the
 * instructions.  len >= 64, a multiple of 16; crc and the result are the
 * register before the final inversion.
 */

#include <immintrin.h>

#define NGX_HTTP_MOBILITY_UCWA_CRC_FOLD  1

static ngx_int_t  ngx_http_mobility_ucwa_crc_clmul = -1;


__attribute__((target("pclmul,sse4.1")))
static uint32_t
ngx_http_mobility_ucwa_crc32_fold(const u_char *buf, size_t len,
    uint32_t crc)
{
    static const uint64_t  __attribute__((aligned(16))) k1k2[] = {
        0x0154442bd4, 0x01c6e41596
    };
    static const uint64_t  __attribute__((aligned(16))) k3k4[] = {
        0x01751997d0, 0x00ccaa009e
    };
    static const uint64_t  __attribute__((aligned(16))) k5k0[] = {
        0x0163cd6124, 0x0000000000
    };
    static const uint64_t  __attribute__((aligned(16))) poly[] = {
        0x01db710641, 0x01f7011641
    };
    __m128i  x0, x1, x2, x3, x4, x5, x6, x7, x8, y5, y6, y7, y8;

    x1 = _mm_loadu_si128((const __m128i *) (buf + 0x00));
    x2 = _mm_loadu_si128((const __m128i *) (buf + 0x10));
    x3 = _mm_loadu_si128((const __m128i *) (buf + 0x20));
    x4 = _mm_loadu_si128((const __m128i *) (buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int) crc));
    x0 = _mm_load_si128((const __m128i *) k1k2);

    buf += 64;
    len -= 64;
    while (len >= 64) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
        x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
        x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
        y5 = _mm_loadu_si128((const __m128i *) (buf + 0x00));
        y6 = _mm_loadu_si128((const __m128i *) (buf + 0x10));
        y7 = _mm_loadu_si128((const __m128i *) (buf + 0x20));
        y8 = _mm_loadu_si128((const __m128i *) (buf + 0x30));
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), y5);
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), y6);
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), y7);
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), y8);
        buf += 64;
        len -= 64;
    }
    x0 = _mm_load_si128((const __m128i *) k3k4);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
    while (len >= 16) {
        x2 = _mm_loadu_si128((const __m128i *) buf);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        buf += 16;
        len -= 16;
    }
    x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
    x3 = _mm_setr_epi32(~0, 0, ~0, 0);
    x1 = _mm_srli_si128(x1, 8);
    x1 = _mm_xor_si128(x1, x2);
    x0 = _mm_loadl_epi64((const __m128i *) k5k0);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, x3);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    x0 = _mm_load_si128((const __m128i *) poly);
    x2 = _mm_and_si128(x1, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
    x2 = _mm_and_si128(x2, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return (uint32_t) _mm_extract_epi32(x1, 1);
}

#endif


static void
ngx_http_mobility_ucwa_crc_init(void)
{
    uint32_t    c;
    ngx_uint_t  i, k;

    for (i = 0; i < 256; i++) {
        c = (uint32_t) i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }

        ngx_http_mobility_ucwa_crc_tab[0][i] = c;
    }

    for (i = 0; i < 256; i++) {
        c = ngx_http_mobility_ucwa_crc_tab[0][i];

        for (k = 1; k < 8; k++) {
            c = (c >> 8) ^ ngx_http_mobility_ucwa_crc_tab[0][c & 0xff];
            ngx_http_mobility_ucwa_crc_tab[k][i] = c;
        }
    }

    ngx_http_mobility_ucwa_crc_ready = 1;
}


static uint32_t
ngx_http_mobility_ucwa_crc32(const u_char *p, size_t len)
{
    uint32_t    c, one, two;
    uint32_t  (*t)[256];

    if (!ngx_http_mobility_ucwa_crc_ready) {
        ngx_http_mobility_ucwa_crc_init();
    }

    t = ngx_http_mobility_ucwa_crc_tab;
    c = 0xffffffff;

#if (NGX_HTTP_MOBILITY_UCWA_CRC_FOLD)

    if (ngx_http_mobility_ucwa_crc_clmul == -1) {
        __builtin_cpu_init();
        ngx_http_mobility_ucwa_crc_clmul = __builtin_cpu_supports("pclmul")
                                           && __builtin_cpu_supports("sse4.1");
    }

    if (len >= 64 && ngx_http_mobility_ucwa_crc_clmul) {
        c = ngx_http_mobility_ucwa_crc32_fold(p, len & ~(size_t) 15, c);
        p += len & ~(size_t) 15;
        len &= 15;
    }

#endif

    while (len >= 8) {
        ngx_memcpy(&one, p, 4);
        ngx_memcpy(&two, p + 4, 4);
        one ^= c;

        c = t[7][one & 0xff] ^ t[6][(one >> 8) & 0xff]
            ^ t[5][(one >> 16) & 0xff] ^ t[4][one >> 24]
            ^ t[3][two & 0xff] ^ t[2][(two >> 8) & 0xff]
            ^ t[1][(two >> 16) & 0xff] ^ t[0][two >> 24];

        p += 8;
        len -= 8;
    }

    while (len--) {
        c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    }

    return c ^ 0xffffffff;
}

#else

#define ngx_http_mobility_ucwa_crc32  ngx_crc32_long

#endif


static ngx_int_t
ngx_http_mobility_ucwa_send(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_mobility_ucwa_resp_t *rs)
{
    u_char     *p;
    uint32_t    crc;
    ngx_str_t   body, type, etag, v;
    u_char      digits[NGX_INT32_LEN];

    if (rs->status == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_mobility_ucwa_common_headers(r, rs);

    ngx_str_null(&body);
    ngx_str_null(&type);

    if (rs->status != NGX_HTTP_NO_CONTENT
        && ngx_mobility_ucwa_render(rq, rs, &body, &type) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    etag = rs->etag;

    if (etag.len == 0 && !rs->no_etag && !rs->error && !rs->events
        && rs->status == NGX_HTTP_OK && body.len)
    {
        /* every resource carries an ETag; this one is its hash */
        crc = ngx_http_mobility_ucwa_crc32(body.data, body.len);

        etag.data = ngx_pnalloc(r->pool, NGX_INT32_LEN);
        if (etag.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* "%uD", without ngx_sprintf()'s format walk */

        p = digits + sizeof(digits);

        do {
            *--p = (u_char) ('0' + crc % 10);
            crc /= 10;
        } while (crc);

        etag.len = digits + sizeof(digits) - p;
        ngx_memcpy(etag.data, p, etag.len);
    }

    if (etag.len) {
        v.len = etag.len + 2;
        v.data = ngx_pnalloc(r->pool, v.len);
        if (v.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = v.data;
        *p++ = '"';
        p = ngx_cpymem(p, etag.data, etag.len);
        *p = '"';

        (void) ngx_http_mobility_add_header(r, "ETag", &v);

        if (rs->status == NGX_HTTP_OK
            && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
            && ngx_mobility_ucwa_etag_match(&rq->if_none_match, &etag))
        {
            return ngx_http_mobility_send(r, NGX_HTTP_NOT_MODIFIED, NULL,
                                          NULL, 0);
        }
    }

    if (rs->photo) {
        v.data = ngx_pnalloc(r->pool, sizeof("private, max-age=") - 1
                                      + NGX_TIME_T_LEN);
        if (v.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        v.len = ngx_sprintf(v.data, "private, max-age=%T", rs->max_age)
                - v.data;
        (void) ngx_http_mobility_add_header(r, "Cache-Control", &v);

        r->headers_out.expires = ngx_list_push(&r->headers_out.headers);
        if (r->headers_out.expires) {
            p = ngx_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT"));
            if (p == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            r->headers_out.expires->hash = 1;
            ngx_str_set(&r->headers_out.expires->key, "Expires");
            r->headers_out.expires->value.data = p;
            r->headers_out.expires->value.len =
                ngx_http_time(p, ngx_time() + rs->max_age) - p;
        }
    }

    if (rs->location.len) {
        (void) ngx_http_mobility_add_header(r, "Location", &rs->location);
    }

    if (rs->cookie.len) {
        (void) ngx_http_mobility_add_header(r, "Set-Cookie", &rs->cookie);
    }

    if (rs->allow.len) {
        (void) ngx_http_mobility_add_header(r, "Allow", &rs->allow);
    }

    if (rs->diagnostics.len) {
        (void) ngx_http_mobility_add_header(r, "X-Ms-diagnostics",
                                            &rs->diagnostics);
    }

    if (rs->raw_pool) {
        return ngx_http_mobility_send_pooled(r, rs->status,
                                             type.len ? (char *) type.data
                                                      : NULL,
                                             body.data, body.len);
    }

    return ngx_http_mobility_send(r, rs->status,
                                  type.len ? (char *) type.data : NULL,
                                  body.data, body.len);
}


static ngx_int_t
ngx_http_mobility_ucwa_send_error(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_uint_t status, const char *code,
    const char *subcode, const char *message)
{
    ngx_mobility_ucwa_resp_t  rs;

    ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));

    if (ngx_mobility_ucwa_error(rq, &rs, status, code, subcode, message)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mobility_ucwa_send(r, rq, &rs);
}


ngx_mobility_ucwa_req_t *
ngx_http_mobility_ucwa_get_req(ngx_http_request_t *r)
{
    ngx_http_mobility_ucwa_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_ucwa_module);

    return ctx ? ctx->rq : NULL;
}


ngx_int_t
ngx_http_mobility_ucwa_respond(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_http_mobility_ucwa_send(r, rq, rs);
}


/* "2", "2.0", "1.5": at most revision 2; anything unparsable is ignored */
static ngx_uint_t
ngx_http_mobility_ucwa_version_ok(ngx_str_t *v)
{
    u_char      *p, *last;
    ngx_uint_t   major, fraction;

    p = v->data;
    last = p + v->len;
    major = 0;
    fraction = 0;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p == last || *p < '0' || *p > '9') {
        return 1;
    }

    while (p < last && *p >= '0' && *p <= '9') {
        if (major > 1000) {
            return 0;
        }

        major = major * 10 + (*p++ - '0');
    }

    if (p < last && *p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9'; p++) {
            fraction |= (*p != '0');
        }
    }

    return major < 2 || (major == 2 && !fraction);
}


static ngx_int_t
ngx_http_mobility_ucwa_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_mobility_ucwa_start(r);

    /* the token check's transaction, if nothing took it */
    ngx_http_mobility_txn_end(r);

    return rc;
}


static ngx_int_t
ngx_http_mobility_ucwa_start(ngx_http_request_t *r)
{
    ngx_int_t                            rc, rc2;
    ngx_str_t                            v;
    ngx_uint_t                           sources, vnd;
    ngx_table_elt_t                     *h;
    ngx_mobility_ucwa_req_t             *rq;
    ngx_http_mobility_ucwa_ctx_t        *ctx;
    ngx_http_mobility_identity_t        *id;
    ngx_mobility_ucwa_route_t           *route;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    umcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_ucwa_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mobility_ucwa_ctx_t));
    rq = ngx_pcalloc(r->pool, sizeof(ngx_mobility_ucwa_req_t));
    if (ctx == NULL || rq == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rq = rq;
    ngx_http_set_ctx(r, ctx, ngx_http_mobility_ucwa_module);

    rq->r = r;
    rq->pool = r->pool;
    rq->log = r->connection->log;
    rq->umcf = umcf;
    rq->method = r->method;
    rq->args = r->args;

    rq->wake = ngx_array_create(r->pool, 4, sizeof(ngx_str_t));
    if (rq->wake == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_type) {
        rq->content_type = r->headers_in.content_type->value;
    }

    ngx_http_mobility_ucwa_scan_headers(r, ctx);

    h = ctx->accept;
    if (h) {
        rq->accept = h->value;
    }

    if (r->headers_in.if_match) {
        rq->if_match = r->headers_in.if_match->value;
    }

    if (r->headers_in.if_none_match) {
        rq->if_none_match = r->headers_in.if_none_match->value;
    }

    rq->xml = ngx_mobility_ucwa_wants_xml(&rq->accept, &rq->content_type,
                                          &vnd);
    rq->vnd_json = vnd;

    /* cross-origin rules come before anything else */

    h = ctx->h_origin;
    if (h && h->value.len
        && ngx_http_mobility_ucwa_origin_allowed(r, &h->value))
    {
        ctx->origin = h->value;
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_http_mobility_ucwa_preflight(r, ctx);
    }

    h = ctx->ms_origin;
    if (h && !ngx_http_mobility_ucwa_origin_allowed(r, &h->value)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility ucwa: origin \"%V\" is not allowed",
                      &h->value);

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&v, "28032;reason=\"Service does not allow a cross "
                        "domain request from this origin.\"");
        (void) ngx_http_mobility_add_header(r, "X-Ms-diagnostics", &v);

        return ngx_http_mobility_ucwa_send_error(r, rq, NGX_HTTP_FORBIDDEN,
                                                 "Forbidden", NULL,
                                                 "Service does not allow a "
                                                 "cross domain request from "
                                                 "this origin.");
    }

    rc = ngx_mobility_ucwa_parse_path(&r->uri, rq);

    sources = NGX_HTTP_MOBILITY_AUTH_BEARER;

    if (rq->base == NGX_MOBILITY_UCWA_BASE_V1) {
        sources |= NGX_HTTP_MOBILITY_AUTH_WEBTICKET;
    }

    route = NULL;

    if (rc == NGX_OK && rq->app_id.len) {
        route = ngx_mobility_ucwa_find_route(&rq->rest);

        ctx->route = route;
        ctx->routed = 1;

        if (route && route->handler == ngx_mobility_ucwa_photo) {
            /* <img> tags cannot send a Bearer token: the cookie does */
            sources |= NGX_HTTP_MOBILITY_AUTH_COOKIE;
        }

        if (route && route->handler == NULL
            && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
        {
            /* a P-GET: its token is not worth a cache entry (W4) */
            ngx_http_mobility_auth_transient(r);
        }
    }

    /*
     * a request without a body is handled now: the transaction of the
     * token check serves its first read (ngx_mobility_ucwa_tx_begin())
     */
    rc2 = (r->method & (NGX_HTTP_POST|NGX_HTTP_PUT))
          ? ngx_http_mobility_authenticate(r, sources, &id)
          : ngx_http_mobility_authenticate_keep(r, sources, &id);

    switch (rc2) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* a browser application must be able to read the challenge */
        ngx_http_mobility_ucwa_cors_headers(r);

        return ngx_http_mobility_send_challenge(r);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rq->identity = id;

    if (rc != NGX_OK) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mobility_ucwa_send_error(r, rq, NGX_HTTP_NOT_FOUND,
                                                 "NotFound", NULL,
                                                 "The resource does not "
                                                 "exist.");
    }

    /* X-MS-RequiresMinResourceVersion: we serve revision 2 */

    h = ctx->min_version;

    if (h && !ngx_http_mobility_ucwa_version_ok(&h->value)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_mobility_ucwa_send_error(r, rq, NGX_HTTP_NOT_FOUND,
                                                 "NotFound",
                                                 "APIVersionNotSupported",
                                                 "The requested resource "
                                                 "version is not "
                                                 "supported.");
    }

    if (r->method & (NGX_HTTP_POST|NGX_HTTP_PUT)) {
        return ngx_http_mobility_read_body(r, ngx_http_mobility_ucwa_body);
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mobility_ucwa_process(r, rq);
}


static void
ngx_http_mobility_ucwa_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_http_mobility_ucwa_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_ucwa_module);

    if (body == NULL) {
        ngx_http_finalize_request(r,
            ngx_http_mobility_ucwa_send_error(r, ctx->rq,
                                              NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                              "EntityTooLarge", NULL,
                                              "The request body is too "
                                              "large."));
        return;
    }

    ctx->rq->body = *body;
    ctx->rq->has_body = body->len ? 1 : 0;

    ngx_http_finalize_request(r, ngx_http_mobility_ucwa_process(r, ctx->rq));
}


static ngx_int_t
ngx_http_mobility_ucwa_process(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq)
{
    ngx_int_t                      rc;
    ngx_uint_t                     routed;
    ngx_mobility_ucwa_resp_t       rs;
    ngx_mobility_ucwa_route_t     *route;
    ngx_http_mobility_ucwa_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mobility_ucwa_module);

    if (ctx && ctx->routed) {
        routed = 1;
        route = ctx->route;

    } else {
        routed = 0;
        route = NULL;
    }

    if (rq->app_id.len && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (!routed) {
            route = ngx_mobility_ucwa_find_route(&rq->rest);
            routed = 1;
        }

        if (route && route->handler == NULL) {
            return ngx_mobility_ucwa_pget(r, rq);
        }
    }

    ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));

    rc = ngx_mobility_ucwa_parse_input(rq, &rs);

    if (rc == NGX_OK) {
        rc = ngx_mobility_ucwa_dispatch_route(rq, &rs, routed, route);

    } else if (rc == NGX_DECLINED) {
        /* rs holds the error */
        rc = NGX_OK;
    }

    ngx_mobility_ucwa_wake_flush(rq->wake, rq->due, rq->log);

    if (rc != NGX_OK) {
        ngx_memzero(&rs, sizeof(ngx_mobility_ucwa_resp_t));

        if (ngx_mobility_ucwa_store_error(rq, &rs, NULL) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_mobility_ucwa_send(r, rq, &rs);
}


static ngx_int_t
ngx_http_mobility_ucwa_preflight(ngx_http_request_t *r,
    ngx_http_mobility_ucwa_ctx_t *ctx)
{
    ngx_str_t         v;
    ngx_table_elt_t  *h;

    static ngx_str_t  methods = ngx_string("GET, POST, PUT, DELETE, OPTIONS");
    static ngx_str_t  age = ngx_string("3600");
    static ngx_str_t  dflt = ngx_string("Authorization, Content-Type, Accept, "
                                        "If-Match, If-None-Match, "
                                        "X-MS-RequiresMinResourceVersion, "
                                        "X-Ms-Origin, X-Requested-With, "
                                        "X-MS-Correlation-Id, "
                                        "client-request-id");

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->origin.len == 0) {
        ngx_str_set(&v, "28032;reason=\"Service does not allow a cross "
                        "domain request from this origin.\"");
        (void) ngx_http_mobility_add_header(r, "X-Ms-diagnostics", &v);

        return ngx_http_mobility_ucwa_send_error(r, ctx->rq,
                                                 NGX_HTTP_FORBIDDEN,
                                                 "Forbidden", NULL,
                                                 "Service does not allow a "
                                                 "cross domain request from "
                                                 "this origin.");
    }

    ngx_http_mobility_ucwa_common_headers(r, NULL);

    (void) ngx_http_mobility_add_header(r, "Access-Control-Allow-Methods",
                                        &methods);

    h = ngx_http_mobility_ucwa_header(r, "Access-Control-Request-Headers");

    (void) ngx_http_mobility_add_header(r, "Access-Control-Allow-Headers",
                                        (h && h->value.len) ? &h->value
                                                            : &dflt);
    (void) ngx_http_mobility_add_header(r, "Access-Control-Max-Age", &age);

    return ngx_http_mobility_send(r, NGX_HTTP_OK, NULL, NULL, 0);
}


/* ------------------------------------------------------------------ */
/* process life cycle and configuration                               */


static ngx_int_t
ngx_http_mobility_ucwa_init_process(ngx_cycle_t *cycle)
{
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_mobility_module)
        == NULL)
    {
        return NGX_OK;
    }

    umcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_mobility_ucwa_module);

    if (umcf == NULL || !umcf->enabled) {
        return NGX_OK;
    }

    /* policy changes from the admin API or mobilityctl become events */
    if (ngx_http_mobility_admin_on_change(ngx_mobility_ucwa_policies_changed)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "mobility ucwa: cannot follow policy changes");
    }

    return ngx_mobility_ucwa_events_init_process(cycle);
}


static void
ngx_http_mobility_ucwa_exit_process(ngx_cycle_t *cycle)
{
    ngx_mobility_ucwa_events_exit_process(cycle);
}


static void *
ngx_http_mobility_ucwa_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    umcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_ucwa_main_conf_t));
    if (umcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     umcf->node = { 0, NULL };
     *     umcf->enabled = 0;
     */

    umcf->idle_timeout = NGX_CONF_UNSET;
    umcf->max_apps = NGX_CONF_UNSET_UINT;
    umcf->pget_timeout = NGX_CONF_UNSET;
    umcf->max_events = NGX_CONF_UNSET_UINT;
    umcf->inactive_timeout = NGX_CONF_UNSET;
    umcf->away_timeout = NGX_CONF_UNSET;
    umcf->invitation_timeout = NGX_CONF_UNSET;
    umcf->lobby_timeout = NGX_CONF_UNSET;
    umcf->history_retention = NGX_CONF_UNSET;
    umcf->conversation_keep = NGX_CONF_UNSET;
    umcf->subscription_warning = NGX_CONF_UNSET;
    umcf->push_grace = NGX_CONF_UNSET_MSEC;
    umcf->push_ttl = NGX_CONF_UNSET;
    umcf->push_previews = NGX_CONF_UNSET;
    umcf->max_meetings = NGX_CONF_UNSET_UINT;
    umcf->html_messaging = NGX_CONF_UNSET;

    return umcf;
}


static char *
ngx_http_mobility_ucwa_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_mobility_ucwa_main_conf_t  *umcf = conf;

    u_char      *p;
    size_t       i;
    ngx_str_t   *host;

    ngx_conf_init_value(umcf->idle_timeout, 15 * 60);
    ngx_conf_init_uint_value(umcf->max_apps, 10);
    ngx_conf_init_value(umcf->pget_timeout, 180);
    ngx_conf_init_uint_value(umcf->max_events, 200);
    ngx_conf_init_value(umcf->inactive_timeout, 5 * 60);
    ngx_conf_init_value(umcf->away_timeout, 5 * 60);
    ngx_conf_init_value(umcf->invitation_timeout, 30);
    ngx_conf_init_value(umcf->lobby_timeout, 900);
    ngx_conf_init_value(umcf->history_retention, 30 * 24 * 60 * 60);
    ngx_conf_init_value(umcf->conversation_keep, 5 * 60);

    if (umcf->conversation_keep < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_ucwa_conversation_keep\" must be "
                           "positive");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_value(umcf->subscription_warning, 60);

    if (umcf->subscription_warning < 1
        || umcf->subscription_warning >= 10 * 60)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_ucwa_subscription_warning\" must be "
                           "between 1s and 9m59s");
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_msec_value(umcf->push_grace, 30000);
    ngx_conf_init_value(umcf->push_ttl, 60 * 60);
    ngx_conf_init_value(umcf->push_previews, 0);
    ngx_conf_init_uint_value(umcf->max_meetings, 100);
    ngx_conf_init_value(umcf->html_messaging, 1);

    if (umcf->push_ttl < 1 || umcf->push_ttl > 28 * 24 * 60 * 60) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_push_ttl\" must be between 1s and "
                           "28d");
        return NGX_CONF_ERROR;
    }

    if (umcf->pget_timeout < 1 || umcf->pget_timeout > 1800) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"mobility_ucwa_pget_timeout\" must be between "
                           "1s and 30m");
        return NGX_CONF_ERROR;
    }

    if (umcf->idle_timeout < 1 || umcf->inactive_timeout < 1
        || umcf->away_timeout < 1 || umcf->invitation_timeout < 1
        || umcf->lobby_timeout < 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the mobility_ucwa timeouts must be positive");
        return NGX_CONF_ERROR;
    }

    if (umcf->node.len == 0) {

        /* the first label of the host name, as far as it is [a-z0-9] */

        host = &cf->cycle->hostname;

        p = ngx_pnalloc(cf->pool, NGX_MOBILITY_UCWA_NODE_MAX);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        umcf->node.data = p;

        for (i = 0; i < host->len && i < 8; i++) {
            if (host->data[i] >= 'A' && host->data[i] <= 'Z') {
                *p++ = (u_char) (host->data[i] | 0x20);

            } else if ((host->data[i] >= 'a' && host->data[i] <= 'z')
                       || (host->data[i] >= '0' && host->data[i] <= '9'))
            {
                *p++ = host->data[i];

            } else {
                break;
            }
        }

        if (p == umcf->node.data) {
            p = ngx_cpymem(p, "node", 4);
        }

        umcf->node.len = p - umcf->node.data;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_mobility_ucwa_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mobility_ucwa_loc_conf_t  *ulcf;

    ulcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mobility_ucwa_loc_conf_t));
    if (ulcf == NULL) {
        return NULL;
    }

    ulcf->enable = NGX_CONF_UNSET;

    return ulcf;
}


static char *
ngx_http_mobility_ucwa_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_mobility_ucwa_loc_conf_t  *prev = parent;
    ngx_http_mobility_ucwa_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->meeting_url, prev->meeting_url, "");

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_ucwa(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_ucwa_loc_conf_t  *ulcf = conf;

    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    if (ulcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    ulcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mobility_ucwa_handler;

    umcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_mobility_ucwa_module);
    umcf->enabled = 1;

    ngx_mobility_require_store(cf, "mobility_ucwa");

    return NGX_CONF_OK;
}


/* mobility_ucwa_meeting_url https://meet.contoso.com; */
static char *
ngx_http_mobility_ucwa_meeting_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mobility_ucwa_loc_conf_t  *ulcf = conf;

    size_t      n;
    ngx_str_t  *value, url;

    if (ulcf->meeting_url.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    url = value[1];

    while (url.len && url.data[url.len - 1] == '/') {
        url.len--;
    }

    n = 0;

    if (url.len > 8
        && ngx_strncasecmp(url.data, (u_char *) "https://", 8) == 0)
    {
        n = 8;

    } else if (url.len > 7
               && ngx_strncasecmp(url.data, (u_char *) "http://", 7) == 0)
    {
        n = 7;
    }

    if (n == 0 || ngx_strlchr(url.data + n, url.data + url.len, '?')
        || ngx_strlchr(url.data + n, url.data + url.len, '#')
        || ngx_strlchr(url.data + n, url.data + url.len, ' '))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid meeting URL \"%V\": an http(s):// URL "
                           "without query is expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    ulcf->meeting_url = url;

    return NGX_CONF_OK;
}


static char *
ngx_http_mobility_ucwa_node(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mobility_ucwa_main_conf_t  *umcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (umcf->node.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > NGX_MOBILITY_UCWA_NODE_MAX) {
        goto invalid;
    }

    for (i = 0; i < value[1].len; i++) {
        if (!((value[1].data[i] >= 'a' && value[1].data[i] <= 'z')
              || (value[1].data[i] >= '0' && value[1].data[i] <= '9')))
        {
            goto invalid;
        }
    }

    umcf->node = value[1];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"mobility_ucwa_node\" needs 1 to %d characters "
                       "a-z and 0-9, not \"%V\"", NGX_MOBILITY_UCWA_NODE_MAX,
                       &value[1]);
    return NGX_CONF_ERROR;
}
