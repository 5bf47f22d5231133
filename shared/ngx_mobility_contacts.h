/*
 * Copyright (C) The nginx mobility authors
 *
 * A user's contact list: groups (the default "Other Contacts" group,
 * the pinned "Favorites" group and the user's own) and their members.
 * Plain C over the store, protocol-neutral: UCWA renders it, a future
 * MCX front end can drive the same calls.  Every call is scoped to one
 * owner: no key of another user can be reached.
 */

#ifndef _NGX_MOBILITY_CONTACTS_H_INCLUDED_
#define _NGX_MOBILITY_CONTACTS_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_REC_CONTACT_GROUP  0x0430

#define NGX_MOBILITY_GROUP_DEFAULT      1     /* "Other Contacts" */
#define NGX_MOBILITY_GROUP_PINNED       2     /* "Favorites"      */
#define NGX_MOBILITY_GROUP_FIRST_USER   3

#define NGX_MOBILITY_GROUP_USER         0     /* kinds */
#define NGX_MOBILITY_GROUP_KIND_DEFAULT 1
#define NGX_MOBILITY_GROUP_KIND_PINNED  2

#define NGX_MOBILITY_GROUP_NAME_MAX     256
#define NGX_MOBILITY_GROUPS_MAX         64    /* per user */
#define NGX_MOBILITY_CONTACTS_MAX       1000  /* memberships per user */


typedef struct {
    uint32_t   id;
    unsigned   kind;
    size_t     name_len;
    u_char     name[NGX_MOBILITY_GROUP_NAME_MAX];
    uint64_t   created;
} ngx_mobility_group_t;


/* called per group or per member; non-zero stops the walk */
typedef int (*ngx_mobility_group_pt)(void *ctx, ngx_mobility_group_t *g);
typedef int (*ngx_mobility_member_pt)(void *ctx, uint32_t gid,
    const u_char *sip, size_t len);


/* the groups, the default and pinned ones first (virtual if unwritten) */
int ngx_mobility_groups_walk(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, ngx_mobility_group_pt cb, void *ctx);

/* OK or NOTFOUND */
int ngx_mobility_group_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, ngx_mobility_group_t *g);

/* OK (g->id set), EXISTS (a group of that name), or ERROR ("limit") */
int ngx_mobility_group_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, ngx_mobility_group_t *g, uint64_t now);

/* OK, NOTFOUND, EXISTS; the default and pinned groups keep their names */
int ngx_mobility_group_rename(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *name,
    size_t len);

/* OK, NOTFOUND; removes the memberships too (not the system groups) */
int ngx_mobility_group_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid);

/* members of one group (gid) or of all (gid 0), in key order */
int ngx_mobility_members_walk(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid,
    ngx_mobility_member_pt cb, void *ctx);

/* 1 if sip is in any group of owner, 0 if not, -1 on error */
int ngx_mobility_contact_known(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *sip, size_t len);

/* OK, EXISTS, NOTFOUND (no such group), ERROR ("limit" in st->err) */
int ngx_mobility_member_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len, uint64_t now);

/* OK or NOTFOUND */
int ngx_mobility_member_exists(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len);

/* OK or NOTFOUND */
int ngx_mobility_member_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len);

/* the number of memberships removed, or -1 */
int ngx_mobility_member_del_all(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *sip, size_t len);

/*
 * A user leaves the directory: removes every membership of sip in other
 * users' contact lists and sip's own groups and memberships.  A full scan
 * of contact_members (there is no reverse index): for the CLI and other
 * offline callers, not the event loop.  The number of keys removed in
 * other users' lists, or -1.
 */
int ngx_mobility_contacts_forget(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len);


#endif /* _NGX_MOBILITY_CONTACTS_H_INCLUDED_ */
