#!/usr/bin/env bash
# Builds the addon into build/cfn_metrics.node with gcc, without node-gyp.
# Links libcfnmetrics from CFN_BUILD_DIR (default: the repository's `swift build --show-bin-path`,
# which must already hold libcfnmetrics.so) and records that folder as the run-time search path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
libdir="${CFN_BUILD_DIR:-$(cd "$repo" && swift build --show-bin-path)}"
node_include="${NODE_INCLUDE_DIR:-/usr/include/node}"

if [ ! -f "$libdir/libcfnmetrics.so" ]; then
    echo "build.sh: $libdir/libcfnmetrics.so is missing: run 'swift build' in $repo first" >&2
    exit 1
fi
if [ ! -f "$node_include/node_api.h" ]; then
    echo "build.sh: $node_include/node_api.h is missing: set NODE_INCLUDE_DIR" >&2
    exit 1
fi

mkdir -p "$here/build"
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -std=c11 -I"$node_include" -I"$repo/Include" \
    "$here"/src/*.c -L"$libdir" -lcfnmetrics -Wl,-rpath,"$libdir" \
    -o "$here/build/cfn_metrics.node"
echo "build.sh: built $here/build/cfn_metrics.node against $libdir"
