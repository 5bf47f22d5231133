/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA (ngx_http_mobility_ucwa_module): applications, the event channel
 * (P-GET), me and the user's own presence, communication, policies and
 * batch.  Every resource handler works on a request object and fills a
 * response object, so that batch runs them without subrequests; the
 * HTTP side (ngx_http_mobility_ucwa_module.c) renders the response as
 * HAL JSON or UCWA XML.
 *
 * State lives in the store: applications here, event queues in
 * shared/ngx_mobility_events.c, presence in shared/ngx_mobility_presence.c.
 * A change writes its events in the same transaction; after the commit
 * the affected application ids are broadcast to every worker, which
 * evaluates the P-GETs it holds for them.
 */

#ifndef _NGX_MOBILITY_UCWA_H_INCLUDED_
#define _NGX_MOBILITY_UCWA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_mobility.h"
#include "ngx_mobility_events.h"
#include "ngx_mobility_presence.h"
#include "ngx_mobility_conversations.h"


#define NGX_MOBILITY_UCWA_NS                                                  \
    "http://schemas.microsoft.com/rtc/2012/03/ucwa"
#define NGX_MOBILITY_UCWA_PUT_GUARD   "please pass this in a PUT request"

#define NGX_MOBILITY_UCWA_BASE_OAUTH  0      /* /ucwa/oauth/v1/applications */
#define NGX_MOBILITY_UCWA_BASE_V1     1      /* /ucwa/v1/applications       */

#define NGX_MOBILITY_UCWA_NODE_MAX    16
#define NGX_MOBILITY_UCWA_RANDOM_LEN  16     /* hex characters */
#define NGX_MOBILITY_UCWA_ID_MAX                                              \
    (NGX_MOBILITY_UCWA_NODE_MAX + 1 + NGX_MOBILITY_UCWA_RANDOM_LEN)
#define NGX_MOBILITY_UCWA_CHANNELS    16     /* instances per application */
#define NGX_MOBILITY_UCWA_FIELD_MAX   100    /* culture, endpointId, ... */
#define NGX_MOBILITY_UCWA_BATCH_MAX   100
#define NGX_MOBILITY_UCWA_GUID_LEN    36

#define NGX_MOBILITY_REC_UCWA_APP     0x0410
#define NGX_MOBILITY_REC_UCWA_USER    0x0413

/* application flags */
#define NGX_MOBILITY_UCWA_APP_AVAILABLE  0x01  /* makeMeAvailable done */
#define NGX_MOBILITY_UCWA_APP_EXPIRED    0x02  /* a tombstone          */

/* modalities */
#define NGX_MOBILITY_UCWA_MOD_MESSAGING   0x01
#define NGX_MOBILITY_UCWA_MOD_PHONEAUDIO  0x02
#define NGX_MOBILITY_UCWA_MOD_UNSUPPORTED 0x80  /* audio, video, sharing */

/* a conversation's resources, after the application prefix */
#define NGX_MOBILITY_UCWA_CONV_PATH       "/communication/conversations/"

/* message formats */
#define NGX_MOBILITY_UCWA_FMT_PLAIN       0x01
#define NGX_MOBILITY_UCWA_FMT_HTML        0x02

/* methods a route accepts */
#define NGX_MOBILITY_UCWA_GET          0x01
#define NGX_MOBILITY_UCWA_POST         0x02
#define NGX_MOBILITY_UCWA_PUT          0x04
#define NGX_MOBILITY_UCWA_DELETE       0x08

/* statuses nginx 1.22 has no name for */
#define NGX_MOBILITY_UCWA_GONE                    410
#define NGX_MOBILITY_UCWA_PRECONDITION_REQUIRED   428

#define ngx_mobility_ucwa_ms(tp)                                              \
    ((uint64_t) (tp)->sec * 1000 + (tp)->msec)


typedef struct {
    ngx_str_t                       node;             /* mobility_ucwa_node */
    time_t                          idle_timeout;
    ngx_uint_t                      max_apps;
    time_t                          pget_timeout;
    ngx_uint_t                      max_events;
    time_t                          inactive_timeout;
    time_t                          away_timeout;
    time_t                          invitation_timeout;
    time_t                          lobby_timeout;    /* a wait unadmitted */
    time_t                          history_retention; /* 0: keep none */
    time_t                          conversation_keep; /* after the end */
    time_t                          subscription_warning; /* before expiry */
    ngx_msec_t                      push_grace;       /* mobility_push_grace */
    time_t                          push_ttl;         /* mobility_push_ttl */
    ngx_flag_t                      push_previews;
    ngx_uint_t                      max_meetings;     /* per organizer */
    ngx_flag_t                      html_messaging;   /* policy htmlMessaging */
    ngx_uint_t                      enabled;          /* a location uses it */
} ngx_http_mobility_ucwa_main_conf_t;


typedef struct {
    ngx_flag_t                      enable;
    ngx_str_t                       meeting_url;      /* "": meet.<domain> */
} ngx_http_mobility_ucwa_loc_conf_t;


typedef struct {
    ngx_uint_t                      no;
    ngx_str_t                       instance;         /* "": the default */
} ngx_mobility_ucwa_channel_t;


typedef struct {
    ngx_str_t                       id;
    ngx_str_t                       owner;            /* "user@domain" */
    ngx_uint_t                      base;
    ngx_str_t                       culture;
    ngx_str_t                       endpoint_id;
    ngx_str_t                       type;
    ngx_str_t                       user_agent;
    uint64_t                        created;          /* ms */
    uint64_t                        flags;
    uint64_t                        expired_at;       /* ms, tombstones */
    ngx_str_t                       comm_guid;
    uint64_t                        comm_etag;
    ngx_uint_t                      modalities;
    ngx_uint_t                      formats;
    ngx_str_t                       audio_preference;
    ngx_str_t                       phone_number;
    ngx_str_t                       sign_in_as;
    uint64_t                        inactive;         /* ms */
    ngx_uint_t                      anonymous;
    ngx_uint_t                      next_channel;
    ngx_uint_t                      nchannels;
    ngx_mobility_ucwa_channel_t     channels[NGX_MOBILITY_UCWA_CHANNELS];
} ngx_mobility_ucwa_app_t;


/* one write (or read) transaction and what to do after its commit */
typedef struct {
    ngx_pool_t                          *pool;
    ngx_log_t                           *log;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;
    ngx_mobility_store_t                *st;
    MDB_txn                             *txn;
    uint64_t                             now;        /* ms */
    ngx_array_t                         *wake;       /* ngx_str_t app ids */
    uint64_t                             due;        /* presence, ms */
    ngx_array_t                         *pushed;     /* dedupe, ngx_str_t */
    ngx_uint_t                           push;       /* pushes queued */
    ngx_array_t                         *logged;     /* users, ngx_str_t:
                                                        log count changed */
    ngx_uint_t                           write;      /* a write txn */

    /* ngx_mobility_ucwa_app_get() may leave the application's strings
     * in txn's pages (read-only use that ends before txn does) */
    ngx_uint_t                           app_view;

    /* the record of the token's user when txn is the token check's, and
     * the directory generation read in txn (ngx_mobility_store_dir_gen()) */
    ngx_mobility_user_t                 *user;
    ngx_str_t                            user_raw;   /* user's record, not
                                                        yet decoded: only
                                                        user->sip is set */
    uint64_t                             dir_gen;
} ngx_mobility_ucwa_tx_t;


typedef struct {
    ngx_http_request_t                  *r;          /* the HTTP request */
    ngx_pool_t                          *pool;
    ngx_log_t                           *log;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;
    ngx_http_mobility_identity_t        *identity;

    ngx_uint_t                           method;     /* NGX_HTTP_GET, ... */
    ngx_uint_t                           base;
    ngx_str_t                            app_id;     /* "": collection */
    ngx_str_t                            rest;       /* after the id */
    ngx_str_t                            args;
    ngx_str_t                            content_type;
    ngx_str_t                            accept;
    ngx_str_t                            if_match;
    ngx_str_t                            if_none_match;
    ngx_str_t                            body;
    json_t                              *input;      /* body, an object */

    ngx_array_t                         *wake;       /* after the commit */
    uint64_t                             due;
    void                                *parked;     /* a held P-GET */

    unsigned                             xml:1;      /* answer in XML */
    unsigned                             vnd_json:1; /* ...ucwa+json */
    unsigned                             batch:1;    /* part of a batch */
    unsigned                             has_body:1;
} ngx_mobility_ucwa_req_t;


typedef struct {
    ngx_uint_t                           status;
    json_t                              *json;       /* resource or error */
    ngx_str_t                            raw;        /* already rendered */
    ngx_str_t                            raw_type;
    ngx_str_t                            etag;       /* unquoted */
    ngx_str_t                            location;
    ngx_str_t                            cookie;
    ngx_str_t                            allow;
    ngx_str_t                            diagnostics;
    time_t                               max_age;    /* photos */
    unsigned                             error:1;
    unsigned                             events:1;   /* an event package */
    unsigned                             photo:1;
    unsigned                             no_etag:1;
    unsigned                             p3p:1;
    unsigned                             raw_pool:1; /* raw: request pool */
} ngx_mobility_ucwa_resp_t;


/*
 * Writes JSON straight into a pool buffer, for hot resources that skip
 * jansson; the output must stay byte-identical to what building the
 * json_t and ngx_mobility_ucwa_dump() would give.
 */
typedef struct {
    ngx_pool_t                          *pool;
    u_char                              *start;
    u_char                              *pos;
    u_char                              *end;
    const u_char                        *plain;      /* a prefix checked */
    size_t                               plain_len;
    unsigned                             failed:1;   /* out of memory */
} ngx_mobility_ucwa_jw_t;


/*
 * A rendering with holes (ngx_mobility_ucwa_splice_make()): its text in
 * segments, each followed by a hole for value 1 or 2 (0: the last), so
 * that what depends on a few plain strings only (an application's id and
 * owner in "me") is copied, not rendered (ngx_mobility_ucwa_jw_splice())
 */
#define NGX_MOBILITY_UCWA_SPLICE_HOLES  2
#define NGX_MOBILITY_UCWA_SPLICE_SEGS   32
#define NGX_MOBILITY_UCWA_SPLICE_TEXT   1024
#define NGX_MOBILITY_UCWA_SPLICE_VALUE  256
#define NGX_MOBILITY_UCWA_SPLICE_LAYOUT 2048

typedef struct {
    uint16_t                             off;
    uint16_t                             len;
    uint16_t                             hole;
} ngx_mobility_ucwa_splice_seg_t;

typedef struct {
    ngx_uint_t                           state;      /* 0, ready, unusable */
    size_t                               lit;        /* bytes of text */
    ngx_uint_t                           uses[NGX_MOBILITY_UCWA_SPLICE_HOLES];
    ngx_uint_t                           nsegs;
    ngx_mobility_ucwa_splice_seg_t       segs[NGX_MOBILITY_UCWA_SPLICE_SEGS];
    u_char                               text[NGX_MOBILITY_UCWA_SPLICE_TEXT
                                              + 16];

    /* the last output: its length, its values' lengths and places */
    size_t                               lay_total;
    size_t                    lay_len[NGX_MOBILITY_UCWA_SPLICE_HOLES];
    ngx_uint_t                           lay_holes;
    uint16_t                  lay_off[NGX_MOBILITY_UCWA_SPLICE_SEGS];
    u_char                    lay_hole[NGX_MOBILITY_UCWA_SPLICE_SEGS];
    u_char                    lay[NGX_MOBILITY_UCWA_SPLICE_LAYOUT];
} ngx_mobility_ucwa_splice_t;

#define NGX_MOBILITY_UCWA_SPLICE_READY     1
#define NGX_MOBILITY_UCWA_SPLICE_UNUSABLE  2


typedef ngx_int_t (*ngx_mobility_ucwa_handler_pt)(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);

/* builds the embedded resource of an event, per application */
typedef json_t *(*ngx_mobility_ucwa_embed_pt)(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data);


/* what makes an event pushable (ngx_mobility_ucwa_push.c) */
typedef struct {
    ngx_uint_t                       kind;           /* 0: not pushable */
    ngx_str_t                        sender;         /* "user@domain" */
    ngx_str_t                        preview;        /* message text */
    ngx_str_t                        thread;         /* conversation */
} ngx_mobility_ucwa_push_t;


typedef struct {
    const char                      *sender_rel;
    const char                      *sender_path;    /* after the prefix */
    const char                      *rel;
    const char                      *path;
    const char                      *type;
    unsigned                         urgency;
    unsigned                         merge:1;
    ngx_mobility_ucwa_embed_pt       embed;          /* NULL: no embed */
    void                            *data;
    const char                      *in_rel;         /* NULL: no "in" */
    const char                      *in_path;
    const char                      *status;         /* NULL: none */
    const char                      *reason;         /* a subcode */
    ngx_mobility_ucwa_push_t         push;           /* kind 0: none */
} ngx_mobility_ucwa_event_t;


/*
 * What an event about a conversation is about: its resources
 * (ngx_mobility_ucwa_conv_event_at()), then the invitations, each
 * addressed by the file that has it.
 */
typedef enum {
    EV_CONVERSATION = 0,
    EV_LOCAL_PARTICIPANT,
    EV_PARTICIPANT,
    EV_PARTICIPANT_MESSAGING,
    EV_MESSAGING,
    EV_MESSAGE,
    EV_TYPING,
    EV_LOBBY,
    EV_INVITATION,                       /* messagingInvitation */
    EV_OMI,                              /* onlineMeetingInvitation */
    EV_PI                                /* participantInvitation */
} ngx_mobility_ucwa_conv_what_e;


/* an event rendered once, the application prefix spliced in per publish */
typedef struct {
    ngx_str_t                        part[4];        /* around the prefix */
    ngx_uint_t                       nparts;
    u_char                          *buf;            /* one payload */
    size_t                           size;
    unsigned                         urgency;
    const char                      *type;
    const char                      *path;           /* NULL: no merge */
} ngx_mobility_ucwa_tmpl_t;


extern ngx_module_t  ngx_http_mobility_ucwa_module;


/* ngx_http_mobility_ucwa_module.c */
ngx_int_t ngx_http_mobility_ucwa_respond(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq, ngx_mobility_ucwa_resp_t *rs);
ngx_mobility_ucwa_req_t *ngx_http_mobility_ucwa_get_req(
    ngx_http_request_t *r);
uint64_t ngx_mobility_ucwa_now(void);
ngx_int_t ngx_mobility_ucwa_tx_begin(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_req_t *rq, ngx_uint_t write);
ngx_int_t ngx_mobility_ucwa_tx_commit(ngx_mobility_ucwa_tx_t *tx);
void ngx_mobility_ucwa_tx_abort(ngx_mobility_ucwa_tx_t *tx);
ngx_int_t ngx_mobility_ucwa_wake_add(ngx_array_t *wake, ngx_pool_t *pool,
    ngx_str_t *id);
void ngx_mobility_ucwa_wake_flush(ngx_array_t *wake, uint64_t due,
    ngx_log_t *log);
ngx_int_t ngx_mobility_ucwa_dispatch(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_parse_path(ngx_str_t *uri,
    ngx_mobility_ucwa_req_t *rq);
ngx_int_t ngx_mobility_ucwa_store_error(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_store_t *st);
void ngx_mobility_ucwa_random_hex(u_char *dst, size_t n);
void ngx_mobility_ucwa_guid(u_char *dst);

/* ngx_mobility_ucwa_render.c */
ngx_int_t ngx_mobility_ucwa_json_own(ngx_pool_t *pool, json_t *json);
ngx_int_t ngx_mobility_ucwa_error(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, const char *code,
    const char *subcode, const char *message);
ngx_int_t ngx_mobility_ucwa_tx_app(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_uint_t write, ngx_str_t *prefix);
ngx_int_t ngx_mobility_ucwa_error_param(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, const char *code,
    const char *subcode, const char *param, const char *message);
ngx_uint_t ngx_mobility_ucwa_list_has(json_t *list, const u_char *sip,
    size_t len);
ngx_int_t ngx_mobility_ucwa_bad_param(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name, const char *message);
ngx_int_t ngx_mobility_ucwa_resource(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, json_t *json);
json_t *ngx_mobility_ucwa_str(ngx_str_t *s);
json_t *ngx_mobility_ucwa_href(ngx_str_t *prefix, const char *path);
ngx_int_t ngx_mobility_ucwa_link(json_t *links, const char *rel,
    ngx_str_t *prefix, const char *path);
ngx_int_t ngx_mobility_ucwa_member_path(ngx_pool_t *pool, ngx_str_t *sub,
    ngx_str_t *id, u_char *sip);
json_t *ngx_mobility_ucwa_collection(ngx_str_t *prefix, const char *path,
    const char *item, const char *rel, json_t **list);
ngx_int_t ngx_mobility_ucwa_render(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *body, ngx_str_t *type);
ngx_int_t ngx_mobility_ucwa_dump(ngx_pool_t *pool, json_t *json,
    ngx_str_t *out);
ngx_int_t ngx_mobility_ucwa_parse_input(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_uint_t ngx_mobility_ucwa_wants_xml(ngx_str_t *accept,
    ngx_str_t *content_type, ngx_uint_t *vnd_json);
json_t *ngx_mobility_ucwa_input(ngx_mobility_ucwa_req_t *rq,
    const char *name);
ngx_int_t ngx_mobility_ucwa_input_str(ngx_mobility_ucwa_req_t *rq,
    const char *name, ngx_str_t *out);
ngx_int_t ngx_mobility_ucwa_arg(ngx_pool_t *pool, ngx_str_t *args,
    const char *name, ngx_str_t *out);
ngx_uint_t ngx_mobility_ucwa_etag_match(ngx_str_t *header, ngx_str_t *etag);
ngx_int_t ngx_mobility_ucwa_etag_resource(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx, json_t *obj,
    ngx_str_t *etag);
ngx_int_t ngx_mobility_ucwa_if_match(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *etag);
ngx_int_t ngx_mobility_ucwa_jw_init(ngx_mobility_ucwa_jw_t *jw,
    ngx_pool_t *pool, size_t size);
void ngx_mobility_ucwa_jw_raw(ngx_mobility_ucwa_jw_t *jw, const char *s,
    size_t len);
ngx_uint_t ngx_mobility_ucwa_utf8_ok(const u_char *p, size_t len);
void ngx_mobility_ucwa_jw_str(ngx_mobility_ucwa_jw_t *jw, const u_char *s,
    size_t len);
void ngx_mobility_ucwa_jw_link(ngx_mobility_ucwa_jw_t *jw, ngx_uint_t first,
    const char *rel, ngx_str_t *prefix, const u_char *path, size_t len);
void ngx_mobility_ucwa_jw_link_n(ngx_mobility_ucwa_jw_t *jw, ngx_uint_t first,
    const char *rel, size_t rlen, ngx_str_t *prefix, const u_char *path,
    size_t len, ngx_uint_t plain_path);

/* a link whose rel and path are string literals of plain ASCII */
#define ngx_mobility_ucwa_jw_link_lit(jw, first, rel, prefix, path)         \
    ngx_mobility_ucwa_jw_link_n(jw, first, rel, sizeof(rel) - 1, prefix,     \
                                (const u_char *) path, sizeof(path) - 1, 1)
ngx_int_t ngx_mobility_ucwa_jw_done(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_jw_t *jw);
ngx_int_t ngx_mobility_ucwa_splice_make(ngx_mobility_ucwa_splice_t *sp,
    const u_char *text, size_t len, ngx_str_t *marks);
ngx_int_t ngx_mobility_ucwa_jw_splice(ngx_mobility_ucwa_jw_t *jw,
    ngx_mobility_ucwa_splice_t *sp, ngx_str_t *values);
void ngx_mobility_ucwa_raw_json(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *raw);

#define ngx_mobility_ucwa_jw_lit(jw, s)                                       \
    ngx_mobility_ucwa_jw_raw(jw, s, sizeof(s) - 1)

/* ngx_mobility_ucwa_apps.c */
ngx_int_t ngx_mobility_ucwa_applications(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_application(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_app_get(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *id, ngx_mobility_ucwa_app_t *app);
ngx_int_t ngx_mobility_ucwa_app_put(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app);
ngx_int_t ngx_mobility_ucwa_app_load(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app);
ngx_int_t ngx_mobility_ucwa_app_expired(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app);
ngx_int_t ngx_mobility_ucwa_app_terminate(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_uint_t tombstone);
ngx_int_t ngx_mobility_ucwa_prefix(ngx_pool_t *pool,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix);
ngx_int_t ngx_mobility_ucwa_prefix_id(ngx_pool_t *pool, ngx_uint_t base,
    const u_char *id, size_t len, ngx_str_t *prefix);
ngx_mobility_ucwa_channel_t *ngx_mobility_ucwa_app_channel(
    ngx_mobility_ucwa_app_t *app, ngx_str_t *instance);
size_t ngx_mobility_ucwa_channel_key(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_ucwa_channel_t *ch, u_char *buf);
uint64_t ngx_mobility_ucwa_expected_ack(ngx_mobility_evchan_t *ec);
ngx_int_t ngx_mobility_ucwa_events_href(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, uint64_t ack, ngx_str_t *href);
ngx_int_t ngx_mobility_ucwa_publish(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_event_t *ev);
ngx_int_t ngx_mobility_ucwa_template(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_ucwa_tmpl_t *t);
ngx_int_t ngx_mobility_ucwa_publish_template(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *id, ngx_mobility_ucwa_tmpl_t *t);
ngx_int_t ngx_mobility_ucwa_publish_user(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip, ngx_uint_t available_only, ngx_str_t *exclude,
    ngx_mobility_ucwa_event_t *ev);
ngx_array_t *ngx_mobility_ucwa_user_apps(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip);
json_t *ngx_mobility_ucwa_communication_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data);
ngx_array_t *ngx_mobility_ucwa_sweep_scan(ngx_mobility_ucwa_tx_t *tx,
    ngx_uint_t limit);
void ngx_mobility_ucwa_sweep(ngx_mobility_ucwa_tx_t *tx, ngx_array_t *ids);

/* ngx_mobility_ucwa_events.c */
ngx_int_t ngx_mobility_ucwa_events_init_process(ngx_cycle_t *cycle);
void ngx_mobility_ucwa_events_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_mobility_ucwa_pget(ngx_http_request_t *r,
    ngx_mobility_ucwa_req_t *rq);
void ngx_mobility_ucwa_wake_local(const u_char *data, size_t len);
void ngx_mobility_ucwa_due_arm(uint64_t due);

/* ngx_mobility_ucwa_me.c */
ngx_int_t ngx_mobility_ucwa_me(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_make_me_available(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_report_activity(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_presence(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_note(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_location(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_phones(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_photo(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_call_forwarding(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
json_t *ngx_mobility_ucwa_me_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data);
ngx_int_t ngx_mobility_ucwa_presence_sign_out(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app);
void ngx_mobility_ucwa_presence_due(ngx_mobility_ucwa_tx_t *tx,
    ngx_uint_t limit);

/* ngx_mobility_ucwa_comm.c */
ngx_int_t ngx_mobility_ucwa_communication(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_policies(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_uint_t ngx_mobility_ucwa_app_is_mobile(ngx_str_t *type, ngx_str_t *agent);
ngx_int_t ngx_mobility_ucwa_end_mobile_apps(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip);
void ngx_mobility_ucwa_policies_changed(ngx_str_t *kind, ngx_str_t *users,
    ngx_pid_t from);

/* ngx_mobility_ucwa_people.c */
ngx_int_t ngx_mobility_ucwa_people(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
json_t *ngx_mobility_ucwa_contact_json(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_user_t *u);
const char *ngx_mobility_ucwa_people_path(ngx_pool_t *pool,
    const char *first, ngx_mobility_bytes_t *sip, const char *suffix);

/* ngx_mobility_ucwa_contacts.c */
ngx_int_t ngx_mobility_ucwa_contacts(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *what, ngx_str_t *sub);

/* ngx_mobility_ucwa_subs.c */
ngx_int_t ngx_mobility_ucwa_subscriptions(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *what, ngx_str_t *sub);
ngx_int_t ngx_mobility_ucwa_fanout(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip, const char *rel, const char *suffix);
ngx_int_t ngx_mobility_ucwa_contacts_and_groups(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *sub);
ngx_int_t ngx_mobility_ucwa_group_member_added(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len);
ngx_int_t ngx_mobility_ucwa_group_member_removed(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len);
void ngx_mobility_ucwa_subs_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit);

/* ngx_mobility_ucwa_messaging.c */
ngx_int_t ngx_mobility_ucwa_messaging(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
void ngx_mobility_ucwa_im_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit);
/* loads a conversation member's application; NGX_DECLINED if it is gone */
ngx_int_t ngx_mobility_ucwa_im_app(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_bytes_t *id, ngx_mobility_ucwa_app_t *app);
json_t *ngx_mobility_ucwa_im_message_render(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_msg_t *m, const char *from);

/* ngx_mobility_ucwa_conv.c: shared by messaging and conferences */
ngx_int_t ngx_mobility_ucwa_bytes_dup(ngx_pool_t *pool,
    ngx_mobility_bytes_t *b);
ngx_int_t ngx_mobility_ucwa_bytes_dup_n(ngx_pool_t *pool,
    ngx_mobility_bytes_t **f, ngx_uint_t n);
json_t *ngx_mobility_ucwa_json_bytes(ngx_mobility_bytes_t *b);
ngx_int_t ngx_mobility_ucwa_conv_dup(ngx_pool_t *pool,
    ngx_mobility_conv_t *c);
ngx_int_t ngx_mobility_ucwa_store_rc(ngx_mobility_ucwa_tx_t *tx, int rc);
ngx_int_t ngx_mobility_ucwa_conv_read(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *id, ngx_mobility_conv_t *c);
ngx_int_t ngx_mobility_ucwa_bad(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *message);
ngx_int_t ngx_mobility_ucwa_not_found(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_not_allowed(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_conv_input(ngx_mobility_ucwa_req_t *rq,
    const char *name, size_t max, ngx_uint_t query,
    ngx_mobility_bytes_t *out);
const char *ngx_mobility_ucwa_conv_inputs(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *op, ngx_uint_t query);
ngx_uint_t ngx_mobility_ucwa_path_eat(ngx_str_t *s, const char *word);
void ngx_mobility_ucwa_path_segment(ngx_str_t *s, ngx_str_t *seg);
void ngx_mobility_ucwa_comm_path(ngx_mobility_ucwa_req_t *rq,
    ngx_str_t *rest);
ngx_int_t ngx_mobility_ucwa_conv_done(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx, ngx_int_t rc,
    ngx_uint_t write);
ngx_int_t ngx_mobility_ucwa_set_location(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    const char *path);
ngx_int_t ngx_mobility_ucwa_conv_init(ngx_pool_t *pool,
    ngx_mobility_ucwa_tx_t *tx, ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c, ngx_uint_t state);
ngx_int_t ngx_mobility_ucwa_invitee(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *user, const char **reason);
void ngx_mobility_ucwa_due_next(ngx_mobility_ucwa_tx_t *tx, uint64_t next,
    ngx_uint_t more);
json_t *ngx_mobility_ucwa_resource_new(ngx_pool_t *pool,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, json_t **links,
    json_t **mods);
void ngx_mobility_ucwa_embed(json_t *obj, const char *name, json_t *value);
int ngx_mobility_ucwa_invitee_input(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    ngx_uint_t query, u_char *sip, const char *oneself, ngx_int_t *rc);
ngx_int_t ngx_mobility_ucwa_anonymous_refused(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *message);
ngx_int_t ngx_mobility_ucwa_due_id(ngx_mobility_ucwa_tx_t *tx, u_char *id,
    size_t n, ngx_str_t *s);
const char *ngx_mobility_ucwa_conv_path(ngx_pool_t *pool,
    ngx_mobility_conv_t *c, const char *tail);
const char *ngx_mobility_ucwa_conv_part_path(ngx_pool_t *pool,
    ngx_mobility_conv_t *c, const u_char *sip, size_t len, const char *tail);
const char *ngx_mobility_ucwa_conv_message_path(ngx_pool_t *pool,
    ngx_mobility_conv_t *c, uint64_t seq);
json_t *ngx_mobility_ucwa_sip_json(const u_char *sip, size_t len);
json_t *ngx_mobility_ucwa_text_data_uri(ngx_pool_t *pool,
    ngx_mobility_bytes_t *text);
json_t *ngx_mobility_ucwa_html_data_uri(ngx_pool_t *pool,
    ngx_mobility_bytes_t *text);
json_t *ngx_mobility_ucwa_importance_json(ngx_mobility_conv_t *c);
void ngx_mobility_ucwa_conversation_fields(json_t *obj,
    ngx_mobility_conv_t *c, const char *state, json_t *mods);
void ngx_mobility_ucwa_add_participant_link(ngx_pool_t *pool, json_t *links,
    ngx_str_t *prefix, ngx_mobility_conv_t *c);
json_t *ngx_mobility_ucwa_messaging_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, const char *state,
    ngx_uint_t connected, ngx_uint_t html, ngx_uint_t stop);
void ngx_mobility_ucwa_participant_identity(ngx_mobility_ucwa_tx_t *tx,
    json_t *obj, const u_char *sip, size_t len, ngx_mobility_bytes_t *guest);
void ngx_mobility_ucwa_conv_event_init(ngx_mobility_ucwa_event_t *ev,
    const char *type, void *data, const char *status, const char *reason);
ngx_int_t ngx_mobility_ucwa_conv_event_at(ngx_pool_t *pool,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_conv_t *c,
    ngx_mobility_ucwa_conv_what_e what, ngx_mobility_bytes_t *user,
    ngx_mobility_conv_msg_t *m);
void ngx_mobility_ucwa_message_push(ngx_mobility_ucwa_event_t *ev,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_msg_t *m,
    ngx_str_t *thread);
ngx_int_t ngx_mobility_ucwa_conv_event_send(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_ucwa_app_t *app,
    ngx_str_t *user, ngx_str_t *exclude);
ngx_uint_t ngx_mobility_ucwa_message_body_ok(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_int_t *rc);
ngx_int_t ngx_mobility_ucwa_message_add(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_tx_t *tx, ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c, ngx_uint_t format, ngx_mobility_conv_msg_t *m);
ngx_int_t ngx_mobility_ucwa_message_created(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c, ngx_mobility_conv_msg_t *m);
void ngx_mobility_ucwa_participant_links(ngx_pool_t *pool, json_t *links,
    ngx_str_t *prefix, ngx_mobility_conv_t *c, const u_char *sip,
    size_t len, ngx_uint_t local, ngx_uint_t guest);

/* ngx_mobility_ucwa_conference.c */
ngx_int_t ngx_mobility_ucwa_conference(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_conf_conversation(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, ngx_str_t *rest);
ngx_uint_t ngx_mobility_ucwa_conf_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, u_char *user, size_t len);
void ngx_mobility_ucwa_conf_due(ngx_mobility_ucwa_tx_t *tx,
    ngx_uint_t limit);
ngx_int_t ngx_mobility_ucwa_conf_app_gone(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app);

/* ngx_mobility_ucwa_history.c */
ngx_int_t ngx_mobility_ucwa_missed_items(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_history_logged(ngx_mobility_ucwa_tx_t *tx,
    const u_char *user, size_t len);
ngx_int_t ngx_mobility_ucwa_history_flush(ngx_mobility_ucwa_tx_t *tx);
ngx_int_t ngx_mobility_ucwa_missed_changed(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip);
ngx_int_t ngx_mobility_ucwa_missed_add(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *user,
    ngx_mobility_bytes_t *from, ngx_mobility_bytes_t *preview);
ngx_int_t ngx_mobility_ucwa_conversation_logs(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_history_log(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c);
ngx_int_t ngx_mobility_ucwa_history_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *user,
    ngx_mobility_bytes_t *peer, ngx_uint_t outgoing, uint64_t since);
ngx_array_t *ngx_mobility_ucwa_history_scan(ngx_mobility_ucwa_tx_t *tx);
void ngx_mobility_ucwa_history_prune(ngx_mobility_ucwa_tx_t *tx,
    ngx_array_t *items);

/* ngx_mobility_ucwa_push.c */
ngx_int_t ngx_mobility_ucwa_push_registration(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);
ngx_int_t ngx_mobility_ucwa_push_app(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_push_t *push);
ngx_int_t ngx_mobility_ucwa_push_user(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip, ngx_mobility_ucwa_push_t *push);
void ngx_mobility_ucwa_push_wake(ngx_mobility_ucwa_tx_t *tx);

/* ngx_mobility_ucwa_meetings.c */
ngx_int_t ngx_mobility_ucwa_meetings(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);

/* ngx_mobility_ucwa_batch.c */
ngx_int_t ngx_mobility_ucwa_batch(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs);


#endif /* _NGX_MOBILITY_UCWA_H_INCLUDED_ */
