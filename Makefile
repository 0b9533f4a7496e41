# flowq -- plain GNU Makefile.  Generated files and objects go to $(BUILD).
#   make            build build/flowq and build/flowq-gen
#   make check      unit tests (Check) + end-to-end suites
#   make ISAL=0     inflate with zlib instead of ISA-L (e.g. BUILD=build-zlib)
#   make asan       the same tests under ASan+UBSan (build-asan/)
#   make bench      benchmarks on generated 1M/10M-record traces
#   make mpi        build/flowq-mpi, flowq across the ranks of an MPI job
#                   (Open MPI's mpicc; make check builds and tests it when
#                   mpicc is installed)
#   make install    PREFIX=/usr/local DESTDIR=
#   make setup      install the Debian build dependencies (as root), build,
#                   and run an example query on a bundled trace

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
OPT     ?= -O2
SAN     ?=
WERROR  ?= -Werror
BISON   ?= bison
FLEX    ?= flex
# ISAL=1: compressed traces are inflated with ISA-L (libisal-dev), about
# 1.7 times as fast as zlib; ISAL=0: with zlib.  Writing is zlib either way.
ISAL    ?= 1

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-format-nonliteral
CPPFLAGS = -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/gen $(FIXBUF_CFLAGS) $(if $(filter 1,$(ISAL)),-DFQ_HAVE_ISAL)
CFLAGS  ?=
ALLCFLAGS = -std=c11 -g $(OPT) $(SAN) -pthread -MMD -MP $(CFLAGS)
LDLIBS   = $(if $(filter 1,$(ISAL)),-lisal) -lz -llz4 -llzo2 -lzstd -lbz2 -lm $(FIXBUF_LIBS) -pthread
FIXBUF_CFLAGS = $(shell pkg-config --cflags libfixbuf)
FIXBUF_LIBS   = $(shell pkg-config --libs libfixbuf)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm)

LIB_SRC  = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
GEN_OBJ  = $(if $(wildcard grammar/parser.y),$(BUILD)/obj/parser.o $(BUILD)/obj/scanner.o)
LIB      = $(BUILD)/libflowq.a
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.PHONY: all check unit e2e asan bench install uninstall clean difftest fuzz setup deps example mpi

DEBIAN_DEPS = make gcc flex bison zlib1g-dev libisal-dev liblz4-dev liblzo2-dev libzstd-dev \
              libbz2-dev check pkg-config libfixbuf-dev
.DELETE_ON_ERROR:

all: $(BUILD)/flowq $(BUILD)/flowq-gen

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h: grammar/parser.y
	@mkdir -p $(BUILD)/gen
	$(BISON) -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/scanner.c $(BUILD)/gen/scanner.h: grammar/scanner.l
	@mkdir -p $(BUILD)/gen
	$(FLEX) --header-file=$(BUILD)/gen/scanner.h -o $(BUILD)/gen/scanner.c $<

# flex and bison output is not ours to keep warning-free.
$(BUILD)/obj/parser.o: $(BUILD)/gen/parser.c $(BUILD)/gen/scanner.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -w -c -o $@ $<

$(BUILD)/obj/scanner.o: $(BUILD)/gen/scanner.c $(BUILD)/gen/parser.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -w -c -o $@ $<

$(BUILD)/obj/%.o: src/%.c $(if $(GEN_OBJ),$(BUILD)/gen/parser.h $(BUILD)/gen/scanner.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(WARN) $(WERROR) -c -o $@ $<

# A stamp per backend, so that switching ISAL in one build directory
# rebuilds the reader.
$(BUILD)/obj/zin.o: $(BUILD)/obj/isal-$(ISAL).stamp
$(BUILD)/obj/isal-$(ISAL).stamp:
	@mkdir -p $(@D)
	@rm -f $(BUILD)/obj/isal-*.stamp
	@touch $@

$(LIB): $(LIB_OBJ) $(GEN_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/flowq: $(BUILD)/obj/main.o $(LIB)
	$(CC) $(ALLCFLAGS) -o $@ $^ $(LDLIBS)

# flowq-mpi: main.c again with FQ_MPI, and the distributed reading, built
# with mpicc.  Not under the sanitizers: Open MPI's own allocations would
# fail their leak check, so make check tests it in plain builds only.
MPICC    ?= mpicc
HAVE_MPI := $(shell command -v $(MPICC) >/dev/null 2>&1 && echo 1)
MPI_CHECK = $(if $(HAVE_MPI),$(if $(SAN),,$(BUILD)/flowq-mpi))

mpi: $(BUILD)/flowq-mpi

MPI_OBJ = $(BUILD)/obj/mpi/main.o $(BUILD)/obj/mpi/dist.o
$(BUILD)/obj/mpi/main.o: src/main.c
$(BUILD)/obj/mpi/dist.o: src/mpi/dist.c
$(MPI_OBJ): $(if $(GEN_OBJ),$(BUILD)/gen/parser.h $(BUILD)/gen/scanner.h)
	@mkdir -p $(@D)
	$(MPICC) $(CPPFLAGS) -Isrc/mpi -DFQ_MPI $(ALLCFLAGS) $(WARN) $(WERROR) -c -o $@ $(filter %.c,$^)

$(BUILD)/flowq-mpi: $(MPI_OBJ) $(LIB)
	$(MPICC) $(ALLCFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/gen/%.o: src/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(WARN) $(WERROR) -c -o $@ $<

$(BUILD)/flowq-gen: $(patsubst src/gen/%.c,$(BUILD)/obj/gen/%.o,$(wildcard src/gen/*.c)) $(LIB)
	$(CC) $(ALLCFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(WARN) -o $@ $< $(LIB) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(WARN) $(WERROR) -o $@ $< $(LIB) $(LDLIBS)

deps:
	@if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_DEPS); \
	else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_DEPS); \
	fi

setup: deps
	$(MAKE) all
	$(MAKE) example

EXAMPLE_QUERY ?= queries/http-tcp-session.fq
EXAMPLE_TRACE ?= traces/example.ft
example: all
	$(BUILD)/flowq $(EXAMPLE_QUERY) $(EXAMPLE_TRACE)

check: all $(UNIT_BIN) $(TOOL_BIN) $(MPI_CHECK)
	@BUILD=$(BUILD) sh tests/run-all.sh

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

difftest: all $(TOOL_BIN)
	@BUILD=$(BUILD) DIFF_ITER=$${DIFF_ITER:-20000} sh tests/difftest.sh

bench: all $(TOOL_BIN)
	@BUILD=$(BUILD) sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/flowq $(BUILD)/flowq-gen $(DESTDIR)$(PREFIX)/bin/
	if [ -x $(BUILD)/flowq-mpi ]; then install -m 755 $(BUILD)/flowq-mpi $(DESTDIR)$(PREFIX)/bin/; fi
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/flowq $(DESTDIR)$(PREFIX)/bin/flowq-gen $(DESTDIR)$(PREFIX)/bin/flowq-mpi \
	    $(DESTDIR)$(PREFIX)/share/man/man1/flowq*.1 $(DESTDIR)$(PREFIX)/share/man/man5/flowq*.5

clean:
	rm -rf build build-asan build-tsan build-fuzz build-zlib

# ---- reliability: fuzzing, TSan, valgrind, static analysis ----
#   make fuzz         each libFuzzer target for FUZZ_TIME seconds (default 600)
#   make fuzz-ci      each target for FUZZ_CI_TIME seconds (default 60)
#   make tsan         the test suites under ThreadSanitizer (build-tsan/)
#   make valgrind     a subset under valgrind memcheck (tests/valgrind.sh)
#   make lint         cppcheck + clang-tidy on src/ (generated parser excluded)
.PHONY: fuzz fuzz-ci fuzz-build tsan valgrind lint

FUZZ_DIR      = build-fuzz
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 600
FUZZ_CI_TIME ?= 60
FUZZ_TARGETS  = fuzz_query fuzz_trace fuzz_run fuzz_nfdump fuzz_ipfix
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The library is rebuilt by the ordinary rules into $(FUZZ_DIR) (its own
# objects and generated parser) with coverage instrumentation; clang's
# warnings differ from gcc's, so they do not stop a fuzz build.
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_DIR) CC=$(FUZZ_CC) OPT=-O1 WERROR= \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) sh tests/fuzz/run.sh $(FUZZ_TIME)

fuzz-ci: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) sh tests/fuzz/run.sh $(FUZZ_CI_TIME)

tsan:
	$(MAKE) BUILD=build-tsan OPT=-O1 WERROR= SAN="-fsanitize=thread -fno-omit-frame-pointer" check

valgrind: all
	@BUILD=$(BUILD) sh tests/valgrind.sh

LINT_SRC  = $(wildcard src/*.c src/gen/*.c)
# High-signal checks only: the analyzer and bugprone minus the rules that
# flag deliberate idioms here (unsigned widening, buffers with explicit
# lengths, arrays of pointers, unchecked fprintf to stderr).
TIDY_CHECKS = -*,clang-analyzer-*,bugprone-*,cert-err34-c,\
-clang-analyzer-security.insecureAPI.*,-clang-analyzer-optin.performance.Padding,\
-clang-analyzer-valist.Uninitialized,-bugprone-easily-swappable-parameters,\
-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition,\
-bugprone-reserved-identifier,-bugprone-implicit-widening-of-multiplication-result,\
-bugprone-misplaced-widening-cast,-bugprone-not-null-terminated-result,\
-bugprone-sizeof-expression,-bugprone-branch-clone,-bugprone-suspicious-string-compare
lint: $(if $(GEN_OBJ),$(BUILD)/gen/parser.h $(BUILD)/gen/scanner.h)
	@rc=0; \
	cppcheck -q --std=c11 --error-exitcode=1 --inline-suppr \
	    --enable=warning,performance,portability --suppress=missingIncludeSystem \
	    -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/gen $(LINT_SRC) || rc=1; \
	clang-tidy --quiet --warnings-as-errors='*' --checks='$(TIDY_CHECKS)' $(LINT_SRC) -- \
	    $(CPPFLAGS) -std=c11 -pthread || rc=1; \
	echo "lint: $$([ $$rc = 0 ] && echo clean || echo 'findings above')"; exit $$rc

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/gen/*.d $(BUILD)/obj/mpi/*.d $(BUILD)/tests/*.d)
