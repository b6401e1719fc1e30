#!/usr/bin/env bash
# Builds the addon into build/cfn_metrics.node with gcc, without node-gyp.
# Links libcfnmetrics from CFN_BUILD_DIR when set; else from the repository's release build
# (.build/release, after `swift build -c release`) when it holds libcfnmetrics.so; else from the
# debug build (`swift build --show-bin-path`), about 3x slower, with a warning saying so.
# Records that folder as the run-time search path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
node_include="${NODE_INCLUDE_DIR:-/usr/include/node}"

if [ -n "${CFN_BUILD_DIR:-}" ]; then
    libdir="$CFN_BUILD_DIR"
elif [ -f "$repo/.build/release/libcfnmetrics.so" ]; then
    libdir="$(cd "$repo/.build/release" && pwd -P)"
    debug="$repo/.build/debug/libcfnmetrics.so"
    if [ -f "$debug" ] && [ "$debug" -nt "$libdir/libcfnmetrics.so" ]; then
        echo "build.sh: warning: the release libcfnmetrics is older than the debug one and may" \
            "be out of date; run 'swift build -c release' in $repo" >&2
    fi
else
    libdir="$(cd "$repo" && swift build --show-bin-path)"
    echo "build.sh: warning: no release build ($repo/.build/release/libcfnmetrics.so), so" \
        "linking the debug libcfnmetrics, about 3x slower; run 'swift build -c release'" \
        "in $repo for the release one" >&2
fi

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
