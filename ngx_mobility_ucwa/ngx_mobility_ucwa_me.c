/*
 * Copyright (C) The nginx mobility authors
 *
 * me: the user's own resources.  makeMeAvailable signs the application
 * in as a presence endpoint; reportMyActivity keeps it active; the
 * published availability aggregates all the user's endpoints (see
 * shared/ngx_mobility_presence.h) and every change reaches all the
 * user's signed-in applications as events.  Also note, location,
 * phones, photos and call forwarding settings.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_md5.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_photo.h"


#define NGX_MOBILITY_UCWA_LOCATION_CHARS  60

/* call forwarding settings */
#define NGX_MOBILITY_UC_CF_PERIOD      1
#define NGX_MOBILITY_UC_CF_SETTING     2
#define NGX_MOBILITY_UC_CF_UNANSWERED  3
#define NGX_MOBILITY_UC_CF_ETAG        4


typedef struct {
    ngx_uint_t   period;        /* index in the value tables */
    ngx_uint_t   setting;
    ngx_uint_t   unanswered;
    uint64_t     etag;
} ngx_mobility_ucwa_cf_t;


static const char  *ngx_mobility_ucwa_availability[NGX_MOBILITY_AV_COUNT] = {
    "Offline", "Online", "IdleOnline", "Busy", "IdleBusy", "DoNotDisturb",
    "BeRightBack", "Away", "Away", "Offline"
};

static const char  *ngx_mobility_ucwa_activity[NGX_MOBILITY_AV_COUNT] = {
    "Offline", "Available", "Inactive", "Busy", "Inactive", "DoNotDisturb",
    "BeRightBack", "Away", "off-work", "Offline"
};

/* PreferredAvailability: what signInAs and POST presence accept */
static struct {
    const char  *name;
    unsigned     av;
} ngx_mobility_ucwa_preferred[] = {
    { "Online", NGX_MOBILITY_AV_NONE },
    { "Available", NGX_MOBILITY_AV_NONE },
    { "Busy", NGX_MOBILITY_AV_BUSY },
    { "DoNotDisturb", NGX_MOBILITY_AV_DND },
    { "BeRightBack", NGX_MOBILITY_AV_BRB },
    { "Away", NGX_MOBILITY_AV_AWAY },
    { "Offwork", NGX_MOBILITY_AV_OFFWORK },
    { NULL, 0 }
};

static const char  *ngx_mobility_ucwa_cf_periods[] = {
    "Always", "Workhours", NULL
};

static const char  *ngx_mobility_ucwa_cf_settings[] = {
    "None", "ImmediateForward", "SimultaneousRing", NULL
};

static const char  *ngx_mobility_ucwa_cf_unanswered[] = {
    "Disabled", "Enabled", NULL
};


static ngx_int_t
ngx_mobility_ucwa_lookup(const char **table, ngx_str_t *v)
{
    ngx_int_t  i;

    for (i = 0; table[i]; i++) {
        if (ngx_strlen(table[i]) == v->len
            && ngx_strncasecmp((u_char *) table[i], v->data, v->len) == 0)
        {
            return i;
        }
    }

    return -1;
}


static ngx_int_t
ngx_mobility_ucwa_preferred_av(ngx_str_t *v)
{
    ngx_uint_t  i;

    for (i = 0; ngx_mobility_ucwa_preferred[i].name; i++) {
        if (ngx_strlen(ngx_mobility_ucwa_preferred[i].name) == v->len
            && ngx_strncasecmp((u_char *) ngx_mobility_ucwa_preferred[i].name,
                               v->data, v->len) == 0)
        {
            return ngx_mobility_ucwa_preferred[i].av;
        }
    }

    return -1;
}


static ngx_int_t
ngx_mobility_ucwa_sip_str(ngx_mobility_ucwa_req_t *rq, ngx_str_t *sip)
{
    sip->data = rq->identity->sip;
    sip->len = rq->identity->sip_len;

    return NGX_OK;
}


/*
 * "+1 (425) 555-1234" -> "tel:+14255551234": a phone field as a tel URI
 * into buf (NGX_MOBILITY_FIELD_MAX + 8); 0: the field is left out (not
 * UTF-8 where jansson would refuse it, or no digits)
 */
static size_t
ngx_mobility_ucwa_tel_text(ngx_mobility_bytes_t *b, u_char *buf)
{
    u_char  *p;
    size_t   i;

    if (b->len > NGX_MOBILITY_FIELD_MAX) {
        return 0;
    }

    if (b->len > 4 && ngx_strncasecmp((u_char *) b->data, (u_char *) "tel:", 4)
                      == 0)
    {
        if (!ngx_mobility_ucwa_utf8_ok(b->data, b->len)) {
            return 0;
        }

        ngx_memcpy(buf, b->data, b->len);
        return b->len;
    }

    p = ngx_cpymem(buf, "tel:", 4);

    for (i = 0; i < b->len; i++) {
        if ((b->data[i] >= '0' && b->data[i] <= '9')
            || (b->data[i] == '+' && p == buf + 4)
            || b->data[i] == ';' || b->data[i] == '=' || b->data[i] == 'x')
        {
            *p++ = b->data[i];
        }
    }

    return (p == buf + 4) ? 0 : (size_t) (p - buf);
}


/* a phone field as JSON (ngx_mobility_ucwa_tel_text()), or NULL */
static json_t *
ngx_mobility_ucwa_tel(ngx_mobility_bytes_t *b)
{
    size_t  n;
    u_char  buf[NGX_MOBILITY_FIELD_MAX + 8];

    n = ngx_mobility_ucwa_tel_text(b, buf);

    return n ? json_stringn((const char *) buf, n) : NULL;
}


static json_t *
ngx_mobility_ucwa_bytes(ngx_mobility_bytes_t *b)
{
    json_t  *j;

    j = json_stringn((const char *) b->data, b->len);

    return j ? j : json_string("");
}


/* ------------------------------------------------------------------ */
/* me                                                                 */


/*
 * The token's user in full: from the auth cache only its sip is set and
 * its record (in the cache's entry, valid during the handler's run) is
 * decoded here, when it is needed
 */
static ngx_int_t
ngx_mobility_ucwa_me_user(ngx_mobility_ucwa_tx_t *tx)
{
    if (tx->user_raw.len == 0) {
        return NGX_OK;
    }

    if (ngx_mobility_user_decode(tx->user_raw.data, tx->user_raw.len,
                                 tx->user)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0,
                      "mobility ucwa: the record of user \"%*s\" is corrupt",
                      tx->user->sip.len, tx->user->sip.data);
        return NGX_ERROR;
    }

    tx->user_raw.len = 0;

    return NGX_OK;
}


json_t *
ngx_mobility_ucwa_me_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    u_char               *p;
    json_t               *obj, *links, *emails, *v;
    ngx_str_t             prefix, uri, photo;
    ngx_uint_t            i, found;
    ngx_mobility_user_t   u;

    static const struct {
        const char  *name;
        size_t       offset;
        ngx_uint_t   tel;
    } fields[] = {
        { "title", offsetof(ngx_mobility_user_t, title), 0 },
        { "department", offsetof(ngx_mobility_user_t, department), 0 },
        { "company", offsetof(ngx_mobility_user_t, company), 0 },
        { "officeLocation", offsetof(ngx_mobility_user_t, office), 0 },
        { "workPhoneNumber", offsetof(ngx_mobility_user_t, phone_work), 1 },
        { "mobilePhoneNumber", offsetof(ngx_mobility_user_t, phone_mobile),
          1 },
        { "homePhoneNumber", offsetof(ngx_mobility_user_t, phone_home), 1 },
        { "otherPhoneNumber", offsetof(ngx_mobility_user_t, phone_other), 1 },
        { NULL, 0, 0 }
    };

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    if (tx->user
        && tx->user->sip.len == app->owner.len
        && ngx_memcmp(tx->user->sip.data, app->owner.data, app->owner.len)
           == 0)
    {
        /* the token's user, read by the token check in this transaction */
        if (ngx_mobility_ucwa_me_user(tx) != NGX_OK) {
            return NULL;
        }

        u = *tx->user;
        found = 1;

    } else {
        found = (ngx_mobility_user_get(tx->st, tx->txn, app->owner.data,
                                       app->owner.len, &u)
                 == NGX_MOBILITY_OK);
    }

    uri.len = sizeof("sip:") - 1 + app->owner.len;
    uri.data = ngx_pnalloc(tx->pool, uri.len);

    photo.len = sizeof("/photos/") - 1 + app->owner.len;
    photo.data = ngx_pnalloc(tx->pool, photo.len + 1);

    if (uri.data == NULL || photo.data == NULL) {
        return NULL;
    }

    ngx_sprintf(uri.data, "sip:%V", &app->owner);
    p = ngx_sprintf(photo.data, "/photos/%V", &app->owner);
    *p = '\0';

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    if (found && u.name.len) {
        json_object_set_new(obj, "name", ngx_mobility_ucwa_bytes(&u.name));

    } else {
        json_object_set_new(obj, "name", ngx_mobility_ucwa_str(&app->owner));
    }

    json_object_set_new(obj, "uri", ngx_mobility_ucwa_str(&uri));

    if (!app->anonymous) {
        emails = json_array();

        if (found && u.email.len) {
            json_array_append_new(emails, ngx_mobility_ucwa_bytes(&u.email));
        }

        json_object_set_new(obj, "emailAddresses", emails);

        for (i = 0; found && fields[i].name; i++) {
            ngx_mobility_bytes_t  *b;

            b = (ngx_mobility_bytes_t *) ((u_char *) &u + fields[i].offset);

            if (b->len == 0) {
                continue;
            }

            v = fields[i].tel ? ngx_mobility_ucwa_tel(b)
                              : ngx_mobility_ucwa_bytes(b);

            if (v) {
                json_object_set_new(obj, fields[i].name, v);
            }
        }

        /* the endpoint's GRUU: the random part of the application id */

        p = ngx_pnalloc(tx->pool, uri.len + sizeof(";opaque=user:epid:;gruu")
                                  + app->id.len);
        if (p) {
            v = json_stringn((const char *) p,
                             ngx_sprintf(p, "%V;opaque=user:epid:%V;gruu",
                                         &uri, &app->id) - p);
            json_object_set_new(obj, "endpointUri", v);
        }
    }

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix, "/me");

    if (!app->anonymous) {
        if (!(app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE)) {
            (void) ngx_mobility_ucwa_link(links, "makeMeAvailable", &prefix,
                                          "/me/makeMeAvailable");
        }

        (void) ngx_mobility_ucwa_link(links, "callForwardingSettings",
                                      &prefix, "/me/callForwardingSettings");
        (void) ngx_mobility_ucwa_link(links, "phones", &prefix, "/me/phones");
        (void) ngx_mobility_ucwa_link(links, "photo", &prefix,
                                      (const char *) photo.data);

        if (app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE) {
            (void) ngx_mobility_ucwa_link(links, "presence", &prefix,
                                          "/me/presence");
            (void) ngx_mobility_ucwa_link(links, "note", &prefix,
                                          "/me/note");
            (void) ngx_mobility_ucwa_link(links, "location", &prefix,
                                          "/me/location");
            (void) ngx_mobility_ucwa_link(links, "reportMyActivity",
                                          &prefix, "/me/reportMyActivity");
        }
    }

    json_object_set_new(obj, "rel", json_string("me"));

    return obj;
}


/* a string the way ngx_mobility_ucwa_bytes() makes it: "" if not UTF-8 */
static void
ngx_mobility_ucwa_jw_text(ngx_mobility_ucwa_jw_t *jw, const u_char *s,
    size_t len)
{
    if (!ngx_mobility_ucwa_utf8_ok(s, len)) {
        len = 0;
    }

    ngx_mobility_ucwa_jw_str(jw, s, len);
}


/*
 * The user's part of "me" in JSON (name, uri, emailAddresses and the
 * directory fields: everything before endpointUri), rendered once per
 * user and directory generation, per process.  It depends on the user's
 * record only, and the record is the same while the store's directory
 * generation is (every change to a user bumps it, CLI included), so a
 * part rendered under the generation the request's transaction read is
 * exactly what rendering now would give.  4 096 sets of four 512-byte
 * entries, two choices of set a user (8 MB, allocated at the first use).
 */

#define NGX_MOBILITY_UCWA_ME_SETS     4096
#define NGX_MOBILITY_UCWA_ME_WAYS     4
#define NGX_MOBILITY_UCWA_ME_ENTRY    512
#define NGX_MOBILITY_UCWA_ME_SIP_MAX  64


typedef struct {
    uint64_t   gen;
    uint32_t   stamp;
    uint16_t   part_len;
    u_char     sip_len;
    u_char     sip[NGX_MOBILITY_UCWA_ME_SIP_MAX];
} ngx_mobility_ucwa_me_head_t;


#define NGX_MOBILITY_UCWA_ME_PART_MAX                                         \
    (NGX_MOBILITY_UCWA_ME_ENTRY - sizeof(ngx_mobility_ucwa_me_head_t))


typedef struct {
    ngx_mobility_ucwa_me_head_t  h;
    u_char                       part[NGX_MOBILITY_UCWA_ME_PART_MAX];
} ngx_mobility_ucwa_me_entry_t;


/* the ways of a set are found by their tags (64 KB in all) */
static ngx_mobility_ucwa_me_entry_t  *ngx_mobility_ucwa_me_cache;
static uint32_t                      *ngx_mobility_ucwa_me_tags;
static ngx_uint_t                     ngx_mobility_ucwa_me_cache_failed;
static uint32_t                       ngx_mobility_ucwa_me_stamp;


/*
 * the first ways of sip's two sets and its tag (never 0): two choices of
 * set, as for the auth cache, so that a full set does not evict its users
 * on every use while other sets have room
 */
static ngx_int_t
ngx_mobility_ucwa_me_set(ngx_str_t *sip, ngx_uint_t *set, uint32_t *tag)
{
    uint64_t  key;

    if (sip->len == 0 || sip->len > NGX_MOBILITY_UCWA_ME_SIP_MAX) {
        return NGX_DECLINED;
    }

    if (ngx_mobility_ucwa_me_cache == NULL) {
        if (ngx_mobility_ucwa_me_cache_failed) {
            return NGX_DECLINED;
        }

        /* zeroed pages, touched as entries are filled */

        ngx_mobility_ucwa_me_cache = ngx_mobility_process_calloc(
                                        NGX_MOBILITY_UCWA_ME_SETS
                                        * NGX_MOBILITY_UCWA_ME_WAYS,
                                        sizeof(ngx_mobility_ucwa_me_entry_t));
        ngx_mobility_ucwa_me_tags = ngx_mobility_process_calloc(
                                        NGX_MOBILITY_UCWA_ME_SETS
                                        * NGX_MOBILITY_UCWA_ME_WAYS,
                                        sizeof(uint32_t));

        if (ngx_mobility_ucwa_me_cache == NULL
            || ngx_mobility_ucwa_me_tags == NULL)
        {
            ngx_mobility_ucwa_me_cache = NULL;
            ngx_mobility_ucwa_me_cache_failed = 1;
            return NGX_DECLINED;
        }
    }

    /* sips differ in a few characters: the hash is mixed before use */

    key = (uint64_t) ngx_murmur_hash2(sip->data, sip->len)
          * 0x9e3779b97f4a7c15ULL;

    set[0] = NGX_MOBILITY_UCWA_ME_WAYS
             * ((key >> 40) & (NGX_MOBILITY_UCWA_ME_SETS - 1));
    set[1] = NGX_MOBILITY_UCWA_ME_WAYS
             * ((key >> 52) & (NGX_MOBILITY_UCWA_ME_SETS - 1));
    *tag = (uint32_t) key | 1;

    return NGX_OK;
}


static ngx_mobility_ucwa_me_entry_t *
ngx_mobility_ucwa_me_find(ngx_uint_t *set, uint32_t tag, ngx_str_t *sip,
    uint64_t gen)
{
    ngx_uint_t                     i, k;
    ngx_mobility_ucwa_me_entry_t  *e;

    for (k = 0; k < 2; k++) {
        for (i = set[k]; i < set[k] + NGX_MOBILITY_UCWA_ME_WAYS; i++) {
            if (ngx_mobility_ucwa_me_tags[i] != tag) {
                continue;
            }

            e = &ngx_mobility_ucwa_me_cache[i];

            if (e->h.part_len && e->h.gen == gen && e->h.sip_len == sip->len
                && ngx_memcmp(e->h.sip, sip->data, sip->len) == 0)
            {
                e->h.stamp = ++ngx_mobility_ucwa_me_stamp;
                return e;
            }
        }
    }

    return NULL;
}


/* the sets and tag of a sip, found once a request */
typedef struct {
    ngx_str_t   sip;
    ngx_uint_t  set[2];
    uint32_t    tag;
} ngx_mobility_ucwa_me_key_t;


static void
ngx_mobility_ucwa_me_prefetch(ngx_mobility_bytes_t *sip,
    ngx_mobility_ucwa_me_key_t *key)
{
    u_char      *p;
    ngx_uint_t   i, k, n, *set;

    key->sip.data = (u_char *) sip->data;
    key->sip.len = sip->len;

    if (ngx_mobility_ucwa_me_set(&key->sip, key->set, &key->tag) != NGX_OK) {
        key->sip.len = 0;
        return;
    }

    set = key->set;

    for (k = 0; k < 2; k++) {
        for (i = set[k]; i < set[k] + NGX_MOBILITY_UCWA_ME_WAYS; i++) {
            if (ngx_mobility_ucwa_me_tags[i] != key->tag) {
                continue;
            }

            p = (u_char *) &ngx_mobility_ucwa_me_cache[i];

            for (n = 0; n < NGX_MOBILITY_UCWA_ME_ENTRY; n += 64) {
                __builtin_prefetch(p + n);
            }

            return;
        }
    }
}


static void
ngx_mobility_ucwa_me_keep(ngx_uint_t *set, uint32_t tag, ngx_str_t *sip,
    uint64_t gen, const u_char *part, size_t len)
{
    ngx_uint_t                     i, k, way, lru;
    ngx_mobility_ucwa_me_entry_t  *e;

    if (len == 0 || len > NGX_MOBILITY_UCWA_ME_PART_MAX) {
        return;
    }

    /*
     * the user's own entry of an older generation, else a free way of
     * either set, else the way of the two sets used least recently
     */

    way = NGX_CONF_UNSET_UINT;
    lru = set[0];

    for (k = 0; k < 2 && way == NGX_CONF_UNSET_UINT; k++) {
        for (i = set[k]; i < set[k] + NGX_MOBILITY_UCWA_ME_WAYS; i++) {
            e = &ngx_mobility_ucwa_me_cache[i];

            if (ngx_mobility_ucwa_me_tags[i] == tag
                && e->h.sip_len == sip->len
                && ngx_memcmp(e->h.sip, sip->data, sip->len) == 0)
            {
                way = i;
                break;
            }

            if (e->h.stamp < ngx_mobility_ucwa_me_cache[lru].h.stamp) {
                lru = i;
            }
        }
    }

    for (k = 0; k < 2 && way == NGX_CONF_UNSET_UINT; k++) {
        for (i = set[k]; i < set[k] + NGX_MOBILITY_UCWA_ME_WAYS; i++) {
            if (ngx_mobility_ucwa_me_tags[i] == 0) {
                way = i;
                break;
            }
        }
    }

    if (way == NGX_CONF_UNSET_UINT) {
        way = lru;
    }

    e = &ngx_mobility_ucwa_me_cache[way];

    e->h.gen = gen;
    e->h.sip_len = (u_char) sip->len;
    ngx_memcpy(e->h.sip, sip->data, sip->len);
    e->h.part_len = (uint16_t) len;
    ngx_memcpy(e->part, part, len);
    e->h.stamp = ++ngx_mobility_ucwa_me_stamp;
    ngx_mobility_ucwa_me_tags[way] = tag;
}


/*
 * The application's part of "me" in JSON, after the user's: endpointUri
 * and the links, a function of the owner, the id, the base path and two
 * flags.  owner->len <= NGX_MOBILITY_SIP_MAX, id->len <=
 * NGX_MOBILITY_UCWA_ID_MAX.
 */
static void
ngx_mobility_ucwa_me_tail(ngx_mobility_ucwa_jw_t *jw, ngx_str_t *owner,
    ngx_str_t *id, ngx_str_t *prefix, ngx_uint_t anonymous,
    ngx_uint_t available)
{
    u_char  *p;
    size_t   n;
    u_char   uri[sizeof("sip:") + NGX_MOBILITY_SIP_MAX
                 + sizeof(";opaque=user:epid:;gruu")
                 + NGX_MOBILITY_UCWA_ID_MAX];

    if (!anonymous) {

        /* the endpoint's GRUU: the random part of the application id */

        p = ngx_cpymem(ngx_cpymem(uri, "sip:", 4), owner->data, owner->len);
        n = ngx_cpymem(ngx_cpymem(ngx_cpymem(p, ";opaque=user:epid:",
                                             sizeof(";opaque=user:epid:") - 1),
                                  id->data, id->len),
                       ";gruu", 5)
            - uri;

        if (ngx_mobility_ucwa_utf8_ok(uri, n)) {
            ngx_mobility_ucwa_jw_lit(jw, ",\"endpointUri\":");
            ngx_mobility_ucwa_jw_str(jw, uri, n);
        }
    }

    ngx_mobility_ucwa_jw_lit(jw, ",\"_links\":{");

    ngx_mobility_ucwa_jw_link_lit(jw, 1, "self", prefix, "/me");

    if (!anonymous) {
        if (!available) {
            ngx_mobility_ucwa_jw_link_lit(jw, 0, "makeMeAvailable",
                                          prefix, "/me/makeMeAvailable");
        }

        ngx_mobility_ucwa_jw_link_lit(jw, 0, "callForwardingSettings",
                                      prefix, "/me/callForwardingSettings");
        ngx_mobility_ucwa_jw_link_lit(jw, 0, "phones", prefix, "/me/phones");

        p = ngx_cpymem(ngx_cpymem(uri, "/photos/", 8), owner->data,
                       owner->len);
        ngx_mobility_ucwa_jw_link_n(jw, 0, "photo", 5, prefix, uri, p - uri,
                                    0);

        if (available) {
            ngx_mobility_ucwa_jw_link_lit(jw, 0, "presence", prefix,
                                          "/me/presence");
            ngx_mobility_ucwa_jw_link_lit(jw, 0, "note", prefix, "/me/note");
            ngx_mobility_ucwa_jw_link_lit(jw, 0, "location", prefix,
                                          "/me/location");
            ngx_mobility_ucwa_jw_link_lit(jw, 0, "reportMyActivity",
                                          prefix, "/me/reportMyActivity");
        }
    }

    ngx_mobility_ucwa_jw_lit(jw, "},\"rel\":\"me\"}");
}


/*
 * The application's part of "me" as a splice, per process and per base
 * path, anonymity and availability (nothing else of the application or
 * the store enters it): rendered once with marks in the place of the id
 * and the owner, then checked against the direct rendering of the first
 * application that uses it.  Plain ids and owners (all of them in
 * practice) are then copied into it; others are rendered.
 */

static ngx_mobility_ucwa_splice_t  ngx_mobility_ucwa_me_splices[2 * 2 * 2];


static ngx_mobility_ucwa_splice_t *
ngx_mobility_ucwa_me_splice(ngx_pool_t *pool, ngx_mobility_ucwa_app_t *app)
{
    ngx_str_t                    prefix, marks[NGX_MOBILITY_UCWA_SPLICE_HOLES];
    ngx_str_t                    values[NGX_MOBILITY_UCWA_SPLICE_HOLES];
    ngx_uint_t                   anonymous, available;
    ngx_mobility_ucwa_jw_t       jw, check;
    ngx_mobility_ucwa_splice_t  *sp;

    if (app->base > NGX_MOBILITY_UCWA_BASE_V1) {
        return NULL;
    }

    anonymous = app->anonymous ? 1 : 0;
    available = (app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE) ? 1 : 0;

    sp = &ngx_mobility_ucwa_me_splices[(app->base * 2 + anonymous) * 2
                                       + available];

    if (sp->state == NGX_MOBILITY_UCWA_SPLICE_READY) {
        return sp;
    }

    if (sp->state == NGX_MOBILITY_UCWA_SPLICE_UNUSABLE) {
        return NULL;
    }

    /* characters no literal of the rendering holds */

    ngx_str_set(&marks[0], "|^i^|");
    ngx_str_set(&marks[1], "|^o^|");

    if (ngx_mobility_ucwa_prefix_id(pool, app->base, marks[0].data,
                                    marks[0].len, &prefix)
        != NGX_OK
        || ngx_mobility_ucwa_jw_init(&jw, pool, 1024) != NGX_OK)
    {
        /* out of memory: tried again by the next request */
        return NULL;
    }

    ngx_mobility_ucwa_me_tail(&jw, &marks[1], &marks[0], &prefix, anonymous,
                              available);

    if (jw.failed) {
        return NULL;
    }

    if (ngx_mobility_ucwa_splice_make(sp, jw.start, jw.pos - jw.start, marks)
        != NGX_OK)
    {
        sp->state = NGX_MOBILITY_UCWA_SPLICE_UNUSABLE;
        return NULL;
    }

    /* the first use checks it against the rendering */

    values[0] = app->id;
    values[1] = app->owner;

    if (ngx_mobility_ucwa_prefix(pool, app, &prefix) != NGX_OK
        || ngx_mobility_ucwa_jw_init(&jw, pool, 1024) != NGX_OK
        || ngx_mobility_ucwa_jw_init(&check, pool, 1024) != NGX_OK)
    {
        ngx_memzero(sp, sizeof(ngx_mobility_ucwa_splice_t));
        return NULL;
    }

    ngx_mobility_ucwa_me_tail(&check, &app->owner, &app->id, &prefix,
                              anonymous, available);

    if (ngx_mobility_ucwa_jw_splice(&jw, sp, values) != NGX_OK
        || check.failed)
    {
        /* not plain, or out of memory: checked by a later request */
        ngx_memzero(sp, sizeof(ngx_mobility_ucwa_splice_t));
        return NULL;
    }

    if (jw.pos - jw.start != check.pos - check.start
        || ngx_memcmp(jw.start, check.start, jw.pos - jw.start) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, pool->log, 0,
                      "mobility ucwa: the splice of \"me\" differs from "
                      "its rendering, not used");
        sp->state = NGX_MOBILITY_UCWA_SPLICE_UNUSABLE;
        return NULL;
    }

    sp->state = NGX_MOBILITY_UCWA_SPLICE_READY;

    return sp;
}


/*
 * GET me in JSON, written straight into the body: the hot path of every
 * client.  The same representation as ngx_mobility_ucwa_me_json() and
 * ngx_mobility_ucwa_dump() give (t/ pins both), without building it in
 * jansson first.
 */
static ngx_int_t
ngx_mobility_ucwa_me_write(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_me_key_t *key)
{
    u_char                        *p;
    size_t                         n, start;
    ngx_str_t                      prefix;
    ngx_uint_t                     i, found, token_user;
    ngx_mobility_user_t            u;
    ngx_mobility_bytes_t          *b;
    ngx_mobility_ucwa_jw_t         jw;
    uint32_t                       tag;
    ngx_int_t                      rc;
    ngx_str_t                      values[NGX_MOBILITY_UCWA_SPLICE_HOLES];
    ngx_uint_t                     keep, set[2];
    ngx_mobility_ucwa_splice_t    *sp;
    ngx_mobility_ucwa_me_entry_t  *e;
    u_char                   buf[NGX_MOBILITY_FIELD_MAX + 8];
    u_char                   uri[sizeof("sip:") + NGX_MOBILITY_SIP_MAX
                                 + sizeof(";opaque=user:epid:;gruu")
                                 + NGX_MOBILITY_UCWA_ID_MAX];

    static const struct {
        const char  *name;
        size_t       offset;
        ngx_uint_t   tel;
    } fields[] = {
        { ",\"title\":", offsetof(ngx_mobility_user_t, title), 0 },
        { ",\"department\":", offsetof(ngx_mobility_user_t, department), 0 },
        { ",\"company\":", offsetof(ngx_mobility_user_t, company), 0 },
        { ",\"officeLocation\":", offsetof(ngx_mobility_user_t, office), 0 },
        { ",\"workPhoneNumber\":", offsetof(ngx_mobility_user_t, phone_work),
          1 },
        { ",\"mobilePhoneNumber\":",
          offsetof(ngx_mobility_user_t, phone_mobile), 1 },
        { ",\"homePhoneNumber\":", offsetof(ngx_mobility_user_t, phone_home),
          1 },
        { ",\"otherPhoneNumber\":",
          offsetof(ngx_mobility_user_t, phone_other), 1 },
        { NULL, 0, 0 }
    };

    if (app->owner.len > NGX_MOBILITY_SIP_MAX
        || app->id.len > NGX_MOBILITY_UCWA_ID_MAX
        || ngx_mobility_ucwa_jw_init(&jw, tx->pool, 1024) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (tx->user
        && tx->user->sip.len == app->owner.len
        && ngx_memcmp(tx->user->sip.data, app->owner.data, app->owner.len)
           == 0)
    {
        /* the token's user, read by the token check in this transaction */
        token_user = 1;
        found = 1;

        /* its part as rendered under this directory generation */

        if (app->anonymous) {
            keep = 0;

        } else if (key->sip.len && key->sip.len == app->owner.len
                   && ngx_memcmp(key->sip.data, app->owner.data,
                                 app->owner.len) == 0)
        {
            /* found by the prefetch */
            keep = 1;
            set[0] = key->set[0];
            set[1] = key->set[1];
            tag = key->tag;

        } else {
            keep = (ngx_mobility_ucwa_me_set(&app->owner, set, &tag)
                    == NGX_OK);
        }

    } else {
        token_user = 0;
        found = (ngx_mobility_user_get(tx->st, tx->txn, app->owner.data,
                                       app->owner.len, &u)
                 == NGX_MOBILITY_OK);
        keep = 0;
    }

    p = ngx_cpymem(ngx_cpymem(uri, "sip:", 4), app->owner.data,
                   app->owner.len);

    if (keep) {
        e = ngx_mobility_ucwa_me_find(set, tag, &app->owner, tx->dir_gen);

        if (e) {
            ngx_mobility_ucwa_jw_raw(&jw, (const char *) e->part,
                                     e->h.part_len);
            goto endpoint;
        }
    }

    if (token_user) {
        /* not kept: the record is needed (decoded only now) */
        if (ngx_mobility_ucwa_me_user(tx) != NGX_OK) {
            return NGX_ERROR;
        }

        u = *tx->user;
    }

    start = jw.pos - jw.start;

    ngx_mobility_ucwa_jw_lit(&jw, "{\"name\":");

    if (found && u.name.len) {
        ngx_mobility_ucwa_jw_text(&jw, u.name.data, u.name.len);

    } else {
        ngx_mobility_ucwa_jw_text(&jw, app->owner.data, app->owner.len);
    }

    ngx_mobility_ucwa_jw_lit(&jw, ",\"uri\":");
    ngx_mobility_ucwa_jw_text(&jw, uri, p - uri);

    if (!app->anonymous) {
        ngx_mobility_ucwa_jw_lit(&jw, ",\"emailAddresses\":[");

        if (found && u.email.len) {
            ngx_mobility_ucwa_jw_text(&jw, u.email.data, u.email.len);
        }

        ngx_mobility_ucwa_jw_lit(&jw, "]");

        for (i = 0; found && fields[i].name; i++) {
            b = (ngx_mobility_bytes_t *) ((u_char *) &u + fields[i].offset);

            if (b->len == 0) {
                continue;
            }

            if (fields[i].tel) {
                n = ngx_mobility_ucwa_tel_text(b, buf);
                if (n == 0) {
                    continue;
                }

                ngx_mobility_ucwa_jw_raw(&jw, fields[i].name,
                                         ngx_strlen(fields[i].name));
                ngx_mobility_ucwa_jw_str(&jw, buf, n);

            } else {
                ngx_mobility_ucwa_jw_raw(&jw, fields[i].name,
                                         ngx_strlen(fields[i].name));
                ngx_mobility_ucwa_jw_text(&jw, b->data, b->len);
            }
        }
    }

    if (keep && !jw.failed) {
        ngx_mobility_ucwa_me_keep(set, tag, &app->owner, tx->dir_gen,
                                  jw.start + start, jw.pos - jw.start - start);
    }

endpoint:

    /* the application's part: spliced, or rendered */

    sp = ngx_mobility_ucwa_me_splice(tx->pool, app);

    if (sp) {
        values[0] = app->id;
        values[1] = app->owner;

        rc = ngx_mobility_ucwa_jw_splice(&jw, sp, values);

        if (rc == NGX_OK) {
            return ngx_mobility_ucwa_jw_done(rq, rs, &jw);
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_me_tail(&jw, &app->owner, &app->id, &prefix,
                              app->anonymous,
                              app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE);

    return ngx_mobility_ucwa_jw_done(rq, rs, &jw);
}


ngx_int_t
ngx_mobility_ucwa_me(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    json_t                      *obj;
    ngx_int_t                    rc;
    ngx_mobility_ucwa_tx_t       tx;
    ngx_mobility_ucwa_app_t      app;
    ngx_mobility_ucwa_me_key_t   key;

    if (ngx_mobility_ucwa_tx_begin(&tx, rq, 0) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    key.sip.len = 0;

    /* the application is rendered (copied) before the transaction ends */
    tx.app_view = 1;

    if (!rq->xml && !rq->batch && tx.user) {
        /* the user's part, if kept, is loaded while the store is read */
        ngx_mobility_ucwa_me_prefetch(&tx.user->sip, &key);
    }

    rc = ngx_mobility_ucwa_app_load(rq, rs, &tx, &app);

    if (rc == NGX_OK) {
        if (!rq->xml && !rq->batch) {
            rc = ngx_mobility_ucwa_me_write(rq, rs, &tx, &app, &key);

        } else {
            obj = ngx_mobility_ucwa_me_json(&tx, &app, NULL);
            rc = ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
        }

    } else if (rc == NGX_DECLINED) {
        rc = NGX_OK;
    }

    ngx_mobility_ucwa_tx_abort(&tx);

    return rc;
}


/* ------------------------------------------------------------------ */
/* presence, note, location                                           */


typedef struct {
    ngx_mobility_presence_t  *presence;
    unsigned                  availability;
} ngx_mobility_ucwa_pstate_t;


/*
 * The frame of a small "me" sub-resource: {"rel": rel, ...,
 * "_links": {"self": ...}}; the caller adds its fields, then
 * ngx_mobility_ucwa_me_resource_done() appends the links.
 */
static json_t *
ngx_mobility_ucwa_me_resource(const char *rel)
{
    json_t  *obj;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    json_object_set_new(obj, "rel", json_string(rel));

    return obj;
}


static json_t *
ngx_mobility_ucwa_me_resource_done(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, json_t *obj, const char *self)
{
    json_t     *links;
    ngx_str_t   prefix;

    links = json_object();

    if (links == NULL
        || ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK)
    {
        json_decref(links);
        json_decref(obj);
        return NULL;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix, self);

    return obj;
}


static json_t *
ngx_mobility_ucwa_presence_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_pstate_t  *ps = data;

    json_t    *obj;
    unsigned   av;

    obj = ngx_mobility_ucwa_me_resource("presence");
    if (obj == NULL) {
        return NULL;
    }

    av = ps->availability;

    if (av >= NGX_MOBILITY_AV_COUNT) {
        av = NGX_MOBILITY_AV_OFFLINE;
    }

    json_object_set_new(obj, "availability",
                        json_string(ngx_mobility_ucwa_availability[av]));
    json_object_set_new(obj, "activity",
                        json_string(ngx_mobility_ucwa_activity[av]));

    return ngx_mobility_ucwa_me_resource_done(tx, app, obj, "/me/presence");
}


static json_t *
ngx_mobility_ucwa_note_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_pstate_t  *ps = data;

    json_t  *obj, *msg;

    obj = ngx_mobility_ucwa_me_resource("note");
    if (obj == NULL) {
        return NULL;
    }

    msg = json_stringn((const char *) ps->presence->note,
                       ps->presence->note_len);

    json_object_set_new(obj, "message", msg ? msg : json_string(""));
    json_object_set_new(obj, "type",
                        json_string(ps->presence->note_type
                                    == NGX_MOBILITY_NOTE_OOF
                                    ? "OutOfOffice" : "Personal"));

    return ngx_mobility_ucwa_me_resource_done(tx, app, obj, "/me/note");
}


static json_t *
ngx_mobility_ucwa_location_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_pstate_t  *ps = data;

    json_t  *obj, *loc;

    obj = ngx_mobility_ucwa_me_resource("location");
    if (obj == NULL) {
        return NULL;
    }

    loc = json_stringn((const char *) ps->presence->location,
                       ps->presence->location_len);

    json_object_set_new(obj, "location", loc ? loc : json_string(""));

    return ngx_mobility_ucwa_me_resource_done(tx, app, obj, "/me/location");
}


static void
ngx_mobility_ucwa_event(ngx_mobility_ucwa_event_t *ev, const char *rel,
    const char *path, const char *type, ngx_mobility_ucwa_embed_pt embed,
    void *data)
{
    ngx_memzero(ev, sizeof(ngx_mobility_ucwa_event_t));

    ev->sender_rel = "me";
    ev->sender_path = "/me";
    ev->rel = rel;
    ev->path = path;
    ev->type = type;
    ev->urgency = NGX_MOBILITY_EV_MEDIUM;
    ev->merge = (ngx_strcmp(type, "updated") == 0);
    ev->embed = embed;
    ev->data = data;
}


/* republishes the user's presence; changes go to the signed-in apps */
static ngx_int_t
ngx_mobility_ucwa_presence_changed(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *sip, ngx_mobility_presence_t *p, ngx_str_t *exclude)
{
    int                          rc;
    ngx_mobility_ucwa_event_t    ev;
    ngx_mobility_ucwa_pstate_t   ps;

    rc = ngx_mobility_presence_publish(tx->st, tx->txn, sip->data, sip->len,
                                       p, tx->now);

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (p->due && (tx->due == 0 || p->due < tx->due)) {
        tx->due = p->due;
    }

    if (rc == 0) {
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, tx->log, 0,
                   "mobility ucwa: presence of \"%V\" is now %s", sip,
                   ngx_mobility_ucwa_availability[p->published]);

    ps.presence = p;
    ps.availability = p->published;

    ngx_mobility_ucwa_event(&ev, "presence", "/me/presence", "updated",
                            ngx_mobility_ucwa_presence_json, &ps);

    if (ngx_mobility_ucwa_publish_user(tx, sip, 1, exclude, &ev) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the applications subscribed to this user's presence */
    return ngx_mobility_ucwa_fanout(tx, sip, "contactPresence", "/presence");
}


ngx_int_t
ngx_mobility_ucwa_presence_sign_out(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    ngx_mobility_presence_t  p;

    if (!(app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE)) {
        return NGX_OK;
    }

    if (ngx_mobility_presence_ep_del(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, app->id.data,
                                     app->id.len)
        == NGX_MOBILITY_ERROR
        || ngx_mobility_presence_get(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, &p)
           != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_presence_changed(tx, &app->owner, &p, &app->id);
}


void
ngx_mobility_ucwa_presence_due(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    int                      n;
    u_char                   sip[NGX_MOBILITY_SIP_MAX + 1];
    uint64_t                 due, next;
    ngx_str_t                s;
    ngx_uint_t               i;
    ngx_mobility_presence_t  p;

    next = 0;

    for (i = 0; i < limit; i++) {
        n = ngx_mobility_presence_next_due(tx->st, tx->txn, tx->now, sip,
                                           &due);
        if (n <= 0) {
            next = (n == 0) ? due : 0;
            break;
        }

        s.data = ngx_pnalloc(tx->pool, n);
        if (s.data == NULL) {
            break;
        }

        ngx_memcpy(s.data, sip, n);
        s.len = n;

        if (ngx_mobility_presence_get(tx->st, tx->txn, s.data, s.len, &p)
            != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_presence_changed(tx, &s, &p, NULL) != NGX_OK
            || ngx_mobility_presence_unschedule(tx->st, tx->txn, s.data,
                                                s.len, due)
               != NGX_MOBILITY_OK)
        {
            break;
        }
    }

    if (i == limit) {
        /* more to do: come back at once */
        next = tx->now;
    }

    if (next && (tx->due == 0 || next < tx->due)) {
        tx->due = next;
    }
}


/* the resources that exist only after makeMeAvailable */
static ngx_int_t
ngx_mobility_ucwa_load_available(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p)
{
    ngx_int_t  rc;

    rc = ngx_mobility_ucwa_app_load(rq, rs, tx, app);
    if (rc != NGX_OK) {
        return rc;
    }

    if (app->anonymous) {
        if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN, "Forbidden",
                                    "AnonymousNotAllowed",
                                    "Anonymous users cannot do this.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    if (!(app->flags & NGX_MOBILITY_UCWA_APP_AVAILABLE)) {
        if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                    "MakeMeAvailableRequired",
                                    "The application must call "
                                    "makeMeAvailable first.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    if (ngx_mobility_presence_get(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, p)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the common frame of the me resources: GET or change in one txn */
typedef ngx_int_t (*ngx_mobility_ucwa_change_pt)(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p);


static ngx_int_t
ngx_mobility_ucwa_own(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_embed_pt get,
    ngx_mobility_ucwa_change_pt change)
{
    json_t                      *obj;
    uint64_t                     due, last;
    ngx_int_t                    rc;
    ngx_uint_t                   write;
    ngx_mobility_ucwa_tx_t       tx;
    ngx_mobility_presence_t      p;
    ngx_mobility_ucwa_app_t      app;
    ngx_mobility_ucwa_pstate_t   ps;

    write = (rq->method == NGX_HTTP_POST || rq->method == NGX_HTTP_PUT);

    if (ngx_mobility_ucwa_tx_begin(&tx, rq, write) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rc = ngx_mobility_ucwa_load_available(rq, rs, &tx, &app, &p);

    if (rc != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);

        if (rc == NGX_ERROR) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        return NGX_OK;
    }

    if (!write) {
        /* computed from the stored times: decay shows even before the
         * timer publishes it */

        ps.presence = &p;

        if (ngx_mobility_presence_state(tx.st, tx.txn, app.owner.data,
                                        app.owner.len, &p, tx.now,
                                        &ps.availability, &due, &last)
            != NGX_MOBILITY_OK)
        {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        obj = get(&tx, &app, &ps);

        ngx_mobility_ucwa_tx_abort(&tx);

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    rc = change(rq, rs, &tx, &app, &p);

    if (rc != NGX_OK || rs->status) {
        /* an error answer, or a failure */
        ngx_mobility_ucwa_tx_abort(&tx);
        return (rc == NGX_ERROR) ? ngx_mobility_ucwa_store_error(rq, rs, tx.st)
                                 : NGX_OK;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (tx.due && (rq->due == 0 || tx.due < rq->due)) {
        rq->due = tx.due;
    }

    rs->status = NGX_HTTP_NO_CONTENT;

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_presence_set(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p)
{
    ngx_int_t  av, rc;
    ngx_str_t  v;

    rc = ngx_mobility_ucwa_input_str(rq, "availability", &v);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        /* an empty body resets the availability to automatic */
        av = NGX_MOBILITY_AV_NONE;

    } else {
        av = ngx_mobility_ucwa_preferred_av(&v);

        if (av < 0) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "availability",
                                               "The availability is not one "
                                               "of Online, Busy, "
                                               "DoNotDisturb, BeRightBack, "
                                               "Away or Offwork.");
        }
    }

    p->chosen = av;
    p->updated = tx->now;

    return ngx_mobility_ucwa_presence_changed(tx, &app->owner, p, NULL);
}


ngx_int_t
ngx_mobility_ucwa_presence(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_own(rq, rs, ngx_mobility_ucwa_presence_json,
                                 ngx_mobility_ucwa_presence_set);
}


static ngx_int_t
ngx_mobility_ucwa_note_set(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p)
{
    ngx_int_t                    rc;
    ngx_str_t                    msg, type;
    ngx_mobility_ucwa_event_t    ev;
    ngx_mobility_ucwa_pstate_t   ps;

    rc = ngx_mobility_ucwa_input_str(rq, "type", &type);

    if (rc == NGX_OK
        && !(type.len == 8
             && ngx_strncasecmp(type.data, (u_char *) "Personal", 8) == 0))
    {
        return ngx_mobility_ucwa_bad_param(rq, rs, "type",
                                           "Only a Personal note can be "
                                           "set.");
    }

    rc = ngx_mobility_ucwa_input_str(rq, "message", &msg);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&msg);
    }

    if (msg.len >= NGX_MOBILITY_NOTE_MAX) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "message",
                                           "The note is too long.");
    }

    if (p->note_len == msg.len
        && ngx_memcmp(p->note, msg.data, msg.len) == 0
        && p->note_type == NGX_MOBILITY_NOTE_PERSONAL)
    {
        return NGX_OK;
    }

    ngx_memcpy(p->note, msg.data, msg.len);
    p->note_len = msg.len;
    p->note_type = NGX_MOBILITY_NOTE_PERSONAL;
    p->updated = tx->now;

    if (ngx_mobility_presence_put(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, p)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    ps.presence = p;
    ps.availability = p->published;

    ngx_mobility_ucwa_event(&ev, "note", "/me/note", "updated",
                            ngx_mobility_ucwa_note_json, &ps);

    if (ngx_mobility_ucwa_publish_user(tx, &app->owner, 1, NULL, &ev)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_fanout(tx, &app->owner, "contactNote", "/note");
}


ngx_int_t
ngx_mobility_ucwa_note(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_own(rq, rs, ngx_mobility_ucwa_note_json,
                                 ngx_mobility_ucwa_note_set);
}


static ngx_int_t
ngx_mobility_ucwa_location_set(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p)
{
    size_t                       i, chars;
    ngx_int_t                    rc;
    ngx_str_t                    loc;
    ngx_mobility_ucwa_event_t    ev;
    ngx_mobility_ucwa_pstate_t   ps;

    rc = ngx_mobility_ucwa_input_str(rq, "location", &loc);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_null(&loc);
    }

    /* at most 60 characters (not bytes) */

    for (i = 0, chars = 0; i < loc.len; i++) {
        if ((loc.data[i] & 0xc0) != 0x80) {
            chars++;
        }
    }

    if (chars > NGX_MOBILITY_UCWA_LOCATION_CHARS
        || loc.len >= NGX_MOBILITY_LOCATION_MAX)
    {
        return ngx_mobility_ucwa_bad_param(rq, rs, "location",
                                           "The location has more than 60 "
                                           "characters.");
    }

    if (p->location_len == loc.len
        && ngx_memcmp(p->location, loc.data, loc.len) == 0)
    {
        return NGX_OK;
    }

    ngx_memcpy(p->location, loc.data, loc.len);
    p->location_len = loc.len;
    p->updated = tx->now;

    if (ngx_mobility_presence_put(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, p)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    ps.presence = p;
    ps.availability = p->published;

    ngx_mobility_ucwa_event(&ev, "location", "/me/location", "updated",
                            ngx_mobility_ucwa_location_json, &ps);

    if (ngx_mobility_ucwa_publish_user(tx, &app->owner, 1, NULL, &ev)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_fanout(tx, &app->owner, "contactLocation",
                                    "/location");
}


ngx_int_t
ngx_mobility_ucwa_location(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_own(rq, rs, ngx_mobility_ucwa_location_json,
                                 ngx_mobility_ucwa_location_set);
}


static ngx_int_t
ngx_mobility_ucwa_activity_set(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_presence_t *p)
{
    int                          rc;
    ngx_mobility_presence_ep_t   e;

    rc = ngx_mobility_presence_ep_get(tx->st, tx->txn, app->owner.data,
                                      app->owner.len, app->id.data,
                                      app->id.len, &e);

    if (rc == NGX_MOBILITY_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_MOBILITY_NOTFOUND) {
        e.signed_in = tx->now;
        e.inactive = app->inactive;
        e.away = (uint64_t) rq->umcf->away_timeout * 1000;
    }

    e.last_activity = tx->now;

    if (ngx_mobility_presence_ep_put(tx->st, tx->txn, app->owner.data,
                                     app->owner.len, app->id.data,
                                     app->id.len, &e)
        != NGX_MOBILITY_OK)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_presence_changed(tx, &app->owner, p, NULL);
}


ngx_int_t
ngx_mobility_ucwa_report_activity(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_own(rq, rs, NULL,
                                 ngx_mobility_ucwa_activity_set);
}


/* ------------------------------------------------------------------ */
/* makeMeAvailable                                                    */


static ngx_int_t
ngx_mobility_ucwa_input_list(ngx_mobility_ucwa_req_t *rq, const char *name,
    const char **names, ngx_uint_t *mask, ngx_uint_t *unknown)
{
    u_char      *p, *last, *comma;
    size_t       i;
    json_t      *v, *item;
    ngx_int_t    n;
    ngx_str_t    s;

    *mask = 0;
    *unknown = 0;

    v = ngx_mobility_ucwa_input(rq, name);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if (!json_is_string(item)) {
                continue;
            }

            s.data = (u_char *) json_string_value(item);
            s.len = json_string_length(item);

            n = ngx_mobility_ucwa_lookup(names, &s);

            if (n >= 0) {
                *mask |= (ngx_uint_t) 1 << n;

            } else if (s.len) {
                *unknown = 1;
            }
        }

        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    /* a query parameter or an XML property: "Messaging,PhoneAudio" */

    p = (u_char *) json_string_value(v);
    last = p + json_string_length(v);

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        s.data = p;
        s.len = comma - p;

        while (s.len && s.data[0] == ' ') {
            s.data++;
            s.len--;
        }

        n = ngx_mobility_ucwa_lookup(names, &s);

        if (n >= 0) {
            *mask |= (ngx_uint_t) 1 << n;

        } else if (s.len) {
            *unknown = 1;
        }

        p = comma + 1;
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_make_me_available(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    ngx_int_t                    rc, av;
    ngx_str_t                    v, sip;
    ngx_uint_t                   mods, fmts, unknown, minutes;
    ngx_mobility_ucwa_tx_t       tx;
    ngx_mobility_presence_t      p;
    ngx_mobility_ucwa_app_t      app;
    ngx_mobility_ucwa_event_t    ev;
    ngx_mobility_ucwa_pstate_t   ps;
    ngx_mobility_presence_ep_t   e;

    static const char  *modalities[] = {
        "Messaging", "PhoneAudio", "Audio", "Video", "ApplicationSharing",
        "DataCollaboration", "PanoramicVideo", "AudioVideo", NULL
    };

    static const char  *formats[] = { "Plain", "Html", NULL };

    static const char  *preferences[] = { "VoipAudio", "PhoneAudio", NULL };

    (void) ngx_mobility_ucwa_sip_str(rq, &sip);

    /* inputs first: nothing is written for an invalid request */

    av = NGX_MOBILITY_AV_NONE;

    rc = ngx_mobility_ucwa_input_str(rq, "signInAs", &v);

    if (rc == NGX_OK) {
        av = ngx_mobility_ucwa_preferred_av(&v);

        if (av < 0) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "signInAs",
                                               "signInAs is not a preferred "
                                               "availability.");
        }
    }

    rc = ngx_mobility_ucwa_input_list(rq, "supportedModalities", modalities,
                                      &mods, &unknown);

    if (rc == NGX_DECLINED || mods == 0) {
        mods = NGX_MOBILITY_UCWA_MOD_MESSAGING;
    }

    if (unknown || (mods & ~(ngx_uint_t) 3)) {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", "ModalityNotSupported",
                                       "Only the Messaging and PhoneAudio "
                                       "modalities are supported.");
    }

    rc = ngx_mobility_ucwa_input_list(rq, "supportedMessageFormats", formats,
                                      &fmts, &unknown);

    if (rc == NGX_DECLINED || fmts == 0) {
        fmts = NGX_MOBILITY_UCWA_FMT_PLAIN;
    }

    minutes = 0;

    if (ngx_mobility_ucwa_input_str(rq, "inactiveTimeout", &v) == NGX_OK) {
        rc = ngx_atoi(v.data, v.len);

        if (rc == NGX_ERROR || rc > 24 * 60) {
            return ngx_mobility_ucwa_bad_param(rq, rs, "inactiveTimeout",
                                               "inactiveTimeout is not a "
                                               "number of minutes.");
        }

        minutes = rc;
    }

    if (ngx_mobility_ucwa_tx_begin(&tx, rq, 1) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rc = ngx_mobility_ucwa_app_load(rq, rs, &tx, &app);

    if (rc != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return (rc == NGX_DECLINED) ? NGX_OK
                                    : ngx_mobility_ucwa_store_error(rq, rs,
                                                                    tx.st);
    }

    if (app.anonymous) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", "AnonymousNotAllowed",
                                       "Anonymous users cannot sign in.");
    }

    if (app.flags & NGX_MOBILITY_UCWA_APP_AVAILABLE) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT, "Conflict",
                                       "AlreadyExists",
                                       "makeMeAvailable was already "
                                       "called.");
    }

    app.flags |= NGX_MOBILITY_UCWA_APP_AVAILABLE;
    app.modalities = mods;
    app.formats = fmts;
    app.comm_etag = tx.now;
    app.inactive = minutes ? (uint64_t) minutes * 60000
                           : (uint64_t) rq->umcf->inactive_timeout * 1000;

    if (ngx_mobility_ucwa_input_str(rq, "phoneNumber", &v) == NGX_OK
        && v.len <= NGX_MOBILITY_UCWA_FIELD_MAX)
    {
        app.phone_number = v;
    }

    if (ngx_mobility_ucwa_input_str(rq, "audioPreference", &v) == NGX_OK
        && ngx_mobility_ucwa_lookup(preferences, &v) >= 0)
    {
        app.audio_preference = v;
    }

    if (ngx_mobility_ucwa_input_str(rq, "signInAs", &v) == NGX_OK) {
        app.sign_in_as = v;
    }

    e.signed_in = tx.now;
    e.last_activity = tx.now;
    e.inactive = app.inactive;
    e.away = (uint64_t) rq->umcf->away_timeout * 1000;

    if (ngx_mobility_ucwa_app_put(&tx, &app) != NGX_OK
        || ngx_mobility_presence_ep_put(tx.st, tx.txn, sip.data, sip.len,
                                        app.id.data, app.id.len, &e)
           != NGX_MOBILITY_OK
        || ngx_mobility_presence_get(tx.st, tx.txn, sip.data, sip.len, &p)
           != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    if (ngx_mobility_ucwa_input_str(rq, "signInAs", &v) == NGX_OK) {
        p.chosen = av;
        p.updated = tx.now;
    }

    /* the other signed-in applications see the change as "updated" */

    if (ngx_mobility_ucwa_presence_changed(&tx, &sip, &p, &app.id) != NGX_OK)
    {
        goto failed;
    }

    ps.presence = &p;
    ps.availability = p.published;

    /* this one: in the documented order */

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));
    ev.sender_rel = "communication";
    ev.sender_path = "/communication";
    ev.rel = "communication";
    ev.path = "/communication";
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_MEDIUM;
    ev.embed = ngx_mobility_ucwa_communication_json;

    if (ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK) {
        goto failed;
    }

    ngx_mobility_ucwa_event(&ev, "me", "/me", "updated",
                            ngx_mobility_ucwa_me_json, NULL);
    ev.merge = 0;

    if (ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK) {
        goto failed;
    }

    ngx_mobility_ucwa_event(&ev, "presence", "/me/presence", "added",
                            ngx_mobility_ucwa_presence_json, &ps);

    if (ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK) {
        goto failed;
    }

    ngx_mobility_ucwa_event(&ev, "note", "/me/note", "added",
                            ngx_mobility_ucwa_note_json, &ps);

    if (ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK) {
        goto failed;
    }

    ngx_mobility_ucwa_event(&ev, "location", "/me/location", "added",
                            ngx_mobility_ucwa_location_json, &ps);

    if (ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK) {
        goto failed;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (tx.due && (rq->due == 0 || tx.due < rq->due)) {
        rq->due = tx.due;
    }

    ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                  "mobility ucwa: application %V of \"%V\" is available",
                  &app.id, &sip);

    rs->status = NGX_HTTP_NO_CONTENT;

    return NGX_OK;

failed:

    ngx_mobility_ucwa_tx_abort(&tx);

    return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
}


/* ------------------------------------------------------------------ */
/* phones, photos                                                     */


ngx_int_t
ngx_mobility_ucwa_phones(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    json_t                   *obj, *links, *list, *phone, *num, *plinks;
    ngx_int_t                 rc;
    ngx_str_t                 prefix;
    ngx_uint_t                i;
    ngx_mobility_user_t       u;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;

    static const struct {
        const char  *type;
        const char  *path;
        size_t       offset;
    } phones[] = {
        { "Work", "/me/phones/work",
          offsetof(ngx_mobility_user_t, phone_work) },
        { "Mobile", "/me/phones/mobile",
          offsetof(ngx_mobility_user_t, phone_mobile) },
        { "Home", "/me/phones/home",
          offsetof(ngx_mobility_user_t, phone_home) },
        { "Other", "/me/phones/other",
          offsetof(ngx_mobility_user_t, phone_other) },
        { NULL, NULL, 0 }
    };

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, 0, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, &app, &prefix) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    obj = json_object();
    links = json_object();
    list = json_array();

    if (obj == NULL || links == NULL || list == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(list);
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "rel", json_string("phones"));
    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix, "/me/phones");

    if (ngx_mobility_user_get(tx.st, tx.txn, app.owner.data, app.owner.len,
                              &u)
        == NGX_MOBILITY_OK)
    {
        for (i = 0; phones[i].type; i++) {
            num = ngx_mobility_ucwa_tel((ngx_mobility_bytes_t *)
                                        ((u_char *) &u + phones[i].offset));
            if (num == NULL) {
                continue;
            }

            phone = json_object();
            plinks = json_object();

            json_object_set_new(phone, "rel", json_string("phone"));
            json_object_set_new(phone, "type", json_string(phones[i].type));
            json_object_set_new(phone, "number", num);
            json_object_set_new(phone, "includeInContactCard", json_false());
            json_object_set_new(phone, "_links", plinks);
            (void) ngx_mobility_ucwa_link(plinks, "self", &prefix,
                                          phones[i].path);

            json_array_append_new(list, phone);
        }
    }

    ngx_mobility_ucwa_tx_abort(&tx);

    links = json_object();
    json_object_set_new(links, "phone", list);
    json_object_set_new(obj, "_embedded", links);

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


ngx_int_t
ngx_mobility_ucwa_photo(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    int                       n;
    u_char                   *dst, *src, *slash;
    u_char                    sip[NGX_MOBILITY_SIP_MAX + 1];
    ngx_int_t                 rc;
    ngx_str_t                 who;
    ngx_mobility_photo_t      photo;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;

    /* .../photos/<sip>, or .../photo and .../me/photo for oneself */

    slash = ngx_strlchr(rq->rest.data + 1, rq->rest.data + rq->rest.len, '/');

    if (slash && ngx_strncasecmp(rq->rest.data, (u_char *) "/photos/", 8)
                 == 0)
    {
        who.len = rq->rest.data + rq->rest.len - slash - 1;
        who.data = ngx_pnalloc(rq->pool, who.len + 1);
        if (who.data == NULL) {
            return NGX_ERROR;
        }

        src = slash + 1;
        dst = who.data;
        ngx_unescape_uri(&dst, &src, who.len, 0);
        who.len = dst - who.data;

    } else {
        who.data = rq->identity->sip;
        who.len = rq->identity->sip_len;
    }

    n = ngx_mobility_sip_canon(who.data, who.len, sip, NULL);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, 0, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    rc = (n > 0) ? ngx_mobility_photo_get(tx.st, tx.txn, sip, n, &photo)
                 : NGX_MOBILITY_NOTFOUND;

    if (rc != NGX_MOBILITY_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);

        if (rc == NGX_MOBILITY_ERROR) {
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "There is no photo for this user.");
    }

    rs->raw.data = ngx_pnalloc(rq->pool, photo.data.len);
    rs->raw_type.data = ngx_pnalloc(rq->pool, photo.type.len + 1);
    rs->etag.data = ngx_pnalloc(rq->pool, NGX_MOBILITY_PHOTO_ETAG_LEN);

    if (rs->raw.data == NULL || rs->raw_type.data == NULL
        || rs->etag.data == NULL)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    ngx_memcpy(rs->raw.data, photo.data.data, photo.data.len);
    rs->raw.len = photo.data.len;

    /* NUL-terminated: it becomes the Content-Type */
    *ngx_cpymem(rs->raw_type.data, photo.type.data, photo.type.len) = '\0';
    rs->raw_type.len = photo.type.len;

    ngx_memcpy(rs->etag.data, photo.etag, NGX_MOBILITY_PHOTO_ETAG_LEN);
    rs->etag.len = NGX_MOBILITY_PHOTO_ETAG_LEN;

    ngx_mobility_ucwa_tx_abort(&tx);

    rs->status = NGX_HTTP_OK;
    rs->photo = 1;
    rs->max_age = 3600;

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* callForwardingSettings                                             */


static ngx_int_t
ngx_mobility_ucwa_cf_get(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_mobility_ucwa_cf_t *cf)
{
    int      rc;
    MDB_val  k, v;

    ngx_memzero(cf, sizeof(ngx_mobility_ucwa_cf_t));
    cf->etag = 1;

    k.mv_data = sip->data;
    k.mv_size = sip->len;

    rc = mdb_get(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USERS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_OK;
    }

    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "reading UCWA user settings", rc);
        return NGX_ERROR;
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                               NGX_MOBILITY_REC_UCWA_USER)
        != 0)
    {
        return NGX_OK;
    }

    cf->period = (ngx_uint_t) ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                                 NGX_MOBILITY_UC_CF_PERIOD, 0)
                 % 2;
    cf->setting = (ngx_uint_t) ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                                NGX_MOBILITY_UC_CF_SETTING, 0)
                  % 3;
    cf->unanswered = (ngx_uint_t) ngx_mobility_rec_get_u64(v.mv_data,
                                             v.mv_size,
                                             NGX_MOBILITY_UC_CF_UNANSWERED, 0)
                     % 2;
    cf->etag = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                        NGX_MOBILITY_UC_CF_ETAG, 1);

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_cf_put(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_mobility_ucwa_cf_t *cf)
{
    int                        rc;
    u_char                     buf[128];
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_UCWA_USER);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UC_CF_PERIOD, cf->period);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UC_CF_SETTING, cf->setting);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UC_CF_UNANSWERED,
                             cf->unanswered);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UC_CF_ETAG, cf->etag);

    k.mv_data = sip->data;
    k.mv_size = sip->len;
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USERS], &k, &v, 0);
    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "writing UCWA user settings", rc);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the PUT guard of a user's resource: stable, derived from the user */
static void
ngx_mobility_ucwa_user_guid(ngx_str_t *sip, const char *resource,
    u_char *guid)
{
    u_char     hex[32];
    u_char     md5[16];
    ngx_md5_t  ctx;

    ngx_md5_init(&ctx);
    ngx_md5_update(&ctx, resource, ngx_strlen(resource));
    ngx_md5_update(&ctx, sip->data, sip->len);
    ngx_md5_final(md5, &ctx);

    ngx_hex_dump(hex, md5, 16);

    hex[12] = '4';
    hex[16] = "89ab"[hex[16] & 3];

    ngx_sprintf(guid, "%*s-%*s-%*s-%*s-%*s%Z", (size_t) 8, hex, (size_t) 4,
                hex + 8, (size_t) 4, hex + 12, (size_t) 4, hex + 16,
                (size_t) 12, hex + 20);
}


static json_t *
ngx_mobility_ucwa_cf_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    ngx_mobility_ucwa_cf_t  *cf = data;

    u_char      buf[NGX_INT64_LEN + 1];
    u_char      guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];
    json_t     *obj, *links, *emb, *sub, *sl;
    ngx_str_t   prefix;
    ngx_uint_t  i;

    static const char  *subs[] = {
        "immediateForwardSettings", "/me/callForwardingSettings/"
                                    "immediateForwardSettings",
        "simultaneousRingSettings", "/me/callForwardingSettings/"
                                    "simultaneousRingSettings",
        "unansweredCallSettings", "/me/callForwardingSettings/"
                                  "unansweredCallSettings",
        NULL
    };

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    links = json_object();
    emb = json_object();

    if (obj == NULL || links == NULL || emb == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        return NULL;
    }

    ngx_mobility_ucwa_user_guid(&app->owner, "callForwardingSettings", guid);

    json_object_set_new(obj, "rel", json_string("callForwardingSettings"));
    json_object_set_new(obj, (const char *) guid,
                        json_string(NGX_MOBILITY_UCWA_PUT_GUARD));
    json_object_set_new(obj, "activePeriod",
                        json_string(ngx_mobility_ucwa_cf_periods[cf->period]));
    json_object_set_new(obj, "activeSetting",
                        json_string(ngx_mobility_ucwa_cf_settings[
                                        cf->setting]));
    json_object_set_new(obj, "unansweredCallHandling",
                        json_string(ngx_mobility_ucwa_cf_unanswered[
                                        cf->unanswered]));

    ngx_sprintf(buf, "%uL%Z", cf->etag);
    json_object_set_new(obj, "etag", json_string((const char *) buf));

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  "/me/callForwardingSettings");

    for (i = 0; subs[i]; i += 2) {
        sub = json_object();
        sl = json_object();

        json_object_set_new(sub, "rel", json_string(subs[i]));
        json_object_set_new(sub, "target", json_string(""));

        if (i == 4) {
            json_object_set_new(sub, "ringDelay", json_integer(20));
        }

        json_object_set_new(sub, "_links", sl);
        (void) ngx_mobility_ucwa_link(sl, "self", &prefix, subs[i + 1]);

        json_object_set_new(emb, subs[i], sub);
    }

    json_object_set_new(obj, "_embedded", emb);

    return obj;
}


static ngx_int_t
ngx_mobility_ucwa_cf_value(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name, const char **table,
    ngx_uint_t *value)
{
    ngx_int_t  rc, n;
    ngx_str_t  v;

    rc = ngx_mobility_ucwa_input_str(rq, name, &v);

    if (rc != NGX_OK) {
        return rc;
    }

    n = ngx_mobility_ucwa_lookup(table, &v);

    if (n < 0) {
        if (ngx_mobility_ucwa_bad_param(rq, rs, name,
                                        "A setting has an invalid value.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_ABORT;
    }

    *value = n;

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_call_forwarding(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                     buf[NGX_INT64_LEN];
    u_char                     guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];
    json_t                    *obj;
    ngx_int_t                  rc;
    ngx_str_t                  sip, etag;
    ngx_uint_t                 write;
    ngx_mobility_ucwa_cf_t     cf;
    ngx_mobility_ucwa_tx_t     tx;
    ngx_mobility_ucwa_app_t    app;
    ngx_mobility_ucwa_event_t  ev;

    (void) ngx_mobility_ucwa_sip_str(rq, &sip);

    write = (rq->method == NGX_HTTP_PUT);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (app.anonymous) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", "AnonymousNotAllowed",
                                       "Anonymous users cannot do this.");
    }

    if (ngx_mobility_ucwa_cf_get(&tx, &sip, &cf) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    etag.data = buf;
    etag.len = ngx_sprintf(buf, "%uL", cf.etag) - buf;

    if (!write) {
        obj = ngx_mobility_ucwa_cf_json(&tx, &app, &cf);
        return ngx_mobility_ucwa_etag_resource(rq, rs, &tx, obj, &etag);
    }

    /* PUT: the full representation, guarded */

    rc = ngx_mobility_ucwa_if_match(rq, rs, &tx, &etag);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    ngx_mobility_ucwa_user_guid(&sip, "callForwardingSettings", guid);

    if (ngx_mobility_ucwa_input(rq, (const char *) guid) == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_bad_param(rq, rs, (const char *) guid,
                                           "A PUT must carry the full "
                                           "representation.");
    }

    if ((rc = ngx_mobility_ucwa_cf_value(rq, rs, "activePeriod",
                                         ngx_mobility_ucwa_cf_periods,
                                         &cf.period))
        == NGX_ERROR || rc == NGX_ABORT
        || (rc = ngx_mobility_ucwa_cf_value(rq, rs, "activeSetting",
                                            ngx_mobility_ucwa_cf_settings,
                                            &cf.setting))
           == NGX_ERROR || rc == NGX_ABORT
        || (rc = ngx_mobility_ucwa_cf_value(rq, rs, "unansweredCallHandling",
                                            ngx_mobility_ucwa_cf_unanswered,
                                            &cf.unanswered))
           == NGX_ERROR || rc == NGX_ABORT)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
    }

    cf.etag = (tx.now > cf.etag) ? tx.now : cf.etag + 1;

    if (ngx_mobility_ucwa_cf_put(&tx, &sip, &cf) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    ngx_mobility_ucwa_event(&ev, "callForwardingSettings",
                            "/me/callForwardingSettings", "updated",
                            ngx_mobility_ucwa_cf_json, &cf);

    if (ngx_mobility_ucwa_publish_user(&tx, &sip, 0, NULL, &ev) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rs->status = NGX_HTTP_NO_CONTENT;

    return NGX_OK;
}

