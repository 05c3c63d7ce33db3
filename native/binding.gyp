{
  "targets": [
    {
      "target_name": "dormouse_native",
      "sources": ["dormouse-native.c", "napi-support.c", "content-hash.c", "restore-file.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE", "_FILE_OFFSET_BITS=64"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      }
    }
  ]
}
