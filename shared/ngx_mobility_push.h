/*
 * Copyright (C) The nginx mobility authors
 *
 * Push notifications: the push targets users register (one per user and
 * endpoint) and the durable queue of pushes waiting to be sent.  Plain C
 * over the store; the nginx modules and mobilityctl share it.  No
 * function here commits: the caller owns the transaction.
 *
 * Registrations, NGX_MOBILITY_DB_PUSH_REGISTRATIONS:
 *
 *     "user@domain" NUL endpointId  ->  registration (type 0x0601)
 *
 * A registration outlives the applications of its endpoint.  The sender
 * turns it into a tombstone when the provider says the token is dead
 * (invalid_since, invalid_reason set): a tombstone never receives pushes,
 * and a re-registration with the SAME token is accepted only when it
 * comes after invalid_since (another token is always accepted).
 *
 * Queue, NGX_MOBILITY_DB_PUSH_QUEUE:
 *
 *     due ms (u64 BE) id (u64 BE)   ->  push (type 0x0602)
 *
 * Ids come from the counter "push_seq" in the meta database, bumped in
 * the write transaction that enqueues, so they are unique across workers,
 * reloads and the CLI (LMDB serialises writers).  Claiming moves an entry
 * to due = now + lease, so the claims of a sender that crashes come back
 * when the lease ends.  At-least-once: a provider may have accepted a
 * push whose completion (the delete) was not committed yet; after a crash
 * it is sent again once the lease ends.  That window is the time between
 * the provider's answer and the commit of ngx_mobility_push_complete().
 */

#ifndef _NGX_MOBILITY_PUSH_H_INCLUDED_
#define _NGX_MOBILITY_PUSH_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_PUSH_REG       0x0601
#define NGX_MOBILITY_REC_PUSH_ENTRY     0x0602

#define NGX_MOBILITY_META_PUSH_SEQ      "push_seq"

/* results besides NGX_MOBILITY_OK, _ERROR, _NOTFOUND */
#define NGX_MOBILITY_PUSH_INVALID       3    /* bad input, err says why  */
#define NGX_MOBILITY_PUSH_CONFLICT      4    /* refused in this state    */

/* providers */
#define NGX_MOBILITY_PUSH_APNS          1
#define NGX_MOBILITY_PUSH_FCM           2
#define NGX_MOBILITY_PUSH_WEBPUSH       3

/* event kinds, also the bits of a registration's preferences */
#define NGX_MOBILITY_PUSH_IM            0x01  /* incoming IM invitation  */
#define NGX_MOBILITY_PUSH_MESSAGE       0x02  /* message, conversation   */
#define NGX_MOBILITY_PUSH_MISSED        0x04  /* missed conversation     */
#define NGX_MOBILITY_PUSH_CALL          0x08  /* missed call             */
#define NGX_MOBILITY_PUSH_VOICEMAIL     0x10
#define NGX_MOBILITY_PUSH_MEETING       0x20  /* meeting invitation      */
#define NGX_MOBILITY_PUSH_ALL           0x3f
/*
 * An operator's test (mobilityctl push-target test): not a preference a
 * registration can choose; sent to a live registration whatever its
 * events, with the operator's text (never a user's message) as body.
 */
#define NGX_MOBILITY_PUSH_TEST          0x40
#define NGX_MOBILITY_PUSH_TEST_MAX      100000  /* per command           */

/* limits, bytes */
#define NGX_MOBILITY_PUSH_USER_MAX      256   /* = NGX_MOBILITY_SIP_MAX  */
#define NGX_MOBILITY_PUSH_ENDPOINT_MAX  100
#define NGX_MOBILITY_PUSH_APNS_MIN      64    /* hex characters          */
#define NGX_MOBILITY_PUSH_APNS_MAX      200
#define NGX_MOBILITY_PUSH_TOPIC_MAX     255
#define NGX_MOBILITY_PUSH_FCM_MAX       4096
#define NGX_MOBILITY_PUSH_URL_MAX       2048
#define NGX_MOBILITY_PUSH_KEY_MAX       128   /* p256dh, auth (base64url) */
#define NGX_MOBILITY_PUSH_APP_MAX       64
#define NGX_MOBILITY_PUSH_REASON_MAX    64
#define NGX_MOBILITY_PUSH_NAME_MAX      256
#define NGX_MOBILITY_PUSH_PREVIEW_MAX   200
#define NGX_MOBILITY_PUSH_THREAD_MAX    128
#define NGX_MOBILITY_PUSH_ERRLEN        256


typedef struct {
    ngx_mobility_bytes_t  user;           /* "user@domain"            */
    ngx_mobility_bytes_t  endpoint;       /* the endpointId           */
    uint64_t              provider;       /* NGX_MOBILITY_PUSH_APNS.. */
    ngx_mobility_bytes_t  token;          /* APNs hex (lower case),
                                             FCM token, or Web Push
                                             endpoint URL             */
    ngx_mobility_bytes_t  topic;          /* APNs bundle id           */
    uint64_t              sandbox;        /* APNs: 1 sandbox          */
    ngx_mobility_bytes_t  p256dh;         /* Web Push, base64url      */
    ngx_mobility_bytes_t  auth;
    uint64_t              events;         /* NGX_MOBILITY_PUSH_* bits */
    uint64_t              previews;       /* message text allowed     */
    uint64_t              created;        /* ms                       */
    uint64_t              updated;        /* ms                       */
    ngx_mobility_bytes_t  app;            /* application that wrote it */
    uint64_t              invalid_since;  /* ms; 0: live              */
    ngx_mobility_bytes_t  invalid_reason; /* "Unregistered", ...      */
} ngx_mobility_push_reg_t;


typedef struct {
    uint64_t              id;
    uint64_t              due;            /* ms, part of the key      */
    ngx_mobility_bytes_t  user;
    ngx_mobility_bytes_t  endpoint;
    uint64_t              kind;           /* one NGX_MOBILITY_PUSH_*  */
    ngx_mobility_bytes_t  sender;         /* "user@domain"            */
    ngx_mobility_bytes_t  sender_name;
    ngx_mobility_bytes_t  preview;        /* empty unless allowed     */
    ngx_mobility_bytes_t  thread;         /* conversation / thread id */
    uint64_t              badge;
    uint64_t              created;        /* ms                       */
    uint64_t              expires;        /* ms                       */
    uint64_t              attempts;

    u_char               *buf;            /* copies: owned, see free  */
} ngx_mobility_push_entry_t;


typedef int (*ngx_mobility_push_reg_pt)(void *data,
    ngx_mobility_push_reg_t *reg);
typedef int (*ngx_mobility_push_entry_pt)(void *data,
    ngx_mobility_push_entry_t *e);


/* names */
const char *ngx_mobility_push_provider_name(uint64_t provider);
uint64_t ngx_mobility_push_provider_parse(const u_char *name, size_t len);
const char *ngx_mobility_push_kind_name(uint64_t kind);
/* the kinds a registration may choose (NGX_MOBILITY_PUSH_ALL); 0 else */
uint64_t ngx_mobility_push_kind_parse(const u_char *name, size_t len);


/* registrations */

/*
 * Checks a registration's target before it is stored: the token,
 * topic, environment or subscription of its provider, the preferences.
 * Returns NGX_MOBILITY_OK, or NGX_MOBILITY_PUSH_INVALID with a message
 * in err and the name of the property at fault in *param (the names of
 * the UCWA resource: "provider", "deviceToken", ...).
 */
int ngx_mobility_push_reg_check(ngx_mobility_push_reg_t *reg, char *err,
    size_t size, const char **param);

/* OK (a tombstone too: invalid_since != 0), NOTFOUND or ERROR */
int ngx_mobility_push_reg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen,
    ngx_mobility_push_reg_t *reg);

/*
 * Creates or replaces the registration of (reg->user, reg->endpoint)
 * after ngx_mobility_push_reg_check().  reg->updated is now, created is
 * kept from a live registration it replaces (else now).  Refuses with
 * NGX_MOBILITY_PUSH_CONFLICT (err) to revive a tombstone with its own
 * token unless now > invalid_since.  *replaced: a live one existed.
 */
int ngx_mobility_push_reg_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_reg_t *reg, uint64_t now, int *replaced, char *err,
    size_t size);

/* OK or NOTFOUND (tombstones are removed too) */
int ngx_mobility_push_reg_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen);

/*
 * The provider refused the token for good: the registration becomes a
 * tombstone (its queued pushes are dropped by the sender, see
 * ngx_mobility_push_entry_live()).  OK or NOTFOUND.
 */
int ngx_mobility_push_invalidate(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *ep, size_t elen,
    const char *reason, uint64_t when);

/* every registration of a user (tombstones included), in key order */
int ngx_mobility_push_reg_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_push_reg_pt handler,
    void *data);


/* the queue */

/*
 * Writes e (id assigned here from the push_seq counter, due, expires and
 * the fields set by the caller) in txn.  Returns OK or ERROR.
 */
int ngx_mobility_push_enqueue(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e);

/*
 * Claims up to max entries due at now: each moves to due = now + lease
 * and its copy (with the new due) goes to out[]; *n is the count.
 * Entries past their expiry met on the way are deleted and counted in
 * *expired.  Free the copies with ngx_mobility_push_entry_free().
 */
int ngx_mobility_push_claim(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, uint64_t lease, ngx_mobility_push_entry_t *out,
    size_t max, size_t *n, uint64_t *expired);

/* accepted by the provider, or given up: OK or NOTFOUND */
int ngx_mobility_push_complete(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t id, uint64_t due);

/*
 * Retryable failure: the claimed entry e (its current due) moves to
 * next_due with attempts + 1.  A next_due at or past the expiry deletes
 * it instead and returns NGX_MOBILITY_PUSH_CONFLICT.  OK, NOTFOUND (the
 * entry is no longer there) or ERROR.
 */
int ngx_mobility_push_retry(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e, uint64_t next_due);

/* deletes up to limit entries past their expiry; *count: how many */
int ngx_mobility_push_drop_expired(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, size_t limit, uint64_t *count);

/* entries in the queue, or (uint64_t) -1 on error */
uint64_t ngx_mobility_push_depth(ngx_mobility_store_t *st, MDB_txn *txn);

/* every entry in due order; entries point into the store (no buf) */
int ngx_mobility_push_each(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_pt handler, void *data);

/* removes every entry; *count: how many */
int ngx_mobility_push_purge(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t *count);

/*
 * Whether a queued entry may still be sent, and to which target: the
 * live registration of its user and endpoint is read into reg.  0 (drop
 * it) when there is none, it is a tombstone, or it was created after the
 * entry (a removal or invalidation and a new registration since: the
 * entry belonged to the old one); 1 deliver; -1 store error.
 */
int ngx_mobility_push_entry_live(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_push_entry_t *e, ngx_mobility_push_reg_t *reg);

void ngx_mobility_push_entry_free(ngx_mobility_push_entry_t *e);


#endif /* _NGX_MOBILITY_PUSH_H_INCLUDED_ */
