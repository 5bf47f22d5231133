/*
 * Copyright (C) The nginx mobility authors
 *
 * Two-party conversations (instant messaging): the conversation with its
 * invitation (one id for both), its two participants and its messages.
 * Plain C over the store, protocol-neutral: UCWA renders it.  Keys in
 * NGX_MOBILITY_DB_CONVERSATIONS:
 *
 *     "c" id                    -> conversation record
 *     "m" id NUL seq(u64 BE)    -> message record
 *     "d" due(u64 BE) id        -> "": the no-answer deadline of an
 *                                  invitation still Connecting
 *     "y" due(u64 BE) id side   -> "": the end of a participant's typing
 *                                  (side 'f' the inviter, 't' the other)
 *     "u" user NUL id           -> "": a conversation in progress
 *                                  (Connecting or Connected) of user,
 *                                  kept by ngx_mobility_conv_put() for a
 *                                  two-party conversation and by
 *                                  ngx_mobility_conv_part_put() for a
 *                                  conference (joined or invited users)
 *     "p" id NUL user           -> participant record: the roster of a
 *                                  conference (user or anonymous identity)
 *     "q" due(u64 BE) id NUL user
 *                               -> "": the no-answer deadline of a roster
 *                                  entry still invited, or the end of its
 *                                  wait in the lobby
 *     "z" due(u64 BE) id NUL user
 *                               -> "": the end of a member's typing
 *     "k" organizer NUL meeting -> conversation id: the live conversation
 *                                  of an online meeting
 *
 * A conference is a conversation with the conference flag: the "from" and
 * "to" of a two-party conversation stay as they were (escalation keeps the
 * id and the messages), the roster says who is in it.  Messages are stored
 * once ("m" keys) whatever the number of participants.
 *
 * Every field of a conversation read by ngx_mobility_conv_get() points
 * into the store and is valid until the transaction ends.
 */

#ifndef _NGX_MOBILITY_CONVERSATIONS_H_INCLUDED_
#define _NGX_MOBILITY_CONVERSATIONS_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_CONVERSATION   0x0440
#define NGX_MOBILITY_REC_MESSAGE        0x0441
#define NGX_MOBILITY_REC_PARTICIPANT    0x0444

#define NGX_MOBILITY_CONV_ROSTER_MAX    250      /* participants and
                                                    invitees of a conference */
#define NGX_MOBILITY_CONV_MEETING_MAX   64       /* a meeting id, bytes */

/* participant states */
#define NGX_MOBILITY_PART_INVITED       1        /* invited, no answer  */
#define NGX_MOBILITY_PART_JOINED        2
#define NGX_MOBILITY_PART_LOBBY         3        /* waits for a leader  */

/* participant roles */
#define NGX_MOBILITY_PART_LEADER        1
#define NGX_MOBILITY_PART_ATTENDEE      2

/* participant flags */
#define NGX_MOBILITY_PART_ANONYMOUS     0x01
#define NGX_MOBILITY_PART_MESSAGING     0x02     /* messaging joined    */
#define NGX_MOBILITY_PART_SELF_JOIN     0x04     /* joinOnlineMeeting,
                                                    not addParticipant */

#define NGX_MOBILITY_CONV_ID_MAX        32
#define NGX_MOBILITY_CONV_TEXT_MAX      8192     /* a message, bytes */

/* states */
#define NGX_MOBILITY_CONV_CONNECTING    1        /* invited, no answer  */
#define NGX_MOBILITY_CONV_CONNECTED     2
#define NGX_MOBILITY_CONV_TERMINATED    3        /* stopped             */
#define NGX_MOBILITY_CONV_FAILED        4        /* declined, not found */


typedef struct {
    ngx_mobility_bytes_t  id;
    ngx_mobility_bytes_t  from;          /* "user@domain", the inviter */
    ngx_mobility_bytes_t  to;
    ngx_mobility_bytes_t  from_app;      /* the inviting application   */
    ngx_mobility_bytes_t  to_app;        /* the accepting one, or ""   */
    ngx_mobility_bytes_t  subject;
    ngx_mobility_bytes_t  importance;
    ngx_mobility_bytes_t  thread_id;
    ngx_mobility_bytes_t  operation_id;
    ngx_mobility_bytes_t  message;       /* the first message, or ""   */
    ngx_mobility_bytes_t  reason;        /* failure subcode, or ""     */
    uint64_t              state;
    uint64_t              created;       /* ms */
    uint64_t              next_msg;      /* the next message number    */
    uint64_t              deadline;      /* ms, while Connecting; 0    */
    uint64_t              ended;         /* ms, once ended; 0          */
    uint64_t              typing_from;   /* ms: the inviter types until */
    uint64_t              typing_to;     /* ms: the invitee types until */
    uint64_t              conference;    /* 1: a conference (roster)    */
    ngx_mobility_bytes_t  organizer;     /* conference: "user@domain"   */
    ngx_mobility_bytes_t  meeting;       /* conference: the meeting id  */
    uint64_t              next_inv;      /* the next invitation number  */
} ngx_mobility_conv_t;


/* message formats (the "format" field; absent in older records: plain) */
#define NGX_MOBILITY_CONV_MSG_PLAIN     0
#define NGX_MOBILITY_CONV_MSG_HTML      1

/* one entry of a conference's roster */
typedef struct {
    ngx_mobility_bytes_t  user;          /* "user@domain" or anonymous  */
    ngx_mobility_bytes_t  app;           /* the joined application, ""
                                            while invited              */
    ngx_mobility_bytes_t  name;          /* anonymousDisplayName, or "" */
    ngx_mobility_bytes_t  inviter;       /* who added it, or ""         */
    ngx_mobility_bytes_t  inviter_app;
    ngx_mobility_bytes_t  operation_id;  /* of the inviter's request    */
    uint64_t              state;         /* NGX_MOBILITY_PART_*         */
    uint64_t              role;
    uint64_t              flags;
    uint64_t              joined;        /* ms, 0 until joined          */
    uint64_t              inv;           /* its invitation number       */
    uint64_t              deadline;      /* ms, while invited or in the
                                            lobby; 0                    */
    uint64_t              typing;        /* ms: types until; 0          */
} ngx_mobility_conv_part_t;


typedef struct {
    uint64_t              seq;
    uint64_t              time;          /* ms */
    ngx_mobility_bytes_t  from;
    ngx_mobility_bytes_t  text;
    uint64_t              format;        /* NGX_MOBILITY_CONV_MSG_*    */
} ngx_mobility_conv_msg_t;


/* OK, NOTFOUND or ERROR */
int ngx_mobility_conv_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, ngx_mobility_conv_t *c);

/*
 * OK or ERROR.  Keeps the "d" deadline key in step with the record: it
 * exists while the state is Connecting and c->deadline is set, and is
 * removed (c->deadline zeroed) once the invitation is answered.
 */
int ngx_mobility_conv_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c);

/* 1 if sip is one of the two participants */
int ngx_mobility_conv_member(ngx_mobility_conv_t *c, const u_char *sip,
    size_t len);

/* stores a message numbered c->next_msg and bumps it (caller puts c) */
int ngx_mobility_conv_msg_add(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, ngx_mobility_conv_msg_t *m);

/* OK, NOTFOUND or ERROR */
int ngx_mobility_conv_msg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, uint64_t seq, ngx_mobility_conv_msg_t *m);


/*
 * The earliest invitation deadline: returns the id length (> 0) and copies
 * the id into id[NGX_MOBILITY_CONV_ID_MAX] if it is due at or before now;
 * 0 if none is due (*due is the next deadline, or 0 if there is none);
 * -1 on error.
 */
int ngx_mobility_conv_next_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, uint64_t *due);

/*
 * Typing: sets the side's typing end (moving its "y" key; until 0 stops
 * it); the caller puts c afterwards.  OK or ERROR.
 */
int ngx_mobility_conv_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, int side, uint64_t until);

/*
 * The earliest typing end: > 0 (the id length; *side set) if due at or
 * before now, else 0 (*due the next one or 0); -1 on error.  The key is
 * removed by ngx_mobility_conv_typing(..., 0) or by the caller with
 * ngx_mobility_conv_typing_del().
 */
int ngx_mobility_conv_next_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, int *side, uint64_t *due);
int ngx_mobility_conv_typing_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, int side, uint64_t due);

/* removes a deadline key left by a conversation that is gone; OK, ERROR */
int ngx_mobility_conv_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, uint64_t due);

/* the ids of user's conversations in progress; each non-zero stops */
int ngx_mobility_conv_active_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen,
    int (*each)(void *ctx, const u_char *id, size_t len), void *ctx);

/*
 * A bounded read-only scan for conversations that ended before "before":
 * looks at most max "c" keys from resume (resume[NGX_MOBILITY_CONV_ID_MAX
 * + 2], *resume_len 0 = from the start; updated, 0 once the end is
 * reached) and calls found() for each.  Returns the keys looked at or -1.
 */
int ngx_mobility_conv_ended_scan(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t before, u_char *resume, size_t *resume_len, size_t max,
    void (*found)(void *ctx, const u_char *id, size_t len), void *ctx);

/*
 * The roster.  ngx_mobility_conv_part_get(): OK, NOTFOUND or ERROR; the
 * fields point into the store.  ngx_mobility_conv_part_put() keeps the
 * "u" index (while invited, in the lobby or joined), the "q" deadline
 * (while invited or in the lobby, with p->deadline set) and the "z" end
 * of typing (p->typing).
 * ngx_mobility_conv_part_del() removes the entry with its keys.
 * ngx_mobility_conv_part_each() calls each() for every entry in key order
 * (each non-zero stops); it returns the number of entries seen or -1.
 */
int ngx_mobility_conv_part_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    ngx_mobility_conv_part_t *p);
int ngx_mobility_conv_part_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p);
int ngx_mobility_conv_part_del(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, const u_char *user, size_t ulen);
int ngx_mobility_conv_part_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len,
    int (*each)(void *ctx, ngx_mobility_conv_part_t *p), void *ctx);

/*
 * The earliest roster deadline: > 0 (the id length; the id and the user
 * copied into id[NGX_MOBILITY_CONV_ID_MAX] and user[NGX_MOBILITY_SIP_MAX
 * + 1], *ulen set) if due at or before now; 0 if none is due (*due the
 * next one or 0); -1 on error.
 */
int ngx_mobility_conv_next_part_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, u_char *user, size_t *ulen, uint64_t *due);
int ngx_mobility_conv_part_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    uint64_t due);

/* the same for the ends of typing ("z" keys, kept with p->typing) */
int ngx_mobility_conv_next_part_typing(ngx_mobility_store_t *st,
    MDB_txn *txn, uint64_t now, u_char *id, u_char *user, size_t *ulen,
    uint64_t *due);
int ngx_mobility_conv_part_typing_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    uint64_t due);

/*
 * The live conversation of an online meeting ("k" keys): get copies the
 * id into id[NGX_MOBILITY_CONV_ID_MAX] and returns its length, 0 if there
 * is none, -1 on error; put and del return OK or ERROR.
 */
int ngx_mobility_conv_meeting_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *meeting,
    size_t mlen, u_char *id);
int ngx_mobility_conv_meeting_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c);
int ngx_mobility_conv_meeting_del(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c);

/*
 * Removes a conversation with its messages and keys (a conference's
 * roster and meeting key too); OK, NOTFOUND, ERROR
 */
int ngx_mobility_conv_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len);


#endif /* _NGX_MOBILITY_CONVERSATIONS_H_INCLUDED_ */
