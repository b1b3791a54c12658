# mmdna: every target runs with the Go toolchain and SIMD kernels the project needs.
# The machines ship Go 1.26 with GOTOOLCHAIN=local; GOTOOLCHAIN=go1.27.3 makes the go
# command fetch 1.27.3 from the module proxy once. GOEXPERIMENT=simd compiles the
# pure-Go backend's AVX2/AVX-512 matrix kernels (without it, training runs ~7x slower).
export GOTOOLCHAIN := go1.27.3
export GOEXPERIMENT := simd
export GOMLX_NO_AUTO_INSTALL := 1

SHELL := /bin/bash
GO ?= go
ARGS ?=
NOTEBOOKS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FMNIST_DIR := /usr/share/datasets/fashion-mnist
APT_GET := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -y -q

.PHONY: run test test-long bench data pyrefs peers lint build build-xla notebooks backend

# The go backend's packages that third_party/compute's patches change: make test runs their tests.
PATCHED_PACKAGES := ./internal/gobackend/ops/ ./internal/gobackend/fusedops/dense/ ./internal/gobackend/dot/...

## backend: GoMLX's go backend (github.com/gomlx/compute) with mmdna's patches (third_party/compute) in .build/compute, used through a generated go.work; rebuilt when a patch or go.mod changes.
backend:
	@if [ ! -f go.work ] || [ ! -f .build/compute/go.mod ] || [ -n "$$(find third_party/compute go.mod -newer go.work)" ]; then \
	  third_party/compute/apply.sh; fi

## run: train the default experiment and watch it in the terminal UI (ARGS='-exp vit-fmnist -start').
run: backend
	$(GO) run ./cmd/tui $(ARGS)

## test: the CI tier: gofmt, go vet, and the short tests on the pure-Go backend (with the Python references).
test: data pyrefs backend lint
	GOMLX_BACKEND=go $(GO) test -short -timeout 20m ./...
	cd .build/compute && GOWORK=off $(GO) test $(PATCHED_PACKAGES)

## test-long: also the tests -short skips or shrinks: the Fashion-MNIST experiments' smoke runs, dataset statistics from the real files, the PyTorch peers at smoke size, 600 random tokenizer texts (about half a minute more than test on 2 cores).
test-long: data backend lint
	GOMLX_BACKEND=go $(GO) test -timeout 90m ./...

## lint: gofmt and go vet.
lint:
	@gofmt=$$($(GO) env GOROOT)/bin/gofmt; out=$$($$gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path './.build/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## data: Fashion-MNIST from Debian's dataset-fashion-mnist (into $(FMNIST_DIR)).
data:
	@if [ ! -f $(FMNIST_DIR)/train-images-idx3-ubyte.gz ]; then \
	  echo "installing dataset-fashion-mnist"; \
	  $(APT_GET) update >/dev/null && $(APT_GET) install dataset-fashion-mnist >/dev/null; fi

## notebooks: install gonb (notebooks/setup.sh), run the notebooks headless and save their outputs (NOTEBOOKS=notebooks/vit.ipynb for one).
notebooks: data
	@bash notebooks/setup.sh
	/usr/bin/python3 notebooks/run.py $(NOTEBOOKS)

## pyrefs: the Python references the tests compare with (PyTorch, torchvision, PIL, numpy, regex, nltk; Debian's packages).
pyrefs:
	@if ! /usr/bin/python3 -c 'import torch, torchvision, PIL, numpy, regex, nltk' 2>/dev/null; then \
	  echo "installing the Python references (python3-torch, -torchvision, -pil, -numpy, -regex, -nltk)"; \
	  $(APT_GET) update >/dev/null && $(APT_GET) install python3-torch python3-torchvision libopenblas0-pthread \
	    python3-pil python3-numpy python3-regex python3-nltk >/dev/null; fi

## peers: the PyTorch peer (Debian's python3-torch with a pthread OpenBLAS).
peers:
	@if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then \
	  echo "installing python3-torch and libopenblas0-pthread"; \
	  $(APT_GET) update >/dev/null && $(APT_GET) install python3-torch libopenblas0-pthread >/dev/null; fi

## bench: training-step speed of mmdna and of the PyTorch peer, side by side.
bench: data peers backend
	$(GO) run ./cmd/bench $(ARGS)

## build: the binaries with the pure-Go backend into bin/.
build: backend
	$(GO) build -o bin/ ./cmd/...

## build-xla: the binaries with XLA (PJRT, cgo) into bin/; plugins are never downloaded (docs/gpu.md).
build-xla: backend
	@if $(GO) list -deps -tags xla ./cmd/... | grep -q autoinstall; then \
	  echo "build-xla: the XLA build would link go-xla's plugin auto-installer; refusing"; exit 1; fi
	CGO_ENABLED=1 $(GO) build -tags xla -o bin/ ./cmd/...
