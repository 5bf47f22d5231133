/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA people: search over the directory (the "user_search" index of
 * shared/ngx_mobility_directory.c) and the contact resources
 * (.../people/<sip>, its presence, note, location, supportedMedia).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_directory.h"


#define NGX_MOBILITY_UCWA_SEARCH_LIMIT  100


static const char  *ngx_mobility_ucwa_people_av[NGX_MOBILITY_AV_COUNT] = {
    "Offline", "Online", "IdleOnline", "Busy", "IdleBusy", "DoNotDisturb",
    "BeRightBack", "Away", "Away", "Offline"
};

static const char  *ngx_mobility_ucwa_people_act[NGX_MOBILITY_AV_COUNT] = {
    "Offline", "Available", "Inactive", "Busy", "Inactive", "DoNotDisturb",
    "BeRightBack", "Away", "off-work", "Offline"
};


static json_t *
ngx_mobility_ucwa_people_tel(ngx_mobility_bytes_t *b)
{
    u_char  *p;
    size_t   i;
    u_char   buf[NGX_MOBILITY_FIELD_MAX + 8];

    if (b->len == 0 || b->len > NGX_MOBILITY_FIELD_MAX) {
        return NULL;
    }

    if (b->len > 4 && ngx_strncasecmp((u_char *) b->data, (u_char *) "tel:", 4)
                      == 0)
    {
        return json_stringn((const char *) b->data, b->len);
    }

    p = ngx_cpymem(buf, "tel:", 4);

    for (i = 0; i < b->len; i++) {
        if ((b->data[i] >= '0' && b->data[i] <= '9')
            || (b->data[i] == '+' && p == buf + 4))
        {
            *p++ = b->data[i];
        }
    }

    if (p == buf + 4) {
        return NULL;
    }

    return json_stringn((const char *) buf, p - buf);
}


/* first (a prefix ending in "/people/"), sip, suffix: a path */
const char *
ngx_mobility_ucwa_people_path(ngx_pool_t *pool, const char *first,
    ngx_mobility_bytes_t *sip, const char *suffix)
{
    u_char  *p, *path;

    path = ngx_pnalloc(pool, ngx_strlen(first) + sip->len
                             + ngx_strlen(suffix) + 1);
    if (path == NULL) {
        return NULL;
    }

    p = ngx_cpymem(path, first, ngx_strlen(first));
    p = ngx_cpymem(p, sip->data, sip->len);
    p = ngx_cpymem(p, suffix, ngx_strlen(suffix));
    *p = '\0';

    return (const char *) path;
}


/* the contact resource of a directory user */
json_t *
ngx_mobility_ucwa_contact_json(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_user_t *u)
{
    u_char       *p, uri[NGX_MOBILITY_SIP_MAX + 8], etag[NGX_INT64_LEN];
    json_t       *obj, *links, *emails, *v;
    ngx_uint_t    i;
    const char   *path;

    static const struct {
        const char  *rel;
        const char  *first;
        const char  *suffix;
    } rels[] = {
        { "self", "/people/", "" },
        { "contactPhoto", "/photos/", "" },
        { "contactPresence", "/people/", "/presence" },
        { "contactLocation", "/people/", "/location" },
        { "contactNote", "/people/", "/note" },
        { "contactSupportedModalities", "/people/", "/supportedMedia" },
        { "contactPrivacyRelationship", "/people/", "/privacyRelationship" },
        { NULL, NULL, NULL }
    };

    static const struct {
        const char  *name;
        size_t       offset;
        ngx_uint_t   tel;
    } fields[] = {
        { "title", offsetof(ngx_mobility_user_t, title), 0 },
        { "department", offsetof(ngx_mobility_user_t, department), 0 },
        { "company", offsetof(ngx_mobility_user_t, company), 0 },
        { "office", offsetof(ngx_mobility_user_t, office), 0 },
        { "workPhoneNumber", offsetof(ngx_mobility_user_t, phone_work), 1 },
        { "mobilePhoneNumber", offsetof(ngx_mobility_user_t, phone_mobile),
          1 },
        { "homePhoneNumber", offsetof(ngx_mobility_user_t, phone_home), 1 },
        { "otherPhoneNumber", offsetof(ngx_mobility_user_t, phone_other), 1 },
        { NULL, 0, 0 }
    };

    obj = json_object();
    links = json_object();
    emails = json_array();

    if (obj == NULL || links == NULL || emails == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(emails);
        return NULL;
    }

    p = ngx_snprintf(uri, sizeof(uri), "sip:%*s", u->sip.len, u->sip.data);

    json_object_set_new(obj, "uri",
                        json_stringn((const char *) uri, p - uri));

    v = json_stringn((const char *) u->name.data, u->name.len);
    json_object_set_new(obj, "name", v ? v : json_string(""));
    json_object_set_new(obj, "type", json_string("User"));
    json_object_set_new(obj, "sourceNetwork", json_string("SameEnterprise"));

    if (u->email.len) {
        v = json_stringn((const char *) u->email.data, u->email.len);
        if (v) {
            json_array_append_new(emails, v);
        }
    }

    json_object_set_new(obj, "emailAddresses", emails);

    for (i = 0; fields[i].name; i++) {
        ngx_mobility_bytes_t  *b;

        b = (ngx_mobility_bytes_t *) ((u_char *) u + fields[i].offset);

        if (b->len == 0) {
            continue;
        }

        v = fields[i].tel ? ngx_mobility_ucwa_people_tel(b)
                          : json_stringn((const char *) b->data, b->len);
        if (v) {
            json_object_set_new(obj, fields[i].name, v);
        }
    }

    p = ngx_sprintf(etag, "%uL", u->updated);
    json_object_set_new(obj, "etag",
                        json_stringn((const char *) etag, p - etag));

    json_object_set_new(obj, "_links", links);

    for (i = 0; rels[i].rel; i++) {
        path = ngx_mobility_ucwa_people_path(pool, rels[i].first, &u->sip,
                                             rels[i].suffix);
        if (path == NULL) {
            json_decref(obj);
            return NULL;
        }

        (void) ngx_mobility_ucwa_link(links, rels[i].rel, prefix, path);
    }

    json_object_set_new(obj, "rel", json_string("contact"));

    return obj;
}


static ngx_int_t
ngx_mobility_ucwa_search(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *prefix)
{
    int                      n, more;
    json_t                  *obj, *links, *emb, *list, *c;
    ngx_int_t                rc, limit;
    ngx_str_t                query, lim;
    ngx_uint_t               i;
    ngx_mobility_user_t      u;
    ngx_mobility_sip_buf_t  *found;

    ngx_str_null(&query);

    rc = ngx_mobility_ucwa_arg(rq->pool, &rq->args, "query", &query);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    for (i = 0; i < query.len; i++) {
        if (query.data[i] != ' ' && query.data[i] != '\t') {
            break;
        }
    }

    if (rc == NGX_DECLINED || i == query.len) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "query",
                                              "A query is required.");
    }

    if (query.len > NGX_MOBILITY_SEARCH_QUERY_MAX) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "query",
                                              "The query is longer than "
                                              "256 characters.");
    }

    limit = NGX_MOBILITY_UCWA_SEARCH_LIMIT;

    rc = ngx_mobility_ucwa_arg(rq->pool, &rq->args, "limit", &lim);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK && lim.len) {
        limit = ngx_atoi(lim.data, lim.len);

        if (limit < 1 || limit > NGX_MOBILITY_UCWA_SEARCH_LIMIT) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "limit",
                                                  "The limit must be "
                                                  "between 1 and 100.");
        }
    }

    found = ngx_palloc(rq->pool, limit * sizeof(ngx_mobility_sip_buf_t));
    if (found == NULL) {
        return NGX_ERROR;
    }

    n = ngx_mobility_user_search(tx->st, tx->txn, query.data, query.len,
                                 found, (size_t) limit, &more);
    if (n < 0) {
        return ngx_mobility_ucwa_store_error(rq, rs, tx->st);
    }

    obj = json_object();
    links = json_object();
    emb = json_object();
    list = json_array();

    if (obj == NULL || links == NULL || emb == NULL || list == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        json_decref(list);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix, "/people/search");

    for (i = 0; i < (ngx_uint_t) n; i++) {
        if (ngx_mobility_user_get(tx->st, tx->txn, found[i].data,
                                  found[i].len, &u)
            != NGX_MOBILITY_OK)
        {
            continue;
        }

        c = ngx_mobility_ucwa_contact_json(rq->pool, prefix, &u);
        if (c == NULL) {
            json_decref(obj);
            json_decref(emb);
            json_decref(list);
            return NGX_ERROR;
        }

        json_array_append_new(list, c);
    }

    json_object_set_new(emb, "contact", list);
    json_object_set_new(emb, "distributionGroup", json_array());
    json_object_set_new(obj, "moreResultsAvailable",
                        more ? json_true() : json_false());
    json_object_set_new(obj, "_embedded", emb);
    json_object_set_new(obj, "rel", json_string("search"));

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


static json_t *
ngx_mobility_ucwa_contact_sub(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *prefix,
    ngx_mobility_user_t *u, ngx_str_t *what, ngx_uint_t *found)
{
    u_char                   *p, date[64];
    json_t                   *obj, *links, *v;
    unsigned                  av;
    uint64_t                  next, last;
    const char               *path, *rel;
    ngx_mobility_presence_t  *pr;

    *found = 1;

    pr = ngx_palloc(tx->pool, sizeof(ngx_mobility_presence_t));
    if (pr == NULL) {
        return NULL;
    }

    if (ngx_mobility_presence_get(tx->st, tx->txn, u->sip.data, u->sip.len,
                                  pr)
        != NGX_MOBILITY_OK)
    {
        return NULL;
    }

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    if (what->len == 9 && ngx_strncmp(what->data, "/presence", 9) == 0) {
        if (ngx_mobility_presence_state(tx->st, tx->txn, u->sip.data,
                                        u->sip.len, pr, tx->now, &av, &next,
                                        &last)
            != NGX_MOBILITY_OK)
        {
            json_decref(obj);
            json_decref(links);
            return NULL;
        }

        if (av >= NGX_MOBILITY_AV_COUNT) {
            av = NGX_MOBILITY_AV_OFFLINE;
        }

        rel = "contactPresence";
        json_object_set_new(obj, "availability",
                            json_string(ngx_mobility_ucwa_people_av[av]));
        json_object_set_new(obj, "activity",
                            json_string(ngx_mobility_ucwa_people_act[av]));
        json_object_set_new(obj, "deviceType",
                            json_string(av == NGX_MOBILITY_AV_OFFLINE
                                        ? "Unknown" : "Mobile"));

        if (last) {
            p = ngx_sprintf(date, "/Date(%uL)/", last);
            json_object_set_new(obj, "lastActive",
                                json_stringn((const char *) date, p - date));
        }

    } else if (what->len == 5 && ngx_strncmp(what->data, "/note", 5) == 0) {
        rel = "contactNote";
        v = json_stringn((const char *) pr->note, pr->note_len);
        json_object_set_new(obj, "message", v ? v : json_string(""));
        json_object_set_new(obj, "type",
                            json_string(pr->note_type == NGX_MOBILITY_NOTE_OOF
                                        ? "OutOfOffice" : "Personal"));

    } else if (what->len == 9
               && ngx_strncmp(what->data, "/location", 9) == 0)
    {
        rel = "contactLocation";
        v = json_stringn((const char *) pr->location, pr->location_len);
        json_object_set_new(obj, "location", v ? v : json_string(""));

    } else if (what->len == 15
               && ngx_strncmp(what->data, "/supportedMedia", 15) == 0)
    {
        rel = "contactSupportedModalities";
        v = json_array();
        if (v) {
            json_array_append_new(v, json_string("Messaging"));
        }
        json_object_set_new(obj, "modalities", v ? v : json_array());

    } else {
        json_decref(obj);
        json_decref(links);
        *found = 0;
        return NULL;
    }

    json_object_set_new(obj, "_links", links);

    path = ngx_mobility_ucwa_people_path(tx->pool, "/people/", &u->sip,
                                         (const char *) what->data);
    if (path) {
        (void) ngx_mobility_ucwa_link(links, "self", prefix, path);
    }

    json_object_set_new(obj, "rel", json_string(rel));

    return obj;
}


ngx_int_t
ngx_mobility_ucwa_people(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    int                      n;
    u_char                  *src, *dst, *slash, *end;
    u_char                   sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t                  *obj;
    ngx_int_t                rc;
    ngx_str_t                prefix, who, what;
    ngx_uint_t               found;
    ngx_mobility_user_t      u;
    ngx_mobility_ucwa_tx_t   tx;
    ngx_mobility_ucwa_app_t  app;

    /* rest: "/people/search" or "/people/<sip>[/presence|/note|...]" */

    src = rq->rest.data + sizeof("/people/") - 1;
    end = rq->rest.data + rq->rest.len;

    if (end > src && end[-1] == '/') {
        end--;
    }

    slash = ngx_strlchr(src, end, '/');

    who.data = src;
    who.len = (slash ? slash : end) - src;

    if (slash) {
        what.data = ngx_pnalloc(rq->pool, end - slash + 1);
        if (what.data == NULL) {
            return NGX_ERROR;
        }

        what.len = end - slash;
        ngx_memcpy(what.data, slash, what.len);
        what.data[what.len] = '\0';

    } else {
        ngx_str_null(&what);
    }

    if ((who.len == 8
         && ngx_strncasecmp(who.data, (u_char *) "contacts", 8) == 0)
        || (who.len == 6
            && ngx_strncasecmp(who.data, (u_char *) "groups", 6) == 0)
        || (who.len == 16
            && ngx_strncasecmp(who.data, (u_char *) "groupMemberships", 16)
               == 0))
    {
        return ngx_mobility_ucwa_contacts(rq, rs, &who, &what);
    }

    if ((who.len == 21
         && ngx_strncasecmp(who.data, (u_char *) "presenceSubscriptions", 21)
            == 0)
        || (who.len == 18
            && ngx_strncasecmp(who.data, (u_char *) "subscribedContacts", 18)
               == 0)
        || (who.len == 31
            && ngx_strncasecmp(who.data,
                               (u_char *) "presenceSubscriptionMemberships",
                               31)
               == 0))
    {
        return ngx_mobility_ucwa_subscriptions(rq, rs, &who, &what);
    }

    if (who.len == 29
        && ngx_strncasecmp(who.data,
                           (u_char *) "contactsAndGroupsSubscription", 29)
           == 0)
    {
        return ngx_mobility_ucwa_contacts_and_groups(rq, rs, &what);
    }

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, 0, &prefix);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (what.len == 0 && who.len == 6
        && ngx_strncasecmp(who.data, (u_char *) "search", 6) == 0)
    {
        if (rq->method != NGX_HTTP_GET) {
            ngx_mobility_ucwa_tx_abort(&tx);
            rs->allow.data = (u_char *) "GET";
            rs->allow.len = 3;
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                           "MethodNotAllowed", NULL,
                                           "The method is not allowed.");
        }

        rc = ngx_mobility_ucwa_search(rq, rs, &tx, &prefix);
        ngx_mobility_ucwa_tx_abort(&tx);
        return rc;
    }

    if (rq->method != NGX_HTTP_GET) {
        ngx_mobility_ucwa_tx_abort(&tx);
        rs->allow.data = (u_char *) "GET";
        rs->allow.len = 3;
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_ALLOWED,
                                       "MethodNotAllowed", NULL,
                                       "The method is not allowed.");
    }

    /* a contact: the SIP address, with or without "sip:", maybe escaped */

    dst = ngx_pnalloc(rq->pool, who.len + 1);
    if (dst == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    src = who.data;
    who.data = dst;
    ngx_unescape_uri(&dst, &src, who.len, 0);
    who.len = dst - who.data;

    n = ngx_mobility_sip_canon(who.data, who.len, sip, NULL);

    rc = (n > 0) ? ngx_mobility_user_get(tx.st, tx.txn, sip, n, &u)
                 : NGX_MOBILITY_NOTFOUND;

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    if (rc != NGX_MOBILITY_OK || !u.enabled) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "There is no such contact.");
    }

    if (what.len == 0) {
        obj = ngx_mobility_ucwa_contact_json(rq->pool, &prefix, &u);
        found = 1;

    } else {
        obj = ngx_mobility_ucwa_contact_sub(&tx, &prefix, &u, &what, &found);
    }

    ngx_mobility_ucwa_tx_abort(&tx);

    if (!found) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "The resource does not exist.");
    }

    if (obj == NULL) {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}
