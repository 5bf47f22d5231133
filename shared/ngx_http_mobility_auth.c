/*
 * Copyright (C) The nginx mobility authors
 *
 * Sign-in: the MsRtcOAuth challenge, the /WebTicket/oauthtoken token
 * service (password grant, anonymous meeting grant) and the validation of
 * "cwt" Bearer tokens.
 *
 * Password hashes are slow on purpose, so the derivation runs in nginx's
 * thread pool ("default" unless a thread_pool of that name is declared)
 * and never on the event loop.  An unknown user costs the same hash as a
 * known one and gets the same answer, and failures are counted per user
 * name and per client address in shared memory across workers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ngx_http_mobility.h"
#include "ngx_http_mobility_auth.h"
#include "ngx_mobility_password.h"
#include "ngx_mobility_token.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_meetings.h"


#define NGX_HTTP_MOBILITY_THROTTLE_SIZE  (1024 * 1024)
#define NGX_HTTP_MOBILITY_PW_CANDIDATES  2
#define NGX_HTTP_MOBILITY_ANON_LIFETIME  3600     /* s, anonymous tokens */


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     queue;
} ngx_http_mobility_throttle_sh_t;


typedef struct {
    ngx_http_mobility_throttle_sh_t  *sh;
    ngx_slab_pool_t                  *shpool;
} ngx_http_mobility_throttle_ctx_t;


typedef struct {
    u_char                          color;
    u_char                          len;
    u_short                         failures;
    time_t                          window_start;
    ngx_queue_t                     queue;
    u_char                          data[1];
} ngx_http_mobility_throttle_node_t;


struct ngx_http_mobility_signin_s {
    ngx_http_request_t             *request;

    u_char                          sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t                          sip_len;
    uint64_t                        auth_gen;

    /* what the client typed, and the "+ as space" reading of it */
    ngx_str_t                       password[NGX_HTTP_MOBILITY_PW_CANDIDATES];
    ngx_uint_t                      npasswords;

    ngx_mobility_pw_hash_t          hash;
    ngx_str_t                       user_key;
    ngx_str_t                       addr_key;

    unsigned                        real:1;
    unsigned                        ok:1;
};


typedef struct {
    ngx_str_t                       grant_type;
    ngx_str_t                       username;
    ngx_str_t                       password;
    ngx_str_t                       password_raw;
    ngx_str_t                       conference_uri;
    ngx_str_t                       renew;
} ngx_http_mobility_grant_t;


static ngx_int_t ngx_http_mobility_throttle_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_uint_t ngx_http_mobility_throttle_locked(ngx_http_request_t *r,
    ngx_str_t *key, ngx_uint_t limit);
static void ngx_http_mobility_throttle_update(ngx_http_request_t *r,
    ngx_str_t *key, ngx_uint_t failed);
static void ngx_http_mobility_token_body(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_mobility_signin_verify(ngx_http_request_t *r,
    ngx_http_mobility_signin_t *si);
#if (NGX_THREADS)
static void ngx_http_mobility_signin_thread(void *data, ngx_log_t *log);
static void ngx_http_mobility_signin_done_event(ngx_event_t *ev);
#endif
static void ngx_http_mobility_signin_done(ngx_http_request_t *r,
    ngx_http_mobility_signin_t *si);
static ngx_int_t ngx_http_mobility_token_error(ngx_http_request_t *r,
    const char *error, const char *diagnostics);
static void ngx_http_mobility_anon_grant(ngx_http_request_t *r,
    ngx_http_mobility_grant_t *g);


static ngx_uint_t
ngx_http_mobility_str_eq(ngx_str_t *s, const char *lit)
{
    size_t  len;

    len = ngx_strlen(lit);

    return s->len == len && ngx_strncasecmp(s->data, (u_char *) lit, len) == 0;
}


static ngx_str_t  ngx_http_mobility_throttle_name =
    ngx_string("mobility_signin");


/* ------------------------------------------------------------------ */
/* configuration                                                      */


char *
ngx_http_mobility_auth_init_conf(ngx_conf_t *cf)
{
    ngx_shm_zone_t                 *zone;
    ngx_http_mobility_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mobility_module);

    if (mmcf->throttle_zone == NULL) {
        zone = ngx_shared_memory_add(cf, &ngx_http_mobility_throttle_name,
                                     NGX_HTTP_MOBILITY_THROTTLE_SIZE,
                                     &ngx_http_mobility_module);
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        if (zone->data == NULL) {
            zone->init = ngx_http_mobility_throttle_init_zone;
            zone->data = ngx_pcalloc(cf->pool,
                                 sizeof(ngx_http_mobility_throttle_ctx_t));
            if (zone->data == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        mmcf->throttle_zone = zone;
    }

#if (NGX_THREADS)
    if (mmcf->thread_pool == NULL) {
        mmcf->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (mmcf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }
#endif

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mobility_throttle_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_mobility_throttle_ctx_t  *octx = data;

    size_t                             len;
    ngx_http_mobility_throttle_ctx_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        /* reload: keep the counters */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool,
                             sizeof(ngx_http_mobility_throttle_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&ctx->sh->queue);

    len = sizeof(" in mobility sign-in zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in mobility sign-in zone \"%V\"%Z",
                &shm_zone->shm.name);

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* failure throttling                                                 */


static ngx_http_mobility_throttle_node_t *
ngx_http_mobility_throttle_lookup(ngx_http_mobility_throttle_ctx_t *ctx,
    ngx_str_t *key, uint32_t hash)
{
    ngx_int_t                           rc;
    ngx_rbtree_node_t                  *node, *sentinel;
    ngx_http_mobility_throttle_node_t  *tn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        tn = (ngx_http_mobility_throttle_node_t *) &node->color;

        rc = ngx_memn2cmp(key->data, tn->data, key->len, (size_t) tn->len);

        if (rc == 0) {
            return tn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static ngx_uint_t
ngx_http_mobility_throttle_locked(ngx_http_request_t *r, ngx_str_t *key,
    ngx_uint_t limit)
{
    uint32_t                            hash;
    ngx_uint_t                          locked;
    ngx_http_mobility_throttle_ctx_t   *ctx;
    ngx_http_mobility_main_conf_t      *mmcf;
    ngx_http_mobility_throttle_node_t  *tn;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);
    ctx = mmcf->throttle_zone->data;

    hash = ngx_crc32_short(key->data, key->len);
    locked = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_mobility_throttle_lookup(ctx, key, hash);

    if (tn && tn->failures >= limit
        && ngx_time() - tn->window_start < mmcf->lockout_window)
    {
        locked = 1;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return locked;
}


static void
ngx_http_mobility_throttle_update(ngx_http_request_t *r, ngx_str_t *key,
    ngx_uint_t failed)
{
    size_t                              n;
    uint32_t                            hash;
    ngx_queue_t                        *q;
    ngx_rbtree_node_t                  *node;
    ngx_http_mobility_throttle_ctx_t   *ctx;
    ngx_http_mobility_main_conf_t      *mmcf;
    ngx_http_mobility_throttle_node_t  *tn;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);
    ctx = mmcf->throttle_zone->data;

    hash = ngx_crc32_short(key->data, key->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    tn = ngx_http_mobility_throttle_lookup(ctx, key, hash);

    if (!failed) {
        if (tn) {
            node = (ngx_rbtree_node_t *)
                       ((u_char *) tn - offsetof(ngx_rbtree_node_t, color));
            ngx_queue_remove(&tn->queue);
            ngx_rbtree_delete(&ctx->sh->rbtree, node);
            ngx_slab_free_locked(ctx->shpool, node);
        }

        goto done;
    }

    if (tn == NULL) {
        n = offsetof(ngx_rbtree_node_t, color)
            + offsetof(ngx_http_mobility_throttle_node_t, data) + key->len;

        node = ngx_slab_alloc_locked(ctx->shpool, n);

        if (node == NULL && !ngx_queue_empty(&ctx->sh->queue)) {
            /* full: forget the least recently failing key */
            q = ngx_queue_last(&ctx->sh->queue);
            tn = ngx_queue_data(q, ngx_http_mobility_throttle_node_t, queue);
            ngx_queue_remove(q);
            node = (ngx_rbtree_node_t *)
                       ((u_char *) tn - offsetof(ngx_rbtree_node_t, color));
            ngx_rbtree_delete(&ctx->sh->rbtree, node);
            ngx_slab_free_locked(ctx->shpool, node);

            node = ngx_slab_alloc_locked(ctx->shpool, n);
        }

        if (node == NULL) {
            goto done;
        }

        node->key = hash;
        tn = (ngx_http_mobility_throttle_node_t *) &node->color;
        tn->len = (u_char) key->len;
        tn->failures = 0;
        tn->window_start = ngx_time();
        ngx_memcpy(tn->data, key->data, key->len);

        ngx_rbtree_insert(&ctx->sh->rbtree, node);

    } else {
        ngx_queue_remove(&tn->queue);
    }

    if (ngx_time() - tn->window_start >= mmcf->lockout_window) {
        tn->failures = 0;
        tn->window_start = ngx_time();
    }

    if (tn->failures < 0xffff) {
        tn->failures++;
    }

    ngx_queue_insert_head(&ctx->sh->queue, &tn->queue);

done:

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* ------------------------------------------------------------------ */
/* the token service                                                  */


ngx_int_t
ngx_http_mobility_token_handler(ngx_http_request_t *r)
{
    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_mobility_store_current() == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return ngx_http_mobility_read_body(r, ngx_http_mobility_token_body);
}


/*
 * application/x-www-form-urlencoded, leniently: some clients do not
 * encode the password, so a raw '&' inside it is kept unless it starts
 * one of the fields we know.
 */
static ngx_uint_t
ngx_http_mobility_form_key(u_char *p, u_char *last)
{
    static const char  *keys[] = {
        "grant_type=", "username=", "password=", "charset=", "client_id=",
        "scope=", "resource=", "ms_rtc_conferenceuri=", "ms_rtc_renew=",
        "msrtc_conferenceuri=", NULL
    };

    size_t        len;
    const char  **k;

    for (k = keys; *k; k++) {
        len = ngx_strlen(*k);

        if ((size_t) (last - p) >= len
            && ngx_strncasecmp(p, (u_char *) *k, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_mobility_form_value(ngx_http_request_t *r, ngx_str_t *raw,
    ngx_str_t *value, ngx_uint_t plus_is_space)
{
    u_char  *dst, *src, *p;

    p = ngx_pnalloc(r->pool, raw->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, raw->data, raw->len);

    if (plus_is_space) {
        for (dst = p; dst < p + raw->len; dst++) {
            if (*dst == '+') {
                *dst = ' ';
            }
        }
    }

    dst = p;
    src = p;
    ngx_unescape_uri(&dst, &src, raw->len, 0);

    value->data = p;
    value->len = dst - p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mobility_parse_grant(ngx_http_request_t *r, ngx_str_t *body,
    ngx_http_mobility_grant_t *g)
{
    u_char     *p, *last, *start, *eq, *end;
    ngx_str_t   name, raw;

    ngx_memzero(g, sizeof(ngx_http_mobility_grant_t));

    p = body->data;
    last = body->data + body->len;

    while (p < last) {
        start = p;

        /* the value ends at an '&' that starts a known field */
        for (end = p; end < last; end++) {
            if (*end == '&'
                && (end + 1 == last
                    || ngx_http_mobility_form_key(end + 1, last)))
            {
                break;
            }
        }

        p = (end < last) ? end + 1 : last;

        eq = ngx_strlchr(start, end, '=');
        if (eq == NULL) {
            continue;
        }

        name.data = start;
        name.len = eq - start;
        raw.data = eq + 1;
        raw.len = end - eq - 1;

        if (name.len == 10
            && ngx_strncasecmp(name.data, (u_char *) "grant_type", 10) == 0)
        {
            if (ngx_http_mobility_form_value(r, &raw, &g->grant_type, 1)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 8
                   && ngx_strncasecmp(name.data, (u_char *) "username", 8)
                      == 0)
        {
            if (ngx_http_mobility_form_value(r, &raw, &g->username, 1)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == 8
                   && ngx_strncasecmp(name.data, (u_char *) "password", 8)
                      == 0)
        {
            if (ngx_http_mobility_form_value(r, &raw, &g->password, 1)
                != NGX_OK
                || ngx_http_mobility_form_value(r, &raw, &g->password_raw, 0)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if ((name.len == sizeof("ms_rtc_conferenceuri") - 1
                    && ngx_strncasecmp(name.data,
                                       (u_char *) "ms_rtc_conferenceuri",
                                       name.len)
                       == 0)
                   || (name.len == sizeof("msrtc_conferenceuri") - 1
                       && ngx_strncasecmp(name.data,
                                          (u_char *) "msrtc_conferenceuri",
                                          name.len)
                          == 0))
        {
            /* Microsoft's own C# sample spells it "msrtc_conferenceuri" */
            if (ngx_http_mobility_form_value(r, &raw, &g->conference_uri, 0)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (name.len == sizeof("ms_rtc_renew") - 1
                   && ngx_strncasecmp(name.data, (u_char *) "ms_rtc_renew",
                                      name.len)
                      == 0)
        {
            if (ngx_http_mobility_form_value(r, &raw, &g->renew, 0)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


static void
ngx_http_mobility_token_body(ngx_http_request_t *r, ngx_str_t *body)
{
    int                             n;
    u_char                         *p, login[NGX_MOBILITY_SIP_MAX + 1];
    MDB_txn                        *txn;
    ngx_int_t                       rc;
    ngx_str_t                       user;
    ngx_mobility_user_t             u;
    ngx_mobility_store_t           *st;
    ngx_http_mobility_ctx_t        *ctx;
    ngx_http_mobility_grant_t       g;
    ngx_http_mobility_signin_t     *si;
    ngx_http_mobility_main_conf_t  *mmcf;

    if (body == NULL) {
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_request", NULL));
        return;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    rc = ngx_http_mobility_parse_grant(r, body, &g);

    /* the body held the password: do not leave it in the request pool */
    OPENSSL_cleanse(body->data, body->len);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (g.grant_type.len == 0) {
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_request", NULL));
        return;
    }

    if (ngx_http_mobility_str_eq(&g.grant_type,
                                 "urn:microsoft.rtc:anonmeeting"))
    {
        ngx_http_mobility_anon_grant(r, &g);
        return;
    }

    /*
     * One client sends the passive grant with a user name and password
     * and expects a token: treat it as the password grant.
     */
    if (!(ngx_http_mobility_str_eq(&g.grant_type, "password")
          || (ngx_http_mobility_str_eq(&g.grant_type,
                                       "urn:microsoft.rtc:passive")
              && g.username.len && g.password.len)))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility sign-in: unsupported grant_type \"%V\"",
                      &g.grant_type);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "unsupported_grant_type",
                                          "28029;reason=\"Authentication "
                                          "type not allowed.\""));
        return;
    }

    if (g.username.len == 0 || g.password.len == 0
        || g.username.len > NGX_MOBILITY_SIP_MAX
        || g.password.len > NGX_MOBILITY_PW_MAX_LEN)
    {
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_request", NULL));
        return;
    }

    ctx = ngx_http_mobility_get_ctx(r);
    si = ngx_pcalloc(r->pool, sizeof(ngx_http_mobility_signin_t));

    if (ctx == NULL || si == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->signin = si;
    si->request = r;

    /* throttling keys: the name as typed (lower case) and the address */

    user.len = g.username.len;
    user.data = ngx_pnalloc(r->pool, sizeof("u:") - 1 + user.len);
    si->addr_key.len = sizeof("a:") - 1 + r->connection->addr_text.len;
    si->addr_key.data = ngx_pnalloc(r->pool, si->addr_key.len);

    if (user.data == NULL || si->addr_key.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_cpymem(user.data, "u:", 2);
    ngx_strlow(p, g.username.data, g.username.len);
    user.len += 2;
    si->user_key = user;

    p = ngx_cpymem(si->addr_key.data, "a:", 2);
    ngx_memcpy(p, r->connection->addr_text.data,
               r->connection->addr_text.len);

    if (ngx_http_mobility_throttle_locked(r, &si->user_key,
                                          mmcf->lockout_failures)
        || ngx_http_mobility_throttle_locked(r, &si->addr_key,
                                             mmcf->lockout_address_failures))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility sign-in refused for \"%V\" from %V: "
                      "locked out after repeated failures",
                      &g.username, &r->connection->addr_text);

        /*
         * Telling of the lockout reveals nothing about the account: names
         * that do not exist are locked out the same way.
         */
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_grant",
                                          "28020;reason=\"Too many failed "
                                          "sign-in attempts; try again "
                                          "later.\""));
        return;
    }

    si->password[0] = g.password;
    si->npasswords = 1;

    if (ngx_strlchr(g.password_raw.data,
                    g.password_raw.data + g.password_raw.len, '+')
        != NULL)
    {
        si->password[1] = g.password_raw;
        si->npasswords = 2;
    }

    /* look the user up; anyone unknown is checked against a dummy hash */

    st = ngx_mobility_store_current();

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility sign-in: %s", st->err);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "server_error", NULL));
        return;
    }

    n = ngx_mobility_user_resolve_login(st, txn, g.username.data,
                                        g.username.len, login);

    if (n > 0
        && ngx_mobility_user_get(st, txn, login, n, &u) == NGX_MOBILITY_OK
        && u.enabled
        && ngx_mobility_pw_parse(u.password.data, u.password.len, &si->hash)
           == 0)
    {
        si->real = 1;
        ngx_memcpy(si->sip, login, n);
        si->sip_len = n;
        si->auth_gen = u.auth_gen;

    } else {
        si->hash.iterations = ngx_mobility_store_meta_u32(st, txn,
                                  NGX_MOBILITY_META_PW_ITERATIONS,
                                  NGX_MOBILITY_PW_DEFAULT_ITERATIONS);

        if (si->hash.iterations < NGX_MOBILITY_PW_MIN_ITERATIONS) {
            si->hash.iterations = NGX_MOBILITY_PW_MIN_ITERATIONS;
        }

        if (RAND_bytes(si->hash.salt, sizeof(si->hash.salt)) != 1) {
            ngx_memzero(si->hash.salt, sizeof(si->hash.salt));
        }

        ngx_memzero(si->hash.hash, sizeof(si->hash.hash));
    }

    mdb_txn_abort(txn);

    ngx_http_mobility_signin_verify(r, si);
}


static void
ngx_http_mobility_signin_verify(ngx_http_request_t *r,
    ngx_http_mobility_signin_t *si)
{
#if (NGX_THREADS)
    ngx_thread_task_t              *task;
    ngx_http_mobility_signin_t     *tsi;
    ngx_http_mobility_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    if (mmcf->thread_pool) {
        task = ngx_thread_task_alloc(r->pool,
                                     sizeof(ngx_http_mobility_signin_t *));
        if (task == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        *(ngx_http_mobility_signin_t **) task->ctx = si;
        task->handler = ngx_http_mobility_signin_thread;
        task->event.handler = ngx_http_mobility_signin_done_event;
        task->event.data = si;

        if (ngx_thread_task_post(mmcf->thread_pool, task) == NGX_OK) {
            /* keep the request alive while the thread works on it */
            r->main->blocked++;
            return;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility sign-in: the thread pool is unavailable, "
                      "hashing on the event loop");
    }

    tsi = si;
    ngx_http_mobility_signin_thread(&tsi, r->connection->log);

#else

    ngx_uint_t  i;

    for (i = 0; i < si->npasswords && !si->ok; i++) {
        si->ok = ngx_mobility_pw_verify(si->password[i].data,
                                        si->password[i].len, &si->hash)
                 ? 1 : 0;
    }

#endif

    ngx_http_mobility_signin_done(r, si);
}


#if (NGX_THREADS)

static void
ngx_http_mobility_signin_thread(void *data, ngx_log_t *log)
{
    ngx_http_mobility_signin_t  *si = *(ngx_http_mobility_signin_t **) data;

    ngx_uint_t  i, ok;

    ok = 0;

    /* every candidate is tried, so timing does not depend on the match */
    for (i = 0; i < si->npasswords; i++) {
        ok |= ngx_mobility_pw_verify(si->password[i].data,
                                     si->password[i].len, &si->hash);
    }

    si->ok = ok ? 1 : 0;
}


static void
ngx_http_mobility_signin_done_event(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_mobility_signin_t  *si;

    si = ev->data;
    r = si->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;

    ngx_http_mobility_signin_done(r, si);

    ngx_http_run_posted_requests(c);
}

#endif


static void
ngx_http_mobility_signin_done(ngx_http_request_t *r,
    ngx_http_mobility_signin_t *si)
{
    int                             n, rc;
    u_char                          buf[NGX_MOBILITY_TOKEN_MAX + 128], *p;
    time_t                          now;
    MDB_txn                        *txn;
    ngx_uint_t                      i, ok;
    ngx_mobility_user_t             u;
    ngx_mobility_token_t            t;
    ngx_mobility_store_t           *st;
    ngx_http_mobility_ctx_t        *ctx;
    ngx_http_mobility_main_conf_t  *mmcf;

    static ngx_str_t  no_store = ngx_string("no-store");
    static ngx_str_t  no_cache = ngx_string("no-cache");

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);
    st = ngx_mobility_store_current();

    ok = si->real && si->ok;

    for (i = 0; i < si->npasswords; i++) {
        OPENSSL_cleanse(si->password[i].data, si->password[i].len);
    }

    if (ok) {
        /* the user may have changed while the hash was computed */

        if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "mobility sign-in: %s", st->err);
            ngx_http_finalize_request(r,
                ngx_http_mobility_token_error(r, "server_error", NULL));
            return;
        }

        rc = ngx_mobility_user_get(st, txn, si->sip, si->sip_len, &u);

        ok = (rc == NGX_MOBILITY_OK && u.enabled
              && u.auth_gen == si->auth_gen);

        mdb_txn_abort(txn);
    }

    if (!ok) {
        ngx_http_mobility_throttle_update(r, &si->user_key, 1);
        ngx_http_mobility_throttle_update(r, &si->addr_key, 1);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility sign-in failed for \"%V\" from %V",
                      &si->user_key, &r->connection->addr_text);

        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_grant",
                                          "28020;reason=\"No valid security "
                                          "token.\""));
        return;
    }

    ngx_http_mobility_throttle_update(r, &si->user_key, 0);

    now = ngx_time();

    ngx_memcpy(t.sip, si->sip, si->sip_len);
    t.sip_len = si->sip_len;
    t.issued = now;
    t.expires = now + mmcf->token_lifetime;
    t.auth_gen = si->auth_gen;
    t.flags = 0;

    p = ngx_cpymem(buf, "{\"access_token\":\"", sizeof("{\"access_token\":\"")
                                                 - 1);

    n = ngx_mobility_token_mint(st, &t, now, NGX_HTTP_MOBILITY_KEY_ROTATE,
                                ngx_max(mmcf->token_lifetime,
                                        NGX_HTTP_MOBILITY_KEY_ROTATE),
                                p);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility sign-in: %s", st->err);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "server_error", NULL));
        return;
    }

    p = ngx_sprintf(p + n, "\",\"expires_in\":%T,"
                    "\"ms_rtc_identityscope\":\"local\","
                    "\"token_type\":\"Bearer\"}", mmcf->token_lifetime);

    ctx = ngx_http_mobility_get_ctx(r);
    if (ctx) {
        ngx_memcpy(ctx->identity.sip, si->sip, si->sip_len);
        ctx->identity.sip_len = si->sip_len;
        ctx->identity.issued = t.issued;
        ctx->identity.expires = t.expires;
        ctx->authenticated = 1;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "mobility sign-in succeeded for \"%*s\" from %V",
                  si->sip_len, si->sip, &r->connection->addr_text);

    if (ngx_http_mobility_add_header(r, "Cache-Control", &no_store)
        != NGX_OK
        || ngx_http_mobility_add_header(r, "Pragma", &no_cache) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_mobility_send(r, NGX_HTTP_OK, "application/json", buf,
                               p - buf));
}


static ngx_int_t
ngx_http_mobility_token_error(ngx_http_request_t *r, const char *error,
    const char *diagnostics)
{
    u_char                         *p, body[128];
    ngx_str_t                       diag;
    ngx_http_mobility_main_conf_t  *mmcf;

    static ngx_str_t  no_store = ngx_string("no-store");

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);

    if (diagnostics) {
        /* "28020;source=\"<fqdn>\";reason=..." */
        diag.len = ngx_strlen(diagnostics) + mmcf->server_fqdn.len
                   + sizeof(";source=\"\"");
        diag.data = ngx_pnalloc(r->pool, diag.len);
        if (diag.data == NULL) {
            return NGX_ERROR;
        }

        p = (u_char *) ngx_strchr(diagnostics, ';');
        p = ngx_cpymem(diag.data, diagnostics, p - (u_char *) diagnostics);
        p = ngx_sprintf(p, ";source=\"%V\"%s", &mmcf->server_fqdn,
                        ngx_strchr(diagnostics, ';'));
        diag.len = p - diag.data;

        if (ngx_http_mobility_add_header(r, "X-Ms-diagnostics", &diag)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_mobility_add_header(r, "Cache-Control", &no_store)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_sprintf(body, "{\"error\":\"%s\"}", error);

    return ngx_http_mobility_send(r,
               ngx_strcmp(error, "server_error") == 0
               ? NGX_HTTP_INTERNAL_SERVER_ERROR : NGX_HTTP_BAD_REQUEST,
               "application/json", body, p - body);
}


/* ------------------------------------------------------------------ */
/* the anonymous meeting grant                                        */


/*
 * The organizer of a joinUrl ("https://meet.<domain>/<user>/<id>"): the
 * user part and the domain of the host after "meet.", or any host when
 * only one domain would fit; OK or DECLINED.
 */
static ngx_int_t
ngx_http_mobility_anon_join_url(ngx_str_t *uri, ngx_str_t *user,
    u_char *out, size_t *len)
{
    u_char  *p, *host, *end;
    size_t   n;

    p = uri->data;
    end = uri->data + uri->len;

    n = (uri->len > 8 && ngx_strncasecmp(p, (u_char *) "https://", 8) == 0)
        ? 8 : 7;
    host = p + n;

    for (p = host; p < end && *p != '/' && *p != ':'; p++) {
        /* void */
    }

    if (p - host <= 5 || ngx_strncasecmp(host, (u_char *) "meet.", 5) != 0) {
        return NGX_DECLINED;
    }

    host += 5;

    if (user->len + 1 + (p - host) > NGX_MOBILITY_SIP_MAX) {
        return NGX_DECLINED;
    }

    out = ngx_cpymem(out, user->data, user->len);
    *out++ = '@';
    ngx_memcpy(out, host, p - host);

    *len = user->len + 1 + (p - host);

    return NGX_OK;
}


/*
 * grant_type=urn:microsoft.rtc:anonmeeting&password=<conference key>
 * &ms_rtc_conferenceuri=<meeting URI>[&ms_rtc_renew=<old token>]: a token
 * of one hour for an anonymous identity that may join that one meeting.
 * An unknown meeting, a wrong key, an expired meeting or one whose access
 * level keeps anonymous users out all get the same 400 invalid_grant.
 */
static void
ngx_http_mobility_anon_grant(ngx_http_request_t *r,
    ngx_http_mobility_grant_t *g)
{
    int                             n, rc;
    u_char                          buf[NGX_MOBILITY_TOKEN_MAX + 160], *p;
    u_char                          org[NGX_MOBILITY_SIP_MAX + 1];
    u_char                          canon[NGX_MOBILITY_SIP_MAX + 1];
    u_char                          anon[NGX_MOBILITY_MEETING_ANON_MAX];
    u_char                          dummy[NGX_MOBILITY_MEETING_KEY_LEN];
    u_char                          keybuf[NGX_MOBILITY_MEETING_KEY_LEN + 16];
    size_t                          olen, alen;
    time_t                          now;
    MDB_txn                        *txn;
    uint64_t                        now_ms;
    ngx_str_t                       organizer, id, key;
    ngx_uint_t                      joinurl, match;
    const char                     *reason;
    const u_char                   *domain;
    ngx_mobility_token_t            t, old;
    ngx_mobility_store_t           *st;
    ngx_mobility_user_t             u;
    ngx_mobility_meeting_t          m, fake;
    ngx_http_mobility_ctx_t        *ctx;
    ngx_http_mobility_signin_t     *si;
    ngx_http_mobility_main_conf_t  *mmcf;

    static ngx_str_t  no_store = ngx_string("no-store");
    static ngx_str_t  no_cache = ngx_string("no-cache");

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mobility_module);
    st = ngx_mobility_store_current();

    if (g->password.len == 0 || g->conference_uri.len == 0
        || g->conference_uri.len > 2 * NGX_MOBILITY_SIP_MAX
        || g->password.len > NGX_MOBILITY_MEETING_KEY_LEN + 16)
    {
        OPENSSL_cleanse(g->password.data, g->password.len);
        OPENSSL_cleanse(g->password_raw.data, g->password_raw.len);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_request", NULL));
        return;
    }

    /* the key lives on the stack from here on, never in the pool */

    key.data = keybuf;
    key.len = g->password.len;
    ngx_memcpy(keybuf, g->password.data, key.len);
    OPENSSL_cleanse(g->password.data, g->password.len);
    OPENSSL_cleanse(g->password_raw.data, g->password_raw.len);

    ctx = ngx_http_mobility_get_ctx(r);
    si = ngx_pcalloc(r->pool, sizeof(ngx_http_mobility_signin_t));

    if (ctx == NULL || si == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* throttling: per meeting URI as typed (lower case), per address */

    si->user_key.len = sizeof("m:") - 1 + g->conference_uri.len;
    si->user_key.data = ngx_pnalloc(r->pool, si->user_key.len);
    si->addr_key.len = sizeof("a:") - 1 + r->connection->addr_text.len;
    si->addr_key.data = ngx_pnalloc(r->pool, si->addr_key.len);

    if (si->user_key.data == NULL || si->addr_key.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_cpymem(si->user_key.data, "m:", 2);
    ngx_strlow(p, g->conference_uri.data, g->conference_uri.len);

    if (si->user_key.len > 255) {
        /* the throttle keys are at most 255 bytes */
        si->user_key.len = 255;
    }

    p = ngx_cpymem(si->addr_key.data, "a:", 2);
    ngx_memcpy(p, r->connection->addr_text.data,
               r->connection->addr_text.len);

    if (ngx_http_mobility_throttle_locked(r, &si->user_key,
                                          mmcf->lockout_failures)
        || ngx_http_mobility_throttle_locked(r, &si->addr_key,
                                             mmcf->lockout_address_failures))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "mobility sign-in: anonymous meeting grant refused "
                      "for \"%V\" from %V: locked out after repeated "
                      "failures", &g->conference_uri,
                      &r->connection->addr_text);

        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_grant",
                                          "28020;reason=\"Too many failed "
                                          "sign-in attempts; try again "
                                          "later.\""));
        return;
    }

    now = ngx_time();
    now_ms = (uint64_t) now * 1000;
    reason = NULL;
    olen = 0;
    alen = 0;
    id.len = 0;
    id.data = NULL;

    /* the meeting's organizer and id */

    if (ngx_mobility_meeting_parse_uri(g->conference_uri.data,
                                       g->conference_uri.len, &organizer,
                                       &id, &joinurl)
        != NGX_OK)
    {
        reason = "not a meeting URI";

    } else if (joinurl) {
        if (ngx_http_mobility_anon_join_url(&g->conference_uri, &organizer,
                                            org, &olen)
            != NGX_OK)
        {
            reason = "a join URL of an unknown host";
        }

    } else if (organizer.len <= NGX_MOBILITY_SIP_MAX) {
        ngx_memcpy(org, organizer.data, organizer.len);
        olen = organizer.len;

    } else {
        reason = "not a meeting URI";
    }

    if (reason == NULL) {
        n = ngx_mobility_sip_canon(org, olen, canon, &domain);

        if (n < 0) {
            reason = "not a meeting URI";

        } else {
            olen = n;
        }
    }

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility sign-in: %s", st->err);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "server_error", NULL));
        return;
    }

    ngx_memzero(&m, sizeof(ngx_mobility_meeting_t));

    rc = NGX_MOBILITY_NOTFOUND;

    if (reason == NULL) {
        rc = ngx_mobility_meeting_get(st, txn, canon, olen, id.data, id.len,
                                      &m);
        if (rc == NGX_MOBILITY_ERROR) {
            goto failed;
        }
    }

    /* the key is compared in constant time, a real key or not */

    if (rc != NGX_MOBILITY_OK) {
        ngx_memzero(&fake, sizeof(ngx_mobility_meeting_t));
        ngx_memset(dummy, '0', sizeof(dummy));
        fake.key.data = dummy;
        fake.key.len = sizeof(dummy);
        (void) ngx_mobility_meeting_key_match(&fake, key.data, key.len);

        if (reason == NULL) {
            reason = "no such meeting";
        }

        match = 0;

    } else {
        match = ngx_mobility_meeting_key_match(&m, key.data, key.len);
    }

    if (reason == NULL && !match) {
        reason = "a wrong conference key";
    }

    if (reason == NULL) {
        /* a removed or disabled organizer's meetings admit nobody */
        rc = ngx_mobility_user_get(st, txn, canon, olen, &u);
        if (rc == NGX_MOBILITY_ERROR) {
            goto failed;
        }

        if (rc != NGX_MOBILITY_OK || !u.enabled) {
            reason = "the organizer is not an enabled user";
        }
    }

    if (reason == NULL && m.expiration && m.expiration <= now_ms) {
        reason = "the meeting expired";
    }

    if (reason == NULL
        && ngx_mobility_meeting_admission(&m, NULL, 0)
           == NGX_MOBILITY_MEETING_DENY)
    {
        reason = "the access level of the meeting excludes anonymous users";
    }

    /* renewal keeps the identity of a live anonymous token */

    if (reason == NULL && g->renew.len) {
        rc = ngx_mobility_token_verify(st, txn, g->renew.data, g->renew.len,
                                       now, &old);
        if (rc == NGX_MOBILITY_ERROR) {
            goto failed;
        }

        if (rc != NGX_MOBILITY_OK
            || !(old.flags & NGX_MOBILITY_TOKEN_ANONYMOUS)
            || !ngx_mobility_meeting_is_anon(old.sip, old.sip_len))
        {
            reason = "the token to renew is not a valid anonymous token";

        } else {
            ngx_memcpy(anon, old.sip, old.sip_len);
            alen = old.sip_len;
        }
    }

    if (reason == NULL && alen == 0) {
        alen = ngx_mobility_meeting_anon_identity(anon);

        if (alen == 0) {
            ngx_snprintf((u_char *) st->err, sizeof(st->err),
                         "RAND_bytes() failed%Z");
            goto failed;
        }
    }

    if (reason) {
        mdb_txn_abort(txn);

        ngx_http_mobility_throttle_update(r, &si->user_key, 1);
        ngx_http_mobility_throttle_update(r, &si->addr_key, 1);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility sign-in: anonymous meeting grant refused "
                      "for \"%V\" from %V: %s", &g->conference_uri,
                      &r->connection->addr_text, reason);

        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "invalid_grant",
                                          "28020;reason=\"No valid security "
                                          "token.\""));
        return;
    }

    /* the grant is on disk before the answer */

    if (ngx_mobility_meeting_anon_grant(st, txn, anon, alen, m.organizer.data,
                                        m.organizer.len, m.id.data, m.id.len,
                                        now_ms
                                        + NGX_HTTP_MOBILITY_ANON_LIFETIME
                                          * 1000,
                                        now_ms)
        != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    if (ngx_mobility_store_commit(st, txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility sign-in: %s", st->err);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "server_error", NULL));
        return;
    }

    ngx_http_mobility_throttle_update(r, &si->user_key, 0);

    ngx_memcpy(t.sip, anon, alen);
    t.sip[alen] = '\0';
    t.sip_len = alen;
    t.issued = now;
    t.expires = now + NGX_HTTP_MOBILITY_ANON_LIFETIME;
    t.auth_gen = 0;
    t.flags = NGX_MOBILITY_TOKEN_ANONYMOUS;

    p = ngx_cpymem(buf, "{\"access_token\":\"", sizeof("{\"access_token\":\"")
                                                 - 1);

    n = ngx_mobility_token_mint(st, &t, now, NGX_HTTP_MOBILITY_KEY_ROTATE,
                                ngx_max(mmcf->token_lifetime,
                                        NGX_HTTP_MOBILITY_KEY_ROTATE),
                                p);
    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility sign-in: %s", st->err);
        ngx_http_finalize_request(r,
            ngx_http_mobility_token_error(r, "server_error", NULL));
        return;
    }

    p = ngx_sprintf(p + n, "\",\"expires_in\":%d,"
                    "\"ms_rtc_identityscope\":\"anonymous\","
                    "\"token_type\":\"Bearer\"}",
                    NGX_HTTP_MOBILITY_ANON_LIFETIME);

    ngx_memcpy(ctx->identity.sip, anon, alen);
    ctx->identity.sip[alen] = '\0';
    ctx->identity.sip_len = alen;
    ctx->identity.issued = t.issued;
    ctx->identity.expires = t.expires;
    ctx->identity.anonymous = 1;
    ctx->authenticated = 1;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "mobility sign-in: anonymous meeting grant%s for \"%*s\" "
                  "to meeting %V of \"%V\" from %V",
                  g->renew.len ? " renewed" : "", alen, anon, &id,
                  &organizer, &r->connection->addr_text);

    if (ngx_http_mobility_add_header(r, "Cache-Control", &no_store)
        != NGX_OK
        || ngx_http_mobility_add_header(r, "Pragma", &no_cache) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_mobility_send(r, NGX_HTTP_OK, "application/json", buf,
                               p - buf));
    return;

failed:

    mdb_txn_abort(txn);

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "mobility sign-in: %s", st->err);
    ngx_http_finalize_request(r,
        ngx_http_mobility_token_error(r, "server_error", NULL));
}


/* ------------------------------------------------------------------ */
/* token validation and the challenge                                 */


static ngx_int_t
ngx_http_mobility_find_token(ngx_http_request_t *r, ngx_uint_t sources,
    ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_str_t         name;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;
    ngx_uint_t        i;

    if ((sources & NGX_HTTP_MOBILITY_AUTH_BEARER)
        && r->headers_in.authorization)
    {
        p = r->headers_in.authorization->value.data;
        last = p + r->headers_in.authorization->value.len;

        if (last - p > 7 && ngx_strncasecmp(p, (u_char *) "Bearer ", 7) == 0)
        {
            p += 7;

            while (p < last && *p == ' ') {
                p++;
            }

            token->data = p;
            token->len = last - p;
            return NGX_OK;
        }
    }

    if (sources & NGX_HTTP_MOBILITY_AUTH_WEBTICKET) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */ ; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].key.len != sizeof("X-MS-WebTicket") - 1
                || ngx_strncasecmp(h[i].key.data, (u_char *) "X-MS-WebTicket",
                                   h[i].key.len) != 0)
            {
                continue;
            }

            p = h[i].value.data;
            last = p + h[i].value.len;

            if (last - p > 7 && ngx_strncasecmp(p, (u_char *) "opaque=", 7)
                                == 0)
            {
                token->data = p + 7;
                token->len = last - p - 7;
                return NGX_OK;
            }
        }
    }

    if (sources & NGX_HTTP_MOBILITY_AUTH_COOKIE) {
        ngx_str_set(&name, "cwt_ucwa");

#if (nginx_version >= 1023000)
        if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, &name,
                                              token)
            != NULL)
        {
            return NGX_OK;
        }
#else
        if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &name,
                                              token)
            != NGX_DECLINED)
        {
            return NGX_OK;
        }
#endif
    }

    return NGX_DECLINED;
}


/*
 * Verified tokens, per process (the "auth cache"): the token as sent, what
 * it decoded to, and the record of its user, valid while the store's
 * directory generation (meta "dir_gen", bumped in the write transaction of
 * every change to a user or a token key, by the modules and the CLI
 * alike) is the one it was filled under.  A hit skips the base64url
 * decoding, the key lookup and the MAC check, and the user's B-tree
 * lookup: the request reads one meta value instead.  Expiry, enablement
 * and auth_gen are still checked on every request.  4-way sets, two
 * choices of set a token (ngx_http_mobility_auth_set()), 1 KB an entry,
 * 16 MB allocated at the first use; only successful checks enter.
 */

#define NGX_HTTP_MOBILITY_AUTH_SETS       4096
#define NGX_HTTP_MOBILITY_AUTH_WAYS       4
#define NGX_HTTP_MOBILITY_AUTH_ENTRY      1024
#define NGX_HTTP_MOBILITY_AUTH_SIP_MAX    64
#define NGX_HTTP_MOBILITY_AUTH_TOKEN_MAX  208


typedef struct {
    uint64_t   gen;
    uint64_t   issued;
    uint64_t   expires;
    uint64_t   auth_gen;
    uint32_t   stamp;
    uint16_t   token_len;
    uint16_t   rec_len;
    u_char     flags;
    u_char     found;
    u_char     sip_len;
    u_char     sip[NGX_HTTP_MOBILITY_AUTH_SIP_MAX];
    u_char     token[NGX_HTTP_MOBILITY_AUTH_TOKEN_MAX];
} ngx_http_mobility_auth_head_t;


#define NGX_HTTP_MOBILITY_AUTH_REC_MAX                                        \
    (NGX_HTTP_MOBILITY_AUTH_ENTRY - sizeof(ngx_http_mobility_auth_head_t))


typedef struct {
    ngx_http_mobility_auth_head_t  h;
    u_char                         rec[NGX_HTTP_MOBILITY_AUTH_REC_MAX];
} ngx_http_mobility_auth_entry_t;


/*
 * A set's ways are found by their tags (16 bytes a set, 64 KB in all, so
 * they stay in the CPU's caches): a lookup reads one entry, not four.
 */
typedef struct {
    ngx_http_mobility_auth_entry_t  *entries;
    uint32_t                        *tags;
    ngx_uint_t                       failed;
    uint32_t                         stamp;
} ngx_http_mobility_auth_cache_t;


static ngx_http_mobility_auth_cache_t  ngx_http_mobility_auth_cache;


/*
 * The two sets a token may be in (their first ways' indexes) and its tag,
 * never 0.  Two choices of four ways: 10 000 tokens in 4 096 sets of one
 * choice overflowed a set for 6 % of them (Poisson, 2.4 a set), which
 * then evicted each other on every use; with the emptier of two sets
 * taken, a set overflows only near full load.
 */
static ngx_int_t
ngx_http_mobility_auth_set(ngx_str_t *token, ngx_uint_t *set, uint32_t *tag)
{
    uint64_t                         tail;
    ngx_http_mobility_auth_cache_t  *c;

    c = &ngx_http_mobility_auth_cache;

    if (c->entries == NULL) {
        if (c->failed) {
            return NGX_DECLINED;
        }

        /* zeroed pages, touched as entries are filled */

        c->entries = ngx_mobility_process_calloc(
                                        NGX_HTTP_MOBILITY_AUTH_SETS
                                        * NGX_HTTP_MOBILITY_AUTH_WAYS,
                                        sizeof(ngx_http_mobility_auth_entry_t));
        c->tags = ngx_mobility_process_calloc(NGX_HTTP_MOBILITY_AUTH_SETS
                                              * NGX_HTTP_MOBILITY_AUTH_WAYS,
                                              sizeof(uint32_t));

        if (c->entries == NULL || c->tags == NULL) {
            c->entries = NULL;
            c->failed = 1;
            return NGX_DECLINED;
        }
    }

    /* a token ends with its MAC: its last 8 characters are random */

    tail = 0;
    ngx_memcpy(&tail, token->data + token->len - ngx_min(token->len, 8),
               ngx_min(token->len, 8));

    tail = (tail ^ token->len) * 0x9e3779b97f4a7c15ULL;

    /* the tag and the two sets from distinct bits of the mixed value */

    set[0] = NGX_HTTP_MOBILITY_AUTH_WAYS
             * ((tail >> 40) & (NGX_HTTP_MOBILITY_AUTH_SETS - 1));
    set[1] = NGX_HTTP_MOBILITY_AUTH_WAYS
             * ((tail >> 52) & (NGX_HTTP_MOBILITY_AUTH_SETS - 1));
    *tag = (uint32_t) tail | 1;

    return NGX_OK;
}


/*
 * The entry a token would be in is loaded while the request reads the
 * store (the entries are 16 MB of random accesses: a miss to memory each)
 */
static ngx_int_t
ngx_http_mobility_auth_prefetch(ngx_str_t *token, ngx_uint_t *set,
    uint32_t *tag)
{
    u_char                          *p;
    ngx_uint_t                       i, k, n;
    ngx_http_mobility_auth_cache_t  *c;

    if (token->len == 0 || token->len > NGX_HTTP_MOBILITY_AUTH_TOKEN_MAX
        || ngx_http_mobility_auth_set(token, set, tag) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    c = &ngx_http_mobility_auth_cache;

    for (k = 0; k < 2; k++) {
        for (i = set[k]; i < set[k] + NGX_HTTP_MOBILITY_AUTH_WAYS; i++) {
            if (c->tags[i] != *tag) {
                continue;
            }

            /* the head: the record is read only when it is decoded */

            p = (u_char *) &c->entries[i];

            for (n = 0; n < sizeof(ngx_http_mobility_auth_head_t); n += 64) {
                __builtin_prefetch(p + n);
            }

            return NGX_OK;
        }
    }

    return NGX_OK;
}


/*
 * NGX_OK: the token was found under this generation and *t, *found are
 * set, and with a user *raw (its record copied into the pool, not
 * decoded: u is not touched); NGX_DECLINED: not
 * found; NGX_ABORT: found, but it expired
 */
static ngx_int_t
ngx_http_mobility_auth_cached(ngx_http_request_t *r, ngx_str_t *token,
    ngx_uint_t *set, uint32_t tag, uint64_t gen, ngx_mobility_token_t *t,
    ngx_mobility_user_t *u, ngx_str_t *raw, ngx_uint_t *found)
{
    ngx_uint_t                       i, k;
    ngx_http_mobility_auth_entry_t  *e;
    ngx_http_mobility_auth_cache_t  *c;

    c = &ngx_http_mobility_auth_cache;

    for (k = 0; k < 2; k++) {
        for (i = set[k]; i < set[k] + NGX_HTTP_MOBILITY_AUTH_WAYS; i++) {
            if (c->tags[i] != tag) {
                continue;
            }

            e = &c->entries[i];

            if (e->h.token_len == token->len && e->h.gen == gen
                && ngx_memcmp(e->h.token, token->data, token->len) == 0)
            {
                goto found;
            }
        }
    }

    return NGX_DECLINED;

found:

    if (e->h.expires <= (uint64_t) ngx_time()) {
        return NGX_ABORT;
    }

    e->h.stamp = ++c->stamp;

    ngx_memcpy(t->sip, e->h.sip, e->h.sip_len);
    t->sip[e->h.sip_len] = '\0';
    t->sip_len = e->h.sip_len;
    t->issued = e->h.issued;
    t->expires = e->h.expires;
    t->auth_gen = e->h.auth_gen;
    t->flags = e->h.flags;

    *found = 0;

    if (!e->h.found) {
        return NGX_OK;
    }

    /*
     * the record in the entry itself, neither copied nor read: it is
     * handed over only with the kept transaction of the request
     * (ngx_http_mobility_txn_take()), which the handler ends before it
     * returns to the event loop, and an entry is replaced only by the
     * check of another request's token.  It is decoded by whoever needs
     * more than the sip (txn_take()'s taker, GET me when the user's part
     * is not kept): an entry with a user was entered only after its
     * record passed the checks (enabled, the token's auth_gen), and the
     * same generation means the same record, so there is nothing to
     * check.
     */

    raw->data = e->rec;
    raw->len = e->h.rec_len;

    *found = 1;

    return NGX_OK;
}


static void
ngx_http_mobility_auth_remember(ngx_str_t *token, ngx_uint_t *set,
    uint32_t tag, uint64_t gen, ngx_mobility_token_t *t, MDB_val *rec,
    ngx_uint_t found)
{
    ngx_uint_t                       i, k, way, lru;
    ngx_http_mobility_auth_entry_t  *e;
    ngx_http_mobility_auth_cache_t  *c;

    if (t->sip_len > NGX_HTTP_MOBILITY_AUTH_SIP_MAX
        || (found && rec->mv_size > NGX_HTTP_MOBILITY_AUTH_REC_MAX))
    {
        return;
    }

    c = &ngx_http_mobility_auth_cache;

    /*
     * the token's own entry of an older generation, else a free way of
     * either set, else the way of the two sets used least recently
     */

    way = NGX_CONF_UNSET_UINT;
    lru = set[0];

    for (k = 0; k < 2 && way == NGX_CONF_UNSET_UINT; k++) {
        for (i = set[k]; i < set[k] + NGX_HTTP_MOBILITY_AUTH_WAYS; i++) {
            if (c->tags[i] == tag
                && c->entries[i].h.token_len == token->len
                && ngx_memcmp(c->entries[i].h.token, token->data, token->len)
                   == 0)
            {
                way = i;
                break;
            }

            if (c->entries[i].h.stamp < c->entries[lru].h.stamp) {
                lru = i;
            }
        }
    }

    for (k = 0; k < 2 && way == NGX_CONF_UNSET_UINT; k++) {
        for (i = set[k]; i < set[k] + NGX_HTTP_MOBILITY_AUTH_WAYS; i++) {
            if (c->tags[i] == 0) {
                way = i;
                break;
            }
        }
    }

    if (way == NGX_CONF_UNSET_UINT) {
        way = lru;
    }

    e = &c->entries[way];

    e->h.gen = gen;
    e->h.issued = t->issued;
    e->h.expires = t->expires;
    e->h.auth_gen = t->auth_gen;
    e->h.flags = (u_char) t->flags;
    e->h.found = found ? 1 : 0;
    e->h.sip_len = (u_char) t->sip_len;
    ngx_memcpy(e->h.sip, t->sip, t->sip_len);
    e->h.token_len = (uint16_t) token->len;
    ngx_memcpy(e->h.token, token->data, token->len);
    e->h.rec_len = found ? (uint16_t) rec->mv_size : 0;

    if (found) {
        ngx_memcpy(e->rec, rec->mv_data, rec->mv_size);
    }

    e->h.stamp = ++c->stamp;
    c->tags[way] = tag;
}


static ngx_int_t
ngx_http_mobility_authenticate_txn(ngx_http_request_t *r, ngx_uint_t sources,
    ngx_http_mobility_identity_t **id, ngx_uint_t keep)
{
    int                       rc;
    MDB_val                   rec;
    MDB_txn                  *txn;
    uint32_t                  tag;
    uint64_t                  gen;
    ngx_int_t                 cached;
    ngx_uint_t                cacheable, set[2];
    ngx_str_t                 token;
    ngx_uint_t                found;
    ngx_mobility_user_t      *u;
    ngx_mobility_token_t      t;
    ngx_mobility_store_t     *st;
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_mobility_get_ctx(r->main);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->authenticated) {
        *id = &ctx->identity;
        return NGX_OK;
    }

    if (ngx_http_mobility_find_token(r, sources, &token) != NGX_OK) {
        return NGX_DECLINED;
    }

    st = ngx_mobility_store_current();
    if (st == NULL) {
        return NGX_ERROR;
    }

    /* the token's sets and tag, its entry loaded while the store is read */
    tag = 0;
    set[0] = 0;
    set[1] = 0;
    cacheable = (ngx_http_mobility_auth_prefetch(&token, set, &tag)
                 == NGX_OK);

    if (ngx_mobility_store_read(st, &txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility auth: %s", st->err);
        return NGX_ERROR;
    }

    u = &ctx->user;
    found = 0;

    if (ngx_mobility_store_read_dir_gen(st, txn, &gen) != 0) {
        ngx_mobility_store_read_end(st, txn);
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility auth: %s", st->err);
        return NGX_ERROR;
    }

    ctx->user_rec.len = 0;

    cached = cacheable
             ? ngx_http_mobility_auth_cached(r, &token, set, tag, gen, &t, u,
                                             &ctx->user_rec, &found)
             : NGX_DECLINED;

    if (cached == NGX_OK) {
        /* the same user record as when it was entered: it passed then */
        rc = NGX_MOBILITY_OK;
        goto checked;
    }

    if (cached == NGX_ABORT) {
        rc = NGX_MOBILITY_NOTFOUND;
        goto checked;
    }

    rec.mv_size = 0;
    rec.mv_data = NULL;

    /* a P-GET's token enters neither cache (W4) */
    rc = ngx_mobility_token_verify_seen(st, txn, token.data, token.len,
                                        ngx_time(), &t,
                                        !ctx->auth_transient);

    if (rc == NGX_MOBILITY_OK && !(t.flags & NGX_MOBILITY_TOKEN_ANONYMOUS)) {
        rc = ngx_mobility_user_get_raw(st, txn, t.sip, t.sip_len, u, &rec);

        if (rc == NGX_MOBILITY_OK
            && (!u->enabled || u->auth_gen != t.auth_gen))
        {
            /* disabled, or the password changed: the token is revoked */
            rc = NGX_MOBILITY_NOTFOUND;

        } else if (rc == NGX_MOBILITY_NOTFOUND) {
            /* a valid token for a user no longer in the directory */
            rc = NGX_MOBILITY_OK;

        } else if (rc == NGX_MOBILITY_OK) {
            found = 1;
        }
    }

    if (rc == NGX_MOBILITY_OK && !ctx->auth_transient) {
        if (cacheable) {
            ngx_http_mobility_auth_remember(&token, set, tag, gen, &t, &rec,
                                            found);
        }
    }

checked:

    if (rc == NGX_MOBILITY_OK && keep) {
        ctx->txn = txn;
        ctx->user_found = found;
        ctx->dir_gen = gen;

    } else {
        ngx_mobility_store_read_end(st, txn);

        /* it is valid only with the kept transaction */
        ctx->user_rec.len = 0;
    }

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "mobility auth: %s", st->err);
        return NGX_ERROR;
    }

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "mobility auth: invalid, expired or revoked token");
        return NGX_DECLINED;
    }

    ngx_memcpy(ctx->identity.sip, t.sip, t.sip_len + 1);
    ctx->identity.sip_len = t.sip_len;
    ctx->identity.issued = t.issued;
    ctx->identity.expires = t.expires;
    ctx->identity.anonymous = (t.flags & NGX_MOBILITY_TOKEN_ANONYMOUS) ? 1 : 0;
    ctx->identity.token = token;
    ctx->authenticated = 1;

    *id = &ctx->identity;

    return NGX_OK;
}


ngx_int_t
ngx_http_mobility_authenticate(ngx_http_request_t *r, ngx_uint_t sources,
    ngx_http_mobility_identity_t **id)
{
    return ngx_http_mobility_authenticate_txn(r, sources, id, 0);
}


ngx_int_t
ngx_http_mobility_authenticate_keep(ngx_http_request_t *r,
    ngx_uint_t sources, ngx_http_mobility_identity_t **id)
{
    return ngx_http_mobility_authenticate_txn(r, sources, id, 1);
}


void
ngx_http_mobility_auth_transient(ngx_http_request_t *r)
{
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_mobility_get_ctx(r->main);

    if (ctx) {
        ctx->auth_transient = 1;
    }
}


MDB_txn *
ngx_http_mobility_txn_take(ngx_http_request_t *r, ngx_mobility_user_t **user,
    ngx_str_t *raw, uint64_t *dir_gen)
{
    MDB_txn                  *txn;
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mobility_module);

    if (ctx == NULL || ctx->txn == NULL) {
        return NULL;
    }

    *user = ctx->user_found ? &ctx->user : NULL;
    *dir_gen = ctx->dir_gen;
    raw->len = 0;

    if (ctx->user_found && ctx->user_rec.len) {
        /* an auth cache hit: the record's key is the token's sip */
        ctx->user.sip.data = ctx->identity.sip;
        ctx->user.sip.len = ctx->identity.sip_len;
        *raw = ctx->user_rec;
    }

    txn = ctx->txn;
    ctx->txn = NULL;
    ctx->user_found = 0;

    return txn;
}


void
ngx_http_mobility_txn_end(ngx_http_request_t *r)
{
    ngx_mobility_store_t     *st;
    ngx_http_mobility_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_mobility_module);

    if (ctx == NULL || ctx->txn == NULL) {
        return;
    }

    st = ngx_mobility_store_current();

    if (st) {
        ngx_mobility_store_read_end(st, ctx->txn);

    } else {
        mdb_txn_abort(ctx->txn);
    }

    ctx->txn = NULL;
    ctx->user_found = 0;
}


ngx_int_t
ngx_http_mobility_send_challenge(ngx_http_request_t *r)
{
    u_char     *p;
    ngx_str_t   base, auth, ticket;

    static u_char  body[] =
        "<!DOCTYPE html>" CRLF
        "<html><head><title>401 - Unauthorized</title></head>" CRLF
        "<body><h1>401 - Unauthorized: Access is denied due to invalid "
        "credentials.</h1></body></html>" CRLF;

    if (ngx_http_mobility_web_base(r, ngx_http_mobility_access(r), &base)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    auth.len = sizeof("MsRtcOAuth href=\"/WebTicket/oauthtoken\","
                      "grant_type=\"urn:microsoft.rtc:anonmeeting,"
                      "password\"") - 1 + base.len;
    ticket.len = sizeof("/WebTicket/WebTicketService.svc") - 1 + base.len;

    auth.data = ngx_pnalloc(r->pool, auth.len + ticket.len);
    if (auth.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(auth.data, "MsRtcOAuth href=\"%V/WebTicket/oauthtoken\","
                    "grant_type=\"urn:microsoft.rtc:anonmeeting,password\"",
                    &base);
    auth.len = p - auth.data;

    ticket.data = p;
    p = ngx_sprintf(p, "%V/WebTicket/WebTicketService.svc", &base);
    ticket.len = p - ticket.data;

    if (ngx_http_mobility_add_header(r, "WWW-Authenticate", &auth) != NGX_OK
        || ngx_http_mobility_add_header(r, "X-MS-WebTicketURL", &ticket)
           != NGX_OK
        || ngx_http_mobility_nocache_headers(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_mobility_send(r, NGX_HTTP_UNAUTHORIZED, "text/html",
                                  body, sizeof(body) - 1);
}
