# userjail — per-user login jail. See README.md.
VERSION  ?= 0.2.0
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= /etc/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# The system's PAM module directory (Debian: /lib/<multiarch>/security).
PAMDIR   ?= $(patsubst %/,%,$(dir $(firstword $(wildcard /lib/*/security/pam_unix.so /usr/lib/*/security/pam_unix.so /lib64/security/pam_unix.so /lib/security/pam_unix.so))))

CC       ?= cc
PKGS      = pam libcap mount libconfig
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# The helper links only what it uses: each extra library costs private
# pages in every idle jail's monitor and init.
PKG_LIBS   := $(shell pkg-config --libs libconfig libcap)
HARDEN    = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fstack-clash-protection
CFLAGS   ?= -O2 -g
# Includes are written from the top of their tree: "common/err.h",
# "cgroup/cgroup.h" (helper/), "pam_module/client.h".
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter $(HARDEN) $(PKG_CFLAGS) -I. -Ihelper \
            -DUJ_HELPER_PATH='"$(SBINDIR)/userjail"' -DUJ_REAPER_PATH='"$(LIBEXECDIR)/userjail-reaper"' \
            -DUJ_MONITOR_PATH='"$(LIBEXECDIR)/userjail-monitor"' \
            -D_GNU_SOURCE
LDHARDEN  = -Wl,-z,relro,-z,now -Wl,-z,noexecstack

B = build
COMMON_SRC = $(wildcard common/*.c)
# helper/ has one folder per concern (README "Where things are").
# helper/reaper/ is its own freestanding program (userjail-reaper), not part of the helper;
# helper/monitor/ is the main of userjail-monitor (linked from the helper's objects).
HELPER_SRC = $(sort $(shell find helper -name '*.c' -not -path 'helper/reaper/*' -not -path 'helper/monitor/*'))
HELPER_HDR = $(shell find helper -name '*.h')
MODULE_SRC = $(wildcard pam_module/*.c)
HELPER_LIB_SRC = $(filter-out helper/main.c,$(HELPER_SRC))

COMMON_OBJ_PIC = $(COMMON_SRC:%.c=$(B)/pic/%.o)
MODULE_OBJ     = $(MODULE_SRC:%.c=$(B)/pic/%.o)
COMMON_OBJ     = $(COMMON_SRC:%.c=$(B)/pie/%.o)
HELPER_OBJ     = $(HELPER_SRC:%.c=$(B)/pie/%.o)
HELPER_LIB_OBJ = $(HELPER_LIB_SRC:%.c=$(B)/pie/%.o)

# tests/unit mirrors the source tree: tests/unit/cgroup/test_cgroup.c tests
# helper/cgroup/, tests/unit/common/ tests common/.
UNIT_SRC  = $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all install uninstall check check-unit check-fuzz fuzz check-integration check-vm check-vm-cgroup2 check-vm-systemd check-vm-fleet bench demo clean

all: $(B)/pam_userjail.so $(B)/userjail $(B)/userjail-reaper $(B)/userjail-monitor

# The module has the helper's installed path built in: rebuild it when
# SBINDIR changes (`make` then `make install PREFIX=/usr`).
$(B)/helper-path: FORCE
	@mkdir -p $(B)
	@echo '$(SBINDIR)/userjail $(LIBEXECDIR)' | cmp -s - $@ || echo '$(SBINDIR)/userjail $(LIBEXECDIR)' > $@

$(B)/pic/pam_module/client.o: $(B)/helper-path
$(B)/pie/helper/jail/init.o: $(B)/helper-path

# The jail's PID 1 once its root is built (helper/reaper/reaper.c): no libc,
# no heap, a few pages (an idle jail's memory is what the benchmark holds
# us to).
REAPER_CFLAGS = -O2 -Wall -Wextra -Werror -nostdlib -static -ffreestanding -fno-stack-protector \
  -fno-pie -no-pie -fno-asynchronous-unwind-tables -Wl,-z,noexecstack \
  $(if $(filter x86_64%,$(shell $(CC) -dumpmachine)),-fcf-protection=none)
$(B)/userjail-reaper: helper/reaper/reaper.c
	@mkdir -p $(B)
	$(CC) $(REAPER_CFLAGS) -o $@ $<

# `userjail --version`: main.o alone gets the version, rebuilt when it changes.
$(B)/version: FORCE
	@mkdir -p $(B)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

$(B)/pie/helper/main.o: CFLAGS += -DUJ_VERSION='"$(VERSION)"'
$(B)/pie/helper/main.o: $(B)/version

.PHONY: FORCE
FORCE:

$(B)/pic/%.o: %.c $(wildcard common/*.h pam_module/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/pie/%.o: %.c $(wildcard common/*.h) $(HELPER_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIE -ffunction-sections -fdata-sections -c $< -o $@

# The module exports only pam_sm_open_session/pam_sm_close_session (module.map).
$(B)/pam_userjail.so: $(MODULE_OBJ) $(COMMON_OBJ_PIC) pam_module/module.map
	$(CC) -shared -fPIC $(LDHARDEN) -Wl,--version-script=pam_module/module.map \
	  -o $@ $(MODULE_OBJ) $(COMMON_OBJ_PIC) -lpam -lcap

$(B)/userjail: $(HELPER_OBJ) $(COMMON_OBJ)
	$(CC) -pie $(LDHARDEN) -o $@ $^ $(PKG_LIBS)

# What a jail's monitor execs once the jail runs (helper/jail/monitor_handoff.c):
# the helper's objects, of which the linker keeps only what the monitor's loop
# reaches (every object is built with -ffunction-sections), and no library
# but libc: an idle jail's memory is the benchmark's (a call into libconfig
# or libcap from the monitor's code is a link error here, on purpose). The state it takes over has this build's layout: the handoff
# id (a hash of the sources) is in both programs, and a monitor execs only a
# userjail-monitor with its own.
$(B)/userjail-monitor: $(B)/pie/helper/monitor/main.o $(HELPER_LIB_OBJ) $(COMMON_OBJ)
	$(CC) -pie $(LDHARDEN) -Wl,--gc-sections -o $@ $^

$(B)/handoff-id: $(HELPER_SRC) $(HELPER_HDR) $(COMMON_SRC) $(wildcard common/*.h) helper/monitor/main.c
	@mkdir -p $(B)
	@cat $^ | sha256sum | cut -c1-16 | cmp -s - $@ || (cat $^ | sha256sum | cut -c1-16 > $@)
$(B)/pie/helper/jail/monitor_handoff.o: $(B)/handoff-id
$(B)/pie/helper/jail/monitor_handoff.o: CFLAGS += -DUJ_HANDOFF_ID='"$(shell cat $(B)/handoff-id 2>/dev/null)"'

$(B)/tests/%: tests/unit/%.c $(HELPER_LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIE -pie -o $@ $< $(HELPER_LIB_OBJ) $(COMMON_OBJ) \
	  $(PKG_LIBS) $(shell pkg-config --libs cmocka)

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(B)/pam_userjail.so $(DESTDIR)$(PAMDIR)/pam_userjail.so
	install -m 0755 $(B)/userjail $(DESTDIR)$(SBINDIR)/userjail
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(B)/userjail-reaper $(DESTDIR)$(LIBEXECDIR)/userjail-reaper
	install -m 0755 $(B)/userjail-monitor $(DESTDIR)$(LIBEXECDIR)/userjail-monitor
	@# never overwrite an admin's configuration
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/security/userjail.conf ]; then \
	  echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/security/userjail.conf"; \
	else install -m 0644 conf/userjail.conf $(DESTDIR)$(SYSCONFDIR)/security/userjail.conf; fi
	install -m 0644 man/userjail.conf.5 $(DESTDIR)$(MANDIR)/man5/userjail.conf.5
	install -m 0644 man/pam_userjail.8 man/userjail.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 conf/userjail.slice conf/userjail.service $(DESTDIR)$(UNITDIR)/
	sed 's#@SBINDIR@#$(SBINDIR)#' conf/userjail-standby.service.in >$(DESTDIR)$(UNITDIR)/userjail-standby.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/userjail-standby.service
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 conf/userjail.bash-completion $(DESTDIR)$(BASHCOMPDIR)/userjail

# The configuration is the admin's: uninstall leaves it (remove it by hand).
uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_userjail.so $(DESTDIR)$(SBINDIR)/userjail \
	  $(DESTDIR)$(LIBEXECDIR)/userjail-reaper $(DESTDIR)$(LIBEXECDIR)/userjail-monitor \
	  $(DESTDIR)$(MANDIR)/man5/userjail.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_userjail.8 \
	  $(DESTDIR)$(MANDIR)/man8/userjail.8 $(DESTDIR)$(UNITDIR)/userjail.slice \
	  $(DESTDIR)$(UNITDIR)/userjail.service $(DESTDIR)$(UNITDIR)/userjail-standby.service \
	  $(DESTDIR)$(BASHCOMPDIR)/userjail

# The VM tests are part of check: without qemu they fail with the apt-get line
# that installs what they need (UJ_VM_SKIP_OK=1 skips them knowingly).
check: check-unit check-fuzz check-integration check-vm

check-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Fuzzing the config loader (tests/fuzz): libFuzzer under ASan and UBSan.
# New inputs go to build/fuzz/corpus, never into the seed corpus in git; a
# crash leaves build/fuzz/crash-* (rerun: build/fuzz/fuzz_config FILE).
FUZZ_CC     ?= clang
FUZZ_CFLAGS  = -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer \
               $(PKG_CFLAGS) -I. -Ihelper -D_GNU_SOURCE
FUZZ_SRC     = tests/fuzz/fuzz_config.c $(wildcard helper/config/*.c) $(wildcard helper/util/*.c) helper/fs/safefs.c common/err.c
FUZZ_RUNS   ?= 10000
FUZZ_TIME   ?= 600

$(B)/fuzz/fuzz_config: $(FUZZ_SRC) $(wildcard helper/config/*.h) helper/fs/safefs.h $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) $(shell pkg-config --libs libconfig)

check-fuzz: $(B)/fuzz/fuzz_config
	@mkdir -p $(B)/fuzz/corpus
	LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp:print_suppressions=0 \
	$(B)/fuzz/fuzz_config -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=10 \
	  -artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus tests/fuzz/corpus

fuzz: $(B)/fuzz/fuzz_config
	@mkdir -p $(B)/fuzz/corpus
	LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp:print_suppressions=0 \
	$(B)/fuzz/fuzz_config -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 \
	  -artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus tests/fuzz/corpus

check-integration: all
	tests/integration/run-all.sh

# check-vm = every VM: the busybox cgroup2 guest, then the systemd guest,
# then the fleet guest (LDAP/sssd users, NFS root_squash and autofs homes).
check-vm: all
	tests/vm/run.sh
	tests/vm-fleet/run.sh

check-vm-cgroup2: all
	UJ_VM_SYSTEMD=0 tests/vm/run.sh

check-vm-systemd: all
	tests/vm-systemd/run.sh

check-vm-fleet: all
	tests/vm-fleet/run.sh

bench: all
	bench/run.sh

demo:
	tests/demo.sh

clean:
	rm -rf $(B)
