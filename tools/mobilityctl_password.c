/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: reading and hashing passwords.  A password comes from
 * standard input only, never from the command line, where other users
 * of the host could read it.
 */


#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mobilityctl.h"


#define MOBILITYCTL_LINE_EOF      0
#define MOBILITYCTL_LINE_OK       1
#define MOBILITYCTL_LINE_ERROR   -1
#define MOBILITYCTL_LINE_TOOLONG -2


static struct termios          mobilityctl_tio;
static volatile sig_atomic_t   mobilityctl_tio_saved;

static const int  mobilityctl_tty_signals[] = {
    SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0
};


void
mobilityctl_cleanse(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}


/*
 * Reads one line from fd a byte at a time, so nothing after it is
 * consumed and no copy of the password stays in a stdio buffer.
 */

static int
mobilityctl_read_line(int fd, u_char *buf, size_t size, size_t *len)
{
    int      any, toolong;
    u_char   c;
    size_t   n;
    ssize_t  r;

    n = 0;
    any = 0;
    toolong = 0;

    for ( ;; ) {
        r = read(fd, &c, 1);

        if (r == -1) {
            if (errno == EINTR) {
                continue;
            }

            return MOBILITYCTL_LINE_ERROR;
        }

        if (r == 0) {
            break;
        }

        any = 1;

        if (c == '\n') {
            break;
        }

        if (n < size) {
            buf[n++] = c;

        } else {
            toolong = 1;
        }
    }

    c = 0;

    if (!any) {
        return MOBILITYCTL_LINE_EOF;
    }

    if (n && buf[n - 1] == '\r') {
        n--;
    }

    if (toolong) {
        return MOBILITYCTL_LINE_TOOLONG;
    }

    *len = n;

    return MOBILITYCTL_LINE_OK;
}


static void
mobilityctl_tty_signal(int signo)
{
    if (mobilityctl_tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &mobilityctl_tio);
    }

    signal(signo, SIG_DFL);
    raise(signo);
}


/* prompts on the terminal and reads a line with echo off */

static int
mobilityctl_tty_read(const char *prompt, u_char *buf, size_t size,
    size_t *len)
{
    int               rc, i;
    struct termios    tio;
    struct sigaction  sa, old[8];

    if (tcgetattr(STDIN_FILENO, &mobilityctl_tio) == -1) {
        return MOBILITYCTL_LINE_ERROR;
    }

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = mobilityctl_tty_signal;
    sigemptyset(&sa.sa_mask);

    for (i = 0; mobilityctl_tty_signals[i]; i++) {
        sigaction(mobilityctl_tty_signals[i], &sa, &old[i]);
    }

    mobilityctl_tio_saved = 1;

    tio = mobilityctl_tio;
    tio.c_lflag &= ~(ECHO | ECHOE | ECHOK);
    tio.c_lflag |= ECHONL | ICANON;

    /* echo off first: TCSAFLUSH drops what was typed before the prompt */

    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) == -1) {
        rc = MOBILITYCTL_LINE_ERROR;

    } else {
        fputs(prompt, stderr);
        fflush(stderr);

        rc = mobilityctl_read_line(STDIN_FILENO, buf, size, len);
    }

    tcsetattr(STDIN_FILENO, TCSAFLUSH, &mobilityctl_tio);

    mobilityctl_tio_saved = 0;

    for (i = 0; mobilityctl_tty_signals[i]; i++) {
        sigaction(mobilityctl_tty_signals[i], &old[i], NULL);
    }

    if (rc == MOBILITYCTL_LINE_EOF) {
        fputc('\n', stderr);
    }

    return rc;
}


/*
 * The password of who: one line of standard input; on a terminal with
 * echo off, and typed twice unless from_stdin.  pw holds at least
 * NGX_MOBILITY_PW_MAX_LEN + 1 bytes.
 */

int
mobilityctl_password_read(int from_stdin, const char *who, u_char *pw,
    size_t *len)
{
    int     rc, status;
    char    prompt[NGX_MOBILITY_SIP_MAX + 64];
    u_char  again[NGX_MOBILITY_PW_MAX_LEN + 1];
    size_t  alen;

    if (isatty(STDIN_FILENO)) {
        snprintf(prompt, sizeof(prompt), "New password for %s: ", who);

        rc = mobilityctl_tty_read(prompt, pw, NGX_MOBILITY_PW_MAX_LEN + 1,
                                  len);

        if (rc == MOBILITYCTL_LINE_OK && *len && !from_stdin) {
            rc = mobilityctl_tty_read("Retype the new password: ", again,
                                      sizeof(again), &alen);

            if (rc == MOBILITYCTL_LINE_OK
                && (alen != *len || CRYPTO_memcmp(again, pw, alen) != 0))
            {
                mobilityctl_cleanse(again, sizeof(again));
                mobilityctl_error("the passwords do not match");
                return MOBILITYCTL_EINPUT;
            }

            mobilityctl_cleanse(again, sizeof(again));
        }

    } else {
        rc = mobilityctl_read_line(STDIN_FILENO, pw,
                                   NGX_MOBILITY_PW_MAX_LEN + 1, len);
    }

    status = MOBILITYCTL_EINPUT;

    switch (rc) {

    case MOBILITYCTL_LINE_OK:
        if (*len == 0) {
            mobilityctl_error("empty password");
            break;
        }

        if (*len > NGX_MOBILITY_PW_MAX_LEN) {
            mobilityctl_error("the password is longer than %d bytes",
                              NGX_MOBILITY_PW_MAX_LEN);
            break;
        }

        return MOBILITYCTL_OK;

    case MOBILITYCTL_LINE_EOF:
        mobilityctl_error("no password on standard input");
        break;

    case MOBILITYCTL_LINE_TOOLONG:
        mobilityctl_error("the password is longer than %d bytes",
                          NGX_MOBILITY_PW_MAX_LEN);
        break;

    default:
        mobilityctl_error("reading the password: %s", strerror(errno));
        status = MOBILITYCTL_ESTORE;
        break;
    }

    mobilityctl_cleanse(pw, NGX_MOBILITY_PW_MAX_LEN + 1);

    return status;
}


/* the store's hashing cost, "password_iterations" */

int
mobilityctl_password_iterations(mobilityctl_t *ctx, MDB_txn *txn,
    uint32_t *iterations)
{
    uint32_t  n;

    n = ngx_mobility_store_meta_u32(&ctx->store, txn,
                                    NGX_MOBILITY_META_PW_ITERATIONS,
                                    NGX_MOBILITY_PW_DEFAULT_ITERATIONS);

    if (n < NGX_MOBILITY_PW_MIN_ITERATIONS
        || n > NGX_MOBILITY_PW_MAX_ITERATIONS)
    {
        mobilityctl_error("store \"%s\": password_iterations %u is out of "
                          "range; fix it with: mobilityctl store init "
                          "--password-iterations N", ctx->path, n);
        return MOBILITYCTL_ESTORE;
    }

    *iterations = n;

    return MOBILITYCTL_OK;
}


int
mobilityctl_password_hash(const u_char *pw, size_t len, uint32_t iterations,
    char *out)
{
    if (ngx_mobility_pw_hash(pw, len, iterations, out) != 0) {
        mobilityctl_error("cannot hash the password");
        return MOBILITYCTL_ESTORE;
    }

    return MOBILITYCTL_OK;
}
