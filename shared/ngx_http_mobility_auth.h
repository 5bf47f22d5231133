/*
 * Copyright (C) The nginx mobility authors
 *
 * Internal to the common HTTP module: the token service.
 */

#ifndef _NGX_HTTP_MOBILITY_AUTH_H_INCLUDED_
#define _NGX_HTTP_MOBILITY_AUTH_H_INCLUDED_


#include "ngx_http_mobility.h"


/* token signing keys rotate daily; older keys verify until unused */
#define NGX_HTTP_MOBILITY_KEY_ROTATE  (24 * 60 * 60)


ngx_int_t ngx_http_mobility_token_handler(ngx_http_request_t *r);

/* sets up the sign-in throttle zone and the password thread pool */
char *ngx_http_mobility_auth_init_conf(ngx_conf_t *cf);


#endif /* _NGX_HTTP_MOBILITY_AUTH_H_INCLUDED_ */
