/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: the admin CLI of the user directory.  Plain C over the
 * shared store and directory code; no nginx types.
 */

#ifndef _MOBILITYCTL_H_INCLUDED_
#define _MOBILITYCTL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

#include <jansson.h>

#include "ngx_mobility_store.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_password.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_policy.h"


/* exit codes */
#define MOBILITYCTL_OK             0
#define MOBILITYCTL_EINPUT         1    /* bad input, not found, duplicate */
#define MOBILITYCTL_EUSAGE         2
#define MOBILITYCTL_ESTORE         3

#define MOBILITYCTL_DEFAULT_STORE  "/var/lib/nginx/mobility"
#define MOBILITYCTL_ERRLEN         512
#define MOBILITYCTL_FIELDS_MAX     32

/* what mobilityctl_arg() returns besides an option id (> 0) */
#define MOBILITYCTL_ARG_POS        0    /* a positional argument */
#define MOBILITYCTL_ARG_END       -1
#define MOBILITYCTL_ARG_ERROR     -2    /* usage error, already reported */

/* mobilityctl_edit_t.password */
#define MOBILITYCTL_PW_KEEP        0
#define MOBILITYCTL_PW_SET         1
#define MOBILITYCTL_PW_CLEAR       2

/* mobilityctl_user_apply() modes */
#define MOBILITYCTL_CREATE         1    /* the user must not exist yet */
#define MOBILITYCTL_MODIFY         2    /* the user must exist */
#define MOBILITYCTL_UPSERT         3

/* the operations on a settings kind: mobilityctl_cfg_command() */
#define MOBILITYCTL_OP_GET         0
#define MOBILITYCTL_OP_NEW         1
#define MOBILITYCTL_OP_SET         2
#define MOBILITYCTL_OP_REMOVE      3
#define MOBILITYCTL_OP_GRANT       4


typedef struct {
    const char            *path;
    size_t                 size;
    const char            *command;     /* "user set", for the audit log */
    unsigned               json:1;
    unsigned               opened:1;
    ngx_mobility_store_t   store;
} mobilityctl_t;


typedef struct {
    const char            *name;        /* without the leading "--" */
    int                    id;          /* > 0 */
    unsigned               value:1;     /* takes a value */
} mobilityctl_opt_t;


typedef struct {
    int                    argc;
    char                 **argv;
    int                    next;
    const char            *command;     /* "user add", for messages */
    unsigned               dashdash:1;
} mobilityctl_args_t;


/* a change to one user, from the command line or a CSV row */
typedef struct {
    u_char                 sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t                 sip_len;
    size_t                 domain;      /* offset of the domain in sip */
    ngx_mobility_bytes_t   value[MOBILITYCTL_FIELDS_MAX];
    uint32_t               set;         /* bit i: value[i] was given */
    int                    enabled;     /* -1: unchanged */
    int                    admin;       /* -1: unchanged */
    int                    password;    /* MOBILITYCTL_PW_* */
    ngx_mobility_bytes_t   plain;       /* clear text, CSV import only */
    char                   hash[NGX_MOBILITY_PW_ENCODED_MAX];
    char                   policy[NGX_MOBILITY_CFG_NAME_MAX + 1];
    unsigned               policy_changed:1; /* site or grant: tell nginx */
} mobilityctl_edit_t;


typedef int (*mobilityctl_handler_pt)(mobilityctl_t *ctx,
    mobilityctl_args_t *a);


/* mobilityctl.c */
void mobilityctl_error(const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));
int mobilityctl_usage_error(mobilityctl_args_t *a, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void mobilityctl_oom(void) __attribute__ ((noreturn));
int mobilityctl_arg(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const mobilityctl_opt_t *opts, char **val);
int mobilityctl_global_arg(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_open(mobilityctl_t *ctx);
int mobilityctl_begin(mobilityctl_t *ctx, MDB_txn **txn, int write);
/* mobilityctl_open() and mobilityctl_begin() */
int mobilityctl_open_begin(mobilityctl_t *ctx, MDB_txn **txn, int write);
int mobilityctl_commit(mobilityctl_t *ctx, MDB_txn *txn);
int mobilityctl_store_error(mobilityctl_t *ctx);
void mobilityctl_json_set(json_t *obj, const char *key, json_t *value);
void mobilityctl_json_print(json_t *j);
json_t *mobilityctl_json_bytes(const u_char *p, size_t len);
void mobilityctl_print_bytes(const u_char *p, size_t len);
void mobilityctl_time(uint64_t t, char *buf, size_t size);

int mobilityctl_store_init(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_store_info(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_store_reindex(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_store_backup(mobilityctl_t *ctx, mobilityctl_args_t *a);

/* mobilityctl_text.c */
size_t mobilityctl_utf8_char(const u_char *p, size_t len, uint32_t *cp);
size_t mobilityctl_utf8_width(const char *s);
const char *mobilityctl_quote(const u_char *p, size_t len, char *buf,
    size_t size);
void mobilityctl_trim(ngx_mobility_bytes_t *v);
int mobilityctl_nfields(void);
int mobilityctl_field_index(const u_char *name, size_t len);
int mobilityctl_field_check(int i, ngx_mobility_bytes_t *v, char *err,
    size_t size);
int mobilityctl_sip(const u_char *in, size_t len, mobilityctl_edit_t *e,
    char *err, size_t size);
int mobilityctl_sip_arg(const char *sip, mobilityctl_edit_t *e);
int mobilityctl_bool(const u_char *p, size_t len);

/* mobilityctl_password.c */
int mobilityctl_password_read(int from_stdin, const char *who, u_char *pw,
    size_t *len);
int mobilityctl_password_iterations(mobilityctl_t *ctx, MDB_txn *txn,
    uint32_t *iterations);
int mobilityctl_password_hash(const u_char *pw, size_t len,
    uint32_t iterations, char *out);
void mobilityctl_cleanse(void *p, size_t len);

/* mobilityctl_domain.c */
int mobilityctl_domain_add(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_domain_list(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_domain_remove(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_unknown_domain(const u_char *domain, size_t len, char *err,
    size_t size);
size_t mobilityctl_sip_domain(const u_char *sip, size_t len);

/* mobilityctl_user.c */
void mobilityctl_edit_init(mobilityctl_edit_t *e);
int mobilityctl_user_apply(mobilityctl_t *ctx, MDB_txn *txn,
    mobilityctl_edit_t *e, int mode, int dry, time_t now, int *created,
    char *err, size_t size);
json_t *mobilityctl_user_json(const ngx_mobility_user_t *u);
int mobilityctl_user_add(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_set(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_enable(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_disable(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_remove(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_show(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_list(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_passwd(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_user_photo(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_read_file(const char *name, u_char **data, size_t *len);

/* mobilityctl_import.c */
int mobilityctl_user_import(mobilityctl_t *ctx, mobilityctl_args_t *a);

/* mobilityctl_policy.c */
void mobilityctl_op_init(mobilityctl_t *ctx, ngx_mobility_admin_op_t *op);
void mobilityctl_notify(mobilityctl_t *ctx, const u_char *data, size_t len);
/* an operation (MOBILITYCTL_OP_*) on a settings kind: "policy new" */
int mobilityctl_cfg_command(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const ngx_mobility_cfg_kind_t *kind, int op);
int mobilityctl_policy_effective(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_audit_list(mobilityctl_t *ctx, mobilityctl_args_t *a);

/* mobilityctl_vapid.c */
int mobilityctl_vapid_generate(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_vapid_show(mobilityctl_t *ctx, mobilityctl_args_t *a);

/* mobilityctl_push.c */
int mobilityctl_push_target_list(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_push_target_remove(mobilityctl_t *ctx,
    mobilityctl_args_t *a);
int mobilityctl_push_target_invalidate(mobilityctl_t *ctx,
    mobilityctl_args_t *a);
int mobilityctl_push_target_test(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_push_queue_list(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_push_queue_purge(mobilityctl_t *ctx, mobilityctl_args_t *a);


/* mobilityctl_meeting.c */
int mobilityctl_meeting_list(mobilityctl_t *ctx, mobilityctl_args_t *a);
int mobilityctl_meeting_remove(mobilityctl_t *ctx, mobilityctl_args_t *a);


#endif /* _MOBILITYCTL_H_INCLUDED_ */
