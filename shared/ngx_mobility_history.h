/*
 * Copyright (C) The nginx mobility authors
 *
 * Conversation logs (history): every ended two-party conversation leaves a
 * log entry with its transcript for each participant allowed to keep
 * history.  Each user's copy is independent, so one user's DELETE does not
 * touch the other's.  Plain C over the store, protocol-neutral.  Keys in
 * NGX_MOBILITY_DB_CONVERSATION_LOGS ("user@domain" canonical):
 *
 *     user NUL "l" time(u64 BE) id       -> conversation log (0x0450)
 *     user NUL "x" id                    -> time (u64 BE): find by id
 *     user NUL "t" id NUL seq(u64 BE)    -> transcript message (0x0451)
 *     user NUL "n"                       -> u64 LE: the number of logs
 *                                           (absent in older stores:
 *                                           the "l" keys are counted)
 *     NUL time(u64 BE) user NUL id       -> "": the retention index
 *
 * time is when the conversation ended (ms).  A user name never starts with
 * NUL, so the retention index sorts before every user's keys.
 */

#ifndef _NGX_MOBILITY_HISTORY_H_INCLUDED_
#define _NGX_MOBILITY_HISTORY_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"
#include "ngx_mobility_conversations.h"


#define NGX_MOBILITY_REC_CONV_LOG       0x0450
#define NGX_MOBILITY_REC_CONV_LOG_MSG   0x0451

#define NGX_MOBILITY_HISTORY_PREVIEW_MAX  256    /* bytes */

/* direction */
#define NGX_MOBILITY_HISTORY_OUTGOING   0
#define NGX_MOBILITY_HISTORY_INCOMING   1


typedef struct {
    ngx_mobility_bytes_t  id;            /* the conversation           */
    ngx_mobility_bytes_t  peer;          /* "user@domain", the other   */
    ngx_mobility_bytes_t  subject;
    ngx_mobility_bytes_t  importance;
    ngx_mobility_bytes_t  thread_id;
    ngx_mobility_bytes_t  preview;       /* the first message, cut     */
    ngx_mobility_bytes_t  status;        /* "Connected", "Missed", ... */
    uint64_t              direction;
    uint64_t              created;       /* ms */
    uint64_t              ended;         /* ms, also in the key        */
    uint64_t              messages;      /* transcript entries         */
} ngx_mobility_convlog_t;


/* called per log, newest first; non-zero stops the walk */
typedef int (*ngx_mobility_convlog_each_pt)(void *ctx,
    ngx_mobility_convlog_t *log);

/* called per transcript message, oldest first; non-zero stops */
typedef int (*ngx_mobility_convlog_msg_pt)(void *ctx,
    ngx_mobility_conv_msg_t *m);


/* the number of the user's logs (missedItems conversationLogsCount) */
int ngx_mobility_convlog_count(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t *count);

/* writes a log (replacing one of the same id); OK or ERROR */
int ngx_mobility_convlog_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_convlog_t *log);

/* appends one message to the transcript of the user's log; OK or ERROR */
int ngx_mobility_convlog_msg_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_conv_msg_t *m);

/* OK, NOTFOUND or ERROR; fields point into the store */
int ngx_mobility_convlog_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_convlog_t *log);

/* the user's logs, newest first, at most limit (0: all); OK or ERROR */
int ngx_mobility_convlog_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, size_t limit,
    ngx_mobility_convlog_each_pt each, void *ctx);

/*
 * The transcript of one log, oldest first, from the message numbered
 * "from" on (0: from the start); OK or ERROR
 */
int ngx_mobility_convlog_msg_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    uint64_t from, ngx_mobility_convlog_msg_pt each, void *ctx);

/* removes a log with its transcript; OK, NOTFOUND or ERROR */
int ngx_mobility_convlog_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len);

/*
 * Logs that ended before "before": calls found(ctx, user, ulen, id, len)
 * for at most max of them, oldest first (read-only); the number found or
 * -1.  The caller removes them with ngx_mobility_convlog_remove() in a
 * write transaction of its own.
 */
int ngx_mobility_convlog_expired(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t before, size_t max,
    void (*found)(void *ctx, const u_char *user, size_t ulen,
                  const u_char *id, size_t len),
    void *ctx);


#endif /* _NGX_MOBILITY_HISTORY_H_INCLUDED_ */
