/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA contacts and groups: myContacts, myGroups (defaultGroup,
 * pinnedGroup, the user's groups; revision 2 creates them), a group and
 * its contacts, myGroupMemberships (revision 2: add with
 * ?contactUri=[&groupId=], removeContactFromAllGroups), memberships.
 * State: shared/ngx_mobility_contacts.c.  Changes become events on the
 * user's other applications, written in the same transaction.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_contacts.h"
#include "ngx_mobility_subscriptions.h"


typedef struct {
    ngx_mobility_ucwa_req_t   *rq;
    ngx_mobility_ucwa_tx_t    *tx;
    ngx_mobility_ucwa_app_t   *app;
    ngx_str_t                 *prefix;
    json_t                    *list;
    json_t                    *emb;
    uint32_t                   gid;
    ngx_uint_t                 failed;
} ngx_mobility_ucwa_cwalk_t;


typedef struct {
    ngx_mobility_member_pt      each;
    const char                 *name;        /* of the embedded members */
    const char                 *rel;
    const char                 *self;
    const char                 *action;      /* a further link, if any */
    const char                 *action_path;
} ngx_mobility_ucwa_mlist_t;


static const char *
ngx_mobility_ucwa_cpath(ngx_pool_t *pool, const char *fmt, uint32_t gid,
    const u_char *sip, size_t len)
{
    u_char  *p, *path;

    path = ngx_pnalloc(pool, 64 + len);
    if (path == NULL) {
        return NULL;
    }

    if (sip) {
        p = ngx_sprintf(path, fmt, gid, len, sip);

    } else {
        p = ngx_sprintf(path, fmt, gid);
    }

    *p = '\0';

    return (const char *) path;
}


/* "/people/<sip>" */
static const char *
ngx_mobility_ucwa_spath(ngx_pool_t *pool, const u_char *sip, size_t len)
{
    u_char  *p, *path;

    path = ngx_pnalloc(pool, sizeof("/people/") + len);
    if (path == NULL) {
        return NULL;
    }

    p = ngx_cpymem(path, "/people/", sizeof("/people/") - 1);
    p = ngx_cpymem(p, sip, len);
    *p = '\0';

    return (const char *) path;
}


static const char *
ngx_mobility_ucwa_group_rel(ngx_mobility_group_t *g)
{
    switch (g->kind) {
    case NGX_MOBILITY_GROUP_KIND_DEFAULT:
        return "defaultGroup";
    case NGX_MOBILITY_GROUP_KIND_PINNED:
        return "pinnedGroup";
    default:
        return "group";
    }
}


static json_t *
ngx_mobility_ucwa_group_json(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_group_t *g)
{
    u_char  id[NGX_INT32_LEN], *p;
    json_t  *obj, *links, *v;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    p = ngx_sprintf(id, "%uD", g->id);

    json_object_set_new(obj, "id", json_stringn((const char *) id, p - id));
    v = json_stringn((const char *) g->name, g->name_len);
    json_object_set_new(obj, "name", v ? v : json_string(""));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                     ngx_mobility_ucwa_cpath(pool, "/people/groups/%uD",
                                             g->id, NULL, 0));
    (void) ngx_mobility_ucwa_link(links, "groupContacts", prefix,
                     ngx_mobility_ucwa_cpath(pool,
                                             "/people/groups/%uD/contacts",
                                             g->id, NULL, 0));
    (void) ngx_mobility_ucwa_link(links, "subscribeToGroupPresence", prefix,
                     ngx_mobility_ucwa_cpath(pool,
                                             "/people/presenceSubscriptions"
                                             "?groupId=%uD", g->id, NULL, 0));

    json_object_set_new(obj, "rel",
                        json_string(ngx_mobility_ucwa_group_rel(g)));

    return obj;
}


static json_t *
ngx_mobility_ucwa_membership_json(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_group_t *g, const u_char *sip, size_t len)
{
    json_t                *obj, *links;
    ngx_mobility_bytes_t   b;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    b.data = sip;
    b.len = len;

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                     ngx_mobility_ucwa_cpath(pool,
                                             "/people/groupMemberships/%uD,%*s",
                                             g->id, b.data, b.len));
    (void) ngx_mobility_ucwa_link(links, "contact", prefix,
                     ngx_mobility_ucwa_spath(pool, b.data, b.len));
    (void) ngx_mobility_ucwa_link(links, ngx_mobility_ucwa_group_rel(g),
                     prefix,
                     ngx_mobility_ucwa_cpath(pool, "/people/groups/%uD",
                                             g->id, NULL, 0));

    json_object_set_new(obj, "rel", json_string("myGroupMembership"));

    return obj;
}


/* events on the user's other applications (sender: people) */
static ngx_int_t
ngx_mobility_ucwa_cevent(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, const char *rel, const char *path,
    const char *type, unsigned urgency)
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
    ev.type = type;
    ev.urgency = urgency;
    ev.merge = (ngx_strcmp(type, "updated") == 0);

    return ngx_mobility_ucwa_publish_user(tx, &app->owner, 0, &app->id, &ev);
}


/* a contact per distinct SIP address (one group, or all: gid 0) */
static int
ngx_mobility_ucwa_contact_each(void *ctx, uint32_t gid, const u_char *sip,
    size_t len)
{
    ngx_mobility_ucwa_cwalk_t  *w = ctx;

    json_t               *c;
    ngx_mobility_user_t   u;

    if (ngx_mobility_ucwa_list_has(w->list, sip, len)) {
        return 0;
    }

    if (ngx_mobility_user_get(w->tx->st, w->tx->txn, sip, len, &u)
        != NGX_MOBILITY_OK)
    {
        /* a contact no longer in the directory: uri only */
        ngx_memzero(&u, sizeof(ngx_mobility_user_t));
        u.sip.data = sip;
        u.sip.len = len;
    }

    c = ngx_mobility_ucwa_contact_json(w->rq->pool, w->prefix, &u);
    if (c == NULL) {
        w->failed = 1;
        return 1;
    }

    json_array_append_new(w->list, c);

    return 0;
}


/*
 * A list resource of the owner's group members (gid 0: of every group),
 * one embedded "name" each "each" renders; "action", if any, is a further
 * link of the list.
 */
static ngx_int_t
ngx_mobility_ucwa_member_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, uint32_t gid,
    ngx_mobility_ucwa_mlist_t *l)
{
    json_t                     *obj, *links, *emb;
    ngx_mobility_ucwa_cwalk_t   w;

    ngx_memzero(&w, sizeof(ngx_mobility_ucwa_cwalk_t));
    w.rq = rq;
    w.tx = tx;
    w.app = app;
    w.prefix = prefix;
    w.list = json_array();

    if (w.list == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_members_walk(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, gid, l->each, &w)
        != NGX_MOBILITY_OK
        || w.failed)
    {
        json_decref(w.list);
        return w.failed ? NGX_ERROR
                        : ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    obj = json_object();
    links = json_object();
    emb = json_object();

    if (obj == NULL || links == NULL || emb == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        json_decref(w.list);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix, l->self);

    if (l->action) {
        (void) ngx_mobility_ucwa_link(links, l->action, prefix,
                                      l->action_path);
    }

    json_object_set_new(emb, l->name, w.list);
    json_object_set_new(obj, "_embedded", emb);
    json_object_set_new(obj, "rel", json_string(l->rel));

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


static ngx_int_t
ngx_mobility_ucwa_contact_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, uint32_t gid,
    const char *rel, const char *self)
{
    ngx_mobility_ucwa_mlist_t  l;

    ngx_memzero(&l, sizeof(ngx_mobility_ucwa_mlist_t));
    l.each = ngx_mobility_ucwa_contact_each;
    l.name = "contact";
    l.rel = rel;
    l.self = self;

    return ngx_mobility_ucwa_member_list(rq, rs, tx, app, prefix, gid, &l);
}


static int
ngx_mobility_ucwa_group_each(void *ctx, ngx_mobility_group_t *g)
{
    ngx_mobility_ucwa_cwalk_t  *w = ctx;

    json_t  *j;

    j = ngx_mobility_ucwa_group_json(w->rq->pool, w->prefix, g);
    if (j == NULL) {
        w->failed = 1;
        return 1;
    }

    if (g->kind == NGX_MOBILITY_GROUP_USER) {
        json_array_append_new(w->list, j);

    } else {
        json_object_set_new(w->emb, ngx_mobility_ucwa_group_rel(g), j);
    }

    return 0;
}


static int
ngx_mobility_ucwa_membership_each(void *ctx, uint32_t gid, const u_char *sip,
    size_t len)
{
    ngx_mobility_ucwa_cwalk_t  *w = ctx;

    json_t                *j;
    ngx_mobility_group_t   g;

    if (ngx_mobility_group_get(w->tx->st, w->tx->txn, w->app->owner.data,
                               w->app->owner.len, gid, &g)
        != NGX_MOBILITY_OK)
    {
        return 0;
    }

    j = ngx_mobility_ucwa_membership_json(w->rq->pool, w->prefix, &g, sip,
                                          len);
    if (j == NULL) {
        w->failed = 1;
        return 1;
    }

    json_array_append_new(w->list, j);

    return 0;
}


static ngx_int_t
ngx_mobility_ucwa_parse_gid(ngx_str_t *s, uint32_t *gid)
{
    ngx_int_t  n;

    n = ngx_atoi(s->data, s->len);

    if (n <= 0 || n > 0x7fffffff) {
        return NGX_ERROR;
    }

    *gid = (uint32_t) n;

    return NGX_OK;
}


/* "sip:a@b" (or "a@b") of a directory user, canonical, into sip */
static ngx_int_t
ngx_mobility_ucwa_contact_uri(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *uri,
    u_char *sip, size_t *len)
{
    int                  n;
    ngx_mobility_user_t  u;

    n = ngx_mobility_sip_canon(uri->data, uri->len, sip, NULL);

    if (n <= 0) {
        return NGX_DECLINED;
    }

    if (ngx_mobility_user_get(tx->st, tx->txn, sip, n, &u)
        != NGX_MOBILITY_OK)
    {
        return NGX_DECLINED;
    }

    *len = n;

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_membership_added(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, uint32_t gid, const u_char *sip,
    size_t len, ngx_uint_t was_known)
{
    if (!was_known) {
        if (ngx_mobility_ucwa_cevent(tx, app, "contact",
                                     ngx_mobility_ucwa_spath(tx->pool, sip,
                                                             len),
                                     "added", NGX_MOBILITY_EV_HIGH)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_mobility_ucwa_cevent(tx, app, "groupContacts",
                     ngx_mobility_ucwa_cpath(tx->pool,
                                             "/people/groups/%uD/contacts",
                                             gid, NULL, 0),
                     "updated", NGX_MOBILITY_EV_MEDIUM);
}


/* the groups that hold sip, or the members of one group (gid) */
typedef struct {
    ngx_mobility_ucwa_tx_t   *tx;
    ngx_str_t                *owner;
    const u_char             *sip;
    size_t                    len;
    ngx_array_t              *found;     /* uint32_t gids, or ngx_str_t */
    ngx_uint_t                failed;
} ngx_mobility_ucwa_gfind_t;


static int
ngx_mobility_ucwa_gfind_group(void *data, ngx_mobility_group_t *g)
{
    int                         rc;
    uint32_t                   *gid;
    ngx_mobility_ucwa_gfind_t  *f = data;

    rc = ngx_mobility_member_exists(f->tx->st, f->tx->txn, f->owner->data,
                                    f->owner->len, g->id, f->sip, f->len);

    if (rc == NGX_MOBILITY_ERROR) {
        f->failed = 1;
        return 1;
    }

    if (rc == NGX_MOBILITY_OK) {
        gid = ngx_array_push(f->found);
        if (gid == NULL) {
            f->failed = 1;
            return 1;
        }

        *gid = g->id;
    }

    return 0;
}


static int
ngx_mobility_ucwa_gfind_member(void *data, uint32_t gid, const u_char *sip,
    size_t len)
{
    ngx_str_t                  *m;
    ngx_mobility_ucwa_gfind_t  *f = data;

    m = ngx_array_push(f->found);
    if (m == NULL) {
        f->failed = 1;
        return 1;
    }

    /* the store's memory is not valid past the next write */
    m->data = ngx_pnalloc(f->tx->pool, len);
    if (m->data == NULL) {
        f->failed = 1;
        return 1;
    }

    ngx_memcpy(m->data, sip, len);
    m->len = len;

    return 0;
}


static ngx_int_t
ngx_mobility_ucwa_memberships(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, ngx_str_t *sub)
{
    int                         rc;
    u_char                      sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t                      len;
    json_t                     *obj;
    uint32_t                    gid;
    ngx_int_t                   known;
    ngx_str_t                   uri, gs;
    uint32_t                   *gids;
    ngx_uint_t                  i;
    ngx_mobility_group_t        g;
    ngx_mobility_ucwa_mlist_t   l;
    ngx_mobility_ucwa_gfind_t   f;

    static ngx_str_t  remove_all = ngx_string("/removeContactFromAllGroups");

    /* POST .../groupMemberships?contactUri=sip:...[&groupId=] */

    if (sub->len == 0 && rq->method == NGX_HTTP_POST) {
        if (ngx_mobility_ucwa_input_str(rq, "contactUri", &uri) != NGX_OK
            || ngx_mobility_ucwa_contact_uri(tx, &uri, sip, &len) != NGX_OK)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "contactUri",
                                                 "contactUri is not a user of "
                                                 "this deployment.");
        }

        gid = NGX_MOBILITY_GROUP_DEFAULT;

        if (ngx_mobility_ucwa_input_str(rq, "groupId", &gs) == NGX_OK
            && ngx_mobility_ucwa_parse_gid(&gs, &gid) != NGX_OK)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "groupId", "Invalid groupId.");
        }

        known = ngx_mobility_contact_known(tx->st, tx->txn, app->owner.data,
                                           app->owner.len, sip, len);
        if (known < 0) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rc = ngx_mobility_member_add(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, gid, sip, len, tx->now);

        switch (rc) {

        case NGX_MOBILITY_OK:
            break;

        case NGX_MOBILITY_NOTFOUND:
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                                 "NotFound", NULL, NULL,
                                                 "There is no such group.");

        case NGX_MOBILITY_EXISTS:
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_CONFLICT,
                                                 "Conflict", "AlreadyExists",
                                                 NULL, "The contact is already "
                                                 "in this group.");

        default:
            if (ngx_strcmp(tx->st->err, "limit") == 0) {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_FORBIDDEN,
                                                     "Forbidden",
                                                     "LimitExceeded", NULL,
                                                     "The contact list is "
                                                     "full.");
            }

            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        if (ngx_mobility_group_get(tx->st, tx->txn, app->owner.data,
                                   app->owner.len, gid, &g)
            != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_membership_added(tx, app, gid, sip, len,
                                                  known)
               != NGX_OK
            || ngx_mobility_ucwa_group_member_added(tx, &app->owner, gid,
                                                    sip, len)
               != NGX_OK)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        obj = ngx_mobility_ucwa_membership_json(rq->pool, prefix, &g, sip,
                                                len);
        if (obj == NULL) {
            return NGX_ERROR;
        }

        rs->location.data = (u_char *) json_string_value(json_object_get(
                                json_object_get(json_object_get(obj,
                                                                "_links"),
                                                "self"),
                                "href"));
        if (rs->location.data) {
            rs->location.len = ngx_strlen(rs->location.data);
            rs->location.data = ngx_pstrdup(rq->pool, &rs->location);
        }

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED, obj);
    }

    if (sub->len == remove_all.len
        && ngx_strncasecmp(sub->data, remove_all.data, sub->len) == 0)
    {
        if (rq->method != NGX_HTTP_POST) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL, NULL,
                                                 "The method is not allowed.");
        }

        if (ngx_mobility_ucwa_input_str(rq, "contactUri", &uri) != NGX_OK
            || (rc = ngx_mobility_sip_canon(uri.data, uri.len, sip, NULL))
               <= 0)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "contactUri",
                                                 "contactUri is required.");
        }

        len = rc;

        /* the groups it leaves: their presence subscriptions follow */
        ngx_memzero(&f, sizeof(ngx_mobility_ucwa_gfind_t));
        f.tx = tx;
        f.owner = &app->owner;
        f.sip = sip;
        f.len = len;
        f.found = ngx_array_create(rq->pool, 4, sizeof(uint32_t));

        if (f.found == NULL) {
            return NGX_ERROR;
        }

        if (ngx_mobility_groups_walk(tx->st, tx->txn, app->owner.data,
                                     app->owner.len,
                                     ngx_mobility_ucwa_gfind_group, &f)
            != NGX_MOBILITY_OK
            || f.failed)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rc = ngx_mobility_member_del_all(tx->st, tx->txn, app->owner.data,
                                         app->owner.len, sip, len);
        if (rc < 0) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        gids = f.found->elts;

        for (i = 0; i < f.found->nelts; i++) {
            if (ngx_mobility_ucwa_group_member_removed(tx, &app->owner,
                                                       gids[i], sip, len)
                != NGX_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }
        }

        if (rc > 0
            && ngx_mobility_ucwa_cevent(tx, app, "contact",
                                        ngx_mobility_ucwa_spath(tx->pool, sip,
                                                                len),
                                        "deleted", NGX_MOBILITY_EV_HIGH)
               != NGX_OK)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    if (sub->len == 0) {
        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL, NULL,
                                                 "The method is not allowed.");
        }

        gid = 0;

        if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "groupId", &gs)
            == NGX_OK
            && gs.len
            && ngx_mobility_ucwa_parse_gid(&gs, &gid) != NGX_OK)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "groupId", "Invalid groupId.");
        }

        ngx_memzero(&l, sizeof(ngx_mobility_ucwa_mlist_t));
        l.each = ngx_mobility_ucwa_membership_each;
        l.name = "myGroupMembership";
        l.rel = "myGroupMemberships";
        l.self = "/people/groupMemberships";
        l.action = "removeContactFromAllGroups";
        l.action_path = "/people/groupMemberships/removeContactFromAllGroups";

        return ngx_mobility_ucwa_member_list(rq, rs, tx, app, prefix, gid,
                                             &l);
    }

    /* .../groupMemberships/<gid>,<sip>: GET, DELETE */

    rc = ngx_mobility_ucwa_member_path(rq->pool, sub, &gs, sip);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == 0 || ngx_mobility_ucwa_parse_gid(&gs, &gid) != NGX_OK
        || ngx_mobility_group_get(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, gid, &g)
           != NGX_MOBILITY_OK)
    {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "The resource does not exist.");
    }

    len = rc;

    if (rq->method == NGX_HTTP_DELETE) {
        rc = ngx_mobility_member_del(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, gid, sip, len);

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        if (rc == NGX_MOBILITY_NOTFOUND) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                                 "NotFound", NULL, NULL,
                                                 "The resource does not "
                                                 "exist.");
        }

        if (ngx_mobility_ucwa_group_member_removed(tx, &app->owner, gid, sip,
                                                   len)
            != NGX_OK)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        known = ngx_mobility_contact_known(tx->st, tx->txn, app->owner.data,
                                           app->owner.len, sip, len);
        if (known < 0
            || ngx_mobility_ucwa_cevent(tx, app, "groupContacts",
                     ngx_mobility_ucwa_cpath(tx->pool,
                                             "/people/groups/%uD/contacts",
                                             gid, NULL, 0),
                     "updated", NGX_MOBILITY_EV_MEDIUM)
               != NGX_OK
            || (!known
                && ngx_mobility_ucwa_cevent(tx, app, "contact",
                                            ngx_mobility_ucwa_spath(tx->pool,
                                                                    sip, len),
                                            "deleted", NGX_MOBILITY_EV_HIGH)
                   != NGX_OK))
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    if (rq->method != NGX_HTTP_GET) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                             "MethodNotAllowed", NULL, NULL,
                                             "The method is not allowed.");
    }

    rc = ngx_mobility_member_exists(tx->st, tx->txn, app->owner.data,
                                    app->owner.len, gid, sip, len);

    if (rc == NGX_MOBILITY_ERROR) {
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    if (rc != NGX_MOBILITY_OK) {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "The resource does not exist.");
    }

    obj = ngx_mobility_ucwa_membership_json(rq->pool, prefix, &g, sip, len);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


static ngx_int_t
ngx_mobility_ucwa_groups(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_str_t *prefix, ngx_str_t *sub)
{
    int                         rc;
    u_char                     *slash;
    json_t                     *obj, *links;
    uint32_t                    gid;
    ngx_str_t                   name, gs, rest, *members;
    ngx_uint_t                  i;
    ngx_mobility_group_t        g;
    ngx_mobility_ucwa_cwalk_t   w;
    ngx_mobility_ucwa_gfind_t   f;

    if (sub->len == 0) {

        if (rq->method == NGX_HTTP_POST) {
            /* revision 2: {"displayName":"..."} creates a group */

            if (ngx_mobility_ucwa_input_str(rq, "displayName", &name)
                != NGX_OK
                || name.len == 0 || name.len > NGX_MOBILITY_GROUP_NAME_MAX)
            {
                return ngx_mobility_ucwa_bad_param(rq, rs, "displayName",
                                                   "displayName is required "
                                                   "(at most 256 bytes).");
            }

            ngx_memzero(&g, sizeof(ngx_mobility_group_t));
            ngx_memcpy(g.name, name.data, name.len);
            g.name_len = name.len;

            rc = ngx_mobility_group_create(tx->st, tx->txn, app->owner.data,
                                           app->owner.len, &g, tx->now);

            if (rc == NGX_MOBILITY_EXISTS) {
                return ngx_mobility_ucwa_error_param(rq, rs,
                                                     NGX_HTTP_CONFLICT,
                                                     "Conflict",
                                                     "AlreadyExists", NULL,
                                                     "A group of that name "
                                                     "exists.");
            }

            if (rc != NGX_MOBILITY_OK) {
                if (ngx_strcmp(tx->st->err, "limit") == 0) {
                    return ngx_mobility_ucwa_error_param(rq, rs,
                                                         NGX_HTTP_FORBIDDEN,
                                                         "Forbidden",
                                                         "LimitExceeded", NULL,
                                                         "Too many groups.");
                }

                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            if (ngx_mobility_ucwa_cevent(tx, app, "group",
                     ngx_mobility_ucwa_cpath(tx->pool, "/people/groups/%uD",
                                             g.id, NULL, 0),
                     "added", NGX_MOBILITY_EV_HIGH)
                != NGX_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }

            obj = ngx_mobility_ucwa_group_json(rq->pool, prefix, &g);
            if (obj == NULL) {
                return NGX_ERROR;
            }

            rs->location.len = prefix->len + 32;
            rs->location.data = ngx_pnalloc(rq->pool, rs->location.len);
            if (rs->location.data == NULL) {
                return NGX_ERROR;
            }

            rs->location.len = ngx_sprintf(rs->location.data,
                                           "%V/people/groups/%uD", prefix,
                                           g.id)
                               - rs->location.data;

            return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED, obj);
        }

        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL, NULL,
                                                 "The method is not allowed.");
        }

        ngx_memzero(&w, sizeof(ngx_mobility_ucwa_cwalk_t));
        w.rq = rq;
        w.tx = tx;
        w.app = app;
        w.prefix = prefix;
        w.list = json_array();
        w.emb = json_object();
        obj = json_object();
        links = json_object();

        if (w.list == NULL || w.emb == NULL || obj == NULL
            || links == NULL)
        {
            json_decref(w.list);
            json_decref(w.emb);
            json_decref(obj);
            json_decref(links);
            return NGX_ERROR;
        }

        json_object_set_new(obj, "_links", links);
        json_object_set_new(obj, "_embedded", w.emb);
        json_object_set_new(obj, "rel", json_string("myGroups"));
        (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                      "/people/groups");

        rc = ngx_mobility_groups_walk(tx->st, tx->txn, app->owner.data,
                                      app->owner.len,
                                      ngx_mobility_ucwa_group_each, &w);

        json_object_set_new(w.emb, "group", w.list);

        if (rc != NGX_MOBILITY_OK || w.failed) {
            json_decref(obj);
            return w.failed ? NGX_ERROR
                            : ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    /* .../groups/<gid>[/contacts] */

    slash = ngx_strlchr(sub->data + 1, sub->data + sub->len, '/');

    gs.data = sub->data + 1;
    gs.len = (slash ? slash : sub->data + sub->len) - gs.data;

    if (slash) {
        rest.data = slash;
        rest.len = sub->data + sub->len - slash;

    } else {
        ngx_str_null(&rest);
    }

    if (ngx_mobility_ucwa_parse_gid(&gs, &gid) != NGX_OK
        || ngx_mobility_group_get(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, gid, &g)
           != NGX_MOBILITY_OK
        || (rest.len
            && !(rest.len == 9
                 && ngx_strncasecmp(rest.data, (u_char *) "/contacts", 9)
                    == 0)))
    {
        return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_FOUND,
                                             "NotFound", NULL, NULL,
                                             "The resource does not exist.");
    }

    if (rest.len) {
        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                                 "MethodNotAllowed", NULL, NULL,
                                                 "The method is not allowed.");
        }

        return ngx_mobility_ucwa_contact_list(rq, rs, tx, app, prefix, gid,
                   "groupContacts",
                   ngx_mobility_ucwa_cpath(rq->pool,
                                           "/people/groups/%uD/contacts",
                                           gid, NULL, 0));
    }

    if (rq->method == NGX_HTTP_DELETE) {
        /* its members leave the presence subscriptions that follow it */
        ngx_memzero(&f, sizeof(ngx_mobility_ucwa_gfind_t));
        f.tx = tx;
        f.owner = &app->owner;
        f.found = ngx_array_create(rq->pool, 8, sizeof(ngx_str_t));

        if (f.found == NULL) {
            return NGX_ERROR;
        }

        if (ngx_mobility_members_walk(tx->st, tx->txn, app->owner.data,
                                      app->owner.len, gid,
                                      ngx_mobility_ucwa_gfind_member, &f)
            != NGX_MOBILITY_OK
            || f.failed)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rc = ngx_mobility_group_del(tx->st, tx->txn, app->owner.data,
                                    app->owner.len, gid);

        if (rc == NGX_MOBILITY_EXISTS) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_FORBIDDEN,
                                                 "Forbidden", NULL, NULL,
                                                 "A system group cannot be "
                                                 "deleted.");
        }

        members = f.found->elts;

        for (i = 0; rc == NGX_MOBILITY_OK && i < f.found->nelts; i++) {
            if (ngx_mobility_ucwa_group_member_removed(tx, &app->owner, gid,
                                                       members[i].data,
                                                       members[i].len)
                != NGX_OK)
            {
                return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
            }
        }

        if (rc != NGX_MOBILITY_OK
            || ngx_mobility_psub_group_forget(tx->st, tx->txn,
                                              app->owner.data,
                                              app->owner.len, gid)
               != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_cevent(tx, app, "group",
                     ngx_mobility_ucwa_cpath(tx->pool, "/people/groups/%uD",
                                             gid, NULL, 0),
                     "deleted", NGX_MOBILITY_EV_HIGH)
               != NGX_OK)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        rs->status = NGX_HTTP_NO_CONTENT;
        return NGX_OK;
    }

    if (rq->method == NGX_HTTP_POST || rq->method == NGX_HTTP_PUT) {
        /* renames a group of the user's */

        if (ngx_mobility_ucwa_input_str(rq, "displayName", &name) != NGX_OK
            || name.len == 0 || name.len > NGX_MOBILITY_GROUP_NAME_MAX)
        {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "displayName",
                                                 "displayName is required "
                                                 "(at most 256 bytes).");
        }

        if (g.kind != NGX_MOBILITY_GROUP_USER) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_FORBIDDEN,
                                                 "Forbidden", NULL, NULL,
                                                 "A system group cannot be "
                                                 "renamed.");
        }

        rc = ngx_mobility_group_rename(tx->st, tx->txn, app->owner.data,
                                       app->owner.len, gid, name.data,
                                       name.len);

        if (rc == NGX_MOBILITY_EXISTS) {
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_CONFLICT,
                                                 "Conflict", "AlreadyExists",
                                                 NULL, "A group of that name "
                                                 "exists.");
        }

        if (rc != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_cevent(tx, app, "group",
                     ngx_mobility_ucwa_cpath(tx->pool, "/people/groups/%uD",
                                             gid, NULL, 0),
                     "updated", NGX_MOBILITY_EV_MEDIUM)
               != NGX_OK)
        {
            return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
        }

        ngx_memcpy(g.name, name.data, name.len);
        g.name_len = name.len;
    }

    obj = ngx_mobility_ucwa_group_json(rq->pool, prefix, &g);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/*
 * .../people/contacts, .../people/groups..., .../people/groupMemberships...
 * what: "contacts", "groups" or "groupmemberships"; sub: the rest.
 */
ngx_int_t
ngx_mobility_ucwa_contacts(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *what, ngx_str_t *sub)
{
    uint32_t                 gid;
    ngx_int_t                rc;
    ngx_str_t                prefix, gs;
    ngx_uint_t               write;
    ngx_mobility_ucwa_tx_t   tx;
    ngx_mobility_ucwa_app_t  app;

    write = (rq->method != NGX_HTTP_GET);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, &prefix);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (what->len == 8) {
        /* myContacts[?groupId=] */

        if (sub->len || rq->method != NGX_HTTP_GET) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error_param(rq, rs,
                                                 sub->len
                                                 ? NGX_HTTP_NOT_FOUND
                                                 : NGX_HTTP_NOT_ALLOWED,
                                                 sub->len ? "NotFound"
                                                          : "MethodNotAllowed",
                                                 NULL, NULL, "The request is "
                                                 "not allowed.");
        }

        gid = 0;

        if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "groupId", &gs)
            == NGX_OK
            && gs.len
            && ngx_mobility_ucwa_parse_gid(&gs, &gid) != NGX_OK)
        {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                                 "BadRequest",
                                                 "ParameterValidationFailure",
                                                 "groupId", "Invalid groupId.");
        }

        rc = ngx_mobility_ucwa_contact_list(rq, rs, &tx, &app, &prefix, gid,
                                            "myContacts", "/people/contacts");
        ngx_mobility_ucwa_tx_abort(&tx);
        return rc;
    }

    if (what->len == 6) {
        rc = ngx_mobility_ucwa_groups(rq, rs, &tx, &app, &prefix, sub);

    } else {
        rc = ngx_mobility_ucwa_memberships(rq, rs, &tx, &app, &prefix, sub);
    }

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
