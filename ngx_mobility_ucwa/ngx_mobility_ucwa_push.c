/*
 * Copyright (C) The nginx mobility authors
 *
 * Push notifications, the UCWA side (docs/push.md):
 *
 *   - the pushRegistration resource of an application, our extension:
 *     GET, PUT (create 201, replace 200) and DELETE (204) of the push
 *     target of the application's user and endpointId, stored with
 *     shared/ngx_mobility_push.c so that it outlives the application;
 *   - the triggers: a pushable event (ngx_mobility_ucwa_push_t) for an
 *     endpoint none of whose applications listens queues a push in the
 *     same write transaction; after the commit NGX_MOBILITY_IPC_PUSH
 *     wakes the senders.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_missed.h"
#include "ngx_mobility_ipc.h"
#include "ngx_mobility_policy.h"
#include "ngx_mobility_push.h"


/* ------------------------------------------------------------------ */
/* the resource                                                       */


static json_t *
ngx_mobility_ucwa_push_date(uint64_t ms)
{
    u_char     buf[sizeof("1970-01-01T00:00:00.000Z")];
    ngx_tm_t   tm;

    ngx_gmtime((time_t) (ms / 1000), &tm);

    ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ%Z", tm.ngx_tm_year,
                tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                tm.ngx_tm_min, tm.ngx_tm_sec, (int) (ms % 1000));

    return json_string((const char *) buf);
}


static json_t *
ngx_mobility_ucwa_push_bytes(ngx_mobility_bytes_t *b)
{
    return json_stringn((const char *) b->data, b->len);
}


static json_t *
ngx_mobility_ucwa_push_json(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_push_reg_t *reg, ngx_pool_t *pool)
{
    json_t      *obj, *links, *events;
    uint64_t     bit;
    ngx_str_t    prefix;

    if (ngx_mobility_ucwa_prefix(pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    links = json_object();
    events = json_array();

    if (obj == NULL || links == NULL || events == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(events);
        return NULL;
    }

    json_object_set_new(obj, "rel", json_string("pushRegistration"));
    json_object_set_new(obj, "provider",
                        json_string(ngx_mobility_push_provider_name(
                                                          reg->provider)));

    switch (reg->provider) {

    case NGX_MOBILITY_PUSH_APNS:
        json_object_set_new(obj, "deviceToken",
                            ngx_mobility_ucwa_push_bytes(&reg->token));
        json_object_set_new(obj, "apnsTopic",
                            ngx_mobility_ucwa_push_bytes(&reg->topic));
        json_object_set_new(obj, "apnsEnvironment",
                            json_string(reg->sandbox ? "sandbox"
                                                     : "production"));
        break;

    case NGX_MOBILITY_PUSH_FCM:
        json_object_set_new(obj, "registrationToken",
                            ngx_mobility_ucwa_push_bytes(&reg->token));
        break;

    default:
        /* the auth secret is never echoed */
        json_object_set_new(obj, "endpoint",
                            ngx_mobility_ucwa_push_bytes(&reg->token));
        json_object_set_new(obj, "p256dh",
                            ngx_mobility_ucwa_push_bytes(&reg->p256dh));
        break;
    }

    for (bit = 1; bit <= NGX_MOBILITY_PUSH_MEETING; bit <<= 1) {
        if (reg->events & bit) {
            json_array_append_new(events,
                                  json_string(ngx_mobility_push_kind_name(
                                                                     bit)));
        }
    }

    json_object_set_new(obj, "events", events);
    json_object_set_new(obj, "previews",
                        json_boolean(reg->previews != 0));
    json_object_set_new(obj, "created",
                        ngx_mobility_ucwa_push_date(reg->created));
    json_object_set_new(obj, "updated",
                        ngx_mobility_ucwa_push_date(reg->updated));

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  "/pushRegistration");
    (void) ngx_mobility_ucwa_link(links, "application", &prefix, "");

    return obj;
}


/* a string property: NGX_OK, NGX_DECLINED (absent) or NGX_ERROR (bad) */
static ngx_int_t
ngx_mobility_ucwa_push_str(ngx_mobility_ucwa_req_t *rq, json_t *from,
    const char *name, ngx_mobility_bytes_t *out)
{
    json_t      *v;
    const char  *key;

    out->data = (const u_char *) "";
    out->len = 0;

    v = NULL;

    if (from) {
        json_object_foreach(from, key, v) {
            if (ngx_strcasecmp((u_char *) key, (u_char *) name) == 0) {
                break;
            }
        }

    } else {
        v = ngx_mobility_ucwa_input(rq, name);
    }

    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        return NGX_ERROR;
    }

    out->data = (const u_char *) json_string_value(v);
    out->len = json_string_length(v);

    return out->len ? NGX_OK : NGX_DECLINED;
}


/* "im", ["im", "message"], "im, message" or "im message"; 0 on error */
static ngx_int_t
ngx_mobility_ucwa_push_events(json_t *v, uint64_t *events)
{
    size_t       i, n;
    json_t      *item;
    uint64_t     kind;
    const char  *p, *last, *word;

    *events = 0;

    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if (!json_is_string(item)) {
                return NGX_ERROR;
            }

            kind = ngx_mobility_push_kind_parse(
                               (u_char *) json_string_value(item),
                               json_string_length(item));
            if (kind == 0) {
                return NGX_ERROR;
            }

            *events |= kind;
        }

        return *events ? NGX_OK : NGX_ERROR;
    }

    if (!json_is_string(v)) {
        return NGX_ERROR;
    }

    p = json_string_value(v);
    last = p + json_string_length(v);

    while (p < last) {
        while (p < last && (*p == ' ' || *p == ',' || *p == ';')) {
            p++;
        }

        word = p;

        while (p < last && *p != ' ' && *p != ',' && *p != ';') {
            p++;
        }

        n = p - word;

        if (n) {
            kind = ngx_mobility_push_kind_parse((u_char *) word, n);
            if (kind == 0) {
                return NGX_ERROR;
            }

            *events |= kind;
        }
    }

    return *events ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_mobility_ucwa_push_parse(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_push_reg_t *reg)
{
    json_t                *v, *keys;
    ngx_int_t              rc;
    ngx_mobility_bytes_t   s;

    static const char  *strings[] = {
        "deviceToken", "apnsTopic", "registrationToken", "endpoint",
        "p256dh", "auth", "apnsEnvironment", "provider", NULL
    };

    ngx_uint_t  i;

    for (i = 0; strings[i]; i++) {
        if (ngx_mobility_ucwa_push_str(rq, NULL, strings[i], &s)
            == NGX_ERROR)
        {
            return ngx_mobility_ucwa_bad_param(rq, rs, strings[i],
                                               "The property must be a "
                                               "string.");
        }
    }

    if (ngx_mobility_ucwa_push_str(rq, NULL, "provider", &s) != NGX_OK) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "provider",
                                           "Missing provider (apns, fcm or "
                                           "webpush).");
    }

    reg->provider = ngx_mobility_push_provider_parse(s.data, s.len);

    if (reg->provider == 0) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "provider",
                                           "The provider must be apns, fcm "
                                           "or webpush.");
    }

    switch (reg->provider) {

    case NGX_MOBILITY_PUSH_APNS:
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "deviceToken",
                                          &reg->token);
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "apnsTopic",
                                          &reg->topic);

        if (ngx_mobility_ucwa_push_str(rq, NULL, "apnsEnvironment", &s)
            == NGX_OK)
        {
            if (s.len == 7
                && ngx_strncasecmp((u_char *) s.data, (u_char *) "sandbox", 7)
                   == 0)
            {
                reg->sandbox = 1;

            } else if (!(s.len == 10
                         && ngx_strncasecmp((u_char *) s.data,
                                            (u_char *) "production", 10)
                            == 0))
            {
                return ngx_mobility_ucwa_bad_param(rq, rs, "apnsEnvironment",
                                                   "The apnsEnvironment "
                                                   "must be production or "
                                                   "sandbox.");
            }
        }

        break;

    case NGX_MOBILITY_PUSH_FCM:
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "registrationToken",
                                          &reg->token);
        break;

    default:
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "endpoint", &reg->token);
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "p256dh", &reg->p256dh);
        (void) ngx_mobility_ucwa_push_str(rq, NULL, "auth", &reg->auth);

        /* a PushSubscription's JSON: {"endpoint", "keys": {...}} */
        keys = ngx_mobility_ucwa_input(rq, "keys");

        if (keys && json_is_object(keys)) {
            rc = ngx_mobility_ucwa_push_str(rq, keys, "p256dh", &s);
            if (rc == NGX_ERROR) {
                return ngx_mobility_ucwa_bad_param(rq, rs, "p256dh",
                                                   "The property must be a "
                                                   "string.");
            }

            if (rc == NGX_OK) {
                reg->p256dh = s;
            }

            rc = ngx_mobility_ucwa_push_str(rq, keys, "auth", &s);
            if (rc == NGX_ERROR) {
                return ngx_mobility_ucwa_bad_param(rq, rs, "auth",
                                                   "The property must be a "
                                                   "string.");
            }

            if (rc == NGX_OK) {
                reg->auth = s;
            }
        }

        break;
    }

    reg->events = NGX_MOBILITY_PUSH_ALL;

    v = ngx_mobility_ucwa_input(rq, "events");

    if (v && ngx_mobility_ucwa_push_events(v, &reg->events) != NGX_OK) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "events",
                                           "The events must name one or "
                                           "more of im, message, missed, "
                                           "call, voicemail, meeting.");
    }

    v = ngx_mobility_ucwa_input(rq, "previews");

    if (v) {
        if (json_is_boolean(v)) {
            reg->previews = json_is_true(v);

        } else if (json_is_string(v)
                   && ngx_strcasecmp((u_char *) json_string_value(v),
                                     (u_char *) "true") == 0)
        {
            reg->previews = 1;

        } else if (json_is_string(v)
                   && ngx_strcasecmp((u_char *) json_string_value(v),
                                     (u_char *) "false") == 0)
        {
            reg->previews = 0;

        } else {
            return ngx_mobility_ucwa_bad_param(rq, rs, "previews",
                                               "The previews property must "
                                               "be true or false.");
        }
    }

    return NGX_DONE;
}


/* EnablePushNotifications of the user's effective policy: 1, 0, -1 */
static ngx_int_t
ngx_mobility_ucwa_push_enabled(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_mobility_cfg_t *pol, ngx_mobility_user_t *u)
{
    int  rc;

    rc = ngx_mobility_user_get(tx->st, tx->txn, sip->data, sip->len, u);

    if (rc == NGX_MOBILITY_OK) {
        rc = ngx_mobility_policy_effective(tx->st, tx->txn, u, pol);

    } else if (rc == NGX_MOBILITY_NOTFOUND) {
        /* not in the directory: the global policy */
        ngx_memzero(u, sizeof(ngx_mobility_user_t));
        rc = ngx_mobility_policy_effective(tx->st, tx->txn, NULL, pol);
    }

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return -1;
    }

    return ngx_mobility_cfg_bool(pol, NGX_MOBILITY_POL_ENABLE_PUSH);
}


ngx_int_t
ngx_mobility_ucwa_push_registration(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    int                       src, replaced;
    char                      err[NGX_MOBILITY_PUSH_ERRLEN];
    json_t                   *obj;
    ngx_int_t                 rc;
    ngx_uint_t                write;
    const char               *param;
    ngx_mobility_user_t       u;
    ngx_mobility_cfg_t       *pol;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;
    ngx_mobility_push_reg_t   reg;

    write = (rq->method != NGX_HTTP_GET && rq->method != NGX_HTTP_HEAD);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (rq->method == NGX_HTTP_GET || rq->method == NGX_HTTP_HEAD) {
        src = ngx_mobility_push_reg_get(tx.st, tx.txn, app.owner.data,
                                        app.owner.len, app.endpoint_id.data,
                                        app.endpoint_id.len, &reg);

        if (src == NGX_MOBILITY_ERROR) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        if (src != NGX_MOBILITY_OK || reg.invalid_since) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                           "NotFound", NULL,
                                           "No push target is registered "
                                           "for this endpoint.");
        }

        obj = ngx_mobility_ucwa_push_json(&app, &reg, rq->pool);
        ngx_mobility_ucwa_tx_abort(&tx);

        if (obj == NULL) {
            return NGX_ERROR;
        }

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    if (rq->method == NGX_HTTP_DELETE) {
        src = ngx_mobility_push_reg_get(tx.st, tx.txn, app.owner.data,
                                        app.owner.len, app.endpoint_id.data,
                                        app.endpoint_id.len, &reg);

        if (src == NGX_MOBILITY_ERROR) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        if (src != NGX_MOBILITY_OK || reg.invalid_since) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                           "NotFound", NULL,
                                           "No push target is registered "
                                           "for this endpoint.");
        }

        /* its queued pushes are dropped by the sender */
        if (ngx_mobility_push_reg_del(tx.st, tx.txn, app.owner.data,
                                      app.owner.len, app.endpoint_id.data,
                                      app.endpoint_id.len)
            == NGX_MOBILITY_ERROR)
        {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
            return ngx_mobility_ucwa_store_error(rq, rs, NULL);
        }

        ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                      "mobility ucwa: push target of \"%V\" endpoint "
                      "\"%V\" removed", &app.owner, &app.endpoint_id);

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    /* PUT: create or replace */

    pol = ngx_palloc(rq->pool, sizeof(ngx_mobility_cfg_t));
    if (pol == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_push_enabled(&tx, &app.owner, pol, &u);

    if (rc < 0) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (rc == 0) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden",
                                       "PushNotificationsDisabled",
                                       "The mobility policy does not allow "
                                       "push notifications for this user.");
    }

    if (rq->input == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_bad_param(rq, rs, "provider",
                                           "A PUT must carry the push "
                                           "target.");
    }

    ngx_memzero(&reg, sizeof(ngx_mobility_push_reg_t));

    rc = ngx_mobility_ucwa_push_parse(rq, rs, &reg);

    if (rc != NGX_DONE) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return rc;
    }

    reg.user.data = app.owner.data;
    reg.user.len = app.owner.len;
    reg.endpoint.data = app.endpoint_id.data;
    reg.endpoint.len = app.endpoint_id.len;
    reg.app.data = app.id.data;
    reg.app.len = app.id.len;

    if (ngx_mobility_push_reg_check(&reg, err, sizeof(err), &param)
        != NGX_MOBILITY_OK)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_bad_param(rq, rs, param, err);
    }

    src = ngx_mobility_push_reg_put(tx.st, tx.txn, &reg, tx.now, &replaced,
                                    err, sizeof(err));

    if (src == NGX_MOBILITY_PUSH_CONFLICT) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "PushTokenInvalidated", err);
    }

    if (src != NGX_MOBILITY_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    /* the representation, from what was written */
    src = ngx_mobility_push_reg_get(tx.st, tx.txn, app.owner.data,
                                    app.owner.len, app.endpoint_id.data,
                                    app.endpoint_id.len, &reg);

    obj = (src == NGX_MOBILITY_OK)
          ? ngx_mobility_ucwa_push_json(&app, &reg, rq->pool) : NULL;

    if (obj == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        json_decref(obj);
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                  "mobility ucwa: push target of \"%V\" endpoint \"%V\" "
                  "%s (%s)", &app.owner, &app.endpoint_id,
                  replaced ? "replaced" : "registered",
                  ngx_mobility_push_provider_name(reg.provider));

    if (!replaced) {
        rs->location.len = 0;

        if (ngx_mobility_ucwa_prefix(rq->pool, &app, &rs->location)
            == NGX_OK)
        {
            u_char  *p;

            p = ngx_pnalloc(rq->pool, rs->location.len
                                      + sizeof("/pushRegistration") - 1);
            if (p) {
                rs->location.len = ngx_sprintf(p, "%V/pushRegistration",
                                               &rs->location)
                                   - p;
                rs->location.data = p;

            } else {
                rs->location.len = 0;
            }
        }
    }

    return ngx_mobility_ucwa_resource(rq, rs,
                                      replaced ? NGX_HTTP_OK
                                               : NGX_HTTP_CREATED,
                                      obj);
}


/* ------------------------------------------------------------------ */
/* triggers                                                           */


/*
 * Whether an application of the user on that endpoint listens: a P-GET
 * held on one of its channels, or one answered within the grace period.
 * 1 yes, 0 no, -1 store error.
 */
static ngx_int_t
ngx_mobility_ucwa_push_listening(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip, ngx_str_t *endpoint)
{
    u_char                    key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                    klen;
    uint64_t                  grace;
    ngx_int_t                 rc;
    ngx_str_t                *ids;
    ngx_uint_t                i, c;
    ngx_array_t              *list;
    ngx_mobility_evchan_t     ec;
    ngx_mobility_ucwa_app_t   app;

    list = ngx_mobility_ucwa_user_apps(tx, sip);
    if (list == NULL) {
        return -1;
    }

    grace = tx->umcf->push_grace;
    ids = list->elts;

    for (i = 0; i < list->nelts; i++) {
        rc = ngx_mobility_ucwa_app_get(tx, &ids[i], &app);

        if (rc == NGX_ERROR) {
            return -1;
        }

        if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)
            || app.endpoint_id.len != endpoint->len
            || ngx_memcmp(app.endpoint_id.data, endpoint->data,
                          endpoint->len) != 0)
        {
            continue;
        }

        for (c = 0; c < app.nchannels; c++) {
            klen = ngx_mobility_ucwa_channel_key(&app, &app.channels[c], key);

            rc = ngx_mobility_evchan_get(tx->st, tx->txn, key, klen, &ec);

            if (rc == NGX_MOBILITY_ERROR) {
                return -1;
            }

            if (rc != NGX_MOBILITY_OK) {
                continue;
            }

            if (ec.park_token != 0 || ec.last_release + grace > tx->now) {
                return 1;
            }
        }
    }

    return 0;
}


/* at most max bytes of UTF-8 text, cut at a character boundary */
static size_t
ngx_mobility_ucwa_push_cut(ngx_str_t *s, size_t max)
{
    size_t  len;

    if (s->len <= max) {
        return s->len;
    }

    len = max;

    while (len && (s->data[len] & 0xc0) == 0x80) {
        len--;
    }

    return len;
}


/* one push for (sip, endpoint) if everything allows it */
static ngx_int_t
ngx_mobility_ucwa_push_target(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_str_t *endpoint, ngx_mobility_ucwa_push_t *push)
{
    u_char                     *p;
    int                         src;
    uint64_t                    missed, unread;
    ngx_int_t                   rc;
    ngx_str_t                  *d, dedupe;
    ngx_uint_t                  i, sw;
    ngx_mobility_user_t         u, from;
    ngx_mobility_cfg_t         *cfg;
    ngx_mobility_push_reg_t     reg;
    ngx_mobility_push_entry_t   e;

    if (endpoint->len == 0
        || endpoint->len > NGX_MOBILITY_PUSH_ENDPOINT_MAX
        || sip->len == 0 || sip->len > NGX_MOBILITY_PUSH_USER_MAX)
    {
        return NGX_OK;
    }

    src = ngx_mobility_push_reg_get(tx->st, tx->txn, sip->data, sip->len,
                                    endpoint->data, endpoint->len, &reg);

    if (src == NGX_MOBILITY_ERROR) {
        goto failed;
    }

    if (src != NGX_MOBILITY_OK || reg.invalid_since
        || !(reg.events & push->kind))
    {
        return NGX_OK;
    }

    /* one push per registration and triggering event in a transaction */

    dedupe.len = sip->len + 1 + endpoint->len + 1 + NGX_INT_T_LEN
                 + push->thread.len;
    dedupe.data = ngx_pnalloc(tx->pool, dedupe.len);
    if (dedupe.data == NULL) {
        return NGX_ERROR;
    }

    dedupe.len = ngx_sprintf(dedupe.data, "%V%Z%V%Z%ui%V", sip, endpoint,
                             push->kind, &push->thread)
                 - dedupe.data;

    if (tx->pushed == NULL) {
        tx->pushed = ngx_array_create(tx->pool, 2, sizeof(ngx_str_t));
        if (tx->pushed == NULL) {
            return NGX_ERROR;
        }
    }

    d = tx->pushed->elts;

    for (i = 0; i < tx->pushed->nelts; i++) {
        if (d[i].len == dedupe.len
            && ngx_memcmp(d[i].data, dedupe.data, dedupe.len) == 0)
        {
            return NGX_OK;
        }
    }

    rc = ngx_mobility_ucwa_push_listening(tx, sip, endpoint);

    if (rc < 0) {
        goto failed;
    }

    if (rc) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, tx->log, 0,
                       "mobility ucwa: \"%V\" endpoint \"%V\" listens, "
                       "no push", sip, endpoint);
        return NGX_OK;
    }

    /* the policy and the push configuration of the user's site */

    cfg = ngx_palloc(tx->pool, sizeof(ngx_mobility_cfg_t));
    if (cfg == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_push_enabled(tx, sip, cfg, &u);

    if (rc < 0) {
        return NGX_ERROR;
    }

    if (rc == 0) {
        ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                      "mobility ucwa: no push for \"%V\": "
                      "EnablePushNotifications is off", sip);
        return NGX_OK;
    }

    if (ngx_mobility_cfg_effective_site(tx->st, tx->txn,
                                        &ngx_mobility_push_kind,
                                        u.site.data, u.site.len, cfg)
        != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    switch (reg.provider) {
    case NGX_MOBILITY_PUSH_APNS:
        sw = NGX_MOBILITY_PUSH_APPLE;
        break;
    case NGX_MOBILITY_PUSH_FCM:
        sw = NGX_MOBILITY_PUSH_FCM;
        break;
    default:
        sw = NGX_MOBILITY_PUSH_WEBPUSH;
        break;
    }

    if (!ngx_mobility_cfg_bool(cfg, sw)) {
        ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                      "mobility ucwa: no push for \"%V\": %s is off in "
                      "the push notification configuration", sip,
                      ngx_mobility_push_kind.params[sw].name);
        return NGX_OK;
    }

    /* the badge: the user's unread missed conversations */

    if (ngx_mobility_missed_count(tx->st, tx->txn, sip->data, sip->len,
                                  &missed, &unread)
        == NGX_MOBILITY_ERROR)
    {
        goto failed;
    }

    /* the entry */

    ngx_memzero(&e, sizeof(ngx_mobility_push_entry_t));

    e.due = tx->now;
    e.user.data = sip->data;
    e.user.len = sip->len;
    e.endpoint.data = endpoint->data;
    e.endpoint.len = endpoint->len;
    e.kind = push->kind;
    e.badge = unread;
    e.created = tx->now;
    e.expires = tx->now + (uint64_t) tx->umcf->push_ttl * 1000;

    if (push->sender.len <= NGX_MOBILITY_PUSH_USER_MAX) {
        e.sender.data = push->sender.data;
        e.sender.len = push->sender.len;

        if (push->sender.len
            && ngx_mobility_user_get(tx->st, tx->txn, push->sender.data,
                                     push->sender.len, &from)
               == NGX_MOBILITY_OK)
        {
            e.sender_name = from.name;

            if (e.sender_name.len > NGX_MOBILITY_PUSH_NAME_MAX) {
                e.sender_name.len = 0;
            }
        }
    }

    if (push->thread.len <= NGX_MOBILITY_PUSH_THREAD_MAX) {
        e.thread.data = push->thread.data;
        e.thread.len = push->thread.len;
    }

    /* message text only when the registration and nginx.conf allow it */
    if (reg.previews && tx->umcf->push_previews && push->preview.len) {
        e.preview.data = push->preview.data;
        e.preview.len = ngx_mobility_ucwa_push_cut(&push->preview,
                                               NGX_MOBILITY_PUSH_PREVIEW_MAX);
    }

    if (ngx_mobility_push_enqueue(tx->st, tx->txn, &e) != NGX_MOBILITY_OK) {
        goto failed;
    }

    d = ngx_array_push(tx->pushed);
    if (d == NULL) {
        return NGX_ERROR;
    }

    *d = dedupe;
    tx->push++;

    p = (u_char *) ngx_mobility_push_kind_name(push->kind);

    ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                  "mobility ucwa: push %uL (%s) queued for \"%V\" "
                  "endpoint \"%V\"", e.id, p, sip, endpoint);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                  tx->st->err);
    return NGX_ERROR;
}


ngx_int_t
ngx_mobility_ucwa_push_app(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_push_t *push)
{
    if (push->kind == 0 || (app->flags & NGX_MOBILITY_UCWA_APP_EXPIRED)) {
        return NGX_OK;
    }

    return ngx_mobility_ucwa_push_target(tx, &app->owner, &app->endpoint_id,
                                         push);
}


typedef struct {
    ngx_pool_t   *pool;
    ngx_array_t  *endpoints;
} ngx_mobility_ucwa_push_each_t;


static int
ngx_mobility_ucwa_push_collect(void *data, ngx_mobility_push_reg_t *reg)
{
    ngx_str_t                      *ep;
    ngx_mobility_ucwa_push_each_t  *each = data;

    if (reg->invalid_since) {
        return 0;
    }

    ep = ngx_array_push(each->endpoints);
    if (ep == NULL) {
        return 1;
    }

    ep->data = ngx_pnalloc(each->pool, reg->endpoint.len);
    if (ep->data == NULL) {
        each->endpoints->nelts--;
        return 1;
    }

    ngx_memcpy(ep->data, reg->endpoint.data, reg->endpoint.len);
    ep->len = reg->endpoint.len;

    return 0;
}


/*
 * An event that concerns the user rather than one application (a missed
 * conversation, a voicemail): a push to every live registration of the
 * user whose endpoint has no listening application.
 */
ngx_int_t
ngx_mobility_ucwa_push_user(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_mobility_ucwa_push_t *push)
{
    ngx_str_t                      *ep;
    ngx_uint_t                      i;
    ngx_mobility_ucwa_push_each_t   each;

    if (push->kind == 0) {
        return NGX_OK;
    }

    each.pool = tx->pool;
    each.endpoints = ngx_array_create(tx->pool, 2, sizeof(ngx_str_t));
    if (each.endpoints == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_push_reg_each(tx->st, tx->txn, sip->data, sip->len,
                                   ngx_mobility_ucwa_push_collect, &each)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    ep = each.endpoints->elts;

    for (i = 0; i < each.endpoints->nelts; i++) {
        if (ngx_mobility_ucwa_push_target(tx, sip, &ep[i], push) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* after the commit of a transaction that queued pushes */
void
ngx_mobility_ucwa_push_wake(ngx_mobility_ucwa_tx_t *tx)
{
    u_char  buf[NGX_INT_T_LEN];
    size_t  len;

    /* the payload: how many were queued (the store is the truth) */
    len = ngx_sprintf(buf, "%ui", tx->push) - buf;

    tx->push = 0;

    if (ngx_mobility_ipc_broadcast(NGX_MOBILITY_IPC_PUSH, buf, len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                      "mobility ucwa: could not wake the push senders");
    }
}
