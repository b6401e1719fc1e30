# For users with node-gyp: `node-gyp rebuild --cfn_build_dir=/path/to/libcfnmetrics/folder`.
# The default folder is the repository's `swift build --show-bin-path`, the debug build. build.sh
# builds without node-gyp, prefers the release build, and is what the repository's tests use.
{
  "variables": {
    "cfn_build_dir%": "<!(cd <(module_root_dir)/../.. && swift build --show-bin-path)"
  },
  "targets": [
    {
      "target_name": "cfn_metrics",
      "sources": [
        "src/addon.c",
        "src/args.c",
        "src/errors.c",
        "src/handles.c",
        "src/registry.c",
        "src/series.c"
      ],
      "include_dirs": ["<(module_root_dir)/../../Include"],
      "cflags_c": ["-std=c11", "-Wall", "-Wextra"],
      "libraries": [
        "-L<(cfn_build_dir)",
        "-lcfnmetrics",
        "-Wl,-rpath,<(cfn_build_dir)"
      ]
    }
  ]
}
