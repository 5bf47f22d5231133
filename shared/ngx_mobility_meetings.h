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
 *     "n" conferenceId (u64 BE) -> organizer NUL id: keeps the numeric
 *                                  dial-in ids unique
 *
 * Every field read by ngx_mobility_meeting_get() points into the store
 * and is valid until the transaction ends.
 *
 * The code uses nginx types but no nginx runtime: the admin CLI builds it
 * with -DNGX_MOBILITY_PLAIN_C (ngx_mobility_plain.h).
 */

#ifndef _NGX_MOBILITY_MEETINGS_H_INCLUDED_
#define _NGX_MOBILITY_MEETINGS_H_INCLUDED_


#include "ngx_mobility_plain.h"
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
#define NGX_MOBILITY_MEETING_F_PHONE_ADMISSION 0x10 /* phoneUserAdmission
                                                       Enabled           */
#define NGX_MOBILITY_MEETING_F_AUTO_LEADERS_ALL 0x20 /* automaticLeader-
                                                       Assignment:
                                                       Everyone          */

#define NGX_MOBILITY_MEETING_KEY_LEN    16       /* [0-9A-Z]            */
#define NGX_MOBILITY_MEETING_ANON_MAX   64       /* an anonymous identity */
#define NGX_MOBILITY_MEETING_SUBJECT_MAX 256     /* bytes               */
#define NGX_MOBILITY_MEETING_DESCRIPTION_MAX 4096
#define NGX_MOBILITY_MEETING_PEOPLE_MAX 256      /* attendees, leaders  */

/* ngx_mobility_meeting_create(): the organizer has max meetings already */
#define NGX_MOBILITY_MEETING_FULL       10


/*
 * Splits an onlineMeetingUri ("sip:" optional and case-insensitive, the
 * ";gruu" part optional, the "conf:" of legacyOnlineMeetingUri allowed)
 * or a joinUrl ("https://host/<user>/<id>", the user part of the
 * organizer's SIP address) into organizer and id.
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


/*
 * Creates a meeting of m->organizer from the fields of m (subject,
 * description, attendees, leaders, access level, expiration, flags):
 * draws the id (unique for the organizer), the key and the conference id
 * (unique in the store), sets created = now and version = 1.  On success
 * m->id and m->key point into the store (valid until the transaction
 * ends).  max counts the organizer's meetings (the assigned one
 * included); 0: no limit.  OK, NGX_MOBILITY_MEETING_FULL or ERROR.
 */
int ngx_mobility_meeting_create(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_meeting_t *m, uint64_t now, ngx_uint_t max);

/*
 * Rewrites the meeting named by m->organizer and m->id with the fields
 * of m; id, key, conference id, created and the ASSIGNED flag are kept
 * from the store, the version is bumped (m->version gets the new one).
 * OK, NOTFOUND or ERROR.
 */
int ngx_mobility_meeting_update(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_meeting_t *m);

/* removes a meeting and its conference id; OK, NOTFOUND or ERROR */
int ngx_mobility_meeting_delete(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *id, size_t idlen);

/*
 * Calls each() for every meeting of the organizer in id order until it
 * returns non-zero; OK or ERROR.  *n (if not NULL) gets the number seen.
 */
int ngx_mobility_meeting_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen,
    int (*each)(ngx_mobility_meeting_t *m, void *data), void *data,
    ngx_uint_t *n);

/*
 * The organizer's assigned (static) meeting; with create set, makes it
 * when there is none (access level SameEnterprise, no expiration; m's
 * other fields are the defaults given by the caller).  OK, NOTFOUND
 * (none and create unset) or ERROR.
 */
int ngx_mobility_meeting_assigned(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, ngx_uint_t create, uint64_t now,
    ngx_mobility_meeting_t *m);

/* removes every meeting of the organizer (user removal); OK or ERROR */
int ngx_mobility_meeting_delete_all(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen);

/* whether key equals m's key (constant time in the key's length) */
ngx_uint_t ngx_mobility_meeting_key_match(ngx_mobility_meeting_t *m,
    const u_char *key, size_t len);

/*
 * A new anonymous identity "anon-<16 hex>@anonymous.invalid" into out
 * (NGX_MOBILITY_MEETING_ANON_MAX bytes); its length or 0 (no random).
 */
size_t ngx_mobility_meeting_anon_identity(u_char *out);

/* whether user is an identity made by ngx_mobility_meeting_anon_identity */
ngx_uint_t ngx_mobility_meeting_is_anon(const u_char *user, size_t len);

/*
 * Writes the grant of anon to the meeting (organizer, id) until expires
 * (ms), replacing an earlier one of the same identity, and removes up to
 * 32 grants of other identities that expired before now.  OK or ERROR.
 */
int ngx_mobility_meeting_anon_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *anon, size_t len, const u_char *organizer, size_t olen,
    const u_char *id, size_t idlen, uint64_t expires, uint64_t now);


#endif /* _NGX_MOBILITY_MEETINGS_H_INCLUDED_ */
