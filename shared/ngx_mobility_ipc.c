/*
 * Copyright (C) The nginx mobility authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <sys/un.h>

#include "ngx_mobility_ipc.h"
#include "ngx_mobility_record.h"


#define NGX_MOBILITY_IPC_MAGIC0     'M'
#define NGX_MOBILITY_IPC_MAGIC1     'I'
#define NGX_MOBILITY_IPC_VERSION    1
#define NGX_MOBILITY_IPC_HEADER     8
#define NGX_MOBILITY_IPC_RETRY_MS   2
#define NGX_MOBILITY_IPC_QUEUE_MAX  4096

/* worker record tags */
#define NGX_MOBILITY_W_STARTED      1
#define NGX_MOBILITY_REC_WORKER     4


typedef struct {
    ngx_queue_t    queue;
    ngx_pid_t      pid;            /* destination; ngx_pid for local */
    size_t         len;            /* header included */
    size_t         size;           /* of data */
    u_char         data[1];
} ngx_mobility_ipc_msg_t;


static void ngx_mobility_ipc_read_handler(ngx_event_t *ev);
static void ngx_mobility_ipc_local_handler(ngx_event_t *ev);
static void ngx_mobility_ipc_retry_handler(ngx_event_t *ev);
static void ngx_mobility_ipc_dispatch(const u_char *buf, size_t len);


static ngx_mobility_ipc_handler_pt  ngx_mobility_ipc_handlers[
                                        NGX_MOBILITY_IPC_TYPES];
static u_char                       ngx_mobility_ipc_lists[
                                        NGX_MOBILITY_IPC_TYPES];

static ngx_mobility_store_t  *ngx_mobility_ipc_store;
static ngx_connection_t      *ngx_mobility_ipc_conn;
static uint32_t               ngx_mobility_ipc_ns;

static ngx_queue_t            ngx_mobility_ipc_local;
static ngx_queue_t            ngx_mobility_ipc_retry;
static ngx_uint_t             ngx_mobility_ipc_queued;
static ngx_event_t            ngx_mobility_ipc_local_ev;
static ngx_event_t            ngx_mobility_ipc_retry_ev;


void
ngx_mobility_ipc_set_handler(ngx_uint_t type,
    ngx_mobility_ipc_handler_pt handler)
{
    if (type < NGX_MOBILITY_IPC_TYPES) {
        ngx_mobility_ipc_handlers[type] = handler;
    }
}


void
ngx_mobility_ipc_set_list(ngx_uint_t type)
{
    if (type < NGX_MOBILITY_IPC_TYPES) {
        ngx_mobility_ipc_lists[type] = 1;
    }
}


/* "\0ngx-mobility/<store hash>/<pid>": abstract, no file to clean up */
static socklen_t
ngx_mobility_ipc_addr(struct sockaddr_un *sa, ngx_pid_t pid)
{
    u_char  *p;

    ngx_memzero(sa, sizeof(struct sockaddr_un));
    sa->sun_family = AF_UNIX;

    p = ngx_snprintf((u_char *) sa->sun_path + 1, sizeof(sa->sun_path) - 2,
                     "ngx-mobility/%08xD/%P", ngx_mobility_ipc_ns, pid);

    return (socklen_t) (p - (u_char *) sa);
}


static ngx_int_t
ngx_mobility_ipc_register(ngx_mobility_store_t *st, ngx_pid_t pid,
    ngx_uint_t add, ngx_log_t *log)
{
    int                        rc;
    u_char                     key[4], buf[32];
    MDB_val                    k, v;
    MDB_txn                   *txn;
    MDB_cursor                *cur;
    ngx_pid_t                  other;
    ngx_mobility_rec_writer_t  w;

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "mobility ipc: %s", st->err);
        return NGX_ERROR;
    }

    key[0] = (u_char) (pid >> 24);
    key[1] = (u_char) (pid >> 16);
    key[2] = (u_char) (pid >> 8);
    key[3] = (u_char) pid;

    k.mv_data = key;
    k.mv_size = 4;

    if (add) {
        ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_WORKER);
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_W_STARTED, ngx_time());

        v.mv_data = buf;
        v.mv_size = w.len;

        rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_WORKERS], &k, &v, 0);

        /* forget workers that died without unregistering */

        if (rc == 0
            && mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_WORKERS], &cur)
               == 0)
        {
            while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
                if (k.mv_size != 4) {
                    continue;
                }

                other = (ngx_pid_t) (((uint32_t) ((u_char *) k.mv_data)[0]
                                      << 24)
                                     | (((u_char *) k.mv_data)[1] << 16)
                                     | (((u_char *) k.mv_data)[2] << 8)
                                     | ((u_char *) k.mv_data)[3]);

                if (other != pid && kill(other, 0) == -1
                    && ngx_errno == NGX_ESRCH)
                {
                    (void) mdb_cursor_del(cur, 0);
                }
            }

            mdb_cursor_close(cur);
        }

    } else {
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_WORKERS], &k, NULL);

        if (rc == MDB_NOTFOUND) {
            rc = 0;
        }
    }

    if (rc != 0) {
        mdb_txn_abort(txn);
        ngx_mobility_store_fail(st, "updating the worker registry", rc);
        ngx_log_error(NGX_LOG_ALERT, log, 0, "mobility ipc: %s", st->err);
        return NGX_ERROR;
    }

    if (ngx_mobility_store_commit(st, txn) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "mobility ipc: %s", st->err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ipc_init_process(ngx_cycle_t *cycle, ngx_mobility_store_t *st,
    ngx_str_t *store_path)
{
    ngx_socket_t         s;
    socklen_t            len;
    ngx_event_t         *rev;
    ngx_connection_t    *c;
    struct sockaddr_un   sa;

    ngx_mobility_ipc_store = st;
    ngx_mobility_ipc_ns = ngx_crc32_long(store_path->data, store_path->len);

    ngx_queue_init(&ngx_mobility_ipc_local);
    ngx_queue_init(&ngx_mobility_ipc_retry);
    ngx_mobility_ipc_queued = 0;

    ngx_mobility_ipc_local_ev.handler = ngx_mobility_ipc_local_handler;
    ngx_mobility_ipc_local_ev.log = cycle->log;
    ngx_mobility_ipc_retry_ev.handler = ngx_mobility_ipc_retry_handler;
    ngx_mobility_ipc_retry_ev.log = cycle->log;
    ngx_mobility_ipc_retry_ev.cancelable = 1;

    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s == (ngx_socket_t) -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "mobility ipc: socket() failed");
        return NGX_ERROR;
    }

    if (ngx_nonblocking(s) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "mobility ipc: " ngx_nonblocking_n " failed");
        goto failed;
    }

    len = ngx_mobility_ipc_addr(&sa, ngx_pid);

    if (bind(s, (struct sockaddr *) &sa, len) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_socket_errno,
                      "mobility ipc: bind() failed");
        goto failed;
    }

    c = ngx_get_connection(s, cycle->log);
    if (c == NULL) {
        goto failed;
    }

    c->pool = cycle->pool;

    rev = c->read;
    rev->log = cycle->log;
    rev->handler = ngx_mobility_ipc_read_handler;

    /* like nginx's own channels: not a client connection */
    rev->channel = 1;

    if (ngx_add_event(rev, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_free_connection(c);
        goto failed;
    }

    ngx_mobility_ipc_conn = c;

    return ngx_mobility_ipc_register(st, ngx_pid, 1, cycle->log);

failed:

    ngx_close_socket(s);
    return NGX_ERROR;
}


void
ngx_mobility_ipc_exit_process(ngx_cycle_t *cycle, ngx_mobility_store_t *st)
{
    ngx_queue_t             *q;
    ngx_mobility_ipc_msg_t  *m;

    if (ngx_mobility_ipc_conn == NULL) {
        return;
    }

    (void) ngx_mobility_ipc_register(st, ngx_pid, 0, cycle->log);

    ngx_close_connection(ngx_mobility_ipc_conn);
    ngx_mobility_ipc_conn = NULL;

    while (!ngx_queue_empty(&ngx_mobility_ipc_retry)) {
        q = ngx_queue_head(&ngx_mobility_ipc_retry);
        ngx_queue_remove(q);
        m = ngx_queue_data(q, ngx_mobility_ipc_msg_t, queue);
        ngx_free(m);
    }

    while (!ngx_queue_empty(&ngx_mobility_ipc_local)) {
        q = ngx_queue_head(&ngx_mobility_ipc_local);
        ngx_queue_remove(q);
        m = ngx_queue_data(q, ngx_mobility_ipc_msg_t, queue);
        ngx_free(m);
    }

    ngx_mobility_ipc_queued = 0;
    ngx_mobility_ipc_store = NULL;
}


static ngx_mobility_ipc_msg_t *
ngx_mobility_ipc_msg(ngx_pid_t pid, ngx_uint_t type, const u_char *data,
    size_t len)
{
    size_t                   size;
    ngx_mobility_ipc_msg_t  *m;

    if (ngx_mobility_ipc_queued >= NGX_MOBILITY_IPC_QUEUE_MAX) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "mobility ipc: %ui messages waiting, dropping one "
                      "(receivers will catch up from the store)",
                      ngx_mobility_ipc_queued);
        return NULL;
    }

    /* a list has room for the lines of later messages */
    size = NGX_MOBILITY_IPC_HEADER
           + (ngx_mobility_ipc_lists[type] ? NGX_MOBILITY_IPC_MAX : len);

    m = ngx_alloc(offsetof(ngx_mobility_ipc_msg_t, data) + size,
                  ngx_cycle->log);
    if (m == NULL) {
        return NULL;
    }

    m->pid = pid;
    m->len = NGX_MOBILITY_IPC_HEADER + len;
    m->size = size;
    m->data[0] = NGX_MOBILITY_IPC_MAGIC0;
    m->data[1] = NGX_MOBILITY_IPC_MAGIC1;
    m->data[2] = NGX_MOBILITY_IPC_VERSION;
    m->data[3] = (u_char) type;
    ngx_mobility_put_le32(m->data + 4, (uint32_t) ngx_pid);

    if (len) {
        ngx_memcpy(m->data + NGX_MOBILITY_IPC_HEADER, data, len);
    }

    ngx_mobility_ipc_queued++;

    return m;
}


/* NGX_OK sent, NGX_AGAIN try later, NGX_DECLINED the worker is gone */
static ngx_int_t
ngx_mobility_ipc_sendto(ngx_pid_t pid, const u_char *buf, size_t len)
{
    ssize_t             n;
    socklen_t           alen;
    ngx_err_t           err;
    struct sockaddr_un  sa;

    alen = ngx_mobility_ipc_addr(&sa, pid);

    n = sendto(ngx_mobility_ipc_conn->fd, buf, len, 0,
               (struct sockaddr *) &sa, alen);

    if (n == (ssize_t) len) {
        return NGX_OK;
    }

    err = ngx_socket_errno;

    if (err == NGX_EAGAIN || err == ENOBUFS) {
        return NGX_AGAIN;
    }

    if (err != NGX_ECONNREFUSED && err != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, err,
                      "mobility ipc: sendto() worker %P failed", pid);
    }

    return NGX_DECLINED;
}


/*
 * A list waiting for a busy worker takes the lines of the next message
 * of its type, so a burst of wake-ups becomes a few datagrams instead of
 * overflowing the receive queue (net.unix.max_dgram_qlen, often 10) and
 * then our own.  When the queue is full the waiting list becomes empty,
 * which means "everything": nothing is ever dropped for a list type.
 * NGX_OK merged, NGX_DECLINED not.
 */
static ngx_int_t
ngx_mobility_ipc_merge(ngx_pid_t pid, ngx_uint_t type, const u_char *data,
    size_t len)
{
    ngx_uint_t               last, full;
    ngx_queue_t             *q;
    ngx_mobility_ipc_msg_t  *m;

    if (!ngx_mobility_ipc_lists[type]) {
        return NGX_DECLINED;
    }

    full = (ngx_mobility_ipc_queued >= NGX_MOBILITY_IPC_QUEUE_MAX);
    last = 1;

    for (q = ngx_queue_last(&ngx_mobility_ipc_retry);
         q != ngx_queue_sentinel(&ngx_mobility_ipc_retry);
         q = ngx_queue_prev(q))
    {
        m = ngx_queue_data(q, ngx_mobility_ipc_msg_t, queue);

        if (m->pid != pid) {
            continue;
        }

        if (m->data[3] != type) {
            if (!full) {
                /* the worker's messages keep their order */
                return NGX_DECLINED;
            }

            last = 0;
            continue;
        }

        if (m->len == NGX_MOBILITY_IPC_HEADER) {
            /* "everything" already */
            return NGX_OK;
        }

        if (last && len && m->len >= NGX_MOBILITY_IPC_HEADER + len
            && ngx_memcmp(m->data + m->len - len, data, len) == 0
            && (m->len == NGX_MOBILITY_IPC_HEADER + len
                || m->data[m->len - len - 1] == '\n'))
        {
            /* the same lines as the last message: nothing to add */
            return NGX_OK;
        }

        if (last && len && m->len + 1 + len <= m->size) {
            m->data[m->len++] = '\n';
            ngx_memcpy(m->data + m->len, data, len);
            m->len += len;
            return NGX_OK;
        }

        if (!full) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "mobility ipc: %ui messages waiting, worker %P will "
                      "re-check everything", ngx_mobility_ipc_queued, pid);

        m->len = NGX_MOBILITY_IPC_HEADER;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_mobility_ipc_deliver(ngx_pid_t pid, ngx_uint_t type, const u_char *data,
    size_t len)
{
    u_char                   buf[NGX_MOBILITY_IPC_HEADER
                                 + NGX_MOBILITY_IPC_MAX];
    ngx_int_t                rc;
    ngx_mobility_ipc_msg_t  *m;

    if (pid == ngx_pid) {
        m = ngx_mobility_ipc_msg(pid, type, data, len);
        if (m == NULL) {
            return NGX_ERROR;
        }

        ngx_queue_insert_tail(&ngx_mobility_ipc_local, &m->queue);

        if (!ngx_mobility_ipc_local_ev.posted) {
            ngx_post_event(&ngx_mobility_ipc_local_ev, &ngx_posted_events);
        }

        return NGX_OK;
    }

    buf[0] = NGX_MOBILITY_IPC_MAGIC0;
    buf[1] = NGX_MOBILITY_IPC_MAGIC1;
    buf[2] = NGX_MOBILITY_IPC_VERSION;
    buf[3] = (u_char) type;
    ngx_mobility_put_le32(buf + 4, (uint32_t) ngx_pid);
    ngx_memcpy(buf + NGX_MOBILITY_IPC_HEADER, data, len);

    rc = ngx_mobility_ipc_sendto(pid, buf, NGX_MOBILITY_IPC_HEADER + len);

    if (rc != NGX_AGAIN) {
        return NGX_OK;
    }

    /* the receiver is busy: keep the message and retry shortly */

    if (ngx_mobility_ipc_merge(pid, type, data, len) == NGX_OK) {
        return NGX_OK;
    }

    m = ngx_mobility_ipc_msg(pid, type, data, len);
    if (m == NULL) {
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&ngx_mobility_ipc_retry, &m->queue);

    if (!ngx_mobility_ipc_retry_ev.timer_set) {
        ngx_add_timer(&ngx_mobility_ipc_retry_ev, NGX_MOBILITY_IPC_RETRY_MS);
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ipc_send(ngx_pid_t pid, ngx_uint_t type, const u_char *data,
    size_t len)
{
    if (ngx_mobility_ipc_conn == NULL || len > NGX_MOBILITY_IPC_MAX
        || type >= NGX_MOBILITY_IPC_TYPES)
    {
        return NGX_ERROR;
    }

    return ngx_mobility_ipc_deliver(pid, type, data, len);
}


ngx_int_t
ngx_mobility_ipc_broadcast(ngx_uint_t type, const u_char *data, size_t len)
{
    int                    rc;
    MDB_val                k, v;
    MDB_txn               *txn;
    ngx_pid_t              pid;
    ngx_int_t              res;
    MDB_cursor            *cur;
    ngx_mobility_store_t  *st;

    st = ngx_mobility_ipc_store;

    if (ngx_mobility_ipc_conn == NULL || len > NGX_MOBILITY_IPC_MAX
        || type >= NGX_MOBILITY_IPC_TYPES)
    {
        return NGX_ERROR;
    }

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0, "mobility ipc: %s",
                      st->err);
        return NGX_ERROR;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_WORKERS], &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    res = NGX_OK;

    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        if (k.mv_size != 4) {
            continue;
        }

        pid = (ngx_pid_t) (((uint32_t) ((u_char *) k.mv_data)[0] << 24)
                           | (((u_char *) k.mv_data)[1] << 16)
                           | (((u_char *) k.mv_data)[2] << 8)
                           | ((u_char *) k.mv_data)[3]);

        if (ngx_mobility_ipc_deliver(pid, type, data, len) != NGX_OK) {
            res = NGX_ERROR;
        }
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    return res;
}


static void
ngx_mobility_ipc_dispatch(const u_char *buf, size_t len)
{
    ngx_uint_t                   type;
    ngx_pid_t                    from;
    ngx_mobility_ipc_handler_pt  handler;

    if (len < NGX_MOBILITY_IPC_HEADER
        || buf[0] != NGX_MOBILITY_IPC_MAGIC0
        || buf[1] != NGX_MOBILITY_IPC_MAGIC1
        || buf[2] != NGX_MOBILITY_IPC_VERSION)
    {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "mobility ipc: malformed message of %uz bytes", len);
        return;
    }

    type = buf[3];
    from = (ngx_pid_t) ngx_mobility_le32(buf + 4);

    handler = (type < NGX_MOBILITY_IPC_TYPES)
              ? ngx_mobility_ipc_handlers[type] : NULL;

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, ngx_cycle->log, 0,
                   "mobility ipc: message type %ui from %P, %uz bytes",
                   type, from, len);

    if (handler) {
        handler(type, buf + NGX_MOBILITY_IPC_HEADER,
                len - NGX_MOBILITY_IPC_HEADER, from);

    } else if (type == NGX_MOBILITY_IPC_PING) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "mobility ipc: ping from %P", from);
    }
}


static void
ngx_mobility_ipc_read_handler(ngx_event_t *ev)
{
    u_char             buf[NGX_MOBILITY_IPC_HEADER + NGX_MOBILITY_IPC_MAX];
    ssize_t            n;
    ngx_err_t          err;
    ngx_connection_t  *c;

    c = ev->data;

    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            if (err != NGX_EAGAIN) {
                ngx_log_error(NGX_LOG_ALERT, ev->log, err,
                              "mobility ipc: recv() failed");
            }

            return;
        }

        ngx_mobility_ipc_dispatch(buf, (size_t) n);

        if (ngx_mobility_ipc_conn == NULL) {
            /* a handler ended the process's IPC */
            return;
        }
    }
}


static void
ngx_mobility_ipc_local_handler(ngx_event_t *ev)
{
    ngx_queue_t             *q;
    ngx_mobility_ipc_msg_t  *m;

    while (!ngx_queue_empty(&ngx_mobility_ipc_local)) {
        q = ngx_queue_head(&ngx_mobility_ipc_local);
        ngx_queue_remove(q);
        ngx_mobility_ipc_queued--;

        m = ngx_queue_data(q, ngx_mobility_ipc_msg_t, queue);
        ngx_mobility_ipc_dispatch(m->data, m->len);
        ngx_free(m);
    }
}


static void
ngx_mobility_ipc_retry_handler(ngx_event_t *ev)
{
    ngx_int_t                rc;
    ngx_queue_t             *q, *next;
    ngx_mobility_ipc_msg_t  *m;

    if (ngx_mobility_ipc_conn == NULL) {
        return;
    }

    for (q = ngx_queue_head(&ngx_mobility_ipc_retry);
         q != ngx_queue_sentinel(&ngx_mobility_ipc_retry);
         q = next)
    {
        next = ngx_queue_next(q);
        m = ngx_queue_data(q, ngx_mobility_ipc_msg_t, queue);

        rc = ngx_mobility_ipc_sendto(m->pid, m->data, m->len);

        if (rc == NGX_AGAIN) {
            continue;
        }

        ngx_queue_remove(q);
        ngx_mobility_ipc_queued--;
        ngx_free(m);
    }

    if (!ngx_queue_empty(&ngx_mobility_ipc_retry)) {
        ngx_add_timer(ev, NGX_MOBILITY_IPC_RETRY_MS);
    }
}
