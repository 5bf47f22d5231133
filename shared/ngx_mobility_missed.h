/*
 * Copyright (C) The nginx mobility authors
 *
 * Missed conversations: invitations nobody of the recipient answered (no
 * answer before the deadline, or no application available).  Plain C over
 * the store, shared by UCWA and push (badge counts).  Keys in
 * NGX_MOBILITY_DB_MISSED_ITEMS, "user@domain" canonical:
 *
 *     user NUL "n"                     -> counts (type 0x0443)
 *     user NUL "i" time(u64 BE) id     -> missed conversation (0x0442)
 *
 * The counts record is kept in step with the items in the same
 * transaction, so reading the counts is one get.
 */

#ifndef _NGX_MOBILITY_MISSED_H_INCLUDED_
#define _NGX_MOBILITY_MISSED_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_MISSED          0x0442
#define NGX_MOBILITY_REC_MISSED_COUNTS   0x0443

#define NGX_MOBILITY_MISSED_PREVIEW_MAX  256     /* bytes of the message */


typedef struct {
    ngx_mobility_bytes_t  id;            /* the conversation          */
    ngx_mobility_bytes_t  from;          /* "user@domain"             */
    ngx_mobility_bytes_t  subject;
    ngx_mobility_bytes_t  importance;
    ngx_mobility_bytes_t  thread_id;
    ngx_mobility_bytes_t  preview;       /* the first message, cut    */
    uint64_t              time;          /* ms */
    uint64_t              read;          /* 1 once marked as read     */
} ngx_mobility_missed_t;


/* records a missed conversation (unread), bumps the counts; OK, ERROR */
int ngx_mobility_missed_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_missed_t *m);

/* the user's counts (0 and 0 without any); OK or ERROR */
int ngx_mobility_missed_count(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t *missed, uint64_t *unread);

/* finds the user's missed conversation id; OK, NOTFOUND or ERROR */
int ngx_mobility_missed_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_missed_t *m);

/*
 * marks it read (OK; NGX_MOBILITY_NOTFOUND if there is none, *changed 0
 * if it was read already)
 */
int ngx_mobility_missed_mark_read(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    int *changed);

/* removes it; OK, NOTFOUND or ERROR */
int ngx_mobility_missed_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len);


#endif /* _NGX_MOBILITY_MISSED_H_INCLUDED_ */
