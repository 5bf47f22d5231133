/*
 * Copyright (C) The nginx mobility authors
 *
 * SIP address syntax.  Lync and Skype for Business compare SIP addresses
 * case-insensitively, so the canonical form used as a store key is
 * "user@domain" in lower case, without the "sip:" scheme.
 */

#ifndef _NGX_MOBILITY_SIP_H_INCLUDED_
#define _NGX_MOBILITY_SIP_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


#define NGX_MOBILITY_SIP_MAX      256
#define NGX_MOBILITY_DOMAIN_MAX   253


/*
 * Canonicalises "sip:User@Domain" or "User@Domain" into out (at least
 * NGX_MOBILITY_SIP_MAX + 1 bytes, NUL-terminated).  Returns the length,
 * or -1 if the address is malformed.  *domain points into out.
 */
int ngx_mobility_sip_canon(const u_char *in, size_t len, u_char *out,
    const u_char **domain);

/* lower-cases a DNS domain name into out; length or -1 if malformed */
int ngx_mobility_domain_canon(const u_char *in, size_t len, u_char *out);


#endif /* _NGX_MOBILITY_SIP_H_INCLUDED_ */
