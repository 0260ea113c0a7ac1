{
  "targets": [
    {
      "target_name": "pseudonet_afpacket",
      "sources": ["native/afpacket/afpacket.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
