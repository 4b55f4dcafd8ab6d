{
  "targets": [
    {
      "target_name": "ae_images",
      "sources": ["jpeg_decode.c"],
      "cflags": ["-O3", "-std=c11"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-ljpeg"] }],
        ["OS=='mac'", { "include_dirs": ["/opt/homebrew/opt/jpeg-turbo/include", "/usr/local/opt/jpeg-turbo/include"], "libraries": ["-L/opt/homebrew/opt/jpeg-turbo/lib", "-L/usr/local/opt/jpeg-turbo/lib", "-ljpeg"] }]
      ]
    }
  ]
}
