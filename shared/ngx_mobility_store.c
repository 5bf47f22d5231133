/*
 * Copyright (C) The nginx mobility authors
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ngx_mobility_store.h"
#include "ngx_mobility_record.h"


const char *ngx_mobility_db_names[NGX_MOBILITY_DB_COUNT] = {
    "meta",
    "users",
    "user_email",
    "domains",
    "keys",
    "workers",
    "ucwa_apps",
    "ucwa_user_apps",
    "ucwa_users",
    "event_channels",
    "events",
    "presence",
    "presence_endpoints",
    "presence_due",
    "photos",
    "mobility_policies",
    "mcx_config",
    "push_config",
    "audit",
    "user_search",
    "contact_groups",
    "contact_members",
    "presence_subscriptions",
    "presence_watchers",
    "conversations",
    "push_registrations",
    "push_queue",
    "missed_items",
    "conversation_logs",
    "meetings",
};


static int ngx_mobility_store_meta_put(ngx_mobility_store_t *st,
    MDB_txn *txn, const char *key, u_char *buf, size_t len, const char *what);


/* sub-databases with sorted duplicates */
static const unsigned  ngx_mobility_db_flags[NGX_MOBILITY_DB_COUNT] = {
    [NGX_MOBILITY_DB_USER_SEARCH] = MDB_DUPSORT,
};


int
ngx_mobility_store_fail(ngx_mobility_store_t *st, const char *what, int rc)
{
    if (rc == MDB_MAP_FULL) {
        snprintf(st->err, sizeof(st->err),
                 "%s: the store is full (map size %zu bytes); raise "
                 "\"size=\" of mobility_store (or --size of mobilityctl)",
                 what, st->map_size);

    } else {
        snprintf(st->err, sizeof(st->err), "%s: %s", what, mdb_strerror(rc));
    }

    return -1;
}


static int
ngx_mobility_store_mkdir(ngx_mobility_store_t *st, const char *path)
{
    char         buf[4096];
    size_t       len, i;
    struct stat  sb;

    len = strlen(path);

    if (len == 0 || len >= sizeof(buf)) {
        snprintf(st->err, sizeof(st->err), "invalid store path \"%.256s\"",
                 path);
        return -1;
    }

    memcpy(buf, path, len + 1);

    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }

        buf[i] = '\0';

        if (mkdir(buf, 0700) == -1 && errno != EEXIST) {
            snprintf(st->err, sizeof(st->err),
                     "cannot create store directory \"%.256s\": %s",
                     buf, strerror(errno));
            return -1;
        }

        buf[i] = (i == len) ? '\0' : '/';
    }

    if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
        snprintf(st->err, sizeof(st->err),
                 "store path \"%.256s\" is not a directory", path);
        return -1;
    }

    return 0;
}


int
ngx_mobility_store_open(ngx_mobility_store_t *st, const char *path,
    size_t map_size, ngx_mobility_durability_e durability, int readonly)
{
    int           rc, i;
    MDB_txn      *txn;
    unsigned int  flags;
    uint32_t      format;
    MDB_envinfo   info;

    memset(st, 0, sizeof(ngx_mobility_store_t));
    st->map_size = map_size ? map_size : NGX_MOBILITY_STORE_DEFAULT_SIZE;
    st->readonly = readonly ? 1 : 0;

    if (!readonly && ngx_mobility_store_mkdir(st, path) != 0) {
        return -1;
    }

    rc = mdb_env_create(&st->env);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "mdb_env_create()", rc);
    }

    mdb_env_set_maxdbs(st->env, 64);
    mdb_env_set_maxreaders(st->env, 512);

    rc = mdb_env_set_mapsize(st->env, st->map_size);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "mdb_env_set_mapsize()", rc);
        goto failed;
    }

    /*
     * MDB_NOTLS: read transactions are owned by the caller, not by the
     * thread, so nginx's thread pools may read as well.
     */
    flags = MDB_NOTLS;

    if (readonly) {
        flags |= MDB_RDONLY;
    }

    switch (durability) {
    case NGX_MOBILITY_DURABLE_NOMETASYNC:
        flags |= MDB_NOMETASYNC;
        break;
    case NGX_MOBILITY_DURABLE_RELAXED:
        flags |= MDB_NOSYNC;
        break;
    default:
        break;
    }

    rc = mdb_env_open(st->env, path, flags, 0600);
    if (rc != 0) {
        snprintf(st->err, sizeof(st->err),
                 "cannot open store \"%.256s\": %s", path, mdb_strerror(rc));
        goto failed;
    }

    /*
     * The map size is the caller's: nginx uses its "size=" (LMDB grows it
     * to what is already used, never below), the CLI passes the larger of
     * the file's and its own.  Record what is in force for messages.
     */
    if (mdb_env_info(st->env, &info) == 0) {
        st->map_size = info.me_mapsize;
    }

    rc = mdb_reader_check(st->env, NULL);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "mdb_reader_check()", rc);
        goto failed;
    }

    rc = mdb_txn_begin(st->env, NULL, readonly ? MDB_RDONLY : 0, &txn);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "mdb_txn_begin()", rc);
        goto failed;
    }

    for (i = 0; i < NGX_MOBILITY_DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, ngx_mobility_db_names[i],
                          (readonly ? 0 : MDB_CREATE)
                          | ngx_mobility_db_flags[i], &st->dbi[i]);
        if (rc != 0) {
            mdb_txn_abort(txn);
            snprintf(st->err, sizeof(st->err),
                     "cannot open sub-database \"%s\" of store \"%.256s\": %s",
                     ngx_mobility_db_names[i], path, mdb_strerror(rc));
            goto failed;
        }
    }

    format = ngx_mobility_store_meta_u32(st, txn, NGX_MOBILITY_META_FORMAT,
                                         0);

    if (format > NGX_MOBILITY_STORE_FORMAT) {
        mdb_txn_abort(txn);
        snprintf(st->err, sizeof(st->err),
                 "store \"%.256s\" was written in format %u by a newer build; "
                 "this build reads formats up to %u", path, format,
                 NGX_MOBILITY_STORE_FORMAT);
        goto failed;
    }

    if (!readonly && format != NGX_MOBILITY_STORE_FORMAT) {
        if (ngx_mobility_store_set_meta_u32(st, txn,
                                            NGX_MOBILITY_META_FORMAT,
                                            NGX_MOBILITY_STORE_FORMAT)
            != 0)
        {
            mdb_txn_abort(txn);
            goto failed;
        }
    }

    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "initialising the store", rc);
        goto failed;
    }

    return 0;

failed:

    mdb_env_close(st->env);
    st->env = NULL;

    return -1;
}


void
ngx_mobility_store_close(ngx_mobility_store_t *st)
{
    if (st->parked) {
        mdb_txn_abort(st->parked);
        st->parked = NULL;
    }

    st->on_park = NULL;

    if (st->spare) {
        mdb_txn_abort(st->spare);
        st->spare = NULL;
    }

    if (st->env) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
}


int
ngx_mobility_store_reader_check(ngx_mobility_store_t *st)
{
    int  dead, rc;

    rc = mdb_reader_check(st->env, &dead);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "mdb_reader_check()", rc);
    }

    return dead;
}


int
ngx_mobility_store_begin(ngx_mobility_store_t *st, MDB_txn **txn, int write)
{
    int  rc;

    rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, txn);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "mdb_txn_begin()", rc);
    }

    return 0;
}


int
ngx_mobility_store_read(ngx_mobility_store_t *st, MDB_txn **txn)
{
    int          rc;
    MDB_txn     *t;
    MDB_envinfo  info;

    t = st->parked;

    if (t) {
        st->parked = NULL;

        /*
         * the newest committed snapshot still: what a renewal would give
         * (a commit between the check and the reads is as a commit just
         * after a renewal); the meta pages read by mdb_env_info() are
         * written before a commit ends
         */

        if (mdb_env_info(st->env, &info) == 0
            && info.me_last_txnid == mdb_txn_id(t))
        {
            *txn = t;
            return 0;
        }

        mdb_txn_reset(t);

        rc = mdb_txn_renew(t);
        if (rc == 0) {
            *txn = t;
            return 0;
        }

        mdb_txn_abort(t);
    }

    t = st->spare;

    if (t) {
        st->spare = NULL;

        rc = mdb_txn_renew(t);
        if (rc == 0) {
            *txn = t;
            return 0;
        }

        mdb_txn_abort(t);
    }

    return ngx_mobility_store_begin(st, txn, 0);
}


void
ngx_mobility_store_read_end(ngx_mobility_store_t *st, MDB_txn *txn)
{
    if (st->on_park && st->parked == NULL) {
        st->parked = txn;
        st->on_park(st->park_data);
        return;
    }

    if (st->spare == NULL) {
        mdb_txn_reset(txn);
        st->spare = txn;
        return;
    }

    mdb_txn_abort(txn);
}


void
ngx_mobility_store_read_release(ngx_mobility_store_t *st)
{
    MDB_txn  *t;

    t = st->parked;

    if (t == NULL) {
        return;
    }

    st->parked = NULL;

    if (st->spare == NULL) {
        mdb_txn_reset(t);
        st->spare = t;
        return;
    }

    mdb_txn_abort(t);
}


int
ngx_mobility_store_commit(ngx_mobility_store_t *st, MDB_txn *txn)
{
    int  rc;

    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "mdb_txn_commit()", rc);
    }

    return 0;
}


int
ngx_mobility_store_commit_lazy(ngx_mobility_store_t *st, MDB_txn *txn)
{
    int           rc;
    unsigned int  flags;

    /*
     * Nothing to switch when the environment does not sync anyway
     * (durability=relaxed); MDB_NOSYNC is a flag LMDB lets change on an
     * open environment, read by the commit, and the write transaction is this
     * thread's (nginx runs its write transactions on the event loop: one
     * writer thread per process; the thread pool only reads or, with
     * durability=relaxed where nothing is switched, flushes).
     */

    if (st->lazy_flag == 0
        || mdb_env_get_flags(st->env, &flags) != 0
        || (flags & (MDB_NOSYNC|st->lazy_flag)))
    {
        return ngx_mobility_store_commit(st, txn);
    }

    rc = mdb_env_set_flags(st->env, st->lazy_flag, 1);
    if (rc != 0) {
        return ngx_mobility_store_commit(st, txn);
    }

    rc = mdb_txn_commit(txn);

    (void) mdb_env_set_flags(st->env, st->lazy_flag, 0);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "mdb_txn_commit()", rc);
    }

    return 0;
}


int
ngx_mobility_store_backup(ngx_mobility_store_t *st, const char *path)
{
    int                   rc;
    mode_t                mask;
    MDB_txn              *txn;
    struct stat           sb;
    ngx_mobility_store_t  copy;
    char                  data[4096];

    if (snprintf(data, sizeof(data), "%s/data.mdb", path)
        >= (int) sizeof(data))
    {
        snprintf(st->err, sizeof(st->err), "invalid backup path \"%.256s\"",
                 path);
        return -1;
    }

    if (stat(data, &sb) == 0) {
        snprintf(st->err, sizeof(st->err),
                 "\"%.256s\" holds a store already; back up into a new "
                 "directory", path);
        return -1;
    }

    if (ngx_mobility_store_mkdir(st, path) != 0) {
        return -1;
    }

    /*
     * one read transaction of the live store: a consistent copy; password
     * hashes and keys are as private as the store itself from the start
     */

    mask = umask(077);
    rc = mdb_env_copy2(st->env, path, MDB_CP_COMPACT);
    (void) umask(mask);

    if (rc != 0) {
        snprintf(st->err, sizeof(st->err), "copying the store to "
                 "\"%.256s\": %s", path, mdb_strerror(rc));
        return -1;
    }

    (void) chmod(data, 0600);

    /*
     * The copy is behind the clients of the live store (its channels
     * may lack the releases made after the copy): the first nginx start
     * on it recovers them, as after an operating-system crash.
     */

    if (ngx_mobility_store_open(&copy, path, st->map_size,
                                NGX_MOBILITY_DURABLE_FULL, 0)
        != 0)
    {
        memcpy(st->err, copy.err, sizeof(st->err));
        return -1;
    }

    if (ngx_mobility_store_begin(&copy, &txn, 1) != 0) {
        goto failed;
    }

    if (ngx_mobility_store_set_meta_str(&copy, txn,
                                        NGX_MOBILITY_META_BOOT_ID,
                                        NGX_MOBILITY_BOOT_ID_RESTORED)
        != 0)
    {
        mdb_txn_abort(txn);
        goto failed;
    }

    if (ngx_mobility_store_commit(&copy, txn) != 0) {
        goto failed;
    }

    ngx_mobility_store_close(&copy);

    return 0;

failed:

    memcpy(st->err, copy.err, sizeof(st->err));
    ngx_mobility_store_close(&copy);

    return -1;
}


int
ngx_mobility_store_meta_str(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, char *buf, size_t size)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &v);

    if (rc == MDB_NOTFOUND) {
        buf[0] = '\0';
        return 0;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading store settings", rc);
    }

    if (v.mv_size == 0 || v.mv_size >= size) {
        snprintf(st->err, sizeof(st->err), "store setting \"%s\" is corrupt",
                 key);
        return -1;
    }

    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';

    return (int) v.mv_size;
}


int
ngx_mobility_store_set_meta_str(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, const char *value)
{
    return ngx_mobility_store_meta_put(st, txn, key, (u_char *) value,
                                       strlen(value),
                                       "writing store settings");
}


uint32_t
ngx_mobility_store_meta_u32(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, uint32_t dflt)
{
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);

    if (mdb_get(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &v) != 0
        || v.mv_size != 4)
    {
        return dflt;
    }

    return ngx_mobility_le32(v.mv_data);
}


int
ngx_mobility_store_set_meta_u32(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, uint32_t v)
{
    u_char  buf[4];

    ngx_mobility_put_le32(buf, v);

    return ngx_mobility_store_meta_put(st, txn, key, buf, 4,
                                       "writing store settings");
}


static int
ngx_mobility_store_meta_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, u_char *buf, size_t len, const char *what)
{
    int      rc;
    MDB_val  k, d;

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);
    d.mv_data = buf;
    d.mv_size = len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &d, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, what, rc);
    }

    return 0;
}


/*
 * The directory generation: 0 when absent (a store that never had a user
 * or key change since it existed); -1 and st->err on a store error.
 */
int
ngx_mobility_store_dir_gen(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *gen)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = (void *) NGX_MOBILITY_META_DIR_GEN;
    k.mv_size = sizeof(NGX_MOBILITY_META_DIR_GEN) - 1;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_META], &k, &v);

    if (rc == MDB_NOTFOUND) {
        *gen = 0;
        return 0;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading the directory generation",
                                       rc);
    }

    if (v.mv_size != 8) {
        snprintf(st->err, sizeof(st->err),
                 "the directory generation is corrupt");
        return -1;
    }

    *gen = ngx_mobility_le64(v.mv_data);

    return 0;
}


int
ngx_mobility_store_read_dir_gen(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *gen)
{
    size_t  id;

    /*
     * Only for read-only transactions: a write transaction has the id its
     * commit will have, and an aborted one leaves that id to the next.
     * Readers of the same id see the same committed pages.
     */

    id = mdb_txn_id(txn);

    if (st->gen_known && st->gen_txnid == id) {
        *gen = st->gen;
        return 0;
    }

    if (ngx_mobility_store_dir_gen(st, txn, gen) != 0) {
        return -1;
    }

    st->gen_known = 1;
    st->gen_txnid = id;
    st->gen = *gen;

    return 0;
}


/*
 * Called in the write transaction of every change to a user record or
 * to the token keys, by the nginx modules and the CLI alike: a worker
 * that sees the same generation knows that no user and no key changed.
 */
int
ngx_mobility_store_dir_gen_bump(ngx_mobility_store_t *st, MDB_txn *txn)
{
    u_char    buf[8];
    uint64_t  gen;

    if (ngx_mobility_store_dir_gen(st, txn, &gen) != 0) {
        return -1;
    }

    ngx_mobility_put_le64(buf, gen + 1);

    return ngx_mobility_store_meta_put(st, txn, NGX_MOBILITY_META_DIR_GEN,
                                       buf, 8,
                                       "writing the directory generation");
}


unsigned
ngx_mobility_store_usage(ngx_mobility_store_t *st)
{
    MDB_stat     stat;
    MDB_envinfo  info;

    if (mdb_env_info(st->env, &info) != 0
        || mdb_env_stat(st->env, &stat) != 0
        || info.me_mapsize == 0)
    {
        return 0;
    }

    return (unsigned) ((info.me_last_pgno + 1) * (uint64_t) stat.ms_psize
                       * 100 / info.me_mapsize);
}
