/*
 * Copyright (C) The nginx mobility authors
 *
 * Wake-ups of nginx workers from outside nginx (the admin CLI): the
 * sending half of ngx_mobility_ipc.c in plain C.  A datagram goes to the
 * abstract Unix socket "ngx-mobility/<crc32>/<pid>" of every worker in
 * the store's "workers" database, where <crc32> is nginx's ngx_crc32_long()
 * of the store path as nginx.conf gives it (absolute), as 8 lower-case hex
 * digits.  The message is the 8-byte header 'M' 'I' version(1) type
 * sender-pid(u32 LE) and the payload.
 */

#ifndef _NGX_MOBILITY_NOTIFY_H_INCLUDED_
#define _NGX_MOBILITY_NOTIFY_H_INCLUDED_


#include "ngx_mobility_store.h"


/* = NGX_MOBILITY_IPC_USER and _PUSH of ngx_mobility_ipc.h */
#define NGX_MOBILITY_NOTIFY_USER     3
#define NGX_MOBILITY_NOTIFY_PUSH     4


/* CRC-32 (IEEE 802.3, reflected, init and final xor 0xffffffff) */
uint32_t ngx_mobility_crc32(const u_char *p, size_t len);

/*
 * Sends type and payload to every registered worker.  store_path: the
 * store directory; a relative path is made absolute, and the resolved
 * path (symbolic links followed) is tried as well when it differs.
 * Returns the number of workers reached, or -1 with a message in err.
 */
int ngx_mobility_notify_send(ngx_mobility_store_t *st, const char *store_path,
    unsigned type, const u_char *data, size_t len, char *err, size_t size);

/*
 * Wakes the push senders after a commit that queued count pushes (the
 * payload is the count in decimal, as nginx's own triggers send it).
 * Returns what ngx_mobility_notify_send() returns.
 */
int ngx_mobility_notify_push(ngx_mobility_store_t *st, const char *store_path,
    uint64_t count, char *err, size_t size);


#endif /* _NGX_MOBILITY_NOTIFY_H_INCLUDED_ */
