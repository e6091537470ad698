# The user's interface to callguard. `make test` and `make demo` work on a fresh Debian machine:
# they install what is missing (deps) and build first.
PRESET ?= release
JOBS ?= $(shell nproc)
BIN := build/$(PRESET)/callguard

.PHONY: deps build test test-asan test-tsan demo bench bench-sip bench-shaken bench-api bench-investigate format clean

deps:
	@./scripts/deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# The unit tests under ThreadSanitizer (the scripted integration tests are left out: see the
# `tsan` preset).
test-tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan

demo: build
	@./scripts/demo.sh $(BIN)

bench: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@./bench/run.sh build/release

bench-sip: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@./bench/sip_bench.sh build/release

bench-api: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@./bench/api_bench.sh build/release

bench-investigate: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@./bench/investigate_bench.sh build/release

bench-shaken: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@./bench/shaken_bench.sh build/release

format:
	@find include src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
