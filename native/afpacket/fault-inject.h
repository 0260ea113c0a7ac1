/*
 * Test only (test/real/afpacket-faults.test.ts; never in binding.gyp): compiled in with
 * `-include native/afpacket/fault-inject.h`, it makes the N-API call named by $FAIL_NAPI fail,
 * so the error paths of open() after socket() that no real input reaches can be run, and
 * the test can check that each of them closes the descriptor.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
static int fault_inject_(const char *n) {
  const char *w = getenv("FAIL_NAPI");
  return w && !strcmp(w, n);
}
/* A function-like macro is not expanded inside its own expansion: `name(...)` is the real call. */
#define FAULT_(name, ...) (fault_inject_(#name) ? napi_generic_failure : name(__VA_ARGS__))
#define napi_get_uv_event_loop(...) FAULT_(napi_get_uv_event_loop, __VA_ARGS__)
#define napi_create_reference(...) FAULT_(napi_create_reference, __VA_ARGS__)
#define napi_create_string_utf8(...) FAULT_(napi_create_string_utf8, __VA_ARGS__)
#define napi_async_init(...) FAULT_(napi_async_init, __VA_ARGS__)
#define napi_create_object(...) FAULT_(napi_create_object, __VA_ARGS__)
#define napi_create_external(...) FAULT_(napi_create_external, __VA_ARGS__)
#define napi_set_named_property(...) FAULT_(napi_set_named_property, __VA_ARGS__)
#define napi_create_int32(...) FAULT_(napi_create_int32, __VA_ARGS__)
#define napi_create_arraybuffer(...) FAULT_(napi_create_arraybuffer, __VA_ARGS__)
#define napi_create_typedarray(...) FAULT_(napi_create_typedarray, __VA_ARGS__)
