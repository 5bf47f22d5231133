/*
 * Copyright (C) The nginx mobility authors
 *
 * The admin API (ngx_http_mobility_admin_module) and the hook through
 * which the front ends learn that mobility policies or settings changed.
 *
 * Changes made by the admin API or by mobilityctl reach every worker as
 * an NGX_MOBILITY_IPC_USER message whose payload is a kind ("policies",
 * "mcx" or "push"), then "\n" and either "*" (everybody) or the affected
 * users' canonical SIP addresses ("user@domain"), "\n"-separated.  The
 * admin module owns the handler of that message type: it logs the change
 * and calls the functions registered here, so that other modules need
 * not (and must not) replace it with ngx_mobility_ipc_set_handler().
 */

#ifndef _NGX_HTTP_MOBILITY_ADMIN_H_INCLUDED_
#define _NGX_HTTP_MOBILITY_ADMIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_MOBILITY_ADMIN_HOOKS  8


/*
 * kind: "policies", "mcx" or "push"; users: "*" or "\n"-separated
 * canonical SIP addresses; from: the sending process (nginx or the CLI).
 */
typedef void (*ngx_http_mobility_change_pt)(ngx_str_t *kind,
    ngx_str_t *users, ngx_pid_t from);


/*
 * Registers a handler of policy and settings changes (from init_process;
 * a handler registered twice is called once).  NGX_OK or NGX_ERROR when
 * there are already NGX_HTTP_MOBILITY_ADMIN_HOOKS handlers.
 */
ngx_int_t ngx_http_mobility_admin_on_change(
    ngx_http_mobility_change_pt handler);


extern ngx_module_t  ngx_http_mobility_admin_module;


#endif /* _NGX_HTTP_MOBILITY_ADMIN_H_INCLUDED_ */
