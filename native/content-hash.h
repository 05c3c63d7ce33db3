/*
 * XXH3-128 of a file's content, the hash a format 4 archive records for each file so a restore and
 * a verify can tell its bytes are the ones backed up: several times faster than SHA-256 on the
 * cores a laptop has, so a backup no longer hashes every byte twice at SHA-256's speed.
 */
#ifndef DORMOUSE_CONTENT_HASH_H
#define DORMOUSE_CONTENT_HASH_H

#include <node_api.h>
#include <stddef.h>

/* Bytes a streaming state needs (xxh128Reset/Update/Digest take it as a Buffer of at least this many). */
extern const unsigned int dn_xxh128_state_bytes;

napi_value dn_xxh128(napi_env env, napi_callback_info info);
napi_value dn_xxh128_reset(napi_env env, napi_callback_info info);
napi_value dn_xxh128_update(napi_env env, napi_callback_info info);
napi_value dn_xxh128_digest(napi_env env, napi_callback_info info);

/* Whether the XXH3-128 of data is the 16 canonical bytes at expected (for C callers: restore-file.c). */
int dn_xxh128_equals(const void *data, size_t length, const unsigned char *expected);

#endif
