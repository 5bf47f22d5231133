/*
 * Copyright (C) The nginx mobility authors
 *
 * Scheduled online meetings (UCWA myOnlineMeetings): what an organizer
 * creates, reads, updates and deletes, and what a join or an anonymous
 * grant looks up.  Plain C over the store, protocol-neutral.  The live
 * side of a meeting (who is in it, its messages) is a conversation with
 * a roster: see ngx_mobility_conversations.h.
 *
 * A meeting is named by its organizer and an id of 8 characters from
 * [0-9A-Z] unique per organizer, so its URI carries its owner:
 *
 *     sip:<organizer>;gruu;opaque=app:conf:focus:id:<id>
 *
 * An anonymous guest (grant type urn:microsoft.rtc:anonmeeting with the
 * meeting's key) gets a token for an identity of its own,
 * "anon-<16 hex>@anonymous.invalid" with NGX_MOBILITY_TOKEN_ANONYMOUS,
 * and a grant record names the one meeting that identity may join.
 *
 * Keys in NGX_MOBILITY_DB_MEETINGS:
 *
 *     "o" organizer NUL id      -> meeting record
 *     "a" anonymous identity    -> grant record (organizer, id, expiry)
 *
 * Every field read by ngx_mobility_meeting_get() points into the store
 * and is valid until the transaction ends.
 */

#ifndef _NGX_MOBILITY_MEETINGS_H_INCLUDED_
#define _NGX_MOBILITY_MEETINGS_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_MEETING        0x0460
#define NGX_MOBILITY_REC_MEETING_GRANT  0x0461

#define NGX_MOBILITY_MEETING_ID_LEN     8

/* accessLevel */
#define NGX_MOBILITY_MEETING_EVERYONE       1
#define NGX_MOBILITY_MEETING_SAME_ENTERPRISE 2
#define NGX_MOBILITY_MEETING_INVITED        3
#define NGX_MOBILITY_MEETING_LOCKED         4

/* what ngx_mobility_meeting_admission() decides for one joiner */
#define NGX_MOBILITY_MEETING_ADMIT      1        /* straight in          */
#define NGX_MOBILITY_MEETING_LOBBY      2        /* waits for a leader   */
#define NGX_MOBILITY_MEETING_DENY       3        /* refused              */


typedef struct {
    ngx_mobility_bytes_t  organizer;     /* "user@domain"               */
    ngx_mobility_bytes_t  id;            /* NGX_MOBILITY_MEETING_ID_LEN */
    ngx_mobility_bytes_t  subject;
    ngx_mobility_bytes_t  description;
    ngx_mobility_bytes_t  attendees;     /* "sip:a@d" NUL "sip:b@d" ... */
    ngx_mobility_bytes_t  leaders;       /* same form                   */
    ngx_mobility_bytes_t  key;           /* the conference key of the
                                            anonymous grant (password) */
    uint64_t              access_level;  /* NGX_MOBILITY_MEETING_*      */
    uint64_t              conference_id; /* the numeric dial-in id      */
    uint64_t              expiration;    /* ms, 0: none                 */
    uint64_t              created;       /* ms                          */
    uint64_t              version;       /* the ETag counter            */
    uint64_t              flags;         /* NGX_MOBILITY_MEETING_F_*    */
} ngx_mobility_meeting_t;

#define NGX_MOBILITY_MEETING_F_ASSIGNED      0x01   /* the static one   */
#define NGX_MOBILITY_MEETING_F_AUTO_LEADERS  0x02   /* automaticLeader-
                                                       Assignment: the
                                                       company is leader */
#define NGX_MOBILITY_MEETING_F_LOBBY_BYPASS_PHONE 0x04
#define NGX_MOBILITY_MEETING_F_ENTRY_EXIT    0x08


/*
 * Splits an onlineMeetingUri ("sip:" optional and case-insensitive, the
 * ";gruu" part optional) or a joinUrl ("https://host/<user>/<id>", the
 * user part of the organizer's SIP address) into organizer and id.
 * For a joinUrl the organizer's domain is not in the URL: *organizer is
 * then the user part only and *joinurl is set; the caller resolves it.
 * OK or DECLINED (not a meeting URI).
 */
int ngx_mobility_meeting_parse_uri(const u_char *uri, size_t len,
    ngx_str_t *organizer, ngx_str_t *id, ngx_uint_t *joinurl);

/* OK, NOTFOUND or ERROR */
int ngx_mobility_meeting_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *id, size_t idlen,
    ngx_mobility_meeting_t *m);

/*
 * Whether user ("user@domain"; NULL for an anonymous joiner) gets into
 * meeting m straight away, waits in the lobby or is refused, from the
 * access level, the organizer, the leaders and the attendees.
 */
ngx_uint_t ngx_mobility_meeting_admission(ngx_mobility_meeting_t *m,
    const u_char *user, size_t len);

/*
 * The meeting an anonymous identity was granted: *organizer and *id point
 * into the store.  OK, NOTFOUND (no grant, or expired) or ERROR.
 */
int ngx_mobility_meeting_anon_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *anon, size_t len, uint64_t now, ngx_str_t *organizer,
    ngx_str_t *id);

/* whether user is the organizer or one of the leaders of m */
ngx_uint_t ngx_mobility_meeting_is_leader(ngx_mobility_meeting_t *m,
    const u_char *user, size_t len);


#endif /* _NGX_MOBILITY_MEETINGS_H_INCLUDED_ */
