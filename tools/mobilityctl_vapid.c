/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl vapid generate|show: the P-256 key of Web Push VAPID
 * (RFC 8292).  The public key, base64url, is the applicationServerKey a
 * web application passes to pushManager.subscribe().  No store needed.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "mobilityctl.h"
#include "ngx_mobility_codec.h"
#include "ngx_mobility_jose.h"


static int mobilityctl_vapid_file(mobilityctl_t *ctx, mobilityctl_args_t *a,
    char **file);
static int mobilityctl_vapid_print(mobilityctl_t *ctx, EVP_PKEY *key,
    const char *file);
static int mobilityctl_vapid_write(const char *file, EVP_PKEY *key);


/* the one positional argument FILE */

static int
mobilityctl_vapid_file(mobilityctl_t *ctx, mobilityctl_args_t *a,
    char **file)
{
    int    id;
    char  *v;

    *file = NULL;

    while ((id = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (*file != NULL) {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }

        *file = v;
    }

    if (*file == NULL || **file == '\0') {
        return mobilityctl_usage_error(a, "missing key FILE");
    }

    return MOBILITYCTL_OK;
}


static int
mobilityctl_vapid_print(mobilityctl_t *ctx, EVP_PKEY *key, const char *file)
{
    char           b64[ngx_mobility_b64url_len(65) + 1];
    size_t         n;
    json_t        *j;
    unsigned char  raw[65];

    if (!ngx_mobility_ec_public_raw(key, raw)) {
        mobilityctl_error("%s: not a P-256 key (VAPID needs one)", file);
        return MOBILITYCTL_EINPUT;
    }

    n = ngx_mobility_b64url_encode((u_char *) b64, raw, sizeof(raw));
    b64[n] = '\0';

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "publicKey", json_string(b64));
        mobilityctl_json_print(j);

    } else {
        printf("%s\n", b64);
    }

    return MOBILITYCTL_OK;
}


/* PKCS#8 PEM, mode 0600, never over an existing file */

static int
mobilityctl_vapid_write(const char *file, EVP_PKEY *key)
{
    int       fd, rc;
    BIO      *bio;
    long      len;
    char     *pem;
    ssize_t   n;
    size_t    done;

    bio = BIO_new(BIO_s_mem());

    if (bio == NULL
        || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
    {
        BIO_free(bio);
        mobilityctl_error("cannot encode the new key");
        return MOBILITYCTL_ESTORE;
    }

    len = BIO_get_mem_data(bio, &pem);

    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd == -1) {
        rc = errno;
        BIO_free(bio);

        if (rc == EEXIST) {
            mobilityctl_error("%s already exists; not overwritten (remove it "
                              "first to replace the VAPID key)", file);
            return MOBILITYCTL_EINPUT;
        }

        mobilityctl_error("%s: %s", file, strerror(rc));
        return MOBILITYCTL_EINPUT;
    }

    rc = MOBILITYCTL_OK;

    /* the umask may only have narrowed it; make it exact */

    if (fchmod(fd, 0600) == -1) {
        rc = errno;
    }

    for (done = 0; rc == MOBILITYCTL_OK && done < (size_t) len; done += n) {
        n = write(fd, pem + done, (size_t) len - done);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            rc = errno;
        }
    }

    if (rc == MOBILITYCTL_OK && fsync(fd) == -1) {
        rc = errno;
    }

    if (close(fd) == -1 && rc == MOBILITYCTL_OK) {
        rc = errno;
    }

    OPENSSL_cleanse(pem, (size_t) len);
    BIO_free(bio);

    if (rc != MOBILITYCTL_OK) {
        (void) unlink(file);
        mobilityctl_error("%s: %s", file, strerror(rc));
        return MOBILITYCTL_EINPUT;
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_vapid_generate(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int        rc;
    char      *file;
    EVP_PKEY  *key;

    rc = mobilityctl_vapid_file(ctx, a, &file);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    key = ngx_mobility_ec_generate();
    if (key == NULL) {
        mobilityctl_error("cannot generate a P-256 key");
        return MOBILITYCTL_ESTORE;
    }

    rc = mobilityctl_vapid_write(file, key);

    if (rc == MOBILITYCTL_OK) {
        rc = mobilityctl_vapid_print(ctx, key, file);
    }

    EVP_PKEY_free(key);

    return rc;
}


int
mobilityctl_vapid_show(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int        rc;
    char      *file, err[NGX_MOBILITY_JOSE_ERR_MAX + 64];
    EVP_PKEY  *key;

    rc = mobilityctl_vapid_file(ctx, a, &file);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    key = ngx_mobility_pkey_read_file(file, err, sizeof(err));
    if (key == NULL) {
        mobilityctl_error("%s", err);
        return MOBILITYCTL_EINPUT;
    }

    rc = mobilityctl_vapid_print(ctx, key, file);

    EVP_PKEY_free(key);

    return rc;
}
