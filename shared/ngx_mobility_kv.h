/*
 * Copyright (C) The nginx mobility authors
 *
 * The steps the record kinds of the store repeat: a record writer on a
 * buffer of its own, storing the written record, removing the keys that
 * share a prefix.  Plain C, shared by the nginx modules and the admin CLI.
 */

#ifndef _NGX_MOBILITY_KV_H_INCLUDED_
#define _NGX_MOBILITY_KV_H_INCLUDED_


#include "ngx_mobility_store.h"
#include "ngx_mobility_record.h"


/*
 * Begins a record of the given type on a malloc()ed buffer of cap bytes;
 * "out of memory" in st->err and NGX_MOBILITY_ERROR if there is none.
 */
int ngx_mobility_kv_rec_begin(ngx_mobility_store_t *st,
    ngx_mobility_rec_writer_t *w, size_t cap, uint16_t type);

/*
 * Stores the record of w under key and frees its buffer.  A writer that
 * overflowed stores nothing: "overflow" is the error then; "what" names
 * the write in the error of a failed mdb_put() ("writing a message").
 */
int ngx_mobility_kv_rec_put(ngx_mobility_store_t *st, MDB_txn *txn,
    MDB_dbi dbi, const u_char *key, size_t klen,
    ngx_mobility_rec_writer_t *w, const char *overflow, const char *what);

/* stores len bytes of data under key; "what" names the write in the error */
int ngx_mobility_kv_put(ngx_mobility_store_t *st, MDB_txn *txn, MDB_dbi dbi,
    const u_char *key, size_t klen, const u_char *data, size_t len,
    const char *what);

/* removes a key, absent or not; "what" names the removal in the error */
int ngx_mobility_kv_del(ngx_mobility_store_t *st, MDB_txn *txn, MDB_dbi dbi,
    const u_char *key, size_t klen, const char *what);

/*
 * Removes every key of dbi that starts with the n bytes of prefix and is
 * "tail" bytes longer (tail 0: of any length); "what" names the removal
 * in the error ("removing messages").
 */
int ngx_mobility_kv_del_prefix(ngx_mobility_store_t *st, MDB_txn *txn,
    MDB_dbi dbi, const u_char *prefix, size_t n, size_t tail,
    const char *what);


#endif /* _NGX_MOBILITY_KV_H_INCLUDED_ */
