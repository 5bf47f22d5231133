/*
 * Copyright (C) The nginx mobility authors
 *
 * The mobility store: one LMDB environment with named sub-databases.
 * Plain C, shared by the nginx modules and the admin CLI.  An environment
 * is used only by the process that opened it (LMDB forbids use across
 * fork()), so nginx opens it in the master to validate it, closes it, and
 * opens it again in every worker.
 */

#ifndef _NGX_MOBILITY_STORE_H_INCLUDED_
#define _NGX_MOBILITY_STORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <lmdb.h>


/*
 * Store format: bumped only for changes an older build cannot read
 * by skipping unknown record fields.  A store written by a newer format
 * is refused at startup.
 */
#define NGX_MOBILITY_STORE_FORMAT        1

#define NGX_MOBILITY_STORE_ERRLEN        512
#define NGX_MOBILITY_STORE_DEFAULT_SIZE  (256 * 1024 * 1024)

/* meta keys */
#define NGX_MOBILITY_META_FORMAT         "format"
#define NGX_MOBILITY_META_PW_ITERATIONS  "password_iterations"
#define NGX_MOBILITY_META_INSTANCE       "instance"
/* u64 LE, bumped in the write transaction of every change to users and
 * token keys (ngx_mobility_store_dir_gen_bump()): what the per-worker
 * cache of verified tokens is validated by */
#define NGX_MOBILITY_META_DIR_GEN        "dir_gen"
/* the kernel's boot id when nginx last started on the store (text, up to
 * 64 bytes; "restored" in a copy made by mobilityctl backup): a different
 * one means an operating-system restart, which may have lost the release
 * batches committed without a sync (ngx_mobility_store_commit_lazy()) */
#define NGX_MOBILITY_META_BOOT_ID        "boot_id"
#define NGX_MOBILITY_BOOT_ID_RESTORED    "restored"
#define NGX_MOBILITY_BOOT_ID_MAX         64
#define NGX_MOBILITY_BOOT_ID_FILE        "/proc/sys/kernel/random/boot_id"


typedef enum {
    NGX_MOBILITY_DB_META = 0,     /* store settings: format, costs      */
    NGX_MOBILITY_DB_USERS,        /* "user@domain" -> user record        */
    NGX_MOBILITY_DB_USER_EMAIL,   /* lower-case e-mail -> "user@domain"  */
    NGX_MOBILITY_DB_DOMAINS,      /* "domain" -> domain record           */
    NGX_MOBILITY_DB_KEYS,         /* key id (u32 BE) -> token key record */
    NGX_MOBILITY_DB_WORKERS,      /* pid (u32 BE) -> live worker record  */
    NGX_MOBILITY_DB_UCWA_APPS,    /* UCWA application id -> application  */
    NGX_MOBILITY_DB_UCWA_USER_APPS, /* "user@domain" NUL id -> ""        */
    NGX_MOBILITY_DB_UCWA_USERS,   /* "user@domain" -> UCWA user settings */
    NGX_MOBILITY_DB_EVCHANS,      /* endpoint key -> event channel       */
    NGX_MOBILITY_DB_EVENTS,       /* klen(u8) key seq(u64 BE) -> event   */
    NGX_MOBILITY_DB_PRESENCE,     /* "user@domain" -> presence record    */
    NGX_MOBILITY_DB_PRESENCE_EPS, /* "user@domain" NUL endpoint -> state */
    NGX_MOBILITY_DB_PRESENCE_DUE, /* due ms (u64 BE) "user@domain" -> "" */
    NGX_MOBILITY_DB_PHOTOS,       /* "user@domain" -> photo record       */
    NGX_MOBILITY_DB_MOBILITY_POLICIES, /* "global", "site:x", "tag:x"    */
    NGX_MOBILITY_DB_MCX_CONFIG,   /* "global", "site:x" -> MCX settings  */
    NGX_MOBILITY_DB_PUSH_CONFIG,  /* "global", "site:x" -> push settings */
    NGX_MOBILITY_DB_AUDIT,        /* ms(u64 BE) seq(u32 BE) -> change    */
    NGX_MOBILITY_DB_USER_SEARCH,  /* dupsort: search token -> sip        */
    NGX_MOBILITY_DB_CONTACT_GROUPS, /* owner NUL gid(u32 BE) -> group    */
    NGX_MOBILITY_DB_CONTACT_MEMBERS, /* owner NUL gid(u32 BE) sip -> ""  */
    NGX_MOBILITY_DB_PRESENCE_SUBS, /* app NUL sub [NUL target] -> expiry */
    NGX_MOBILITY_DB_PRESENCE_WATCHERS, /* target NUL app NUL sub -> expiry */
    NGX_MOBILITY_DB_CONVERSATIONS, /* "c" id -> conversation,
                                     "m" id NUL seq(u64 BE) -> message  */
    NGX_MOBILITY_DB_PUSH_REGISTRATIONS, /* push targets of users       */
    NGX_MOBILITY_DB_PUSH_QUEUE,   /* pushes waiting to be sent           */
    NGX_MOBILITY_DB_MISSED_ITEMS, /* missed conversations of users       */
    NGX_MOBILITY_DB_CONVERSATION_LOGS, /* conversation history of users  */
    NGX_MOBILITY_DB_MEETINGS,     /* scheduled online meetings (meetings.h) */
    /* append new sub-databases here (and to ngx_mobility_db_names) */
    NGX_MOBILITY_DB_COUNT
} ngx_mobility_db_e;


typedef enum {
    NGX_MOBILITY_DURABLE_FULL = 0,
    NGX_MOBILITY_DURABLE_NOMETASYNC,
    NGX_MOBILITY_DURABLE_RELAXED
} ngx_mobility_durability_e;


/*
 * How ngx_mobility_store_commit_lazy() commits (mobility_store
 * releases=): as any commit, or without a sync.
 */
typedef enum {
    NGX_MOBILITY_RELEASES_SYNC = 0,
    NGX_MOBILITY_RELEASES_NOSYNC
} ngx_mobility_releases_e;


typedef struct {
    MDB_env   *env;
    MDB_dbi    dbi[NGX_MOBILITY_DB_COUNT];
    size_t     map_size;
    unsigned   readonly:1;
    MDB_txn   *spare;     /* a reset read transaction, kept for reuse */
    MDB_txn   *parked;    /* an ended read transaction, not yet reset */
    void     (*on_park)(void *data);   /* a park to release later */
    void      *park_data;
    unsigned   gen_known:1;
    size_t     gen_txnid; /* the snapshot dir_gen was last read in */
    uint64_t   gen;       /* and what it was */
    unsigned   lazy_flag;     /* MDB_NOSYNC or 0 */
    char       err[NGX_MOBILITY_STORE_ERRLEN];
} ngx_mobility_store_t;


/*
 * Creates the directory if needed, opens the environment, creates the
 * sub-databases and checks the format.  Returns 0 or -1 with st->err set.
 */
int ngx_mobility_store_open(ngx_mobility_store_t *st, const char *path,
    size_t map_size, ngx_mobility_durability_e durability, int readonly);
void ngx_mobility_store_close(ngx_mobility_store_t *st);

/* number of stale reader slots cleared, or -1 */
int ngx_mobility_store_reader_check(ngx_mobility_store_t *st);

int ngx_mobility_store_begin(ngx_mobility_store_t *st, MDB_txn **txn,
    int write);
int ngx_mobility_store_commit(ngx_mobility_store_t *st, MDB_txn *txn);

/*
 * Commits with st->lazy_flag set for this one commit (MDB_NOSYNC: no
 * sync, mobility_store releases=nosync; 0: as
 * ngx_mobility_store_commit()).  Only for transactions that write
 * nothing but bookkeeping that a later synced commit makes durable and
 * whose loss in an operating-system crash is recovered (the P-GET
 * batch: docs/architecture.md "Releases without a sync").  LMDB lets
 * this flag change on an open environment; the write transaction is
 * the calling thread's.
 */
int ngx_mobility_store_commit_lazy(ngx_mobility_store_t *st, MDB_txn *txn);

/*
 * A consistent, compacted copy of the store into the directory "path"
 * (created; it must not hold a store already), with the boot id set to
 * NGX_MOBILITY_BOOT_ID_RESTORED so that the first nginx start on it
 * recovers the event channels.  0 or -1 with st->err set.
 */
int ngx_mobility_store_backup(ngx_mobility_store_t *st, const char *path);

/* a text setting of meta: its length (0: absent), -1 on error */
int ngx_mobility_store_meta_str(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, char *buf, size_t size);
int ngx_mobility_store_set_meta_str(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, const char *value);

/*
 * A read transaction of the process's main thread (the event loop, the
 * CLI): ngx_mobility_store_read_end() resets it and keeps it, and the
 * next ngx_mobility_store_read() renews it, which keeps the reader slot
 * and costs no lock (mdb_txn_begin() takes the reader table's mutex).
 * Not for other threads: there is one spare per environment.
 */
int ngx_mobility_store_read(ngx_mobility_store_t *st, MDB_txn **txn);
void ngx_mobility_store_read_end(ngx_mobility_store_t *st, MDB_txn *txn);

/*
 * With st->on_park set (the nginx workers: a posted event), an ended read
 * transaction is parked, not reset, and on_park(park_data) is called; the
 * next ngx_mobility_store_read() takes it as it is when its snapshot is
 * still the newest committed one (nothing was committed since: the same
 * state a renewal would see), else renews it.  The owner of on_park ends
 * the park with ngx_mobility_store_read_release() soon (the end of the
 * event loop's iteration), since a parked snapshot keeps the pages
 * written after it from being reused.  Without on_park (the CLI, the
 * master), read_end() resets at once as before.
 */
void ngx_mobility_store_read_release(ngx_mobility_store_t *st);

/* records an LMDB failure in st->err, naming the operation; returns -1 */
int ngx_mobility_store_fail(ngx_mobility_store_t *st, const char *what,
    int rc);

uint32_t ngx_mobility_store_meta_u32(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, uint32_t dflt);
int ngx_mobility_store_dir_gen(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *gen);
int ngx_mobility_store_dir_gen_bump(ngx_mobility_store_t *st, MDB_txn *txn);

/*
 * ngx_mobility_store_dir_gen() for a read-only transaction: a snapshot
 * is named by its transaction id, so the value read in the last snapshot
 * of the same id is the value (no lookup while nothing was committed)
 */
int ngx_mobility_store_read_dir_gen(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *gen);
int ngx_mobility_store_set_meta_u32(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *key, uint32_t v);

/* share of the map in use, in percent */
unsigned ngx_mobility_store_usage(ngx_mobility_store_t *st);

extern const char *ngx_mobility_db_names[NGX_MOBILITY_DB_COUNT];


#endif /* _NGX_MOBILITY_STORE_H_INCLUDED_ */
