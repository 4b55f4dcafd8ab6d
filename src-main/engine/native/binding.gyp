{
  "targets": [
    {
      "target_name": "ae_kernels",
      "sources": ["ae_kernels.c", "batch_norm.c", "conv_direct.c", "tsne.c"],
      "cflags": ["-O3", "-std=c11", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='linux'", {
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs openblas link)"]
        }],
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs openblas link)"]
        }],
        ["OS=='win'", {
          "include_dirs": ["<!@(node ../../../scripts/native-libs.mjs openblas include)"],
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs openblas link)"],
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c11", "/O2"] } }
        }]
      ]
    }
  ]
}
