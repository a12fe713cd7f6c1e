# Gaitway: `make demo` and `make test` each install what is missing first, then run.
# Everything they need comes from Debian's packages and PyPI (tools/bootstrap.sh).

SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT      ?= swift
CAPTURE    ?= Tests/DissectorTests/Fixtures/bumble-heart-rate.btsnoop
FUZZ_RUNS  ?= 20000
FUZZ_SCRATCH := .build-fuzz

.PHONY: all deps build demo test unit-tests fuzz fuzz-smoke bench clean

all: build

deps:
	@bash tools/bootstrap.sh

# The release binary skips run-time exclusivity checks: they cost the simulator's per-sample
# loops about a tenth of an offline run (Benchmarks/README.md). A command-line setting, so the
# library products carry no unsafeFlags; debug builds and `swift test` keep the checks.
RELEASE_FLAGS := -c release -Xswiftc -enforce-exclusivity=unchecked

build:
	$(SWIFT) build $(RELEASE_FLAGS) --product gaitway

# The simulator, the gateway and the collector together: the gateway on the in-process
# simulator (quickstart: a runner with insoles and a wristband, a walker with a wristband)
# for about 30 seconds, with a live table on a terminal, uploading to `gaitway collector`;
# then a query of each, the collector's as a curl command with the reader token it made
# (tools/demo.sh).
DEMO_SECONDS ?= 30
demo: deps build
	@DEMO_SECONDS=$(DEMO_SECONDS) bash tools/demo.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/gaitway"

# A short fuzz run of every fuzz target, then the unit, reference (Bumble, tshark, NeuroKit2,
# bthome-ble) and end-to-end tests. GAITWAY_REQUIRE_REFERENCES makes a missing reference tool a failure;
# GAITWAY_REQUIRE_VM a machine that cannot boot the kernel Bluetooth check (BlueZKernelTests:
# qemu, linux-image-amd64, virtme-ng; tools/bluez_vm/run.sh).
test: deps fuzz-smoke unit-tests

# The kernel check boots a virtual machine under software emulation, which takes both cores
# for minutes: it runs after the other suites rather than beside them (whose timed runs of the
# binary it would slow past their limits).
# The collector's suites (a PostgreSQL cluster, live servers, timed connection checks) run
# in a test process of their own: beside the command-line suites their async tests stalled.
# The tests wait for child processes and real-time runs without holding a thread of the
# cooperative pool (GaitwayTestSupport's OwnThread, GaitwayRun.run); at most TEST_WIDTH tests
# run at once, so that two cores are not shared by dozens of child processes and the timed
# checks measure the code, not the queue (Swift Testing 6.3's
# --experimental-maximum-parallelization-width). Three, not four, since the night tests (a 9 h
# gateway run, the skdh and pyActigraphy references) joined: at four, three of six runs on
# 2026-12-07/08 failed a timed check (SIGTERM stop 1.7 s and 2.4 s against 1.5 s; an uplink deadline).
TEST_WIDTH ?= 3
unit-tests:
	GAITWAY_REQUIRE_REFERENCES=1 $(SWIFT) test --skip BlueZKernelTests --skip 'CollectorTests\.' \
		--experimental-maximum-parallelization-width $(TEST_WIDTH)
	GAITWAY_REQUIRE_REFERENCES=1 $(SWIFT) test --skip-build --filter 'CollectorTests\.'
	GAITWAY_REQUIRE_VM=1 $(SWIFT) test --skip-build --filter BlueZKernelTests

# libFuzzer targets (Fuzz/): a short smoke run of each; `make fuzz FUZZ_RUNS=...` for long runs.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_RUNS=$(FUZZ_RUNS)

fuzz:
	@bash Fuzz/run.sh $(FUZZ_RUNS)

# package-benchmark suites (a separate package, so `make test` does not build them).
bench: deps
	cd Benchmarks && $(SWIFT) package -Xswiftc -enforce-exclusivity=unchecked --allow-writing-to-package-directory benchmark

clean:
	rm -rf .build .build-* Benchmarks/.build Fuzz/.build Fuzz/build
