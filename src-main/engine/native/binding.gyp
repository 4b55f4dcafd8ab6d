{
  "targets": [
    {
      "target_name": "ae_kernels",
      "sources": ["ae_kernels.c", "tsne.c"],
      "cflags": ["-O3", "-std=c11", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='linux'", { "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"], "libraries": ["-lopenblas"] }],
        ["OS=='mac'", { "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"], "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib", "-lopenblas"] }]
      ]
    }
  ]
}
