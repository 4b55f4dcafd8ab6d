{
  "targets": [
    {
      "target_name": "ae_images",
      "sources": ["jpeg_decode.c"],
      "cflags": ["-O3", "-std=c11"],
      "conditions": [
        ["OS=='linux'", {
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs jpeg link)"],
          "ldflags": ["-Wl,-rpath,'$$ORIGIN'"]
        }],
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/opt/jpeg-turbo/include", "/usr/local/opt/jpeg-turbo/include"],
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs jpeg link)"]
        }],
        ["OS=='win'", {
          "include_dirs": ["<!@(node ../../../scripts/native-libs.mjs jpeg include)"],
          "libraries": ["<!@(node ../../../scripts/native-libs.mjs jpeg link)"],
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c11", "/O2"] } }
        }]
      ]
    }
  ]
}
