# mreg: a git-style model registry.  Plain GNU make; see README.md.
#
#   make                 build ./mreg, mreg-core.so and libmreg.a
#   make test            build and run every test under prove
#   make demo            a walkthrough on a scratch registry
#   make doc             man pages (asciidoctor); never needed by all/test
#   make install         to $(DESTDIR)$(prefix)
#   DEVELOPER=1          strict warnings as errors
#   SANITIZE=address,undefined   sanitizer build
#   V=1                  show the commands

prefix ?= /usr/local
bindir = $(prefix)/bin
libdir = $(prefix)/lib
includedir = $(prefix)/include
mandir = $(prefix)/share/man

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
PKGS = libgit2 yaml-0.1 libcrypto zlib jansson nettle
# The mreg executable itself links only these (see cmd/mreg.c); the
# commands are in mreg-core.so, which it loads when it needs them.
FRONT_PKGS = zlib nettle jansson

CFLAGS ?= -O2 -g
BASIC_CFLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Iinclude -Isrc -MMD -MP -Wall -fPIC -ffunction-sections -fdata-sections
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread
FRONT_LIBS := $(shell $(PKG_CONFIG) --libs $(FRONT_PKGS) 2>/dev/null) -ldl
# Where an installed mreg finds mreg-core.so when it is not beside it.
CORE_PATH = $(libdir)/mreg/mreg-core.so

ifdef DEVELOPER
BASIC_CFLAGS += -Werror -Wextra -Wno-unused-parameter -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wformat=2 -Wvla -Wdeclaration-after-statement -Wold-style-definition
endif
ifdef SANITIZE
BASIC_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifndef V
QUIET_CC = @echo '   ' CC $@;
QUIET_AR = @echo '   ' AR $@;
QUIET_LINK = @echo '   ' LINK $@;
endif

LIB_SRCS = $(sort $(wildcard src/*.c))
FRONT_SRCS = cmd/mreg.c
CMD_SRCS = $(filter-out $(FRONT_SRCS),$(sort $(wildcard cmd/*.c)))
UNIT_SRCS = $(sort $(wildcard t/unit/*.c))
LIB_OBJS = $(LIB_SRCS:.c=.o)
CMD_OBJS = $(CMD_SRCS:.c=.o)
# What the front end needs besides cmd/mreg.o: the fast resolve, its
# output and errors.  It takes from libmreg.a only what these call, and
# --gc-sections drops the rest, so linking it without libgit2 and
# OpenSSL is the proof that the serving path never loads them.
FRONT_OBJS = cmd/mreg.o cmd/resolve.o cmd/common.o cmd/parse-options.o cmd/util-json.o
UNIT_PROGS = $(UNIT_SRCS:.c=.t)

# Changing the flags rebuilds everything.
FLAGS_FILE = .build-flags
FLAGS_NOW = $(CC) $(CFLAGS) $(BASIC_CFLAGS) $(DEP_CFLAGS) $(LDFLAGS)
# Changing the prefix rebuilds the one object that names it.
CORE_PATH_FILE = .build-core-path

all: mreg mreg-core.so

$(FLAGS_FILE): FORCE
	@echo '$(FLAGS_NOW)' | cmp -s - $@ || echo '$(FLAGS_NOW)' >$@

$(CORE_PATH_FILE): FORCE
	@echo '$(CORE_PATH)' | cmp -s - $@ || echo '$(CORE_PATH)' >$@

%.o: %.c $(FLAGS_FILE)
	$(QUIET_CC)$(CC) $(CFLAGS) $(BASIC_CFLAGS) $(DEP_CFLAGS) $(EXTRA_CPPFLAGS) -c -o $@ $<

cmd/mreg.o: EXTRA_CPPFLAGS = -DMREG_CORE_PATH='"$(CORE_PATH)"'
cmd/mreg.o: $(CORE_PATH_FILE)

libmreg.a: $(LIB_OBJS)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

mreg: $(FRONT_OBJS) libmreg.a
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--gc-sections -o $@ \
		$(FRONT_OBJS) libmreg.a $(FRONT_LIBS)

mreg-core.so: $(CMD_OBJS) libmreg.a cmd/mreg-core.map
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-z,defs -Wl,--gc-sections \
		-Wl,--version-script=cmd/mreg-core.map -o $@ $(CMD_OBJS) libmreg.a $(DEP_LIBS)

include t/helper/Makefile.inc

t/unit/%.t: t/unit/%.o libmreg.a
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< libmreg.a $(DEP_LIBS)

deps:
	@./build-deps.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_PROGS) $(TEST_HELPERS)
	cd t && prove --exec ./run-test.sh --timer -j2 $(if $(V),-v) unit/*.t t[0-9]*.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@./contrib/demo/demo.sh

doc:
	$(MAKE) -C Documentation

install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) $(DESTDIR)$(includedir)/mreg
	install -d $(DESTDIR)$(dir $(CORE_PATH))
	install -m 755 mreg $(DESTDIR)$(bindir)/mreg
	install -m 755 mreg-core.so $(DESTDIR)$(CORE_PATH)
	install -m 644 libmreg.a $(DESTDIR)$(libdir)/libmreg.a
	install -m 644 include/mreg/*.h $(DESTDIR)$(includedir)/mreg/
	if test -d Documentation/man; then \
		install -d $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 && \
		install -m 644 Documentation/man/*.1 $(DESTDIR)$(mandir)/man1/ && \
		{ ! ls Documentation/man/*.5 >/dev/null 2>&1 || \
		  install -m 644 Documentation/man/*.5 $(DESTDIR)$(mandir)/man5/; }; \
	fi

clean: clean-test-helpers
	rm -f mreg mreg-core.so libmreg.a src/*.o src/*.d cmd/*.o cmd/*.d t/unit/*.o t/unit/*.d \
		$(UNIT_PROGS) $(FLAGS_FILE) $(CORE_PATH_FILE)
	rm -rf t/trash* t/unit/*.t
	$(MAKE) -C Documentation clean

.PHONY: all deps test demo doc install clean FORCE

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(FRONT_SRCS:.c=.d) $(UNIT_SRCS:.c=.d)
