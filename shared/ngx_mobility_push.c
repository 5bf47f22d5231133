/*
 * Copyright (C) The nginx mobility authors
 *
 * Push targets and the durable push queue (ngx_mobility_push.h).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "ngx_mobility_push.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_codec.h"
#include "ngx_mobility_webpush.h"


typedef enum {
    NGX_MOBILITY_PR_USER = 1,
    NGX_MOBILITY_PR_ENDPOINT,
    NGX_MOBILITY_PR_PROVIDER,
    NGX_MOBILITY_PR_TOKEN,
    NGX_MOBILITY_PR_TOPIC,
    NGX_MOBILITY_PR_SANDBOX,
    NGX_MOBILITY_PR_P256DH,
    NGX_MOBILITY_PR_AUTH,
    NGX_MOBILITY_PR_EVENTS,
    NGX_MOBILITY_PR_PREVIEWS,
    NGX_MOBILITY_PR_CREATED,
    NGX_MOBILITY_PR_UPDATED,
    NGX_MOBILITY_PR_APP,
    NGX_MOBILITY_PR_INVALID_SINCE,
    NGX_MOBILITY_PR_INVALID_REASON
} ngx_mobility_push_reg_tag_e;


typedef enum {
    NGX_MOBILITY_PQ_ID = 1,
    NGX_MOBILITY_PQ_USER,
    NGX_MOBILITY_PQ_ENDPOINT,
    NGX_MOBILITY_PQ_KIND,
    NGX_MOBILITY_PQ_SENDER,
    NGX_MOBILITY_PQ_SENDER_NAME,
    NGX_MOBILITY_PQ_PREVIEW,
    NGX_MOBILITY_PQ_THREAD,
    NGX_MOBILITY_PQ_BADGE,
    NGX_MOBILITY_PQ_CREATED,
    NGX_MOBILITY_PQ_EXPIRES,
    NGX_MOBILITY_PQ_ATTEMPTS
} ngx_mobility_push_entry_tag_e;


#define NGX_MOBILITY_PUSH_FIELD   6     /* tag (2) and length (4) */
#define NGX_MOBILITY_PUSH_U64     (NGX_MOBILITY_PUSH_FIELD + 8)
#define NGX_MOBILITY_PUSH_QKEY    16

/* what rec_put_bytes() writes: nothing for an empty field */
#define ngx_mobility_push_blen(b)                                             \
    ((b).len ? NGX_MOBILITY_PUSH_FIELD + (b).len : 0)


static const char  *ngx_mobility_push_providers[] = {
    NULL, "apns", "fcm", "webpush"
};


static const struct {
    uint64_t     kind;
    const char  *name;
} ngx_mobility_push_kinds[] = {
    { NGX_MOBILITY_PUSH_IM, "im" },
    { NGX_MOBILITY_PUSH_MESSAGE, "message" },
    { NGX_MOBILITY_PUSH_MISSED, "missed" },
    { NGX_MOBILITY_PUSH_CALL, "call" },
    { NGX_MOBILITY_PUSH_VOICEMAIL, "voicemail" },
    { NGX_MOBILITY_PUSH_MEETING, "meeting" },
    { NGX_MOBILITY_PUSH_TEST, "test" },
    { 0, NULL }
};


const char *
ngx_mobility_push_provider_name(uint64_t provider)
{
    if (provider >= 1 && provider <= NGX_MOBILITY_PUSH_WEBPUSH) {
        return ngx_mobility_push_providers[provider];
    }

    return "unknown";
}


uint64_t
ngx_mobility_push_provider_parse(const u_char *name, size_t len)
{
    uint64_t  i;

    for (i = 1; i <= NGX_MOBILITY_PUSH_WEBPUSH; i++) {
        if (strlen(ngx_mobility_push_providers[i]) == len
            && strncasecmp((const char *) name,
                           ngx_mobility_push_providers[i], len) == 0)
        {
            return i;
        }
    }

    return 0;
}


const char *
ngx_mobility_push_kind_name(uint64_t kind)
{
    size_t  i;

    for (i = 0; ngx_mobility_push_kinds[i].name; i++) {
        if (ngx_mobility_push_kinds[i].kind == kind) {
            return ngx_mobility_push_kinds[i].name;
        }
    }

    return "unknown";
}


uint64_t
ngx_mobility_push_kind_parse(const u_char *name, size_t len)
{
    size_t  i;

    for (i = 0; ngx_mobility_push_kinds[i].name; i++) {
        if ((ngx_mobility_push_kinds[i].kind & NGX_MOBILITY_PUSH_ALL)
            && strlen(ngx_mobility_push_kinds[i].name) == len
            && strncasecmp((const char *) name,
                           ngx_mobility_push_kinds[i].name, len) == 0)
        {
            return ngx_mobility_push_kinds[i].kind;
        }
    }

    return 0;
}


/* ------------------------------------------------------------------ */
/* validation                                                         */


static int
ngx_mobility_push_invalid(char *err, size_t size, const char **param,
    const char *name, const char *msg)
{
    snprintf(err, size, "%s", msg);
    *param = name;

    return NGX_MOBILITY_PUSH_INVALID;
}


static int
ngx_mobility_push_hex(u_char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


/* a bundle id: labels of letters, digits and "-" separated by dots */
static int
ngx_mobility_push_topic_ok(const u_char *p, size_t len)
{
    size_t  i, label;

    if (len == 0 || len > NGX_MOBILITY_PUSH_TOPIC_MAX) {
        return 0;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == '.') {
            if (label == 0) {
                return 0;
            }

            label = 0;
            continue;
        }

        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
        {
            return 0;
        }

        label++;
    }

    return label != 0;
}


/*
 * https://host[:port]/..., or http:// to 127.0.0.1 or [::1] only (local
 * fakes in tests); printable ASCII without spaces.
 */
static const char *
ngx_mobility_push_url_check(const u_char *p, size_t len)
{
    size_t         i, hlen;
    const u_char  *host, *end;

    if (len == 0 || len > NGX_MOBILITY_PUSH_URL_MAX) {
        return "The endpoint must have 1 to 2048 bytes.";
    }

    for (i = 0; i < len; i++) {
        if (p[i] <= 0x20 || p[i] >= 0x7f) {
            return "The endpoint contains spaces or control characters.";
        }
    }

    if (len > 8 && strncasecmp((const char *) p, "https://", 8) == 0) {
        host = p + 8;

    } else if (len > 7 && strncasecmp((const char *) p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        return "The endpoint must be an https:// URL.";
    }

    end = host;

    while (end < p + len && *end != '/' && *end != '?' && *end != '#') {
        end++;
    }

    hlen = end - host;

    if (hlen == 0 || *host == ':' || memchr(host, '@', hlen) != NULL) {
        return "The endpoint has no valid host.";
    }

    if (host == p + 7) {
        /* plain http: the loopback only */
        if (!((hlen >= 9 && memcmp(host, "127.0.0.1", 9) == 0
               && (hlen == 9 || host[9] == ':'))
              || (hlen >= 5 && memcmp(host, "[::1]", 5) == 0
                  && (hlen == 5 || host[5] == ':'))))
        {
            return "The endpoint must be an https:// URL.";
        }
    }

    return NULL;
}


static int
ngx_mobility_push_key_check(const ngx_mobility_bytes_t *b, size_t want)
{
    u_char   out[NGX_MOBILITY_PUSH_KEY_MAX];
    ssize_t  n;

    if (b->len == 0 || b->len > NGX_MOBILITY_PUSH_KEY_MAX) {
        return 0;
    }

    n = ngx_mobility_b64url_decode(out, b->data, b->len);

    if (n != (ssize_t) want) {
        return 0;
    }

    /* p256dh: an uncompressed point */
    if (want == 65 && out[0] != 0x04) {
        return 0;
    }

    return 1;
}


int
ngx_mobility_push_reg_check(ngx_mobility_push_reg_t *reg, char *err,
    size_t size, const char **param)
{
    char         msgbuf[128];
    size_t       i;
    u_char       point[NGX_MOBILITY_WEBPUSH_P256DH_LEN];
    u_char       secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN];
    const char  *msg;

    if (reg->user.len == 0 || reg->user.len > NGX_MOBILITY_PUSH_USER_MAX) {
        return ngx_mobility_push_invalid(err, size, param, "user",
                                         "Invalid user.");
    }

    if (reg->endpoint.len == 0
        || reg->endpoint.len > NGX_MOBILITY_PUSH_ENDPOINT_MAX
        || memchr(reg->endpoint.data, '\0', reg->endpoint.len) != NULL)
    {
        return ngx_mobility_push_invalid(err, size, param, "endpointId",
                                         "The application has no valid "
                                         "endpointId.");
    }

    if (reg->events & ~(uint64_t) NGX_MOBILITY_PUSH_ALL) {
        return ngx_mobility_push_invalid(err, size, param, "events",
                                         "Unknown event kind.");
    }

    if (reg->app.len > NGX_MOBILITY_PUSH_APP_MAX) {
        return ngx_mobility_push_invalid(err, size, param, "application",
                                         "Invalid application id.");
    }

    switch (reg->provider) {

    case NGX_MOBILITY_PUSH_APNS:

        if (reg->token.len == 0) {
            return ngx_mobility_push_invalid(err, size, param, "deviceToken",
                                             "Missing deviceToken.");
        }

        if (reg->token.len < NGX_MOBILITY_PUSH_APNS_MIN
            || reg->token.len > NGX_MOBILITY_PUSH_APNS_MAX
            || (reg->token.len & 1))
        {
            return ngx_mobility_push_invalid(err, size, param, "deviceToken",
                                             "The deviceToken must have an "
                                             "even number of 64 to 200 "
                                             "hexadecimal digits.");
        }

        for (i = 0; i < reg->token.len; i++) {
            if (!ngx_mobility_push_hex(reg->token.data[i])) {
                return ngx_mobility_push_invalid(err, size, param,
                                                 "deviceToken",
                                                 "The deviceToken must be "
                                                 "hexadecimal.");
            }
        }

        if (reg->topic.len == 0) {
            return ngx_mobility_push_invalid(err, size, param, "apnsTopic",
                                             "Missing apnsTopic.");
        }

        if (!ngx_mobility_push_topic_ok(reg->topic.data, reg->topic.len)) {
            return ngx_mobility_push_invalid(err, size, param, "apnsTopic",
                                             "The apnsTopic must be a "
                                             "bundle id (letters, digits, "
                                             "\"-\" and dots).");
        }

        if (reg->sandbox > 1) {
            return ngx_mobility_push_invalid(err, size, param,
                                             "apnsEnvironment",
                                             "The apnsEnvironment must be "
                                             "production or sandbox.");
        }

        if (reg->p256dh.len || reg->auth.len) {
            return ngx_mobility_push_invalid(err, size, param, "p256dh",
                                             "Web Push keys are not used "
                                             "with apns.");
        }

        break;

    case NGX_MOBILITY_PUSH_FCM:

        if (reg->token.len == 0) {
            return ngx_mobility_push_invalid(err, size, param,
                                             "registrationToken",
                                             "Missing registrationToken.");
        }

        if (reg->token.len > NGX_MOBILITY_PUSH_FCM_MAX) {
            return ngx_mobility_push_invalid(err, size, param,
                                             "registrationToken",
                                             "The registrationToken must "
                                             "have at most 4096 bytes.");
        }

        for (i = 0; i < reg->token.len; i++) {
            if (reg->token.data[i] <= 0x20 || reg->token.data[i] >= 0x7f) {
                return ngx_mobility_push_invalid(err, size, param,
                                                 "registrationToken",
                                                 "The registrationToken "
                                                 "must be printable ASCII "
                                                 "without spaces.");
            }
        }

        if (reg->topic.len || reg->p256dh.len || reg->auth.len) {
            return ngx_mobility_push_invalid(err, size, param,
                                             reg->topic.len ? "apnsTopic"
                                                            : "p256dh",
                                             "Only registrationToken is "
                                             "used with fcm.");
        }

        break;

    case NGX_MOBILITY_PUSH_WEBPUSH:

        if (reg->token.len == 0) {
            return ngx_mobility_push_invalid(err, size, param, "endpoint",
                                             "Missing endpoint.");
        }

        msg = ngx_mobility_push_url_check(reg->token.data, reg->token.len);
        if (msg) {
            return ngx_mobility_push_invalid(err, size, param, "endpoint",
                                             msg);
        }

        if (reg->p256dh.len == 0) {
            return ngx_mobility_push_invalid(err, size, param, "p256dh",
                                             "Missing p256dh.");
        }

        if (!ngx_mobility_push_key_check(&reg->p256dh, 65)) {
            return ngx_mobility_push_invalid(err, size, param, "p256dh",
                                             "The p256dh key must be "
                                             "base64url of an uncompressed "
                                             "P-256 point (65 bytes).");
        }

        if (reg->auth.len == 0) {
            return ngx_mobility_push_invalid(err, size, param, "auth",
                                             "Missing auth.");
        }

        if (!ngx_mobility_push_key_check(&reg->auth, 16)) {
            return ngx_mobility_push_invalid(err, size, param, "auth",
                                             "The auth secret must be "
                                             "base64url of 16 bytes.");
        }

        /* the shapes are right: now the point must be on the curve */
        if (!ngx_mobility_webpush_keys((const char *) reg->p256dh.data,
                                       reg->p256dh.len,
                                       (const char *) reg->auth.data,
                                       reg->auth.len, point, secret, msgbuf,
                                       sizeof(msgbuf)))
        {
            return ngx_mobility_push_invalid(err, size, param, "p256dh",
                                             "The p256dh key is not a point "
                                             "on the P-256 curve.");
        }

        if (reg->topic.len) {
            return ngx_mobility_push_invalid(err, size, param, "apnsTopic",
                                             "The apnsTopic is not used "
                                             "with webpush.");
        }

        break;

    default:
        return ngx_mobility_push_invalid(err, size, param, "provider",
                                         "The provider must be apns, fcm "
                                         "or webpush.");
    }

    return NGX_MOBILITY_OK;
}


/* ------------------------------------------------------------------ */
/* registrations                                                      */


static size_t
ngx_mobility_push_reg_key(u_char *key, const u_char *user, size_t ulen,
    const u_char *ep, size_t elen)
{
    memcpy(key, user, ulen);
    key[ulen] = '\0';
    memcpy(key + ulen + 1, ep, elen);

    return ulen + 1 + elen;
}


static void
ngx_mobility_push_reg_decode(const u_char *rec, size_t len,
    ngx_mobility_push_reg_t *reg)
{
    memset(reg, 0, sizeof(ngx_mobility_push_reg_t));

    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_USER, &reg->user);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_ENDPOINT, &reg->endpoint);
    reg->provider = ngx_mobility_rec_get_u64(rec, len,
                                             NGX_MOBILITY_PR_PROVIDER, 0);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_TOKEN, &reg->token);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_TOPIC, &reg->topic);
    reg->sandbox = ngx_mobility_rec_get_u64(rec, len,
                                            NGX_MOBILITY_PR_SANDBOX, 0);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_P256DH, &reg->p256dh);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_AUTH, &reg->auth);
    reg->events = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PR_EVENTS,
                                           NGX_MOBILITY_PUSH_ALL);
    reg->previews = ngx_mobility_rec_get_u64(rec, len,
                                             NGX_MOBILITY_PR_PREVIEWS, 0);
    reg->created = ngx_mobility_rec_get_u64(rec, len,
                                            NGX_MOBILITY_PR_CREATED, 0);
    reg->updated = ngx_mobility_rec_get_u64(rec, len,
                                            NGX_MOBILITY_PR_UPDATED, 0);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_APP, &reg->app);
    reg->invalid_since = ngx_mobility_rec_get_u64(rec, len,
                                           NGX_MOBILITY_PR_INVALID_SINCE, 0);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PR_INVALID_REASON,
                         &reg->invalid_reason);
}


int
ngx_mobility_push_reg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen,
    ngx_mobility_push_reg_t *reg)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PUSH_USER_MAX + 1
                 + NGX_MOBILITY_PUSH_ENDPOINT_MAX];
    MDB_val  k, v;

    if (ulen == 0 || ulen > NGX_MOBILITY_PUSH_USER_MAX
        || elen == 0 || elen > NGX_MOBILITY_PUSH_ENDPOINT_MAX)
    {
        return NGX_MOBILITY_NOTFOUND;
    }

    k.mv_data = key;
    k.mv_size = ngx_mobility_push_reg_key(key, user, ulen, ep, elen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PUSH_REGISTRATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a push registration", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                               NGX_MOBILITY_REC_PUSH_REG)
        != 0)
    {
        snprintf(st->err, sizeof(st->err),
                 "push registration record is corrupt");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_push_reg_decode(v.mv_data, v.mv_size, reg);

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_push_reg_write(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_reg_t *reg)
{
    int                        rc;
    u_char                     key[NGX_MOBILITY_PUSH_USER_MAX + 1
                                   + NGX_MOBILITY_PUSH_ENDPOINT_MAX];
    u_char                     hex[NGX_MOBILITY_PUSH_APNS_MAX];
    size_t                     i, rlen;
    MDB_val                    k, v;
    ngx_mobility_bytes_t       token;
    ngx_mobility_rec_writer_t  w;

    token = reg->token;

    if (reg->provider == NGX_MOBILITY_PUSH_APNS
        && token.len <= sizeof(hex))
    {
        /* device tokens are stored in lower case */
        for (i = 0; i < token.len; i++) {
            hex[i] = (token.data[i] >= 'A' && token.data[i] <= 'F')
                     ? token.data[i] + ('a' - 'A') : token.data[i];
        }

        token.data = hex;
    }

    rlen = NGX_MOBILITY_REC_HEADER
           + ngx_mobility_push_blen(reg->user)
           + ngx_mobility_push_blen(reg->endpoint)
           + ngx_mobility_push_blen(token)
           + ngx_mobility_push_blen(reg->topic)
           + ngx_mobility_push_blen(reg->p256dh)
           + ngx_mobility_push_blen(reg->auth)
           + ngx_mobility_push_blen(reg->app)
           + ngx_mobility_push_blen(reg->invalid_reason)
           + 7 * NGX_MOBILITY_PUSH_U64;

    k.mv_data = key;
    k.mv_size = ngx_mobility_push_reg_key(key, reg->user.data, reg->user.len,
                                          reg->endpoint.data,
                                          reg->endpoint.len);
    v.mv_data = NULL;
    v.mv_size = rlen;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PUSH_REGISTRATIONS], &k, &v,
                 MDB_RESERVE);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a push registration", rc);
    }

    ngx_mobility_rec_begin(&w, v.mv_data, rlen, NGX_MOBILITY_REC_PUSH_REG);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_USER, &reg->user);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_ENDPOINT, &reg->endpoint);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_PROVIDER, reg->provider);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_TOKEN, &token);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_TOPIC, &reg->topic);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_SANDBOX, reg->sandbox);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_P256DH, &reg->p256dh);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_AUTH, &reg->auth);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_EVENTS, reg->events);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_PREVIEWS, reg->previews);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_CREATED, reg->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_UPDATED, reg->updated);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_APP, &reg->app);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PR_INVALID_SINCE,
                             reg->invalid_since);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PR_INVALID_REASON,
                               &reg->invalid_reason);

    if (w.overflow || w.len != rlen) {
        snprintf(st->err, sizeof(st->err),
                 "push registration record size mismatch");
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_push_same_token(ngx_mobility_push_reg_t *a,
    ngx_mobility_push_reg_t *b)
{
    size_t  i;
    u_char  x, y;

    if (a->provider != b->provider || a->token.len != b->token.len) {
        return 0;
    }

    for (i = 0; i < a->token.len; i++) {
        x = a->token.data[i];
        y = b->token.data[i];

        if (a->provider == NGX_MOBILITY_PUSH_APNS) {
            x = (x >= 'A' && x <= 'F') ? x + ('a' - 'A') : x;
            y = (y >= 'A' && y <= 'F') ? y + ('a' - 'A') : y;
        }

        if (x != y) {
            return 0;
        }
    }

    return 1;
}


int
ngx_mobility_push_reg_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_reg_t *reg, uint64_t now, int *replaced, char *err,
    size_t size)
{
    int                      rc;
    ngx_mobility_push_reg_t  old;

    *replaced = 0;

    rc = ngx_mobility_push_reg_get(st, txn, reg->user.data, reg->user.len,
                                   reg->endpoint.data, reg->endpoint.len,
                                   &old);

    if (rc == NGX_MOBILITY_ERROR) {
        return rc;
    }

    reg->created = now;
    reg->updated = now;
    reg->invalid_since = 0;
    reg->invalid_reason.len = 0;

    if (rc == NGX_MOBILITY_OK) {

        if (old.invalid_since == 0) {
            *replaced = 1;
            reg->created = old.created;

        } else if (ngx_mobility_push_same_token(&old, reg)
                   && now <= old.invalid_since)
        {
            snprintf(err, size, "The push service invalidated this token "
                     "(%.*s); register it again only after it was "
                     "renewed.", (int) old.invalid_reason.len,
                     old.invalid_reason.data);
            return NGX_MOBILITY_PUSH_CONFLICT;
        }
    }

    return ngx_mobility_push_reg_write(st, txn, reg);
}


int
ngx_mobility_push_reg_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PUSH_USER_MAX + 1
                 + NGX_MOBILITY_PUSH_ENDPOINT_MAX];
    MDB_val  k;

    if (ulen == 0 || ulen > NGX_MOBILITY_PUSH_USER_MAX
        || elen == 0 || elen > NGX_MOBILITY_PUSH_ENDPOINT_MAX)
    {
        return NGX_MOBILITY_NOTFOUND;
    }

    k.mv_data = key;
    k.mv_size = ngx_mobility_push_reg_key(key, user, ulen, ep, elen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PUSH_REGISTRATIONS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a push registration",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_invalidate(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen,
    const char *reason, uint64_t when)
{
    int                      rc;
    u_char                  *copy;
    u_char                   key[NGX_MOBILITY_PUSH_USER_MAX + 1
                                 + NGX_MOBILITY_PUSH_ENDPOINT_MAX];
    MDB_val                  k, v;
    ngx_mobility_push_reg_t  reg;

    rc = ngx_mobility_push_reg_get(st, txn, user, ulen, ep, elen, &reg);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    /* the record is rewritten in place: decode a copy of it */

    k.mv_data = key;
    k.mv_size = ngx_mobility_push_reg_key(key, user, ulen, ep, elen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PUSH_REGISTRATIONS], &k, &v);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a push registration", rc);
    }

    copy = malloc(v.mv_size);
    if (copy == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    memcpy(copy, v.mv_data, v.mv_size);
    ngx_mobility_push_reg_decode(copy, v.mv_size, &reg);

    reg.invalid_since = when;
    reg.invalid_reason.data = (const u_char *) reason;
    reg.invalid_reason.len = strlen(reason);

    if (reg.invalid_reason.len > NGX_MOBILITY_PUSH_REASON_MAX) {
        reg.invalid_reason.len = NGX_MOBILITY_PUSH_REASON_MAX;
    }

    rc = ngx_mobility_push_reg_write(st, txn, &reg);

    free(copy);

    return rc;
}


int
ngx_mobility_push_reg_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_push_reg_pt handler,
    void *data)
{
    int                      rc;
    u_char                   key[NGX_MOBILITY_PUSH_USER_MAX + 1];
    MDB_val                  k, v;
    MDB_cursor              *cur;
    ngx_mobility_push_reg_t  reg;

    if (ulen == 0 || ulen > NGX_MOBILITY_PUSH_USER_MAX) {
        return NGX_MOBILITY_OK;
    }

    memcpy(key, user, ulen);
    key[ulen] = '\0';

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PUSH_REGISTRATIONS],
                         &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing push registrations", rc);
    }

    k.mv_data = key;
    k.mv_size = ulen + 1;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= ulen + 1 || memcmp(k.mv_data, key, ulen + 1) != 0) {
            break;
        }

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_PUSH_REG)
            != 0)
        {
            continue;
        }

        ngx_mobility_push_reg_decode(v.mv_data, v.mv_size, &reg);

        if (handler(data, &reg) != 0) {
            rc = 0;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "listing push registrations", rc);
    }

    return NGX_MOBILITY_OK;
}


/* ------------------------------------------------------------------ */
/* the queue                                                          */


static void
ngx_mobility_push_qkey(u_char *key, uint64_t due, uint64_t id)
{
    ngx_mobility_put_be64(key, due);
    ngx_mobility_put_be64(key + 8, id);
}


static int
ngx_mobility_push_next_id(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *id)
{
    int       rc;
    u_char    buf[8];
    MDB_val   k, v;
    uint64_t  n;

    k.mv_data = (void *) NGX_MOBILITY_META_PUSH_SEQ;
    k.mv_size = sizeof(NGX_MOBILITY_META_PUSH_SEQ) - 1;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &v);

    if (rc == 0 && v.mv_size == 8) {
        n = ngx_mobility_le64(v.mv_data);

    } else if (rc == 0 || rc == MDB_NOTFOUND) {
        n = 0;

    } else {
        return ngx_mobility_store_fail(st, "reading the push counter", rc);
    }

    n++;

    ngx_mobility_put_le64(buf, n);
    v.mv_data = buf;
    v.mv_size = 8;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing the push counter", rc);
    }

    *id = n;

    return NGX_MOBILITY_OK;
}


static void
ngx_mobility_push_entry_decode(const u_char *key, const u_char *rec,
    size_t len, ngx_mobility_push_entry_t *e)
{
    memset(e, 0, sizeof(ngx_mobility_push_entry_t));

    e->due = ngx_mobility_be64(key);
    e->id = ngx_mobility_be64(key + 8);

    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_USER, &e->user);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_ENDPOINT, &e->endpoint);
    e->kind = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PQ_KIND, 0);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_SENDER, &e->sender);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_SENDER_NAME,
                         &e->sender_name);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_PREVIEW, &e->preview);
    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_PQ_THREAD, &e->thread);
    e->badge = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PQ_BADGE, 0);
    e->created = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PQ_CREATED,
                                          0);
    e->expires = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PQ_EXPIRES,
                                          0);
    e->attempts = ngx_mobility_rec_get_u64(rec, len,
                                           NGX_MOBILITY_PQ_ATTEMPTS, 0);
}


static int
ngx_mobility_push_entry_write(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e)
{
    int                        rc;
    u_char                     key[NGX_MOBILITY_PUSH_QKEY];
    size_t                     rlen;
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    rlen = NGX_MOBILITY_REC_HEADER
           + ngx_mobility_push_blen(e->user)
           + ngx_mobility_push_blen(e->endpoint)
           + ngx_mobility_push_blen(e->sender)
           + ngx_mobility_push_blen(e->sender_name)
           + ngx_mobility_push_blen(e->preview)
           + ngx_mobility_push_blen(e->thread)
           + 6 * NGX_MOBILITY_PUSH_U64;

    ngx_mobility_push_qkey(key, e->due, e->id);

    k.mv_data = key;
    k.mv_size = sizeof(key);
    v.mv_data = NULL;
    v.mv_size = rlen;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &k, &v,
                 MDB_RESERVE);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "queueing a push", rc);
    }

    ngx_mobility_rec_begin(&w, v.mv_data, rlen, NGX_MOBILITY_REC_PUSH_ENTRY);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_ID, e->id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_USER, &e->user);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_ENDPOINT, &e->endpoint);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_KIND, e->kind);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_SENDER, &e->sender);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_SENDER_NAME,
                               &e->sender_name);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_PREVIEW, &e->preview);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PQ_THREAD, &e->thread);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_BADGE, e->badge);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_CREATED, e->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_EXPIRES, e->expires);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PQ_ATTEMPTS, e->attempts);

    if (w.overflow || w.len != rlen) {
        snprintf(st->err, sizeof(st->err), "push record size mismatch");
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_enqueue(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e)
{
    int  rc;

    if (e->user.len == 0 || e->user.len > NGX_MOBILITY_PUSH_USER_MAX
        || e->endpoint.len == 0
        || e->endpoint.len > NGX_MOBILITY_PUSH_ENDPOINT_MAX
        || e->sender_name.len > NGX_MOBILITY_PUSH_NAME_MAX
        || e->sender.len > NGX_MOBILITY_PUSH_USER_MAX
        || e->preview.len > NGX_MOBILITY_PUSH_PREVIEW_MAX
        || e->thread.len > NGX_MOBILITY_PUSH_THREAD_MAX)
    {
        snprintf(st->err, sizeof(st->err), "push entry out of bounds");
        return NGX_MOBILITY_ERROR;
    }

    rc = ngx_mobility_push_next_id(st, txn, &e->id);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    return ngx_mobility_push_entry_write(st, txn, e);
}


static int
ngx_mobility_push_copy(const MDB_val *k, const MDB_val *v,
    ngx_mobility_push_entry_t *e)
{
    u_char  *buf;

    buf = malloc(v->mv_size ? v->mv_size : 1);
    if (buf == NULL) {
        return -1;
    }

    memcpy(buf, v->mv_data, v->mv_size);
    ngx_mobility_push_entry_decode(k->mv_data, buf, v->mv_size, e);
    e->buf = buf;

    return 0;
}


void
ngx_mobility_push_entry_free(ngx_mobility_push_entry_t *e)
{
    free(e->buf);
    e->buf = NULL;
}


int
ngx_mobility_push_claim(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, uint64_t lease, ngx_mobility_push_entry_t *out,
    size_t max, size_t *n, uint64_t *expired)
{
    int          rc;
    size_t       i;
    MDB_val      k, v;
    uint64_t     due, expires;
    MDB_cursor  *cur;

    *n = 0;
    *expired = 0;

    if (max == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "claiming pushes", rc);
    }

    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    while (rc == 0 && *n < max) {

        if (k.mv_size != NGX_MOBILITY_PUSH_QKEY) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }

        due = ngx_mobility_be64(k.mv_data);
        if (due > now) {
            break;
        }

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_PUSH_ENTRY)
            != 0)
        {
            /* a corrupt entry would block the queue: it goes */
            expires = 0;

        } else {
            expires = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                               NGX_MOBILITY_PQ_EXPIRES, 0);
        }

        if (expires > now) {
            if (ngx_mobility_push_copy(&k, &v, &out[*n]) != 0) {
                rc = ENOMEM;
                break;
            }

            (*n)++;

        } else {
            (*expired)++;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        for (i = 0; i < *n; i++) {
            ngx_mobility_push_entry_free(&out[i]);
        }

        *n = 0;

        return ngx_mobility_store_fail(st, "claiming pushes", rc);
    }

    /* the lease: back in the queue, later */

    for (i = 0; i < *n; i++) {
        out[i].due = now + lease;

        rc = ngx_mobility_push_entry_write(st, txn, &out[i]);

        if (rc != NGX_MOBILITY_OK) {
            for (i = 0; i < *n; i++) {
                ngx_mobility_push_entry_free(&out[i]);
            }

            *n = 0;

            return rc;
        }
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_complete(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t id, uint64_t due)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PUSH_QKEY];
    MDB_val  k;

    ngx_mobility_push_qkey(key, due, id);

    k.mv_data = key;
    k.mv_size = sizeof(key);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "completing a push", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_retry(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e, uint64_t next_due)
{
    int  rc;

    rc = ngx_mobility_push_complete(st, txn, e->id, e->due);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (next_due >= e->expires) {
        return NGX_MOBILITY_PUSH_CONFLICT;
    }

    e->due = next_due;
    e->attempts++;

    return ngx_mobility_push_entry_write(st, txn, e);
}


int
ngx_mobility_push_drop_expired(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, size_t limit, uint64_t *count)
{
    int          rc;
    MDB_val      k, v;
    uint64_t     expires;
    MDB_cursor  *cur;

    *count = 0;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "dropping expired pushes", rc);
    }

    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    while (rc == 0 && *count < limit) {

        expires = 0;

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_PUSH_ENTRY)
            == 0)
        {
            expires = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                               NGX_MOBILITY_PQ_EXPIRES, 0);
        }

        if (expires > now) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        (*count)++;

        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "dropping expired pushes", rc);
    }

    return NGX_MOBILITY_OK;
}


uint64_t
ngx_mobility_push_depth(ngx_mobility_store_t *st, MDB_txn *txn)
{
    int       rc;
    MDB_stat  ms;

    rc = mdb_stat(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &ms);
    if (rc != 0) {
        (void) ngx_mobility_store_fail(st, "reading the push queue", rc);
        return (uint64_t) -1;
    }

    return ms.ms_entries;
}


int
ngx_mobility_push_each(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_pt handler, void *data)
{
    int                        rc;
    MDB_val                    k, v;
    MDB_cursor                *cur;
    ngx_mobility_push_entry_t  e;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading the push queue", rc);
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != NGX_MOBILITY_PUSH_QKEY
            || ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                      NGX_MOBILITY_REC_PUSH_ENTRY)
               != 0)
        {
            continue;
        }

        ngx_mobility_push_entry_decode(k.mv_data, v.mv_data, v.mv_size, &e);

        if (handler(data, &e) != 0) {
            rc = 0;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading the push queue", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_purge(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *count)
{
    int  rc;

    *count = ngx_mobility_push_depth(st, txn);
    if (*count == (uint64_t) -1) {
        *count = 0;
        return NGX_MOBILITY_ERROR;
    }

    rc = mdb_drop(txn, st->dbi[NGX_MOBILITY_DB_PUSH_QUEUE], 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "purging the push queue", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_push_entry_live(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e, ngx_mobility_push_reg_t *reg)
{
    int  rc;

    rc = ngx_mobility_push_reg_get(st, txn, e->user.data, e->user.len,
                                   e->endpoint.data, e->endpoint.len, reg);

    if (rc == NGX_MOBILITY_ERROR) {
        return -1;
    }

    if (rc != NGX_MOBILITY_OK || reg->invalid_since != 0
        || reg->created > e->created
        || (e->kind != NGX_MOBILITY_PUSH_TEST && !(reg->events & e->kind)))
    {
        return 0;
    }

    return 1;
}
