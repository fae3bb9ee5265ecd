# l2x build. `make deps` installs what is missing; every other target that
# needs a package depends on it. See README.md.

BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
PYTHON  ?= /usr/bin/python3
FUZZ_SECONDS ?= 60

# Quiet by default: `make V=1` prints every command.
V ?= 0
Q := $(if $(filter 0,$(V)),@,)

# pkg-config is read once, lazily, after `make deps` has run.
lazy = $(eval $1 := $$(shell $2))$($1)
DPDK_CFLAGS = $(call lazy,DPDK_CFLAGS,pkg-config --cflags libdpdk)
DPDK_LIBS   = $(call lazy,DPDK_LIBS,pkg-config --libs libdpdk)
NL_CFLAGS   = $(call lazy,NL_CFLAGS,pkg-config --cflags libnl-3.0 libnl-route-3.0)
NL_LIBS     = $(call lazy,NL_LIBS,pkg-config --libs libnl-3.0 libnl-route-3.0)

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-address-of-packed-member
CPPFLAGS_L2X = -I. -D_GNU_SOURCE -DL2X_SRCDIR='"$(CURDIR)"' $(DPDK_CFLAGS) $(NL_CFLAGS)
# The control plane (control/, l2xctl, l2x-ike) without DPDK's or libnl's
# include paths: a DPDK header there does not compile (`make nodpdk`).
CPPFLAGS_CP  = -I. -D_GNU_SOURCE -DL2X_SRCDIR='"$(CURDIR)"'
CFLAGS_L2X   = -std=gnu11 -O2 -g -fno-strict-aliasing $(WARN) -MMD -MP
# l2x-agent's libraries (control/: store, HTTPS, JSON). LIBS_CP is what
# libl2xcp.a needs, no DPDK: l2xctl and l2x-agent link only that. Programs
# and tests that link libl2x.a too take LIBS_L2X, which holds both.
AGENT_LIBS   = -lmicrohttpd -lgnutls -lcurl -ljansson -lsqlite3
LIBS_CP      = -lsodium -lyaml $(AGENT_LIBS) -lm -lpthread
LIBS_L2X     = -lsodium -lyaml $(NL_LIBS) $(DPDK_LIBS) $(AGENT_LIBS) -lm -lpthread
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZSAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

# Library sources: one concept per file; program entry points are main.c.
# libl2x.a: the dataplane, ESP and the bridge, with DPDK. libl2xcp.a: the
# control plane (control/), without DPDK; it comes after libl2x.a on the
# link line of programs that need both (libl2x.a calls the codec in it).
LIB_SRCS := $(sort $(filter-out %/main.c, \
	$(wildcard dataplane/*.c ipsec/*.c bridge/*.c)))
CP_SRCS  := $(sort $(filter-out control/main.c,$(wildcard control/*.c)))
# Entry points built like CP_SRCS: l2xctl and l2x-agent.
CP_PROG_SRCS := tools/l2xctl.c control/main.c
# Per-packet sources: no allocation, printf, lock or syscall (STYLE.md 2).
FAST_SRCS := $(sort $(wildcard dataplane/encap.c dataplane/mtu_fast.c \
	dataplane/reasm_fast.c ipsec/esp.c bridge/fdb_fast.c dataplane/fwd.c))
FAST_DENY := malloc calloc realloc free rte_malloc rte_zmalloc rte_free \
	printf fprintf sprintf snprintf vprintf vfprintf puts fputs perror \
	syslog rte_log rte_vlog abort exit \
	pthread_mutex_lock pthread_spin_lock pthread_rwlock_rdlock \
	pthread_rwlock_wrlock sem_wait sleep usleep nanosleep \
	clock_gettime gettimeofday time read write send sendto recv recvfrom \
	ioctl open close poll epoll_wait select
# Named exception: __rte_panic is reached only through RTE_VERIFY in the
# inline mempool ops lookup behind rte_pktmbuf_alloc/free (rte_mempool.h),
# which fires only on a corrupt mempool ops index, never on packet input.
# test_ike_*.c embed libcharon: built apart (below, "IKE unit tests").
UNIT_SRCS  := $(sort $(filter-out tests/unit/test_ike_%.c, \
	$(wildcard tests/unit/test_*.c)))
UNIT_SUPP  := tests/unit/testenv.c
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SUPP  := tests/fuzz/fuzzenv.c
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
FMT_SRCS   := $(sort $(wildcard dataplane/*.[ch] ipsec/*.[ch] ipsec/ike/*.[ch] \
	bridge/*.[ch] \
	control/*.[ch] tools/*.[ch] tests/*/*.[ch]))

obj = $(patsubst %.c,$(BUILD)/$1/%.o,$2)
LIB_OBJ      := $(call obj,plain,$(LIB_SRCS))
LIB_OBJ_SAN  := $(call obj,san,$(LIB_SRCS))
LIB_OBJ_FUZZ := $(call obj,fuzz,$(LIB_SRCS))
CP_OBJ       := $(call obj,plain,$(CP_SRCS))
CP_OBJ_SAN   := $(call obj,san,$(CP_SRCS))
CP_OBJ_FUZZ  := $(call obj,fuzz,$(CP_SRCS))
UNIT_BIN     := $(patsubst tests/unit/%.c,$(BUILD)/plain/bin/%,$(UNIT_SRCS))
UNIT_BIN_SAN := $(patsubst tests/unit/%.c,$(BUILD)/san/bin/%,$(UNIT_SRCS))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/bin/%,$(FUZZ_SRCS))
BENCH_BIN    := $(patsubst tests/bench/%.c,$(BUILD)/plain/benchbin/%,$(BENCH_SRCS))
DEPS_STAMP   := $(BUILD)/.deps-ok

.PHONY: all deps test unit unit-san integration check lint format \
	format-check nodpdk openapi-check fuzz bench demo demo-appliance \
	clean
VLANSW := $(BUILD)/plain/tools/vlansw
# placesim (tests/tools/placesim.c): the manager's placement, rebalance
# and failure logic against fake appliances. `make test` runs it short,
# plain and sanitized (unit, unit-san), `make bench` at full size.
PLACESIM     := $(BUILD)/plain/tools/placesim
PLACESIM_SAN := $(BUILD)/san/tools/placesim
PLACESIM_SHORT := --switches 5 --pairs 4 --extensions 2000 --events 20000
# Programs: the dataplane (dataplane/main.c), the agent (control/main.c)
# and the CLI (tools/l2xctl.c).
DATAPLANE := $(BUILD)/plain/bin/l2x-dataplane
AGENT     := $(BUILD)/plain/bin/l2x-agent
L2XCTL    := $(BUILD)/plain/bin/l2xctl
all: $(BUILD)/plain/libl2x.a $(BUILD)/plain/libl2xcp.a $(UNIT_BIN) \
	$(BENCH_BIN) $(VLANSW) $(PLACESIM) $(DATAPLANE) $(L2XCTL) $(AGENT)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/deps.sh
	@sh tools/deps.sh
	@mkdir -p $(@D) && touch $@

# --- objects --------------------------------------------------------------
$(BUILD)/plain/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_L2X) $(CFLAGS_L2X) -c $< -o $@
$(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_L2X) $(CFLAGS_L2X) -O1 $(SAN) -c $< -o $@
$(BUILD)/fuzz/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CLANG) $(CPPFLAGS_L2X) $(CFLAGS_L2X) -O1 $(FUZZSAN) -c $< -o $@
# The control plane's objects: the same, without DPDK (CPPFLAGS_CP).
$(call obj,plain,$(CP_SRCS) $(CP_PROG_SRCS)): $(BUILD)/plain/%.o: %.c \
		| $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(CFLAGS_L2X) -c $< -o $@
$(CP_OBJ_SAN): $(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(CFLAGS_L2X) -O1 $(SAN) -c $< -o $@
$(CP_OBJ_FUZZ): $(BUILD)/fuzz/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CLANG) $(CPPFLAGS_CP) $(CFLAGS_L2X) -O1 $(FUZZSAN) -c $< -o $@

$(BUILD)/plain/libl2x.a: $(LIB_OBJ)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)
$(BUILD)/san/libl2x.a: $(LIB_OBJ_SAN)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)
$(BUILD)/fuzz/libl2x.a: $(LIB_OBJ_FUZZ)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)
$(BUILD)/plain/libl2xcp.a: $(CP_OBJ)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)
$(BUILD)/san/libl2xcp.a: $(CP_OBJ_SAN)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)
$(BUILD)/fuzz/libl2xcp.a: $(CP_OBJ_FUZZ)
	@mkdir -p $(@D); rm -f $@; $(if $^,ar rcs $@ $^,printf "!<arch>\n" >$@)

# --- programs (explicit rules: they win over the unit-test pattern) -------
$(DATAPLANE): $(BUILD)/plain/dataplane/main.o $(BUILD)/plain/libl2x.a \
		$(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ $(LIBS_L2X)
# l2x-agent and l2xctl: the control plane only, no DPDK (`make nodpdk`).
$(AGENT): $(BUILD)/plain/control/main.o $(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ -Wl,--as-needed $(LIBS_CP)
$(L2XCTL): $(BUILD)/plain/tools/l2xctl.o $(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ -Wl,--as-needed $(LIBS_CP)

# --- l2x-ike: libcharon embedded (DESIGN.md, "Building against strongSwan")
# Debian ships no strongSwan headers: tools/strongswan-src.sh fetches the
# source of the installed version once (private apt lists) and configures
# it for config.h. Not in `all`: it needs the Debian archive. `make ike`.
SWAN_DIR   := $(BUILD)/strongswan/src
SWAN_STAMP := $(BUILD)/strongswan/.stamp
# -isystem: strongSwan's headers are not held to our warnings.
SWAN_CFLAGS = -include $(SWAN_DIR)/config.h -isystem $(SWAN_DIR)/src/libstrongswan \
	-isystem $(SWAN_DIR)/src/libcharon
SWAN_LIBS   = -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -lcharon -lstrongswan
# Not LIBS_L2X: DPDK's pkg-config brings -lbsd, whose libmd exports a
# SHA1Update that replaces the sha1 plugin's, and every SHA-1 in charon then
# spins forever (ike_main.c refuses to start with libmd loaded). l2x-ike
# uses no DPDK at all: its objects compile with CPPFLAGS_CP and it links
# libl2xcp.a, the control socket's codec and client (`make nodpdk`).
LIBS_IKE    = -lsodium -lyaml -lm -lpthread
IKE_SRCS := $(sort $(wildcard ipsec/ike/ike_*.c))
IKE_OBJ  := $(call obj,plain,$(IKE_SRCS))
IKE      := $(BUILD)/plain/bin/l2x-ike
.PHONY: ike
ike: $(IKE)
# Refetched when the installed libstrongswan changes (its dpkg file list).
$(SWAN_STAMP): tools/strongswan-src.sh $(DEPS_STAMP) \
		$(wildcard /var/lib/dpkg/info/libstrongswan*.list)
	@sh tools/strongswan-src.sh $(BUILD)/strongswan
	@touch $@
$(IKE_OBJ): $(BUILD)/plain/%.o: %.c $(SWAN_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(SWAN_CFLAGS) $(CFLAGS_L2X) -c $< -o $@
$(IKE): $(IKE_OBJ) $(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ $(SWAN_LIBS) -Wl,--as-needed $(LIBS_IKE)

# --- unit tests (cmocka), plain and sanitized -----------------------------
$(BUILD)/plain/bin/%: $(BUILD)/plain/tests/unit/%.o \
		$(call obj,plain,$(UNIT_SUPP)) $(BUILD)/plain/libl2x.a \
		$(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ -lcmocka $(LIBS_L2X)
$(BUILD)/san/bin/%: $(BUILD)/san/tests/unit/%.o \
		$(call obj,san,$(UNIT_SUPP)) $(BUILD)/san/libl2x.a \
		$(BUILD)/san/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $(SAN) $^ -o $@ -lcmocka $(LIBS_L2X)

# IKE unit tests: ipsec/ike/ike_*.c with libstrongswan and libcharon in the
# test process (tests/unit/ike_testenv.h). Compiled like the l2x-ike
# objects (strongSwan headers, its config.h) and linked like l2x-ike:
# SWAN_LIBS and LIBS_IKE, never LIBS_L2X (-lbsd's SHA1Update, above).
# They need the strongSwan source ($(SWAN_STAMP)); when it cannot be
# fetched (no Debian archive) they are skipped with the reason, as the
# IKE integration tests skip (exit 77): ike-unit-fetch records the
# outcome, and `unit`/`unit-san` build them by a sub-make only when the
# source is there.
IKE_UNIT_SRCS := $(sort $(wildcard tests/unit/test_ike_*.c))
IKE_UNIT_SUPP := tests/unit/ike_testenv.c
IKE_UNIT_LIB  := $(filter-out ipsec/ike/ike_main.c,$(IKE_SRCS))
IKE_UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/plain/bin/%,$(IKE_UNIT_SRCS))
IKE_UNIT_BIN_SAN := $(patsubst tests/unit/%.c,$(BUILD)/san/bin/%,$(IKE_UNIT_SRCS))
IKE_UNIT_SKIP := $(BUILD)/ike-unit.skip
# test_ike_creds watches what l2x's code frees for unwiped secrets.
IKE_UNIT_WRAP = $(if $(filter test_ike_creds,$(notdir $@)),-Xlinker --wrap=free)
$(call obj,plain,$(IKE_UNIT_SRCS) $(IKE_UNIT_SUPP)): $(BUILD)/plain/%.o: %.c \
		$(SWAN_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(SWAN_CFLAGS) $(CFLAGS_L2X) -c $< -o $@
$(call obj,san,$(IKE_UNIT_SRCS) $(IKE_UNIT_SUPP) $(IKE_UNIT_LIB)): \
		$(BUILD)/san/%.o: %.c $(SWAN_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(SWAN_CFLAGS) $(CFLAGS_L2X) -O1 $(SAN) \
		-c $< -o $@
$(IKE_UNIT_BIN): $(BUILD)/plain/bin/%: $(BUILD)/plain/tests/unit/%.o \
		$(call obj,plain,$(IKE_UNIT_SUPP) $(IKE_UNIT_LIB)) \
		$(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ $(IKE_UNIT_WRAP) -lcmocka $(SWAN_LIBS) \
		-Wl,--as-needed $(LIBS_IKE)
$(IKE_UNIT_BIN_SAN): $(BUILD)/san/bin/%: $(BUILD)/san/tests/unit/%.o \
		$(call obj,san,$(IKE_UNIT_SUPP) $(IKE_UNIT_LIB)) \
		$(BUILD)/san/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $(SAN) $^ -o $@ $(IKE_UNIT_WRAP) -lcmocka $(SWAN_LIBS) \
		-Wl,--as-needed $(LIBS_IKE)
.PHONY: ike-unit-fetch
ike-unit-fetch: | $(DEPS_STAMP)
	@rm -f $(IKE_UNIT_SKIP); \
	 $(MAKE) --no-print-directory $(SWAN_STAMP) >$(IKE_UNIT_SKIP).log 2>&1 || \
	 echo "the strongSwan source could not be fetched: $$(grep \
	 'strongswan-src:' $(IKE_UNIT_SKIP).log | tail -n 1)" >$(IKE_UNIT_SKIP)
# ike_unit FLAVOUR BINS: shell words that build BINS and set $$ike to them,
# or print why they are skipped and leave $$ike empty.
ike_unit = ike=""; if [ -f $(IKE_UNIT_SKIP) ]; then \
	echo "SKIP: $(notdir $2) ($1): $$(cat $(IKE_UNIT_SKIP))"; \
	else $(MAKE) --no-print-directory $2 || exit 1; ike="$2"; fi

unit: $(UNIT_BIN) ike-unit-fetch placesim-short
	@$(call ike_unit,plain,$(IKE_UNIT_BIN)); \
	 sh tools/run-unit.sh plain $(UNIT_BIN) $$ike
unit-san: $(UNIT_BIN_SAN) ike-unit-fetch placesim-short-san
	@$(call ike_unit,sanitized,$(IKE_UNIT_BIN_SAN)); \
	 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/unit/lsan-ike.supp \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	 sh tools/run-unit.sh sanitized $(UNIT_BIN_SAN) $$ike

# placesim links libl2xcp.a, as the control plane's unit tests do, and
# compiles without DPDK's include paths (CPPFLAGS_CP): placement.c is
# control plane. A violation exits 1; the figures never fail.
.PHONY: placesim-short placesim-short-san
$(PLACESIM): tests/tools/placesim.c $(BUILD)/plain/libl2xcp.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(CFLAGS_L2X) $^ -o $@
$(PLACESIM_SAN): tests/tools/placesim.c $(BUILD)/san/libl2xcp.a \
		| $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $(CPPFLAGS_CP) $(CFLAGS_L2X) -O1 $(SAN) $^ -o $@
placesim-short: $(PLACESIM)
	@echo "== plain: placesim"
	@$(PLACESIM) $(PLACESIM_SHORT)
placesim-short-san: $(PLACESIM_SAN)
	@echo "== sanitized: placesim"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	 $(PLACESIM_SAN) $(PLACESIM_SHORT)

# --- integration: real processes in network namespaces (root) ------------
INTEG_TESTS := $(sort $(wildcard tests/integration/*_test.sh))
$(VLANSW): tests/tools/vlansw.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS_L2X) $< -o $@
integration: $(VLANSW) $(DATAPLANE) $(L2XCTL) $(AGENT)
	@VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) L2XCTL=$(L2XCTL) \
	 AGENT=$(AGENT) sh tools/run-integ.sh $(INTEG_TESTS)

test: check unit unit-san integration

# --- static checks --------------------------------------------------------
check: lint format-check nodpdk openapi-check
# docs/openapi.yaml is well formed and its checker can fail (the agent
# scenarios check every answer they get against it).
openapi-check: | $(DEPS_STAMP)
	@$(PYTHON) tests/integration/lib/openapi_check.py docs/openapi.yaml \
		--self-test
lint: $(call obj,plain,$(FAST_SRCS))
	@sh tools/fastlint.sh --selftest "$(CC)" "$(FAST_DENY)"
	@sh tools/fastlint.sh "$(FAST_DENY)" $^
format-check: | $(DEPS_STAMP)
	@clang-format --dry-run --Werror $(FMT_SRCS) && \
	 echo "format: $(words $(FMT_SRCS)) files clean"
format: | $(DEPS_STAMP)
	clang-format -i $(FMT_SRCS)
# l2xctl, l2x-agent and l2x-ike link no DPDK. Their objects are compiled
# without DPDK's include paths (CPPFLAGS_CP), so none can include a DPDK
# header; this checks that no object's dependency list (.d) names
# one and that no program loads a librte_ library, directly or not (ldd).
# l2x-ike is checked when it is built and current (`make ike`: it needs
# the strongSwan source); else the check says it skipped it. It is not
# built from here: `unit` builds its objects in a sub-make, and two makes
# must not write one object at once (`make -j test`).
NODPDK_PROGS := $(L2XCTL) $(AGENT)
NODPDK_OBJ   := $(call obj,plain,$(CP_SRCS) $(CP_PROG_SRCS))
nodpdk: $(NODPDK_PROGS)
	@progs="$(NODPDK_PROGS)"; objs="$(NODPDK_OBJ)"; \
	 if [ -f $(IKE) ] && $(MAKE) -q --no-print-directory $(IKE) \
		>/dev/null 2>&1; then \
		progs="$$progs $(IKE)"; objs="$$objs $(IKE_OBJ)"; \
	 else echo "SKIP: nodpdk: $(notdir $(IKE)) is not built or not" \
		"current (make ike)"; fi; \
	 for o in $$objs; do \
		if grep -q '/dpdk/\|/rte_[a-z0-9_]*\.h' $${o%.o}.d; then \
			echo "nodpdk: $$o includes DPDK headers:"; \
			grep -o '[^ :]*/dpdk/[^ :]*\|[^ :]*/rte_[a-z0-9_]*\.h' \
				$${o%.o}.d | sort -u; exit 1; fi; \
	 done; \
	 for p in $$progs; do \
		if ldd $$p | grep librte_; then \
			echo "nodpdk: $$p loads DPDK (above)"; exit 1; fi; \
	 done; \
	 echo "nodpdk: $$(echo $$progs | wc -w) programs and" \
		"$$(echo $$objs | wc -w) objects without DPDK"

# --- fuzzing (libFuzzer) --------------------------------------------------
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/tests/fuzz/%.o \
		$(call obj,fuzz,$(FUZZ_SUPP)) $(BUILD)/fuzz/libl2x.a \
		$(BUILD)/fuzz/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CLANG) -fsanitize=fuzzer,address,undefined $^ -o $@ $(LIBS_L2X)
fuzz: $(FUZZ_BIN)
	@sh tools/run-fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

# --- benchmarks: figures, never pass/fail ---------------------------------
# bench_nets drives the worker through DPDK ring ports (rte_eth_from_rings,
# in the ring PMD's own library, which libdpdk's pkg-config does not list).
$(BUILD)/plain/benchbin/%: $(BUILD)/plain/tests/bench/%.o \
		$(BUILD)/plain/libl2x.a $(BUILD)/plain/libl2xcp.a
	@mkdir -p $(@D)
	@echo "  LD   $@"
	$(Q)$(CC) $^ -o $@ $(LIBS_L2X) -lrte_net_ring
bench: $(BENCH_BIN) $(VLANSW) $(PLACESIM) $(DATAPLANE) $(L2XCTL) $(AGENT)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) L2XCTL=$(L2XCTL) \
		bash tools/bench-e2e.sh
	@$(PLACESIM)
	@AGENT=$(AGENT) bash tools/bench-agent.sh
	@AGENT=$(AGENT) VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) \
		L2XCTL=$(L2XCTL) bash tools/bench-scale.sh
	@echo "== manager failover (issue 10): three managers on etcd"
	@FAILOVER_ROUNDS=3 AGENT=$(AGENT) \
		bash tests/integration/agent_etcd_test.sh | grep "failover"
	@echo "== 4094 networks over one real pair, through the managers"
	@AGENT=$(AGENT) VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) \
		L2XCTL=$(L2XCTL) bash tests/integration/agent_4094_test.sh | \
		grep -E "^  extend|^FAIL|skipped" || true

# The demo (root): tools/demo.sh, the HCX workflow through the managers'
# REST API in network namespaces (pairing, inventory, enrolment, a service
# mesh, three extensions, a VM that migrates). l2x-ike is built with `make
# ike` in BUILD (lib/ikebin.sh) and, when that cannot be done, it says so.
demo: $(VLANSW) $(DATAPLANE) $(L2XCTL) $(AGENT)
	@VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) L2XCTL=$(L2XCTL) \
		AGENT=$(AGENT) BUILD=$(BUILD) bash tools/demo.sh

# The appliance-only demo: tools/demo-appliance.sh, two dataplanes set up
# by hand. Keys by IKEv2; DEMO_KEYS=static: static SAs instead.
DEMO_KEYS ?= ike
demo-appliance: $(VLANSW) $(DATAPLANE) $(L2XCTL)
	@VLANSW=$(VLANSW) DATAPLANE=$(DATAPLANE) L2XCTL=$(L2XCTL) BUILD=$(BUILD) \
		bash tools/demo-appliance.sh --$(DEMO_KEYS)

clean:
	rm -rf $(BUILD)

# Keep objects between runs (make would delete them as intermediates).
.SECONDARY:

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
