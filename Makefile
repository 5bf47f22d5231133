# Builds the mobility modules as one dynamic module for Debian's packaged
# nginx (with Debian's recorded configure flags, so the .so is binary
# compatible with /usr/sbin/nginx), the admin CLI, and runs the tests.
#
#   make          build build/nginx/ngx_mobility_module.so and build/mobilityctl
#   make run      install what is missing, build, start the demo deployment
#   make test     install what is missing, build, run the whole suite
#   make valgrind the suite under valgrind (leaks and invalid accesses)
#   make bench    the benchmarks under bench/

SHELL       := /bin/bash

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       ?= $(CURDIR)/build
CC          ?= cc

MODULE      := $(BUILD)/nginx/ngx_mobility_module.so
CLI         := $(BUILD)/mobilityctl

SHARED_C    := $(wildcard shared/*.c)
SHARED_H    := $(wildcard shared/*.h)
MODULE_C    := $(wildcard ngx_mobility_*/*.c) $(SHARED_C)
MODULE_H    := $(wildcard ngx_mobility_*/*.h) $(SHARED_H)

# the CLI links the plain-C part of shared/ (no nginx runtime in it)
CLI_SHARED  := shared/ngx_mobility_record.c shared/ngx_mobility_store.c \
               shared/ngx_mobility_kv.c \
               shared/ngx_mobility_sip.c shared/ngx_mobility_codec.c \
               shared/ngx_mobility_password.c shared/ngx_mobility_directory.c \
               shared/ngx_mobility_contacts.c \
               shared/ngx_mobility_photo.c \
               shared/ngx_mobility_policy.c shared/ngx_mobility_audit.c \
               shared/ngx_mobility_notify.c \
               shared/ngx_mobility_jose.c shared/ngx_mobility_webpush.c \
               shared/ngx_mobility_push.c \
               shared/ngx_mobility_meetings.c
CLI_C       := $(wildcard tools/*.c) $(CLI_SHARED)
# NGX_MOBILITY_PLAIN_C: files with nginx types but no nginx runtime
# (meetings) take them from shared/ngx_mobility_plain.h
CLI_CFLAGS  := -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror \
               -Wformat -Werror=format-security -D_FORTIFY_SOURCE=2 \
               -fstack-protector-strong -Ishared -DNGX_MOBILITY_PLAIN_C
CLI_LIBS    := -llmdb -ljansson -lcrypto

PROVE_ENV    = TEST_NGINX_BINARY=$(NGINX_BIN) \
               TEST_NGINX_LOAD_MODULES="$(MODULE)" \
               TEST_NGINX_SERVROOT=$(BUILD)/servroot \
               MOBILITYCTL=$(CLI)

.PHONY: all module cli deps test test-reload valgrind run bench clean

all: module cli

module: $(MODULE)

cli: $(CLI)

# re-run configure when config changes or a source file comes or goes
SRC_LIST    := $(sort $(MODULE_C))
$(shell mkdir -p $(BUILD); echo "$(SRC_LIST)" | cmp -s - $(BUILD)/srcs.list \
        || echo "$(SRC_LIST)" > $(BUILD)/srcs.list)

$(BUILD)/nginx/Makefile: config $(BUILD)/srcs.list
	mkdir -p $(BUILD)/nginx
	cd $(NGINX_SRC) && . ./conf_flags && CC=$(CC) ./configure \
	    --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC $$(dpkg-buildflags --get CPPFLAGS)" \
	    --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(BUILD)/nginx > $(BUILD)/nginx-configure.log 2>&1 \
	    || { tail -30 $(BUILD)/nginx-configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/Makefile $(MODULE_C) $(MODULE_H)
	$(MAKE) -f $(BUILD)/nginx/Makefile -C $(NGINX_SRC) modules

$(CLI): $(CLI_C) $(SHARED_H) $(wildcard tools/*.h)
	mkdir -p $(BUILD)
	$(CC) $(CLI_CFLAGS) -o $@ $(CLI_C) $(CLI_LIBS)

deps:
	bash scripts/install-deps.sh

test: deps
	$(MAKE) all
	$(PROVE_ENV) prove -r t/
	$(PROVE_ENV) TEST_NGINX_MASTER_PROCESS=on TEST_NGINX_USE_HUP=1 \
	    prove t/reload/

valgrind: deps
	$(MAKE) all
	$(PROVE_ENV) bash scripts/valgrind.sh $(VALGRIND_TESTS)

run: deps
	$(MAKE) all
	bash scripts/demo.sh

bench: deps
	$(MAKE) all
	bash bench/run.sh

clean:
	rm -rf $(BUILD)
