#!/usr/bin/env bash
# Installs what the notebooks need and registers the GoNB kernel; `make notebooks`
# runs it before executing them. Idempotent: a second run checks versions and
# rewrites the kernel spec, and takes a few seconds.
#
#   - Debian's jupyter-nbconvert and python3-jupyter-client (headless execution);
#   - gonb, goimports and gopls, each built at a pinned version in a scratch module
#     (`go install gonb@version` is refused because the module proxy's version list
#     for gonb is incomplete; `go get` + `go build` of the exact version works),
#     into $NOTEBOOK_TOOLS (default: $(go env GOPATH)/bin, like `go install`);
#   - the kernel spec (~/.local/share/jupyter/kernels/gonb/kernel.json, or under
#     $JUPYTER_DATA_DIR) with GOTOOLCHAIN, GOEXPERIMENT and the tools in its env, so
#     the kernel compiles cells with the toolchain and SIMD kernels the project needs.
set -euo pipefail

GONB_VERSION=v0.11.4
TOOLS_VERSION=v0.52.0 # golang.org/x/tools (goimports)
GOPLS_VERSION=v0.23.0

: "${GOTOOLCHAIN:=go1.27.3}"
: "${GOEXPERIMENT:=simd}"
export GOTOOLCHAIN GOEXPERIMENT GOFLAGS=
tools=${NOTEBOOK_TOOLS:-$(go env GOPATH)/bin}
sudo=$([ "$(id -u)" = 0 ] || echo sudo)

if ! /usr/bin/python3 -c 'import nbconvert, nbclient, jupyter_client' 2>/dev/null; then
	echo "notebooks: installing jupyter-nbconvert and python3-jupyter-client (apt)"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get -y -q update >/dev/null
	$sudo apt-get -y -q install jupyter-nbconvert python3-jupyter-client >/dev/null
fi

# build BIN MODULE VERSION PACKAGE: builds PACKAGE of MODULE@VERSION into $tools/BIN
# unless the binary there already reports that module version.
build() {
	local bin=$1 mod=$2 ver=$3 pkg=$4
	if [ -x "$tools/$bin" ] && go version -m "$tools/$bin" 2>/dev/null |
		grep -qE "^[[:space:]]+(mod|dep)[[:space:]]+$mod[[:space:]]+$ver([[:space:]]|$)"; then
		return
	fi
	echo "notebooks: building $bin ($mod@$ver) into $tools"
	local scratch
	scratch=$(mktemp -d)
	(
		cd "$scratch"
		go mod init notebook-tools >/dev/null 2>&1
		go get "$pkg@$ver" >/dev/null 2>&1 || go get "$pkg@$ver"
		mkdir -p "$tools"
		go build -o "$tools/$bin" "$pkg"
	) || { rm -rf "$scratch"; echo "notebooks: building $bin failed" >&2; exit 1; }
	rm -rf "$scratch"
}

build gonb github.com/janpfeifer/gonb "$GONB_VERSION" github.com/janpfeifer/gonb
build goimports golang.org/x/tools "$TOOLS_VERSION" golang.org/x/tools/cmd/goimports
build gopls golang.org/x/tools/gopls "$GOPLS_VERSION" golang.org/x/tools/gopls

# Register the kernel, then give it the project's environment. jupyter_client
# expands ${PATH} in a kernel spec's env when it starts the kernel.
PATH="$tools:$PATH" "$tools/gonb" --install --force_deps --logtostderr=false >/dev/null 2>&1 ||
	PATH="$tools:$PATH" "$tools/gonb" --install --force_deps
spec="${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/gonb/kernel.json"
/usr/bin/python3 - "$spec" "$tools" "$GOTOOLCHAIN" "$GOEXPERIMENT" <<'PY'
import json, sys
path, tools, toolchain, experiment = sys.argv[1:5]
with open(path) as f:
    spec = json.load(f)
spec.setdefault("env", {}).update({
    "GOTOOLCHAIN": toolchain,
    "GOEXPERIMENT": experiment,
    "GOMLX_NO_AUTO_INSTALL": "1",
    "PATH": tools + ":${PATH}",
})
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
    f.write("\n")
PY
echo "notebooks: gonb $GONB_VERSION kernel registered in $spec"
