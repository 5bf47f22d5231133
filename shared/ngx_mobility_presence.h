/*
 * Copyright (C) The nginx mobility authors
 *
 * A user's own presence, shared by every front end (UCWA now, MCX
 * later): the availability the user chose, the note and the location,
 * and the activity of each of the user's signed-in endpoints.  The
 * published availability aggregates them: the most active endpoint
 * decides between Online, IdleOnline (after its inactive timeout) and
 * Away (after a further away timeout), and a state the user chose
 * (Busy, DoNotDisturb, BeRightBack, Away, Off work) overrides it.
 *
 * The published state is computed lazily from the stored timestamps;
 * the "presence_due" index holds the next moment at which it may change
 * for each user, so a timer can publish the change without scanning.
 * Plain C over the store, no nginx types.  Times are ms since the epoch.
 */

#ifndef _NGX_MOBILITY_PRESENCE_H_INCLUDED_
#define _NGX_MOBILITY_PRESENCE_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_REC_PRESENCE      0x0411
#define NGX_MOBILITY_REC_PRESENCE_EP   0x0412

#define NGX_MOBILITY_NOTE_MAX          1024   /* bytes of UTF-8 */
#define NGX_MOBILITY_LOCATION_MAX      256    /* 60 characters of UTF-8 */
#define NGX_MOBILITY_PRESENCE_EP_MAX   64     /* endpoint id */

/* availability: chosen (0 = automatic) and published */
#define NGX_MOBILITY_AV_NONE           0      /* automatic / offline */
#define NGX_MOBILITY_AV_ONLINE         1
#define NGX_MOBILITY_AV_IDLE_ONLINE    2
#define NGX_MOBILITY_AV_BUSY           3
#define NGX_MOBILITY_AV_IDLE_BUSY      4
#define NGX_MOBILITY_AV_DND            5
#define NGX_MOBILITY_AV_BRB            6
#define NGX_MOBILITY_AV_AWAY           7
#define NGX_MOBILITY_AV_OFFWORK        8
#define NGX_MOBILITY_AV_OFFLINE        9
#define NGX_MOBILITY_AV_COUNT          10

#define NGX_MOBILITY_NOTE_PERSONAL     0
#define NGX_MOBILITY_NOTE_OOF          1


typedef struct {
    unsigned   chosen;            /* NGX_MOBILITY_AV_*, NONE: automatic */
    unsigned   published;         /* last published, NONE: never */
    uint64_t   published_at;
    uint64_t   last_active;       /* most recent endpoint activity */
    uint64_t   due;               /* next possible change; 0: none */
    uint64_t   updated;

    unsigned   note_type;
    size_t     note_len;
    u_char     note[NGX_MOBILITY_NOTE_MAX];
    size_t     location_len;
    u_char     location[NGX_MOBILITY_LOCATION_MAX];
} ngx_mobility_presence_t;


typedef struct {
    uint64_t   signed_in;
    uint64_t   last_activity;
    uint64_t   inactive;          /* ms of no activity to become idle */
    uint64_t   away;              /* further ms to become away */
} ngx_mobility_presence_ep_t;


/* the user's record; an absent one reads as all defaults (OK) */
int ngx_mobility_presence_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p);
int ngx_mobility_presence_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p);

int ngx_mobility_presence_ep_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen,
    ngx_mobility_presence_ep_t *e);
int ngx_mobility_presence_ep_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen,
    ngx_mobility_presence_ep_t *e);
int ngx_mobility_presence_ep_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen);

/*
 * The availability to publish at "now" (nothing is written), the next
 * time it may change (0: never) and the most recent endpoint activity.
 */
int ngx_mobility_presence_state(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p, uint64_t now,
    unsigned *avail, uint64_t *next, uint64_t *last_active);

/*
 * Recomputes the published availability at "now" from p and the user's
 * endpoints, updates p (published, last_active, due) and the due index,
 * and writes p.  Returns 1 when the published availability changed, 0
 * when not, -1 (NGX_MOBILITY_ERROR) on a store failure.
 */
int ngx_mobility_presence_publish(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p, uint64_t now);

/*
 * The first user whose presence may change at or before "now": its SIP
 * address goes into sip (NGX_MOBILITY_SIP_MAX + 1 bytes), *next is set to
 * the time it was due and the length is returned; 0 when nobody is due
 * (*next is then the next due time, or 0), -1 on a store failure.
 */
int ngx_mobility_presence_next_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *sip, uint64_t *next);

/* removes one entry of the schedule (after it was handled) */
int ngx_mobility_presence_unschedule(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, uint64_t due);


#endif /* _NGX_MOBILITY_PRESENCE_H_INCLUDED_ */
