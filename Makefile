# procimage — build, test, install. `make deps` installs the Debian packages
# the build needs; `make test` also those the tests need.
# Sources are discovered by wildcard: a new file in src/ needs no edit here.
CC ?= cc
PKGS := libnl-3.0 libnl-genl-3.0 libcap audit sqlite3 libdw zlib libprotobuf-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# -Werror only where the compiler is known (CI and `make test` pass
# WERROR=-Werror): a newer compiler's new warning must not break a user's build.
WERROR ?=
WARN := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wformat-security -Wcast-qual -Wundef
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc -I$(GEN) $(PKG_CFLAGS) -MMD -MP
LDLIBS += $(PKG_LIBS) -lm
BUILD ?= build
GEN := $(BUILD)/gen

# Where `make install` puts things (GNU names; DESTDIR for staging).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/procimage
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/usr/lib/systemd/system)
BASHCOMPDIR ?= $(or $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null),$(DATADIR)/bash-completion/completions)
else
# Both are on the search paths of systemd and bash-completion for /usr/local.
SYSCONFDIR ?= $(PREFIX)/etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
endif
# The cron file starts a recording at boot once in cron.d: installed as an
# example unless CRONDIR is given (make install CRONDIR=/etc/cron.d).
CRONDIR ?=
STATEDIR ?= /var/lib/procimage

SRCS := $(sort $(wildcard src/*/*.c))
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(GEN)/profile.pb-c.o
MAIN := $(BUILD)/src/main.o
BIN := $(BUILD)/procimage
LIB := $(BUILD)/libprocimage.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%)

all: $(BIN) procimage

procimage: $(BIN)
	ln -sf $(BIN) procimage

$(BIN): $(MAIN) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(MAIN) $(LIB) $(LDLIBS)

$(LIB): $(OBJS)
	rm -f $@
	ar rcs $@ $(OBJS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

# pprof's profile.proto, compiled to C by protoc-c (protobuf-c-compiler).
$(GEN)/profile.pb-c.c $(GEN)/profile.pb-c.h: src/render/profile.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=src/render --c_out=$(GEN) src/render/profile.proto
$(GEN)/profile.pb-c.o: $(GEN)/profile.pb-c.c
	$(CC) $(CFLAGS) -std=c11 -I$(GEN) $(PKG_CFLAGS) -c -o $@ $<
$(BUILD)/src/render/pprof.o: $(GEN)/profile.pb-c.h

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# The helpers are the tests' workloads, not the program under test: they are
# built without the sanitizers, so that a workload's memory figures (RSS it
# touched) and its speed (forks, syscalls per second) are the same in both
# passes of the suite.
HELPER_CFLAGS = $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS))
$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HELPER_CFLAGS) -o $@ $< -lpthread -lm

units: $(UNIT_BINS)
helpers: $(HELPER_BINS)

# The whole suite: normal build (unit + integration), then ASan+UBSan.
test: export WERROR = -Werror
test: deps-check
	tests/run.sh

check: test

# Only the unprivileged unit tests, against one build directory.
unit: $(BIN) units helpers
	tests/run.sh --unit-only --build $(BUILD)

run: deps
	$(MAKE) all
	./procimage

# deps: what building needs; test-deps: that and what the tests need.
deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		tests/install-deps.sh build; \
	else \
		echo "make deps: run as root on Debian to apt-get install the packages listed in README.md"; \
	fi

test-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		tests/install-deps.sh build test; \
	else \
		echo "make test-deps: run as root on Debian to apt-get install the packages listed in README.md"; \
	fi

deps-check:
	@tests/install-deps.sh --check build test 2>/dev/null || $(MAKE) test-deps

# The installed files. Units, timer, cron file and the hourly script name the
# installed paths: they are generated from contrib/*.in by substitution.
SUBST := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g'
UNITS := procimage-record.service procimage-report.service procimage-report.timer \
	procimage-watch.service procimage-audit-boot.service
GENERATED := $(UNITS:%=$(BUILD)/contrib/%) $(BUILD)/contrib/procimage-hourly-report \
	$(BUILD)/contrib/procimage.cron
# Changing a directory must regenerate the files that name it.
$(BUILD)/contrib/paths: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BINDIR) $(LIBEXECDIR) $(SYSCONFDIR) $(STATEDIR)' | cmp -s - $@ || \
		echo '$(BINDIR) $(LIBEXECDIR) $(SYSCONFDIR) $(STATEDIR)' >$@
$(BUILD)/contrib/%: contrib/%.in $(BUILD)/contrib/paths
	@mkdir -p $(dir $@)
	$(SUBST) $< >$@.tmp && mv $@.tmp $@
contrib-files: $(GENERATED)

INSTALLED := $(BINDIR)/procimage $(MANDIR)/man1/procimage.1 \
	$(BASHCOMPDIR)/procimage $(LIBEXECDIR)/procimage/procimage-hourly-report \
	$(UNITS:%=$(SYSTEMDUNITDIR)/%) $(DOCDIR)/examples/watch.rules \
	$(DOCDIR)/examples/procimage.cron $(DOCDIR)/README.md
install: $(BIN) $(GENERATED)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/procimage
	install -D -m 0644 contrib/procimage.1 $(DESTDIR)$(MANDIR)/man1/procimage.1
	install -D -m 0644 contrib/procimage.bash-completion $(DESTDIR)$(BASHCOMPDIR)/procimage
	install -D -m 0755 $(BUILD)/contrib/procimage-hourly-report \
		$(DESTDIR)$(LIBEXECDIR)/procimage/procimage-hourly-report
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 $(UNITS:%=$(BUILD)/contrib/%) $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -D -m 0644 contrib/watch.rules $(DESTDIR)$(DOCDIR)/examples/watch.rules
	install -D -m 0644 $(BUILD)/contrib/procimage.cron $(DESTDIR)$(DOCDIR)/examples/procimage.cron
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@# The watch service's rules: the example, unless the admin has rules already.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/procimage/watch.rules ]; then \
		install -D -m 0644 contrib/watch.rules $(DESTDIR)$(SYSCONFDIR)/procimage/watch.rules; fi
	if [ -n "$(CRONDIR)" ]; then \
		install -D -m 0644 $(BUILD)/contrib/procimage.cron $(DESTDIR)$(CRONDIR)/procimage; fi

# Removes what install put there; the rules file only if it is still ours
# (unchanged), the recordings in $(STATEDIR) never.
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	if [ -n "$(CRONDIR)" ]; then rm -f $(DESTDIR)$(CRONDIR)/procimage; fi
	if cmp -s contrib/watch.rules $(DESTDIR)$(SYSCONFDIR)/procimage/watch.rules; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/procimage/watch.rules; fi
	for d in $(LIBEXECDIR)/procimage $(DOCDIR)/examples $(DOCDIR) $(SYSCONFDIR)/procimage; do \
		if [ -d $(DESTDIR)$$d ]; then rmdir $(DESTDIR)$$d 2>/dev/null || \
			echo "uninstall: $(DESTDIR)$$d is not empty: left in place"; fi; done

# One statically linked binary for hosts with an old userland (glibc 2.17,
# kernel 3.10) or no compiler, from the Debian static archives: the same
# objects as the dynamic build, linked with -static (libdw's archive also
# needs libzstd's). glibc warns that getpwnam & co. would need its shared
# NSS modules at run time: procimage looks users up by number only.
STATIC := $(BUILD)/procimage-static
STATIC_LIBS = $(shell pkg-config --static --libs $(PKGS) 2>/dev/null) -lzstd -lm
static: $(STATIC)
	@echo "static binary: $(STATIC) (copy it to the host as procimage)"
$(STATIC): $(MAIN) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -static -o $@ $(MAIN) $(LIB) $(STATIC_LIBS)

bench: all helpers
	bench/run.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --enable=warning,performance,portability --std=c11 -Iinclude -Isrc \
		--suppress=missingIncludeSystem --error-exitcode=1 src

clean:
	rm -rf build build-* procimage

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)

.PHONY: all units helpers test check unit run deps test-deps deps-check install uninstall \
	contrib-files static bench fmt lint clean FORCE

# libFuzzer targets of tests/fuzz/, FUZZ_SECS each (make test runs them briefly).
FUZZ_SECS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECS)

.PHONY: fuzz
