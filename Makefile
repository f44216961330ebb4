# mailseal - one plain GNU Makefile.
#
#   make            build the library and the CLI under build/
#   make check      build, then run every test (unit, golden, interop)
#   make SAN=1 check   the same under ASan+UBSan (output under build/san/)
#   make fuzz       build the libFuzzer targets and run each briefly
#   make bench      run the benchmarks (not part of check)
#   make demo       the main job: Exim signs, Postfix verifies and refuses forgeries
#   make diff-long  the SPF and DMARC differential tests at full size (not CI)
#   make package-test  the Debian packages installed in a fresh Debian 12
#                   (debootstrap; network, minutes; not CI)
#   make policyd    the command and the Postfix daemon only (no exim4-dev)
#   make install    PREFIX=/usr/local DESTDIR=  everything `make all` builds
#   make install-policyd  the command, the Postfix daemon, its unit, docs
#                   and man pages (`make policyd`: no exim4-dev needed)

CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

BUILD   := build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wno-unused-parameter
SYSCONFDIR ?= /etc/mailseal
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     := -O2 -g
# common/ has one folder per layer (util mail dns farm dkim tls policy:
# ../shared/DESIGN.md); every folder is on the include path
COMMON_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard common/*/*.c common/*/*.h))))
COMMON_INC  := $(COMMON_DIRS:%=-I%)
CFLAGS_ALL = $(CSTD) $(OPT) $(WARN) -fPIC $(COMMON_INC) \
             -DMAILSEAL_SYSCONFDIR='"$(SYSCONFDIR)"' $(CPPFLAGS) $(CFLAGS)
LIBS    := -lcrypto -lunbound -lhiredis -lcares -lresolv

ifeq ($(SAN),1)
BUILD   := build/san
OPT     := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_ALL += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

COMMON_SRC := $(sort $(wildcard common/*/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# helper programs the integration tests run (tests/farm/*.c)
HELPER_SRC := $(sort $(wildcard tests/farm/*.c))
HELPER_BIN := $(HELPER_SRC:tests/%.c=$(BUILD)/tests/%)
LIB        := $(BUILD)/libmailseal.a
CLI        := $(BUILD)/mailseal
EXIM_SO    := $(BUILD)/mailseal_exim.so
# mailseal-policyd: everything but main() in its own archive, which the
# unit tests and fuzz targets (the protocol codecs, a whole milter
# session) link too
PF_MAIN    := postfix-policy/daemon.c
PF_PROTO   := $(filter-out $(PF_MAIN),$(sort $(wildcard postfix-policy/*.c)))
PF_OBJ     := $(PF_PROTO:%.c=$(BUILD)/obj/%.o)
PF_LIB     := $(BUILD)/libmspostfix.a
POLICYD    := $(BUILD)/mailseal-policyd
EXIM_INC   ?= /usr/include/exim4

.PHONY: all check unit fuzz fuzz-build fuzz-campaign memflat bench demo diff-long soak install clean \
	exim exim-static policyd install-policyd package-test
all: $(LIB) $(CLI) $(EXIM_SO) $(PF_LIB) $(POLICYD)

# a Postfix host: no Exim headers needed (scripts/install-deps.sh --policyd)
policyd: $(LIB) $(CLI) $(PF_LIB) $(POLICYD)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# zlib: only the CLI's dmarc-report compresses (RFC 9990's gzip)
$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS) -lz

$(PF_LIB): $(PF_PROTO:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(POLICYD): $(BUILD)/obj/$(PF_MAIN:.c=.o) $(PF_LIB) $(LIB)
	$(CC) $(LDFLAGS) -pthread -o $@ $(BUILD)/obj/$(PF_MAIN:.c=.o) $(PF_LIB) $(LIB) $(LIBS)

# the Exim module: local_scan.h from exim4-dev; only the entry points
# are exported (exim/exports.map), so Exim's own symbols never replace
# ours and ours never replace Exim's
$(BUILD)/obj/exim/%.o: exim/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -isystem $(EXIM_INC) -MMD -MP -c -o $@ $<

$(EXIM_SO): $(BUILD)/obj/exim/mailseal_exim.o $(LIB) exim/exports.map
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=exim/exports.map -Wl,-z,now -Wl,-z,relro \
		-Wl,-Bsymbolic -o $@ $(BUILD)/obj/exim/mailseal_exim.o $(LIB) $(LIBS)

exim: $(EXIM_SO)

# Exim built from Debian's source with the module compiled in
# (LOCAL_SCAN_SOURCE; exim/STATIC.md), always over the normal build's
# library: build/exim-static/exim.  About a minute the first time.
EXIM_STATIC_DIR := build/exim-static
exim-static:
	$(MAKE) SAN= build/libmailseal.a
	scripts/build-exim-static.sh $(EXIM_STATIC_DIR) $(CURDIR)/exim/mailseal_exim.c \
		"$(COMMON_DIRS:%=-I$(CURDIR)/%)" "$(CURDIR)/build/libmailseal.a $(LIBS)"

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/unit.o $(LIB) $(PF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/obj/tests/unit/unit.o $(PF_LIB) $(LIB) $(LIBS)

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -Itests/unit -Ipostfix-policy -MMD -MP -c -o $@ $<

$(BUILD)/tests/farm/%: $(BUILD)/obj/tests/farm/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

unit: $(UNIT_BIN) $(HELPER_BIN)

# check: every test layer; tests/run prints "N passed, N failed".
# (the Exim tests load the normal build's module: see tests/exim/t-exim.sh)
check: all $(UNIT_BIN) $(HELPER_BIN) exim-static
	$(if $(filter 1,$(SAN)),$(MAKE) SAN= build/mailseal_exim.so)
	MAILSEAL_BUILD=$(BUILD) tests/run

# libFuzzer targets: always clang, always ASan+UBSan, separate objects.
FUZZ_CC     := clang
FUZZ_BUILD  := build/fuzz
FUZZ_CFLAGS := $(CSTD) -O1 -g $(WARN) -Wno-unused-function $(COMMON_INC) -Ipostfix-policy \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_COMMON := $(COMMON_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(PF_PROTO:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 20

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $<"
	@$(FUZZ_CC) $(subst fuzzer$(comma),fuzzer-no-link$(comma),$(FUZZ_CFLAGS)) -MMD -MP -c -o $@ $<

comma := ,
$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	@echo "  LD-FUZZ $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -o $@ $< $(FUZZ_COMMON) $(LIBS)

fuzz-build: $(FUZZ_BIN)
# the objects are prerequisites of a pattern rule only: keep them, or
# each new target rebuilds them all
.SECONDARY: $(FUZZ_COMMON)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh $(FUZZ_BUILD)

# long campaigns (not CI): every fuzz target in turn, FUZZ_TIME seconds
# each (FUZZ_RUNS caps executions, FUZZ_TARGETS picks some), grown
# corpora merged back minimized, figures in docs/fuzzing.md; and one
# mailseal-policyd (normal, then SAN=1 build for LeakSanitizer) under a
# million policy requests and 100,000 milter messages, RSS and
# descriptors in docs/memory.md
FUZZ_TIME ?= 600
MEMFLAT_POLICY ?= 1000000
MEMFLAT_MILTER ?= 100000
fuzz-campaign: fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TARGETS="$(FUZZ_TARGETS)" \
		tests/fuzz/campaign.sh $(FUZZ_BUILD)

memflat:
	$(MAKE) SAN= all
	$(MAKE) SAN=1 all
	rc=0; export MAILSEAL_ROOT=$(CURDIR) MEMFLAT_POLICY=$(MEMFLAT_POLICY) \
		MEMFLAT_MILTER=$(MEMFLAT_MILTER) MEMFLAT_REPORT=docs/memory.md; \
	MAILSEAL_BUILD=build MEMFLAT_REPORT_NEW=1 tests/postfix/memflat.sh || rc=1; \
	MAILSEAL_BUILD=build/san tests/postfix/memflat.sh || rc=1; \
	exit $$rc

bench: all
	bench/run.sh $(BUILD)
	bench/farm.sh $(BUILD)
	bench/exim.sh $(BUILD)
	bench/eximsign.sh $(BUILD)
	bench/policy.sh $(BUILD)
	bench/postfix.sh $(BUILD)
	BENCH_PF_PER=1 BENCH_PF_MSGS=2000 BENCH_PF_CONFIGS="plain null-milter null-eom mailseal ms-full" bench/postfix.sh $(BUILD)
	bench/policydns.sh $(BUILD)

demo: all
	scripts/demo.sh $(CURDIR)/$(CLI)

# the fault campaign under load at full length, on a Sentinel-watched
# Redis and on a Redis Cluster; writes docs/reliability.md (not CI:
# tests/soak/t-soak-short.sh is its short version)
soak: all
	MAILSEAL_BUILD=$(BUILD) tests/soak/run-soak.sh

# the differential tests at full size (CI runs smaller sets): 2000 SPF
# record trees against pyspf, 3000 DMARC cases against OpenDMARC and
# Mail::DMARC
diff-long: all
	SPF_DIFF_SCENARIOS=2000 MAILSEAL_BUILD=$(BUILD) MAILSEAL_ROOT=$(CURDIR) \
		MAILSEAL=$(CURDIR)/$(CLI) tests/dns/t-spf.sh
	DMARC_DIFF_CASES=3000 MAILSEAL_BUILD=$(BUILD) MAILSEAL_ROOT=$(CURDIR) \
		MAILSEAL=$(CURDIR)/$(CLI) tests/dns/t-dmarc-diff.sh

# the Debian packages in a debootstrapped Debian 12 (scripts/package-test.sh)
package-test:
	scripts/package-test.sh

LIBDIR  ?= $(PREFIX)/lib
SBINDIR ?= $(PREFIX)/sbin

DOCDIR  ?= $(PREFIX)/share/doc/mailseal
UNITDIR ?= /etc/systemd/system
# the unit names /usr/local/sbin; another PREFIX gets its own path
UNIT_SED = s|/usr/local/sbin/|$(SBINDIR)/|g; s|/usr/local/share/doc/mailseal|$(DOCDIR)|g
DOCS    := README.md $(filter-out docs/benchmarks%,$(wildcard docs/*.md))

install: all install-policyd
	install -d $(DESTDIR)$(LIBDIR)/mailseal
	install -m 0644 $(EXIM_SO) $(DESTDIR)$(LIBDIR)/mailseal/mailseal_exim.so

install-policyd: policyd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/mailseal
	install -m 0755 $(POLICYD) $(DESTDIR)$(SBINDIR)/mailseal-policyd
	install -m 0644 docs/mailseal.1 $(DESTDIR)$(MANDIR)/man1/mailseal.1
	install -m 0644 docs/mailseal-policyd.8 $(DESTDIR)$(MANDIR)/man8/mailseal-policyd.8
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	sed '$(UNIT_SED)' postfix-policy/mailseal-policyd.service \
		> $(DESTDIR)$(UNITDIR)/mailseal-policyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mailseal-policyd.service

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj build/fuzz/obj -name '*.d' 2>/dev/null)
