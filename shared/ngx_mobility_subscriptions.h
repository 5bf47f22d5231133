/*
 * Copyright (C) The nginx mobility authors
 *
 * Presence subscriptions: an endpoint (a UCWA application id, later an
 * MCX session) subscribes to the presence of users for a while.  Plain C
 * over the store, protocol-neutral.
 *
 *   presence_subscriptions: endpoint NUL sub            -> expiry (u64 LE)
 *                           endpoint NUL sub NUL target -> expiry
 *   presence_watchers:      target NUL endpoint NUL sub -> expiry
 *
 * The second is the fan-out index: the endpoints watching a user are one
 * range scan, whatever process holds them.
 */

#ifndef _NGX_MOBILITY_SUBSCRIPTIONS_H_INCLUDED_
#define _NGX_MOBILITY_SUBSCRIPTIONS_H_INCLUDED_


#include "ngx_mobility_store.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_PSUB_ID_MAX       32
#define NGX_MOBILITY_PSUB_EP_MAX       64
#define NGX_MOBILITY_PSUB_SUBS_MAX     16     /* per endpoint */
#define NGX_MOBILITY_PSUB_TARGETS_MAX  200    /* per subscription */


typedef int (*ngx_mobility_psub_pt)(void *ctx, const u_char *a, size_t alen,
    const u_char *b, size_t blen, uint64_t expires);


/* OK, EXISTS, ERROR ("limit" in st->err) */
int ngx_mobility_psub_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t expires);

/* OK (*expires set) or NOTFOUND */
int ngx_mobility_psub_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t *expires);

/* sets the expiry of the subscription and of its members */
int ngx_mobility_psub_extend(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t expires);

/* OK, EXISTS, NOTFOUND (no subscription), ERROR ("limit") */
int ngx_mobility_psub_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    const u_char *target, size_t tlen);

/* OK or NOTFOUND */
int ngx_mobility_psub_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    const u_char *target, size_t tlen);

/* removes a subscription (id) or all of the endpoint's (idlen 0) */
int ngx_mobility_psub_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen);

/* the members (a: subscription id, b: target) of one or all (idlen 0) */
int ngx_mobility_psub_members(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    ngx_mobility_psub_pt cb, void *ctx);

/* the subscriptions (a: id) of an endpoint */
int ngx_mobility_psub_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, ngx_mobility_psub_pt cb, void *ctx);

/* the endpoints watching target (a: endpoint, b: subscription id) */
int ngx_mobility_psub_watchers(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *target, size_t tlen, ngx_mobility_psub_pt cb, void *ctx);


/*
 * The due index (NUL 'd' due endpoint NUL sub, sub empty for the
 * contacts-and-groups subscription): when a subscription needs a look
 * (its expiry warning, its expiry).  The scan calls cb (a: endpoint,
 * b: sub, expires: due) for at most max entries due at now; it returns
 * how many, or ERROR.
 */
int ngx_mobility_psub_due_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t due);
int ngx_mobility_psub_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t due);
int ngx_mobility_psub_due_scan(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, unsigned max, ngx_mobility_psub_pt cb, void *ctx);

/* the endpoint's contacts-and-groups subscription (NUL 'c' endpoint) */
int ngx_mobility_cgsub_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, uint64_t *expires);
int ngx_mobility_cgsub_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, uint64_t expires);
int ngx_mobility_cgsub_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen);

/*
 * Group bindings (NUL 'g' owner NUL gid endpoint NUL sub): a subscription
 * that follows the members of one of owner's contact groups.  The walk
 * calls cb (a: endpoint, b: sub).
 */
int ngx_mobility_psub_group_bind(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *ep,
    size_t eplen, const u_char *id, size_t idlen);
int ngx_mobility_psub_group_unbind(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *ep,
    size_t eplen, const u_char *id, size_t idlen);
int ngx_mobility_psub_group_subs(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, ngx_mobility_psub_pt cb,
    void *ctx);
int ngx_mobility_psub_group_forget(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid);

/* the bindings of one subscription (id) or of all (idlen 0) of ep */
int ngx_mobility_psub_group_unbind_ep(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *ep, size_t eplen,
    const u_char *id, size_t idlen);


#endif /* _NGX_MOBILITY_SUBSCRIPTIONS_H_INCLUDED_ */
