/*
 * Copyright (C) The nginx mobility authors
 *
 * Applications: creation (with the instanceId rules), the application
 * resource, DELETE, idle expiry with tombstones, the per-user index,
 * and publishing events to an application's channels.
 *
 * An application id is "<node>-<16 random hex>": unguessable, and the
 * node tag lets a balancer route on it.  Each instance (instanceId) of
 * an application has its own event channel, keyed "<id>/<n>".
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_subscriptions.h"
#include "ngx_mobility_policy.h"


/* application record tags; never reuse a number */
typedef enum {
    NGX_MOBILITY_UA_OWNER = 1,
    NGX_MOBILITY_UA_BASE,
    NGX_MOBILITY_UA_CULTURE,
    NGX_MOBILITY_UA_ENDPOINT_ID,
    NGX_MOBILITY_UA_TYPE,
    NGX_MOBILITY_UA_USER_AGENT,
    NGX_MOBILITY_UA_CREATED,
    NGX_MOBILITY_UA_FLAGS,
    NGX_MOBILITY_UA_EXPIRED_AT,
    NGX_MOBILITY_UA_COMM_GUID,
    NGX_MOBILITY_UA_COMM_ETAG,
    NGX_MOBILITY_UA_MODALITIES,
    NGX_MOBILITY_UA_FORMATS,
    NGX_MOBILITY_UA_AUDIO_PREFERENCE,
    NGX_MOBILITY_UA_PHONE_NUMBER,
    NGX_MOBILITY_UA_SIGN_IN_AS,
    NGX_MOBILITY_UA_INACTIVE,
    NGX_MOBILITY_UA_ANONYMOUS,
    NGX_MOBILITY_UA_NEXT_CHANNEL,
    NGX_MOBILITY_UA_CHANNELS
} ngx_mobility_ucwa_app_tag_e;


static ngx_uint_t ngx_mobility_ucwa_str_eq(ngx_str_t *a, ngx_str_t *b);


#define NGX_MOBILITY_UCWA_APP_REC_MAX     4096

/* ngx_mobility_ucwa_app_get() fetches the tags below this in one pass */
#define NGX_MOBILITY_UCWA_APP_TAGS        32

#define NGX_MOBILITY_UCWA_TOMBSTONE_TTL   (24 * 60 * 60 * 1000ULL)


static ngx_str_t  ngx_mobility_ucwa_base_paths[] = {
    ngx_string("/ucwa/oauth/v1/applications/"),
    ngx_string("/ucwa/v1/applications/")
};


/* pool NULL: s points into the record (tx->app_view) */
static ngx_int_t
ngx_mobility_ucwa_copy(ngx_pool_t *pool, ngx_mobility_bytes_t *b,
    ngx_str_t *s)
{
    s->len = b->len;

    if (b->len == 0) {
        s->data = (u_char *) "";
        return NGX_OK;
    }

    if (pool == NULL) {
        s->data = (u_char *) b->data;
        return NGX_OK;
    }

    s->data = ngx_pnalloc(pool, b->len);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, b->data, b->len);

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_app_get(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *id,
    ngx_mobility_ucwa_app_t *app)
{
    int                    rc;
    u_char                *p, *last;
    size_t                 len;
    MDB_val                k, v;
    ngx_uint_t             i;
    ngx_pool_t            *pool;
    ngx_mobility_bytes_t   b, f[NGX_MOBILITY_UCWA_APP_TAGS];
    const u_char          *rec;

    static const struct {
        uint16_t  tag;
        size_t    offset;
    } strs[] = {
        { NGX_MOBILITY_UA_OWNER, offsetof(ngx_mobility_ucwa_app_t, owner) },
        { NGX_MOBILITY_UA_CULTURE,
          offsetof(ngx_mobility_ucwa_app_t, culture) },
        { NGX_MOBILITY_UA_ENDPOINT_ID,
          offsetof(ngx_mobility_ucwa_app_t, endpoint_id) },
        { NGX_MOBILITY_UA_TYPE, offsetof(ngx_mobility_ucwa_app_t, type) },
        { NGX_MOBILITY_UA_USER_AGENT,
          offsetof(ngx_mobility_ucwa_app_t, user_agent) },
        { NGX_MOBILITY_UA_COMM_GUID,
          offsetof(ngx_mobility_ucwa_app_t, comm_guid) },
        { NGX_MOBILITY_UA_AUDIO_PREFERENCE,
          offsetof(ngx_mobility_ucwa_app_t, audio_preference) },
        { NGX_MOBILITY_UA_PHONE_NUMBER,
          offsetof(ngx_mobility_ucwa_app_t, phone_number) },
        { NGX_MOBILITY_UA_SIGN_IN_AS,
          offsetof(ngx_mobility_ucwa_app_t, sign_in_as) },
        { 0, 0 }
    };

    ngx_memzero(app, sizeof(ngx_mobility_ucwa_app_t));

    if (id->len == 0 || id->len > NGX_MOBILITY_UCWA_ID_MAX) {
        return NGX_DECLINED;
    }

    k.mv_data = id->data;
    k.mv_size = id->len;

    rc = mdb_get(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_DECLINED;
    }

    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "reading an application", rc);
        return NGX_ERROR;
    }

    rec = v.mv_data;
    len = v.mv_size;

    /* one pass over the record: it is read on every request */

    if (ngx_mobility_rec_fields(rec, len, NGX_MOBILITY_REC_UCWA_APP, f,
                                NGX_MOBILITY_UCWA_APP_TAGS)
        != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0,
                      "mobility ucwa: application record \"%V\" is corrupt",
                      id);
        return NGX_DECLINED;
    }

    pool = tx->app_view ? NULL : tx->pool;

    if (pool) {
        app->id.data = ngx_pstrdup(pool, id);
        if (app->id.data == NULL) {
            return NGX_ERROR;
        }

    } else {
        app->id.data = id->data;
    }

    app->id.len = id->len;

    for (i = 0; strs[i].tag; i++) {
        if (ngx_mobility_ucwa_copy(pool, &f[strs[i].tag],
                                   (ngx_str_t *) ((u_char *) app
                                                  + strs[i].offset))
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    app->base = (ngx_uint_t) ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_BASE],
                                                    0)
                ? NGX_MOBILITY_UCWA_BASE_V1 : NGX_MOBILITY_UCWA_BASE_OAUTH;
    app->created = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_CREATED], 0);
    app->flags = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_FLAGS], 0);
    app->expired_at = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_EXPIRED_AT],
                                             0);
    app->comm_etag = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_COMM_ETAG], 1);
    app->modalities = (ngx_uint_t)
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_MODALITIES], 0);
    app->formats = (ngx_uint_t)
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_FORMATS],
                               NGX_MOBILITY_UCWA_FMT_PLAIN);
    app->inactive = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_INACTIVE], 0);
    app->anonymous = (ngx_uint_t)
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_ANONYMOUS], 0);
    app->next_channel = (ngx_uint_t)
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_NEXT_CHANNEL], 0);

    /* channels: { no(u16 LE) len(u8) instance } ... */

    b = f[NGX_MOBILITY_UA_CHANNELS];

    p = (u_char *) b.data;
    last = p + b.len;

    while (last - p >= 3 && app->nchannels < NGX_MOBILITY_UCWA_CHANNELS) {
        app->channels[app->nchannels].no = ngx_mobility_le16(p);

        if ((size_t) (last - p - 3) < p[2]) {
            break;
        }

        b.data = p + 3;
        b.len = p[2];

        if (ngx_mobility_ucwa_copy(pool, &b,
                                   &app->channels[app->nchannels].instance)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        app->nchannels++;
        p += 3 + b.len;
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_app_put(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    int                        rc;
    u_char                    *p;
    MDB_val                    k, v;
    ngx_uint_t                 i;
    ngx_mobility_rec_writer_t  w;
    u_char                     buf[NGX_MOBILITY_UCWA_APP_REC_MAX];
    u_char                     chans[NGX_MOBILITY_UCWA_CHANNELS
                                     * (3 + NGX_MOBILITY_UCWA_FIELD_MAX)];

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_UCWA_APP);

#define ngx_mobility_ucwa_put_str(tag, s)                                     \
    if ((s).len) {                                                            \
        ngx_mobility_rec_put(&w, tag, (s).data, (s).len);                     \
    }

    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_OWNER, app->owner);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_BASE, app->base);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_CULTURE, app->culture);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_ENDPOINT_ID, app->endpoint_id);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_TYPE, app->type);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_USER_AGENT, app->user_agent);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_CREATED, app->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_FLAGS, app->flags);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_EXPIRED_AT,
                             app->expired_at);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_COMM_GUID, app->comm_guid);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_COMM_ETAG, app->comm_etag);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_MODALITIES, app->modalities);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_FORMATS, app->formats);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_AUDIO_PREFERENCE,
                              app->audio_preference);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_PHONE_NUMBER,
                              app->phone_number);
    ngx_mobility_ucwa_put_str(NGX_MOBILITY_UA_SIGN_IN_AS, app->sign_in_as);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_INACTIVE, app->inactive);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_ANONYMOUS, app->anonymous);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_UA_NEXT_CHANNEL,
                             app->next_channel);

#undef ngx_mobility_ucwa_put_str

    p = chans;

    for (i = 0; i < app->nchannels; i++) {
        ngx_mobility_put_le16(p, (uint16_t) app->channels[i].no);
        p[2] = (u_char) app->channels[i].instance.len;
        p = ngx_cpymem(p + 3, app->channels[i].instance.data,
                       app->channels[i].instance.len);
    }

    if (p > chans) {
        ngx_mobility_rec_put(&w, NGX_MOBILITY_UA_CHANNELS, chans, p - chans);
    }

    if (w.overflow) {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0,
                      "mobility ucwa: application record too large");
        return NGX_ERROR;
    }

    k.mv_data = app->id.data;
    k.mv_size = app->id.len;
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS], &k, &v, 0);
    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "writing an application", rc);
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_user_index(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_str_t *id, ngx_uint_t add)
{
    int      rc;
    u_char   key[NGX_MOBILITY_SIP_MAX + 1 + NGX_MOBILITY_UCWA_ID_MAX];
    MDB_val  k, v;

    ngx_memcpy(key, sip->data, sip->len);
    key[sip->len] = '\0';
    ngx_memcpy(key + sip->len + 1, id->data, id->len);

    k.mv_data = key;
    k.mv_size = sip->len + 1 + id->len;

    if (add) {
        v.mv_data = (void *) "";
        v.mv_size = 0;

        rc = mdb_put(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USER_APPS],
                     &k, &v, 0);

    } else {
        rc = mdb_del(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USER_APPS],
                     &k, NULL);

        if (rc == MDB_NOTFOUND) {
            rc = 0;
        }
    }

    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "updating the applications of a user",
                                rc);
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the ids of a user's applications (tombstones included) */
ngx_array_t *
ngx_mobility_ucwa_user_apps(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip)
{
    int           rc;
    u_char        key[NGX_MOBILITY_SIP_MAX + 1];
    MDB_val       k, v;
    ngx_str_t    *id;
    MDB_cursor   *cur;
    ngx_array_t  *ids;

    ids = ngx_array_create(tx->pool, 4, sizeof(ngx_str_t));
    if (ids == NULL) {
        return NULL;
    }

    if (sip->len == 0 || sip->len > NGX_MOBILITY_SIP_MAX) {
        return ids;
    }

    ngx_memcpy(key, sip->data, sip->len);
    key[sip->len] = '\0';

    rc = mdb_cursor_open(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USER_APPS],
                         &cur);
    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "listing applications", rc);
        return NULL;
    }

    k.mv_data = key;
    k.mv_size = sip->len + 1;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= sip->len + 1
            || ngx_memcmp(k.mv_data, key, sip->len + 1) != 0)
        {
            break;
        }

        id = ngx_array_push(ids);
        if (id == NULL) {
            break;
        }

        id->len = k.mv_size - sip->len - 1;
        id->data = ngx_pnalloc(tx->pool, id->len);
        if (id->data == NULL) {
            break;
        }

        ngx_memcpy(id->data, (u_char *) k.mv_data + sip->len + 1, id->len);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        ngx_mobility_store_fail(tx->st, "listing applications", rc);
        return NULL;
    }

    return ids;
}


ngx_int_t
ngx_mobility_ucwa_prefix(ngx_pool_t *pool, ngx_mobility_ucwa_app_t *app,
    ngx_str_t *prefix)
{
    return ngx_mobility_ucwa_prefix_id(pool, app->base, app->id.data,
                                       app->id.len, prefix);
}


/* the same from an application's base and id (a held P-GET knows them) */
ngx_int_t
ngx_mobility_ucwa_prefix_id(ngx_pool_t *pool, ngx_uint_t base,
    const u_char *id, size_t len, ngx_str_t *prefix)
{
    ngx_str_t  *b;

    b = &ngx_mobility_ucwa_base_paths[base];

    prefix->data = ngx_pnalloc(pool, b->len + len);
    if (prefix->data == NULL) {
        return NGX_ERROR;
    }

    prefix->len = ngx_cpymem(ngx_cpymem(prefix->data, b->data, b->len),
                             id, len)
                  - prefix->data;

    return NGX_OK;
}


ngx_mobility_ucwa_channel_t *
ngx_mobility_ucwa_app_channel(ngx_mobility_ucwa_app_t *app,
    ngx_str_t *instance)
{
    ngx_uint_t  i;

    for (i = 0; i < app->nchannels; i++) {
        if (app->channels[i].instance.len == instance->len
            && ngx_memcmp(app->channels[i].instance.data, instance->data,
                          instance->len) == 0)
        {
            return &app->channels[i];
        }
    }

    return NULL;
}


size_t
ngx_mobility_ucwa_channel_key(ngx_mobility_ucwa_app_t *app,
    ngx_mobility_ucwa_channel_t *ch, u_char *buf)
{
    return ngx_sprintf(buf, "%V/%ui", &app->id, ch->no) - buf;
}


uint64_t
ngx_mobility_ucwa_expected_ack(ngx_mobility_evchan_t *ec)
{
    if (ec->pkg_no == 0 || (ec->flags & NGX_MOBILITY_EVCHAN_ACKED)) {
        return ec->pkg_no + 1;
    }

    return ec->pkg_no;
}


ngx_int_t
ngx_mobility_ucwa_events_href(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, uint64_t ack, ngx_str_t *href)
{
    u_char  *p;
    size_t   len;

    len = prefix->len + sizeof("/events?ack=&instanceId=") - 1
          + NGX_INT64_LEN
          + ngx_escape_uri(NULL, ch->instance.data, ch->instance.len,
                           NGX_ESCAPE_ARGS) * 2
          + ch->instance.len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    href->data = p;
    p = ngx_sprintf(p, "%V/events?ack=%uL", prefix, ack);

    if (ch->instance.len) {
        p = ngx_cpymem(p, "&instanceId=", sizeof("&instanceId=") - 1);
        p = (u_char *) ngx_escape_uri(p, ch->instance.data, ch->instance.len,
                                      NGX_ESCAPE_ARGS);
    }

    href->len = p - href->data;

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_self_href(ngx_pool_t *pool, ngx_str_t *prefix,
    ngx_mobility_ucwa_channel_t *ch, ngx_str_t *href)
{
    u_char  *p;

    if (ch == NULL || ch->instance.len == 0) {
        *href = *prefix;
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, prefix->len + sizeof("?instanceId=") - 1
                          + 3 * ch->instance.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    href->data = p;
    p = ngx_sprintf(p, "%V?instanceId=", prefix);
    p = (u_char *) ngx_escape_uri(p, ch->instance.data, ch->instance.len,
                                  NGX_ESCAPE_ARGS);
    href->len = p - href->data;

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* lifetime                                                           */


ngx_int_t
ngx_mobility_ucwa_app_expired(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    u_char                 key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                 klen;
    uint64_t               last, t;
    ngx_uint_t             i;
    ngx_mobility_evchan_t  ec;

    if (app->flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
        return 1;
    }

    last = app->created;

    /* the last activity is never before the creation: no need to read */
    if (tx->now <= last + (uint64_t) tx->umcf->idle_timeout * 1000) {
        return 0;
    }

    for (i = 0; i < app->nchannels; i++) {
        klen = ngx_mobility_ucwa_channel_key(app, &app->channels[i], key);

        if (ngx_mobility_evchan_get(tx->st, tx->txn, key, klen, &ec)
            != NGX_MOBILITY_OK)
        {
            continue;
        }

        /* a held P-GET keeps the application alive until its deadline */
        t = ec.last_release;

        if (ec.park_token && ec.park_until > t) {
            t = ec.park_until;
        }

        if (t > last) {
            last = t;
        }
    }

    return tx->now > last + (uint64_t) tx->umcf->idle_timeout * 1000;
}


ngx_int_t
ngx_mobility_ucwa_app_terminate(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_uint_t tombstone)
{
    int         rc;
    u_char      key[NGX_MOBILITY_EV_KEY_MAX];
    size_t      klen;
    MDB_val     k;
    ngx_uint_t  i;

    ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                  "mobility ucwa: application %V of \"%V\" %s", &app->id,
                  &app->owner, tombstone ? "expired" : "deleted");

    /* it leaves its conferences while its channels still exist */
    if (ngx_mobility_ucwa_conf_app_gone(tx, app) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < app->nchannels; i++) {
        klen = ngx_mobility_ucwa_channel_key(app, &app->channels[i], key);

        if (ngx_mobility_evchan_delete(tx->st, tx->txn, key, klen)
            == NGX_MOBILITY_ERROR)
        {
            goto failed;
        }
    }

    /* its presence subscriptions, their watcher entries, group bindings */
    if (ngx_mobility_psub_del(tx->st, tx->txn, app->id.data, app->id.len,
                              NULL, 0)
        != NGX_MOBILITY_OK
        || ngx_mobility_psub_group_unbind_ep(tx->st, tx->txn,
                                             app->owner.data, app->owner.len,
                                             app->id.data, app->id.len,
                                             NULL, 0)
           != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_presence_sign_out(tx, app) != NGX_OK) {
        return NGX_ERROR;
    }

    /* its P-GETs learn that it is gone */
    if (ngx_mobility_ucwa_wake_add(tx->wake, tx->pool, &app->id) != NGX_OK) {
        return NGX_ERROR;
    }

    if (tombstone) {
        app->flags = NGX_MOBILITY_UCWA_APP_EXPIRED;
        app->expired_at = tx->now;
        app->nchannels = 0;

        return ngx_mobility_ucwa_app_put(tx, app);
    }

    k.mv_data = app->id.data;
    k.mv_size = app->id.len;

    rc = mdb_del(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS], &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        ngx_mobility_store_fail(tx->st, "removing an application", rc);
        goto failed;
    }

    return ngx_mobility_ucwa_user_index(tx, &app->owner, &app->id, 0);

failed:

    ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                  tx->st->err);
    return NGX_ERROR;
}


/*
 * A phone or tablet client, the kind EnableMobility governs: the "type"
 * it declares, else what its user agent says.
 */
ngx_uint_t
ngx_mobility_ucwa_app_is_mobile(ngx_str_t *type, ngx_str_t *agent)
{
    ngx_uint_t  i;

    static const char  *agents[] = {
        "iPhone", "iPad", "Android", "Windows Phone", "Mobile", NULL
    };

    if ((type->len == 5
         && ngx_strncasecmp(type->data, (u_char *) "Phone", 5) == 0)
        || (type->len == 6
            && ngx_strncasecmp(type->data, (u_char *) "Tablet", 6) == 0))
    {
        return 1;
    }

    for (i = 0; agents[i]; i++) {
        if (ngx_strlcasestrn(agent->data, agent->data + agent->len,
                             (u_char *) agents[i], ngx_strlen(agents[i]) - 1)
            != NULL)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * EnableMobility was turned off for the user: end the user's phone and
 * tablet applications (their P-GETs answer 404 and a new application is
 * refused with 403 MobilityDisabled).
 */
ngx_int_t
ngx_mobility_ucwa_end_mobile_apps(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip)
{
    ngx_int_t                 rc;
    ngx_str_t                *ids;
    ngx_uint_t                i;
    ngx_array_t              *list;
    ngx_mobility_ucwa_app_t   app;

    rc = ngx_mobility_policy_mobility_enabled(tx->st, tx->txn, sip->data,
                                              sip->len);
    if (rc != 0) {
        return (rc < 0) ? NGX_ERROR : NGX_OK;
    }

    list = ngx_mobility_ucwa_user_apps(tx, sip);
    if (list == NULL) {
        return NGX_ERROR;
    }

    ids = list->elts;

    for (i = 0; i < list->nelts; i++) {
        rc = ngx_mobility_ucwa_app_get(tx, &ids[i], &app);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)
            || !ngx_mobility_ucwa_app_is_mobile(&app.type, &app.user_agent))
        {
            continue;
        }

        ngx_log_error(NGX_LOG_NOTICE, tx->log, 0,
                      "mobility ucwa: EnableMobility is off for \"%V\", "
                      "ending its mobile application %V", sip, &app.id);

        if (ngx_mobility_ucwa_app_terminate(tx, &app, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_app_load(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app)
{
    ngx_int_t                      rc;
    ngx_http_mobility_identity_t  *id;

    rc = ngx_mobility_ucwa_app_get(tx, &rq->app_id, app);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    id = rq->identity;

    /* somebody else's application does not exist for this user */

    if (rc == NGX_DECLINED
        || app->owner.len != id->sip_len
        || ngx_memcmp(app->owner.data, id->sip, id->sip_len) != 0)
    {
        if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND, "NotFound",
                                    "ApplicationNotFound",
                                    "The application does not exist.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    rc = ngx_mobility_ucwa_app_expired(tx, app);

    if (rc) {
        if (ngx_mobility_ucwa_error(rq, rs, NGX_MOBILITY_UCWA_GONE, "Gone",
                                    "InactiveApplicationExpired",
                                    "The application expired because it "
                                    "was inactive.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* events                                                             */


/*
 * The payload of an event: {"s":{sender},"e":{link,in,_embedded,type,
 * status,reason}}; app is NULL for a template (no embedded resource).
 */
static json_t *
ngx_mobility_ucwa_event_payload(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_event_t *ev,
    ngx_str_t *prefix)
{
    json_t  *payload, *s, *e, *link, *emb, *embedded;

    payload = json_object();
    s = json_object();
    e = json_object();
    link = json_object();

    if (payload == NULL || s == NULL || e == NULL || link == NULL) {
        json_decref(payload);
        json_decref(s);
        json_decref(e);
        json_decref(link);
        return NULL;
    }

    json_object_set_new(payload, "s", s);
    json_object_set_new(payload, "e", e);

    json_object_set_new(s, "rel", json_string(ev->sender_rel));
    json_object_set_new(s, "href",
                        ngx_mobility_ucwa_href(prefix, ev->sender_path));

    json_object_set_new(link, "rel", json_string(ev->rel));
    json_object_set_new(link, "href", ngx_mobility_ucwa_href(prefix,
                                                             ev->path));
    json_object_set_new(e, "link", link);

    if (ev->in_rel) {
        json_t  *in;

        in = json_object();
        if (in) {
            json_object_set_new(in, "rel", json_string(ev->in_rel));
            json_object_set_new(in, "href",
                                ngx_mobility_ucwa_href(prefix, ev->in_path));
            json_object_set_new(e, "in", in);
        }
    }

    if (ev->embed && app) {
        embedded = ev->embed(tx, app, ev->data);

        if (embedded) {
            emb = json_object();
            json_object_set_new(emb, ev->rel, embedded);
            json_object_set_new(e, "_embedded", emb);
        }
    }

    json_object_set_new(e, "type", json_string(ev->type));

    if (ev->status) {
        json_object_set_new(e, "status", json_string(ev->status));
    }

    if (ev->reason) {
        json_t  *reason;

        reason = json_object();
        if (reason) {
            json_object_set_new(reason, "code",
                                json_string(ngx_strcmp(ev->reason,
                                                       "DestinationNotFound")
                                            == 0 ? "NotFound"
                                            : ngx_strcmp(ev->reason,
                                                         "Timeout") == 0
                                            ? "Timeout" : "Gone"));
            json_object_set_new(reason, "subcode", json_string(ev->reason));
            json_object_set_new(e, "reason", reason);
        }
    }

    return payload;
}


/* appends one event to every channel of the application id */
static ngx_int_t
ngx_mobility_ucwa_append(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *id,
    ngx_uint_t *nos, ngx_uint_t nchannels, ngx_mobility_event_t *event)
{
    int         rc;
    u_char      key[NGX_MOBILITY_EV_KEY_MAX];
    size_t      klen;
    ngx_uint_t  i;

    for (i = 0; i < nchannels; i++) {
        klen = ngx_sprintf(key, "%V/%ui", id, nos[i]) - key;

        rc = ngx_mobility_event_append(tx->st, tx->txn, key, klen, event,
                                       tx->now, tx->umcf->max_events);

        if (rc == NGX_MOBILITY_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                          tx->st->err);
            return NGX_ERROR;
        }

        if (rc == NGX_MOBILITY_EXISTS) {
            ngx_log_error(NGX_LOG_INFO, tx->log, 0,
                          "mobility ucwa: events of application %V "
                          "overflowed, the channel resumes", id);
        }
    }

    return ngx_mobility_ucwa_wake_add(tx->wake, tx->pool, id);
}


ngx_int_t
ngx_mobility_ucwa_publish(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_event_t *ev)
{
    json_t                *payload;
    ngx_str_t              prefix, text, href;
    ngx_int_t              res;
    ngx_uint_t             i, nos[NGX_MOBILITY_UCWA_CHANNELS];
    ngx_mobility_event_t   event;

    /* a pushable event for an application that is not listening */
    if (ev->push.kind
        && ngx_mobility_ucwa_push_app(tx, app, &ev->push) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (app->nchannels == 0) {
        return NGX_OK;
    }

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    payload = ngx_mobility_ucwa_event_payload(tx, app, ev, &prefix);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    res = ngx_mobility_ucwa_dump(tx->pool, payload, &text);

    json_decref(payload);

    if (res != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&event, sizeof(ngx_mobility_event_t));

    event.urgency = ev->urgency;
    event.payload.data = text.data;
    event.payload.len = text.len;

    if (ev->merge) {
        /* a newer "updated" of the same resource supersedes the older */
        href.data = ngx_pnalloc(tx->pool, ngx_strlen(ev->type) + 1
                                          + prefix.len
                                          + ngx_strlen(ev->path));
        if (href.data == NULL) {
            return NGX_ERROR;
        }

        href.len = ngx_sprintf(href.data, "%s %V%s", ev->type, &prefix,
                               ev->path)
                   - href.data;

        event.merge.data = href.data;
        event.merge.len = href.len;
    }

    for (i = 0; i < app->nchannels; i++) {
        nos[i] = app->channels[i].no;
    }

    return ngx_mobility_ucwa_append(tx, &app->id, nos, app->nchannels,
                                    &event);
}


/*
 * An event published to many applications (the presence fan-out) is
 * rendered once: its payload differs between applications only in the
 * application prefix, so the template keeps the text between the
 * prefixes (rendered with a one-character stand-in that jansson writes
 * as "\u0001") and ngx_mobility_ucwa_publish_template() splices each
 * application's prefix in.  The bytes are those ngx_mobility_ucwa_publish()
 * would store: the prefix ("/ucwa/.../applications/<node>-<hex>") holds
 * nothing jansson escapes, which is checked per application.  Events
 * with an embedded resource or a push are not templates (NGX_DECLINED).
 */
ngx_int_t
ngx_mobility_ucwa_template(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_event_t *ev, ngx_mobility_ucwa_tmpl_t *t)
{
    u_char     *p, *last, *m;
    json_t     *payload;
    ngx_str_t   prefix, text;
    ngx_int_t   rc;
    ngx_uint_t  expect;

    static u_char  mark[] = "\\u0001";

    ngx_memzero(t, sizeof(ngx_mobility_ucwa_tmpl_t));

    if (ev->embed || ev->push.kind || ev->path == NULL
        || ev->sender_path == NULL
        || (ev->in_rel && ev->in_path == NULL))
    {
        return NGX_DECLINED;
    }

    /* ngx_mobility_ucwa_href() renders long hrefs as "" */

    if (ngx_strlen(ev->path) > 900 || ngx_strlen(ev->sender_path) > 900
        || (ev->in_rel && ngx_strlen(ev->in_path) > 900))
    {
        return NGX_DECLINED;
    }

    prefix.data = (u_char *) "\x01";
    prefix.len = 1;

    payload = ngx_mobility_ucwa_event_payload(tx, NULL, ev, &prefix);
    if (payload == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_dump(tx->pool, payload, &text);

    json_decref(payload);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    expect = ev->in_rel ? 3 : 2;

    p = text.data;
    last = text.data + text.len;

    while (t->nparts < expect) {
        m = ngx_strlcasestrn(p, last, mark, sizeof(mark) - 2);

        if (m == NULL) {
            return NGX_DECLINED;
        }

        t->part[t->nparts].data = p;
        t->part[t->nparts].len = m - p;
        t->nparts++;

        p = m + sizeof(mark) - 1;
    }

    if (ngx_strlcasestrn(p, last, mark, sizeof(mark) - 2) != NULL) {
        return NGX_DECLINED;
    }

    t->part[t->nparts].data = p;
    t->part[t->nparts].len = last - p;
    t->nparts++;

    t->size = text.len - expect * (sizeof(mark) - 1)
              + expect * (sizeof("/ucwa/oauth/v1/applications/") - 1
                          + NGX_MOBILITY_UCWA_ID_MAX);

    t->buf = ngx_pnalloc(tx->pool, t->size);
    if (t->buf == NULL) {
        return NGX_ERROR;
    }

    t->urgency = ev->urgency;
    t->type = ev->type;
    t->path = ev->merge ? ev->path : NULL;

    return NGX_OK;
}


/*
 * Publishes a template to the application id, reading no more of its
 * record than flags, base and channels: NGX_OK (published, or nothing
 * to publish to), NGX_DECLINED (use ngx_mobility_ucwa_publish()), or
 * NGX_ERROR.
 */
ngx_int_t
ngx_mobility_ucwa_publish_template(ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *id, ngx_mobility_ucwa_tmpl_t *t)
{
    int                    rc;
    u_char                *p, *last, *w;
    u_char                 merge[NGX_MOBILITY_EV_KEY_MAX + 1024];
    size_t                 tlen, plen;
    MDB_val                k, v;
    uint64_t               flags;
    ngx_str_t             *base;
    ngx_uint_t             i, n, nos[NGX_MOBILITY_UCWA_CHANNELS];
    ngx_mobility_bytes_t   f[NGX_MOBILITY_UCWA_APP_TAGS], b;
    ngx_mobility_event_t   event;
    u_char                 prefix[64 + NGX_MOBILITY_UCWA_ID_MAX];

    if (id->len == 0 || id->len > NGX_MOBILITY_UCWA_ID_MAX) {
        return NGX_DECLINED;
    }

    k.mv_data = id->data;
    k.mv_size = id->len;

    rc = mdb_get(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_OK;
    }

    if (rc != 0) {
        ngx_mobility_store_fail(tx->st, "reading an application", rc);
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NGX_ERROR;
    }

    if (ngx_mobility_rec_fields(v.mv_data, v.mv_size,
                                NGX_MOBILITY_REC_UCWA_APP, f,
                                NGX_MOBILITY_UCWA_APP_TAGS)
        != 0)
    {
        /* the general path logs it */
        return NGX_DECLINED;
    }

    flags = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_FLAGS], 0);

    if (flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
        return NGX_OK;
    }

    /* the channel numbers: { no(u16 LE) len(u8) instance } ... */

    b = f[NGX_MOBILITY_UA_CHANNELS];
    p = (u_char *) b.data;
    last = p + b.len;
    n = 0;

    while (last - p >= 3 && n < NGX_MOBILITY_UCWA_CHANNELS) {
        if ((size_t) (last - p - 3) < p[2]) {
            break;
        }

        nos[n++] = ngx_mobility_le16(p);
        p += 3 + p[2];
    }

    if (n == 0) {
        return NGX_OK;
    }

    base = &ngx_mobility_ucwa_base_paths[
               ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_BASE], 0)
               ? NGX_MOBILITY_UCWA_BASE_V1 : NGX_MOBILITY_UCWA_BASE_OAUTH];

    plen = ngx_cpymem(ngx_cpymem(prefix, base->data, base->len), id->data,
                      id->len)
           - prefix;

    for (i = 0; i < plen; i++) {
        if (prefix[i] < 0x20 || prefix[i] > 0x7e || prefix[i] == '"'
            || prefix[i] == '\\')
        {
            return NGX_DECLINED;
        }
    }

    tlen = 0;

    for (i = 0; i < t->nparts; i++) {
        tlen += t->part[i].len;
    }

    if (tlen + (t->nparts - 1) * plen > t->size) {
        return NGX_DECLINED;
    }

    w = t->buf;

    for (i = 0; i < t->nparts; i++) {
        if (i) {
            w = ngx_cpymem(w, prefix, plen);
        }

        w = ngx_cpymem(w, t->part[i].data, t->part[i].len);
    }

    ngx_memzero(&event, sizeof(ngx_mobility_event_t));

    event.urgency = t->urgency;
    event.payload.data = t->buf;
    event.payload.len = w - t->buf;

    if (t->path) {
        if (ngx_strlen(t->type) + 1 + plen + ngx_strlen(t->path)
            > sizeof(merge))
        {
            return NGX_DECLINED;
        }

        event.merge.data = merge;
        event.merge.len = ngx_sprintf(merge, "%s %*s%s", t->type, plen,
                                      prefix, t->path)
                          - merge;
    }

    return ngx_mobility_ucwa_append(tx, id, nos, n, &event);
}


ngx_int_t
ngx_mobility_ucwa_publish_user(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip,
    ngx_uint_t available_only, ngx_str_t *exclude,
    ngx_mobility_ucwa_event_t *ev)
{
    ngx_int_t                 rc;
    ngx_str_t                *ids;
    ngx_uint_t                i;
    ngx_array_t              *list;
    ngx_mobility_ucwa_app_t   app;

    list = ngx_mobility_ucwa_user_apps(tx, sip);
    if (list == NULL) {
        return NGX_ERROR;
    }

    ids = list->elts;

    for (i = 0; i < list->nelts; i++) {
        rc = ngx_mobility_ucwa_app_get(tx, &ids[i], &app);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK
            || (exclude && ngx_mobility_ucwa_str_eq(exclude, &app.id))
            || (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED)
            || (available_only
                && !(app.flags & NGX_MOBILITY_UCWA_APP_AVAILABLE)))
        {
            continue;
        }

        if (ngx_mobility_ucwa_publish(tx, &app, ev) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* representations                                                    */


static const char  *ngx_mobility_ucwa_people_links[] = {
    "self", "",
    "presenceSubscriptions", "/presenceSubscriptions",
    "subscribedContacts", "/subscribedContacts",
    "presenceSubscriptionMemberships", "/presenceSubscriptionMemberships",
    "myGroups", "/groups",
    "myGroupMemberships", "/groupMemberships",
    "myContacts", "/contacts",
    "myPrivacyRelationships", "/privacyRelationships",
    "myContactsAndGroupsSubscription", "/contactsAndGroupsSubscription",
    "search", "/search",
    NULL
};


static const char  *ngx_mobility_ucwa_meetings_links[] = {
    "self", "",
    "myOnlineMeetings", "/myOnlineMeetings",
    "onlineMeetingDefaultValues", "/defaultValues",
    "onlineMeetingEligibleValues", "/eligibleValues",
    "onlineMeetingInvitationCustomization", "/customInvitation",
    "onlineMeetingPolicies", "/policies",
    "phoneDialInInformation", "/phoneDialInInformation",
    NULL
};


static json_t *
ngx_mobility_ucwa_link_list(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *prefix,
    const char *base, const char **list, const char *rel)
{
    u_char       *p;
    json_t       *obj, *links;
    ngx_str_t     pre;
    ngx_uint_t    i;

    pre.len = prefix->len + ngx_strlen(base);
    pre.data = ngx_pnalloc(tx->pool, pre.len);
    if (pre.data == NULL) {
        return NULL;
    }

    p = ngx_cpymem(pre.data, prefix->data, prefix->len);
    ngx_memcpy(p, base, ngx_strlen(base));

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    json_object_set_new(obj, "_links", links);

    for (i = 0; list[i]; i += 2) {
        (void) ngx_mobility_ucwa_link(links, list[i], &pre, list[i + 1]);
    }

    json_object_set_new(obj, "rel", json_string(rel));

    return obj;
}


static json_t *
ngx_mobility_ucwa_formats_json(ngx_uint_t formats)
{
    json_t  *a;

    a = json_array();

    if (formats & NGX_MOBILITY_UCWA_FMT_PLAIN) {
        json_array_append_new(a, json_string("Plain"));
    }

    if (formats & NGX_MOBILITY_UCWA_FMT_HTML) {
        json_array_append_new(a, json_string("Html"));
    }

    return a;
}


json_t *
ngx_mobility_ucwa_communication_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    u_char     buf[NGX_INT64_LEN];
    u_char     guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];
    json_t    *obj, *links, *mods;
    ngx_str_t  prefix, pre;

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    pre.data = ngx_pnalloc(tx->pool, prefix.len + sizeof("/communication"));
    if (pre.data == NULL) {
        return NULL;
    }

    pre.len = ngx_sprintf(pre.data, "%V/communication", &prefix) - pre.data;

    obj = json_object();
    links = json_object();
    mods = json_array();

    if (obj == NULL || links == NULL || mods == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(mods);
        return NULL;
    }

    if (app->comm_guid.len == NGX_MOBILITY_UCWA_GUID_LEN) {
        ngx_memcpy(guid, app->comm_guid.data, NGX_MOBILITY_UCWA_GUID_LEN);
        guid[NGX_MOBILITY_UCWA_GUID_LEN] = '\0';

        json_object_set_new(obj, (const char *) guid,
                            json_string(NGX_MOBILITY_UCWA_PUT_GUARD));
    }

    if (app->modalities & NGX_MOBILITY_UCWA_MOD_MESSAGING) {
        json_array_append_new(mods, json_string("Messaging"));
    }

    if (app->modalities & NGX_MOBILITY_UCWA_MOD_PHONEAUDIO) {
        json_array_append_new(mods, json_string("PhoneAudio"));
    }

    json_object_set_new(obj, "supportedModalities", mods);
    json_object_set_new(obj, "supportedMessageFormats",
                        ngx_mobility_ucwa_formats_json(app->formats));

    if (app->audio_preference.len) {
        json_object_set_new(obj, "audioPreference",
                            ngx_mobility_ucwa_str(&app->audio_preference));
    }

    if (app->phone_number.len) {
        json_object_set_new(obj, "phoneNumber",
                            ngx_mobility_ucwa_str(&app->phone_number));
    }

    json_object_set_new(obj, "conversationHistory", json_string("Disabled"));
    json_object_set_new(obj, "publishEndpointLocation", json_true());

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &pre, "");
    (void) ngx_mobility_ucwa_link(links, "conversations", &pre,
                                  "/conversations?filter=active");
    (void) ngx_mobility_ucwa_link(links, "startMessaging", &pre,
                                  "/messagingInvitations");
    (void) ngx_mobility_ucwa_link(links, "missedItems", &pre,
                                  "/missedItems");
    (void) ngx_mobility_ucwa_link(links, "conversationLogs", &pre,
                                  "/conversationLogs");
    (void) ngx_mobility_ucwa_link(links, "startOnlineMeeting", &pre,
                                  "/onlineMeetingInvitations?"
                                  "onlineMeetingUri=adhoc");
    (void) ngx_mobility_ucwa_link(links, "joinOnlineMeeting", &pre,
                                  "/onlineMeetingInvitations");

    if (app->modalities & NGX_MOBILITY_UCWA_MOD_PHONEAUDIO) {
        (void) ngx_mobility_ucwa_link(links, "startPhoneAudio", &pre,
                                      "/phoneAudioInvitations");
    }

    json_object_set_new(obj, "rel", json_string("communication"));

    ngx_sprintf(buf, "%uL%Z", app->comm_etag);
    json_object_set_new(obj, "etag", json_string((const char *) buf));

    return obj;
}


static json_t *
ngx_mobility_ucwa_app_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_channel_t *ch,
    uint64_t ack)
{
    json_t     *obj, *links, *emb, *v;
    ngx_str_t   prefix, self, events;

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK
        || ngx_mobility_ucwa_self_href(tx->pool, &prefix, ch, &self) != NGX_OK
        || ngx_mobility_ucwa_events_href(tx->pool, &prefix, ch, ack, &events)
           != NGX_OK)
    {
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

    json_object_set_new(obj, "culture", ngx_mobility_ucwa_str(&app->culture));
    json_object_set_new(obj, "userAgent",
                        ngx_mobility_ucwa_str(&app->user_agent));
    json_object_set_new(obj, "type", ngx_mobility_ucwa_str(&app->type));
    json_object_set_new(obj, "endpointId",
                        ngx_mobility_ucwa_str(&app->endpoint_id));
    json_object_set_new(obj, "id", ngx_mobility_ucwa_str(&app->id));

    if (ch && ch->instance.len) {
        json_object_set_new(obj, "instanceId",
                            ngx_mobility_ucwa_str(&ch->instance));
    }

    json_object_set_new(obj, "_links", links);

    v = json_object();
    json_object_set_new(v, "href", ngx_mobility_ucwa_str(&self));
    json_object_set_new(links, "self", v);

    (void) ngx_mobility_ucwa_link(links, "policies", &prefix, "/policies");
    (void) ngx_mobility_ucwa_link(links, "batch", &prefix, "/batch");
    (void) ngx_mobility_ucwa_link(links, "pushRegistration", &prefix,
                                  "/pushRegistration");

    v = json_object();
    json_object_set_new(v, "href", ngx_mobility_ucwa_str(&events));
    json_object_set_new(links, "events", v);

    json_object_set_new(obj, "_embedded", emb);

    json_object_set_new(emb, "me", ngx_mobility_ucwa_me_json(tx, app, NULL));
    json_object_set_new(emb, "people",
                        ngx_mobility_ucwa_link_list(tx, &prefix, "/people",
                                           ngx_mobility_ucwa_people_links,
                                           "people"));
    json_object_set_new(emb, "onlineMeetings",
                        ngx_mobility_ucwa_link_list(tx, &prefix,
                                           "/onlineMeetings",
                                           ngx_mobility_ucwa_meetings_links,
                                           "onlineMeetings"));
    json_object_set_new(emb, "communication",
                        ngx_mobility_ucwa_communication_json(tx, app, NULL));

    json_object_set_new(obj, "rel", json_string("application"));

    return obj;
}


/* the application for one of its channels, with the photo cookie */
static ngx_int_t
ngx_mobility_ucwa_app_answer(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_mobility_ucwa_channel_t *ch,
    ngx_uint_t status)
{
    u_char                 key[NGX_MOBILITY_EV_KEY_MAX];
    u_char                *p;
    size_t                 klen;
    json_t                *obj;
    uint64_t               ack;
    ngx_str_t              prefix, token;
    ngx_mobility_evchan_t  ec;

    ack = 1;

    if (ch) {
        klen = ngx_mobility_ucwa_channel_key(app, ch, key);

        if (ngx_mobility_evchan_get(tx->st, tx->txn, key, klen, &ec)
            == NGX_MOBILITY_OK)
        {
            ack = ngx_mobility_ucwa_expected_ack(&ec);
        }
    }

    obj = ngx_mobility_ucwa_app_json(tx, app, ch, ack);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_resource(rq, rs, status, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    if (status == NGX_HTTP_CREATED) {
        rs->location = prefix;

        if (ch && ch->instance.len
            && ngx_mobility_ucwa_self_href(rq->pool, &prefix, ch,
                                           &rs->location)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        rs->p3p = 1;
        rs->no_etag = 1;
    }

    /* the photo cookie: <img> tags cannot send the Bearer token */

    token = rq->identity->token;

    if (token.len > 4 && ngx_strncmp(token.data, "cwt=", 4) == 0) {
        token.data += 4;
        token.len -= 4;
    }

    if (token.len && !rq->batch) {
        p = ngx_pnalloc(rq->pool, sizeof("cwt_ucwa=; path=/photos; secure; "
                                         "HttpOnly") - 1
                                  + token.len + prefix.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        rs->cookie.data = p;
        p = ngx_sprintf(p, "cwt_ucwa=%V; path=%V/photos; secure; HttpOnly",
                        &token, &prefix);
        rs->cookie.len = p - rs->cookie.data;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* POST applications                                                  */


static ngx_int_t
ngx_mobility_ucwa_app_field(ngx_mobility_ucwa_req_t *rq, const char *name,
    ngx_str_t *out, const char *dflt, json_t *bad)
{
    ngx_int_t  rc;

    rc = ngx_mobility_ucwa_input_str(rq, name, out);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        out->data = (u_char *) dflt;
        out->len = ngx_strlen(dflt);
        return NGX_OK;
    }

    if (out->len > NGX_MOBILITY_UCWA_FIELD_MAX) {
        json_array_append_new(bad, json_string(name));
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_mobility_ucwa_str_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len && ngx_memcmp(a->data, b->data, a->len) == 0;
}


ngx_int_t
ngx_mobility_ucwa_applications(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                        key[NGX_MOBILITY_EV_KEY_MAX];
    u_char                       *p;
    size_t                        klen;
    json_t                       *bad;
    ngx_int_t                     rc;
    ngx_str_t                     culture, endpoint, type, agent, instance;
    ngx_str_t                     sip, *ids;
    ngx_uint_t                    i, live, status;
    ngx_array_t                  *list;
    ngx_mobility_ucwa_tx_t        tx;
    ngx_mobility_evchan_t         ec;
    ngx_mobility_ucwa_app_t       app, found;
    ngx_mobility_ucwa_channel_t  *ch;
    u_char                        guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];

    bad = json_array();
    if (bad == NULL || ngx_mobility_ucwa_json_own(rq->pool, bad) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_app_field(rq, "culture", &culture, "en-US", bad)
        != NGX_OK
        || ngx_mobility_ucwa_app_field(rq, "endpointId", &endpoint, "", bad)
           != NGX_OK
        || ngx_mobility_ucwa_app_field(rq, "type", &type, "", bad) != NGX_OK
        || ngx_mobility_ucwa_app_field(rq, "userAgent", &agent, "", bad)
           != NGX_OK
        || ngx_mobility_ucwa_app_field(rq, "instanceId", &instance, "", bad)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (json_array_size(bad)) {
        if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                    "BadRequest",
                                    "ParameterValidationFailure",
                                    "A property is longer than 100 "
                                    "characters.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        json_object_set(rs->json, "parameters", bad);
        return NGX_OK;
    }

    if (endpoint.len == 0) {
        /* tolerated: a client without an endpointId gets its own */
        endpoint.data = ngx_pnalloc(rq->pool, NGX_MOBILITY_UCWA_GUID_LEN + 1);
        if (endpoint.data == NULL) {
            return NGX_ERROR;
        }

        ngx_mobility_ucwa_guid(endpoint.data);
        endpoint.len = NGX_MOBILITY_UCWA_GUID_LEN;
    }

    sip.data = rq->identity->sip;
    sip.len = rq->identity->sip_len;

    if (ngx_mobility_ucwa_tx_begin(&tx, rq, 1) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (ngx_mobility_ucwa_app_is_mobile(&type, &agent)) {
        rc = ngx_mobility_policy_mobility_enabled(tx.st, tx.txn, sip.data,
                                                  sip.len);
        if (rc < 0) {
            goto failed;
        }

        if (rc == 0) {
            ngx_mobility_ucwa_tx_abort(&tx);

            ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                          "mobility ucwa: \"%V\" may not sign in from a "
                          "mobile client (EnableMobility is off)", &sip);

            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                           "Forbidden", "MobilityDisabled",
                                           "The mobility policy does not "
                                           "allow this user to sign in "
                                           "from a mobile device.");
        }
    }

    list = ngx_mobility_ucwa_user_apps(&tx, &sip);
    if (list == NULL) {
        goto failed;
    }

    ids = list->elts;
    live = 0;
    found.id.len = 0;

    for (i = 0; i < list->nelts; i++) {
        rc = ngx_mobility_ucwa_app_get(&tx, &ids[i], &app);

        if (rc == NGX_ERROR) {
            goto failed;
        }

        if (rc == NGX_DECLINED) {
            /* a dangling index entry */
            if (ngx_mobility_ucwa_user_index(&tx, &sip, &ids[i], 0)
                != NGX_OK)
            {
                goto failed;
            }

            continue;
        }

        if (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
            continue;
        }

        if (ngx_mobility_ucwa_app_expired(&tx, &app)) {
            if (ngx_mobility_ucwa_app_terminate(&tx, &app, 1) != NGX_OK) {
                goto failed;
            }

            continue;
        }

        live++;

        if (found.id.len == 0
            && ngx_mobility_ucwa_str_eq(&app.endpoint_id, &endpoint)
            && ngx_mobility_ucwa_str_eq(&app.culture, &culture)
            && ngx_mobility_ucwa_str_eq(&app.type, &type)
            && ngx_mobility_ucwa_str_eq(&app.user_agent, &agent))
        {
            found = app;
        }
    }

    if (found.id.len) {

        /* the same application: an instance of it */

        ch = ngx_mobility_ucwa_app_channel(&found, &instance);

        if (ch) {
            status = NGX_HTTP_OK;
            goto answer;
        }

        if (found.nchannels == NGX_MOBILITY_UCWA_CHANNELS) {
            ngx_mobility_ucwa_tx_abort(&tx);

            return ngx_mobility_ucwa_error(rq, rs, NGX_MOBILITY_UCWA_GONE,
                                           "Gone", "TooManyApplications",
                                           "The application has too many "
                                           "instances.");
        }

        ch = &found.channels[found.nchannels++];
        ch->no = found.next_channel++;
        ch->instance = instance;

        klen = ngx_mobility_ucwa_channel_key(&found, ch, key);

        if (ngx_mobility_evchan_create(tx.st, tx.txn, key, klen, tx.now, &ec)
            != NGX_MOBILITY_OK
            || ngx_mobility_ucwa_app_put(&tx, &found) != NGX_OK)
        {
            goto failed;
        }

        status = NGX_HTTP_CREATED;
        goto answer;
    }

    if (live >= rq->umcf->max_apps) {
        ngx_mobility_ucwa_tx_abort(&tx);

        ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                      "mobility ucwa: \"%V\" has %ui applications already",
                      &sip, live);

        return ngx_mobility_ucwa_error(rq, rs, NGX_MOBILITY_UCWA_GONE, "Gone",
                                       "TooManyApplications",
                                       "Too many applications are "
                                       "registered for this user.");
    }

    /* a new application */

    ngx_memzero(&found, sizeof(ngx_mobility_ucwa_app_t));

    p = ngx_pnalloc(rq->pool, NGX_MOBILITY_UCWA_ID_MAX);
    if (p == NULL) {
        goto failed;
    }

    found.id.data = p;
    p = ngx_cpymem(p, rq->umcf->node.data, rq->umcf->node.len);
    *p++ = '-';
    ngx_mobility_ucwa_random_hex(p, NGX_MOBILITY_UCWA_RANDOM_LEN);
    found.id.len = p + NGX_MOBILITY_UCWA_RANDOM_LEN - found.id.data;

    ngx_mobility_ucwa_guid(guid);

    found.comm_guid.data = ngx_pnalloc(rq->pool, NGX_MOBILITY_UCWA_GUID_LEN);
    if (found.comm_guid.data == NULL) {
        goto failed;
    }

    ngx_memcpy(found.comm_guid.data, guid, NGX_MOBILITY_UCWA_GUID_LEN);
    found.comm_guid.len = NGX_MOBILITY_UCWA_GUID_LEN;

    found.owner = sip;
    found.base = rq->base;
    found.culture = culture;
    found.endpoint_id = endpoint;
    found.type = type;
    found.user_agent = agent;
    found.created = tx.now;
    found.comm_etag = tx.now;
    found.formats = NGX_MOBILITY_UCWA_FMT_PLAIN;
    found.anonymous = rq->identity->anonymous;
    found.nchannels = 1;
    found.next_channel = 1;
    found.channels[0].no = 0;
    found.channels[0].instance = instance;

    ch = &found.channels[0];

    klen = ngx_mobility_ucwa_channel_key(&found, ch, key);

    if (ngx_mobility_evchan_create(tx.st, tx.txn, key, klen, tx.now, &ec)
        != NGX_MOBILITY_OK
        || ngx_mobility_ucwa_app_put(&tx, &found) != NGX_OK
        || ngx_mobility_ucwa_user_index(&tx, &sip, &found.id, 1) != NGX_OK)
    {
        goto failed;
    }

    ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                  "mobility ucwa: application %V created for \"%V\" (%V)",
                  &found.id, &sip, &agent);

    status = NGX_HTTP_CREATED;

answer:

    if (ngx_mobility_ucwa_app_answer(rq, rs, &tx, &found, ch, status)
        != NGX_OK)
    {
        goto failed;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        ngx_memzero(rs, sizeof(ngx_mobility_ucwa_resp_t));
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    return NGX_OK;

failed:

    ngx_mobility_ucwa_tx_abort(&tx);

    return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
}


/* ------------------------------------------------------------------ */
/* GET and DELETE of an application                                   */


ngx_int_t
ngx_mobility_ucwa_application(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                        key[NGX_MOBILITY_EV_KEY_MAX];
    size_t                        klen;
    ngx_int_t                     rc;
    ngx_str_t                     instance;
    ngx_uint_t                    i, write;
    ngx_mobility_ucwa_tx_t        tx;
    ngx_mobility_ucwa_app_t       app;
    ngx_mobility_ucwa_channel_t  *ch;

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, "instanceId", &instance)
        != NGX_OK)
    {
        ngx_str_null(&instance);
    }

    write = (rq->method == NGX_HTTP_DELETE);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    ch = ngx_mobility_ucwa_app_channel(&app, &instance);

    if (ch == NULL && instance.len) {
        ngx_mobility_ucwa_tx_abort(&tx);

        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", "ApplicationNotFound",
                                       "The application instance does not "
                                       "exist.");
    }

    if (!write) {
        rc = ngx_mobility_ucwa_app_answer(rq, rs, &tx, &app, ch,
                                          NGX_HTTP_OK);
        ngx_mobility_ucwa_tx_abort(&tx);

        return rc;
    }

    if (instance.len) {

        /* only this instance's channel goes */

        klen = ngx_mobility_ucwa_channel_key(&app, ch, key);

        if (ngx_mobility_evchan_delete(tx.st, tx.txn, key, klen)
            == NGX_MOBILITY_ERROR)
        {
            goto failed;
        }

        for (i = ch - app.channels; i + 1 < app.nchannels; i++) {
            app.channels[i] = app.channels[i + 1];
        }

        app.nchannels--;

        if (ngx_mobility_ucwa_app_put(&tx, &app) != NGX_OK
            || ngx_mobility_ucwa_wake_add(tx.wake, tx.pool, &app.id)
               != NGX_OK)
        {
            goto failed;
        }

    } else if (ngx_mobility_ucwa_app_terminate(&tx, &app, 0) != NGX_OK) {
        goto failed;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rs->status = NGX_HTTP_NO_CONTENT;

    return NGX_OK;

failed:

    ngx_mobility_ucwa_tx_abort(&tx);

    return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
}


/* ------------------------------------------------------------------ */
/* the sweep: expired applications and old tombstones                 */


/*
 * Two steps, so that looking never holds the store's write lock:
 * ngx_mobility_ucwa_sweep_scan() reads the next "limit" applications in
 * a read transaction and returns the ids of those that expired or whose
 * tombstone is old; ngx_mobility_ucwa_sweep() looks at each of them
 * again in the write transaction and removes what is still due.  The
 * scan decodes a record's lifetime fields only; an application younger
 * than the idle timeout is alive without reading its channels.
 */

static u_char  ngx_mobility_ucwa_sweep_key[NGX_MOBILITY_UCWA_ID_MAX];
static size_t  ngx_mobility_ucwa_sweep_len;


static ngx_uint_t
ngx_mobility_ucwa_sweep_due(ngx_mobility_ucwa_tx_t *tx, MDB_val *k,
    MDB_val *v)
{
    uint64_t                  flags, at;
    ngx_str_t                 id;
    ngx_mobility_bytes_t      f[NGX_MOBILITY_UA_EXPIRED_AT + 1];
    ngx_mobility_ucwa_app_t   app;

    if (ngx_mobility_rec_fields(v->mv_data, v->mv_size,
                                NGX_MOBILITY_REC_UCWA_APP, f,
                                NGX_MOBILITY_UA_EXPIRED_AT + 1)
        != 0)
    {
        return 0;
    }

    flags = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_FLAGS], 0);

    if (flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
        at = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_EXPIRED_AT], 0);
        return at + NGX_MOBILITY_UCWA_TOMBSTONE_TTL < tx->now;
    }

    at = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_UA_CREATED], 0);

    if (tx->now <= at + (uint64_t) tx->umcf->idle_timeout * 1000) {
        return 0;
    }

    id.data = k->mv_data;
    id.len = k->mv_size;

    if (ngx_mobility_ucwa_app_get(tx, &id, &app) != NGX_OK) {
        return 0;
    }

    return ngx_mobility_ucwa_app_expired(tx, &app) ? 1 : 0;
}


ngx_array_t *
ngx_mobility_ucwa_sweep_scan(ngx_mobility_ucwa_tx_t *tx, ngx_uint_t limit)
{
    int           rc;
    MDB_val       k, v;
    ngx_str_t    *id;
    ngx_uint_t    n;
    MDB_cursor   *cur;
    ngx_array_t  *ids;

    ids = ngx_array_create(tx->pool, 16, sizeof(ngx_str_t));
    if (ids == NULL) {
        return NULL;
    }

    rc = mdb_cursor_open(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS],
                         &cur);
    if (rc != 0) {
        return NULL;
    }

    k.mv_data = ngx_mobility_ucwa_sweep_key;
    k.mv_size = ngx_mobility_ucwa_sweep_len;

    rc = ngx_mobility_ucwa_sweep_len
         ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
         : mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    for (n = 0; rc == 0 && n < limit; n++) {

        if (k.mv_size && k.mv_size <= NGX_MOBILITY_UCWA_ID_MAX
            && ngx_mobility_ucwa_sweep_due(tx, &k, &v))
        {
            id = ngx_array_push(ids);
            if (id == NULL) {
                break;
            }

            id->len = k.mv_size;
            id->data = ngx_pnalloc(tx->pool, k.mv_size);
            if (id->data == NULL) {
                ids->nelts--;
                break;
            }

            ngx_memcpy(id->data, k.mv_data, k.mv_size);
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }

    /* where the next sweep starts: here, or at the beginning */

    if (rc == 0 && k.mv_size <= NGX_MOBILITY_UCWA_ID_MAX) {
        ngx_memcpy(ngx_mobility_ucwa_sweep_key, k.mv_data, k.mv_size);
        ngx_mobility_ucwa_sweep_len = k.mv_size;

    } else {
        ngx_mobility_ucwa_sweep_len = 0;
    }

    mdb_cursor_close(cur);

    return ids;
}


void
ngx_mobility_ucwa_sweep(ngx_mobility_ucwa_tx_t *tx, ngx_array_t *ids)
{
    MDB_val                   k;
    ngx_str_t                *id;
    ngx_uint_t                i;
    ngx_mobility_ucwa_app_t   app;

    id = ids->elts;

    for (i = 0; i < ids->nelts; i++) {

        /* anything may have happened since the scan: look again */

        if (ngx_mobility_ucwa_app_get(tx, &id[i], &app) != NGX_OK) {
            continue;
        }

        if (app.flags & NGX_MOBILITY_UCWA_APP_EXPIRED) {
            if (app.expired_at + NGX_MOBILITY_UCWA_TOMBSTONE_TTL < tx->now) {
                k.mv_data = app.id.data;
                k.mv_size = app.id.len;

                (void) mdb_del(tx->txn,
                               tx->st->dbi[NGX_MOBILITY_DB_UCWA_APPS], &k,
                               NULL);
                (void) ngx_mobility_ucwa_user_index(tx, &app.owner, &app.id,
                                                    0);
            }

            continue;
        }

        if (ngx_mobility_ucwa_app_expired(tx, &app)) {
            (void) ngx_mobility_ucwa_app_terminate(tx, &app, 1);
        }
    }
}
