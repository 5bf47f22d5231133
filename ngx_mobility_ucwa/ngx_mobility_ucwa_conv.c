/*
 * Copyright (C) The nginx mobility authors
 *
 * What two-party messaging (ngx_mobility_ucwa_messaging.c) and
 * conferences (ngx_mobility_ucwa_conference.c) share: pool copies of
 * conversations, the common inputs of an invitation, the path walk, the
 * end of a request's write transaction, a new conversation's identity,
 * whether someone can be reached for messaging, the deadline bookkeeping
 * of the due scans; the conversation's resources (paths, the
 * conversation's head, messaging, participants), where the events about
 * them point, and sendMessage.
 */

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_push.h"


ngx_int_t
ngx_mobility_ucwa_bytes_dup(ngx_pool_t *pool, ngx_mobility_bytes_t *b)
{
    u_char  *p;

    p = ngx_pnalloc(pool, b->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (b->len) {
        ngx_memcpy(p, b->data, b->len);
    }

    p[b->len] = '\0';
    b->data = p;

    return NGX_OK;
}


/* NUL-terminated pool copies of the n strings f[] */
ngx_int_t
ngx_mobility_ucwa_bytes_dup_n(ngx_pool_t *pool, ngx_mobility_bytes_t **f,
    ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ngx_mobility_ucwa_bytes_dup(pool, f[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


json_t *
ngx_mobility_ucwa_json_bytes(ngx_mobility_bytes_t *b)
{
    return json_stringn((const char *) b->data, b->len);
}


/* NUL-terminated pool copies of the strings of c */
ngx_int_t
ngx_mobility_ucwa_conv_dup(ngx_pool_t *pool, ngx_mobility_conv_t *c)
{
    ngx_mobility_bytes_t  *f[13];

    f[0] = &c->id;
    f[1] = &c->from;
    f[2] = &c->to;
    f[3] = &c->from_app;
    f[4] = &c->to_app;
    f[5] = &c->subject;
    f[6] = &c->importance;
    f[7] = &c->thread_id;
    f[8] = &c->operation_id;
    f[9] = &c->message;
    f[10] = &c->reason;
    f[11] = &c->organizer;
    f[12] = &c->meeting;

    return ngx_mobility_ucwa_bytes_dup_n(pool, f, 13);
}


/*
 * A store read's result: NGX_OK, NGX_DECLINED (not found) or NGX_ERROR
 * (logged).
 */
ngx_int_t
ngx_mobility_ucwa_store_rc(ngx_mobility_ucwa_tx_t *tx, int rc)
{
    if (rc == NGX_MOBILITY_NOTFOUND) {
        return NGX_DECLINED;
    }

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* reads a conversation into pool memory; OK, NGX_DECLINED (none), ERROR */
ngx_int_t
ngx_mobility_ucwa_conv_read(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *id,
    ngx_mobility_conv_t *c)
{
    ngx_int_t  rc;

    rc = ngx_mobility_ucwa_store_rc(tx, ngx_mobility_conv_get(tx->st,
                                        tx->txn, id->data, id->len, c));

    return (rc == NGX_OK) ? ngx_mobility_ucwa_conv_dup(tx->pool, c) : rc;
}


ngx_int_t
ngx_mobility_ucwa_bad(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *message)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                   "BadRequest", "ParameterValidationFailure",
                                   message);
}


ngx_int_t
ngx_mobility_ucwa_not_found(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND, "NotFound",
                                   NULL, "The resource does not exist.");
}


/* 405: the method is not allowed on this resource */
ngx_int_t
ngx_mobility_ucwa_not_allowed(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                   "MethodNotAllowed", NULL,
                                   "The method is not allowed on this "
                                   "resource.");
}


/*
 * A string input from the body (and the query when query is set);
 * NGX_ERROR if it is longer than max.
 */
ngx_int_t
ngx_mobility_ucwa_conv_input(ngx_mobility_ucwa_req_t *rq, const char *name,
    size_t max, ngx_uint_t query, ngx_mobility_bytes_t *out)
{
    ngx_str_t  s;

    if (ngx_mobility_ucwa_input_str(rq, name, &s) != NGX_OK
        && (!query
            || ngx_mobility_ucwa_arg(rq->pool, &rq->args, name, &s)
               != NGX_OK))
    {
        s.len = 0;
        s.data = (u_char *) "";
    }

    if (s.len > max) {
        return NGX_ERROR;
    }

    out->data = s.data;
    out->len = s.len;

    return NGX_OK;
}


static ngx_uint_t
ngx_mobility_ucwa_is_word(ngx_mobility_bytes_t *b, const char *word)
{
    size_t  n;

    n = ngx_strlen(word);

    return b->len == n
           && ngx_strncasecmp((u_char *) b->data, (u_char *) word, n) == 0;
}


/*
 * operationId (into op), subject, importance, threadId of an invitation:
 * NULL, or the message of a 400
 */
const char *
ngx_mobility_ucwa_conv_inputs(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_conv_t *c, ngx_mobility_bytes_t *op, ngx_uint_t query)
{
    ngx_mobility_bytes_t  *imp;

    if (ngx_mobility_ucwa_conv_input(rq, "operationId", 50, query, op)
        != NGX_OK
        || ngx_mobility_ucwa_conv_input(rq, "subject", 250, query,
                                        &c->subject) != NGX_OK
        || ngx_mobility_ucwa_conv_input(rq, "importance", 32, query,
                                        &c->importance) != NGX_OK
        || ngx_mobility_ucwa_conv_input(rq, "threadId", 100, query,
                                        &c->thread_id) != NGX_OK)
    {
        return "A parameter is too long.";
    }

    imp = &c->importance;

    if (imp->len
        && !ngx_mobility_ucwa_is_word(imp, "Normal")
        && !ngx_mobility_ucwa_is_word(imp, "Urgent")
        && !ngx_mobility_ucwa_is_word(imp, "Emergency"))
    {
        return "Invalid importance.";
    }

    return NULL;
}


/* eats word (case-insensitive) when a segment or the whole of s */
ngx_uint_t
ngx_mobility_ucwa_path_eat(ngx_str_t *s, const char *word)
{
    size_t  n;

    n = ngx_strlen(word);

    if (s->len >= n && ngx_strncasecmp(s->data, (u_char *) word, n) == 0
        && (s->len == n || s->data[n] == '/' || s->data[n] == '?'))
    {
        s->data += n;
        s->len -= n;
        return 1;
    }

    return 0;
}


/* rq's path after /communication, one trailing slash tolerated */
void
ngx_mobility_ucwa_comm_path(ngx_mobility_ucwa_req_t *rq, ngx_str_t *rest)
{
    *rest = rq->rest;

    if (rest->len > 1 && rest->data[rest->len - 1] == '/') {
        rest->len--;
    }

    (void) ngx_mobility_ucwa_path_eat(rest, "/communication");
}


/* the next segment of s (after one '/'), eaten */
void
ngx_mobility_ucwa_path_segment(ngx_str_t *s, ngx_str_t *seg)
{
    u_char  *p;

    if (s->len && s->data[0] == '/') {
        s->data++;
        s->len--;
    }

    p = ngx_strlchr(s->data, s->data + s->len, '/');

    seg->data = s->data;
    seg->len = p ? (size_t) (p - s->data) : s->len;

    s->data += seg->len;
    s->len -= seg->len;
}


/*
 * The end of a request's transaction: aborted unless the handler
 * succeeded with a write and a success status, else committed; a new
 * deadline arms this worker's timer.
 */
ngx_int_t
ngx_mobility_ucwa_conv_done(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx, ngx_int_t rc,
    ngx_uint_t write)
{
    if (rc != NGX_OK || !write || rs->error
        || (rs->status != NGX_HTTP_OK && rs->status != NGX_HTTP_CREATED
            && rs->status != NGX_HTTP_NO_CONTENT))
    {
        ngx_mobility_ucwa_tx_abort(tx);
        return rc;
    }

    if (ngx_mobility_ucwa_tx_commit(tx) != NGX_OK) {
        ngx_memzero(rs, sizeof(ngx_mobility_ucwa_resp_t));
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (tx->due && (rq->due == 0 || tx->due < rq->due)) {
        rq->due = tx->due;
    }

    return NGX_OK;
}


/* Location: the application's prefix and path */
ngx_int_t
ngx_mobility_ucwa_set_location(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    const char *path)
{
    ngx_str_t  prefix;

    if (path == NULL
        || ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->location.len = prefix.len + ngx_strlen(path);
    rs->location.data = ngx_pnalloc(rq->pool, rs->location.len);
    if (rs->location.data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_sprintf(rs->location.data, "%V%s", &prefix, path);

    return NGX_OK;
}


/*
 * A new conversation started by app: a random id (NUL-terminated), app's
 * owner as its starter, created now, in state, a random threadId unless
 * the client gave one.
 */
ngx_int_t
ngx_mobility_ucwa_conv_init(ngx_pool_t *pool, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, ngx_uint_t state)
{
    u_char  *id, *t;

    id = ngx_pnalloc(pool, NGX_MOBILITY_UCWA_RANDOM_LEN + 1);
    if (id == NULL) {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_random_hex(id, NGX_MOBILITY_UCWA_RANDOM_LEN);
    id[NGX_MOBILITY_UCWA_RANDOM_LEN] = '\0';

    c->id.data = id;
    c->id.len = NGX_MOBILITY_UCWA_RANDOM_LEN;
    c->from.data = app->owner.data;
    c->from.len = app->owner.len;
    c->from_app.data = app->id.data;
    c->from_app.len = app->id.len;
    c->state = state;
    c->created = tx->now;
    c->next_msg = 1;

    if (c->thread_id.len == 0) {
        t = ngx_pnalloc(pool, NGX_MOBILITY_UCWA_RANDOM_LEN);
        if (t == NULL) {
            return NGX_ERROR;
        }

        ngx_mobility_ucwa_random_hex(t, NGX_MOBILITY_UCWA_RANDOM_LEN);
        c->thread_id.data = t;
        c->thread_id.len = NGX_MOBILITY_UCWA_RANDOM_LEN;
    }

    return NGX_OK;
}


/*
 * Is the invitee user there, and available for messaging?  *reason is
 * NULL, "DestinationNotFound" (unknown or disabled: NGX_DECLINED) or
 * "TemporarilyUnavailable" (no available application: NGX_OK).
 */
ngx_int_t
ngx_mobility_ucwa_invitee(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *user,
    const char **reason)
{
    int                       rc;
    ngx_str_t                *list;
    ngx_uint_t                i;
    ngx_array_t              *ids;
    ngx_mobility_user_t       u;
    ngx_mobility_ucwa_app_t   ra;

    *reason = NULL;

    rc = ngx_mobility_user_get(tx->st, tx->txn, user->data, user->len, &u);

    if (rc == NGX_MOBILITY_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_MOBILITY_OK || !u.enabled) {
        *reason = "DestinationNotFound";
        return NGX_DECLINED;
    }

    ids = ngx_mobility_ucwa_user_apps(tx, user);
    if (ids == NULL) {
        return NGX_ERROR;
    }

    list = ids->elts;

    for (i = 0; i < ids->nelts; i++) {
        if (ngx_mobility_ucwa_app_get(tx, &list[i], &ra) == NGX_OK
            && !(ra.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)
            && (ra.flags & NGX_MOBILITY_UCWA_APP_AVAILABLE)
            && (ra.modalities & NGX_MOBILITY_UCWA_MOD_MESSAGING))
        {
            return NGX_OK;
        }
    }

    *reason = "TemporarilyUnavailable";

    return NGX_OK;
}


/*
 * The end of a due scan: next is the first deadline left (0: none),
 * more that the scan stopped at its limit (come back at once).
 */
void
ngx_mobility_ucwa_due_next(ngx_mobility_ucwa_tx_t *tx, uint64_t next,
    ngx_uint_t more)
{
    if (more) {
        next = tx->now;
    }

    if (next && (tx->due == 0 || next < tx->due)) {
        tx->due = next;
    }
}


/* a due key's conversation id, copied into the pool */
ngx_int_t
ngx_mobility_ucwa_due_id(ngx_mobility_ucwa_tx_t *tx, u_char *id, size_t n,
    ngx_str_t *s)
{
    s->data = ngx_pnalloc(tx->pool, n);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, id, n);
    s->len = n;

    return NGX_OK;
}


/*
 * A representation for app: its link prefix, the object, its _links
 * object (attached by the caller, where it wants it) and, when mods is
 * given, an array; NULL when out of memory.
 */
json_t *
ngx_mobility_ucwa_resource_new(ngx_pool_t *pool, ngx_mobility_ucwa_app_t *app,
    ngx_str_t *prefix, json_t **links, json_t **mods)
{
    json_t  *obj;

    if (ngx_mobility_ucwa_prefix(pool, app, prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    *links = json_object();

    if (mods) {
        *mods = json_array();
    }

    if (obj == NULL || *links == NULL || (mods && *mods == NULL)) {
        json_decref(obj);
        json_decref(*links);

        if (mods) {
            json_decref(*mods);
        }

        return NULL;
    }

    return obj;
}


/* obj._embedded.name = value (taken), or nothing when out of memory */
void
ngx_mobility_ucwa_embed(json_t *obj, const char *name, json_t *value)
{
    json_t  *emb;

    emb = json_object();

    if (value && emb) {
        json_object_set_new(emb, name, value);
        json_object_set_new(obj, "_embedded", emb);
        return;
    }

    json_decref(value);
    json_decref(emb);
}


/*
 * The invitee of an invitation: "to" from the body (or the query when
 * query is set), canonical into sip (NGX_MOBILITY_SIP_MAX + 1 bytes).
 * Returns its length, or 0 once a 400 is answered (its code in *rc):
 * missing, invalid, or app's own user (InvalidInvitee, oneself).
 */
int
ngx_mobility_ucwa_invitee_input(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    ngx_uint_t query, u_char *sip, const char *oneself, ngx_int_t *rc)
{
    int        n;
    ngx_str_t  to;

    if ((ngx_mobility_ucwa_input_str(rq, "to", &to) != NGX_OK
         && (!query
             || ngx_mobility_ucwa_arg(rq->pool, &rq->args, "to", &to)
                != NGX_OK))
        || to.len == 0)
    {
        *rc = ngx_mobility_ucwa_bad(rq, rs, "Missing 'to'.");
        return 0;
    }

    n = ngx_mobility_sip_canon(to.data, to.len, sip, NULL);
    if (n <= 0) {
        *rc = ngx_mobility_ucwa_bad(rq, rs, "Invalid 'to'.");
        return 0;
    }

    if ((size_t) n == app->owner.len
        && ngx_strncmp(sip, app->owner.data, n) == 0)
    {
        *rc = ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                      "BadRequest", "InvalidInvitee",
                                      oneself);
        return 0;
    }

    return n;
}


/* what an anonymous meeting guest may not do: 403 AnonymousNotAllowed */
ngx_int_t
ngx_mobility_ucwa_anonymous_refused(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *message)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN, "Forbidden",
                                   "AnonymousNotAllowed", message);
}


/* ------------------------------------------------------------------ */
/* the resources of a conversation: paths and representations         */


/* /communication/conversations/<id><tail> */
const char *
ngx_mobility_ucwa_conv_path(ngx_pool_t *pool, ngx_mobility_conv_t *c,
    const char *tail)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof(NGX_MOBILITY_UCWA_CONV_PATH) + c->id.len
                          + ngx_strlen(tail));
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(p, NGX_MOBILITY_UCWA_CONV_PATH "%*s%s%Z", c->id.len,
                       c->id.data, tail);

    return (const char *) p;
}


/* /communication/conversations/<id>/participants/<sip><tail> */
const char *
ngx_mobility_ucwa_conv_part_path(ngx_pool_t *pool, ngx_mobility_conv_t *c,
    const u_char *sip, size_t len, const char *tail)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof(NGX_MOBILITY_UCWA_CONV_PATH "/participants/")
                          + c->id.len + len + ngx_strlen(tail));
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(p, NGX_MOBILITY_UCWA_CONV_PATH
                       "%*s/participants/%*s%s%Z",
                       c->id.len, c->id.data, len, sip, tail);

    return (const char *) p;
}


/* /communication/conversations/<id>/messaging/messages/<seq> */
const char *
ngx_mobility_ucwa_conv_message_path(ngx_pool_t *pool,
    ngx_mobility_conv_t *c, uint64_t seq)
{
    u_char  tail[64];

    ngx_snprintf(tail, sizeof(tail) - 1, "/messaging/messages/%uL%Z", seq);

    return ngx_mobility_ucwa_conv_path(pool, c, (const char *) tail);
}


/* "sip:" and the address */
json_t *
ngx_mobility_ucwa_sip_json(const u_char *sip, size_t len)
{
    u_char   buf[NGX_MOBILITY_SIP_MAX + 8];
    u_char  *p;

    p = ngx_snprintf(buf, sizeof(buf) - 1, "sip:%*s", len, sip);

    return json_stringn((const char *) buf, p - buf);
}


/* "data:text/plain;charset=utf-8," + URL-encoded text, "+" for space */
json_t *
ngx_mobility_ucwa_text_data_uri(ngx_pool_t *pool, ngx_mobility_bytes_t *text)
{
    u_char        *buf, *p;
    size_t         i;
    json_t        *j;
    static u_char  hex[] = "0123456789abcdef";
    static char    prefix[] = "data:text/plain;charset=utf-8,";

    buf = ngx_pnalloc(pool, sizeof(prefix) + text->len * 3);
    if (buf == NULL) {
        return NULL;
    }

    p = ngx_cpymem(buf, prefix, sizeof(prefix) - 1);

    for (i = 0; i < text->len; i++) {
        u_char  ch = text->data[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'
            || ch == '.' || ch == '~' || ch == '!' || ch == '*'
            || ch == '\'' || ch == '(' || ch == ')')
        {
            *p++ = ch;

        } else if (ch == ' ') {
            *p++ = '+';

        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 0x0f];
        }
    }

    j = json_stringn((const char *) buf, p - buf);

    return j;
}


/* "data:text/html;base64," + the HTML in base64 */
json_t *
ngx_mobility_ucwa_html_data_uri(ngx_pool_t *pool, ngx_mobility_bytes_t *text)
{
    u_char         *buf;
    size_t          len;
    ngx_str_t       src, dst;
    static char     prefix[] = "data:text/html;base64,";

    len = sizeof(prefix) + ngx_base64_encoded_length(text->len);

    buf = ngx_pnalloc(pool, len);
    if (buf == NULL) {
        return NULL;
    }

    ngx_memcpy(buf, prefix, sizeof(prefix) - 1);

    src.data = (u_char *) text->data;
    src.len = text->len;
    dst.data = buf + sizeof(prefix) - 1;

    ngx_encode_base64(&dst, &src);

    return json_stringn((const char *) buf, sizeof(prefix) - 1 + dst.len);
}


/* the conversation's importance, Normal when none was given */
json_t *
ngx_mobility_ucwa_importance_json(ngx_mobility_conv_t *c)
{
    return c->importance.len ? ngx_mobility_ucwa_json_bytes(&c->importance)
                             : json_string("Normal");
}


/*
 * The head of a conversation resource, as app's user sees it: state,
 * threadId, subject, activeModalities (mods, taken), importance.
 */
void
ngx_mobility_ucwa_conversation_fields(json_t *obj, ngx_mobility_conv_t *c,
    const char *state, json_t *mods)
{
    json_object_set_new(obj, "state", json_string(state));
    json_object_set_new(obj, "threadId",
                        ngx_mobility_ucwa_json_bytes(&c->thread_id));
    json_object_set_new(obj, "subject",
                        ngx_mobility_ucwa_json_bytes(&c->subject));
    json_object_set_new(obj, "activeModalities", mods);
    json_object_set_new(obj, "importance",
                        ngx_mobility_ucwa_importance_json(c));
}


/* the addParticipant link of a conversation: a participantInvitation */
void
ngx_mobility_ucwa_add_participant_link(ngx_pool_t *pool, json_t *links,
    ngx_str_t *prefix, ngx_mobility_conv_t *c)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof("/communication/participant"
                                 "Invitations?conversation=")
                          + c->id.len);
    if (p) {
        (void) ngx_sprintf(p, "/communication/participantInvitations"
                           "?conversation=%*s%Z", c->id.len, c->id.data);
    }

    (void) ngx_mobility_ucwa_link(links, "addParticipant", prefix,
                                  (const char *) p);
}


/*
 * The messaging resource of conversation c, in state; while connected
 * the negotiated formats (Plain, and Html when html) and the links to
 * send, to type and to see who types; stopMessaging when stop.
 */
json_t *
ngx_mobility_ucwa_messaging_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, const char *state,
    ngx_uint_t connected, ngx_uint_t html, ngx_uint_t stop)
{
    json_t     *obj, *links, *f;
    ngx_str_t   prefix;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    json_object_set_new(obj, "state", json_string(state));

    if (connected) {
        f = json_array();

        if (f) {
            json_array_append_new(f, json_string("Plain"));

            if (html) {
                json_array_append_new(f, json_string("Html"));
            }

            json_object_set_new(obj, "negotiatedMessageFormats", f);
        }
    }

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              "/messaging"));
    (void) ngx_mobility_ucwa_link(links, "conversation", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              ""));

    if (connected) {
        (void) ngx_mobility_ucwa_link(links, "sendMessage", &prefix,
                                      ngx_mobility_ucwa_conv_path(tx->pool,
                                          c, "/messaging/messages"));
        (void) ngx_mobility_ucwa_link(links, "setIsTyping", &prefix,
                                      ngx_mobility_ucwa_conv_path(tx->pool,
                                          c, "/messaging/typing"));
        (void) ngx_mobility_ucwa_link(links, "typingParticipants", &prefix,
                                      ngx_mobility_ucwa_conv_path(tx->pool,
                                          c, "/messaging/typingParticipants"));
    }

    if (stop) {
        (void) ngx_mobility_ucwa_link(links, "stopMessaging", &prefix,
                                      ngx_mobility_ucwa_conv_path(tx->pool,
                                          c, "/messaging/terminate"));
    }

    json_object_set_new(obj, "rel", json_string("messaging"));

    return obj;
}


/*
 * Who a participant is: sourceNetwork, anonymous, name and uri.  A
 * meeting guest (guest: the name it gave) is anonymous from the public
 * cloud; a user's name comes from the directory.
 */
void
ngx_mobility_ucwa_participant_identity(ngx_mobility_ucwa_tx_t *tx,
    json_t *obj, const u_char *sip, size_t len, ngx_mobility_bytes_t *guest)
{
    ngx_mobility_user_t  u;

    json_object_set_new(obj, "sourceNetwork",
                        json_string(guest ? "PublicCloud"
                                          : "SameEnterprise"));
    json_object_set_new(obj, "anonymous", json_boolean(guest != NULL));

    if (guest) {
        if (guest->len) {
            json_object_set_new(obj, "name",
                                ngx_mobility_ucwa_json_bytes(guest));
        }

    } else if (ngx_mobility_user_get(tx->st, tx->txn, sip, len, &u)
               == NGX_MOBILITY_OK
               && u.name.len)
    {
        json_object_set_new(obj, "name", ngx_mobility_ucwa_json_bytes(&u.name));
    }

    json_object_set_new(obj, "uri", ngx_mobility_ucwa_sip_json(sip, len));
}


/*
 * A participant's links: self, conversation, then me for app's own
 * user, or contact and contactPresence for another user (none for a
 * guest).
 */
void
ngx_mobility_ucwa_participant_links(ngx_pool_t *pool, json_t *links,
    ngx_str_t *prefix, ngx_mobility_conv_t *c, const u_char *sip,
    size_t len, ngx_uint_t local, ngx_uint_t guest)
{
    ngx_mobility_bytes_t  user;

    user.data = sip;
    user.len = len;

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  ngx_mobility_ucwa_conv_part_path(pool, c,
                                      sip, len, ""));
    (void) ngx_mobility_ucwa_link(links, "conversation", prefix,
                                  ngx_mobility_ucwa_conv_path(pool, c, ""));

    if (local) {
        (void) ngx_mobility_ucwa_link(links, "me", prefix, "/me");

    } else if (!guest) {
        (void) ngx_mobility_ucwa_link(links, "contact", prefix,
                                      ngx_mobility_ucwa_people_path(pool,
                                          "/people/", &user, ""));
        (void) ngx_mobility_ucwa_link(links, "contactPresence", prefix,
                                      ngx_mobility_ucwa_people_path(pool,
                                          "/people/", &user, "/presence"));
    }
}


/* ------------------------------------------------------------------ */
/* events about a conversation                                        */


/* an event of the given type about data, urgent, with its outcome */
void
ngx_mobility_ucwa_conv_event_init(ngx_mobility_ucwa_event_t *ev,
    const char *type, void *data, const char *status, const char *reason)
{
    ngx_memzero(ev, sizeof(ngx_mobility_ucwa_event_t));

    ev->type = type;
    ev->urgency = NGX_MOBILITY_EV_HIGH;
    ev->data = data;
    ev->status = status;
    ev->reason = reason;
}


/*
 * Where an event about a resource of conversation c points: the
 * resource and its sender (communication for the conversation itself,
 * else the conversation), and for a member typing or in the lobby the
 * collection it shows in.  A participant's resources are user's, a
 * message's is m's.  NGX_DECLINED for an invitation (the caller's own),
 * NGX_ERROR when out of memory.
 */
ngx_int_t
ngx_mobility_ucwa_conv_event_at(ngx_pool_t *pool,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_conv_t *c,
    ngx_mobility_ucwa_conv_what_e what, ngx_mobility_bytes_t *user,
    ngx_mobility_conv_msg_t *m)
{
    if (what == EV_CONVERSATION) {
        ev->sender_rel = "communication";
        ev->sender_path = "/communication";
        ev->rel = "conversation";
        ev->path = ngx_mobility_ucwa_conv_path(pool, c, "");

        return (ev->path == NULL) ? NGX_ERROR : NGX_OK;
    }

    if (what >= EV_INVITATION) {
        return NGX_DECLINED;
    }

    ev->sender_rel = "conversation";
    ev->sender_path = ngx_mobility_ucwa_conv_path(pool, c, "");

    switch (what) {

    case EV_LOCAL_PARTICIPANT:
    case EV_PARTICIPANT:
        ev->rel = (what == EV_PARTICIPANT) ? "participant"
                                           : "localParticipant";
        ev->path = ngx_mobility_ucwa_conv_part_path(pool, c, user->data,
                                                    user->len, "");
        break;

    case EV_PARTICIPANT_MESSAGING:
        ev->rel = "participantMessaging";
        ev->path = ngx_mobility_ucwa_conv_part_path(pool, c, user->data,
                                                    user->len, "/messaging");
        ev->in_rel = "participant";
        ev->in_path = ngx_mobility_ucwa_conv_part_path(pool, c, user->data,
                                                       user->len, "");
        break;

    case EV_MESSAGING:
        ev->rel = "messaging";
        ev->path = ngx_mobility_ucwa_conv_path(pool, c, "/messaging");
        break;

    case EV_TYPING:
    case EV_LOBBY:
        ev->rel = "participant";
        ev->path = ngx_mobility_ucwa_conv_part_path(pool, c, user->data,
                                                    user->len, "");
        ev->in_rel = (what == EV_TYPING) ? "typingParticipants" : "lobby";
        ev->in_path = ngx_mobility_ucwa_conv_path(pool, c,
                          (what == EV_TYPING)
                          ? "/messaging/typingParticipants" : "/lobby");
        break;

    default: /* EV_MESSAGE */
        ev->rel = "message";
        ev->path = ngx_mobility_ucwa_conv_message_path(pool, c, m->seq);
        break;
    }

    if (ev->path == NULL || ev->sender_path == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* message m is pushable to app (in thread) unless app's user sent it */
void
ngx_mobility_ucwa_message_push(ngx_mobility_ucwa_event_t *ev,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_msg_t *m,
    ngx_str_t *thread)
{
    if (app == NULL
        || (m->from.len == app->owner.len
            && ngx_memcmp(m->from.data, app->owner.data, app->owner.len)
               == 0))
    {
        return;
    }

    ev->push.kind = NGX_MOBILITY_PUSH_MESSAGE;
    ev->push.sender.data = (u_char *) m->from.data;
    ev->push.sender.len = m->from.len;
    ev->push.preview.data = (u_char *) m->text.data;
    ev->push.preview.len = m->text.len;
    ev->push.thread = *thread;
}


/*
 * Publishes ev to one application (app) or to every available
 * application of user but exclude (app NULL); NGX_ERROR when its paths
 * could not be made.
 */
ngx_int_t
ngx_mobility_ucwa_conv_event_send(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_ucwa_app_t *app,
    ngx_str_t *user, ngx_str_t *exclude)
{
    if (ev->path == NULL || ev->sender_path == NULL) {
        return NGX_ERROR;
    }

    if (app) {
        return ngx_mobility_ucwa_publish(tx, app, ev);
    }

    return ngx_mobility_ucwa_publish_user(tx, user, 1, exclude, ev);
}


/* ------------------------------------------------------------------ */
/* sendMessage                                                        */


/*
 * Whether rq's body can be a message: 1, or 0 once a 400 (empty) or a
 * 413 (longer than NGX_MOBILITY_CONV_TEXT_MAX) is answered, with its
 * code in *rc.
 */
ngx_uint_t
ngx_mobility_ucwa_message_body_ok(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_int_t *rc)
{
    if (rq->body.len == 0) {
        *rc = ngx_mobility_ucwa_bad(rq, rs, "An empty message.");
        return 0;
    }

    if (rq->body.len > NGX_MOBILITY_CONV_TEXT_MAX) {
        *rc = ngx_mobility_ucwa_error(rq, rs,
                                      NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "EntityTooLarge", NULL,
                                      "The message is too long.");
        return 0;
    }

    return 1;
}


/* rq's body stored as message m of c, from app's user, sent now */
ngx_int_t
ngx_mobility_ucwa_message_add(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_tx_t *tx, ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c, ngx_uint_t format, ngx_mobility_conv_msg_t *m)
{
    ngx_memzero(m, sizeof(ngx_mobility_conv_msg_t));
    m->time = tx->now;
    m->from.data = app->owner.data;
    m->from.len = app->owner.len;
    m->text.data = rq->body.data;
    m->text.len = rq->body.len;
    m->format = (uint64_t) format;

    if (ngx_mobility_conv_msg_add(tx->st, tx->txn, c, m) != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* 201 with the new message m of c as its Location */
ngx_int_t
ngx_mobility_ucwa_message_created(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c, ngx_mobility_conv_msg_t *m)
{
    if (ngx_mobility_ucwa_set_location(rq, rs, app,
            ngx_mobility_ucwa_conv_message_path(rq->pool, c, m->seq))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_CREATED;
    return NGX_OK;
}
