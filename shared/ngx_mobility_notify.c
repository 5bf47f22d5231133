/*
 * Copyright (C) The nginx mobility authors
 */


#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ngx_mobility_notify.h"
#include "ngx_mobility_record.h"


#define NGX_MOBILITY_NOTIFY_HEADER    8
#define NGX_MOBILITY_NOTIFY_PAYLOAD   8192     /* NGX_MOBILITY_IPC_MAX */
#define NGX_MOBILITY_NOTIFY_TRIES     50       /* full queue: ~50 ms */


uint32_t
ngx_mobility_crc32(const u_char *p, size_t len)
{
    int       k;
    uint32_t  crc;

    crc = 0xffffffff;

    while (len--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
        }
    }

    return crc ^ 0xffffffff;
}


static socklen_t
ngx_mobility_notify_addr(struct sockaddr_un *sa, uint32_t ns, uint32_t pid)
{
    int  n;

    memset(sa, 0, sizeof(struct sockaddr_un));
    sa->sun_family = AF_UNIX;

    /* abstract namespace: a leading NUL, no trailing one */
    n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 2,
                 "ngx-mobility/%08x/%u", ns, pid);

    return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
}


/* 1 sent, 0 nobody listens there, -1 failed (errno) */
static int
ngx_mobility_notify_one(int s, uint32_t ns, uint32_t pid, const u_char *msg,
    size_t len)
{
    int                 i;
    ssize_t             n;
    socklen_t           alen;
    struct sockaddr_un  sa;

    alen = ngx_mobility_notify_addr(&sa, ns, pid);

    for (i = 0; i < NGX_MOBILITY_NOTIFY_TRIES; i++) {
        n = sendto(s, msg, len, 0, (struct sockaddr *) &sa, alen);

        if (n == (ssize_t) len) {
            return 1;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && (errno == EAGAIN || errno == ENOBUFS)) {
            /* the worker's queue is full: it drains it soon */
            usleep(1000);
            continue;
        }

        if (n == -1 && (errno == ECONNREFUSED || errno == ENOENT)) {
            return 0;
        }

        return -1;
    }

    errno = EAGAIN;

    return -1;
}


int
ngx_mobility_notify_send(ngx_mobility_store_t *st, const char *store_path,
    unsigned type, const u_char *data, size_t len, char *err, size_t size)
{
    int          s, rc, sent, n, saved;
    char         path[PATH_MAX], *real;
    u_char       msg[NGX_MOBILITY_NOTIFY_HEADER + NGX_MOBILITY_NOTIFY_PAYLOAD];
    size_t       plen;
    MDB_val      k, v;
    MDB_txn     *txn;
    uint32_t     ns[2], pid;
    MDB_cursor  *cur;

    if (len > NGX_MOBILITY_NOTIFY_PAYLOAD || type > 255) {
        snprintf(err, size, "notification of %zu bytes is too large", len);
        return -1;
    }

    /* the namespace: nginx hashes the configured, absolute, path */

    plen = strlen(store_path);

    if (store_path[0] == '/') {
        rc = snprintf(path, sizeof(path), "%s", store_path);

    } else if (getcwd(path, sizeof(path)) != NULL) {
        rc = snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s",
                      store_path);
        rc = (rc < 0) ? rc : (int) strlen(path);

    } else {
        rc = -1;
    }

    if (rc < 0 || (size_t) rc >= sizeof(path) || plen == 0) {
        snprintf(err, size, "invalid store path \"%s\"", store_path);
        return -1;
    }

    ns[0] = ngx_mobility_crc32((u_char *) path, strlen(path));
    ns[1] = ns[0];

    real = realpath(path, NULL);

    if (real) {
        ns[1] = ngx_mobility_crc32((u_char *) real, strlen(real));
        free(real);
    }

    msg[0] = 'M';
    msg[1] = 'I';
    msg[2] = 1;
    msg[3] = (u_char) type;
    ngx_mobility_put_le32(msg + 4, (uint32_t) getpid());

    if (len) {
        memcpy(msg + NGX_MOBILITY_NOTIFY_HEADER, data, len);
    }

    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s == -1) {
        snprintf(err, size, "socket() failed: %s", strerror(errno));
        return -1;
    }

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        close(s);
        snprintf(err, size, "%s", st->err);
        return -1;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_WORKERS], &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        close(s);
        ngx_mobility_store_fail(st, "reading the worker registry", rc);
        snprintf(err, size, "%s", st->err);
        return -1;
    }

    sent = 0;
    saved = 0;

    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        if (k.mv_size != 4) {
            continue;
        }

        pid = ((uint32_t) ((u_char *) k.mv_data)[0] << 24)
              | ((uint32_t) ((u_char *) k.mv_data)[1] << 16)
              | ((uint32_t) ((u_char *) k.mv_data)[2] << 8)
              | (uint32_t) ((u_char *) k.mv_data)[3];

        n = ngx_mobility_notify_one(s, ns[0], pid, msg,
                                    NGX_MOBILITY_NOTIFY_HEADER + len);

        if (n == 0 && ns[1] != ns[0]) {
            /* nginx.conf may name the store through a symbolic link */
            n = ngx_mobility_notify_one(s, ns[1], pid, msg,
                                        NGX_MOBILITY_NOTIFY_HEADER + len);
        }

        if (n == 1) {
            sent++;

        } else if (n == -1) {
            saved = errno;
        }
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    close(s);

    if (sent == 0 && saved) {
        snprintf(err, size, "sendto() failed: %s", strerror(saved));
        return -1;
    }

    return sent;
}


int
ngx_mobility_notify_push(ngx_mobility_store_t *st, const char *store_path,
    uint64_t count, char *err, size_t size)
{
    int   n;
    char  buf[24];

    n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long) count);

    return ngx_mobility_notify_send(st, store_path, NGX_MOBILITY_NOTIFY_PUSH,
                                    (u_char *) buf, (size_t) n, err, size);
}
