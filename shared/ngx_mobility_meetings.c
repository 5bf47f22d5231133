/*
 * Copyright (C) The nginx mobility authors
 */

#include <stdio.h>
#include <stdlib.h>
#include "ngx_mobility_plain.h"
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "ngx_mobility_meetings.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_kv.h"


/* meeting record tags; never reuse a number */
enum {
    NGX_MOBILITY_MEETING_T_ORGANIZER = 1,
    NGX_MOBILITY_MEETING_T_ID,
    NGX_MOBILITY_MEETING_T_SUBJECT,
    NGX_MOBILITY_MEETING_T_DESCRIPTION,
    NGX_MOBILITY_MEETING_T_ATTENDEES,
    NGX_MOBILITY_MEETING_T_LEADERS,
    NGX_MOBILITY_MEETING_T_KEY,
    NGX_MOBILITY_MEETING_T_ACCESS,
    NGX_MOBILITY_MEETING_T_CONFERENCE,
    NGX_MOBILITY_MEETING_T_EXPIRATION,
    NGX_MOBILITY_MEETING_T_CREATED,
    NGX_MOBILITY_MEETING_T_VERSION,
    NGX_MOBILITY_MEETING_T_FLAGS,
    NGX_MOBILITY_MEETING_T_MAX
};

/* grant record tags */
enum {
    NGX_MOBILITY_GRANT_T_ORGANIZER = 1,
    NGX_MOBILITY_GRANT_T_ID,
    NGX_MOBILITY_GRANT_T_EXPIRES,
    NGX_MOBILITY_GRANT_T_MAX
};


#define NGX_MOBILITY_MEETING_KEY_MAX                                          \
    (1 + NGX_MOBILITY_SIP_MAX + 1 + NGX_MOBILITY_MEETING_ID_LEN)

#define NGX_MOBILITY_MEETING_ANON_DOMAIN  "@anonymous.invalid"
#define NGX_MOBILITY_MEETING_PRUNE        32
#define NGX_MOBILITY_MEETING_TRIES        16

/* the dial-in conference ids: 7 digits */
#define NGX_MOBILITY_MEETING_CONF_MIN     1000000
#define NGX_MOBILITY_MEETING_CONF_SPAN    9000000


static const u_char  ngx_mobility_meeting_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static const char  ngx_mobility_meeting_focus[] = ";opaque=app:conf:focus:id:";


/* "o" organizer NUL [id]: the length, or 0 if a part is malformed */
static size_t
ngx_mobility_meeting_okey(u_char *key, const u_char *organizer, size_t olen,
    const u_char *id, size_t idlen)
{
    if (olen == 0 || olen > NGX_MOBILITY_SIP_MAX
        || memchr(organizer, '\0', olen) != NULL
        || idlen > NGX_MOBILITY_MEETING_ID_LEN)
    {
        return 0;
    }

    key[0] = 'o';
    ngx_memcpy(key + 1, organizer, olen);
    key[1 + olen] = '\0';

    if (idlen) {
        ngx_memcpy(key + 2 + olen, id, idlen);
    }

    return 2 + olen + idlen;
}


/* fills out with n characters of [0-9A-Z]; 0 or -1 (no random) */
static int
ngx_mobility_meeting_random(u_char *out, size_t n)
{
    size_t  i, j;
    u_char  buf[64];

    i = 0;

    while (i < n) {
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            return -1;
        }

        for (j = 0; j < sizeof(buf) && i < n; j++) {

            /* 252 = 7 * 36: no bias */
            if (buf[j] < 252) {
                out[i++] = ngx_mobility_meeting_alphabet[buf[j] % 36];
            }
        }
    }

    return 0;
}


static ngx_uint_t
ngx_mobility_meeting_valid_id(const u_char *id, size_t len)
{
    size_t  i;

    if (len != NGX_MOBILITY_MEETING_ID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= '0' && id[i] <= '9')
              || (id[i] >= 'A' && id[i] <= 'Z')))
        {
            return 0;
        }
    }

    return 1;
}


int
ngx_mobility_meeting_parse_uri(const u_char *uri, size_t len,
    ngx_str_t *organizer, ngx_str_t *id, ngx_uint_t *joinurl)
{
    size_t         n;
    const u_char  *p, *end, *at, *semi, *slash, *q;

    *joinurl = 0;

    p = uri;
    end = uri + len;

    /* a joinUrl: http(s)://host[:port]/<user>/<id>[/][?query][#frag] */

    n = 0;

    if (len > 8 && ngx_strncasecmp((u_char *) p, (u_char *) "https://", 8)
                   == 0)
    {
        n = 8;

    } else if (len > 7
               && ngx_strncasecmp((u_char *) p, (u_char *) "http://", 7)
                  == 0)
    {
        n = 7;
    }

    if (n) {
        p += n;

        for (q = p; q < end; q++) {
            if (*q == '?' || *q == '#') {
                end = q;
                break;
            }
        }

        slash = ngx_strlchr((u_char *) p, (u_char *) end, '/');
        if (slash == NULL || slash == p) {
            return NGX_DECLINED;
        }

        p = slash + 1;

        if (end > p && end[-1] == '/') {
            end--;
        }

        slash = ngx_strlchr((u_char *) p, (u_char *) end, '/');
        if (slash == NULL || slash == p) {
            return NGX_DECLINED;
        }

        for (q = p; q < slash; q++) {
            if (*q <= ' ' || *q == '@' || *q == '%' || *q == 0x7f) {
                return NGX_DECLINED;
            }
        }

        if (!ngx_mobility_meeting_valid_id(slash + 1, end - slash - 1)) {
            return NGX_DECLINED;
        }

        organizer->data = (u_char *) p;
        organizer->len = slash - p;
        id->data = (u_char *) slash + 1;
        id->len = end - slash - 1;
        *joinurl = 1;

        return NGX_OK;
    }

    /* [conf:][sip:]user@domain[;gruu];opaque=app:conf:focus:id:<id> */

    if (len > 5 && ngx_strncasecmp((u_char *) p, (u_char *) "conf:", 5) == 0)
    {
        p += 5;
    }

    if (end - p > 4
        && ngx_strncasecmp((u_char *) p, (u_char *) "sip:", 4) == 0)
    {
        p += 4;
    }

    semi = ngx_strlchr((u_char *) p, (u_char *) end, ';');
    if (semi == NULL) {
        return NGX_DECLINED;
    }

    at = ngx_strlchr((u_char *) p, (u_char *) semi, '@');
    if (at == NULL || at == p || at + 1 == semi) {
        return NGX_DECLINED;
    }

    organizer->data = (u_char *) p;
    organizer->len = semi - p;

    p = semi;

    if (end - p >= 5 && ngx_strncasecmp((u_char *) p, (u_char *) ";gruu", 5)
                        == 0)
    {
        p += 5;
    }

    n = sizeof(ngx_mobility_meeting_focus) - 1;

    if ((size_t) (end - p) != n + NGX_MOBILITY_MEETING_ID_LEN
        || ngx_strncasecmp((u_char *) p, (u_char *) ngx_mobility_meeting_focus,
                           n)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += n;

    if (!ngx_mobility_meeting_valid_id(p, end - p)) {
        return NGX_DECLINED;
    }

    id->data = (u_char *) p;
    id->len = end - p;

    return NGX_OK;
}


static int
ngx_mobility_meeting_decode(ngx_mobility_store_t *st, MDB_val *v,
    ngx_mobility_meeting_t *m)
{
    ngx_mobility_bytes_t  f[NGX_MOBILITY_MEETING_T_MAX];

    if (ngx_mobility_rec_fields(v->mv_data, v->mv_size,
                                NGX_MOBILITY_REC_MEETING, f,
                                NGX_MOBILITY_MEETING_T_MAX)
        != 0)
    {
        snprintf(st->err, sizeof(st->err), "a broken meeting record");
        return NGX_MOBILITY_ERROR;
    }

    m->organizer = f[NGX_MOBILITY_MEETING_T_ORGANIZER];
    m->id = f[NGX_MOBILITY_MEETING_T_ID];
    m->subject = f[NGX_MOBILITY_MEETING_T_SUBJECT];
    m->description = f[NGX_MOBILITY_MEETING_T_DESCRIPTION];
    m->attendees = f[NGX_MOBILITY_MEETING_T_ATTENDEES];
    m->leaders = f[NGX_MOBILITY_MEETING_T_LEADERS];
    m->key = f[NGX_MOBILITY_MEETING_T_KEY];
    m->access_level = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_ACCESS],
                                             NGX_MOBILITY_MEETING_INVITED);
    m->conference_id =
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_CONFERENCE], 0);
    m->expiration =
        ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_EXPIRATION], 0);
    m->created = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_CREATED], 0);
    m->version = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_VERSION], 1);
    m->flags = ngx_mobility_bytes_u64(&f[NGX_MOBILITY_MEETING_T_FLAGS], 0);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_meeting_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *id, size_t idlen,
    ngx_mobility_meeting_t *m)
{
    int       rc;
    u_char    key[NGX_MOBILITY_MEETING_KEY_MAX];
    MDB_val   k, v;

    if (idlen != NGX_MOBILITY_MEETING_ID_LEN) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k.mv_size = ngx_mobility_meeting_okey(key, organizer, olen, id, idlen);
    k.mv_data = key;

    if (k.mv_size == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a meeting", rc);
    }

    return ngx_mobility_meeting_decode(st, &v, m);
}


/* whether "sip:a@d" NUL "sip:b@d" ... names user ("user@domain") */
static ngx_uint_t
ngx_mobility_meeting_in_list(ngx_mobility_bytes_t *list, const u_char *user,
    size_t len)
{
    const u_char  *p, *end, *e;

    p = list->data;
    end = p + list->len;

    while (p < end) {
        e = memchr(p, '\0', end - p);
        if (e == NULL) {
            e = end;
        }

        if (e - p > 4 && ngx_strncasecmp((u_char *) p, (u_char *) "sip:", 4)
                         == 0)
        {
            p += 4;
        }

        if ((size_t) (e - p) == len
            && ngx_strncasecmp((u_char *) p, (u_char *) user, len) == 0)
        {
            return 1;
        }

        p = e + 1;
    }

    return 0;
}


ngx_uint_t
ngx_mobility_meeting_is_leader(ngx_mobility_meeting_t *m,
    const u_char *user, size_t len)
{
    if (user == NULL || len == 0) {
        return 0;
    }

    if (m->organizer.len == len
        && ngx_strncasecmp((u_char *) m->organizer.data, (u_char *) user, len)
           == 0)
    {
        return 1;
    }

    return ngx_mobility_meeting_in_list(&m->leaders, user, len);
}


/*
 * Everyone: all in.  SameEnterprise: every signed-in user in, anonymous
 * guests wait in the lobby.  Invited: the organizer, leaders and
 * attendees in, other signed-in users in the lobby, anonymous refused.
 * Locked: the organizer and the pre-set leaders in, other signed-in users
 * in the lobby, anonymous refused.
 */

ngx_uint_t
ngx_mobility_meeting_admission(ngx_mobility_meeting_t *m,
    const u_char *user, size_t len)
{
    ngx_uint_t  anon;

    anon = (user == NULL || len == 0 || ngx_mobility_meeting_is_anon(user,
                                                                      len));

    if (!anon && ngx_mobility_meeting_is_leader(m, user, len)) {
        return NGX_MOBILITY_MEETING_ADMIT;
    }

    switch (m->access_level) {

    case NGX_MOBILITY_MEETING_EVERYONE:
        return NGX_MOBILITY_MEETING_ADMIT;

    case NGX_MOBILITY_MEETING_SAME_ENTERPRISE:
        return anon ? NGX_MOBILITY_MEETING_LOBBY : NGX_MOBILITY_MEETING_ADMIT;

    case NGX_MOBILITY_MEETING_INVITED:
        if (anon) {
            return NGX_MOBILITY_MEETING_DENY;
        }

        return ngx_mobility_meeting_in_list(&m->attendees, user, len)
               ? NGX_MOBILITY_MEETING_ADMIT : NGX_MOBILITY_MEETING_LOBBY;

    case NGX_MOBILITY_MEETING_LOCKED:
        return anon ? NGX_MOBILITY_MEETING_DENY : NGX_MOBILITY_MEETING_LOBBY;

    default:
        return NGX_MOBILITY_MEETING_DENY;
    }
}


static int
ngx_mobility_meeting_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_meeting_t *m)
{
    u_char                      key[NGX_MOBILITY_MEETING_KEY_MAX];
    size_t                      n, cap;
    ngx_mobility_rec_writer_t   w;

    n = ngx_mobility_meeting_okey(key, m->organizer.data, m->organizer.len,
                                  m->id.data, m->id.len);

    if (n == 0 || m->id.len != NGX_MOBILITY_MEETING_ID_LEN) {
        snprintf(st->err, sizeof(st->err), "a bad meeting key");
        return NGX_MOBILITY_ERROR;
    }

    cap = 256 + m->organizer.len + m->id.len + m->subject.len
          + m->description.len + m->attendees.len + m->leaders.len
          + m->key.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_MEETING)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_ORGANIZER,
                               &m->organizer);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_ID, &m->id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_SUBJECT,
                               &m->subject);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_DESCRIPTION,
                               &m->description);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_ATTENDEES,
                               &m->attendees);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_LEADERS,
                               &m->leaders);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MEETING_T_KEY, &m->key);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_ACCESS,
                             m->access_level);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_CONFERENCE,
                             m->conference_id);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_EXPIRATION,
                             m->expiration);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_CREATED, m->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_VERSION, m->version);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MEETING_T_FLAGS, m->flags);

    return ngx_mobility_kv_rec_put(st, txn, st->dbi[NGX_MOBILITY_DB_MEETINGS],
                                   key, n, &w, "a meeting record overflow",
                                   "writing a meeting");
}


static int
ngx_mobility_meeting_count_one(ngx_mobility_meeting_t *m, void *data)
{
    return 0;
}


int
ngx_mobility_meeting_create(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_meeting_t *m, uint64_t now, ngx_uint_t max)
{
    int         rc;
    u_char      id[NGX_MOBILITY_MEETING_ID_LEN];
    u_char      secret[NGX_MOBILITY_MEETING_KEY_LEN];
    u_char      ckey[9], ival[NGX_MOBILITY_SIP_MAX + 1
                              + NGX_MOBILITY_MEETING_ID_LEN];
    uint32_t    r;
    uint64_t    conf;
    MDB_val     k, v;
    ngx_uint_t  i, n;
    ngx_mobility_meeting_t  old;

    if (m->organizer.len == 0 || m->organizer.len > NGX_MOBILITY_SIP_MAX) {
        snprintf(st->err, sizeof(st->err), "a bad meeting organizer");
        return NGX_MOBILITY_ERROR;
    }

    if (max) {
        if (ngx_mobility_meeting_list(st, txn, m->organizer.data,
                                      m->organizer.len,
                                      ngx_mobility_meeting_count_one, NULL,
                                      &n)
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }

        if (n >= max) {
            return NGX_MOBILITY_MEETING_FULL;
        }
    }

    /* the id, unique for the organizer */

    for (i = 0; /* void */; i++) {
        if (i == NGX_MOBILITY_MEETING_TRIES) {
            snprintf(st->err, sizeof(st->err), "no free meeting id");
            return NGX_MOBILITY_ERROR;
        }

        if (ngx_mobility_meeting_random(id, sizeof(id)) != 0) {
            snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
            return NGX_MOBILITY_ERROR;
        }

        rc = ngx_mobility_meeting_get(st, txn, m->organizer.data,
                                      m->organizer.len, id, sizeof(id), &old);
        if (rc == NGX_MOBILITY_ERROR) {
            return NGX_MOBILITY_ERROR;
        }

        if (rc == NGX_MOBILITY_NOTFOUND) {
            break;
        }
    }

    /* the conference id, unique in the store */

    for (i = 0; /* void */; i++) {
        if (i == NGX_MOBILITY_MEETING_TRIES) {
            snprintf(st->err, sizeof(st->err), "no free conference id");
            return NGX_MOBILITY_ERROR;
        }

        if (RAND_bytes((u_char *) &r, sizeof(r)) != 1) {
            snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
            return NGX_MOBILITY_ERROR;
        }

        conf = NGX_MOBILITY_MEETING_CONF_MIN
               + r % NGX_MOBILITY_MEETING_CONF_SPAN;

        ckey[0] = 'n';
        ngx_mobility_put_be64(ckey + 1, conf);

        k.mv_size = sizeof(ckey);
        k.mv_data = ckey;

        rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, &v);

        if (rc == MDB_NOTFOUND) {
            break;
        }

        if (rc != 0) {
            return ngx_mobility_store_fail(st, "reading a conference id",
                                           rc);
        }
    }

    if (ngx_mobility_meeting_random(secret, sizeof(secret)) != 0) {
        snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
        return NGX_MOBILITY_ERROR;
    }

    ngx_memcpy(ival, m->organizer.data, m->organizer.len);
    ival[m->organizer.len] = '\0';
    ngx_memcpy(ival + m->organizer.len + 1, id, sizeof(id));

    v.mv_size = m->organizer.len + 1 + sizeof(id);
    v.mv_data = ival;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a conference id", rc);
    }

    m->id.data = id;
    m->id.len = sizeof(id);
    m->key.data = secret;
    m->key.len = sizeof(secret);
    m->conference_id = conf;
    m->created = now;
    m->version = 1;

    if (ngx_mobility_meeting_put(st, txn, m) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    /* point into the store, not into this frame */

    return ngx_mobility_meeting_get(st, txn, m->organizer.data,
                                    m->organizer.len, id, sizeof(id), m);
}


int
ngx_mobility_meeting_update(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_meeting_t *m)
{
    int                     rc;
    u_char                  secret[NGX_MOBILITY_MEETING_KEY_LEN];
    ngx_mobility_meeting_t  old;

    rc = ngx_mobility_meeting_get(st, txn, m->organizer.data,
                                  m->organizer.len, m->id.data, m->id.len,
                                  &old);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (old.key.len > sizeof(secret)) {
        snprintf(st->err, sizeof(st->err), "a broken meeting record");
        return NGX_MOBILITY_ERROR;
    }

    /* the old record's bytes go away with the put */
    ngx_memcpy(secret, old.key.data, old.key.len);

    m->key.data = secret;
    m->key.len = old.key.len;
    m->conference_id = old.conference_id;
    m->created = old.created;
    m->version = old.version + 1;
    m->flags = (m->flags & ~(uint64_t) NGX_MOBILITY_MEETING_F_ASSIGNED)
               | (old.flags & NGX_MOBILITY_MEETING_F_ASSIGNED);

    if (ngx_mobility_meeting_put(st, txn, m) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_meeting_get(st, txn, m->organizer.data,
                                    m->organizer.len, m->id.data, m->id.len,
                                    m);
}


int
ngx_mobility_meeting_delete(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *id, size_t idlen)
{
    int                     rc;
    u_char                  key[NGX_MOBILITY_MEETING_KEY_MAX], ckey[9];
    MDB_val                 k;
    ngx_mobility_meeting_t  m;

    rc = ngx_mobility_meeting_get(st, txn, organizer, olen, id, idlen, &m);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (m.conference_id) {
        ckey[0] = 'n';
        ngx_mobility_put_be64(ckey + 1, m.conference_id);

        k.mv_size = sizeof(ckey);
        k.mv_data = ckey;

        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return ngx_mobility_store_fail(st, "removing a conference id",
                                           rc);
        }
    }

    k.mv_size = ngx_mobility_meeting_okey(key, organizer, olen, id, idlen);
    k.mv_data = key;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, NULL);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a meeting", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_meeting_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen,
    int (*each)(ngx_mobility_meeting_t *m, void *data), void *data,
    ngx_uint_t *n)
{
    int                     rc;
    u_char                  key[NGX_MOBILITY_MEETING_KEY_MAX];
    size_t                  plen;
    MDB_val                 k, v;
    ngx_uint_t              seen;
    MDB_cursor             *cur;
    MDB_cursor_op           op;
    ngx_mobility_meeting_t  m;

    if (n) {
        *n = 0;
    }

    plen = ngx_mobility_meeting_okey(key, organizer, olen, NULL, 0);
    if (plen == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing meetings", rc);
    }

    k.mv_size = plen;
    k.mv_data = key;
    op = MDB_SET_RANGE;
    seen = 0;

    for ( ;; ) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        op = MDB_NEXT;

        if (rc == MDB_NOTFOUND) {
            break;
        }

        if (rc != 0) {
            mdb_cursor_close(cur);
            return ngx_mobility_store_fail(st, "listing meetings", rc);
        }

        if (k.mv_size != plen + NGX_MOBILITY_MEETING_ID_LEN
            || ngx_memcmp(k.mv_data, key, plen) != 0)
        {
            if (k.mv_size < plen || ngx_memcmp(k.mv_data, key, plen) != 0) {
                break;
            }

            continue;
        }

        if (ngx_mobility_meeting_decode(st, &v, &m) != NGX_MOBILITY_OK) {
            mdb_cursor_close(cur);
            return NGX_MOBILITY_ERROR;
        }

        seen++;

        if (each(&m, data) != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (n) {
        *n = seen;
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    ngx_mobility_meeting_t  *m;
    ngx_uint_t               found;
} ngx_mobility_meeting_find_t;


static int
ngx_mobility_meeting_find_assigned(ngx_mobility_meeting_t *m, void *data)
{
    ngx_mobility_meeting_find_t  *f = data;

    if (m->flags & NGX_MOBILITY_MEETING_F_ASSIGNED) {
        *f->m = *m;
        f->found = 1;
        return 1;
    }

    return 0;
}


int
ngx_mobility_meeting_assigned(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, ngx_uint_t create, uint64_t now,
    ngx_mobility_meeting_t *m)
{
    ngx_mobility_meeting_t       d;
    ngx_mobility_meeting_find_t  f;

    d = *m;

    f.m = m;
    f.found = 0;

    if (ngx_mobility_meeting_list(st, txn, organizer, olen,
                                  ngx_mobility_meeting_find_assigned, &f,
                                  NULL)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (f.found) {
        return NGX_MOBILITY_OK;
    }

    if (!create) {
        return NGX_MOBILITY_NOTFOUND;
    }

    d.organizer.data = organizer;
    d.organizer.len = olen;
    d.access_level = NGX_MOBILITY_MEETING_SAME_ENTERPRISE;
    d.expiration = 0;
    d.attendees.len = 0;
    d.leaders.len = 0;
    d.flags |= NGX_MOBILITY_MEETING_F_ASSIGNED;

    if (ngx_mobility_meeting_create(st, txn, &d, now, 0) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    *m = d;

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_meeting_delete_all(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen)
{
    u_char      ids[64][NGX_MOBILITY_MEETING_ID_LEN];
    ngx_uint_t  i, n;

    /* in rounds: a cursor must not outlive the deletes it walks */

    for ( ;; ) {
        n = 0;

        {
            int                     rc;
            u_char                  key[NGX_MOBILITY_MEETING_KEY_MAX];
            size_t                  plen;
            MDB_val                 k, v;
            MDB_cursor             *cur;
            MDB_cursor_op           op;

            plen = ngx_mobility_meeting_okey(key, organizer, olen, NULL, 0);
            if (plen == 0) {
                return NGX_MOBILITY_OK;
            }

            rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS],
                                 &cur);
            if (rc != 0) {
                return ngx_mobility_store_fail(st, "removing meetings", rc);
            }

            k.mv_size = plen;
            k.mv_data = key;
            op = MDB_SET_RANGE;

            while (n < 64) {
                rc = mdb_cursor_get(cur, &k, &v, op);
                op = MDB_NEXT;

                if (rc == MDB_NOTFOUND) {
                    break;
                }

                if (rc != 0) {
                    mdb_cursor_close(cur);
                    return ngx_mobility_store_fail(st, "removing meetings",
                                                   rc);
                }

                if (k.mv_size < plen
                    || ngx_memcmp(k.mv_data, key, plen) != 0)
                {
                    break;
                }

                if (k.mv_size == plen + NGX_MOBILITY_MEETING_ID_LEN) {
                    ngx_memcpy(ids[n++], (u_char *) k.mv_data + plen,
                               NGX_MOBILITY_MEETING_ID_LEN);
                }
            }

            mdb_cursor_close(cur);
        }

        for (i = 0; i < n; i++) {
            if (ngx_mobility_meeting_delete(st, txn, organizer, olen, ids[i],
                                            NGX_MOBILITY_MEETING_ID_LEN)
                == NGX_MOBILITY_ERROR)
            {
                return NGX_MOBILITY_ERROR;
            }
        }

        if (n < 64) {
            return NGX_MOBILITY_OK;
        }
    }
}


ngx_uint_t
ngx_mobility_meeting_key_match(ngx_mobility_meeting_t *m, const u_char *key,
    size_t len)
{
    if (m->key.len == 0 || len != m->key.len) {
        return 0;
    }

    return CRYPTO_memcmp(m->key.data, key, len) == 0;
}


size_t
ngx_mobility_meeting_anon_identity(u_char *out)
{
    u_char  rnd[8], *p;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return 0;
    }

    p = ngx_cpymem(out, "anon-", 5);
    p = ngx_hex_dump(p, rnd, sizeof(rnd));
    p = ngx_cpymem(p, NGX_MOBILITY_MEETING_ANON_DOMAIN,
                   sizeof(NGX_MOBILITY_MEETING_ANON_DOMAIN) - 1);

    return p - out;
}


ngx_uint_t
ngx_mobility_meeting_is_anon(const u_char *user, size_t len)
{
    size_t  dlen;

    dlen = sizeof(NGX_MOBILITY_MEETING_ANON_DOMAIN) - 1;

    return len == 5 + 16 + dlen
           && ngx_strncmp(user, "anon-", 5) == 0
           && ngx_strncmp(user + 21, NGX_MOBILITY_MEETING_ANON_DOMAIN, dlen)
              == 0;
}


int
ngx_mobility_meeting_anon_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *anon, size_t len, uint64_t now, ngx_str_t *organizer,
    ngx_str_t *id)
{
    int                   rc;
    u_char                key[1 + NGX_MOBILITY_MEETING_ANON_MAX];
    MDB_val               k, v;
    ngx_mobility_bytes_t  f[NGX_MOBILITY_GRANT_T_MAX];

    if (len == 0 || len > NGX_MOBILITY_MEETING_ANON_MAX) {
        return NGX_MOBILITY_NOTFOUND;
    }

    key[0] = 'a';
    ngx_memcpy(key + 1, anon, len);

    k.mv_size = 1 + len;
    k.mv_data = key;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a meeting grant", rc);
    }

    if (ngx_mobility_rec_fields(v.mv_data, v.mv_size,
                                NGX_MOBILITY_REC_MEETING_GRANT, f,
                                NGX_MOBILITY_GRANT_T_MAX)
        != 0)
    {
        snprintf(st->err, sizeof(st->err), "a broken meeting grant");
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_bytes_u64(&f[NGX_MOBILITY_GRANT_T_EXPIRES], 0) <= now) {
        return NGX_MOBILITY_NOTFOUND;
    }

    organizer->data = (u_char *) f[NGX_MOBILITY_GRANT_T_ORGANIZER].data;
    organizer->len = f[NGX_MOBILITY_GRANT_T_ORGANIZER].len;
    id->data = (u_char *) f[NGX_MOBILITY_GRANT_T_ID].data;
    id->len = f[NGX_MOBILITY_GRANT_T_ID].len;

    return NGX_MOBILITY_OK;
}


/* removes up to NGX_MOBILITY_MEETING_PRUNE grants expired before now */
static int
ngx_mobility_meeting_anon_prune(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now)
{
    int            rc;
    u_char         a;
    MDB_val        k, v;
    ngx_uint_t     n, looked;
    MDB_cursor    *cur;
    MDB_cursor_op  op;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "pruning meeting grants", rc);
    }

    a = 'a';
    k.mv_size = 1;
    k.mv_data = &a;
    op = MDB_SET_RANGE;
    n = 0;

    /* bounded: a write must stay short */

    for (looked = 0; looked < 4 * NGX_MOBILITY_MEETING_PRUNE; looked++) {
        rc = mdb_cursor_get(cur, &k, &v, op);
        op = MDB_NEXT;

        if (rc == MDB_NOTFOUND) {
            break;
        }

        if (rc != 0) {
            mdb_cursor_close(cur);
            return ngx_mobility_store_fail(st, "pruning meeting grants", rc);
        }

        if (k.mv_size == 0 || ((u_char *) k.mv_data)[0] != 'a') {
            break;
        }

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_MEETING_GRANT)
            == 0
            && ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                        NGX_MOBILITY_GRANT_T_EXPIRES, 0)
               > now)
        {
            continue;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            mdb_cursor_close(cur);
            return ngx_mobility_store_fail(st, "pruning meeting grants", rc);
        }

        if (++n == NGX_MOBILITY_MEETING_PRUNE) {
            break;
        }
    }

    mdb_cursor_close(cur);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_meeting_anon_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *anon, size_t len, const u_char *organizer, size_t olen,
    const u_char *id, size_t idlen, uint64_t expires, uint64_t now)
{
    int                         rc;
    u_char                      key[1 + NGX_MOBILITY_MEETING_ANON_MAX];
    u_char                      buf[128 + NGX_MOBILITY_SIP_MAX
                                    + NGX_MOBILITY_MEETING_ID_LEN];
    MDB_val                     k, v;
    ngx_mobility_rec_writer_t   w;

    if (len == 0 || len > NGX_MOBILITY_MEETING_ANON_MAX
        || olen == 0 || olen > NGX_MOBILITY_SIP_MAX
        || idlen != NGX_MOBILITY_MEETING_ID_LEN)
    {
        snprintf(st->err, sizeof(st->err), "a bad meeting grant");
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_meeting_anon_prune(st, txn, now) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf),
                           NGX_MOBILITY_REC_MEETING_GRANT);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_GRANT_T_ORGANIZER, organizer, olen);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_GRANT_T_ID, id, idlen);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_GRANT_T_EXPIRES, expires);

    if (w.overflow) {
        snprintf(st->err, sizeof(st->err), "a meeting grant overflow");
        return NGX_MOBILITY_ERROR;
    }

    key[0] = 'a';
    ngx_memcpy(key + 1, anon, len);

    k.mv_size = 1 + len;
    k.mv_data = key;
    v.mv_size = w.len;
    v.mv_data = buf;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_MEETINGS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a meeting grant", rc);
    }

    return NGX_MOBILITY_OK;
}
