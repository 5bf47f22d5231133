/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA instant messaging between two users of this server: startMessaging
 * (messagingInvitations), accept and decline, the conversation, its
 * participants and messaging, sendMessage and stopMessaging.  State lives
 * in shared/ngx_mobility_conversations.c; the events follow the
 * documented order (spec §7.2-§7.4) and are written in the same
 * transaction as the change, the affected applications woken after the
 * commit.
 *
 * Paths (after the application prefix), I = invitation, C = conversation:
 *     /communication/messagingInvitations[/<id>[/accept|/decline]]
 *     /communication/conversations/<id>[/messaging[/messages[/<n>]
 *         |/terminate]|/participants/<sip>[/messaging]]
 */

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_push.h"


#define NGX_MOBILITY_UCWA_INV     "/communication/messagingInvitations/"

/* a participant shows as typing this long after its last setIsTyping */
#define NGX_MOBILITY_UCWA_TYPING_MS   10000


typedef struct {
    ngx_mobility_conv_t       *conv;
    ngx_mobility_conv_msg_t   *msg;
    const char                *sip;       /* a participant, NUL-terminated */
    ngx_str_t                 *exclude;   /* an application not told */
} ngx_mobility_ucwa_im_t;


/*
 * Writes the conversation; the write that ends it (Terminated or Failed
 * after Connecting or Connected, or a new one that failed at once) stamps
 * the end and leaves the participants' conversation logs.
 */
static ngx_int_t
ngx_mobility_ucwa_im_put(ngx_mobility_ucwa_tx_t *tx, ngx_mobility_conv_t *c)
{
    int                   rc;
    ngx_uint_t            ends;
    ngx_mobility_conv_t   old;

    ends = 0;

    if (c->state > NGX_MOBILITY_CONV_CONNECTED) {
        rc = ngx_mobility_conv_get(tx->st, tx->txn, c->id.data, c->id.len,
                                   &old);
        if (rc == NGX_MOBILITY_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        ends = (rc == NGX_MOBILITY_NOTFOUND
                || old.state <= NGX_MOBILITY_CONV_CONNECTED);

        if (ends && c->ended == 0) {
            c->ended = tx->now;
        }
    }

    if (ngx_mobility_conv_put(tx->st, tx->txn, c) != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (ends) {
        return ngx_mobility_ucwa_history_log(tx, c);
    }

    return NGX_OK;
}


static const char *
ngx_mobility_ucwa_im_inv(ngx_pool_t *pool, ngx_mobility_conv_t *c,
    const char *tail)
{
    u_char  *p;

    p = ngx_pnalloc(pool, sizeof(NGX_MOBILITY_UCWA_INV) + c->id.len
                          + ngx_strlen(tail));
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_sprintf(p, NGX_MOBILITY_UCWA_INV "%*s%s%Z", c->id.len,
                       c->id.data, tail);

    return (const char *) p;
}


#define im_conv(pool, c, tail)                                                \
    ngx_mobility_ucwa_conv_path(pool, c, tail)
#define im_inv(pool, c, tail)                                                 \
    ngx_mobility_ucwa_im_inv(pool, c, tail)
#define im_part(pool, c, sip, tail)                                           \
    ngx_mobility_ucwa_conv_part_path(pool, c, (const u_char *) (sip),        \
                                     ngx_strlen(sip), tail)


/* "local" is the owner of app, "remote" the other participant */
static ngx_uint_t
ngx_mobility_ucwa_im_outgoing(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c)
{
    return app->owner.len == c->from.len
           && ngx_strncmp(app->owner.data, c->from.data, c->from.len) == 0;
}


static const char *
ngx_mobility_ucwa_im_local(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c)
{
    return ngx_mobility_ucwa_im_outgoing(app, c) ? (const char *) c->from.data
                                                : (const char *) c->to.data;
}


static const char *
ngx_mobility_ucwa_im_remote(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_conv_t *c)
{
    return ngx_mobility_ucwa_im_outgoing(app, c) ? (const char *) c->to.data
                                                : (const char *) c->from.data;
}


/* decodes a data URI (base64 or URL-encoded) into text */
static ngx_int_t
ngx_mobility_ucwa_im_data_decode(ngx_pool_t *pool, ngx_str_t *uri,
    ngx_str_t *text)
{
    u_char     *comma, *src, *dst;
    ngx_str_t   in;

    if (uri->len < 5 || ngx_strncasecmp(uri->data, (u_char *) "data:", 5)) {
        return NGX_ERROR;
    }

    comma = ngx_strlchr(uri->data, uri->data + uri->len, ',');
    if (comma == NULL) {
        return NGX_ERROR;
    }

    in.data = comma + 1;
    in.len = uri->data + uri->len - in.data;

    text->data = ngx_pnalloc(pool, in.len + 1);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    if (comma - uri->data >= 7
        && ngx_strncasecmp(comma - 7, (u_char *) ";base64", 7) == 0)
    {
        return ngx_decode_base64(text, &in);
    }

    /* URL-encoded, "+" for space */
    for (src = in.data, dst = text->data; src < in.data + in.len; src++) {
        *dst++ = (*src == '+') ? ' ' : *src;
    }

    in.data = text->data;
    in.len = dst - text->data;
    src = in.data;
    dst = text->data;
    ngx_unescape_uri(&dst, &src, in.len, 0);
    text->len = dst - text->data;

    return NGX_OK;
}


static json_t *
ngx_mobility_ucwa_im_date(uint64_t ms)
{
    u_char  buf[64];

    ngx_snprintf(buf, sizeof(buf) - 1, "/Date(%uL)/%Z", ms);

    return json_string((const char *) buf);
}


/*
 * The message formats negotiated in a connected conversation: Plain, and
 * Html when the policy allows HTML (mobility_ucwa_html_messaging, the
 * client policy's htmlMessaging) and both participants' applications (the
 * inviting and the accepting one) declared Html in supportedMessageFormats.
 */
static ngx_uint_t
ngx_mobility_ucwa_im_formats(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c)
{
    ngx_int_t                 rc;
    ngx_str_t                 s;
    ngx_uint_t                i, formats;
    ngx_mobility_bytes_t     *id;
    ngx_mobility_ucwa_app_t   app;

    formats = NGX_MOBILITY_UCWA_FMT_PLAIN;

    if (!tx->umcf->html_messaging
        || c->state != NGX_MOBILITY_CONV_CONNECTED)
    {
        return formats;
    }

    for (i = 0; i < 2; i++) {
        id = (i == 0) ? &c->from_app : &c->to_app;

        if (id->len == 0) {
            return formats;
        }

        s.data = (u_char *) id->data;
        s.len = id->len;

        rc = ngx_mobility_ucwa_app_get(tx, &s, &app);

        if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)
            || !(app.formats & NGX_MOBILITY_UCWA_FMT_HTML))
        {
            return formats;
        }
    }

    return formats | NGX_MOBILITY_UCWA_FMT_HTML;
}


/* ------------------------------------------------------------------ */
/* representations                                                    */


static json_t *
ngx_mobility_ucwa_im_participant_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, const char *sip)
{
    json_t      *obj, *links;
    size_t       len;
    ngx_str_t    prefix;
    ngx_uint_t   local;

    local = (ngx_strcmp(sip, ngx_mobility_ucwa_im_local(app, c)) == 0);
    len = ngx_strlen(sip);

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    ngx_mobility_ucwa_participant_identity(tx, obj, (const u_char *) sip,
                                           len, NULL);
    json_object_set_new(obj, "_links", links);

    ngx_mobility_ucwa_participant_links(tx->pool, links, &prefix, c,
                                        (const u_char *) sip, len, local, 0);

    json_object_set_new(obj, "rel",
                        json_string(local ? "localParticipant"
                                          : "participant"));

    return obj;
}


static json_t *
ngx_mobility_ucwa_im_invitation_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                  *obj, *links, *from;
    ngx_str_t                prefix;
    ngx_uint_t               out;
    const char              *state;
    ngx_mobility_conv_t     *c;
    ngx_mobility_ucwa_im_t  *im;

    im = data;
    c = im->conv;
    out = ngx_mobility_ucwa_im_outgoing(app, c);

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    switch (c->state) {
    case NGX_MOBILITY_CONV_CONNECTING:
        state = "Connecting";
        break;
    case NGX_MOBILITY_CONV_CONNECTED:
    case NGX_MOBILITY_CONV_TERMINATED:
        state = "Connected";
        break;
    default:
        state = "Failed";
    }

    json_object_set_new(obj, "direction",
                        json_string(out ? "Outgoing" : "Incoming"));
    json_object_set_new(obj, "importance",
                        ngx_mobility_ucwa_importance_json(c));
    json_object_set_new(obj, "threadId",
                        ngx_mobility_ucwa_json_bytes(&c->thread_id));
    json_object_set_new(obj, "state", json_string(state));
    json_object_set_new(obj, "subject",
                        ngx_mobility_ucwa_json_bytes(&c->subject));

    if (out && c->operation_id.len) {
        json_object_set_new(obj, "operationId",
                            ngx_mobility_ucwa_json_bytes(&c->operation_id));
    }

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  im_inv(tx->pool, c, ""));

    if (out) {
        (void) ngx_mobility_ucwa_link(links, "from", &prefix,
                                      im_part(tx->pool, c, c->from.data,
                                              ""));
        (void) ngx_mobility_ucwa_link(links, "to", &prefix,
                                      ngx_mobility_ucwa_people_path(tx->pool,
                                          "/people/", &c->to, ""));
    } else {
        (void) ngx_mobility_ucwa_link(links, "to", &prefix,
                                      im_part(tx->pool, c, c->to.data, ""));
    }

    if (c->state == NGX_MOBILITY_CONV_CONNECTING) {
        if (out) {
            (void) ngx_mobility_ucwa_link(links, "cancel", &prefix,
                                          im_conv(tx->pool, c,
                                                  "/messaging/terminate"));
        } else {
            (void) ngx_mobility_ucwa_link(links, "accept", &prefix,
                                          im_inv(tx->pool, c, "/accept"));
            (void) ngx_mobility_ucwa_link(links, "decline", &prefix,
                                          im_inv(tx->pool, c, "/decline"));
        }
    }

    (void) ngx_mobility_ucwa_link(links, "conversation", &prefix,
                                  im_conv(tx->pool, c, ""));
    (void) ngx_mobility_ucwa_link(links, "messaging", &prefix,
                                  im_conv(tx->pool, c, "/messaging"));

    if (!out && c->message.len) {
        json_t  *m = json_object();

        if (m) {
            json_object_set_new(m, "href",
                                ngx_mobility_ucwa_text_data_uri(tx->pool,
                                                                &c->message));
            json_object_set_new(links, "message", m);
        }
    }

    if (!out) {
        from = ngx_mobility_ucwa_im_participant_json(tx, app, c,
                                              (const char *) c->from.data);
        ngx_mobility_ucwa_embed(obj, "from", from);
    }

    json_object_set_new(obj, "rel", json_string("messagingInvitation"));

    return obj;
}


static json_t *
ngx_mobility_ucwa_im_conversation_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                  *obj, *links, *mods;
    ngx_str_t                prefix;
    const char              *state;
    ngx_mobility_conv_t     *c;
    ngx_mobility_ucwa_im_t  *im;

    im = data;
    c = im->conv;

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         &mods);
    if (obj == NULL) {
        return NULL;
    }

    switch (c->state) {
    case NGX_MOBILITY_CONV_CONNECTING:
        state = ngx_mobility_ucwa_im_outgoing(app, c) ? "Connecting"
                                                      : "Incoming";
        break;
    case NGX_MOBILITY_CONV_CONNECTED:
        state = "Connected";
        json_array_append_new(mods, json_string("Messaging"));
        break;
    default:
        state = "Disconnected";
    }

    ngx_mobility_ucwa_conversation_fields(obj, c, state, mods);
    json_object_set_new(obj, "recording", json_false());
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  im_conv(tx->pool, c, ""));
    (void) ngx_mobility_ucwa_link(links, "localParticipant", &prefix,
                                  im_part(tx->pool, c,
                                          ngx_mobility_ucwa_im_local(app, c),
                                          ""));
    (void) ngx_mobility_ucwa_link(links, "messaging", &prefix,
                                  im_conv(tx->pool, c, "/messaging"));
    (void) ngx_mobility_ucwa_link(links, "participants", &prefix,
                                  im_conv(tx->pool, c, "/participants"));

    if (c->state == NGX_MOBILITY_CONV_CONNECTED) {
        ngx_mobility_ucwa_add_participant_link(tx->pool, links, &prefix, c);
    }

    json_object_set_new(obj, "rel", json_string("conversation"));

    return obj;
}


static json_t *
ngx_mobility_ucwa_im_messaging_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_uint_t               connected;
    ngx_mobility_conv_t     *c;
    ngx_mobility_ucwa_im_t  *im;

    im = data;
    c = im->conv;
    connected = (c->state == NGX_MOBILITY_CONV_CONNECTED);

    return ngx_mobility_ucwa_messaging_json(tx, app, c,
               c->state == NGX_MOBILITY_CONV_CONNECTING ? "Connecting"
               : connected ? "Connected" : "Disconnected",
               connected,
               connected && (ngx_mobility_ucwa_im_formats(tx, c)
                             & NGX_MOBILITY_UCWA_FMT_HTML),
               c->state <= NGX_MOBILITY_CONV_CONNECTED);
}


static json_t *
ngx_mobility_ucwa_im_participant_embed(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_im_t  *im = data;

    return ngx_mobility_ucwa_im_participant_json(tx, app, im->conv, im->sip);
}


static json_t *
ngx_mobility_ucwa_im_message_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t                  *obj, *links, *l;
    ngx_str_t                prefix;
    ngx_uint_t               out;
    const char              *from;
    ngx_mobility_conv_t     *c;
    ngx_mobility_ucwa_im_t  *im;
    ngx_mobility_user_t      u;
    ngx_mobility_bytes_t     sender;

    im = data;
    c = im->conv;
    from = im->sip;
    sender.data = (const u_char *) from;
    sender.len = ngx_strlen(from);
    out = (app->owner.len == sender.len
           && ngx_strncmp(app->owner.data, from, app->owner.len) == 0);

    obj = ngx_mobility_ucwa_resource_new(tx->pool, app, &prefix, &links,
                                         NULL);
    if (obj == NULL) {
        return NULL;
    }

    json_object_set_new(obj, "direction",
                        json_string(out ? "Outgoing" : "Incoming"));
    json_object_set_new(obj, "timeStamp",
                        ngx_mobility_ucwa_im_date(im->msg->time));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  ngx_mobility_ucwa_conv_message_path(
                                      tx->pool, c, im->msg->seq));

    if (!out) {
        (void) ngx_mobility_ucwa_link(links, "contact", &prefix,
                                      ngx_mobility_ucwa_people_path(tx->pool,
                                          "/people/", &sender, ""));
        (void) ngx_mobility_ucwa_link(links, "participant", &prefix,
                                      im_part(tx->pool, c, from, ""));

        l = json_object_get(links, "participant");

        if (l
            && ngx_mobility_user_get(tx->st, tx->txn, sender.data,
                                     sender.len, &u)
               == NGX_MOBILITY_OK
            && u.name.len)
        {
            json_object_set_new(l, "title",
                                ngx_mobility_ucwa_json_bytes(&u.name));
        }
    }

    (void) ngx_mobility_ucwa_link(links, "messaging", &prefix,
                                  im_conv(tx->pool, c, "/messaging"));

    if (!out) {
        l = json_object();

        if (l && im->msg->format == NGX_MOBILITY_CONV_MSG_HTML) {
            json_object_set_new(l, "href",
                                ngx_mobility_ucwa_html_data_uri(tx->pool,
                                                        &im->msg->text));
            json_object_set_new(links, "htmlMessage", l);

        } else if (l) {
            json_object_set_new(l, "href",
                                ngx_mobility_ucwa_text_data_uri(tx->pool,
                                                        &im->msg->text));
            json_object_set_new(links, "plainMessage", l);
        }
    }

    json_object_set_new(obj, "rel", json_string("message"));

    return obj;
}


/* ------------------------------------------------------------------ */
/* events                                                             */


/* what groups the pushes of a conversation: its threadId, else its id */
static void
ngx_mobility_ucwa_im_thread(ngx_mobility_conv_t *c, ngx_str_t *thread)
{
    if (c->thread_id.len) {
        thread->data = (u_char *) c->thread_id.data;
        thread->len = c->thread_id.len;

    } else {
        thread->data = (u_char *) c->id.data;
        thread->len = c->id.len;
    }
}


/*
 * One event about conversation c to one application (app) or to every
 * available application of user sip (app NULL).
 */
static ngx_int_t
ngx_mobility_ucwa_im_event(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *sip, ngx_mobility_ucwa_im_t *im,
    ngx_mobility_ucwa_conv_what_e what, const char *type, const char *status,
    const char *reason)
{
    ngx_str_t                  thread;
    ngx_mobility_bytes_t       who;
    ngx_mobility_conv_t       *c;
    ngx_mobility_ucwa_event_t  ev;

    c = im->conv;

    ngx_mobility_ucwa_conv_event_init(&ev, type, im, status, reason);

    switch (what) {

    case EV_INVITATION:
        ev.sender_rel = "communication";
        ev.sender_path = "/communication";
        ev.rel = "messagingInvitation";
        ev.path = im_inv(tx->pool, c, "");
        ev.embed = ngx_mobility_ucwa_im_invitation_json;

        if (app == NULL && ngx_strcmp(type, "started") == 0) {
            /* pushable: the recipient's incoming invitation */
            ev.push.kind = NGX_MOBILITY_PUSH_IM;
            ev.push.sender.data = (u_char *) c->from.data;
            ev.push.sender.len = c->from.len;
            ev.push.preview.data = (u_char *) c->message.data;
            ev.push.preview.len = c->message.len;
            ngx_mobility_ucwa_im_thread(c, &ev.push.thread);
        }

        break;

    case EV_CONVERSATION:
        if (ngx_strcmp(type, "deleted") != 0) {
            ev.embed = ngx_mobility_ucwa_im_conversation_json;
        }
        break;

    case EV_LOCAL_PARTICIPANT:
    case EV_PARTICIPANT:
        ev.embed = ngx_mobility_ucwa_im_participant_embed;
        break;

    case EV_MESSAGING:
        ev.embed = ngx_mobility_ucwa_im_messaging_json;
        break;

    case EV_MESSAGE:
        ev.embed = ngx_mobility_ucwa_im_message_json;
        ngx_mobility_ucwa_im_thread(c, &thread);
        ngx_mobility_ucwa_message_push(&ev, app, im->msg, &thread);
        break;

    default:
        break;
    }

    who.data = (const u_char *) im->sip;
    who.len = im->sip ? ngx_strlen(im->sip) : 0;

    if (ngx_mobility_ucwa_conv_event_at(tx->pool, &ev, c, what, &who,
                                        im->msg)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_conv_event_send(tx, &ev, app, sip, im->exclude);
}


/* loads one side's application; NGX_DECLINED if it is gone */
ngx_int_t
ngx_mobility_ucwa_im_app(ngx_mobility_ucwa_tx_t *tx, ngx_mobility_bytes_t *id,
    ngx_mobility_ucwa_app_t *app)
{
    ngx_int_t  rc;
    ngx_str_t  s;

    if (id->len == 0) {
        return NGX_DECLINED;
    }

    s.data = (u_char *) id->data;
    s.len = id->len;

    rc = ngx_mobility_ucwa_app_get(tx, &s, app);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK || (app->flags & NGX_MOBILITY_UCWA_APP_EXPIRED)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the events of one side once the invitation is accepted (spec §7.2 2.) */
static ngx_int_t
ngx_mobility_ucwa_im_connected(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    ngx_mobility_ucwa_im_t  im, remote, local;

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;
    remote = im;
    remote.sip = ngx_mobility_ucwa_im_remote(app, c);
    local = im;
    local.sip = ngx_mobility_ucwa_im_local(app, c);

    if (ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_CONVERSATION,
                                   "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &remote, EV_PARTICIPANT,
                                      "added", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &remote,
                                      EV_PARTICIPANT_MESSAGING, "added",
                                      NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &local,
                                      EV_PARTICIPANT_MESSAGING, "added",
                                      NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_MESSAGING,
                                      "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_INVITATION,
                                      "completed", "Success", NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the invitation failed or the conversation ended: one side's events */
static ngx_int_t
ngx_mobility_ucwa_im_ended(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *sip, ngx_mobility_conv_t *c,
    ngx_uint_t invitation, const char *reason)
{
    ngx_mobility_ucwa_im_t  im;

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;

    if (invitation
        && ngx_mobility_ucwa_im_event(tx, app, sip, &im, EV_INVITATION,
                                      "completed", "Failure", reason)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_im_event(tx, app, sip, &im, EV_MESSAGING,
                                   "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, sip, &im, EV_CONVERSATION,
                                      "deleted", NULL, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * One of the recipient's applications accepted: the others see their copy
 * of the invitation end as if the inviter had canceled it (SIP CANCEL,
 * "call completed elsewhere", RFC 3326; the UCWA reference names no
 * subcode of its own), rendered as Failed/Disconnected for them.
 */
static ngx_int_t
ngx_mobility_ucwa_im_elsewhere(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    ngx_str_t                to;
    ngx_mobility_conv_t      gone;
    ngx_mobility_ucwa_im_t   im;

    gone = *c;
    gone.state = NGX_MOBILITY_CONV_FAILED;

    to.data = (u_char *) c->to.data;
    to.len = c->to.len;

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = &gone;
    im.exclude = &app->id;

    if (ngx_mobility_ucwa_im_event(tx, NULL, &to, &im, EV_INVITATION,
                                   "completed", "Failure", "Canceled")
        != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, NULL, &to, &im, EV_MESSAGING,
                                      "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, NULL, &to, &im, EV_CONVERSATION,
                                      "deleted", NULL, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The recipient missed conversation c: record it, tell the recipient's
 * applications, and push to the endpoints that are not listening.
 */
static ngx_int_t
ngx_mobility_ucwa_im_missed(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c)
{
    ngx_str_t                 to;
    ngx_mobility_ucwa_push_t  push;

    if (ngx_mobility_ucwa_missed_add(tx, c, &c->to, &c->from, &c->message)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    to.data = (u_char *) c->to.data;
    to.len = c->to.len;

    ngx_memzero(&push, sizeof(ngx_mobility_ucwa_push_t));

    push.kind = NGX_MOBILITY_PUSH_MISSED;
    push.sender.data = (u_char *) c->from.data;
    push.sender.len = c->from.len;
    push.preview.data = (u_char *) c->message.data;
    push.preview.len = c->message.len;
    ngx_mobility_ucwa_im_thread(c, &push.thread);

    return ngx_mobility_ucwa_push_user(tx, &to, &push);
}


/* side ('f' inviter, 't' invitee) starts or stops typing: tell the other */
static ngx_int_t
ngx_mobility_ucwa_im_typing_event(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_conv_t *c, int side, const char *type)
{
    ngx_int_t                 rc;
    ngx_mobility_ucwa_im_t    im;
    ngx_mobility_ucwa_app_t   other;

    rc = ngx_mobility_ucwa_im_app(tx, (side == 'f') ? &c->to_app
                                                    : &c->from_app, &other);
    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
    }

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;
    im.sip = (side == 'f') ? (const char *) c->from.data
                           : (const char *) c->to.data;

    return ngx_mobility_ucwa_im_event(tx, &other, NULL, &im, EV_TYPING, type,
                                      NULL, NULL);
}


/* typing that was not renewed in time ends */
static void
ngx_mobility_ucwa_im_typing_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    int                    n, side;
    u_char                 id[NGX_MOBILITY_CONV_ID_MAX];
    uint64_t               due, next;
    ngx_int_t              rc;
    ngx_str_t              s;
    ngx_uint_t             i;
    ngx_mobility_conv_t    c;

    next = 0;

    for (i = 0; i < limit; i++) {
        n = ngx_mobility_conv_next_typing(tx->st, tx->txn, tx->now, id, &side,
                                          &due);
        if (n <= 0) {
            next = (n == 0) ? due : 0;
            break;
        }

        if (ngx_mobility_ucwa_due_id(tx, id, n, &s) != NGX_OK) {
            break;
        }

        rc = ngx_mobility_ucwa_conv_read(tx, &s, &c);

        if (rc == NGX_ERROR) {
            break;
        }

        if (rc == NGX_DECLINED
            || due != ((side == 'f') ? c.typing_from : c.typing_to))
        {
            if (ngx_mobility_conv_typing_del(tx->st, tx->txn, s.data, s.len,
                                             side, due)
                != NGX_MOBILITY_OK)
            {
                break;
            }

            continue;
        }

        if (ngx_mobility_conv_typing(tx->st, tx->txn, &c, side, 0)
            != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_im_put(tx, &c) != NGX_OK)
        {
            break;
        }

        if (c.state == NGX_MOBILITY_CONV_CONNECTED
            && ngx_mobility_ucwa_im_typing_event(tx, &c, side, "deleted")
               != NGX_OK)
        {
            break;
        }
    }

    ngx_mobility_ucwa_due_next(tx, next, i == limit);
}


/*
 * Invitations nobody answered before their deadline (timer of the worker
 * that created them, and the sweep of worker 0): the inviter's invitation
 * completes with Failure/Timeout, the recipient's applications see theirs
 * completed and the conversation deleted, and the recipient gets a missed
 * conversation.
 */
void
ngx_mobility_ucwa_im_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    int                       n;
    u_char                    id[NGX_MOBILITY_CONV_ID_MAX];
    uint64_t                  due, next;
    ngx_int_t                 rc;
    ngx_str_t                 s, to;
    ngx_uint_t                i;
    ngx_mobility_conv_t       c;
    ngx_mobility_ucwa_app_t   from;

    next = 0;

    for (i = 0; i < limit; i++) {
        n = ngx_mobility_conv_next_due(tx->st, tx->txn, tx->now, id, &due);

        if (n <= 0) {
            next = (n == 0) ? due : 0;
            break;
        }

        if (ngx_mobility_ucwa_due_id(tx, id, n, &s) != NGX_OK) {
            break;
        }

        rc = ngx_mobility_ucwa_conv_read(tx, &s, &c);

        if (rc == NGX_ERROR) {
            break;
        }

        if (rc == NGX_DECLINED || c.state != NGX_MOBILITY_CONV_CONNECTING
            || c.deadline != due)
        {
            /* a stale key */
            if (ngx_mobility_conv_due_del(tx->st, tx->txn, s.data, s.len, due)
                != NGX_MOBILITY_OK)
            {
                break;
            }

            continue;
        }

        c.state = NGX_MOBILITY_CONV_FAILED;
        c.reason.data = (u_char *) "Timeout";
        c.reason.len = sizeof("Timeout") - 1;
        c.ended = tx->now;

        if (ngx_mobility_ucwa_im_put(tx, &c) != NGX_OK) {
            break;
        }

        rc = ngx_mobility_ucwa_im_app(tx, &c.from_app, &from);

        if (rc == NGX_ERROR) {
            break;
        }

        to.data = (u_char *) c.to.data;
        to.len = c.to.len;

        if ((rc == NGX_OK
             && ngx_mobility_ucwa_im_ended(tx, &from, NULL, &c, 1, "Timeout")
                != NGX_OK)
            || ngx_mobility_ucwa_im_ended(tx, NULL, &to, &c, 1, "Timeout")
               != NGX_OK
            || ngx_mobility_ucwa_im_missed(tx, &c) != NGX_OK)
        {
            break;
        }

        ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                      "mobility ucwa: invitation %V from \"%s\" to \"%s\" "
                      "not answered", &s, c.from.data, c.to.data);
    }

    /* more to do: come back at once */
    ngx_mobility_ucwa_due_next(tx, next, i == limit);

    ngx_mobility_ucwa_im_typing_due(tx, limit);
}


/* ------------------------------------------------------------------ */
/* operations                                                         */


typedef struct {
    ngx_mobility_ucwa_tx_t   *tx;
    ngx_mobility_bytes_t     *thread;
    ngx_int_t                 found;     /* 1, or NGX_ERROR */
} ngx_mobility_ucwa_th_t;


/* a conversation in progress: has it the thread? */
static int
ngx_mobility_ucwa_im_thread_each(void *data, const u_char *id, size_t len)
{
    int                      rc;
    ngx_mobility_conv_t      c;
    ngx_mobility_ucwa_th_t  *th = data;

    rc = ngx_mobility_conv_get(th->tx->st, th->tx->txn, id, len, &c);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        return 0;
    }

    if (rc != NGX_MOBILITY_OK) {
        th->found = NGX_ERROR;
        return 1;
    }

    if (c.state <= NGX_MOBILITY_CONV_CONNECTED
        && c.thread_id.len == th->thread->len
        && ngx_memcmp(c.thread_id.data, th->thread->data, c.thread_id.len)
           == 0)
    {
        th->found = 1;
        return 1;
    }

    return 0;
}


/* a data URI of text/plain (or of no type, RFC 2397's default) */
static ngx_uint_t
ngx_mobility_ucwa_im_data_plain(ngx_str_t *uri)
{
    u_char  *p, *end;

    if (uri->len < 5 || ngx_strncasecmp(uri->data, (u_char *) "data:", 5)) {
        return 1;    /* not a data URI: the decoder rejects it */
    }

    p = uri->data + 5;
    end = uri->data + uri->len;

    if (p == end || *p == ',' || *p == ';') {
        return 1;
    }

    return (size_t) (end - p) >= sizeof("text/plain") - 1
           && ngx_strncasecmp(p, (u_char *) "text/plain",
                              sizeof("text/plain") - 1) == 0
           && (p + sizeof("text/plain") - 1 == end
               || p[sizeof("text/plain") - 1] == ';'
               || p[sizeof("text/plain") - 1] == ',');
}


static ngx_int_t
ngx_mobility_ucwa_im_start(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    int                       n;
    u_char                    sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t                   *links, *msg, *href;
    ngx_int_t                 rc;
    ngx_str_t                 uri, text, invitee;
    ngx_uint_t                u_exists;
    const char               *reason, *err;
    ngx_mobility_conv_t       c;
    ngx_mobility_ucwa_im_t    im, local;
    ngx_mobility_ucwa_th_t    th;

    if (app->anonymous) {
        return ngx_mobility_ucwa_anonymous_refused(rq, rs,
                                           "An anonymous user cannot start "
                                           "a conversation.");
    }

    n = ngx_mobility_ucwa_invitee_input(rq, rs, app, 0, sip,
                                        "One cannot message oneself.", &rc);
    if (n == 0) {
        return rc;
    }

    ngx_memzero(&c, sizeof(ngx_mobility_conv_t));

    err = ngx_mobility_ucwa_conv_inputs(rq, &c, &c.operation_id, 0);
    if (err) {
        return ngx_mobility_ucwa_bad(rq, rs, err);
    }

    /* the first message: _links.message.href, a data URI */
    links = ngx_mobility_ucwa_input(rq, "_links");
    msg = json_is_object(links) ? json_object_get(links, "message") : NULL;
    href = json_is_object(msg) ? json_object_get(msg, "href") : NULL;

    if (json_is_string(href)) {
        uri.data = (u_char *) json_string_value(href);
        uri.len = json_string_length(href);

        if (!ngx_mobility_ucwa_im_data_plain(&uri)) {
            /* nothing is negotiated before the invitation is accepted */
            return ngx_mobility_ucwa_bad_param(rq, rs, "message",
                                               "The first message must be "
                                               "text/plain.");
        }

        if (ngx_mobility_ucwa_im_data_decode(rq->pool, &uri, &text) != NGX_OK
            || text.len > NGX_MOBILITY_CONV_TEXT_MAX)
        {
            return ngx_mobility_ucwa_bad(rq, rs, "Invalid message.");
        }

        c.message.data = text.data;
        c.message.len = text.len;
    }

    /* a conversation of the user in progress has this thread already */
    if (c.thread_id.len) {
        th.thread = &c.thread_id;
        th.tx = tx;
        th.found = 0;

        if (ngx_mobility_conv_active_each(tx->st, tx->txn, app->owner.data,
                                          app->owner.len,
                                          ngx_mobility_ucwa_im_thread_each,
                                          &th)
            != NGX_MOBILITY_OK
            || th.found == NGX_ERROR)
        {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        if (th.found) {
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                           "Conflict",
                                           "ThreadIdAlreadyExists",
                                           "A conversation with this "
                                           "threadId is in progress.");
        }
    }

    if (ngx_mobility_ucwa_conv_init(rq->pool, tx, app, &c,
                                    NGX_MOBILITY_CONV_CONNECTING)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    c.to.data = sip;
    c.to.len = n;

    /* is the recipient there, and available for messaging? */
    invitee.data = sip;
    invitee.len = n;

    rc = ngx_mobility_ucwa_invitee(tx, &invitee, &reason);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    u_exists = (rc == NGX_OK);

    if (reason) {
        c.state = NGX_MOBILITY_CONV_FAILED;
        c.reason.data = (u_char *) reason;
        c.reason.len = ngx_strlen(reason);
        c.ended = tx->now;

    } else {
        c.deadline = tx->now
                     + (uint64_t) tx->umcf->invitation_timeout * 1000;

        if (tx->due == 0 || c.deadline < tx->due) {
            tx->due = c.deadline;
        }
    }

    if (ngx_mobility_ucwa_im_put(tx, &c) != NGX_OK) {
        return NGX_ERROR;
    }

    /* NUL-terminated copies for the renderings */
    if (ngx_mobility_ucwa_bytes_dup(rq->pool, &c.id) != NGX_OK
        || ngx_mobility_ucwa_bytes_dup(rq->pool, &c.from) != NGX_OK
        || ngx_mobility_ucwa_bytes_dup(rq->pool, &c.to) != NGX_OK
        || ngx_mobility_ucwa_bytes_dup(rq->pool, &c.thread_id) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* sender: §7.2 step 1, in the Connecting state */
    c.state = NGX_MOBILITY_CONV_CONNECTING;

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = &c;
    local = im;
    local.sip = (const char *) c.from.data;

    if (ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_INVITATION,
                                   "started", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_CONVERSATION,
                                      "added", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &local,
                                      EV_LOCAL_PARTICIPANT, "added", NULL,
                                      NULL) != NGX_OK
        || ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_MESSAGING,
                                      "updated", NULL, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (reason) {
        c.state = NGX_MOBILITY_CONV_FAILED;

        if (ngx_mobility_ucwa_im_ended(tx, app, NULL, &c, 1, reason)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* a user who exists but is offline misses the conversation */
        if (u_exists
            && (ngx_mobility_ucwa_bytes_dup(rq->pool, &c.subject) != NGX_OK
                || ngx_mobility_ucwa_bytes_dup(rq->pool, &c.importance)
                   != NGX_OK
                || ngx_mobility_ucwa_im_missed(tx, &c) != NGX_OK))
        {
            return NGX_ERROR;
        }

    } else {
        ngx_str_t  s;

        /* recipient: §7.4, every available application */
        s.data = (u_char *) c.to.data;
        s.len = c.to.len;

        if (ngx_mobility_ucwa_im_event(tx, NULL, &s, &im, EV_INVITATION,
                                       "started", NULL, NULL) != NGX_OK
            || ngx_mobility_ucwa_im_event(tx, NULL, &s, &im, EV_CONVERSATION,
                                          "added", NULL, NULL) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_set_location(rq, rs, app,
                                       im_inv(rq->pool, &c, ""))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED,
               ngx_mobility_ucwa_im_invitation_json(tx, app, &im));
}


static ngx_int_t
ngx_mobility_ucwa_im_answer(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, ngx_uint_t accept)
{
    ngx_int_t                 rc;
    ngx_mobility_ucwa_app_t   from;
    ngx_mobility_ucwa_im_t    im;

    if (ngx_mobility_ucwa_im_outgoing(app, c)) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (c->state != NGX_MOBILITY_CONV_CONNECTING) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "InvalidState",
                                       "The invitation is not pending.");
    }

    rc = ngx_mobility_ucwa_im_app(tx, &c->from_app, &from);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;

    if (!accept) {
        c->state = NGX_MOBILITY_CONV_FAILED;
        c->reason.data = (u_char *) "Declined";
        c->reason.len = sizeof("Declined") - 1;

        if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK
            && ngx_mobility_ucwa_im_ended(tx, &from, NULL, c, 1, "Declined")
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (ngx_mobility_ucwa_im_ended(tx, app, NULL, c, 1, "Declined")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        /* the inviter has gone */
        c->state = NGX_MOBILITY_CONV_FAILED;

        if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK
            || ngx_mobility_ucwa_im_ended(tx, app, NULL, c, 1, "Canceled")
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "InvalidState",
                                       "The inviter is gone.");
    }

    c->state = NGX_MOBILITY_CONV_CONNECTED;
    c->to_app.data = app->id.data;
    c->to_app.len = app->id.len;

    if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK) {
        return NGX_ERROR;
    }

    /* recipient: the invitation loses accept/decline, then connected */
    if (ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_INVITATION,
                                   "updated", NULL, NULL) != NGX_OK
        || ngx_mobility_ucwa_im_connected(tx, &from, c) != NGX_OK
        || ngx_mobility_ucwa_im_connected(tx, app, c) != NGX_OK
        || ngx_mobility_ucwa_im_elsewhere(tx, app, c) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/*
 * The format of a message body by its Content-Type: text/plain (or none)
 * is plain, text/html is HTML (parameters such as charset are allowed);
 * NGX_ERROR for any other type.
 */
static ngx_int_t
ngx_mobility_ucwa_im_content_type(ngx_str_t *ct)
{
    size_t  n;

    for (n = 0; n < ct->len && ct->data[n] != ';' && ct->data[n] != ' '
                && ct->data[n] != '\t'; n++)
    {
        /* void */
    }

    if (n == 0) {
        return NGX_MOBILITY_CONV_MSG_PLAIN;
    }

    if (n == sizeof("text/plain") - 1
        && ngx_strncasecmp(ct->data, (u_char *) "text/plain", n) == 0)
    {
        return NGX_MOBILITY_CONV_MSG_PLAIN;
    }

    if (n == sizeof("text/html") - 1
        && ngx_strncasecmp(ct->data, (u_char *) "text/html", n) == 0)
    {
        return NGX_MOBILITY_CONV_MSG_HTML;
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_mobility_ucwa_im_send(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    ngx_int_t                 rc, format;
    ngx_mobility_ucwa_app_t   other;
    ngx_mobility_conv_msg_t   m;
    ngx_mobility_ucwa_im_t    im;

    if (c->state != NGX_MOBILITY_CONV_CONNECTED) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "InvalidState",
                                       "The conversation is not connected.");
    }

    format = ngx_mobility_ucwa_im_content_type(&rq->content_type);

    if (format == NGX_ERROR) {
        return ngx_mobility_ucwa_error(rq, rs,
                                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                       "UnsupportedMediaType",
                                       "UnsupportedMediaType",
                                       "A message is text/plain, or "
                                       "text/html where HTML was "
                                       "negotiated.");
    }

    if (format == NGX_MOBILITY_CONV_MSG_HTML) {
        if (!rq->umcf->html_messaging) {
            return ngx_mobility_ucwa_error(rq, rs,
                                           NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                           "UnsupportedMediaType",
                                           "UnsupportedMediaType",
                                           "HTML messages are disabled by "
                                           "policy (htmlMessaging).");
        }

        if (!(ngx_mobility_ucwa_im_formats(tx, c)
              & NGX_MOBILITY_UCWA_FMT_HTML))
        {
            return ngx_mobility_ucwa_error(rq, rs,
                                           NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                           "UnsupportedMediaType",
                                           "UnsupportedMediaType",
                                           "HTML was not negotiated in this "
                                           "conversation "
                                           "(negotiatedMessageFormats).");
        }
    }

    if (!ngx_mobility_ucwa_message_body_ok(rq, rs, &rc)) {
        return rc;
    }

    if (ngx_mobility_ucwa_message_add(rq, tx, app, c, format, &m) != NGX_OK
        || ngx_mobility_ucwa_im_put(tx, c) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;
    im.msg = &m;
    im.sip = ngx_mobility_ucwa_im_local(app, c);

    if (ngx_mobility_ucwa_im_event(tx, app, NULL, &im, EV_MESSAGE,
                                   "completed", "Success", NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_im_app(tx, ngx_mobility_ucwa_im_outgoing(app, c)
                                      ? &c->to_app : &c->from_app, &other);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && ngx_mobility_ucwa_im_event(tx, &other, NULL, &im, EV_MESSAGE,
                                      "completed", "Success", NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_message_created(rq, rs, app, c, &m);
}


/* GET of a message of the conversation (message_ref): a numbered one */
static ngx_int_t
ngx_mobility_ucwa_im_message_get(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c, ngx_str_t *seg)
{
    int                       rc;
    json_t                   *obj;
    ngx_int_t                 seq;
    ngx_mobility_conv_msg_t   m;
    ngx_mobility_ucwa_im_t    im;

    seq = ngx_atoi(seg->data, seg->len);

    if (seq < 1) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    rc = ngx_mobility_conv_msg_get(tx->st, tx->txn, c->id.data, c->id.len,
                                   (uint64_t) seq, &m);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    if (rc != NGX_MOBILITY_OK
        || ngx_mobility_ucwa_bytes_dup(rq->pool, &m.from) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;
    im.msg = &m;
    im.sip = (const char *) m.from.data;

    obj = ngx_mobility_ucwa_im_message_json(tx, app, &im);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    /* it was delivered: the recipient's application had it at once */
    json_object_set_new(obj, "status", json_string("Success"));

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* setIsTyping: typing shows for NGX_MOBILITY_UCWA_TYPING_MS after it */
static ngx_int_t
ngx_mobility_ucwa_im_typing(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    int       side;
    uint64_t  until, was;

    if (c->state != NGX_MOBILITY_CONV_CONNECTED) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "InvalidState",
                                       "The conversation is not connected.");
    }

    side = ngx_mobility_ucwa_im_outgoing(app, c) ? 'f' : 't';
    was = (side == 'f') ? c->typing_from : c->typing_to;
    until = tx->now + NGX_MOBILITY_UCWA_TYPING_MS;

    if (ngx_mobility_conv_typing(tx->st, tx->txn, c, side, until)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK) {
        return NGX_ERROR;
    }

    if ((was == 0 || was <= tx->now)
        && ngx_mobility_ucwa_im_typing_event(tx, c, side, "added") != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_due_next(tx, until, 0);

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_im_stop(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    ngx_int_t                 rc;
    ngx_str_t                 to;
    ngx_uint_t                was;
    ngx_mobility_ucwa_app_t   other;

    if (c->state > NGX_MOBILITY_CONV_CONNECTED) {
        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    was = c->state;

    if (was == NGX_MOBILITY_CONV_CONNECTING) {
        if (!ngx_mobility_ucwa_im_outgoing(app, c)) {
            /* the recipient declines by stopping */
            return ngx_mobility_ucwa_im_answer(rq, rs, tx, app, c, 0);
        }

        /* the inviter cancels */
        c->state = NGX_MOBILITY_CONV_FAILED;
        c->reason.data = (u_char *) "Canceled";
        c->reason.len = sizeof("Canceled") - 1;

    } else {
        c->state = NGX_MOBILITY_CONV_TERMINATED;
    }

    if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_im_ended(tx, app, NULL, c,
                                   was == NGX_MOBILITY_CONV_CONNECTING,
                                   "Canceled") != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (was == NGX_MOBILITY_CONV_CONNECTING) {
        to.data = (u_char *) c->to.data;
        to.len = c->to.len;

        if (ngx_mobility_ucwa_im_ended(tx, NULL, &to, c, 1, "Canceled")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else {
        rc = ngx_mobility_ucwa_im_app(tx,
                                      ngx_mobility_ucwa_im_outgoing(app, c)
                                      ? &c->to_app : &c->from_app, &other);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK
            && ngx_mobility_ucwa_im_ended(tx, &other, NULL, c, 0, NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


/*
 * DELETE of the conversation: the user leaves.  While Connecting it is
 * stopMessaging (the inviter cancels, the invitee declines).  Once
 * Connected the conversation ends: the leaver's application gets
 * "messaging updated" (Disconnected) and "conversation deleted"; the other
 * participant's application sees the leaver go first ("participant
 * deleted"), then the same two events.
 */
static ngx_int_t
ngx_mobility_ucwa_im_leave(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c)
{
    ngx_int_t                 rc;
    ngx_mobility_ucwa_im_t    im;
    ngx_mobility_ucwa_app_t   other;

    if (c->state != NGX_MOBILITY_CONV_CONNECTED) {
        /* pending: as stopMessaging; already over: nothing to do */
        return ngx_mobility_ucwa_im_stop(rq, rs, tx, app, c);
    }

    c->state = NGX_MOBILITY_CONV_TERMINATED;

    if (ngx_mobility_ucwa_im_put(tx, c) != NGX_OK
        || ngx_mobility_ucwa_im_ended(tx, app, NULL, c, 0, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_im_app(tx, ngx_mobility_ucwa_im_outgoing(app, c)
                                      ? &c->to_app : &c->from_app, &other);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
        im.conv = c;
        im.sip = ngx_mobility_ucwa_im_local(app, c);

        if (ngx_mobility_ucwa_im_event(tx, &other, NULL, &im, EV_PARTICIPANT,
                                       "deleted", NULL, NULL) != NGX_OK
            || ngx_mobility_ucwa_im_ended(tx, &other, NULL, c, 0, NULL)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    rs->status = NGX_HTTP_NO_CONTENT;
    return NGX_OK;
}


typedef struct {
    ngx_mobility_ucwa_tx_t   *tx;
    ngx_mobility_ucwa_app_t  *app;
    ngx_str_t                *prefix;
    json_t                   *list;
    ngx_uint_t                failed;
} ngx_mobility_ucwa_im_list_t;


static int
ngx_mobility_ucwa_im_list_each(void *data, const u_char *id, size_t len)
{
    json_t                       *link;
    ngx_str_t                     s;
    ngx_mobility_conv_t           c;
    ngx_mobility_ucwa_im_list_t  *ctx = data;

    s.data = (u_char *) id;
    s.len = len;

    if (ngx_mobility_ucwa_conv_read(ctx->tx, &s, &c) != NGX_OK
        || c.state > NGX_MOBILITY_CONV_CONNECTED
        || !ngx_mobility_ucwa_conf_member(ctx->tx, &c, ctx->app->owner.data,
                                          ctx->app->owner.len))
    {
        return 0;
    }

    link = json_object();

    if (link == NULL
        || json_object_set_new(link, "href",
                               ngx_mobility_ucwa_href(ctx->prefix,
                                   im_conv(ctx->tx->pool, &c, "")))
           != 0
        || json_array_append_new(ctx->list, link) != 0)
    {
        ctx->failed = 1;
        return 1;
    }

    return 0;
}


/* GET …/conversations[?filter=active]: the conversations in progress */
static ngx_int_t
ngx_mobility_ucwa_im_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    json_t                       *obj;
    ngx_str_t                     prefix, filter;
    ngx_mobility_ucwa_im_list_t   ctx;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "filter", &filter)
        == NGX_OK
        && !(filter.len == 6
             && ngx_strncasecmp(filter.data, (u_char *) "active", 6) == 0))
    {
        return ngx_mobility_ucwa_bad_param(rq, rs, "filter",
                                           "The only filter is 'active'.");
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&ctx, sizeof(ngx_mobility_ucwa_im_list_t));
    ctx.tx = tx;
    ctx.app = app;
    ctx.prefix = &prefix;

    obj = ngx_mobility_ucwa_collection(&prefix, "/communication/conversations",
                                       "conversation", "conversations",
                                       &ctx.list);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_conv_active_each(tx->st, tx->txn, app->owner.data,
                                      app->owner.len,
                                      ngx_mobility_ucwa_im_list_each, &ctx)
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


/* ------------------------------------------------------------------ */


ngx_int_t
ngx_mobility_ucwa_messaging(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    ngx_int_t                 rc;
    ngx_str_t                 rest, id, seg;
    ngx_uint_t                write, inv;
    ngx_mobility_conv_t       c;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;
    ngx_mobility_ucwa_im_t    im;
    json_t                   *obj;

    ngx_mobility_ucwa_comm_path(rq, &rest);

    inv = ngx_mobility_ucwa_path_eat(&rest, "/messagingInvitations");

    if (!inv && !ngx_mobility_ucwa_path_eat(&rest, "/conversations")) {
        return ngx_mobility_ucwa_not_found(rq, rs);
    }

    ngx_mobility_ucwa_path_segment(&rest, &id);

    write = (rq->method == NGX_HTTP_POST || rq->method == NGX_HTTP_DELETE);

    if (!write && rq->method != NGX_HTTP_GET) {
        return ngx_mobility_ucwa_not_allowed(rq, rs);
    }

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (id.len == 0 && !inv && rq->method == NGX_HTTP_GET) {
        rc = ngx_mobility_ucwa_im_list(rq, rs, &tx, &app);
        goto done;
    }

    if (id.len == 0) {
        if (!inv || rq->method != NGX_HTTP_POST) {
            rc = (inv && rq->method == NGX_HTTP_GET)
                 ? ngx_mobility_ucwa_not_allowed(rq, rs)
                 : ngx_mobility_ucwa_not_found(rq, rs);
            goto done;
        }

        rc = ngx_mobility_ucwa_im_start(rq, rs, &tx, &app);
        goto done;
    }

    rc = ngx_mobility_ucwa_conv_read(&tx, &id, &c);

    if (rc == NGX_ERROR) {
        goto done;
    }

    if (rc == NGX_DECLINED
        || !ngx_mobility_ucwa_conf_member(&tx, &c, app.owner.data,
                                          app.owner.len))
    {
        rc = ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (c.conference && (!inv || c.to.len == 0)) {
        /* a conference: ngx_mobility_ucwa_conference.c; only one that was
         * a two-party conversation has a messagingInvitation */
        rc = inv ? ngx_mobility_ucwa_not_found(rq, rs)
                 : ngx_mobility_ucwa_conf_conversation(rq, rs, &tx, &app, &c,
                                                       &rest);
        goto done;
    }

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = &c;

    if (rq->method == NGX_HTTP_DELETE) {
        rc = (!inv && rest.len == 0)
             ? ngx_mobility_ucwa_im_leave(rq, rs, &tx, &app, &c)
             : ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (inv) {
        if (rest.len == 0 && !write) {
            obj = ngx_mobility_ucwa_im_invitation_json(&tx, &app, &im);
            rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                     : NGX_ERROR;
            goto done;
        }

        if (write && ngx_mobility_ucwa_path_eat(&rest, "/accept")
            && rest.len == 0)
        {
            rc = ngx_mobility_ucwa_im_answer(rq, rs, &tx, &app, &c, 1);
            goto done;
        }

        if (write && ngx_mobility_ucwa_path_eat(&rest, "/decline")
            && rest.len == 0)
        {
            rc = ngx_mobility_ucwa_im_answer(rq, rs, &tx, &app, &c, 0);
            goto done;
        }

        rc = ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (rest.len == 0) {
        obj = write ? NULL
                    : ngx_mobility_ucwa_im_conversation_json(&tx, &app, &im);
        rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                 : ngx_mobility_ucwa_not_found(rq, rs);
        goto done;
    }

    if (ngx_mobility_ucwa_path_eat(&rest, "/messaging")) {

        if (rest.len == 0 && !write) {
            obj = ngx_mobility_ucwa_im_messaging_json(&tx, &app, &im);
            rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                     : NGX_ERROR;
            goto done;
        }

        if (write && ngx_mobility_ucwa_path_eat(&rest, "/messages")) {
            /* a reply may be posted to an incoming message's href */
            ngx_mobility_ucwa_path_segment(&rest, &seg);

            if (rest.len == 0) {
                rc = ngx_mobility_ucwa_im_send(rq, rs, &tx, &app, &c);
                goto done;
            }

        } else if (!write && ngx_mobility_ucwa_path_eat(&rest, "/messages")) {
            ngx_mobility_ucwa_path_segment(&rest, &seg);

            if (rest.len == 0 && seg.len) {
                rc = ngx_mobility_ucwa_im_message_get(rq, rs, &tx, &app, &c,
                                                      &seg);
                goto done;
            }
        }

        if (write && ngx_mobility_ucwa_path_eat(&rest, "/terminate")
            && rest.len == 0)
        {
            rc = ngx_mobility_ucwa_im_stop(rq, rs, &tx, &app, &c);
            goto done;
        }

        if (write && ngx_mobility_ucwa_path_eat(&rest, "/typing")
            && rest.len == 0)
        {
            rc = ngx_mobility_ucwa_im_typing(rq, rs, &tx, &app, &c);
            goto done;
        }
    }

    if (!write && ngx_mobility_ucwa_path_eat(&rest, "/participants")) {
        ngx_mobility_ucwa_path_segment(&rest, &seg);

        if (rest.len == 0 && seg.len == c.from.len
            && ngx_strncasecmp(seg.data, (u_char *) c.from.data, seg.len)
               == 0)
        {
            obj = ngx_mobility_ucwa_im_participant_json(&tx, &app, &c,
                                              (const char *) c.from.data);
            rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                     : NGX_ERROR;
            goto done;
        }

        if (rest.len == 0 && seg.len == c.to.len
            && ngx_strncasecmp(seg.data, (u_char *) c.to.data, seg.len) == 0)
        {
            obj = ngx_mobility_ucwa_im_participant_json(&tx, &app, &c,
                                              (const char *) c.to.data);
            rc = obj ? ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj)
                     : NGX_ERROR;
            goto done;
        }
    }

    rc = ngx_mobility_ucwa_not_found(rq, rs);

done:

    /* a new invitation's no-answer deadline arms this worker's timer */
    return ngx_mobility_ucwa_conv_done(rq, rs, &tx, rc, write);
}


/* a message as app sees it, for the conferences */
json_t *
ngx_mobility_ucwa_im_message_render(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_conv_t *c,
    ngx_mobility_conv_msg_t *m, const char *from)
{
    ngx_mobility_ucwa_im_t  im;

    ngx_memzero(&im, sizeof(ngx_mobility_ucwa_im_t));
    im.conv = c;
    im.msg = m;
    im.sip = from;

    return ngx_mobility_ucwa_im_message_json(tx, app, &im);
}
