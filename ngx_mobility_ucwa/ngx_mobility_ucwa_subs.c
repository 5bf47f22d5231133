/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA presence subscriptions: presenceSubscriptions (create, extend,
 * delete), presenceSubscriptionMemberships (add, GET, DELETE),
 * subscribedContacts, and the fan-out of a user's presence, note and
 * location changes to every application subscribed to that user
 * (shared/ngx_mobility_subscriptions.c: one range scan of the watchers).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_subscriptions.h"
#include "ngx_mobility_contacts.h"


#define NGX_MOBILITY_UCWA_PSUB_MIN   10      /* minutes */
#define NGX_MOBILITY_UCWA_PSUB_MAX   30
#define NGX_MOBILITY_UCWA_PSUB_IDLEN 8

#define NGX_MOBILITY_UCWA_PSUB_PATH  "/people/presenceSubscriptions/"
#define NGX_MOBILITY_UCWA_PVF        "ParameterValidationFailure"


static const char *
ngx_mobility_ucwa_psub_path(ngx_pool_t *pool, const char *first,
    const u_char *a, size_t alen, const char *sep, const u_char *b,
    size_t blen, const char *last)
{
    u_char  *p, *path;

    path = ngx_pnalloc(pool, ngx_strlen(first) + alen + ngx_strlen(sep)
                             + blen + ngx_strlen(last) + 1);
    if (path == NULL) {
        return NULL;
    }

    p = ngx_cpymem(path, first, ngx_strlen(first));
    p = ngx_cpymem(p, a, alen);
    p = ngx_cpymem(p, sep, ngx_strlen(sep));
    p = ngx_cpymem(p, b, blen);
    p = ngx_cpymem(p, last, ngx_strlen(last));
    *p = '\0';

    return (const char *) path;
}


static ngx_int_t
ngx_mobility_ucwa_psub_event(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, const char *rel, const char *path,
    const char *in_rel, const char *in_path, const char *type,
    unsigned urgency)
{
    ngx_mobility_ucwa_event_t  ev;

    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));

    ev.sender_rel = "people";
    ev.sender_path = "/people";
    ev.rel = rel;
    ev.path = path;
    ev.in_rel = in_rel;
    ev.in_path = in_path;
    ev.type = type;
    ev.urgency = urgency;
    ev.merge = (ngx_strcmp(type, "updated") == 0);

    return ngx_mobility_ucwa_publish(tx, app, &ev);
}


static json_t *
ngx_mobility_ucwa_psub_json(ngx_pool_t *pool, ngx_str_t *prefix,
    const u_char *id, size_t idlen)
{
    json_t      *obj, *links;
    const char  *mp;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    json_object_set_new(obj, "id", json_stringn((const char *) id, idlen));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                     ngx_mobility_ucwa_psub_path(pool,
                                                 NGX_MOBILITY_UCWA_PSUB_PATH,
                                                 id, idlen, "", NULL, 0, ""));

    mp = ngx_mobility_ucwa_psub_path(pool,
                                     "/people/presenceSubscriptionMemberships"
                                     "?presenceSubscriptionId=", id, idlen,
                                     "", NULL, 0, "");
    (void) ngx_mobility_ucwa_link(links, "memberships", prefix, mp);
    (void) ngx_mobility_ucwa_link(links, "addToPresenceSubscription", prefix,
                                  mp);

    json_object_set_new(obj, "rel", json_string("presenceSubscription"));

    return obj;
}


/* adds the users of a JSON array of URIs; events per new member */
static ngx_int_t
ngx_mobility_ucwa_psub_add_uris(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, const u_char *id, size_t idlen,
    json_t *uris, const char *param)
{
    int                   rc, n;
    u_char                sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t                i;
    json_t               *u;
    ngx_mobility_user_t   user;

    for (i = 0; i < json_array_size(uris); i++) {
        u = json_array_get(uris, i);

        if (!json_is_string(u)) {
            continue;
        }

        n = ngx_mobility_sip_canon((u_char *) json_string_value(u),
                                   json_string_length(u), sip, NULL);

        if (n <= 0
            || ngx_mobility_user_get(tx->st, tx->txn, sip, n, &user)
               != NGX_MOBILITY_OK)
        {
            continue;
        }

        rc = ngx_mobility_psub_add(tx->st, tx->txn, app->id.data,
                                   app->id.len, id, idlen, sip, n);

        if (rc == NGX_MOBILITY_EXISTS) {
            continue;
        }

        if (rc != NGX_MOBILITY_OK) {
            if (rc == NGX_MOBILITY_ERROR
                && ngx_strcmp(tx->st->err, "limit") == 0)
            {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_FORBIDDEN,
                                                     "Forbidden",
                                                     "LimitExceeded", NULL,
                                                     "Too many subscribed "
                                                     "contacts.");
            }

            return NGX_ERROR;
        }

        if (ngx_mobility_ucwa_psub_event(tx, app, "contact",
                 ngx_mobility_ucwa_psub_path(tx->pool, "/people/", sip, n,
                                             "", NULL, 0, ""),
                 "subscribedContacts", "/people/subscribedContacts",
                 "added", NGX_MOBILITY_EV_MEDIUM)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static json_t *
ngx_mobility_ucwa_psub_uris(ngx_mobility_ucwa_req_t *rq, const char *name,
    const char *alt)
{
    json_t  *v, *a;

    v = ngx_mobility_ucwa_input(rq, name);

    if (v == NULL && alt) {
        v = ngx_mobility_ucwa_input(rq, alt);
    }

    if (v && json_is_array(v)) {
        return json_incref(v);
    }

    if (v && json_is_string(v)) {
        a = json_array();
        if (a) {
            json_array_append(a, v);
        }

        return a;
    }

    return NULL;
}


static ngx_int_t
ngx_mobility_ucwa_psub_duration(ngx_mobility_ucwa_req_t *rq,
    ngx_int_t *minutes)
{
    ngx_str_t  d;

    *minutes = NGX_MOBILITY_UCWA_PSUB_MIN;

    if (ngx_mobility_ucwa_input_str(rq, "duration", &d) != NGX_OK
        || d.len == 0)
    {
        return NGX_OK;
    }

    *minutes = ngx_atoi(d.data, d.len);

    if (*minutes < NGX_MOBILITY_UCWA_PSUB_MIN
        || *minutes > NGX_MOBILITY_UCWA_PSUB_MAX)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


typedef struct {
    ngx_mobility_ucwa_req_t   *rq;
    ngx_mobility_ucwa_tx_t    *tx;
    ngx_str_t                 *prefix;
    json_t                    *list;
    uint64_t                   now;
    ngx_uint_t                 failed;
} ngx_mobility_ucwa_psub_walk_t;


static int
ngx_mobility_ucwa_psub_contact_each(void *ctx, const u_char *id,
    size_t idlen, const u_char *sip, size_t len, uint64_t expires)
{
    ngx_mobility_ucwa_psub_walk_t  *w = ctx;

    json_t               *c;
    ngx_mobility_user_t   u;

    if (ngx_mobility_ucwa_list_has(w->list, sip, len)) {
        return 0;
    }

    if (ngx_mobility_user_get(w->tx->st, w->tx->txn, sip, len, &u)
        != NGX_MOBILITY_OK)
    {
        return 0;
    }

    c = ngx_mobility_ucwa_contact_json(w->rq->pool, w->prefix, &u);
    if (c == NULL) {
        w->failed = 1;
        return 1;
    }

    json_array_append_new(w->list, c);

    return 0;
}


static int
ngx_mobility_ucwa_psub_live(void *ctx, const u_char *id, size_t idlen,
    const u_char *b, size_t blen, uint64_t expires)
{
    ngx_mobility_ucwa_psub_walk_t  *w = ctx;

    json_t  *s;

    if (expires <= w->now) {
        return 0;
    }

    s = json_stringn((const char *) id, idlen);
    if (s) {
        json_array_append_new(w->list, s);
    }

    return 0;
}


static ngx_int_t
ngx_mobility_ucwa_subscribed_contacts(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix)
{
    json_t                         *obj, *links, *emb, *live;
    size_t                          i;
    ngx_mobility_ucwa_psub_walk_t   w;

    ngx_memzero(&w, sizeof(ngx_mobility_ucwa_psub_walk_t));
    w.rq = rq;
    w.tx = tx;
    w.prefix = prefix;
    w.now = tx->now;
    w.list = json_array();

    if (w.list == NULL) {
        return NGX_ERROR;
    }

    /* the live subscriptions, then their members */

    if (ngx_mobility_psub_list(tx->st, tx->txn, app->id.data, app->id.len,
                               ngx_mobility_ucwa_psub_live, &w)
        != NGX_MOBILITY_OK)
    {
        json_decref(w.list);
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    live = w.list;
    w.list = json_array();

    for (i = 0; w.list && i < json_array_size(live); i++) {
        if (ngx_mobility_psub_members(tx->st, tx->txn, app->id.data,
                 app->id.len,
                 (u_char *) json_string_value(json_array_get(live, i)),
                 json_string_length(json_array_get(live, i)),
                 ngx_mobility_ucwa_psub_contact_each, &w)
            != NGX_MOBILITY_OK
            || w.failed)
        {
            json_decref(live);
            json_decref(w.list);
            return w.failed ? NGX_ERROR
                            : ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }
    }

    json_decref(live);

    obj = json_object();
    links = json_object();
    emb = json_object();

    if (w.list == NULL || obj == NULL || links == NULL || emb == NULL) {
        json_decref(w.list);
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  "/people/subscribedContacts");
    json_object_set_new(emb, "contact", w.list);
    json_object_set_new(obj, "_embedded", emb);
    json_object_set_new(obj, "rel", json_string("subscribedContacts"));

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


static ngx_int_t
ngx_mobility_ucwa_psub_location(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *prefix, json_t *obj)
{
    json_t  *href;

    href = json_object_get(json_object_get(json_object_get(obj, "_links"),
                                           "self"), "href");
    if (href == NULL) {
        return NGX_ERROR;
    }

    rs->location.len = json_string_length(href);
    rs->location.data = ngx_pnalloc(rq->pool, rs->location.len);
    if (rs->location.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(rs->location.data, json_string_value(href), rs->location.len);

    return NGX_OK;
}


static int
ngx_mobility_ucwa_psub_group_each(void *ctx, uint32_t gid, const u_char *sip,
    size_t len)
{
    json_t  *uris = ctx;

    u_char   buf[NGX_MOBILITY_SIP_MAX + 4];
    json_t  *s;

    if (len > NGX_MOBILITY_SIP_MAX) {
        return 0;
    }

    ngx_memcpy(buf, "sip:", 4);
    ngx_memcpy(buf + 4, sip, len);

    s = json_stringn((const char *) buf, len + 4);

    if (s == NULL || json_array_append_new(uris, s) != 0) {
        return 1;
    }

    return 0;
}


/*
 * subscribeToGroupPresence (POST .../presenceSubscriptions?groupId=N):
 * the URIs of the group's members now; the binding written after the
 * subscription makes later members join it.
 */
static ngx_int_t
ngx_mobility_ucwa_psub_group(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *gs, uint32_t *gid,
    json_t **uris)
{
    int                    rc;
    ngx_int_t              n;
    ngx_mobility_group_t   g;

    n = ngx_atoi(gs->data, gs->len);

    if (n <= 0 || n > 0x7fffffff) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                             "BadRequest",
                                             NGX_MOBILITY_UCWA_PVF, "groupId",
                                             "Invalid groupId.");
    }

    rc = ngx_mobility_group_get(tx->st, tx->txn, app->owner.data,
                                app->owner.len, (uint32_t) n, &g);

    if (rc == NGX_MOBILITY_ERROR) {
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    if (rc != NGX_MOBILITY_OK) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "There is no such group.");
    }

    *uris = json_array();
    if (*uris == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_members_walk(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, (uint32_t) n,
                                  ngx_mobility_ucwa_psub_group_each, *uris)
        != NGX_MOBILITY_OK)
    {
        json_decref(*uris);
        *uris = NULL;
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    *gid = (uint32_t) n;

    return NGX_OK;
}


/*
 * The application's subscription sid, if it has not expired: NGX_OK, or
 * NGX_DECLINED with the answer set (404, a store error), or NGX_ERROR.
 */
static ngx_int_t
ngx_mobility_ucwa_psub_find(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *sid, uint64_t *expires)
{
    int        rc;
    ngx_int_t  rv;

    rc = ngx_mobility_psub_get(tx->st, tx->txn, app->id.data, app->id.len,
                               sid->data, sid->len, expires);

    if (rc == NGX_MOBILITY_ERROR) {
        rv = ngx_mobility_ucwa_store_error(rq, rs, tx->st);

    } else if (rc != NGX_MOBILITY_OK || *expires <= tx->now) {
        rv = ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                           "NotFound", NULL, NULL,
                                           "The subscription does not exist "
                                           "or has expired.");

    } else {
        return NGX_OK;
    }

    return (rv == NGX_OK) ? NGX_DECLINED : NGX_ERROR;
}


static ngx_int_t
ngx_mobility_ucwa_psub_handle(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, ngx_str_t *what,
    ngx_str_t *sub)
{
    int        rc;
    u_char     id[NGX_MOBILITY_UCWA_PSUB_IDLEN];
    u_char     sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t    *obj, *uris;
    uint32_t   gid;
    uint64_t   expires, left;
    ngx_int_t  minutes;
    ngx_str_t  sid, gs;

    if (what->len == 18) {
        /* subscribedContacts */

        if (sub->len || rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                                 "NotFound", NULL, NULL,
                                                 "The resource does not "
                                                 "exist.");
        }

        return ngx_mobility_ucwa_subscribed_contacts(rq, rs, tx, app,
                                                     prefix);
    }

    if (what->len == 21) {
        /* presenceSubscriptions[/<id>] */

        if (sub->len == 0) {
            if (rq->method != NGX_HTTP_POST) {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_NOT_ALLOWED,
                                                     "MethodNotAllowed", NULL,
                                                     NULL, "Use POST.");
            }

            if (ngx_mobility_ucwa_psub_duration(rq, &minutes) != NGX_OK) {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_BAD_REQUEST,
                                                     "BadRequest",
                                                     NGX_MOBILITY_UCWA_PVF,
                                                     "duration",
                                                     "duration must be "
                                                     "between 10 and 30.");
            }

            /* subscribeToGroupPresence: ?groupId=N */

            gid = 0;

            if (ngx_mobility_ucwa_input_str(rq, "groupId", &gs) == NGX_OK
                && gs.len)
            {
                uris = NULL;
                rc = ngx_mobility_ucwa_psub_group(rq, rs, tx, app, &gs, &gid,
                                                  &uris);
                if (rc != NGX_OK || rs->status) {
                    return rc;
                }

            } else {
                uris = ngx_mobility_ucwa_psub_uris(rq, "uris", NULL);
            }

            if (uris == NULL || (gid == 0 && json_array_size(uris) == 0)) {
                json_decref(uris);
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_BAD_REQUEST,
                                                     "BadRequest",
                                                     NGX_MOBILITY_UCWA_PVF,
                                                     "uris",
                                                     "uris is required.");
            }

            ngx_mobility_ucwa_random_hex(id, sizeof(id));

            rc = ngx_mobility_psub_create(tx->st, tx->txn, app->id.data,
                                          app->id.len, id, sizeof(id),
                                          tx->now + minutes * 60000);
            if (rc != NGX_MOBILITY_OK) {
                json_decref(uris);

                if (rc == NGX_MOBILITY_ERROR
                    && ngx_strcmp(tx->st->err, "limit") == 0)
                {
                    return ngx_mobility_ucwa_error_param(rq, rs,
                                                         NGX_HTTP_FORBIDDEN,
                                                         "Forbidden",
                                                         "LimitExceeded",
                                                         NULL,
                                                         "Too many presence "
                                                         "subscriptions.");
                }

                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            rc = ngx_mobility_ucwa_psub_add_uris(rq, rs, tx, app, id,
                                                 sizeof(id), uris, "uris");
            json_decref(uris);

            if (rc != NGX_OK || rs->status) {
                return (rc == NGX_OK) ? NGX_OK
                       : ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            /* the expiry warning; a group subscription follows the group */

            if (ngx_mobility_psub_due_put(tx->st, tx->txn, app->id.data,
                     app->id.len, id, sizeof(id),
                     tx->now + minutes * 60000
                     - (uint64_t) tx->umcf->subscription_warning * 1000)
                != NGX_MOBILITY_OK
                || (gid
                    && ngx_mobility_psub_group_bind(tx->st, tx->txn,
                                                    app->owner.data,
                                                    app->owner.len, gid,
                                                    app->id.data, app->id.len,
                                                    id, sizeof(id))
                       != NGX_MOBILITY_OK))
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            if (ngx_mobility_ucwa_psub_event(tx, app, "presenceSubscription",
                     ngx_mobility_ucwa_psub_path(tx->pool,
                                                 NGX_MOBILITY_UCWA_PSUB_PATH,
                                                 id, sizeof(id), "", NULL, 0,
                                                 ""),
                     NULL, NULL, "added", NGX_MOBILITY_EV_MEDIUM)
                != NGX_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            obj = ngx_mobility_ucwa_psub_json(rq->pool, prefix, id,
                                              sizeof(id));
            if (obj == NULL
                || ngx_mobility_ucwa_psub_location(rq, rs, prefix, obj)
                   != NGX_OK)
            {
                json_decref(obj);
                return NGX_ERROR;
            }

            return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED, obj);
        }

        sid.data = sub->data + 1;
        sid.len = sub->len - 1;

        rc = ngx_mobility_ucwa_psub_find(rq, rs, tx, app, &sid, &expires);

        if (rc != NGX_OK) {
            return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
        }

        if (rq->method == NGX_HTTP_DELETE) {
            if (ngx_mobility_psub_del(tx->st, tx->txn, app->id.data,
                                      app->id.len, sid.data, sid.len)
                != NGX_MOBILITY_OK
                || ngx_mobility_psub_group_unbind_ep(tx->st, tx->txn,
                                                     app->owner.data,
                                                     app->owner.len,
                                                     app->id.data,
                                                     app->id.len, sid.data,
                                                     sid.len)
                   != NGX_MOBILITY_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            rs->status = NGX_HTTP_NO_CONTENT;
            return NGX_OK;
        }

        if (rq->method == NGX_HTTP_POST) {
            /* extend: adds to what is left, at most 30 minutes */

            if (ngx_mobility_ucwa_psub_duration(rq, &minutes) != NGX_OK) {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_BAD_REQUEST,
                                                     "BadRequest",
                                                     NGX_MOBILITY_UCWA_PVF,
                                                     "duration",
                                                     "duration must be "
                                                     "between 10 and 30.");
            }

            left = expires - tx->now + (uint64_t) minutes * 60000;

            if (left > NGX_MOBILITY_UCWA_PSUB_MAX * 60000) {
                left = NGX_MOBILITY_UCWA_PSUB_MAX * 60000;
            }

            if (ngx_mobility_psub_extend(tx->st, tx->txn, app->id.data,
                                         app->id.len, sid.data, sid.len,
                                         tx->now + left)
                != NGX_MOBILITY_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

        } else if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL,
                                                 NULL, "The method is not "
                                                 "allowed.");
        }

        obj = ngx_mobility_ucwa_psub_json(rq->pool, prefix, sid.data,
                                          sid.len);
        if (obj == NULL) {
            return NGX_ERROR;
        }

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    /* presenceSubscriptionMemberships[?presenceSubscriptionId=] */

    if (sub->len == 0) {
        if (rq->method != NGX_HTTP_POST
            || ngx_mobility_ucwa_arg(rq->pool, &rq->args,
                                     "presenceSubscriptionId", &sid)
               != NGX_OK)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 NGX_MOBILITY_UCWA_PVF,
                                                 "presenceSubscriptionId",
                                                 "POST with "
                                                 "presenceSubscriptionId.");
        }

        rc = ngx_mobility_ucwa_psub_find(rq, rs, tx, app, &sid, &expires);

        if (rc != NGX_OK) {
            return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
        }

        uris = ngx_mobility_ucwa_psub_uris(rq, "contactUris", NULL);

        if (uris == NULL || json_array_size(uris) == 0) {
            json_decref(uris);
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 NGX_MOBILITY_UCWA_PVF,
                                                 "contactUris",
                                                 "contactUris is required.");
        }

        rc = ngx_mobility_ucwa_psub_add_uris(rq, rs, tx, app, sid.data,
                                             sid.len, uris, "contactUris");
        json_decref(uris);

        if (rc != NGX_OK || rs->status) {
            return (rc == NGX_OK) ? NGX_OK
                   : ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        obj = ngx_mobility_ucwa_psub_json(rq->pool, prefix, sid.data,
                                          sid.len);
        if (obj == NULL) {
            return NGX_ERROR;
        }

        json_object_set_new(obj, "rel",
                            json_string("presenceSubscriptionMemberships"));

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED, obj);
    }

    /* .../presenceSubscriptionMemberships/<id>,<sip>: GET, DELETE */

    rc = ngx_mobility_ucwa_member_path(rq->pool, sub, &sid, sip);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == 0) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "The resource does not exist.");
    }

    if (rq->method == NGX_HTTP_DELETE) {
        rc = ngx_mobility_psub_remove(tx->st, tx->txn, app->id.data,
                                      app->id.len, sid.data, sid.len, sip,
                                      rc);

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        if (rc != NGX_MOBILITY_OK) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                                 "NotFound", NULL, NULL,
                                                 "The resource does not "
                                                 "exist.");
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                         "MethodNotAllowed", NULL, NULL,
                                         "Use DELETE.");
}


/*
 * .../people/presenceSubscriptions..., .../people/subscribedContacts,
 * .../people/presenceSubscriptionMemberships...
 */
ngx_int_t
ngx_mobility_ucwa_subscriptions(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *what, ngx_str_t *sub)
{
    ngx_int_t                rc;
    ngx_str_t                prefix;
    ngx_uint_t               write;
    ngx_mobility_ucwa_tx_t   tx;
    ngx_mobility_ucwa_app_t  app;

    write = (rq->method != NGX_HTTP_GET);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, &prefix);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_psub_handle(rq, rs, &tx, &app, &prefix, what,
                                       sub);

    if (rc != NGX_OK || !write || rs->error
        || (rs->status != NGX_HTTP_OK && rs->status != NGX_HTTP_CREATED
            && rs->status != NGX_HTTP_NO_CONTENT))
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return rc;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        ngx_memzero(rs, sizeof(ngx_mobility_ucwa_resp_t));
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* fan-out                                                            */


/*
 * presence_watchers keys are sip NUL app NUL sub, and application ids
 * hold no NUL: the entries of one application are adjacent, so comparing
 * with the previous one is enough to reach each application once (a
 * search through every application seen so far made a fan-out to M
 * watchers cost O(M^2): ~1.5 s of the event loop at M = 10 000).
 */

typedef struct {
    ngx_mobility_ucwa_tx_t   *tx;
    u_char                    last[NGX_MOBILITY_UCWA_ID_MAX];
    size_t                    last_len;   /* 0: none yet */
    ngx_str_t                *sip;
    const char               *rel;
    const char               *suffix;
    ngx_uint_t                failed;
    ngx_uint_t                tmpl;       /* t is usable */
    ngx_mobility_ucwa_tmpl_t  t;
} ngx_mobility_ucwa_fanout_t;


static int
ngx_mobility_ucwa_fanout_one(void *ctx, const u_char *ep, size_t eplen,
    const u_char *id, size_t idlen, uint64_t expires)
{
    ngx_mobility_ucwa_fanout_t  *f = ctx;

    ngx_int_t                 rc;
    ngx_str_t                 aid;
    const char               *path, *in;
    ngx_mobility_ucwa_app_t   app;

    if (expires <= f->tx->now || eplen == 0 || eplen > sizeof(f->last)) {
        return 0;
    }

    if (f->last_len == eplen && ngx_memcmp(f->last, ep, eplen) == 0) {
        return 0;
    }

    ngx_memcpy(f->last, ep, eplen);
    f->last_len = eplen;

    if (f->tmpl) {
        /* the event rendered once, the application's prefix spliced in */

        aid.data = f->last;
        aid.len = eplen;

        rc = ngx_mobility_ucwa_publish_template(f->tx, &aid, &f->t);

        if (rc == NGX_ERROR) {
            f->failed = 1;
            return 1;
        }

        if (rc == NGX_OK) {
            return 0;
        }
    }

    aid.data = ngx_pnalloc(f->tx->pool, eplen);
    if (aid.data == NULL) {
        f->failed = 1;
        return 1;
    }

    ngx_memcpy(aid.data, ep, eplen);
    aid.len = eplen;

    rc = ngx_mobility_ucwa_app_get(f->tx, &aid, &app);

    if (rc == NGX_ERROR) {
        f->failed = 1;
        return 1;
    }

    if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)) {
        return 0;
    }

    path = ngx_mobility_ucwa_psub_path(f->tx->pool, "/people/",
                                       f->sip->data, f->sip->len, "", NULL,
                                       0, f->suffix);
    in = ngx_mobility_ucwa_psub_path(f->tx->pool, "/people/",
                                     f->sip->data, f->sip->len, "", NULL, 0,
                                     "");

    if (in == NULL
        || ngx_mobility_ucwa_psub_event(f->tx, &app, f->rel, path,
                                        "contact", in, "updated",
                                        NGX_MOBILITY_EV_MEDIUM)
           != NGX_OK)
    {
        f->failed = 1;
        return 1;
    }

    return 0;
}


/*
 * rel "contactPresence", "contactNote" or "contactLocation" of sip
 * changed: an event for every application subscribed to sip.
 */
ngx_int_t
ngx_mobility_ucwa_fanout(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    const char *rel, const char *suffix)
{
    ngx_int_t                   rc;
    ngx_mobility_ucwa_event_t   ev;
    ngx_mobility_ucwa_fanout_t  f;

    ngx_memzero(&f, sizeof(ngx_mobility_ucwa_fanout_t));
    f.tx = tx;
    f.sip = sip;
    f.rel = rel;
    f.suffix = suffix;

    /* the same event as ngx_mobility_ucwa_psub_event() publishes */

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));

    ev.sender_rel = "people";
    ev.sender_path = "/people";
    ev.rel = rel;
    ev.path = ngx_mobility_ucwa_psub_path(tx->pool, "/people/", sip->data,
                                          sip->len, "", NULL, 0, suffix);
    ev.in_rel = "contact";
    ev.in_path = ngx_mobility_ucwa_psub_path(tx->pool, "/people/",
                                             sip->data, sip->len, "", NULL,
                                             0, "");
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_MEDIUM;
    ev.merge = 1;

    if (ev.path == NULL || ev.in_path == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_template(tx, &ev, &f.t);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    f.tmpl = (rc == NGX_OK);

    if (ngx_mobility_psub_watchers(tx->st, tx->txn, sip->data, sip->len,
                                   ngx_mobility_ucwa_fanout_one, &f)
        != NGX_MOBILITY_OK
        || f.failed)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* expiry warnings and expiry (worker 0's sweep)                      */


typedef struct {
    ngx_str_t   ep;
    ngx_str_t   id;          /* empty: contacts and groups */
    uint64_t    due;
} ngx_mobility_ucwa_sdue_t;


static int
ngx_mobility_ucwa_sdue_collect(void *ctx, const u_char *ep, size_t eplen,
    const u_char *id, size_t idlen, uint64_t due)
{
    ngx_array_t  *a = ctx;

    ngx_mobility_ucwa_sdue_t  *d;

    d = ngx_array_push(a);
    if (d == NULL) {
        return 1;
    }

    d->ep.data = ngx_pnalloc(a->pool, eplen + idlen + 1);
    if (d->ep.data == NULL) {
        a->nelts--;
        return 1;
    }

    ngx_memcpy(d->ep.data, ep, eplen);
    d->ep.len = eplen;
    d->id.data = d->ep.data + eplen;
    ngx_memcpy(d->id.data, id, idlen);
    d->id.len = idlen;
    d->due = due;

    return 0;
}


static ngx_int_t
ngx_mobility_ucwa_sdue_one(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_sdue_t *d, uint64_t warn)
{
    int                       rc;
    uint64_t                  expires;
    const char               *rel, *path;
    ngx_mobility_ucwa_app_t   app;

    if (ngx_mobility_psub_due_del(tx->st, tx->txn, d->ep.data, d->ep.len,
                                  d->id.data, d->id.len, d->due)
        == NGX_MOBILITY_ERROR)
    {
        return NGX_ERROR;
    }

    if (d->id.len) {
        rc = ngx_mobility_psub_get(tx->st, tx->txn, d->ep.data, d->ep.len,
                                   d->id.data, d->id.len, &expires);
    } else {
        rc = ngx_mobility_cgsub_get(tx->st, tx->txn, d->ep.data, d->ep.len,
                                    &expires);
    }

    if (rc != NGX_MOBILITY_OK) {
        /* deleted (or its application went) since */
        return (rc == NGX_MOBILITY_ERROR) ? NGX_ERROR : NGX_OK;
    }

    if (tx->now >= expires) {
        /* expired: it goes, members and watcher entries with it */

        if (d->id.len) {
            rc = ngx_mobility_psub_del(tx->st, tx->txn, d->ep.data,
                                       d->ep.len, d->id.data, d->id.len);

            /* a group binding of it goes too (its owner's) */
            if (rc != NGX_MOBILITY_ERROR
                && ngx_mobility_ucwa_app_get(tx, &d->ep, &app) == NGX_OK
                && ngx_mobility_psub_group_unbind_ep(tx->st, tx->txn,
                                                     app.owner.data,
                                                     app.owner.len,
                                                     d->ep.data, d->ep.len,
                                                     d->id.data, d->id.len)
                   != NGX_MOBILITY_OK)
            {
                rc = NGX_MOBILITY_ERROR;
            }

        } else {
            rc = ngx_mobility_cgsub_del(tx->st, tx->txn, d->ep.data,
                                        d->ep.len);
        }

        return (rc == NGX_MOBILITY_ERROR) ? NGX_ERROR : NGX_OK;
    }

    if (tx->now + warn < expires) {
        /* extended since the entry was written: look again later */

        return (ngx_mobility_psub_due_put(tx->st, tx->txn, d->ep.data,
                                          d->ep.len, d->id.data, d->id.len,
                                          expires - warn)
                == NGX_MOBILITY_OK) ? NGX_OK : NGX_ERROR;
    }

    /* about to expire: tell the application, then look at the expiry */

    if (ngx_mobility_psub_due_put(tx->st, tx->txn, d->ep.data, d->ep.len,
                                  d->id.data, d->id.len, expires)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_app_get(tx, &d->ep, &app);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)) {
        return NGX_OK;
    }

    if (d->id.len) {
        rel = "presenceSubscription";
        path = ngx_mobility_ucwa_psub_path(tx->pool,
                                           NGX_MOBILITY_UCWA_PSUB_PATH,
                                           d->id.data, d->id.len, "", NULL, 0,
                                           "");
    } else {
        rel = "myContactsAndGroupsSubscription";
        path = "/people/contactsAndGroupsSubscription";
    }

    return ngx_mobility_ucwa_psub_event(tx, &app, rel, path, NULL, NULL,
                                        "updated", NGX_MOBILITY_EV_MEDIUM);
}


/*
 * Presence and contacts-and-groups subscriptions whose warning or expiry
 * is due: at most limit per call, in the sweep's write transaction.
 */
void
ngx_mobility_ucwa_subs_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    int                        n;
    uint64_t                   warn;
    ngx_uint_t                 i;
    ngx_array_t               *due;
    ngx_mobility_ucwa_sdue_t  *d;

    due = ngx_array_create(tx->pool, 8, sizeof(ngx_mobility_ucwa_sdue_t));
    if (due == NULL) {
        return;
    }

    n = ngx_mobility_psub_due_scan(tx->st, tx->txn, tx->now,
                                   (unsigned) limit,
                                   ngx_mobility_ucwa_sdue_collect, due);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return;
    }

    warn = (uint64_t) tx->umcf->subscription_warning * 1000;
    d = due->elts;

    for (i = 0; i < due->nelts; i++) {
        if (ngx_mobility_ucwa_sdue_one(tx, &d[i], warn) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0,
                          "mobility ucwa: subscription expiry: %s",
                          tx->st->err);
            return;
        }
    }
}


/* ------------------------------------------------------------------ */
/* group presence subscriptions: members added later                  */


typedef struct {
    ngx_array_t   *subs;       /* ngx_mobility_ucwa_sdue_t, due unused */
} ngx_mobility_ucwa_gsub_t;


static ngx_int_t ngx_mobility_ucwa_group_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len,
    ngx_uint_t add);


/*
 * sip joined owner's group gid: it joins every live subscription that
 * follows the group (contact added in subscribedContacts to its
 * application); bindings of subscriptions that are gone are removed.
 */
ngx_int_t
ngx_mobility_ucwa_group_member_added(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len)
{
    return ngx_mobility_ucwa_group_member(tx, owner, gid, sip, len, 1);
}


/*
 * sip left owner's group gid (a membership deleted, removeContactFromAll
 * Groups, the group deleted): it leaves every live subscription that
 * follows the group, so its presence events stop there (contact deleted
 * in subscribedContacts to the subscribing application).
 */
ngx_int_t
ngx_mobility_ucwa_group_member_removed(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len)
{
    return ngx_mobility_ucwa_group_member(tx, owner, gid, sip, len, 0);
}


static ngx_int_t
ngx_mobility_ucwa_group_member(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *owner, uint32_t gid, const u_char *sip, size_t len,
    ngx_uint_t add)
{
    int                        rc;
    uint64_t                   expires;
    ngx_uint_t                 i;
    ngx_array_t               *subs;
    ngx_mobility_ucwa_app_t    app;
    ngx_mobility_ucwa_sdue_t  *s;

    subs = ngx_array_create(tx->pool, 4, sizeof(ngx_mobility_ucwa_sdue_t));
    if (subs == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_psub_group_subs(tx->st, tx->txn, owner->data,
                                     owner->len, gid,
                                     ngx_mobility_ucwa_sdue_collect, subs)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    s = subs->elts;

    for (i = 0; i < subs->nelts; i++) {
        rc = ngx_mobility_psub_get(tx->st, tx->txn, s[i].ep.data,
                                   s[i].ep.len, s[i].id.data, s[i].id.len,
                                   &expires);
        if (rc == NGX_MOBILITY_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_MOBILITY_OK || expires <= tx->now) {
            if (ngx_mobility_psub_group_unbind(tx->st, tx->txn, owner->data,
                                               owner->len, gid, s[i].ep.data,
                                               s[i].ep.len, s[i].id.data,
                                               s[i].id.len)
                == NGX_MOBILITY_ERROR)
            {
                return NGX_ERROR;
            }

            continue;
        }

        if (add) {
            rc = ngx_mobility_psub_add(tx->st, tx->txn, s[i].ep.data,
                                       s[i].ep.len, s[i].id.data,
                                       s[i].id.len, sip, len);

        } else {
            rc = ngx_mobility_psub_remove(tx->st, tx->txn, s[i].ep.data,
                                          s[i].ep.len, s[i].id.data,
                                          s[i].id.len, sip, len);
        }

        if (rc == NGX_MOBILITY_EXISTS || rc == NGX_MOBILITY_NOTFOUND) {
            continue;
        }

        if (rc != NGX_MOBILITY_OK) {
            if (ngx_strcmp(tx->st->err, "limit") == 0) {
                /* the subscription is full: the member is not followed */
                continue;
            }

            return NGX_ERROR;
        }

        rc = ngx_mobility_ucwa_app_get(tx, &s[i].ep, &app);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)) {
            continue;
        }

        if (ngx_mobility_ucwa_psub_event(tx, &app, "contact",
                 ngx_mobility_ucwa_psub_path(tx->pool, "/people/", sip, len,
                                             "", NULL, 0, ""),
                 "subscribedContacts", "/people/subscribedContacts",
                 add ? "added" : "deleted", NGX_MOBILITY_EV_MEDIUM)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* myContactsAndGroupsSubscription                                    */


#define NGX_MOBILITY_UCWA_CGSUB_PATH  "/people/contactsAndGroupsSubscription"
#define NGX_MOBILITY_UCWA_CGSUB_START "startOrRefreshSubscriptionToContacts" \
                                      "AndGroups"
#define NGX_MOBILITY_UCWA_CGSUB_STOP  "stopSubscriptionToContactsAndGroups"


static json_t *
ngx_mobility_ucwa_cgsub_json(ngx_str_t *prefix, ngx_uint_t live)
{
    json_t  *obj, *links;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    json_object_set_new(obj, "state",
                        json_string(live ? "Connected" : "Disconnected"));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  NGX_MOBILITY_UCWA_CGSUB_PATH);
    (void) ngx_mobility_ucwa_link(links, NGX_MOBILITY_UCWA_CGSUB_START,
                                  prefix,
                                  NGX_MOBILITY_UCWA_CGSUB_PATH "/"
                                  NGX_MOBILITY_UCWA_CGSUB_START);
    if (live) {
        (void) ngx_mobility_ucwa_link(links, NGX_MOBILITY_UCWA_CGSUB_STOP,
                                      prefix,
                                      NGX_MOBILITY_UCWA_CGSUB_PATH "/"
                                      NGX_MOBILITY_UCWA_CGSUB_STOP);
    }

    json_object_set_new(obj, "rel",
                        json_string("myContactsAndGroupsSubscription"));

    return obj;
}


static ngx_int_t
ngx_mobility_ucwa_cgsub_handle(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, ngx_str_t *sub)
{
    int         rc;
    json_t     *obj;
    uint64_t    expires, len, warn;
    ngx_int_t   minutes;
    ngx_str_t   d;
    ngx_uint_t  live;

    rc = ngx_mobility_cgsub_get(tx->st, tx->txn, app->id.data, app->id.len,
                                &expires);
    if (rc == NGX_MOBILITY_ERROR) {
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    live = (rc == NGX_MOBILITY_OK && expires > tx->now);

    if (sub->len == 0) {
        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL,
                                                 NULL, "Use GET.");
        }

        goto resource;
    }

    if (sub->len == sizeof(NGX_MOBILITY_UCWA_CGSUB_STOP)
        && ngx_strncasecmp(sub->data + 1,
                           (u_char *) NGX_MOBILITY_UCWA_CGSUB_STOP,
                           sub->len - 1) == 0)
    {
        if (rq->method != NGX_HTTP_POST) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL,
                                                 NULL, "Use POST.");
        }

        if (ngx_mobility_cgsub_del(tx->st, tx->txn, app->id.data,
                                   app->id.len)
            == NGX_MOBILITY_ERROR)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    if (sub->len != sizeof(NGX_MOBILITY_UCWA_CGSUB_START)
        || ngx_strncasecmp(sub->data + 1,
                           (u_char *) NGX_MOBILITY_UCWA_CGSUB_START,
                           sub->len - 1) != 0)
    {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "The resource does not exist.");
    }

    if (rq->method != NGX_HTTP_POST) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                             "MethodNotAllowed", NULL, NULL,
                                             "Use POST.");
    }

    /* duration 10..60 minutes; a refresh adds to what is left, <= 30 */

    minutes = NGX_MOBILITY_UCWA_PSUB_MIN;

    if (ngx_mobility_ucwa_input_str(rq, "duration", &d) == NGX_OK && d.len) {
        minutes = ngx_atoi(d.data, d.len);

        if (minutes < 10 || minutes > 60) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 NGX_MOBILITY_UCWA_PVF,
                                                 "duration",
                                                 "duration must be between "
                                                 "10 and 60.");
        }
    }

    len = (uint64_t) minutes * 60000;

    if (live) {
        len += expires - tx->now;

        if (len > NGX_MOBILITY_UCWA_PSUB_MAX * 60000) {
            len = NGX_MOBILITY_UCWA_PSUB_MAX * 60000;
        }
    }

    warn = (uint64_t) tx->umcf->subscription_warning * 1000;

    if (ngx_mobility_cgsub_put(tx->st, tx->txn, app->id.data, app->id.len,
                               tx->now + len)
        != NGX_MOBILITY_OK
        || (!live
            && ngx_mobility_psub_due_put(tx->st, tx->txn, app->id.data,
                                         app->id.len, NULL, 0,
                                         tx->now + len - warn)
               != NGX_MOBILITY_OK))
    {
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    /* a refresh keeps its index entry: the sweep moves it lazily */

    live = 1;

resource:

    obj = ngx_mobility_ucwa_cgsub_json(prefix, live);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/*
 * .../people/contactsAndGroupsSubscription[/startOrRefresh...|/stop...]
 */
ngx_int_t
ngx_mobility_ucwa_contacts_and_groups(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *sub)
{
    ngx_int_t                rc;
    ngx_str_t                prefix;
    ngx_uint_t               write;
    ngx_mobility_ucwa_tx_t   tx;
    ngx_mobility_ucwa_app_t  app;

    write = (rq->method != NGX_HTTP_GET);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, &prefix);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_cgsub_handle(rq, rs, &tx, &app, &prefix, sub);

    if (rc != NGX_OK || !write || rs->error
        || (rs->status != NGX_HTTP_OK && rs->status != NGX_HTTP_NO_CONTENT))
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return rc;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        ngx_memzero(rs, sizeof(ngx_mobility_ucwa_resp_t));
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    return NGX_OK;
}
