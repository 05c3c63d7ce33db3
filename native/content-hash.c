/*
 * XXH3-128 for dormouse_native, from xxHash's own header (xxhash.h, v0.8.3, BSD 2-Clause, kept here
 * unchanged), inlined so the addon needs no library. Digests are written in xxHash's canonical
 * (big-endian) form, so their hex is what `xxh128sum` prints.
 */
#define XXH_INLINE_ALL
#include "xxhash.h"

#include "content-hash.h"
#include "napi-support.h"

#include <stdint.h>
#include <string.h>

/* A state kept in a JS Buffer: XXH3_state_t must sit on a 64-byte boundary, so the Buffer has room to align it. */
const unsigned int dn_xxh128_state_bytes = sizeof(XXH3_state_t) + 64;

/* The aligned state inside a state Buffer; NULL after throwing. */
static XXH3_state_t *dn_state(napi_env env, napi_value value) {
  void *data;
  size_t length;
  if (dn_view(env, value, "state must be a Buffer of xxh128StateBytes", &data, &length) != 0) return NULL;
  if (length < dn_xxh128_state_bytes) {
    dn_throw_type(env, "state must be a Buffer of xxh128StateBytes");
    return NULL;
  }
  return (XXH3_state_t *)(((uintptr_t)data + 63) & ~(uintptr_t)63);
}

/* Writes a digest's 16 canonical bytes at out[offset]; non-zero after throwing. */
static int dn_put_digest(napi_env env, napi_value out_value, napi_value offset_value, XXH128_hash_t hash) {
  void *out;
  size_t length;
  uint32_t offset = 0;
  if (dn_view(env, out_value, "out must be a Buffer", &out, &length) != 0) return -1;
  if (napi_get_value_uint32(env, offset_value, &offset) != napi_ok || (size_t)offset + 16 > length) {
    dn_throw_type(env, "offset must leave 16 bytes of out for the digest");
    return -1;
  }
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  memcpy((char *)out + offset, canonical.digest, 16);
  return 0;
}

/* xxh128(data, out, offset): the XXH3-128 of data, written as 16 bytes at out[offset]. */
napi_value dn_xxh128(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *data;
  size_t length;
  if (dn_args(env, info, 3, argv) != 0 || dn_view(env, argv[0], "data must be a Buffer", &data, &length) != 0) return NULL;
  dn_put_digest(env, argv[1], argv[2], XXH3_128bits(data, length));
  return NULL;
}

/* xxh128Reset(state): starts a new hash in state. */
napi_value dn_xxh128_reset(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (dn_args(env, info, 1, argv) != 0) return NULL;
  XXH3_state_t *state = dn_state(env, argv[0]);
  if (state != NULL) XXH3_128bits_reset(state);
  return NULL;
}

/* xxh128Update(state, data): adds data to the hash in state. */
napi_value dn_xxh128_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *data;
  size_t length;
  if (dn_args(env, info, 2, argv) != 0) return NULL;
  XXH3_state_t *state = dn_state(env, argv[0]);
  if (state == NULL || dn_view(env, argv[1], "data must be a Buffer", &data, &length) != 0) return NULL;
  XXH3_128bits_update(state, data, length);
  return NULL;
}

/* xxh128Digest(state, out, offset): the hash of everything added since the reset, as 16 bytes at out[offset]. */
napi_value dn_xxh128_digest(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (dn_args(env, info, 3, argv) != 0) return NULL;
  XXH3_state_t *state = dn_state(env, argv[0]);
  if (state != NULL) dn_put_digest(env, argv[1], argv[2], XXH3_128bits_digest(state));
  return NULL;
}

int dn_xxh128_equals(const void *data, size_t length, const unsigned char *expected) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data, length));
  return memcmp(canonical.digest, expected, 16) == 0;
}
