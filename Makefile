# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
EVNI_LISTEN ?= 127.0.0.1:8080
EVNI_DB ?= sqlite://./data/evni.db
EVNI_RELEASE := build/release/src/app/evni

.PHONY: run test deps build release debug asan test-asan bench bench-quality bench-sorc bench-explain format format-check clean

deps:
	@scripts/install-deps.sh

# The release binary only (tests and benchmarks build their own targets).
release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j$(JOBS) --target evni

debug: deps
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j$(JOBS)

build: release

# Installs what is missing, builds a release binary, creates ./data/evni.db with a demo tenant when
# the database has none (its API key is printed once), and serves on $(EVNI_LISTEN).
run: release
	@mkdir -p data
	@key_json=$$($(EVNI_RELEASE) tenant create --name demo --if-none --db "$(EVNI_DB)"); \
	 if [ -n "$$key_json" ]; then \
	   echo "Created demo tenant (the API key is shown only once):"; echo "$$key_json"; fi
	$(EVNI_RELEASE) serve --listen "$(EVNI_LISTEN)" --db "$(EVNI_DB)"

# Installs what is missing, builds (debug, warnings as errors) and runs every test through CTest on
# SQLite and PostgreSQL; then the unit and SQLite API tests again under ASan + UBSan.
test: deps
	cmake --preset debug -DEVNI_WERROR=ON >/dev/null
	cmake --build --preset debug -j$(JOBS)
	ctest --preset debug -j$(JOBS)
	$(MAKE) --no-print-directory test-asan

# Unit tests and the SQLite API tests under AddressSanitizer and UndefinedBehaviorSanitizer (the
# PostgreSQL and npm-based checks run in the debug suite).
test-asan: deps
	cmake --preset asan -DEVNI_DOCS_VIEWER=OFF >/dev/null
	cmake --build --preset asan -j$(JOBS) --target evni evni_unit_tests
	ctest --preset asan -j$(JOBS) -E 'postgres|pg_cluster|api_tests_pg|openapi_|docs_tools'

bench: release
	scripts/bench.sh

# W1/W2 on PostgreSQL (a throwaway cluster with fsync on, see scripts/bench.sh): one node, then two
# nodes on one database. docs/benchmarks.md has the figures.
.PHONY: bench-postgres
bench-postgres: release
	BACKEND=postgres NODES=1 scripts/bench.sh
	BACKEND=postgres NODES=2 SKIP_BUILD=1 scripts/bench.sh

# SoC reconstruction error on generated sessions with hidden SoC and on the EPFL DC sessions.
bench-sorc: release
	cmake --build --preset release -j$(JOBS) --target evni_bench_sorc
	build/release/bench/evni_bench_sorc

# Built-in explainer and ask throughput (docs/explain.md).
bench-explain: release
	cmake --build --preset release -j$(JOBS) --target evni_bench_explain
	build/release/bench/evni_bench_explain

# Detection quality on the labelled generator's fixed set, next to two baselines (docs/benchmarks.md).
bench-quality: release
	cmake --build --preset release -j$(JOBS) --target evni_bench_quality
	build/release/bench/evni_bench_quality

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build
