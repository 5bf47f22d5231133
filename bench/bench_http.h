/*
 * The HTTP/1.1 client shared by the C benchmark tools (bench/ucwa_client.c,
 * bench/w6_load.c): included by each (gcc finds it next to the tool's
 * source, so the scripts' build lines name only the tool).  Plain C, no
 * dependencies.  The including file defines BENCH_PROG (the name its
 * errors start with) first.
 *
 *   die()            the message on standard error, exit status 2
 *   now_us()         CLOCK_MONOTONIC, us
 *   lines_read()     a file of space-separated fields, one record a line
 *   conn_open()      a blocking TCP connection to 127.0.0.1:port, from a
 *                    source address when given one
 *   write_all()      the whole buffer, waiting while the socket is full
 *   header_find()    a header's value in a response header
 *   header_is_close() a response that closes its connection
 *   resp_parse()     one whole response (Content-Length or chunked)
 *   parse_next_ack() the ack of an event channel's next/resume/resync link
 */

#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static int  port;


static void
die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, BENCH_PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}


static double
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


/* ------------------------------------------------------------------ */
/* input files                                                        */

/*
 * Field i of line j is f[i][j]: the first nf - 1 fields end at a space,
 * the last is the rest of the line; a field the line lacks is NULL.
 * Empty lines are skipped.
 */
typedef struct {
    char   **f[4];
    size_t   n;
} lines_t;


static void
lines_read(const char *path, lines_t *l, int nf)
{
    FILE    *fp;
    char    *line = NULL, *p, *sp;
    size_t   cap = 0, alloc = 0;
    ssize_t  len;
    int      i;

    fp = fopen(path, "r");
    if (fp == NULL) {
        die("%s: %s", path, strerror(errno));
    }

    memset(l, 0, sizeof(*l));

    while ((len = getline(&line, &cap, fp)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (l->n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            for (i = 0; i < nf; i++) {
                l->f[i] = realloc(l->f[i], alloc * sizeof(char *));
            }
        }
        p = line;
        for (i = 0; i < nf; i++) {
            sp = i < nf - 1 ? strchr(p, ' ') : NULL;
            if (sp) {
                *sp = '\0';
            }
            l->f[i][l->n] = p ? strdup(p) : NULL;
            p = sp ? sp + 1 : NULL;
        }
        l->n++;
    }

    free(line);
    fclose(fp);
}


/* ------------------------------------------------------------------ */
/* connections and responses                                          */

/* head and body point into the buffer the response was parsed in */
typedef struct {
    int      status;
    char    *head;
    size_t   hlen;
    char    *body;
    size_t   body_len;
    size_t   total;      /* bytes of the whole response */
} resp_t;


static int
conn_open(const char *src)
{
    int                 fd, one = 1;
    struct sockaddr_in  sa;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        die("socket: %s", strerror(errno));
    }

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (src) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                   sizeof(one));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        inet_pton(AF_INET, src, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
            die("bind %s: %s", src, strerror(errno));
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        die("connect to port %d: %s", port, strerror(errno));
    }

    return fd;
}


/* 0, or -1 with errno when the write failed */
static int
write_all(int fd, const char *buf, size_t len)
{
    ssize_t        n;
    struct pollfd  p;

    while (len) {
        n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                p.fd = fd;
                p.events = POLLOUT;
                poll(&p, 1, 1000);
                continue;
            }
            return -1;
        }
        buf += n;
        len -= n;
    }

    return 0;
}


/* the value of header name (after "name:" and spaces), or NULL */
static const char *
header_find(const char *head, size_t hlen, const char *name)
{
    size_t      nl = strlen(name);
    const char *p = head, *end = head + hlen;

    while ((p = memchr(p, '\n', end - p)) != NULL) {
        p++;
        if ((size_t) (end - p) > nl && strncasecmp(p, name, nl) == 0
            && p[nl] == ':')
        {
            p += nl + 1;
            while (*p == ' ') {
                p++;
            }
            return p;
        }
    }

    return NULL;
}


/* "Connection: close" */
static int
header_is_close(resp_t *r)
{
    const char *h = header_find(r->head, r->hlen, "Connection");

    return h && strncasecmp(h, "close", 5) == 0;
}


/* 1: a whole response at buf (r filled), 0: need more (r untouched) */
static int
resp_parse(char *buf, size_t len, resp_t *r)
{
    char       *end, *p;
    const char *h;
    size_t      hlen, clen, total;
    int         status;

    end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return 0;
    }

    hlen = end + 4 - buf;

    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) {
        die("not an HTTP response: %.40s", buf);
    }

    status = atoi(buf + 9);

    if (status == 204 || status == 304 || status / 100 == 1) {
        clen = 0;
        total = hlen;

    } else if ((h = header_find(buf, hlen, "Content-Length")) != NULL) {
        clen = strtoul(h, NULL, 10);
        total = hlen + clen;

    } else if ((h = header_find(buf, hlen, "Transfer-Encoding")) != NULL
               && strncasecmp(h, "chunked", 7) == 0)
    {
        p = memmem(buf + hlen, len - hlen, "0\r\n\r\n", 5);
        if (p == NULL) {
            return 0;
        }
        clen = p - (buf + hlen);
        total = p + 5 - buf;

    } else {
        die("response without a length: %.*s", (int) hlen, buf);
    }

    if (len < total) {
        return 0;
    }

    r->status = status;
    r->head = buf;
    r->hlen = hlen;
    r->body = buf + hlen;
    r->body_len = clen;
    r->total = total;

    return 1;
}


/* the ack= of the next (or resume, resync) link of an events response */
static int
parse_next_ack(resp_t *r, int cur)
{
    char *p, *e = r->body + r->body_len;

    p = memmem(r->body, r->body_len, "\"next\":{\"href\":\"", 16);
    if (p == NULL) {
        p = memmem(r->body, r->body_len, "\"resume\":{\"href\":\"", 18);
    }
    if (p == NULL) {
        p = memmem(r->body, r->body_len, "\"resync\":{\"href\":\"", 18);
    }
    if (p == NULL) {
        return cur;
    }
    p = memmem(p, e - p, "ack=", 4);
    return p ? atoi(p + 4) : cur;
}

#endif /* BENCH_HTTP_H */
