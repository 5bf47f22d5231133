/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA conferences (IM meetings, the live side): ad-hoc meetings
 * (startOnlineMeeting), joinOnlineMeeting, addParticipant with the
 * escalation of a two-party conversation, the incoming
 * onlineMeetingInvitation of an added participant (accept, decline, no
 * answer), and messaging shared by every member of the roster.  State
 * lives in shared/ngx_mobility_conversations.c (the roster, "p" keys);
 * the conversation keeps its id and messages when it becomes a
 * conference.  Every change writes its events in the same transaction.
 *
 * Paths (after the application prefix):
 *     /communication/onlineMeetingInvitations[?onlineMeetingUri=adhoc]
 *     /communication/onlineMeetingInvitations/<conv>-<n>[/accept|/decline]
 *     /communication/participantInvitations?conversation=<conv>
 *     /communication/participantInvitations/<conv>-<n>
 *     /communication/conversations/<conv>/... of a conference (from
 *         ngx_mobility_ucwa_messaging(): onlineMeeting, participants,
 *         leaders, attendees, lobby, messaging)
 */

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_meetings.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_push.h"


#define NGX_MOBILITY_UCWA_OMI     "/communication/onlineMeetingInvitations/"
#define NGX_MOBILITY_UCWA_PI      "/communication/participantInvitations/"

/* a member shows as typing this long after its last setIsTyping (as the
 * two-party NGX_MOBILITY_UCWA_TYPING_MS) */
#define NGX_MOBILITY_UCWA_CF_TYPING_MS   10000


/* what a leader does to a participant: POST …/participants/<sip>/<op> */
static const char  *ngx_mobility_ucwa_cf_ops[] = {
    "/admit", "/reject", "/eject", "/promote", "/demote", NULL
};


typedef struct {
    ngx_mobility_conv_t       *conv;
    ngx_mobility_conv_part_t  *part;      /* the participant concerned */
    ngx_mobility_conv_msg_t   *msg;
    const char                *state;     /* invitation state override */
    const char                *cstate;    /* conversation state override */
    ngx_uint_t                 joined;    /* joined members, rendered */
} ngx_mobility_ucwa_cf_t;


static ngx_int_t
ngx_mobility_ucwa_cf_part_dup(ngx_pool_t *pool, ngx_mobility_conv_part_t *p)
{
    ngx_mobility_bytes_t  *f[6];

    f[0] = &p->user;
    f[1] = &p->app;
    f[2] = &p->name;
    f[3] = &p->inviter;
    f[4] = &p->inviter_app;
    f[5] = &p->operation_id;

    return ngx_mobility_ucwa_bytes_dup_n(pool, f, 6);
}


static ngx_int_t
ngx_mobility_ucwa_cf_put(ngx_mobility_ucwa_tx_t *tx, ngx_mobility_conv_t *c)
{
    if (ngx_mobility_conv_put(tx->st, tx->txn, c) != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_cf_part_put(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    if (ngx_mobility_conv_part_put(tx->st, tx->txn, c, p)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_cf_part_del(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    if (ngx_mobility_conv_part_del(tx->st, tx->txn, c, p->user.data,
                                   p->user.len)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


typedef struct {
    ngx_pool_t   *pool;
    ngx_array_t  *list;
    ngx_uint_t    failed;
} ngx_mobility_ucwa_cf_roster_t;


static int
ngx_mobility_ucwa_cf_roster_each(void *data, ngx_mobility_conv_part_t *p)
{
    ngx_mobility_conv_part_t       *e;
    ngx_mobility_ucwa_cf_roster_t  *ctx = data;

    e = ngx_array_push(ctx->list);
    if (e == NULL) {
        ctx->failed = 1;
        return 1;
    }

    *e = *p;

    if (ngx_mobility_ucwa_cf_part_dup(ctx->pool, e) != NGX_OK) {
        ctx->failed = 1;
        return 1;
    }

    return 0;
}


/* the roster of c, copied into the pool (so writes may follow) */
static ngx_array_t *
ngx_mobility_ucwa_cf_roster(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c)
{
    ngx_mobility_ucwa_cf_roster_t  ctx;

    ctx.pool = tx->pool;
    ctx.failed = 0;
    ctx.list = ngx_array_create(tx->pool, 8,
                                sizeof(ngx_mobility_conv_part_t));
    if (ctx.list == NULL) {
        return NULL;
    }

    if (ngx_mobility_conv_part_each(tx->st, tx->txn, c->id.data, c->id.len,
                                    ngx_mobility_ucwa_cf_roster_each, &ctx)
        < 0
        || ctx.failed)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NULL;
    }

    return ctx.list;
}


/*
 * Writes roster entry p of c (remove: deletes it), reads the roster back
 * (the others, when removed) and sets cf up for events about p.
 */
static ngx_array_t *
ngx_mobility_ucwa_cf_update(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, ngx_uint_t remove,
    ngx_mobility_ucwa_cf_t *cf)
{
    ngx_int_t  rc;

    rc = remove ? ngx_mobility_ucwa_cf_part_del(tx, c, p)
                : ngx_mobility_ucwa_cf_part_put(tx, c, p);

    if (rc != NGX_OK) {
        return NULL;
    }

    ngx_memzero(cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf->conv = c;
    cf->part = p;

    return ngx_mobility_ucwa_cf_roster(tx, c);
}


static ngx_uint_t
ngx_mobility_ucwa_cf_count(ngx_array_t *roster, ngx_uint_t state)
{
    ngx_uint_t                 i, n;
    ngx_mobility_conv_part_t  *p;

    p = roster->elts;
    n = 0;

    for (i = 0; i < roster->nelts; i++) {
        if (p[i].state == state) {
            n++;
        }
    }

    return n;
}


/* the roster entry of user (pool memory); OK, NGX_DECLINED, ERROR */
static ngx_int_t
ngx_mobility_ucwa_cf_part_get(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, u_char *user, size_t len,
    ngx_mobility_conv_part_t *p)
{
    ngx_int_t  rc;

    rc = ngx_mobility_ucwa_store_rc(tx, ngx_mobility_conv_part_get(tx->st,
                                        tx->txn, c->id.data, c->id.len, user,
                                        len, p));

    return (rc == NGX_OK) ? ngx_mobility_ucwa_cf_part_dup(tx->pool, p) : rc;
}


/* whether user is in conversation c (a roster entry, or a party) */
ngx_uint_t
ngx_mobility_ucwa_conf_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, u_char *user, size_t len)
{
    ngx_mobility_conv_part_t  p;

    if (!c->conference) {
        return ngx_mobility_conv_member(c, user, len);
    }

    return ngx_mobility_conv_part_get(tx->st, tx->txn, c->id.data, c->id.len,
                                      user, len, &p)
           == NGX_MOBILITY_OK;
}


/* ------------------------------------------------------------------ */
/* paths and representations                                          */


static const char *
ngx_mobility_ucwa_cf_part_path(ngx_pool_t *pool, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *p, const char *tail)
{
    return ngx_mobility_ucwa_conv_part_path(pool, c, p->user.data,
                                            p->user.len, tail);
}


/* kind: NGX_MOBILITY_UCWA_OMI or NGX_MOBILITY_UCWA_PI */
static const char *
ngx_mobility_ucwa_cf_inv_path(ngx_pool_t *pool, const char *kind,
    ngx_mobility_conv_t *c, uint64_t n, const char *tail)
{
    u_char  *p;

    p = ngx_pnalloc(pool, ngx_strlen(kind) + c->id.len + NGX_INT64_LEN + 2
                          + ngx_strlen(tail));
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(p, "%s%*s-%uL%s%Z", kind, c->id.len, c->id.data, n,
                       tail);

    return (const char *) p;
}


static const char *
ngx_mobility_ucwa_cf_people(ngx_pool_t *pool, ngx_mobility_bytes_t *user,
    const char *tail)
{
    return ngx_mobility_ucwa_people_path(pool, "/people/", user, tail);
}


static json_t *
ngx_mobility_ucwa_cf_sip(ngx_mobility_bytes_t *user)
{
    return ngx_mobility_ucwa_sip_json(user->data, user->len);
}


/* the meeting's URI: sip:<organizer>;gruu;opaque=app:conf:focus:id:<id> */
static json_t *
ngx_mobility_ucwa_cf_meeting_uri(ngx_mobility_conv_t *c)
{
    u_char   buf[NGX_MOBILITY_SIP_MAX + NGX_MOBILITY_CONV_MEETING_MAX + 64];
    u_char  *p;

    p = ngx_snprintf(buf, sizeof(buf),
                     "sip:%*s;gruu;opaque=app:conf:focus:id:%*s",
                     c->organizer.len, c->organizer.data, c->meeting.len,
                     c->meeting.data);

    return json_stringn((const char *) buf, p - buf);
}


static ngx_uint_t
ngx_mobility_ucwa_cf_is(ngx_mobility_bytes_t *b, ngx_str_t *s)
{
    return b->len == s->len && ngx_memcmp(b->data, s->data, s->len) == 0;
}


static ngx_uint_t
ngx_mobility_ucwa_cf_same(ngx_mobility_bytes_t *a, ngx_mobility_bytes_t *b)
{
    return a->len == b->len && ngx_memcmp(a->data, b->data, a->len) == 0;
}


static json_t *
ngx_mobility_ucwa_cf_participant_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *p)
{
    json_t                    *obj, *links;
    ngx_str_t                  prefix;
    ngx_uint_t                 local, anon, organizer, i;
    const char                *op;
    ngx_mobility_conv_part_t   me;

    local = ngx_mobility_ucwa_cf_is(&p->user, &app->owner);
    anon = (p->flags & NGX_MOBILITY_PART_ANONYMOUS) ? 1 : 0;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    ngx_mobility_ucwa_participant_identity(tx, obj, p->user.data, p->user.len,
                                           anon ? &p->name : NULL);
    json_object_set_new(obj, "role",
                        json_string(p->role == NGX_MOBILITY_PART_LEADER
                                    ? "Leader" : "Attendee"));
    json_object_set_new(obj, "organizer",
                        json_boolean(ngx_mobility_ucwa_cf_same(&p->user,
                                                          &c->organizer)));
    json_object_set_new(obj, "inLobby",
                        json_boolean(p->state == NGX_MOBILITY_PART_LOBBY));
    json_object_set_new(obj, "_links", links);

    ngx_mobility_ucwa_participant_links(tx->pool, links, &prefix, c,
                                        p->user.data, p->user.len, local,
                                        anon);

    if (!local && p->state != NGX_MOBILITY_PART_INVITED
        && ngx_mobility_conv_part_get(tx->st, tx->txn, c->id.data, c->id.len,
                                      app->owner.data, app->owner.len, &me)
           == NGX_MOBILITY_OK
        && me.state == NGX_MOBILITY_PART_JOINED
        && me.role == NGX_MOBILITY_PART_LEADER)
    {
        /* what a leader may do about it */
        organizer = ngx_mobility_ucwa_cf_same(&p->user, &c->organizer);

        for (i = 0; i < 5; i++) {
            if ((p->state == NGX_MOBILITY_PART_LOBBY) != (i < 2)
                || (i == 2 && organizer)
                || (i == 3 && p->role == NGX_MOBILITY_PART_LEADER)
                || (i == 4 && (p->role != NGX_MOBILITY_PART_LEADER
                               || organizer)))
            {
                continue;
            }

            op = ngx_mobility_ucwa_cf_ops[i];

            (void) ngx_mobility_ucwa_link(links, op + 1, &prefix,
                                          ngx_mobility_ucwa_cf_part_path(
                                              tx->pool, c, p, op));
        }
    }

    if (p->state == NGX_MOBILITY_PART_JOINED
        && (p->flags & NGX_MOBILITY_PART_MESSAGING))
    {
        (void) ngx_mobility_ucwa_link(links, "participantMessaging", &prefix,
                                      ngx_mobility_ucwa_cf_part_path(
                                          tx->pool, c, p, "/messaging"));
    }

    json_object_set_new(obj, "rel",
                        json_string(local ? "localParticipant"
                                          : "participant"));

    return obj;
}


static json_t *
ngx_mobility_ucwa_cf_participant_embed(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_cf_t  *cf = data;

    return ngx_mobility_ucwa_cf_participant_json(tx, app, cf->conv,
                                                 cf->part);
}


static void
ngx_mobility_ucwa_cf_common(json_t *obj, ngx_mobility_conv_t *c)
{
    json_object_set_new(obj, "importance",
                        ngx_mobility_ucwa_importance_json(c));
    json_object_set_new(obj, "threadId",
                        ngx_mobility_ucwa_json_bytes(&c->thread_id));
    json_object_set_new(obj, "subject",
                        ngx_mobility_ucwa_json_bytes(&c->subject));
}


/*
 * The onlineMeetingInvitation of roster entry cf->part, as its owner's
 * application sees it: Outgoing for a join (joinOnlineMeeting,
 * startOnlineMeeting), Incoming for an added participant.
 */
static json_t *
ngx_mobility_ucwa_cf_omi_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                    *obj, *links, *mods, *from;
    ngx_str_t                  prefix;
    ngx_uint_t                 out;
    const char                *state;
    ngx_mobility_conv_t       *c;
    ngx_mobility_conv_part_t  *p, inviter;
    ngx_mobility_ucwa_cf_t    *cf;

    cf = data;
    c = cf->conv;
    p = cf->part;
    out = (p->flags & NGX_MOBILITY_PART_SELF_JOIN) ? 1 : 0;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         &mods);
    if (obj == NULL) {
        return NULL;
    }

    state = cf->state;

    if (state == NULL) {
        state = (p->state == NGX_MOBILITY_PART_JOINED) ? "Connected"
                                                       : "Connecting";
    }

    json_object_set_new(obj, "direction",
                        json_string(out ? "Outgoing" : "Incoming"));
    ngx_mobility_ucwa_cf_common(obj, c);
    json_object_set_new(obj, "state", json_string(state));
    json_object_set_new(obj, "onlineMeetingUri",
                        ngx_mobility_ucwa_cf_meeting_uri(c));
    json_array_append_new(mods, json_string("Messaging"));
    json_object_set_new(obj, "availableModalities", mods);
    json_object_set_new(obj, "to", ngx_mobility_ucwa_cf_sip(&p->user));

    if (out && p->operation_id.len) {
        json_object_set_new(obj, "operationId",
                            ngx_mobility_ucwa_json_bytes(&p->operation_id));
    }

    if (p->flags & NGX_MOBILITY_PART_ANONYMOUS) {
        json_object_set_new(obj, "anonymousDisplayName",
                            ngx_mobility_ucwa_json_bytes(&p->name));
    }

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_cf_inv_path(tx->pool,
                                      NGX_MOBILITY_UCWA_OMI, c, p->inv, ""));

    if (ngx_strcmp(state, "Connecting") == 0) {
        if (out) {
            (void) ngx_mobility_ucwa_link(links, "cancel", &prefix,
                                          ngx_mobility_ucwa_conv_path(
                                              tx->pool, c,
                                              "/messaging/terminate"));
        } else {
            (void) ngx_mobility_ucwa_link(links, "accept", &prefix,
                                          ngx_mobility_ucwa_cf_inv_path(
                                              tx->pool, NGX_MOBILITY_UCWA_OMI,
                                              c, p->inv, "/accept"));
            (void) ngx_mobility_ucwa_link(links, "decline", &prefix,
                                          ngx_mobility_ucwa_cf_inv_path(
                                              tx->pool, NGX_MOBILITY_UCWA_OMI,
                                              c, p->inv, "/decline"));
        }
    }

    (void) ngx_mobility_ucwa_link(links, "conversation", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              ""));
    (void) ngx_mobility_ucwa_link(links, "messaging", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              "/messaging"));

    if (!out && p->inviter.len) {
        ngx_memzero(&inviter, sizeof(ngx_mobility_conv_part_t));
        inviter.user = p->inviter;
        inviter.state = NGX_MOBILITY_PART_JOINED;
        inviter.role = ngx_mobility_ucwa_cf_same(&c->organizer, &p->inviter)
                       ? NGX_MOBILITY_PART_LEADER : NGX_MOBILITY_PART_ATTENDEE;

        (void) ngx_mobility_ucwa_link(links, "from", &prefix,
                                      ngx_mobility_ucwa_cf_part_path(
                                          tx->pool, c, &inviter, ""));

        from = ngx_mobility_ucwa_cf_participant_json(tx, app, c, &inviter);
        ngx_mobility_ucwa_embed(obj, "from", from);
    }

    json_object_set_new(obj, "rel", json_string("onlineMeetingInvitation"));

    return obj;
}


/* the participantInvitation of roster entry cf->part, for its inviter */
static json_t *
ngx_mobility_ucwa_cf_pi_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                    *obj, *links, *emb, *acc, *list;
    ngx_str_t                  prefix;
    const char                *state;
    ngx_mobility_conv_t       *c;
    ngx_mobility_conv_part_t  *p, inviter;
    ngx_mobility_ucwa_cf_t    *cf;

    cf = data;
    c = cf->conv;
    p = cf->part;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    state = cf->state;

    if (state == NULL) {
        state = (p->state == NGX_MOBILITY_PART_JOINED) ? "Connected"
                                                       : "Connecting";
    }

    json_object_set_new(obj, "direction", json_string("Outgoing"));
    ngx_mobility_ucwa_cf_common(obj, c);
    json_object_set_new(obj, "state", json_string(state));
    json_object_set_new(obj, "to", ngx_mobility_ucwa_cf_sip(&p->user));

    if (p->operation_id.len) {
        json_object_set_new(obj, "operationId",
                            ngx_mobility_ucwa_json_bytes(&p->operation_id));
    }

    json_object_set_new(obj, "_links", links);

    ngx_memzero(&inviter, sizeof(ngx_mobility_conv_part_t));
    inviter.user = p->inviter;

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_cf_inv_path(tx->pool,
                                      NGX_MOBILITY_UCWA_PI, c, p->inv, ""));
    (void) ngx_mobility_ucwa_link(links, "from", &prefix,
                                  ngx_mobility_ucwa_cf_part_path(tx->pool, c,
                                                                 &inviter,
                                                                 ""));
    (void) ngx_mobility_ucwa_link(links, "to", &prefix,
                                  ngx_mobility_ucwa_cf_people(tx->pool,
                                                              &p->user, ""));
    (void) ngx_mobility_ucwa_link(links, "conversation", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              ""));

    if (p->state == NGX_MOBILITY_PART_INVITED
        && ngx_strcmp(state, "Connecting") == 0)
    {
        (void) ngx_mobility_ucwa_link(links, "cancel", &prefix,
                                      ngx_mobility_ucwa_cf_inv_path(tx->pool,
                                          NGX_MOBILITY_UCWA_PI, c, p->inv,
                                          "/cancel"));
    }

    if (p->state == NGX_MOBILITY_PART_JOINED
        && ngx_strcmp(state, "Connected") == 0)
    {
        (void) ngx_mobility_ucwa_link(links, "participant", &prefix,
                                      ngx_mobility_ucwa_cf_part_path(
                                          tx->pool, c, p, ""));

        acc = ngx_mobility_ucwa_cf_participant_json(tx, app, c, p);
        list = json_array();
        emb = json_object();

        if (acc && list && emb) {
            json_array_append_new(list, acc);
            json_object_set_new(emb, "acceptedByParticipant", list);
            json_object_set_new(obj, "_embedded", emb);

        } else {
            json_decref(acc);
            json_decref(list);
            json_decref(emb);
        }
    }

    json_object_set_new(obj, "rel", json_string("participantInvitation"));

    return obj;
}


/* the conversation of a conference, as app's owner sees it */
static json_t *
ngx_mobility_ucwa_cf_conversation_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                    *obj, *links, *mods;
    ngx_str_t                  prefix;
    ngx_uint_t                 joined;
    const char                *state;
    ngx_mobility_conv_t       *c;
    ngx_mobility_conv_part_t   me;
    ngx_mobility_ucwa_cf_t    *cf;

    cf = data;
    c = cf->conv;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         &mods);
    if (obj == NULL) {
        return NULL;
    }

    joined = 0;
    state = "Disconnected";

    if (c->state == NGX_MOBILITY_CONV_CONNECTED
        && ngx_mobility_conv_part_get(tx->st, tx->txn, c->id.data, c->id.len,
                                      app->owner.data, app->owner.len, &me)
           == NGX_MOBILITY_OK)
    {
        switch (me.state) {
        case NGX_MOBILITY_PART_JOINED:
            state = "Conferenced";
            joined = 1;
            break;
        case NGX_MOBILITY_PART_INVITED:
            state = "Incoming";
            break;
        default:
            state = "Connecting";
        }
    }

    if (cf->cstate) {
        state = cf->cstate;
        joined = (ngx_strcmp(state, "Conferenced") == 0);
    }

    if (joined) {
        json_array_append_new(mods, json_string("Messaging"));
    }

    ngx_mobility_ucwa_conversation_fields(obj, c, state, mods);
    json_object_set_new(obj, "participantCount",
                        json_integer((json_int_t) cf->joined));
    json_object_set_new(obj, "recording", json_false());
    json_object_set_new(obj, "_links", links);

    ngx_memzero(&me, sizeof(ngx_mobility_conv_part_t));
    me.user.data = app->owner.data;
    me.user.len = app->owner.len;

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              ""));
    (void) ngx_mobility_ucwa_link(links, "localParticipant", &prefix,
                                  ngx_mobility_ucwa_cf_part_path(tx->pool, c,
                                                                 &me, ""));
    (void) ngx_mobility_ucwa_link(links, "messaging", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              "/messaging"));
    (void) ngx_mobility_ucwa_link(links, "onlineMeeting", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                      "/onlineMeeting"));
    (void) ngx_mobility_ucwa_link(links, "participants", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                      "/participants"));
    (void) ngx_mobility_ucwa_link(links, "leaders", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              "/leaders"));
    (void) ngx_mobility_ucwa_link(links, "attendees", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                      "/attendees"));
    (void) ngx_mobility_ucwa_link(links, "lobby", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              "/lobby"));

    if (joined && !app->anonymous) {
        ngx_mobility_ucwa_add_participant_link(tx->pool, links, &prefix, c);
    }

    json_object_set_new(obj, "rel", json_string("conversation"));

    return obj;
}


static json_t *
ngx_mobility_ucwa_cf_messaging_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_uint_t               connected;
    const char              *state;
    ngx_mobility_ucwa_cf_t  *cf;

    cf = data;
    state = cf->state ? cf->state : "Connected";
    connected = (ngx_strcmp(state, "Connected") == 0);

    return ngx_mobility_ucwa_messaging_json(tx, app, cf->conv, state,
                                            connected, 0, connected);
}


static json_t *
ngx_mobility_ucwa_cf_message_embed(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_cf_t  *cf = data;

    return ngx_mobility_ucwa_im_message_render(tx, app, cf->conv, cf->msg,
                                               (const char *)
                                               cf->part->user.data);
}


/* the conversation's onlineMeeting: read-only facts of the meeting */
static json_t *
ngx_mobility_ucwa_cf_meeting_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    json_t     *obj, *links;
    ngx_str_t   prefix;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    json_object_set_new(obj, "onlineMeetingId",
                        ngx_mobility_ucwa_json_bytes(&c->meeting));
    json_object_set_new(obj, "onlineMeetingUri",
                        ngx_mobility_ucwa_cf_meeting_uri(c));
    json_object_set_new(obj, "organizerUri",
                        ngx_mobility_ucwa_cf_sip(&c->organizer));
    json_object_set_new(obj, "subject",
                        ngx_mobility_ucwa_json_bytes(&c->subject));
    json_object_set_new(obj, "accessLevel",
                        json_string("Invited"));
    json_object_set_new(obj, "onlineMeetingRel",
                        json_string("onlineMeeting"));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                      "/onlineMeeting"));
    (void) ngx_mobility_ucwa_link(links, "conversation", &prefix,
                                  ngx_mobility_ucwa_conv_path(tx->pool, c,
                                                              ""));
    (void) ngx_mobility_ucwa_link(links, "organizer", &prefix,
                                  ngx_mobility_ucwa_cf_people(tx->pool,
                                      &c->organizer, ""));

    json_object_set_new(obj, "rel", json_string("onlineMeeting"));

    return obj;
}


/* ------------------------------------------------------------------ */
/* events                                                             */


/*
 * One event about conference cf->conv to one application (app) or to
 * every available application of user (app NULL), but exclude.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_event(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *user, ngx_str_t *exclude,
    ngx_mobility_ucwa_cf_t *cf, ngx_mobility_ucwa_conv_what_e what,
    const char *type, const char *status, const char *reason)
{
    ngx_str_t                  thread;
    ngx_uint_t                 deleted;
    ngx_mobility_conv_t       *c;
    ngx_mobility_ucwa_event_t  ev;

    c = cf->conv;
    deleted = (ngx_strcmp(type, "deleted") == 0);

    ngx_mobility_ucwa_conv_event_init(&ev, type, cf, status, reason);

    switch (what) {

    case EV_OMI:
        ev.sender_rel = "communication";
        ev.sender_path = "/communication";
        ev.rel = "onlineMeetingInvitation";
        ev.path = ngx_mobility_ucwa_cf_inv_path(tx->pool,
                                                NGX_MOBILITY_UCWA_OMI, c,
                                                cf->part->inv, "");
        ev.embed = ngx_mobility_ucwa_cf_omi_json;

        if (app == NULL && ngx_strcmp(type, "started") == 0) {
            /* pushable: an invitation to a meeting */
            ev.push.kind = NGX_MOBILITY_PUSH_MEETING;
            ev.push.sender.data = (u_char *) cf->part->inviter.data;
            ev.push.sender.len = cf->part->inviter.len;
            ev.push.thread.data = (u_char *) c->id.data;
            ev.push.thread.len = c->id.len;
        }

        break;

    case EV_PI:
        ev.sender_rel = "communication";
        ev.sender_path = "/communication";
        ev.rel = "participantInvitation";
        ev.path = ngx_mobility_ucwa_cf_inv_path(tx->pool,
                                                NGX_MOBILITY_UCWA_PI, c,
                                                cf->part->inv, "");
        ev.embed = ngx_mobility_ucwa_cf_pi_json;
        break;

    case EV_CONVERSATION:
        ev.embed = deleted ? NULL : ngx_mobility_ucwa_cf_conversation_json;
        break;

    case EV_LOCAL_PARTICIPANT:
    case EV_PARTICIPANT:
    case EV_LOBBY:
        ev.embed = deleted ? NULL : ngx_mobility_ucwa_cf_participant_embed;
        break;

    case EV_MESSAGING:
        ev.embed = ngx_mobility_ucwa_cf_messaging_json;
        break;

    case EV_MESSAGE:
        ev.embed = ngx_mobility_ucwa_cf_message_embed;
        thread.data = (u_char *) c->id.data;
        thread.len = c->id.len;
        ngx_mobility_ucwa_message_push(&ev, app, cf->msg, &thread);
        break;

    default:
        break;
    }

    if (ngx_mobility_ucwa_conv_event_at(tx->pool, &ev, c, what,
                                        cf->part ? &cf->part->user : NULL,
                                        cf->msg)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_conv_event_send(tx, &ev, app, user, exclude);
}


/*
 * One event to the joined application of every member of the roster but
 * skip (a user, or NULL); only to the leaders when leaders is set.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_members(ngx_mobility_ucwa_tx_t *tx,
    ngx_array_t *roster, ngx_mobility_bytes_t *skip, ngx_uint_t leaders,
    ngx_mobility_ucwa_cf_t *cf, ngx_mobility_ucwa_conv_what_e what,
    const char *type, const char *status)
{
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_mobility_conv_part_t  *p;
    ngx_mobility_ucwa_app_t    app;

    p = roster->elts;

    for (i = 0; i < roster->nelts; i++) {
        if (p[i].state != NGX_MOBILITY_PART_JOINED
            || (leaders && p[i].role != NGX_MOBILITY_PART_LEADER)
            || (skip && ngx_mobility_ucwa_cf_same(&p[i].user, skip)))
        {
            continue;
        }

        rc = ngx_mobility_ucwa_im_app(tx, &p[i].app, &app);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK
            && ngx_mobility_ucwa_cf_event(tx, &app, NULL, NULL, cf, what,
                                          type, status, NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The events of an application whose user just joined (an accepted
 * invitation, an admitted join), after its invitation's own "updated":
 * as spec §7.2 2. for a conference: the conversation Conferenced, each
 * other member with its messaging, the local messaging, the messaging
 * modality connected, the invitation completed.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_joined(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_array_t *roster, ngx_mobility_conv_part_t *me)
{
    ngx_uint_t                 i;
    ngx_mobility_conv_part_t  *p;
    ngx_mobility_ucwa_cf_t     cf, other;

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = me;
    cf.joined = ngx_mobility_ucwa_cf_count(roster, NGX_MOBILITY_PART_JOINED);

    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_CONVERSATION,
                                   "updated", NULL, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = roster->elts;
    other = cf;

    for (i = 0; i < roster->nelts; i++) {
        if (p[i].state != NGX_MOBILITY_PART_JOINED
            || ngx_mobility_ucwa_cf_same(&p[i].user, &me->user))
        {
            continue;
        }

        other.part = &p[i];

        if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &other,
                                       EV_PARTICIPANT, "added", NULL, NULL)
            != NGX_OK
            || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &other,
                                          EV_PARTICIPANT_MESSAGING, "added",
                                          NULL, NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* a leader sees who waits in the lobby */
    for (i = 0; me->role == NGX_MOBILITY_PART_LEADER && i < roster->nelts;
         i++)
    {
        if (p[i].state != NGX_MOBILITY_PART_LOBBY) {
            continue;
        }

        other.part = &p[i];

        if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &other, EV_LOBBY,
                                       "added", NULL, NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf,
                                   EV_PARTICIPANT_MESSAGING, "added", NULL,
                                   NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_MESSAGING,
                                      "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_OMI,
                                      "completed", "Success", NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the others see a new member: participant added, its messaging added */
static ngx_int_t
ngx_mobility_ucwa_cf_announce(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_array_t *roster,
    ngx_mobility_conv_part_t *me)
{
    ngx_int_t                 rc;
    ngx_mobility_ucwa_cf_t    cf;
    ngx_mobility_ucwa_app_t   inviter;

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = me;

    if (ngx_mobility_ucwa_cf_members(tx, roster, &me->user, 0, &cf,
                                     EV_PARTICIPANT, "added", NULL)
        != NGX_OK
        || ngx_mobility_ucwa_cf_members(tx, roster, &me->user, 0, &cf,
                                        EV_PARTICIPANT_MESSAGING, "added",
                                        NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (me->flags & NGX_MOBILITY_PART_SELF_JOIN) {
        return NGX_OK;
    }

    /* the participantInvitation completes once the invitee is in */
    rc = ngx_mobility_ucwa_im_app(tx, &me->inviter_app, &inviter);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && ngx_mobility_ucwa_cf_event(tx, &inviter, NULL, NULL, &cf, EV_PI,
                                      "completed", "Success", NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * An invitation of roster entry p ended without a join (declined, no
 * answer, the conference ended): the inviter's participantInvitation
 * fails, the invitee's applications see their onlineMeetingInvitation
 * fail and the conversation go.  The caller removes the entry.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_inv_failed(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, const char *reason)
{
    ngx_int_t                 rc;
    ngx_str_t                 user;
    ngx_mobility_ucwa_cf_t    cf;
    ngx_mobility_ucwa_app_t   inviter;

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = p;
    cf.state = "Failed";

    if (!(p->flags & NGX_MOBILITY_PART_SELF_JOIN)) {
        rc = ngx_mobility_ucwa_im_app(tx, &p->inviter_app, &inviter);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK
            && ngx_mobility_ucwa_cf_event(tx, &inviter, NULL, NULL, &cf,
                                          EV_PI, "completed", "Failure",
                                          reason)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    user.data = (u_char *) p->user.data;
    user.len = p->user.len;
    cf.cstate = "Disconnected";

    if (p->flags & NGX_MOBILITY_PART_SELF_JOIN) {
        /* a join waiting in the lobby: its own application */
        rc = ngx_mobility_ucwa_im_app(tx, &p->app, &inviter);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            return NGX_OK;
        }

        if (ngx_mobility_ucwa_cf_event(tx, &inviter, NULL, NULL, &cf, EV_OMI,
                                       "completed", "Failure", reason)
            != NGX_OK
            || ngx_mobility_ucwa_cf_event(tx, &inviter, NULL, NULL, &cf,
                                          EV_CONVERSATION, "deleted", NULL,
                                          NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (ngx_mobility_ucwa_cf_event(tx, NULL, &user, NULL, &cf, EV_OMI,
                                   "completed", "Failure", reason) != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, NULL, &user, NULL, &cf,
                                      EV_CONVERSATION, "deleted", NULL, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The last member left: the conference ends, its pending invitations
 * fail (Canceled), its roster and meeting key go; the record stays
 * Terminated until the sweep removes it.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_end(ngx_mobility_ucwa_tx_t *tx, ngx_mobility_conv_t *c,
    ngx_array_t *roster)
{
    ngx_uint_t                 i;
    ngx_mobility_conv_part_t  *p;

    p = roster->elts;

    for (i = 0; i < roster->nelts; i++) {
        if (p[i].state != NGX_MOBILITY_PART_JOINED
            && ngx_mobility_ucwa_cf_inv_failed(tx, c, &p[i], "Canceled")
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ngx_mobility_ucwa_cf_part_del(tx, c, &p[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_conv_meeting_del(tx->st, tx->txn, c)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    c->state = NGX_MOBILITY_CONV_TERMINATED;
    c->ended = tx->now;

    if (ngx_mobility_ucwa_cf_put(tx, c) != NGX_OK) {
        return NGX_ERROR;
    }

    /* an escalated two-party conversation: its two parties keep the log */
    if (c->to.len) {
        return ngx_mobility_ucwa_history_log(tx, c);
    }

    return NGX_OK;
}


/*
 * Roster entry p leaves the lobby unadmitted (rejected, its wait over,
 * canceled): the leaders see it go from the lobby, its application sees
 * its invitation fail and the conversation go.  A meeting left with
 * nobody in it ends.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_lobby_out(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, const char *reason)
{
    ngx_array_t             *roster;
    ngx_mobility_ucwa_cf_t   cf;

    roster = ngx_mobility_ucwa_cf_update(tx, c, p, 1, &cf);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_members(tx, roster, NULL, 1, &cf, EV_LOBBY,
                                     "deleted", NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_inv_failed(tx, c, p, reason) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_count(roster, NGX_MOBILITY_PART_JOINED) == 0) {
        return ngx_mobility_ucwa_cf_end(tx, c, roster);
    }

    return NGX_OK;
}


/* a leader admits roster entry p from the lobby */
static ngx_int_t
ngx_mobility_ucwa_cf_admit(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    ngx_int_t                 rc;
    ngx_array_t              *roster;
    ngx_mobility_ucwa_cf_t    cf;
    ngx_mobility_ucwa_app_t   app;

    p->state = NGX_MOBILITY_PART_JOINED;
    p->joined = tx->now;
    p->deadline = 0;

    roster = ngx_mobility_ucwa_cf_update(tx, c, p, 0, &cf);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    /* out of the lobby for the leaders, then in for everyone */
    if (ngx_mobility_ucwa_cf_members(tx, roster, NULL, 1, &cf, EV_LOBBY,
                                     "deleted", NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_im_app(tx, &p->app, &app);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && ngx_mobility_ucwa_cf_joined(tx, &app, c, roster, p) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_cf_announce(tx, c, roster, p);
}


/*
 * Member me left conference c (roster: the others): its conversation log
 * of the conference, as a two-party conversation leaves one, with the
 * messages from its join on.  The peer of the log is who invited it,
 * else the organizer, else (the organizer) a member still in, else the
 * last other sender.  The two parties of an escalated conversation keep
 * the log of the whole conversation when the conference ends instead.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_logged(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_array_t *roster,
    ngx_mobility_conv_part_t *me)
{
    ngx_uint_t                 i;
    ngx_mobility_bytes_t       peer;
    ngx_mobility_conv_part_t  *e;

    if (c->to.len
        && (ngx_mobility_ucwa_cf_same(&me->user, &c->from)
            || ngx_mobility_ucwa_cf_same(&me->user, &c->to)))
    {
        return NGX_OK;
    }

    peer.data = NULL;
    peer.len = 0;

    if (me->inviter.len) {
        peer = me->inviter;

    } else if (!ngx_mobility_ucwa_cf_same(&me->user, &c->organizer)) {
        peer = c->organizer;

    } else {
        e = roster->elts;

        for (i = 0; i < roster->nelts; i++) {
            if (e[i].state == NGX_MOBILITY_PART_JOINED
                && !(e[i].flags & NGX_MOBILITY_PART_ANONYMOUS))
            {
                peer = e[i].user;
                break;
            }
        }
    }

    return ngx_mobility_ucwa_history_member(tx, c, &me->user, &peer,
                                            (me->flags
                                             & NGX_MOBILITY_PART_SELF_JOIN)
                                            ? 1 : 0,
                                            me->joined);
}


/*
 * Roster entry me leaves (DELETE of the conversation, stopMessaging, or
 * ejected by a leader): its application (app, NULL when gone) sees the
 * messaging end and the conversation go, the other members see it go
 * ("participant deleted"); the last one out ends the conference.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_leave(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *me)
{
    ngx_array_t             *roster;
    ngx_mobility_ucwa_cf_t   cf;

    roster = ngx_mobility_ucwa_cf_update(tx, c, me, 1, &cf);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    cf.state = "Disconnected";
    cf.cstate = "Disconnected";

    if ((app
         && (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf,
                                        EV_MESSAGING, "updated", NULL, NULL)
             != NGX_OK
             || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf,
                                           EV_CONVERSATION, "deleted", NULL,
                                           NULL)
                != NGX_OK))
        || ngx_mobility_ucwa_cf_members(tx, roster, NULL, 0, &cf,
                                        EV_PARTICIPANT, "deleted", NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_logged(tx, c, roster, me) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_count(roster, NGX_MOBILITY_PART_JOINED) == 0) {
        return ngx_mobility_ucwa_cf_end(tx, c, roster);
    }

    return NGX_OK;
}


/* a leader ejects joined member p: it leaves as if it had left */
static ngx_int_t
ngx_mobility_ucwa_cf_eject(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    ngx_int_t                 rc;
    ngx_mobility_ucwa_app_t   app;

    rc = ngx_mobility_ucwa_im_app(tx, &p->app, &app);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                  "mobility ucwa: conference %*s: \"%s\" ejected",
                  c->id.len, c->id.data, p->user.data);

    return ngx_mobility_ucwa_cf_leave(tx, (rc == NGX_OK) ? &app : NULL, c,
                                      p);
}


/*
 * A leader promotes joined member p to Leader or demotes it to Attendee
 * (role).  The participant reference: "added events for the same
 * participant indicate that the participant has been ... promoted,
 * demoted", and "updated" when the user's capabilities to admit, promote
 * or demote a participant have changed.  So the other members get
 * "participant added"; p's application gets "localParticipant updated",
 * "participant updated" for every other member, and the lobby as a
 * leader sees it (added when promoted, deleted when demoted).
 */
static ngx_int_t
ngx_mobility_ucwa_cf_role(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, ngx_uint_t role)
{
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_array_t               *roster;
    ngx_mobility_conv_part_t  *e;
    ngx_mobility_ucwa_cf_t     cf, other;
    ngx_mobility_ucwa_app_t    app;

    p->role = role;

    roster = ngx_mobility_ucwa_cf_update(tx, c, p, 0, &cf);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_members(tx, roster, &p->user, 0, &cf,
                                     EV_PARTICIPANT, "added", NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_im_app(tx, &p->app, &app);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
    }

    if (ngx_mobility_ucwa_cf_event(tx, &app, NULL, NULL, &cf,
                                   EV_LOCAL_PARTICIPANT, "updated", NULL,
                                   NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    e = roster->elts;
    other = cf;

    for (i = 0; i < roster->nelts; i++) {
        if (ngx_mobility_ucwa_cf_same(&e[i].user, &p->user)) {
            continue;
        }

        other.part = &e[i];

        if (e[i].state == NGX_MOBILITY_PART_JOINED) {
            rc = ngx_mobility_ucwa_cf_event(tx, &app, NULL, NULL, &other,
                                            EV_PARTICIPANT, "updated", NULL,
                                            NULL);

        } else if (e[i].state == NGX_MOBILITY_PART_LOBBY) {
            rc = ngx_mobility_ucwa_cf_event(tx, &app, NULL, NULL, &other,
                                            EV_LOBBY,
                                            (role == NGX_MOBILITY_PART_LEADER)
                                            ? "added" : "deleted",
                                            NULL, NULL);

        } else {
            continue;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


typedef int (*ngx_mobility_ucwa_cf_next_pt)(ngx_mobility_store_t *st,
    MDB_txn *txn, uint64_t now, u_char *id, u_char *user, size_t *ulen,
    uint64_t *due);
typedef int (*ngx_mobility_ucwa_cf_del_pt)(ngx_mobility_store_t *st,
    MDB_txn *txn, const u_char *id, size_t len, const u_char *user,
    size_t ulen, uint64_t due);

/* what is due about roster entry p: NGX_OK, NGX_DECLINED (a stale key) */
typedef ngx_int_t (*ngx_mobility_ucwa_cf_due_pt)(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, uint64_t due);


/*
 * The roster deadlines that are due, at most limit of them: the "q" keys
 * (no answer, lobby wait) or the "z" keys (typing); a key whose
 * conversation or entry is gone or no longer has that deadline is stale
 * and goes.
 */
static void
ngx_mobility_ucwa_cf_scan(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit,
    ngx_mobility_ucwa_cf_next_pt next_key, ngx_mobility_ucwa_cf_del_pt del,
    ngx_mobility_ucwa_cf_due_pt handler)
{
    int                        n;
    u_char                     id[NGX_MOBILITY_CONV_ID_MAX];
    u_char                     user[NGX_MOBILITY_SIP_MAX + 1];
    size_t                     ulen;
    uint64_t                   due, next;
    ngx_int_t                  rc;
    ngx_str_t                  s;
    ngx_uint_t                 i;
    ngx_mobility_conv_t        c;
    ngx_mobility_conv_part_t   p;

    next = 0;

    for (i = 0; i < limit; i++) {
        n = next_key(tx->st, tx->txn, tx->now, id, user, &ulen, &due);
        if (n <= 0) {
            next = (n == 0) ? due : 0;
            break;
        }

        if (ngx_mobility_ucwa_due_id(tx, id, n, &s) != NGX_OK) {
            break;
        }

        rc = ngx_mobility_ucwa_conv_read(tx, &s, &c);

        if (rc == NGX_OK) {
            rc = ngx_mobility_ucwa_cf_part_get(tx, &c, user, ulen, &p);
        }

        if (rc == NGX_OK) {
            rc = handler(tx, &c, &p, due);
        }

        if (rc == NGX_ERROR) {
            break;
        }

        if (rc == NGX_DECLINED
            && del(tx->st, tx->txn, s.data, s.len, user, ulen, due)
               != NGX_MOBILITY_OK)
        {
            break;
        }
    }

    ngx_mobility_ucwa_due_next(tx, next, i == limit);
}


/* typing that was not renewed in time ends: the others are told */
static ngx_int_t
ngx_mobility_ucwa_cf_typing_due(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, uint64_t due)
{
    ngx_array_t             *roster;
    ngx_mobility_ucwa_cf_t   cf;

    if (p->typing != due) {
        return NGX_DECLINED;
    }

    p->typing = 0;

    if (ngx_mobility_ucwa_cf_part_put(tx, c, p) != NGX_OK) {
        return NGX_ERROR;
    }

    if (c->state != NGX_MOBILITY_CONV_CONNECTED) {
        return NGX_OK;
    }

    roster = ngx_mobility_ucwa_cf_roster(tx, c);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = p;

    return ngx_mobility_ucwa_cf_members(tx, roster, &p->user, 0, &cf,
                                        EV_TYPING, "deleted", NULL);
}


/*
 * An invitation of an added participant nobody answered before its
 * deadline: Failure/Timeout for the inviter and the invitee, and a
 * missed conversation for the invitee; a wait in the lobby nobody
 * admitted in time ends with Timeout.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_deadline(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p, uint64_t due)
{
    if (p->deadline != due) {
        return NGX_DECLINED;
    }

    if (p->state == NGX_MOBILITY_PART_LOBBY) {
        return ngx_mobility_ucwa_cf_lobby_out(tx, c, p, "Timeout");
    }

    if (p->state != NGX_MOBILITY_PART_INVITED) {
        return NGX_DECLINED;
    }

    if (ngx_mobility_ucwa_cf_part_del(tx, c, p) != NGX_OK
        || ngx_mobility_ucwa_cf_inv_failed(tx, c, p, "Timeout") != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the invitee missed it */
    if (ngx_mobility_ucwa_missed_add(tx, c, &p->user, &p->inviter, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                  "mobility ucwa: conference %*s: invitation of \"%s\" "
                  "not answered", c->id.len, c->id.data, p->user.data);

    return NGX_OK;
}


/*
 * The roster's deadlines ("q" keys: the timer of the worker that
 * created them, and the sweep) and the ends of typing ("z" keys).
 */
void
ngx_mobility_ucwa_conf_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    ngx_mobility_ucwa_cf_scan(tx, limit, ngx_mobility_conv_next_part_due,
                              ngx_mobility_conv_part_due_del,
                              ngx_mobility_ucwa_cf_deadline);
    ngx_mobility_ucwa_cf_scan(tx, limit, ngx_mobility_conv_next_part_typing,
                              ngx_mobility_conv_part_typing_del,
                              ngx_mobility_ucwa_cf_typing_due);
}


/* ------------------------------------------------------------------ */
/* operations                                                         */


static ngx_int_t
ngx_mobility_ucwa_cf_state_error(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *message)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                   "InvalidState", message);
}


/* a meeting id: NGX_MOBILITY_MEETING_ID_LEN characters of [0-9A-Z] */
static void
ngx_mobility_ucwa_cf_meeting_id(u_char *id)
{
    u_char         hex[NGX_MOBILITY_MEETING_ID_LEN * 2];
    ngx_uint_t     i;
    static u_char  alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    ngx_mobility_ucwa_random_hex(hex, sizeof(hex));

    for (i = 0; i < NGX_MOBILITY_MEETING_ID_LEN; i++) {
        id[i] = alphabet[((ngx_hextoi(&hex[2 * i], 2)) & 0xff) % 36];
    }
}


/* turns c into a conference organized by organizer (pool memory) */
static ngx_int_t
ngx_mobility_ucwa_cf_make(ngx_mobility_ucwa_tx_t *tx, ngx_mobility_conv_t *c,
    ngx_str_t *organizer)
{
    u_char  *mid;

    mid = ngx_pnalloc(tx->pool, NGX_MOBILITY_MEETING_ID_LEN + 1);
    if (mid == NULL) {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_cf_meeting_id(mid);
    mid[NGX_MOBILITY_MEETING_ID_LEN] = '\0';

    c->conference = 1;
    c->organizer.data = organizer->data;
    c->organizer.len = organizer->len;
    c->meeting.data = mid;
    c->meeting.len = NGX_MOBILITY_MEETING_ID_LEN;

    if (c->next_inv == 0) {
        c->next_inv = 1;
    }

    return NGX_OK;
}


/*
 * The events of an application that started or joined a meeting and got
 * in at once: its onlineMeetingInvitation started, the conversation
 * added, the local participant; then, as after an accept, the
 * conversation Conferenced with the members, the messaging connected and
 * the invitation completed.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_join_events(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_array_t *roster, ngx_mobility_conv_part_t *me)
{
    ngx_mobility_ucwa_cf_t  cf;

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = me;
    cf.state = "Connecting";
    cf.cstate = "Connecting";

    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_OMI,
                                   "started", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf,
                                      EV_CONVERSATION, "added", NULL, NULL)
           != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf,
                                      EV_LOCAL_PARTICIPANT, "added", NULL,
                                      NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (me->state != NGX_MOBILITY_PART_JOINED) {
        return NGX_OK;
    }

    return ngx_mobility_ucwa_cf_joined(tx, app, c, roster, me);
}


/*
 * Joiner me enters meeting conversation c (joined, or in the lobby): c
 * and the entry are written (a fresh conversation with its meeting key),
 * me's application gets its join events; the roster, or NULL.
 */
static ngx_array_t *
ngx_mobility_ucwa_cf_enter(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *me, ngx_uint_t fresh)
{
    ngx_array_t  *roster;

    if (ngx_mobility_ucwa_cf_put(tx, c) != NGX_OK
        || ngx_mobility_ucwa_cf_part_put(tx, c, me) != NGX_OK)
    {
        return NULL;
    }

    if (fresh
        && ngx_mobility_conv_meeting_put(tx->st, tx->txn, c)
           != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NULL;
    }

    roster = ngx_mobility_ucwa_cf_roster(tx, c);

    if (roster == NULL
        || ngx_mobility_ucwa_cf_join_events(tx, app, c, roster, me)
           != NGX_OK)
    {
        return NULL;
    }

    return roster;
}


/* startOnlineMeeting: an ad-hoc meeting of one, its organizer */
static ngx_int_t
ngx_mobility_ucwa_cf_adhoc(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    ngx_array_t               *roster;
    const char                *err;
    ngx_mobility_conv_t        c;
    ngx_mobility_conv_part_t   me;
    ngx_mobility_ucwa_cf_t     cf;

    if (app->anonymous) {
        return ngx_mobility_ucwa_anonymous_refused(rq, rs,
                                           "An anonymous user cannot start "
                                           "a meeting.");
    }

    ngx_memzero(&c, sizeof(ngx_mobility_conv_t));
    ngx_memzero(&me, sizeof(ngx_mobility_conv_part_t));

    err = ngx_mobility_ucwa_conv_inputs(rq, &c, &me.operation_id, 1);
    if (err) {
        return ngx_mobility_ucwa_bad(rq, rs, err);
    }

    if (ngx_mobility_ucwa_conv_init(rq->pool, tx, app, &c,
                                    NGX_MOBILITY_CONV_CONNECTED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_cf_make(tx, &c, &app->owner) != NGX_OK) {
        return NGX_ERROR;
    }

    me.user.data = app->owner.data;
    me.user.len = app->owner.len;
    me.app.data = app->id.data;
    me.app.len = app->id.len;
    me.state = NGX_MOBILITY_PART_JOINED;
    me.role = NGX_MOBILITY_PART_LEADER;
    me.flags = NGX_MOBILITY_PART_MESSAGING | NGX_MOBILITY_PART_SELF_JOIN;
    me.joined = tx->now;
    me.inv = c.next_inv++;

    if (ngx_mobility_ucwa_cf_put(tx, &c) != NGX_OK
        || ngx_mobility_ucwa_cf_part_put(tx, &c, &me) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_conv_dup(rq->pool, &c) != NGX_OK
        || ngx_mobility_ucwa_cf_part_dup(rq->pool, &me) != NGX_OK)
    {
        return NGX_ERROR;
    }

    roster = ngx_mobility_ucwa_cf_roster(tx, &c);

    if (roster == NULL
        || ngx_mobility_ucwa_cf_join_events(tx, app, &c, roster, &me)
           != NGX_OK
        || ngx_mobility_ucwa_set_location(rq, rs, app,
               ngx_mobility_ucwa_cf_inv_path(rq->pool, NGX_MOBILITY_UCWA_OMI,
                                             &c, me.inv, ""))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = &c;
    cf.part = &me;

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED,
                                      ngx_mobility_ucwa_cf_omi_json(tx, app,
                                                                    &cf));
}


/* a roster lookup by user, operationId or invitation number */
typedef struct {
    ngx_mobility_bytes_t      *user;
    ngx_mobility_bytes_t      *op;
    uint64_t                   inv;
    ngx_mobility_conv_part_t   found;
    ngx_uint_t                 hit;
    ngx_uint_t                 count;     /* entries seen */
} ngx_mobility_ucwa_cf_find_t;


static int
ngx_mobility_ucwa_cf_find_each(void *data, ngx_mobility_conv_part_t *p)
{
    ngx_mobility_ucwa_cf_find_t  *f = data;

    f->count++;

    if (f->hit) {
        return 0;
    }

    if ((f->inv && p->inv == f->inv)
        || (f->user && ngx_mobility_ucwa_cf_same(&p->user, f->user))
        || (f->op && f->op->len
            && ngx_mobility_ucwa_cf_same(&p->operation_id, f->op)))
    {
        f->found = *p;
        f->hit = 1;
    }

    return 0;
}


/*
 * addParticipant: POST …/participantInvitations?conversation=<id> with
 * "to".  A two-party conversation becomes a conference first.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_add(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    int                           n;
    u_char                        sip[NGX_MOBILITY_SIP_MAX + 1];
    ngx_int_t                     rc;
    ngx_str_t                     cid, user;
    ngx_uint_t                    i, escalate;
    ngx_array_t                  *roster;
    const char                   *reason;
    ngx_mobility_conv_t           c;
    ngx_mobility_bytes_t          op, inviter, invitee;
    ngx_mobility_conv_part_t      me, p, *e;
    ngx_mobility_ucwa_cf_t        cf;
    ngx_mobility_ucwa_app_t       ra;
    ngx_mobility_ucwa_cf_find_t   find;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "conversation", &cid)
        != NGX_OK
        && ngx_mobility_ucwa_input_str(rq, "conversation", &cid) != NGX_OK)
    {
        return ngx_mobility_ucwa_bad(rq, rs, "Missing 'conversation'.");
    }

    rc = ngx_mobility_ucwa_conv_read(tx, &cid, &c);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED
        || !ngx_mobility_ucwa_conf_member(tx, &c, app->owner.data,
                                          app->owner.len))
    {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (app->anonymous) {
        return ngx_mobility_ucwa_anonymous_refused(rq, rs,
                                           "An anonymous user cannot add "
                                           "participants.");
    }

    escalate = !c.conference;

    if (c.state != NGX_MOBILITY_CONV_CONNECTED) {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The conversation is not connected.");
    }

    if (escalate) {
        /* only the application that holds the conversation */
        if (!ngx_mobility_ucwa_cf_is(&c.from_app, &app->id)
            && !ngx_mobility_ucwa_cf_is(&c.to_app, &app->id))
        {
            return ngx_mobility_ucwa_not_found(rq, rs);
        }

    } else {
        rc = ngx_mobility_ucwa_cf_part_get(tx, &c, app->owner.data,
                                           app->owner.len, &me);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK || me.state != NGX_MOBILITY_PART_JOINED
            || !ngx_mobility_ucwa_cf_is(&me.app, &app->id))
        {
            return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                       "This application is not in the "
                                       "conference.");
        }
    }

    n = ngx_mobility_ucwa_invitee_input(rq, rs, app, 1, sip,
                                        "One cannot invite oneself.", &rc);
    if (n == 0) {
        return rc;
    }

    ngx_memzero(&p, sizeof(ngx_mobility_conv_part_t));

    if (ngx_mobility_ucwa_conv_input(rq, "operationId", 50, 1, &op)
        != NGX_OK)
    {
        return ngx_mobility_ucwa_bad(rq, rs, "A parameter is too long.");
    }

    invitee.data = sip;
    invitee.len = n;

    if (escalate) {
        if (ngx_mobility_conv_member(&c, sip, n)) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                           "Conflict", "AlreadyExists",
                                           "The invitee is already in the "
                                           "conversation.");
        }

    } else {
        ngx_memzero(&find, sizeof(ngx_mobility_ucwa_cf_find_t));
        find.user = &invitee;

        if (ngx_mobility_conv_part_each(tx->st, tx->txn, c.id.data, c.id.len,
                                        ngx_mobility_ucwa_cf_find_each,
                                        &find)
            < 0)
        {
            return NGX_ERROR;
        }

        if (find.hit) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                           "Conflict", "AlreadyExists",
                                           "The invitee is already in the "
                                           "conversation.");
        }

        if (find.count >= NGX_MOBILITY_CONV_ROSTER_MAX) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                           "Forbidden", "LimitExceeded",
                                           "The conference is full.");
        }

        /* a replayed operationId of this inviter: the same invitation */
        if (op.len) {
            ngx_memzero(&find, sizeof(ngx_mobility_ucwa_cf_find_t));
            find.op = &op;

            if (ngx_mobility_conv_part_each(tx->st, tx->txn, c.id.data,
                                            c.id.len,
                                            ngx_mobility_ucwa_cf_find_each,
                                            &find)
                < 0)
            {
                return NGX_ERROR;
            }

            if (find.hit
                && ngx_mobility_ucwa_cf_is(&find.found.inviter, &app->owner))
            {
                return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                               "Conflict", "AlreadyExists",
                                               "This operationId was already "
                                               "used.");
            }
        }
    }

    /* escalation: both parties become members, the inviter organizes */
    if (escalate) {
        if ((c.typing_from
             && ngx_mobility_conv_typing(tx->st, tx->txn, &c, 'f', 0)
                != NGX_MOBILITY_OK)
            || (c.typing_to
                && ngx_mobility_conv_typing(tx->st, tx->txn, &c, 't', 0)
                   != NGX_MOBILITY_OK))
        {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        if (ngx_mobility_ucwa_cf_make(tx, &c, &app->owner) != NGX_OK) {
            return NGX_ERROR;
        }

        for (i = 0; i < 2; i++) {
            ngx_memzero(&me, sizeof(ngx_mobility_conv_part_t));
            me.user = (i == 0) ? c.from : c.to;
            me.app = (i == 0) ? c.from_app : c.to_app;
            me.state = NGX_MOBILITY_PART_JOINED;
            me.role = ngx_mobility_ucwa_cf_is(&me.user, &app->owner)
                      ? NGX_MOBILITY_PART_LEADER : NGX_MOBILITY_PART_ATTENDEE;
            me.flags = NGX_MOBILITY_PART_MESSAGING;
            me.joined = tx->now;
            me.inv = c.next_inv++;

            if (ngx_mobility_ucwa_cf_part_put(tx, &c, &me) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    /* is the invitee there, and available for messaging? */
    user.data = sip;
    user.len = n;

    if (ngx_mobility_ucwa_invitee(tx, &user, &reason) == NGX_ERROR) {
        return NGX_ERROR;
    }

    inviter.data = app->owner.data;
    inviter.len = app->owner.len;

    p.user = invitee;
    p.inviter = inviter;
    p.inviter_app.data = app->id.data;
    p.inviter_app.len = app->id.len;
    p.operation_id = op;
    p.state = NGX_MOBILITY_PART_INVITED;
    p.role = NGX_MOBILITY_PART_ATTENDEE;
    p.inv = c.next_inv++;

    if (reason == NULL) {
        p.deadline = tx->now
                     + (uint64_t) tx->umcf->invitation_timeout * 1000;

        if (tx->due == 0 || p.deadline < tx->due) {
            tx->due = p.deadline;
        }

        if (ngx_mobility_ucwa_cf_part_put(tx, &c, &p) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_cf_put(tx, &c) != NGX_OK
        || ngx_mobility_ucwa_conv_dup(rq->pool, &c) != NGX_OK
        || ngx_mobility_ucwa_cf_part_dup(rq->pool, &p) != NGX_OK)
    {
        return NGX_ERROR;
    }

    roster = ngx_mobility_ucwa_cf_roster(tx, &c);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = &c;
    cf.joined = ngx_mobility_ucwa_cf_count(roster, NGX_MOBILITY_PART_JOINED);

    if (escalate) {
        /* both parties see the conversation become a conference */
        e = roster->elts;

        for (i = 0; i < roster->nelts; i++) {
            if (e[i].state != NGX_MOBILITY_PART_JOINED) {
                continue;
            }

            rc = ngx_mobility_ucwa_im_app(tx, &e[i].app, &ra);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            cf.part = &e[i];

            if (rc == NGX_OK
                && ngx_mobility_ucwa_cf_event(tx, &ra, NULL, NULL, &cf,
                                              EV_CONVERSATION, "updated",
                                              NULL, NULL)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    cf.part = &p;

    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_PI,
                                   "started", NULL, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (reason) {
        cf.state = "Failed";

        if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_PI,
                                       "completed", "Failure", reason)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else {
        /* the invitee: an incoming onlineMeetingInvitation (no incoming
         * participantInvitation exists) on every available application */
        user.data = sip;
        user.len = n;

        if (ngx_mobility_ucwa_cf_event(tx, NULL, &user, NULL, &cf, EV_OMI,
                                       "started", NULL, NULL) != NGX_OK
            || ngx_mobility_ucwa_cf_event(tx, NULL, &user, NULL, &cf,
                                          EV_CONVERSATION, "added", NULL,
                                          NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_set_location(rq, rs, app,
            ngx_mobility_ucwa_cf_inv_path(rq->pool, NGX_MOBILITY_UCWA_PI,
                                          &c, p.inv, ""))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED,
                                      ngx_mobility_ucwa_cf_pi_json(tx, app,
                                                                   &cf));
}


/* "<conv>-<n>": the conversation and the roster entry of invitation n */
static ngx_int_t
ngx_mobility_ucwa_cf_inv_find(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *seg,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    u_char                       *dash;
    ngx_int_t                     rc, n;
    ngx_str_t                     cid;
    ngx_mobility_ucwa_cf_find_t   find;

    dash = NULL;

    for (n = seg->len - 1; n > 0; n--) {
        if (seg->data[n] == '-') {
            dash = &seg->data[n];
            break;
        }
    }

    if (dash == NULL) {
        return NGX_DECLINED;
    }

    n = ngx_atoi(dash + 1, seg->data + seg->len - dash - 1);
    if (n <= 0) {
        return NGX_DECLINED;
    }

    cid.data = seg->data;
    cid.len = dash - seg->data;

    rc = ngx_mobility_ucwa_conv_read(tx, &cid, c);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!c->conference) {
        return NGX_DECLINED;
    }

    ngx_memzero(&find, sizeof(ngx_mobility_ucwa_cf_find_t));
    find.inv = (uint64_t) n;

    if (ngx_mobility_conv_part_each(tx->st, tx->txn, c->id.data, c->id.len,
                                    ngx_mobility_ucwa_cf_find_each, &find)
        < 0)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (!find.hit) {
        return NGX_DECLINED;
    }

    *p = find.found;

    return ngx_mobility_ucwa_cf_part_dup(tx->pool, p);
}


/* the invitee's answer to an incoming onlineMeetingInvitation */
static ngx_int_t
ngx_mobility_ucwa_cf_answer(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *p, ngx_uint_t accept)
{
    ngx_str_t                user;
    ngx_array_t             *roster;
    ngx_mobility_ucwa_cf_t   cf;

    if (p->state != NGX_MOBILITY_PART_INVITED
        || c->state != NGX_MOBILITY_CONV_CONNECTED)
    {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The invitation is not pending.");
    }

    if (!accept) {
        if (ngx_mobility_ucwa_cf_part_del(tx, c, p) != NGX_OK
            || ngx_mobility_ucwa_cf_inv_failed(tx, c, p, "Declined")
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    p->state = NGX_MOBILITY_PART_JOINED;
    p->app.data = app->id.data;
    p->app.len = app->id.len;
    p->flags |= NGX_MOBILITY_PART_MESSAGING;
    p->joined = tx->now;

    roster = ngx_mobility_ucwa_cf_update(tx, c, p, 0, &cf);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    cf.state = "Connecting";

    /* the invitation loses accept/decline, then the join */
    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_OMI,
                                   "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_joined(tx, app, c, roster, p) != NGX_OK
        || ngx_mobility_ucwa_cf_announce(tx, c, roster, p) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the invitee's other applications: taken elsewhere (as two-party) */
    user.data = (u_char *) p->user.data;
    user.len = p->user.len;
    cf.state = "Failed";
    cf.cstate = "Disconnected";

    if (ngx_mobility_ucwa_cf_event(tx, NULL, &user, &app->id, &cf, EV_OMI,
                                   "completed", "Failure", "Canceled")
        != NGX_OK
        || ngx_mobility_ucwa_cf_event(tx, NULL, &user, &app->id, &cf,
                                      EV_CONVERSATION, "deleted", NULL, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/*
 * The inviter cancels its participantInvitation while the invitee has
 * not answered: the invitation fails Canceled on both sides (the
 * invitee's onlineMeetingInvitation, its conversation deleted), as when
 * the conference ends before an answer.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_cancel(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    if (p->state != NGX_MOBILITY_PART_INVITED
        || c->state != NGX_MOBILITY_CONV_CONNECTED)
    {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The invitation is not pending.");
    }

    if (ngx_mobility_ucwa_cf_part_del(tx, c, p) != NGX_OK
        || ngx_mobility_ucwa_cf_inv_failed(tx, c, p, "Canceled") != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


static ngx_int_t ngx_mobility_ucwa_cf_join(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *uri);


/*
 * /communication/onlineMeetingInvitations[/<id>[/accept|/decline]] and
 * /communication/participantInvitations[/<id>]
 */
ngx_int_t
ngx_mobility_ucwa_conference(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    json_t                    *obj;
    ngx_int_t                  rc;
    ngx_str_t                  rest, seg, uri;
    ngx_uint_t                 write, omi;
    ngx_mobility_conv_t        c;
    ngx_mobility_ucwa_tx_t     tx;
    ngx_mobility_ucwa_app_t    app;
    ngx_mobility_conv_part_t   p;
    ngx_mobility_ucwa_cf_t     cf;

    ngx_mobility_ucwa_comm_path(rq, &rest);

    omi = ngx_mobility_ucwa_path_eat(&rest, "/onlineMeetingInvitations");

    if (!omi && !ngx_mobility_ucwa_path_eat(&rest, "/participantInvitations")) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    ngx_mobility_ucwa_path_segment(&rest, &seg);

    write = (rq->method == NGX_HTTP_POST);

    if (!write && rq->method != NGX_HTTP_GET) {
        return ngx_mobility_ucwa_not_allowed(rq, rs);
    }

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (seg.len == 0) {
        if (!write) {
            rc = ngx_mobility_ucwa_not_allowed(rq, rs);
            goto done;
        }

        if (!omi) {
            rc = ngx_mobility_ucwa_cf_add(rq, rs, &tx, &app);
            goto done;
        }

        /* startOnlineMeeting or joinOnlineMeeting */
        if (ngx_mobility_ucwa_input_str(rq, "onlineMeetingUri", &uri)
            != NGX_OK
            && ngx_mobility_ucwa_arg(rq->pool, &rq->args, "onlineMeetingUri",
                                     &uri)
               != NGX_OK)
        {
            uri.len = 0;
        }

        if (uri.len == 0
            || (uri.len == 5
                && ngx_strncasecmp(uri.data, (u_char *) "adhoc", 5) == 0))
        {
            rc = ngx_mobility_ucwa_cf_adhoc(rq, rs, &tx, &app);

        } else {
            rc = ngx_mobility_ucwa_cf_join(rq, rs, &tx, &app, &uri);
        }

        goto done;
    }

    rc = ngx_mobility_ucwa_cf_inv_find(&tx, &seg, &c, &p);

    if (rc == NGX_ERROR) {
        goto done;
    }

    /* an onlineMeetingInvitation is its invitee's, a participant-
     * Invitation its inviter's */
    if (rc == NGX_DECLINED
        || (omi && !ngx_mobility_ucwa_cf_is(&p.user, &app.owner))
        || (!omi && (!ngx_mobility_ucwa_cf_is(&p.inviter, &app.owner)
                     || (p.flags & NGX_MOBILITY_PART_SELF_JOIN))))
    {
        rc = ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (rest.len == 0 && !write) {
        ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
        cf.conv = &c;
        cf.part = &p;

        obj = omi ? ngx_mobility_ucwa_cf_omi_json(&tx, &app, &cf)
                  : ngx_mobility_ucwa_cf_pi_json(&tx, &app, &cf);
        rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                 : NGX_ERROR;
        goto done;
    }

    if (!omi && write && ngx_mobility_ucwa_path_eat(&rest, "/cancel")
        && rest.len == 0)
    {
        rc = ngx_mobility_ucwa_cf_cancel(rq, rs, &tx, &c, &p);
        goto done;
    }

    if (omi && write && !(p.flags & NGX_MOBILITY_PART_SELF_JOIN)) {
        if (ngx_mobility_ucwa_path_eat(&rest, "/accept") && rest.len == 0) {
            rc = ngx_mobility_ucwa_cf_answer(rq, rs, &tx, &app, &c, &p, 1);
            goto done;
        }

        if (ngx_mobility_ucwa_path_eat(&rest, "/decline") && rest.len == 0) {
            rc = ngx_mobility_ucwa_cf_answer(rq, rs, &tx, &app, &c, &p, 0);
            goto done;
        }
    }

    rc = ngx_mobility_ucwa_not_found(rq, rs);

done:

    return ngx_mobility_ucwa_conv_done(rq, rs, &tx, rc, write);
}


/* ------------------------------------------------------------------ */
/* inside a conference: …/conversations/<id>/...                     */


static ngx_int_t
ngx_mobility_ucwa_cf_send(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_part_t *me)
{
    ngx_int_t                 rc;
    ngx_array_t              *roster;
    ngx_mobility_conv_msg_t   m;
    ngx_mobility_ucwa_cf_t    cf;

    if (!ngx_mobility_ucwa_message_body_ok(rq, rs, &rc)) {
        return rc;
    }

    roster = ngx_mobility_ucwa_cf_roster(tx, c);
    if (roster == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = me;

    /* a typing sender stops typing with its message */
    if (me->typing) {
        me->typing = 0;

        if (ngx_mobility_ucwa_cf_part_put(tx, c, me) != NGX_OK
            || ngx_mobility_ucwa_cf_members(tx, roster, &me->user, 0, &cf,
                                            EV_TYPING, "deleted", NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_message_add(rq, tx, app, c,
                                      NGX_MOBILITY_CONV_MSG_PLAIN, &m)
        != NGX_OK
        || ngx_mobility_ucwa_cf_put(tx, c) != NGX_OK)
    {
        return NGX_ERROR;
    }

    cf.msg = &m;

    /* the sender, then every other member (stored once, told to all) */
    if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_MESSAGE,
                                   "completed", "Success", NULL) != NGX_OK
        || ngx_mobility_ucwa_cf_members(tx, roster, &me->user, 0, &cf,
                                        EV_MESSAGE, "completed", "Success")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_message_created(rq, rs, app, c, &m);
}


/*
 * setIsTyping: the others see the member typing (once) until its next
 * message or NGX_MOBILITY_UCWA_CF_TYPING_MS after its last setIsTyping
 * (a "z" key, found by ngx_mobility_ucwa_conf_due()).
 */
static ngx_int_t
ngx_mobility_ucwa_cf_typing(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *me)
{
    uint64_t                 was;
    ngx_array_t             *roster;
    ngx_mobility_ucwa_cf_t   cf;

    was = me->typing;
    me->typing = tx->now + NGX_MOBILITY_UCWA_CF_TYPING_MS;

    if (ngx_mobility_ucwa_cf_part_put(tx, c, me) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_due_next(tx, me->typing, 0);

    if (was == 0 || was <= tx->now) {
        roster = ngx_mobility_ucwa_cf_roster(tx, c);
        if (roster == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
        cf.conv = c;
        cf.part = me;

        if (ngx_mobility_ucwa_cf_members(tx, roster, &me->user, 0, &cf,
                                         EV_TYPING, "added", NULL)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/* a roster view: participants (joined), leaders, attendees, lobby */
static ngx_int_t
ngx_mobility_ucwa_cf_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, const char *rel)
{
    u_char                    *path;
    json_t                    *obj, *list, *e;
    ngx_str_t                  prefix;
    ngx_uint_t                 i, take;
    ngx_array_t               *roster;
    ngx_mobility_conv_part_t  *p;

    roster = ngx_mobility_ucwa_cf_roster(tx, c);

    if (roster == NULL
        || ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK)
    {
        return NGX_ERROR;
    }

    path = ngx_pnalloc(rq->pool, sizeof(NGX_MOBILITY_UCWA_CONV_PATH) + c->id.len
                                 + ngx_strlen(rel) + 1);
    if (path == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_sprintf(path, NGX_MOBILITY_UCWA_CONV_PATH "%*s/%s%Z", c->id.len,
                       c->id.data, rel);

    obj = ngx_mobility_ucwa_collection(&prefix, (const char *) path,
                                       "participant", rel, &list);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    p = roster->elts;

    for (i = 0; i < roster->nelts; i++) {
        if (ngx_strcmp(rel, "lobby") == 0) {
            take = (p[i].state == NGX_MOBILITY_PART_LOBBY);

        } else if (p[i].state != NGX_MOBILITY_PART_JOINED) {
            take = 0;

        } else if (ngx_strcmp(rel, "leaders") == 0) {
            take = (p[i].role == NGX_MOBILITY_PART_LEADER);

        } else if (ngx_strcmp(rel, "attendees") == 0) {
            take = (p[i].role != NGX_MOBILITY_PART_LEADER);

        } else {
            take = 1;
        }

        if (!take) {
            continue;
        }

        e = json_object();

        if (e == NULL
            || json_object_set_new(e, "href",
                                   ngx_mobility_ucwa_href(&prefix,
                                       ngx_mobility_ucwa_cf_part_path(
                                           rq->pool, c, &p[i], "")))
               != 0
            || json_array_append_new(list, e) != 0)
        {
            json_decref(obj);
            return NGX_ERROR;
        }
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* POST …/participants/<sip>/admit|reject: a leader decides for the lobby */
/*
 * What a leader does to a participant (POST …/participants/<sip>/<op>):
 * admit or reject one in the lobby, eject, promote or demote a member.
 * 404 for anyone else than a member or a waiting one, 403 for anyone but
 * a joined leader, 409 when the participant is not in the right state.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_participant_op(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *me, ngx_uint_t joined,
    ngx_str_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  seg;
    ngx_uint_t                 op, lobby;
    ngx_mobility_conv_part_t   p;

    ngx_mobility_ucwa_path_segment(r, &seg);

    for (op = 0; ngx_mobility_ucwa_cf_ops[op]; op++) {
        if (ngx_mobility_ucwa_path_eat(r, ngx_mobility_ucwa_cf_ops[op])
            && r->len == 0)
        {
            break;
        }
    }

    if (ngx_mobility_ucwa_cf_ops[op] == NULL) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    rc = ngx_mobility_ucwa_cf_part_get(tx, c, seg.data, seg.len, &p);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED || p.state == NGX_MOBILITY_PART_INVITED) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (!joined || me->role != NGX_MOBILITY_PART_LEADER) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", NULL,
                                       "Only a leader does this.");
    }

    lobby = (op <= 1);

    if (lobby && p.state != NGX_MOBILITY_PART_LOBBY) {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The participant is not in the "
                                         "lobby.");
    }

    if (!lobby && p.state != NGX_MOBILITY_PART_JOINED) {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The participant is not in the "
                                         "conference.");
    }

    if (op == 2 && ngx_mobility_ucwa_cf_same(&p.user, &me->user)) {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "A leader leaves with "
                                         "terminate, not eject.");
    }

    if ((op == 2 || op == 4) && ngx_mobility_ucwa_cf_same(&p.user,
                                                          &c->organizer))
    {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", NULL,
                                       "The organizer stays a leader of "
                                       "the meeting.");
    }

    if ((op == 3 && p.role == NGX_MOBILITY_PART_LEADER)
        || (op == 4 && p.role != NGX_MOBILITY_PART_LEADER))
    {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                         "The participant has this role "
                                         "already.");
    }

    switch (op) {
    case 0:
        rc = ngx_mobility_ucwa_cf_admit(tx, c, &p);
        break;
    case 1:
        rc = ngx_mobility_ucwa_cf_lobby_out(tx, c, &p, "Rejected");
        break;
    case 2:
        rc = ngx_mobility_ucwa_cf_eject(tx, c, &p);
        break;
    case 3:
        rc = ngx_mobility_ucwa_cf_role(tx, c, &p, NGX_MOBILITY_PART_LEADER);
        break;
    default:
        rc = ngx_mobility_ucwa_cf_role(tx, c, &p,
                                       NGX_MOBILITY_PART_ATTENDEE);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/*
 * Everything under …/conversations/<id> of a conference (rest is what
 * follows the id); called by ngx_mobility_ucwa_messaging() once the
 * conversation is read and the user known to be in its roster.
 */
ngx_int_t
ngx_mobility_ucwa_conf_conversation(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, ngx_str_t *rest)
{
    json_t                    *obj;
    ngx_int_t                  rc;
    ngx_str_t                  r, seg;
    ngx_uint_t                 write, joined, i;
    ngx_array_t               *roster;
    ngx_mobility_conv_part_t   me, *e;
    ngx_mobility_ucwa_cf_t     cf;
    ngx_mobility_ucwa_app_t    other;

    r = *rest;
    write = (rq->method == NGX_HTTP_POST || rq->method == NGX_HTTP_DELETE);

    if (ngx_mobility_ucwa_conv_dup(rq->pool, c) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_cf_part_get(tx, c, app->owner.data,
                                       app->owner.len, &me);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    /* only the application that joined acts for the member */
    joined = (me.state == NGX_MOBILITY_PART_JOINED
              && c->state == NGX_MOBILITY_CONV_CONNECTED
              && ngx_mobility_ucwa_cf_is(&me.app, &app->id));

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = c;
    cf.part = &me;

    if (!write) {
        roster = ngx_mobility_ucwa_cf_roster(tx, c);
        if (roster == NULL) {
            return NGX_ERROR;
        }

        cf.joined = ngx_mobility_ucwa_cf_count(roster,
                                               NGX_MOBILITY_PART_JOINED);
        obj = NULL;

        if (r.len == 0) {
            obj = ngx_mobility_ucwa_cf_conversation_json(tx, app, &cf);
            goto resource;
        }

        if (ngx_mobility_ucwa_path_eat(&r, "/messaging") && r.len == 0) {
            cf.state = joined ? "Connected" : "Disconnected";
            obj = ngx_mobility_ucwa_cf_messaging_json(tx, app, &cf);
            goto resource;
        }

        r = *rest;

        if (ngx_mobility_ucwa_path_eat(&r, "/onlineMeeting") && r.len == 0) {
            obj = ngx_mobility_ucwa_cf_meeting_json(tx, app, c);
            goto resource;
        }

        r = *rest;

        if (ngx_mobility_ucwa_path_eat(&r, "/participants")) {
            if (r.len == 0) {
                return ngx_mobility_ucwa_cf_list(rq, rs, tx, app, c,
                                                 "participants");
            }

            ngx_mobility_ucwa_path_segment(&r, &seg);

            e = roster->elts;

            for (i = 0; r.len == 0 && i < roster->nelts; i++) {
                if (e[i].user.len == seg.len
                    && ngx_strncasecmp((u_char *) e[i].user.data, seg.data,
                                       seg.len) == 0
                    && e[i].state != NGX_MOBILITY_PART_INVITED)
                {
                    obj = ngx_mobility_ucwa_cf_participant_json(tx, app, c,
                                                                &e[i]);
                    goto resource;
                }
            }

            return ngx_mobility_ucwa_not_found(rq, rs);
        }

        r = *rest;

        if (ngx_mobility_ucwa_path_eat(&r, "/leaders") && r.len == 0) {
            return ngx_mobility_ucwa_cf_list(rq, rs, tx, app, c, "leaders");
        }

        r = *rest;

        if (ngx_mobility_ucwa_path_eat(&r, "/attendees") && r.len == 0) {
            return ngx_mobility_ucwa_cf_list(rq, rs, tx, app, c,
                                             "attendees");
        }

        r = *rest;

        if (ngx_mobility_ucwa_path_eat(&r, "/lobby") && r.len == 0) {
            return ngx_mobility_ucwa_cf_list(rq, rs, tx, app, c, "lobby");
        }

        return ngx_mobility_ucwa_not_found(rq, rs);

    resource:

        return obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                   : NGX_ERROR;
    }

    /* writes */

    if (rq->method == NGX_HTTP_DELETE) {
        if (r.len != 0) {
            return ngx_mobility_ucwa_not_found(rq, rs);
        }

        goto leave;
    }

    if (ngx_mobility_ucwa_path_eat(&r, "/participants")) {
        return ngx_mobility_ucwa_cf_participant_op(rq, rs, tx, c, &me, joined,
                                                   &r);
    }

    if (!ngx_mobility_ucwa_path_eat(&r, "/messaging")) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (ngx_mobility_ucwa_path_eat(&r, "/terminate") && r.len == 0) {
        goto leave;
    }

    if (!joined) {
        return ngx_mobility_ucwa_cf_state_error(rq, rs,
                                   "This application is not in the "
                                   "conference.");
    }

    if (ngx_mobility_ucwa_path_eat(&r, "/messages")) {
        /* a reply may be posted to an incoming message's href */
        ngx_mobility_ucwa_path_segment(&r, &seg);

        if (r.len == 0) {
            return ngx_mobility_ucwa_cf_send(rq, rs, tx, app, c, &me);
        }

        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (ngx_mobility_ucwa_path_eat(&r, "/typing") && r.len == 0) {
        return ngx_mobility_ucwa_cf_typing(rq, rs, tx, c, &me);
    }

    if (ngx_mobility_ucwa_path_eat(&r, "/addMessaging") && r.len == 0) {
        /* messaging is joined with the conference: nothing to add */
        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    return ngx_mobility_ucwa_not_found(rq, rs);

leave:

    if (me.state == NGX_MOBILITY_PART_INVITED) {
        /* an invitee that stops declines */
        return ngx_mobility_ucwa_cf_answer(rq, rs, tx, app, c, &me, 0);
    }

    if (me.state == NGX_MOBILITY_PART_LOBBY
        && ngx_mobility_ucwa_cf_is(&me.app, &app->id))
    {
        /* a wait in the lobby canceled */
        if (ngx_mobility_ucwa_cf_lobby_out(tx, c, &me, "Canceled")
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (!joined && me.state == NGX_MOBILITY_PART_JOINED
        && c->state == NGX_MOBILITY_CONV_CONNECTED)
    {
        /* the application that joined is gone: another one may leave */
        rc = ngx_mobility_ucwa_im_app(tx, &me.app, &other);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        joined = (rc == NGX_DECLINED);
    }

    if (joined && ngx_mobility_ucwa_cf_leave(tx, app, c, &me) != NGX_OK) {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/*
 * joinOnlineMeeting: POST …/onlineMeetingInvitations with the meeting's
 * onlineMeetingUri (or joinUrl).  The meeting's live conversation is
 * found by its "k" key or started; ngx_mobility_meeting_admission()
 * decides.  Admitted: joined at once.  Refused (or a lobby, which is not
 * kept: see docs/ucwa.md): the invitation completes Failure/Rejected.
 * An anonymous guest may join only the meeting its grant names.
 */
static ngx_int_t
ngx_mobility_ucwa_cf_join(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *uri)
{
    int                           n, rc;
    u_char                       *p, *at;
    u_char                        org[NGX_MOBILITY_SIP_MAX + 1];
    u_char                        cid[NGX_MOBILITY_CONV_ID_MAX];
    ngx_int_t                     irc;
    ngx_str_t                     organizer, mid, gorg, gid, s;
    ngx_uint_t                    joinurl, admission, fresh;
    ngx_array_t                  *roster;
    const char                   *err;
    ngx_mobility_conv_t           c, in;
    ngx_mobility_bytes_t          name;
    ngx_mobility_meeting_t        m;
    ngx_mobility_conv_part_t      me;
    ngx_mobility_ucwa_cf_t        cf;
    ngx_mobility_ucwa_cf_find_t   find;

    if (ngx_mobility_meeting_parse_uri(uri->data, uri->len, &organizer, &mid,
                                       &joinurl)
        != NGX_OK
        || mid.len == 0 || mid.len > NGX_MOBILITY_CONV_MEETING_MAX)
    {
        return ngx_mobility_ucwa_bad(rq, rs, "Invalid onlineMeetingUri.");
    }

    if (joinurl) {
        /* the user part of the organizer, in the joiner's domain */
        at = ngx_strlchr(app->owner.data, app->owner.data + app->owner.len,
                         '@');
        if (at == NULL) {
            return ngx_mobility_ucwa_bad(rq, rs, "Invalid joinUrl.");
        }

        p = ngx_pnalloc(rq->pool, organizer.len
                                  + (app->owner.data + app->owner.len - at));
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        p = ngx_cpymem(p, organizer.data, organizer.len);
        p = ngx_cpymem(p, at, app->owner.data + app->owner.len - at);
        s.len = p - s.data;
        organizer = s;
    }

    n = ngx_mobility_sip_canon(organizer.data, organizer.len, org, NULL);
    if (n <= 0) {
        return ngx_mobility_ucwa_bad(rq, rs, "Invalid onlineMeetingUri.");
    }

    organizer.data = org;
    organizer.len = n;

    ngx_memzero(&in, sizeof(ngx_mobility_conv_t));
    ngx_memzero(&me, sizeof(ngx_mobility_conv_part_t));

    err = ngx_mobility_ucwa_conv_inputs(rq, &in, &me.operation_id, 1);
    if (err) {
        return ngx_mobility_ucwa_bad(rq, rs, err);
    }

    if (ngx_mobility_ucwa_conv_input(rq, "anonymousDisplayName", 250, 1,
                                     &name)
        != NGX_OK)
    {
        return ngx_mobility_ucwa_bad(rq, rs, "A parameter is too long.");
    }

    if (app->anonymous) {
        if (name.len == 0) {
            return ngx_mobility_ucwa_bad(rq, rs,
                                   "Missing 'anonymousDisplayName'.");
        }

        rc = ngx_mobility_meeting_anon_get(tx->st, tx->txn, app->owner.data,
                                           app->owner.len, tx->now, &gorg,
                                           &gid);
        if (rc == NGX_MOBILITY_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        if (rc != NGX_MOBILITY_OK
            || gorg.len != organizer.len
            || ngx_strncasecmp(gorg.data, organizer.data, gorg.len) != 0
            || gid.len != mid.len
            || ngx_strncasecmp(gid.data, mid.data, gid.len) != 0)
        {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                           "Forbidden", NULL,
                                           "This anonymous identity may "
                                           "only join the meeting it was "
                                           "granted.");
        }

    } else {
        /* only guests name themselves */
        name.len = 0;
    }

    rc = ngx_mobility_meeting_get(tx->st, tx->txn, organizer.data,
                                  organizer.len, mid.data, mid.len, &m);

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (rc != NGX_MOBILITY_OK || (m.expiration && m.expiration < tx->now)) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "The meeting does not exist.");
    }

    admission = ngx_mobility_meeting_admission(&m,
                                     app->anonymous ? NULL : app->owner.data,
                                     app->anonymous ? 0 : app->owner.len);

    /* the meeting's id as stored (its case) */
    mid.data = ngx_pnalloc(rq->pool, m.id.len + 1);
    if (mid.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(mid.data, m.id.data, m.id.len);
    mid.len = m.id.len;
    mid.data[mid.len] = '\0';

    if (in.subject.len == 0 && m.subject.len) {
        in.subject = m.subject;
    }

    /* its live conversation */
    n = ngx_mobility_conv_meeting_get(tx->st, tx->txn, organizer.data,
                                      organizer.len, mid.data, mid.len, cid);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    fresh = 1;

    if (n > 0) {
        s.data = cid;
        s.len = n;

        irc = ngx_mobility_ucwa_conv_read(tx, &s, &c);

        if (irc == NGX_ERROR) {
            return NGX_ERROR;
        }

        fresh = (irc != NGX_OK || c.state != NGX_MOBILITY_CONV_CONNECTED
                 || !c.conference);
    }

    if (fresh) {
        c = in;

        if (ngx_mobility_ucwa_conv_init(rq->pool, tx, app, &c,
                                        NGX_MOBILITY_CONV_CONNECTED)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        c.next_inv = 1;
        c.conference = 1;
        c.organizer.data = organizer.data;
        c.organizer.len = organizer.len;
        c.meeting.data = mid.data;
        c.meeting.len = mid.len;

    } else {
        ngx_memzero(&find, sizeof(ngx_mobility_ucwa_cf_find_t));
        find.user = &me.user;
        me.user.data = app->owner.data;
        me.user.len = app->owner.len;

        if (ngx_mobility_conv_part_each(tx->st, tx->txn, c.id.data, c.id.len,
                                        ngx_mobility_ucwa_cf_find_each,
                                        &find)
            < 0)
        {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        if (find.hit) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                           "Conflict", "AlreadyExists",
                                           "The user is already in the "
                                           "meeting.");
        }

        if (find.count >= NGX_MOBILITY_CONV_ROSTER_MAX) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                           "Forbidden", "LimitExceeded",
                                           "The meeting is full.");
        }
    }

    me.user.data = app->owner.data;
    me.user.len = app->owner.len;
    me.app.data = app->id.data;
    me.app.len = app->id.len;
    me.name = name;
    me.state = NGX_MOBILITY_PART_JOINED;
    me.role = (!app->anonymous
               && ngx_mobility_meeting_is_leader(&m, app->owner.data,
                                                 app->owner.len))
              ? NGX_MOBILITY_PART_LEADER : NGX_MOBILITY_PART_ATTENDEE;
    me.flags = NGX_MOBILITY_PART_MESSAGING | NGX_MOBILITY_PART_SELF_JOIN
               | (app->anonymous ? NGX_MOBILITY_PART_ANONYMOUS : 0);
    me.joined = tx->now;
    me.inv = c.next_inv++;

    if (ngx_mobility_ucwa_conv_dup(rq->pool, &c) != NGX_OK
        || ngx_mobility_ucwa_cf_part_dup(rq->pool, &me) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf.conv = &c;
    cf.part = &me;

    if (admission == NGX_MOBILITY_MEETING_LOBBY) {
        /* waits for a leader, its invitation Connecting */
        me.state = NGX_MOBILITY_PART_LOBBY;
        me.joined = 0;
        me.deadline = tx->now + (uint64_t) tx->umcf->lobby_timeout * 1000;

        if (tx->due == 0 || me.deadline < tx->due) {
            tx->due = me.deadline;
        }

        roster = ngx_mobility_ucwa_cf_enter(tx, app, &c, &me, fresh);

        if (roster == NULL
            || ngx_mobility_ucwa_cf_members(tx, roster, NULL, 1, &cf,
                                            EV_LOBBY, "added", NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (admission != NGX_MOBILITY_MEETING_ADMIT) {
        /* refused */
        cf.state = "Connecting";
        cf.cstate = "Connecting";

        if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_OMI,
                                       "started", NULL, NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }

        cf.state = "Failed";
        cf.cstate = "Disconnected";

        if (ngx_mobility_ucwa_cf_event(tx, app, NULL, NULL, &cf, EV_OMI,
                                       "completed", "Failure", "Rejected")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (!fresh && ngx_mobility_ucwa_cf_put(tx, &c) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        roster = ngx_mobility_ucwa_cf_enter(tx, app, &c, &me, fresh);

        if (roster == NULL
            || ngx_mobility_ucwa_cf_announce(tx, &c, roster, &me) != NGX_OK)
        {
            return NGX_ERROR;
        }

        cf.state = NULL;
        cf.cstate = NULL;
    }

    if (ngx_mobility_ucwa_set_location(rq, rs, app,
            ngx_mobility_ucwa_cf_inv_path(rq->pool, NGX_MOBILITY_UCWA_OMI,
                                          &c, me.inv, ""))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (admission == NGX_MOBILITY_MEETING_DENY) {
        cf.state = "Failed";
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED,
                                      ngx_mobility_ucwa_cf_omi_json(tx, app,
                                                                    &cf));
}


typedef struct {
    ngx_pool_t   *pool;
    ngx_array_t  *ids;
    ngx_uint_t    failed;
} ngx_mobility_ucwa_cf_ids_t;


static int
ngx_mobility_ucwa_cf_ids_each(void *data, const u_char *id, size_t len)
{
    ngx_str_t                   *s;
    ngx_mobility_ucwa_cf_ids_t  *ctx = data;

    s = ngx_array_push(ctx->ids);
    if (s == NULL) {
        ctx->failed = 1;
        return 1;
    }

    s->data = ngx_pnalloc(ctx->pool, len);
    if (s->data == NULL) {
        ctx->failed = 1;
        return 1;
    }

    ngx_memcpy(s->data, id, len);
    s->len = len;

    return 0;
}


/*
 * Application app ends (deleted, expired; called by
 * ngx_mobility_ucwa_app_terminate() before its channels go): it leaves
 * the conferences it joined and ends its waits in a lobby, so no member
 * stays behind without an application.
 */
ngx_int_t
ngx_mobility_ucwa_conf_app_gone(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    ngx_int_t                    rc;
    ngx_str_t                   *id;
    ngx_uint_t                   i;
    ngx_mobility_conv_t          c;
    ngx_mobility_conv_part_t     me;
    ngx_mobility_ucwa_cf_ids_t   ctx;

    ctx.pool = tx->pool;
    ctx.failed = 0;
    ctx.ids = ngx_array_create(tx->pool, 4, sizeof(ngx_str_t));
    if (ctx.ids == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_conv_active_each(tx->st, tx->txn, app->owner.data,
                                      app->owner.len,
                                      ngx_mobility_ucwa_cf_ids_each, &ctx)
        != NGX_MOBILITY_OK
        || ctx.failed)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    id = ctx.ids->elts;

    for (i = 0; i < ctx.ids->nelts; i++) {
        rc = ngx_mobility_ucwa_conv_read(tx, &id[i], &c);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK || !c.conference
            || c.state != NGX_MOBILITY_CONV_CONNECTED)
        {
            continue;
        }

        rc = ngx_mobility_ucwa_cf_part_get(tx, &c, app->owner.data,
                                           app->owner.len, &me);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK || !ngx_mobility_ucwa_cf_is(&me.app, &app->id)) {
            continue;
        }

        if (me.state == NGX_MOBILITY_PART_JOINED) {
            rc = ngx_mobility_ucwa_cf_leave(tx, app, &c, &me);

        } else if (me.state == NGX_MOBILITY_PART_LOBBY) {
            rc = ngx_mobility_ucwa_cf_lobby_out(tx, &c, &me, "Canceled");

        } else {
            continue;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
