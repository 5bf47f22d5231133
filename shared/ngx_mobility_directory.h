/*
 * Copyright (C) The nginx mobility authors
 *
 * The user directory: users and the SIP domains this deployment serves.
 * Plain C over the store; the nginx modules and the admin CLI share it.
 * Returned fields point into LMDB's map and stay valid until the
 * transaction ends.
 */

#ifndef _NGX_MOBILITY_DIRECTORY_H_INCLUDED_
#define _NGX_MOBILITY_DIRECTORY_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_OK           0
#define NGX_MOBILITY_ERROR       -1
#define NGX_MOBILITY_NOTFOUND     1
#define NGX_MOBILITY_EXISTS       2

#define NGX_MOBILITY_REC_USER     1
#define NGX_MOBILITY_REC_DOMAIN   2

#define NGX_MOBILITY_FIELD_MAX    256
#define NGX_MOBILITY_USER_REC_MAX 8192


/* record tags of a user; never reuse a number */
typedef enum {
    NGX_MOBILITY_U_SIP = 1,
    NGX_MOBILITY_U_NAME,
    NGX_MOBILITY_U_EMAIL,
    NGX_MOBILITY_U_TITLE,
    NGX_MOBILITY_U_DEPARTMENT,
    NGX_MOBILITY_U_COMPANY,
    NGX_MOBILITY_U_OFFICE,
    NGX_MOBILITY_U_PHONE_WORK,
    NGX_MOBILITY_U_PHONE_MOBILE,
    NGX_MOBILITY_U_PHONE_HOME,
    NGX_MOBILITY_U_PHONE_OTHER,
    NGX_MOBILITY_U_SITE,
    NGX_MOBILITY_U_POOL,
    NGX_MOBILITY_U_POLICY,
    NGX_MOBILITY_U_PASSWORD,
    NGX_MOBILITY_U_ENABLED,
    NGX_MOBILITY_U_AUTH_GEN,
    NGX_MOBILITY_U_CREATED,
    NGX_MOBILITY_U_UPDATED,
    NGX_MOBILITY_U_ADMIN          /* may use the admin API (absent: no) */
} ngx_mobility_user_tag_e;


typedef struct {
    ngx_mobility_bytes_t  sip;           /* canonical "user@domain" */
    ngx_mobility_bytes_t  name;
    ngx_mobility_bytes_t  email;
    ngx_mobility_bytes_t  title;
    ngx_mobility_bytes_t  department;
    ngx_mobility_bytes_t  company;
    ngx_mobility_bytes_t  office;
    ngx_mobility_bytes_t  phone_work;
    ngx_mobility_bytes_t  phone_mobile;
    ngx_mobility_bytes_t  phone_home;
    ngx_mobility_bytes_t  phone_other;
    ngx_mobility_bytes_t  site;
    ngx_mobility_bytes_t  pool;          /* home pool; empty = this one */
    ngx_mobility_bytes_t  policy;        /* granted mobility policy tag */
    ngx_mobility_bytes_t  password;      /* encoded hash, see password.h */

    /* bumped on password change and disable: revokes issued tokens */
    uint64_t              auth_gen;
    uint64_t              created;
    uint64_t              updated;
    unsigned              enabled:1;
    unsigned              admin:1;       /* a mobility administrator */
} ngx_mobility_user_t;


/* the user's text fields by name, for the CLI and JSON renderings */
typedef struct {
    const char  *name;
    uint16_t     tag;
    size_t       offset;
} ngx_mobility_user_field_t;

extern const ngx_mobility_user_field_t  ngx_mobility_user_fields[];

#define ngx_mobility_user_field(u, f)                                         \
    ((ngx_mobility_bytes_t *) ((u_char *) (u) + (f)->offset))


int ngx_mobility_user_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_user_t *u);
int ngx_mobility_user_get_raw(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_user_t *u, MDB_val *raw);
int ngx_mobility_user_decode(const u_char *rec, size_t len,
    ngx_mobility_user_t *u);

/* writes u (u->sip canonical); create: fail with EXISTS if present */
int ngx_mobility_user_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_user_t *u, int create);
int ngx_mobility_user_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len);

/*
 * Resolves what a user typed at sign-in ("sip:a@b", "a@b" as SIP address
 * or e-mail, "DOMAIN\a") to the canonical SIP address in out
 * (NGX_MOBILITY_SIP_MAX + 1 bytes).  Returns the length, 0 if nobody
 * matches, -1 on a store error.
 */
int ngx_mobility_user_resolve_login(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *login, size_t len, u_char *out);

/*
 * The user whose e-mail address is email (ASCII case-insensitive): its
 * canonical SIP address goes into out (NGX_MOBILITY_SIP_MAX + 1 bytes).
 * Returns the length, 0 if nobody has that address, -1 on a store error.
 */
int ngx_mobility_user_find_email(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *email, size_t len, u_char *out);

/*
 * The people-search index (sub-database "user_search", sorted
 * duplicates): normalised token -> "user@domain".  Tokens are the words
 * of the display name, the e-mail and SIP addresses and their local
 * parts, and the digits of each phone number, ASCII lower-cased, at most
 * NGX_MOBILITY_SEARCH_TOKEN_MAX bytes.  ngx_mobility_user_put() and
 * ngx_mobility_user_del() keep it current; a store written before the
 * index existed gets it rebuilt (meta "search_index" < the version).
 */
#define NGX_MOBILITY_META_SEARCH_INDEX     "search_index"
#define NGX_MOBILITY_SEARCH_INDEX_VERSION  1
#define NGX_MOBILITY_SEARCH_TOKEN_MAX      64
#define NGX_MOBILITY_SEARCH_QUERY_MAX      256
#define NGX_MOBILITY_SEARCH_WORDS          8
#define NGX_MOBILITY_SEARCH_SCAN_MAX       20000  /* index entries */


typedef struct {
    size_t   len;
    u_char   data[NGX_MOBILITY_SIP_MAX + 1];
} ngx_mobility_sip_buf_t;


/* rebuilds the index in txn; returns the number of users or -1 */
int ngx_mobility_user_search_reindex(ngx_mobility_store_t *st, MDB_txn *txn);

/* rebuilds the index in its own transaction if the store's is older */
int ngx_mobility_user_search_upgrade(ngx_mobility_store_t *st);

/*
 * Enabled users matching every word of query (each a prefix of one of
 * the user's tokens; a query of digits and "+-(). " is one phone
 * number), at most limit of them into out.  *more is set when there are
 * further matches.  Returns the count, or -1 on a store error.
 */
int ngx_mobility_user_search(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *query, size_t len, ngx_mobility_sip_buf_t *out,
    size_t limit, int *more);

int ngx_mobility_domain_exists(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len);
int ngx_mobility_domain_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len, uint64_t now);
int ngx_mobility_domain_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len);


#endif /* _NGX_MOBILITY_DIRECTORY_H_INCLUDED_ */
