/*
 * Copyright (C) The nginx mobility authors
 *
 * Wake-ups across processes, without polling.
 *
 * Every worker binds a non-blocking Unix datagram socket in the abstract
 * namespace, named after the store and its pid, and registers itself in
 * the store's "workers" database.  A sender reads that registry in a read
 * transaction and sends one datagram per live worker; the receiver's
 * event loop wakes on its socket and calls the handler registered for the
 * message type.  Unlike pipes created by the master before fork(), this
 * reaches workers of any generation (old and new workers during a
 * reload) and lets the admin CLI notify workers too.  A message to this
 * very process is delivered through a posted event, never re-entrantly.
 *
 * Payloads are small (at most NGX_MOBILITY_IPC_MAX bytes): ids of things
 * whose state changed in the store, never the state itself; the store is
 * the truth and a lost wake-up only delays, it never loses data.
 */

#ifndef _NGX_MOBILITY_IPC_H_INCLUDED_
#define _NGX_MOBILITY_IPC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_mobility_store.h"


#define NGX_MOBILITY_IPC_MAX        8192
#define NGX_MOBILITY_IPC_TYPES      16

/* message types; add new ones at the end */
#define NGX_MOBILITY_IPC_PING       0   /* tests and diagnostics       */
#define NGX_MOBILITY_IPC_APP_WAKE   1   /* events for applications     */
#define NGX_MOBILITY_IPC_APP_PARKED 2   /* a P-GET was parked elsewhere */
#define NGX_MOBILITY_IPC_USER       3   /* a user's settings changed   */
#define NGX_MOBILITY_IPC_PUSH       4   /* pushes were queued          */


typedef void (*ngx_mobility_ipc_handler_pt)(ngx_uint_t type,
    const u_char *data, size_t len, ngx_pid_t from);


/* registers the handler of a message type (in init_process) */
void ngx_mobility_ipc_set_handler(ngx_uint_t type,
    ngx_mobility_ipc_handler_pt handler);

/*
 * Declares the payloads of a message type lists of lines ("\n"
 * separated): messages waiting for the same busy worker merge into one,
 * and an empty payload means "everything" (the handler re-checks all it
 * holds), which is what a list becomes rather than being dropped.
 */
void ngx_mobility_ipc_set_list(ngx_uint_t type);

/*
 * Sends the message to every live worker sharing the store, this one
 * included.  Datagrams that cannot be sent at once (a full receive
 * queue) are retried from a timer.  NGX_OK, or NGX_ERROR when the
 * message is too large or the registry cannot be read.
 */
ngx_int_t ngx_mobility_ipc_broadcast(ngx_uint_t type, const u_char *data,
    size_t len);

/* sends only to one worker (for example the one holding a P-GET) */
ngx_int_t ngx_mobility_ipc_send(ngx_pid_t pid, ngx_uint_t type,
    const u_char *data, size_t len);

/* called by the core module */
ngx_int_t ngx_mobility_ipc_init_process(ngx_cycle_t *cycle,
    ngx_mobility_store_t *st, ngx_str_t *store_path);
void ngx_mobility_ipc_exit_process(ngx_cycle_t *cycle,
    ngx_mobility_store_t *st);


#endif /* _NGX_MOBILITY_IPC_H_INCLUDED_ */
