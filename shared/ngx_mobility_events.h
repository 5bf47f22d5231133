/*
 * Copyright (C) The nginx mobility authors
 *
 * Durable per-endpoint event queues: the UCWA event channel of an
 * application instance today, an MCX session later.  Plain C over the
 * store, no nginx types.
 *
 * A channel numbers its events from 1.  Events are appended in the same
 * write transaction as the state change that causes them, so a committed
 * change always has its events.  A response to the client ("package")
 * takes every pending event at once; the package stays in the store until
 * the client acknowledges it, so a repeated request gets the very same
 * events again.  At most one package is unacknowledged at any time:
 *
 *     [pkg_first, pkg_end)   events of package pkg_no
 *     [pkg_end, next_seq)    pending events, not yet in a package
 *
 * While pending, an event carrying a merge key supersedes an older
 * pending event with the same key (the older one is dropped, the newer
 * keeps its place at the end).  When the pending events reach the cap
 * given by the caller they are dropped and the channel is flagged so the
 * next package tells the client to resume (rebuild its state).
 *
 * Keys: the channel database is keyed by the endpoint key (at most
 * NGX_MOBILITY_EV_KEY_MAX bytes); events by klen(u8) key seq(u64 BE).
 */

#ifndef _NGX_MOBILITY_EVENTS_H_INCLUDED_
#define _NGX_MOBILITY_EVENTS_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_EV_KEY_MAX        64

/* urgency classes, most urgent first */
#define NGX_MOBILITY_EV_REALTIME       0
#define NGX_MOBILITY_EV_HIGH           1
#define NGX_MOBILITY_EV_MEDIUM         2
#define NGX_MOBILITY_EV_LOW            3

#define NGX_MOBILITY_REC_EVCHAN        0x0401
#define NGX_MOBILITY_REC_EVENT         0x0402

/* channel flags */
#define NGX_MOBILITY_EVCHAN_ACKED      0x01  /* package pkg_no acknowledged */
#define NGX_MOBILITY_EVCHAN_RESUME     0x02  /* the next package resumes    */
#define NGX_MOBILITY_EVCHAN_PKG_RESUME 0x04  /* package pkg_no resumes      */
#define NGX_MOBILITY_EVCHAN_RECOVERED  0x08  /* may be behind its client    */
#define NGX_MOBILITY_EVCHAN_RECOVERED_RESUME 0x10 /* the lost package resumed */

#define NGX_MOBILITY_EV_NEVER          UINT64_MAX


typedef struct {
    uint64_t              created;       /* ms since the epoch */
    uint64_t              next_seq;
    uint64_t              pkg_no;        /* 0: no package yet */
    uint64_t              pkg_first;
    uint64_t              pkg_end;
    uint64_t              pending;
    uint64_t              flags;
    uint64_t              last_release;  /* ms: last answer (or creation) */

    /* the request held open on the channel, if any */
    uint64_t              park_token;    /* 0: none */
    uint64_t              park_until;    /* ms */
    uint64_t              park_priority;

    /* parameters the client set; they stick until the channel goes */
    uint64_t              timeout;       /* s, 0: default */
    uint64_t              hold_low;      /* s, 0: default */
    uint64_t              hold_medium;   /* s, 0: default */

    /* next_seq when the channel was recovered (flag RECOVERED) */
    uint64_t              recovered_end;
} ngx_mobility_evchan_t;


typedef struct {
    uint64_t              seq;
    uint64_t              time;          /* ms since the epoch */
    unsigned              urgency;
    ngx_mobility_bytes_t  merge;         /* empty: never superseded */
    ngx_mobility_bytes_t  payload;       /* opaque to the queue */
} ngx_mobility_event_t;


/* NGX_MOBILITY_OK, NGX_MOBILITY_NOTFOUND or NGX_MOBILITY_ERROR */
int ngx_mobility_evchan_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch);
int ngx_mobility_evchan_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch);

/* a fresh channel (replacing any previous one of that key) */
int ngx_mobility_evchan_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, uint64_t now, ngx_mobility_evchan_t *ch);

/* the channel and all of its events */
int ngx_mobility_evchan_delete(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen);

/*
 * Appends ev (seq and time are set here) to the channel, merging and
 * enforcing max_pending (0: no cap).  Returns NGX_MOBILITY_OK,
 * NGX_MOBILITY_EXISTS when the pending events overflowed and were
 * dropped (the channel now resumes), NGX_MOBILITY_NOTFOUND without a
 * channel, or NGX_MOBILITY_ERROR.
 */
int ngx_mobility_event_append(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_event_t *ev, uint64_t now,
    uint64_t max_pending);

typedef int (*ngx_mobility_event_pt)(void *data, ngx_mobility_event_t *ev);

/* calls handler for the events [from, to) in order; stops on non-zero */
int ngx_mobility_event_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, uint64_t from, uint64_t to,
    ngx_mobility_event_pt handler, void *data);

/* the client acknowledged package pkg_no: its events go */
int ngx_mobility_evchan_ack(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch);

/* every pending event becomes package "no"; the caller writes ch */
void ngx_mobility_evchan_package(ngx_mobility_evchan_t *ch, uint64_t no);

/*
 * After a loss of releases (an operating-system crash lost the commits
 * made without a sync, or a backup was restored): every channel is
 * flagged RECOVERED with recovered_end = next_seq, in the caller's write
 * transaction.  The store may then be behind its client by releases it
 * lost: the client may hold packages pkg_no + 1 ... of which the first
 * was exactly the pending events [pkg_end, recovered_end) and the others
 * were empty.  Returns the number of channels, or -1 (st->err).
 */
int64_t ngx_mobility_evchan_recover_all(ngx_mobility_store_t *st,
    MDB_txn *txn);

/*
 * A RECOVERED channel given "ack" > pkg_no + 1: the client received
 * package pkg_no and the lost packages up to ack - 1, the first of which
 * held the events [pkg_end, recovered_end).  Those events go, package
 * ack - 1 is acknowledged, and the pending count is that of the events
 * left (appended after the recovery: never dropped).  The caller writes
 * ch.  NGX_MOBILITY_OK or NGX_MOBILITY_ERROR.
 */
int ngx_mobility_evchan_catch_up(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch, uint64_t ack);

/*
 * When the pending events must be released (ms): now for real-time and
 * high events and for a resume, else the oldest medium event plus
 * hold_medium and the oldest low event plus hold_low (ms), whichever
 * comes first; NGX_MOBILITY_EV_NEVER with nothing pending.
 */
int ngx_mobility_evchan_due(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch,
    uint64_t hold_medium, uint64_t hold_low, uint64_t *due);


#endif /* _NGX_MOBILITY_EVENTS_H_INCLUDED_ */
