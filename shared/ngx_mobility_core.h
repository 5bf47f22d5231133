/*
 * Copyright (C) The nginx mobility authors
 *
 * What every mobility module shares inside nginx: the per-process store.
 */

#ifndef _NGX_MOBILITY_CORE_H_INCLUDED_
#define _NGX_MOBILITY_CORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_mobility_store.h"
#include "ngx_mobility_directory.h"


typedef struct {
    ngx_str_t     path;
    size_t        size;
    ngx_uint_t    durability;
    ngx_msec_t    flush;

    /* how the P-GET batches commit: NGX_MOBILITY_RELEASES_* */
    ngx_uint_t    releases;

    /* durability=relaxed: the pool that runs the flushes (NGX_THREADS) */
    void         *thread_pool;

    /* the first directive that needs the store, for the error message */
    const char   *required;
} ngx_mobility_core_conf_t;


extern ngx_module_t  ngx_mobility_module;


/* the store opened by this process, or NULL outside workers */
ngx_mobility_store_t *ngx_mobility_store_current(void);
ngx_mobility_core_conf_t *ngx_mobility_core_conf(ngx_cycle_t *cycle);

/* zeroed memory for the rest of this process (per-worker caches) */
void *ngx_mobility_process_calloc(size_t n, size_t size);

/* IPC and store timers, once the event module is up (init_process) */
ngx_int_t ngx_mobility_init_events(ngx_cycle_t *cycle);

/* called by directives that cannot work without "mobility_store" */
void ngx_mobility_require_store(ngx_conf_t *cf, const char *who);


#endif /* _NGX_MOBILITY_CORE_H_INCLUDED_ */
