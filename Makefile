# procimage — build, test, install. `make deps` installs the Debian packages.
# Sources are discovered by wildcard: a new file in src/ needs no edit here.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS := libnl-3.0 libnl-genl-3.0 libcap audit sqlite3 libdw zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat -Wformat-security
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS += $(PKG_LIBS) -lm
BUILD ?= build

SRCS := $(sort $(wildcard src/*/*.c))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
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

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lpthread -lm

units: $(UNIT_BINS)
helpers: $(HELPER_BINS)

# The whole suite: normal build (unit + integration), then ASan+UBSan.
test: deps-check
	tests/run.sh

check: test

# Only the unprivileged unit tests, against one build directory.
unit: $(BIN) units helpers
	tests/run.sh --unit-only --build $(BUILD)

run: deps
	$(MAKE) all
	./procimage

deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		tests/install-deps.sh; \
	else \
		echo "make deps: run as root on Debian to apt-get install the packages listed in README.md"; \
	fi

deps-check:
	@pkg-config --exists $(PKGS) && test -f /usr/include/cmocka.h || $(MAKE) deps

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/procimage
	install -D -m 0644 contrib/procimage.1 $(DESTDIR)$(PREFIX)/share/man/man1/procimage.1 2>/dev/null || true

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

.PHONY: all units helpers test check unit run deps deps-check install bench fmt lint clean

# libFuzzer targets of tests/fuzz/, FUZZ_SECS each (make test runs them briefly).
FUZZ_SECS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECS)

.PHONY: fuzz
