/*
 * Copyright (C) The nginx mobility authors
 *
 * The audit log of administrative changes: who, when, through what, what
 * and the object before and after, in the store's "audit" database keyed
 * by time and sequence (ms u64 BE, seq u32 BE), so entries sort by time
 * and two changes in one millisecond keep their order.  An entry is
 * written in the transaction of the change it describes: both or none.
 * Plain C.
 */

#ifndef _NGX_MOBILITY_AUDIT_H_INCLUDED_
#define _NGX_MOBILITY_AUDIT_H_INCLUDED_


#include <jansson.h>

#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_AUDIT       0x0504
#define NGX_MOBILITY_AUDIT_KEY_LEN   12
#define NGX_MOBILITY_AUDIT_ID_MAX    32      /* "<ms>-<seq>" */
#define NGX_MOBILITY_AUDIT_LIST_MAX  1000


typedef struct {
    uint64_t      time_ms;
    const char   *who;       /* "unix:root", "sip:a@b", "cert:<subject>" */
    const char   *via;       /* "cli", "rest" */
    const char   *client;    /* client address, or NULL */
    const char   *action;    /* "Set-CsMobilityPolicy" */
    const char   *target;    /* "tag:Sales", "sip:alice@contoso.com" */
    json_t       *before;    /* NULL: did not exist */
    json_t       *after;     /* NULL: removed */
} ngx_mobility_audit_entry_t;


/*
 * Appends e in txn; its id ("<ms>-<seq>") goes into id
 * (NGX_MOBILITY_AUDIT_ID_MAX bytes).  0 or -1 (st->err).
 */
int ngx_mobility_audit_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_audit_entry_t *e, char *id);

/*
 * The newest entries first, at most limit; before: an id to page from
 * (exclusive) or NULL; target: only entries about this target (ASCII
 * case-insensitive) or NULL.  NULL with *rc = -1 on a store error.
 */
json_t *ngx_mobility_audit_list(ngx_mobility_store_t *st, MDB_txn *txn,
    size_t limit, const char *before, const char *target, int *rc);


#endif /* _NGX_MOBILITY_AUDIT_H_INCLUDED_ */
