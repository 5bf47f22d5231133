/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA history (spec §7.7): the missedItems resource and its events,
 * conversation logs with their transcripts, and the pruning of ended
 * conversations and of logs past their retention.  Missed conversations
 * are kept by shared/ngx_mobility_missed.c, logs by
 * shared/ngx_mobility_history.c.
 *
 * Paths (after the application prefix):
 *     /communication/missedItems
 *     /communication/conversationLogs[?limit=]
 *     /communication/conversationLogs/<id>[/conversationLogTranscripts
 *         |/markAsRead]
 */

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_missed.h"
#include "ngx_mobility_history.h"
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_policy.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_UCWA_LOGS        "/communication/conversationLogs"
#define NGX_MOBILITY_UCWA_LOGS_LIMIT  1000

/* transcript entries per page when the request gives no limit */
#define NGX_MOBILITY_UCWA_TRANSCRIPTS_PAGE  100

/* a bounded sweep: keys looked at, and entries removed, per tick */
#define NGX_MOBILITY_UCWA_PRUNE_SCAN  256
#define NGX_MOBILITY_UCWA_PRUNE_MAX   64


typedef struct {
    ngx_uint_t      kind;                /* 'c' conversation, 'l' log */
    ngx_str_t       user;
    ngx_str_t       id;
} ngx_mobility_ucwa_prune_t;


typedef struct {
    ngx_pool_t     *pool;
    ngx_array_t    *items;
} ngx_mobility_ucwa_prune_ctx_t;


/* where the scan of ended conversations goes on at the next tick */
static u_char  ngx_mobility_ucwa_prune_resume[NGX_MOBILITY_CONV_ID_MAX + 2];
static size_t  ngx_mobility_ucwa_prune_resume_len;


static json_t *
ngx_mobility_ucwa_missed_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t     *obj, *links;
    uint64_t    missed, unread, logs;
    ngx_str_t   prefix;

    if (ngx_mobility_missed_count(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, &missed, &unread)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NULL;
    }

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    if (ngx_mobility_convlog_count(tx->st, tx->txn, app->owner.data,
                                   app->owner.len, &logs)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NULL;
    }

    json_object_set_new(obj, "conversationLogsCount",
                        json_integer((json_int_t) logs));
    json_object_set_new(obj, "conversationLogsNotifications",
                        json_integer((json_int_t) unread));
    json_object_set_new(obj, "missedConversationsCount",
                        json_integer((json_int_t) missed));
    json_object_set_new(obj, "unreadMissedConversationsCount",
                        json_integer((json_int_t) unread));
    json_object_set_new(obj, "unreadVoicemailsCount", json_integer(0));
    json_object_set_new(obj, "voiceMailsCount", json_integer(0));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  "/communication/missedItems");

    json_object_set_new(obj, "rel", json_string("missedItems"));

    return obj;
}


/* "missedItems updated" to every application of the user */
ngx_int_t
ngx_mobility_ucwa_missed_changed(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip)
{
    ngx_mobility_ucwa_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));

    ev.sender_rel = "communication";
    ev.sender_path = "/communication";
    ev.rel = "missedItems";
    ev.path = "/communication/missedItems";
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_HIGH;
    ev.merge = 1;
    ev.embed = ngx_mobility_ucwa_missed_json;

    return ngx_mobility_ucwa_publish_user(tx, sip, 0, NULL, &ev);
}


/*
 * user missed conversation c, started by from (preview: its first
 * message, if any): recorded now, and "missedItems updated" to every
 * application of the user.
 */
ngx_int_t
ngx_mobility_ucwa_missed_add(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *user,
    ngx_mobility_bytes_t *from, ngx_mobility_bytes_t *preview)
{
    ngx_str_t              sip;
    ngx_mobility_missed_t  m;

    ngx_memzero(&m, sizeof(ngx_mobility_missed_t));

    m.id = c->id;
    m.from = *from;
    m.subject = c->subject;
    m.importance = c->importance;
    m.thread_id = c->thread_id;

    if (preview) {
        m.preview = *preview;
    }

    m.time = tx->now;

    if (ngx_mobility_missed_add(tx->st, tx->txn, user->data, user->len, &m)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    sip.data = (u_char *) user->data;
    sip.len = user->len;

    return ngx_mobility_ucwa_missed_changed(tx, &sip);
}


/*
 * The user's conversation log count changed (conversationLogsCount): one
 * "missedItems updated" goes to the user's applications when the
 * transaction commits, after the events of the change itself (a
 * conversation's end keeps its documented order).
 */
ngx_int_t
ngx_mobility_ucwa_history_logged(ngx_mobility_ucwa_tx_t *tx,
    const u_char *user, size_t len)
{
    ngx_str_t   *u;
    ngx_uint_t   i;

    if (tx->logged == NULL) {
        tx->logged = ngx_array_create(tx->pool, 2, sizeof(ngx_str_t));
        if (tx->logged == NULL) {
            return NGX_ERROR;
        }
    }

    u = tx->logged->elts;

    for (i = 0; i < tx->logged->nelts; i++) {
        if (u[i].len == len && ngx_memcmp(u[i].data, user, len) == 0) {
            return NGX_OK;
        }
    }

    u = ngx_array_push(tx->logged);
    if (u == NULL) {
        return NGX_ERROR;
    }

    u->data = ngx_pnalloc(tx->pool, len);
    if (u->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(u->data, user, len);
    u->len = len;

    return NGX_OK;
}


/* called by ngx_mobility_ucwa_tx_commit() before it commits */
ngx_int_t
ngx_mobility_ucwa_history_flush(ngx_mobility_ucwa_tx_t *tx)
{
    ngx_str_t    *u;
    ngx_uint_t    i;
    ngx_array_t  *logged;

    logged = tx->logged;
    tx->logged = NULL;

    u = logged->elts;

    for (i = 0; i < logged->nelts; i++) {
        if (ngx_mobility_ucwa_missed_changed(tx, &u[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_missed_items(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    json_t                   *obj;
    ngx_int_t                 rc;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, 0, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    obj = ngx_mobility_ucwa_missed_json(&tx, &app, NULL);

    ngx_mobility_ucwa_tx_abort(&tx);

    if (obj == NULL) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* ------------------------------------------------------------------ */
/* writing logs                                                       */


static ngx_int_t
ngx_mobility_ucwa_history_copy(ngx_pool_t *pool, ngx_mobility_bytes_t *b)
{
    u_char  *p;

    if (b->len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, b->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, b->data, b->len);
    b->data = p;

    return NGX_OK;
}


static const char *
ngx_mobility_ucwa_history_status(ngx_mobility_conv_t *c, ngx_uint_t in)
{
    ngx_mobility_bytes_t  *r;

    if (c->state == NGX_MOBILITY_CONV_TERMINATED) {
        return "Connected";
    }

    r = &c->reason;

#define reason_is(s)                                                          \
    (r->len == sizeof(s) - 1 && ngx_strncmp(r->data, s, r->len) == 0)

    if (reason_is("Timeout") || reason_is("TemporarilyUnavailable")) {
        return in ? "Missed" : "Unanswered";
    }

    if (reason_is("Declined")) {
        return "Declined";
    }

    if (reason_is("Canceled")) {
        return "Canceled";
    }

#undef reason_is

    return "Failed";
}


/*
 * The transcript of c into pool memory: the invitation's message, then
 * the messages, those sent at or after since (ms) only; NULL on failure.
 */
static ngx_array_t *
ngx_mobility_ucwa_history_transcript(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, uint64_t since)
{
    int                        rc;
    uint64_t                   seq;
    ngx_array_t               *msgs;
    ngx_mobility_conv_msg_t   *m;

    msgs = ngx_array_create(tx->pool, 4, sizeof(ngx_mobility_conv_msg_t));
    if (msgs == NULL) {
        return NULL;
    }

    if (c->message.len && c->created >= since) {
        m = ngx_array_push(msgs);
        if (m == NULL) {
            return NULL;
        }

        ngx_memzero(m, sizeof(ngx_mobility_conv_msg_t));
        m->seq = 0;
        m->time = c->created;
        m->from = c->from;
        m->text = c->message;
    }

    for (seq = 1; seq < c->next_msg; seq++) {
        m = ngx_array_push(msgs);
        if (m == NULL) {
            return NULL;
        }

        rc = ngx_mobility_conv_msg_get(tx->st, tx->txn, c->id.data, c->id.len,
                                       seq, m);
        if (rc == NGX_MOBILITY_NOTFOUND || (rc == NGX_MOBILITY_OK
                                            && m->time < since))
        {
            msgs->nelts--;
            continue;
        }

        /* values in the store are valid only until the next write */
        if (rc != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_history_copy(tx->pool, &m->from) != NGX_OK
            || ngx_mobility_ucwa_history_copy(tx->pool, &m->text) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NULL;
        }
    }

    return msgs;
}


/*
 * The log of c for user (with peer, direction, status) and its
 * transcript msgs, when user is in the directory and its effective
 * mobility policy allows saving IM history (AllowSaveIMHistory).
 */
static ngx_int_t
ngx_mobility_ucwa_history_write(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_array_t *msgs, ngx_mobility_bytes_t *user,
    ngx_mobility_bytes_t *peer, uint64_t direction, const char *status)
{
    int                        rc;
    ngx_uint_t                 n;
    ngx_mobility_cfg_t        *pol;
    ngx_mobility_convlog_t     log;
    ngx_mobility_conv_msg_t   *m;

    pol = ngx_palloc(tx->pool, sizeof(ngx_mobility_cfg_t));
    if (pol == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_mobility_policy_effective_sip(tx->st, tx->txn, user->data,
                                           user->len, pol);
    if (rc == NGX_MOBILITY_NOTFOUND) {
        /* not (or no longer) in the directory: a guest too */
        return NGX_OK;
    }

    if (rc != NGX_MOBILITY_OK) {
        goto failed;
    }

    if (!ngx_mobility_cfg_bool(pol, NGX_MOBILITY_POL_ALLOW_SAVE_IM_HISTORY)) {
        return NGX_OK;
    }

    ngx_memzero(&log, sizeof(ngx_mobility_convlog_t));

    log.id = c->id;
    log.peer = *peer;
    log.subject = c->subject;
    log.importance = c->importance;
    log.thread_id = c->thread_id;
    log.direction = direction;
    log.status.data = (u_char *) status;
    log.status.len = ngx_strlen(status);
    log.created = c->created;
    log.ended = c->ended ? c->ended : tx->now;
    log.messages = msgs->nelts;

    if (msgs->nelts) {
        m = msgs->elts;
        log.preview = m[0].text;
    }

    if (ngx_mobility_convlog_add(tx->st, tx->txn, user->data, user->len,
                                 &log)
        != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    if (ngx_mobility_ucwa_history_logged(tx, user->data, user->len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    m = msgs->elts;

    for (n = 0; n < msgs->nelts; n++) {
        if (ngx_mobility_convlog_msg_add(tx->st, tx->txn, user->data,
                                         user->len, c->id.data, c->id.len,
                                         &m[n])
            != NGX_MOBILITY_OK)
        {
            goto failed;
        }
    }

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                  tx->st->err);

    return NGX_ERROR;
}


/*
 * Conversation c has just ended: each participant whose effective mobility
 * policy allows saving IM history (AllowSaveIMHistory) gets a log with the
 * transcript, unless the retention is 0.
 */
ngx_int_t
ngx_mobility_ucwa_history_log(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c)
{
    ngx_array_t  *msgs;

    if (tx->umcf->history_retention == 0) {
        return NGX_OK;
    }

    msgs = ngx_mobility_ucwa_history_transcript(tx, c, 0);
    if (msgs == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_history_write(tx, c, msgs, &c->from, &c->to,
                                        NGX_MOBILITY_HISTORY_OUTGOING,
                                        ngx_mobility_ucwa_history_status(c, 0))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_history_write(tx, c, msgs, &c->to, &c->from,
                                      NGX_MOBILITY_HISTORY_INCOMING,
                                      ngx_mobility_ucwa_history_status(c, 1));
}


/*
 * Member user leaves conference c (it joined at since): its log of the
 * conference ("Connected"), the messages from its join on.  peer, when
 * empty, is the last other sender of the transcript, else user itself.
 */
ngx_int_t
ngx_mobility_ucwa_history_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *user,
    ngx_mobility_bytes_t *peer, ngx_uint_t outgoing, uint64_t since)
{
    ngx_uint_t                 n;
    ngx_array_t               *msgs;
    ngx_mobility_bytes_t       other;
    ngx_mobility_conv_msg_t   *m;

    if (tx->umcf->history_retention == 0) {
        return NGX_OK;
    }

    msgs = ngx_mobility_ucwa_history_transcript(tx, c, since);
    if (msgs == NULL) {
        return NGX_ERROR;
    }

    other = *user;

    if (peer->len) {
        other = *peer;

    } else {
        m = msgs->elts;

        for (n = msgs->nelts; n > 0; n--) {
            if (m[n - 1].from.len != user->len
                || ngx_memcmp(m[n - 1].from.data, user->data, user->len))
            {
                other = m[n - 1].from;
                break;
            }
        }
    }

    return ngx_mobility_ucwa_history_write(tx, c, msgs, user, &other,
                                           outgoing
                                           ? NGX_MOBILITY_HISTORY_OUTGOING
                                           : NGX_MOBILITY_HISTORY_INCOMING,
                                           "Connected");
}


/* ------------------------------------------------------------------ */
/* representations                                                    */


typedef struct {
    ngx_mobility_ucwa_tx_t   *tx;
    ngx_mobility_ucwa_app_t  *app;
    ngx_str_t                *prefix;
    json_t                   *list;
    const char               *base;      /* the log's path */
    ngx_uint_t                failed;
    ngx_uint_t                limit;     /* transcripts: a page */
    ngx_uint_t                count;
    uint64_t                  next;      /* the first not shown */
    ngx_uint_t                more;
} ngx_mobility_ucwa_logs_ctx_t;


static const char *
ngx_mobility_ucwa_log_path(ngx_pool_t *pool, ngx_mobility_bytes_t *id,
    const char *tail)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof(NGX_MOBILITY_UCWA_LOGS "/") + id->len
                          + ngx_strlen(tail));
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(p, NGX_MOBILITY_UCWA_LOGS "/%*s%s%Z", id->len,
                       id->data, tail);

    return (const char *) p;
}


static json_t *
ngx_mobility_ucwa_log_date(uint64_t ms)
{
    u_char  buf[64];

    ngx_snprintf(buf, sizeof(buf) - 1, "/Date(%uL)/%Z", ms);

    return json_string((const char *) buf);
}


static json_t *
ngx_mobility_ucwa_log_bytes(ngx_mobility_bytes_t *b)
{
    return json_stringn((const char *) b->data, b->len);
}


static json_t *
ngx_mobility_ucwa_log_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_convlog_t *log)
{
    u_char               *p, *q;
    json_t               *obj, *links, *mods, *emb, *rec, *rl, *arr;
    ngx_str_t             prefix, peer;
    ngx_mobility_user_t   u;

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    links = json_object();
    mods = json_array();
    emb = json_object();
    rec = json_object();
    rl = json_object();
    arr = json_array();

    if (obj == NULL || links == NULL || mods == NULL || emb == NULL
        || rec == NULL || rl == NULL || arr == NULL)
    {
        json_decref(obj);
        json_decref(links);
        json_decref(mods);
        json_decref(emb);
        json_decref(rec);
        json_decref(rl);
        json_decref(arr);
        return NULL;
    }

    json_array_append_new(mods, json_string("Messaging"));

    json_object_set_new(obj, "creationTime",
                        ngx_mobility_ucwa_log_date(log->ended));
    json_object_set_new(obj, "direction",
                        json_string(log->direction
                                    == NGX_MOBILITY_HISTORY_INCOMING
                                    ? "Incoming" : "Outgoing"));
    json_object_set_new(obj, "importance",
                        log->importance.len
                        ? ngx_mobility_ucwa_log_bytes(&log->importance)
                        : json_string("Normal"));
    json_object_set_new(obj, "modalities", mods);
    json_object_set_new(obj, "previewMessage",
                        ngx_mobility_ucwa_log_bytes(&log->preview));
    json_object_set_new(obj, "status",
                        ngx_mobility_ucwa_log_bytes(&log->status));
    json_object_set_new(obj, "subject",
                        ngx_mobility_ucwa_log_bytes(&log->subject));
    json_object_set_new(obj, "threadId",
                        ngx_mobility_ucwa_log_bytes(&log->thread_id));
    json_object_set_new(obj, "totalRecipientsCount", json_integer(1));
    json_object_set_new(obj, "type", json_string("MessagingLog"));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_log_path(tx->pool,
                                                             &log->id, ""));

    /* continueMessaging: startMessaging to the peer in the same thread */
    p = ngx_pnalloc(tx->pool, sizeof("/communication/messagingInvitations"
                                     "?to=sip%3A&threadId=")
                              + 3 * log->peer.len + 3 * log->thread_id.len);
    if (p) {
        q = ngx_sprintf(p, "/communication/messagingInvitations?to=sip%%3A");
        q = (u_char *) ngx_escape_uri(q, (u_char *) log->peer.data,
                                      log->peer.len, NGX_ESCAPE_ARGS);
        q = ngx_sprintf(q, "&threadId=");
        q = (u_char *) ngx_escape_uri(q, (u_char *) log->thread_id.data,
                                      log->thread_id.len, NGX_ESCAPE_ARGS);
        *q = '\0';
    }

    (void) ngx_mobility_ucwa_link(links, "continueMessaging", &prefix,
                                  (const char *) p);
    (void) ngx_mobility_ucwa_link(links, "conversationLogTranscripts",
                                  &prefix,
                                  ngx_mobility_ucwa_log_path(tx->pool,
                                      &log->id,
                                      "/conversationLogTranscripts"));

    if (log->status.len == 6
        && ngx_strncmp(log->status.data, "Missed", 6) == 0)
    {
        (void) ngx_mobility_ucwa_link(links, "markAsRead", &prefix,
                                      ngx_mobility_ucwa_log_path(tx->pool,
                                          &log->id, "/markAsRead"));
    }

    /* the recipient: the other participant */
    peer.len = log->peer.len;
    peer.data = ngx_pnalloc(tx->pool, sizeof("/people/") + peer.len
                                      + sizeof("/presence"));
    if (peer.data) {
        (void) ngx_sprintf(peer.data, "/people/%*s%Z", log->peer.len,
                           log->peer.data);
    }

    if (ngx_mobility_user_get(tx->st, tx->txn, log->peer.data, log->peer.len,
                              &u)
        == NGX_MOBILITY_OK
        && u.name.len)
    {
        json_object_set_new(rec, "displayName",
                            ngx_mobility_ucwa_log_bytes(&u.name));
    }

    p = ngx_pnalloc(tx->pool, sizeof("sip:") + log->peer.len);
    if (p) {
        q = ngx_sprintf(p, "sip:%*s", log->peer.len, log->peer.data);
        json_object_set_new(rec, "sipUri",
                            json_stringn((const char *) p, q - p));
    }

    json_object_set_new(rec, "_links", rl);

    if (peer.data) {
        (void) ngx_mobility_ucwa_link(rl, "contact", &prefix,
                                      (const char *) peer.data);

        p = ngx_pnalloc(tx->pool, ngx_strlen(peer.data) + sizeof("/presence"));
        if (p) {
            (void) ngx_sprintf(p, "%s/presence%Z", peer.data);
            (void) ngx_mobility_ucwa_link(rl, "contactPresence", &prefix,
                                          (const char *) p);
        }
    }

    json_object_set_new(rec, "rel", json_string("conversationLogRecipient"));
    json_array_append_new(arr, rec);
    json_object_set_new(emb, "conversationLogRecipient", arr);
    json_object_set_new(obj, "_embedded", emb);

    json_object_set_new(obj, "rel", json_string("conversationLog"));

    return obj;
}


static int
ngx_mobility_ucwa_logs_each(void *data, ngx_mobility_convlog_t *log)
{
    json_t                        *link;
    ngx_mobility_ucwa_logs_ctx_t  *ctx = data;

    link = json_object();

    if (link == NULL
        || json_object_set_new(link, "href",
                   ngx_mobility_ucwa_href(ctx->prefix,
                       ngx_mobility_ucwa_log_path(ctx->tx->pool, &log->id,
                                                  "")))
           != 0
        || json_array_append_new(ctx->list, link) != 0)
    {
        ctx->failed = 1;
        return 1;
    }

    return 0;
}


static int
ngx_mobility_ucwa_transcript_each(void *data, ngx_mobility_conv_msg_t *m)
{
    u_char                        *p;
    json_t                        *t, *links, *emb, *mt, *ml, *pl;
    ngx_mobility_ucwa_logs_ctx_t  *ctx = data;
    ngx_pool_t                    *pool;

    pool = ctx->tx->pool;

    if (ctx->limit && ctx->count == ctx->limit) {
        ctx->more = 1;
        ctx->next = m->seq;
        return 1;
    }

    ctx->count++;

    t = json_object();
    links = json_object();
    emb = json_object();
    mt = json_object();
    ml = json_object();
    pl = json_object();

    if (t == NULL || links == NULL || emb == NULL || mt == NULL
        || ml == NULL || pl == NULL)
    {
        json_decref(t);
        json_decref(links);
        json_decref(emb);
        json_decref(mt);
        json_decref(ml);
        json_decref(pl);
        ctx->failed = 1;
        return 1;
    }

    json_object_set_new(t, "timeStamp", ngx_mobility_ucwa_log_date(m->time));
    json_object_set_new(t, "_links", links);

    p = ngx_pnalloc(pool, ngx_strlen(ctx->base) + NGX_INT64_LEN + 2);
    if (p) {
        (void) ngx_sprintf(p, "%s/%uL%Z", ctx->base, m->seq);
    }

    (void) ngx_mobility_ucwa_link(links, "self", ctx->prefix,
                                  (const char *) p);

    if (m->from.len == ctx->app->owner.len
        && ngx_strncmp(m->from.data, ctx->app->owner.data, m->from.len) == 0)
    {
        (void) ngx_mobility_ucwa_link(links, "me", ctx->prefix, "/me");

    } else {
        (void) ngx_mobility_ucwa_link(links, "contact", ctx->prefix,
                                      ngx_mobility_ucwa_people_path(pool,
                                          "/people/", &m->from, ""));
    }

    /* HTML as a base64 data URI (spec §7.4), plain text URL-encoded */
    json_object_set_new(pl, "href",
                        (m->format == NGX_MOBILITY_CONV_MSG_HTML)
                        ? ngx_mobility_ucwa_html_data_uri(pool, &m->text)
                        : ngx_mobility_ucwa_text_data_uri(pool, &m->text));

    json_object_set_new(mt, "_links", ml);

    p = ngx_pnalloc(pool, ngx_strlen(ctx->base) + NGX_INT64_LEN
                          + sizeof("/messageTranscript") + 2);
    if (p) {
        (void) ngx_sprintf(p, "%s/%uL/messageTranscript%Z", ctx->base,
                           m->seq);
    }

    (void) ngx_mobility_ucwa_link(ml, "self", ctx->prefix, (const char *) p);
    json_object_set_new(ml, m->format == NGX_MOBILITY_CONV_MSG_HTML
                            ? "htmlMessage" : "plainMessage", pl);
    json_object_set_new(mt, "rel", json_string("messageTranscript"));

    json_object_set_new(emb, "messageTranscript", mt);
    json_object_set_new(t, "_embedded", emb);
    json_object_set_new(t, "rel", json_string("conversationLogTranscript"));

    if (json_array_append_new(ctx->list, t) != 0) {
        ctx->failed = 1;
        return 1;
    }

    return 0;
}


/* ------------------------------------------------------------------ */
/* the resources                                                      */


static ngx_int_t
ngx_mobility_ucwa_logs_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    json_t                        *obj;
    ngx_int_t                      limit;
    ngx_str_t                      prefix, lim;
    ngx_mobility_ucwa_logs_ctx_t   ctx;

    limit = 100;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "limit", &lim) == NGX_OK) {
        limit = ngx_atoi(lim.data, lim.len);

        if (limit < 1 || limit > NGX_MOBILITY_UCWA_LOGS_LIMIT) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "limit",
                                               "The limit must be between 1 "
                                               "and 1000.");
        }
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&ctx, sizeof(ngx_mobility_ucwa_logs_ctx_t));
    ctx.tx = tx;
    ctx.app = app;
    ctx.prefix = &prefix;

    obj = ngx_mobility_ucwa_collection(&prefix, NGX_MOBILITY_UCWA_LOGS,
                                       "conversationLog", "conversationLogs",
                                       &ctx.list);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_convlog_each(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, (size_t) limit,
                                  ngx_mobility_ucwa_logs_each, &ctx)
        != NGX_MOBILITY_OK
        || ctx.failed)
    {
        json_decref(obj);
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


static ngx_int_t
ngx_mobility_ucwa_logs_transcripts(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_convlog_t *log)
{
    u_char                        *p;
    json_t                        *obj, *links, *emb;
    ngx_int_t                      limit, start;
    ngx_str_t                      prefix, arg;
    ngx_mobility_ucwa_logs_ctx_t   ctx;

    limit = NGX_MOBILITY_UCWA_TRANSCRIPTS_PAGE;
    start = 0;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "limit", &arg) == NGX_OK) {
        limit = ngx_atoi(arg.data, arg.len);

        if (limit < 1 || limit > NGX_MOBILITY_UCWA_LOGS_LIMIT) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "limit",
                                               "The limit must be between 1 "
                                               "and 1000.");
        }
    }

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "start", &arg) == NGX_OK) {
        start = ngx_atoi(arg.data, arg.len);

        if (start < 0) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "start",
                                               "The start must be a message "
                                               "number.");
        }
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&ctx, sizeof(ngx_mobility_ucwa_logs_ctx_t));
    ctx.tx = tx;
    ctx.app = app;
    ctx.prefix = &prefix;
    ctx.limit = (ngx_uint_t) limit;
    ctx.base = ngx_mobility_ucwa_log_path(rq->pool, &log->id,
                                          "/conversationLogTranscripts");
    ctx.list = json_array();

    obj = json_object();
    links = json_object();
    emb = json_object();

    if (obj == NULL || links == NULL || emb == NULL || ctx.list == NULL
        || ctx.base == NULL)
    {
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        json_decref(ctx.list);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix, ctx.base);
    json_object_set_new(emb, "conversationLogTranscript", ctx.list);
    json_object_set_new(obj, "_embedded", emb);
    json_object_set_new(obj, "rel", json_string("conversationLogTranscripts"));

    if (ngx_mobility_convlog_msg_each(tx->st, tx->txn, app->owner.data,
                                      app->owner.len, log->id.data,
                                      log->id.len, (uint64_t) start,
                                      ngx_mobility_ucwa_transcript_each, &ctx)
        != NGX_MOBILITY_OK
        || ctx.failed)
    {
        json_decref(obj);
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (ctx.more) {
        /* the next page starts at the first message not shown */
        p = ngx_pnalloc(rq->pool, ngx_strlen(ctx.base)
                                  + sizeof("?start=&limit=")
                                  + 2 * NGX_INT64_LEN);
        if (p == NULL) {
            json_decref(obj);
            return NGX_ERROR;
        }

        (void) ngx_sprintf(p, "%s?start=%uL&limit=%i%Z", ctx.base,
                           ctx.next, limit);

        (void) ngx_mobility_ucwa_link(links, "nextConversationLogTranscripts",
                                      &prefix, (const char *) p);
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* DELETE: the user's own copy, and the missed conversation it stands for */
static ngx_int_t
ngx_mobility_ucwa_logs_delete(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *id)
{
    int  rc;

    rc = ngx_mobility_convlog_remove(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, id->data, id->len);

    if (rc == NGX_MOBILITY_ERROR) {
        goto failed;
    }

    if (rc == NGX_MOBILITY_OK
        && ngx_mobility_ucwa_history_logged(tx, app->owner.data,
                                            app->owner.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_missed_remove(tx->st, tx->txn, app->owner.data,
                                    app->owner.len, id->data, id->len);

    if (rc == NGX_MOBILITY_ERROR) {
        goto failed;
    }

    if (rc == NGX_MOBILITY_OK
        && ngx_mobility_ucwa_missed_changed(tx, &app->owner) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                  tx->st->err);
    return NGX_ERROR;
}


static ngx_int_t
ngx_mobility_ucwa_logs_mark_read(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *id)
{
    int  rc, changed;

    rc = ngx_mobility_missed_mark_read(tx->st, tx->txn, app->owner.data,
                                       app->owner.len, id->data, id->len,
                                       &changed);

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (rc == NGX_MOBILITY_OK && changed
        && ngx_mobility_ucwa_missed_changed(tx, &app->owner) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_conversation_logs(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    int                       rc2;
    json_t                   *obj;
    ngx_int_t                 rc;
    ngx_str_t                 rest, id;
    ngx_uint_t                write;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;
    ngx_mobility_convlog_t    log;

    ngx_mobility_ucwa_comm_path(rq, &rest);
    (void) ngx_mobility_ucwa_path_eat(&rest, "/conversationLogs");

    ngx_mobility_ucwa_path_segment(&rest, &id);

    write = (rq->method != NGX_HTTP_GET);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (id.len == 0) {
        rc = (rq->method == NGX_HTTP_GET && rest.len == 0)
             ? ngx_mobility_ucwa_logs_list(rq, rs, &tx, &app)
             : ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    /* the user's own logs only: another user's id is not found */
    rc2 = ngx_mobility_convlog_get(tx.st, tx.txn, app.owner.data,
                                   app.owner.len, id.data, id.len, &log);

    if (rc2 == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0, "mobility ucwa: %s",
                      tx.st->err);
        rc = NGX_ERROR;
        goto done;
    }

    if (rc2 == NGX_MOBILITY_NOTFOUND) {
        rc = ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (rest.len == 0) {
        if (rq->method == NGX_HTTP_GET) {
            obj = ngx_mobility_ucwa_log_json(&tx, &app, &log);
            rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                     : NGX_ERROR;

        } else if (rq->method == NGX_HTTP_DELETE) {
            rc = ngx_mobility_ucwa_logs_delete(rq, rs, &tx, &app, &id);

        } else {
            rc = ngx_mobility_ucwa_not_allowed(rq, rs);
        }

        goto done;
    }

    if (ngx_mobility_ucwa_path_eat(&rest, "/conversationLogTranscripts")
        && rest.len == 0)
    {
        rc = (rq->method == NGX_HTTP_GET)
             ? ngx_mobility_ucwa_logs_transcripts(rq, rs, &tx, &app, &log)
             : ngx_mobility_ucwa_not_allowed(rq, rs);
        goto done;
    }

    if (ngx_mobility_ucwa_path_eat(&rest, "/markAsRead") && rest.len == 0) {
        rc = (rq->method == NGX_HTTP_POST)
             ? ngx_mobility_ucwa_logs_mark_read(rq, rs, &tx, &app, &id)
             : ngx_mobility_ucwa_not_allowed(rq, rs);
        goto done;
    }

    rc = ngx_mobility_ucwa_not_found(rq, rs);

done:

    return ngx_mobility_ucwa_conv_done(rq, rs, &tx, rc, write);
}


/* ------------------------------------------------------------------ */
/* pruning                                                            */


static ngx_mobility_ucwa_prune_t *
ngx_mobility_ucwa_prune_push(ngx_mobility_ucwa_prune_ctx_t *ctx,
    ngx_uint_t kind, const u_char *user, size_t ulen, const u_char *id,
    size_t len)
{
    ngx_mobility_ucwa_prune_t  *it;

    it = ngx_array_push(ctx->items);
    if (it == NULL) {
        return NULL;
    }

    it->kind = kind;
    it->user.len = ulen;
    it->user.data = ulen ? ngx_pnalloc(ctx->pool, ulen) : NULL;
    it->id.len = len;
    it->id.data = ngx_pnalloc(ctx->pool, len);

    if ((ulen && it->user.data == NULL) || it->id.data == NULL) {
        ctx->items->nelts--;
        return NULL;
    }

    if (ulen) {
        ngx_memcpy(it->user.data, user, ulen);
    }

    ngx_memcpy(it->id.data, id, len);

    return it;
}


static void
ngx_mobility_ucwa_prune_conv(void *data, const u_char *id, size_t len)
{
    (void) ngx_mobility_ucwa_prune_push(data, 'c', NULL, 0, id, len);
}


static void
ngx_mobility_ucwa_prune_log(void *data, const u_char *user, size_t ulen,
    const u_char *id, size_t len)
{
    (void) ngx_mobility_ucwa_prune_push(data, 'l', user, ulen, id, len);
}


/*
 * The read-only half of the sweep (worker 0): ended conversations kept
 * long enough (a bounded number of "c" keys per tick, resumed where the
 * last tick stopped) and logs past the retention (oldest first).
 */
ngx_array_t *
ngx_mobility_ucwa_history_scan(ngx_mobility_ucwa_tx_t *tx)
{
    uint64_t                        keep, retention;
    ngx_mobility_ucwa_prune_ctx_t   ctx;

    ctx.pool = tx->pool;
    ctx.items = ngx_array_create(tx->pool, 16,
                                 sizeof(ngx_mobility_ucwa_prune_t));
    if (ctx.items == NULL) {
        return NULL;
    }

    keep = (uint64_t) tx->umcf->conversation_keep * 1000;

    if (ngx_mobility_conv_ended_scan(tx->st, tx->txn,
                                     tx->now > keep ? tx->now - keep : 0,
                                     ngx_mobility_ucwa_prune_resume,
                                     &ngx_mobility_ucwa_prune_resume_len,
                                     NGX_MOBILITY_UCWA_PRUNE_SCAN,
                                     ngx_mobility_ucwa_prune_conv, &ctx)
        < 0)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
    }

    retention = (uint64_t) tx->umcf->history_retention * 1000;

    if (ngx_mobility_convlog_expired(tx->st, tx->txn,
                                     tx->now > retention
                                     ? tx->now - retention + 1 : 0,
                                     NGX_MOBILITY_UCWA_PRUNE_MAX,
                                     ngx_mobility_ucwa_prune_log, &ctx)
        < 0)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
    }

    return ctx.items;
}


/* the write half: removes what the scan found (if still there) */
void
ngx_mobility_ucwa_history_prune(ngx_mobility_ucwa_tx_t *tx,
    ngx_array_t *items)
{
    int                         rc;
    ngx_uint_t                  i, n;
    ngx_mobility_ucwa_prune_t  *it;

    it = items->elts;
    n = 0;

    for (i = 0; i < items->nelts && n < NGX_MOBILITY_UCWA_PRUNE_MAX; i++) {

        if (it[i].kind == 'c') {
            rc = ngx_mobility_conv_remove(tx->st, tx->txn, it[i].id.data,
                                          it[i].id.len);
        } else {
            rc = ngx_mobility_convlog_remove(tx->st, tx->txn,
                                             it[i].user.data, it[i].user.len,
                                             it[i].id.data, it[i].id.len);

            if (rc == NGX_MOBILITY_OK
                && ngx_mobility_ucwa_history_logged(tx, it[i].user.data,
                                                    it[i].user.len)
                   != NGX_OK)
            {
                return;
            }
        }

        if (rc == NGX_MOBILITY_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return;
        }

        n += (rc == NGX_MOBILITY_OK);
    }

    if (n) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, tx->log, 0,
                       "mobility ucwa: pruned %ui conversations and logs", n);
    }
}
