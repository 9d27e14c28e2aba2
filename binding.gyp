{
  # The CPU addon. Kernel files are picked up by name: kernels/cpu/*.cc for the portable x86-64 baseline,
  # *_avx2.cc and *_avx512.cc compiled with those instruction sets into their own libraries and only
  # called after the run-time CPUID check (kernels/cpu/cpu_features.h). ISA files never register kernels,
  # so the linker keeps them through the dispatchers that call them.
  # Portability of the prebuilt binary (checked by scripts/pack/check-binaries.mjs): no -march flags on the
  # baseline; libstdc++ and libgcc linked in statically (the build machine's libstdc++ is newer than a
  # glibc 2.28 system's) with their symbols kept private; and linked against glibc 2.28 stand-ins
  # (scripts/pack/glibc-stubs.mjs) so that every glibc symbol is bound at a version 2.28 has.
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++1y"],
    "cflags": ["-O3", "-fno-math-errno", "-fPIC"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fPIC"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "kernels/include"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  },
  "targets": [
    {
      "target_name": "slmkit_cpu_avx2",
      "type": "static_library",
      "sources": ["<!@(ls -1 kernels/cpu/*_avx2.cc 2>/dev/null || true)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "slmkit_cpu_avx512",
      "type": "static_library",
      "sources": ["<!@(ls -1 kernels/cpu/*_avx512.cc 2>/dev/null || true)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq"]
    },
    {
      "target_name": "slmkit_cpu",
      "dependencies": ["slmkit_cpu_avx2", "slmkit_cpu_avx512"],
      "sources": [
        "native/cpu_addon.cc",
        "native/boundary.cc",
        "native/registry.cc",
        "native/host_cache.cc",
        "<!@(ls -1 kernels/cpu/*.cc | grep -v -e _avx2.cc -e _avx512.cc)"
      ],
      "conditions": [
        ["OS=='linux' and target_arch=='x64'", {
          "ldflags": [
            "-L<!(node scripts/pack/glibc-stubs.mjs build/glibc-stubs)",
            "-static-libstdc++",
            "-static-libgcc",
            "-Wl,--exclude-libs,ALL"
          ]
        }]
      ]
    }
  ]
}
