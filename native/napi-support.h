/*
 * What every call of dormouse_native needs around N-API: reading a path argument (Buffer or string)
 * and throwing errors shaped the way Node's fs shapes them.
 */
#ifndef DORMOUSE_NAPI_SUPPORT_H
#define DORMOUSE_NAPI_SUPPORT_H

#include <node_api.h>
#include <stddef.h>
#include <time.h>

#define DN_CALL(env, call)                                                     \
  do {                                                                         \
    if ((call) != napi_ok) return dn_pending_or_generic(env);                  \
  } while (0)

/* A path or attribute name: a Buffer of raw bytes or a string (UTF-8), NUL-terminated, no NUL inside. */
typedef struct {
  char *bytes;
  size_t length;
} dn_bytes;

/* Throws a generic error unless one is already pending; returns NULL to hand back to N-API. */
napi_value dn_pending_or_generic(napi_env env);

/* Node's name for an errno value ('ENOENT'); macOS's ENOATTR is 'ENODATA', as on Linux. */
const char *dn_errno_name(int err);

/* Throws Node's fs error: message "CODE: description, syscall 'path'", code, errno (negative), syscall, path. */
napi_value dn_throw_errno(napi_env env, int err, const char *syscall, const char *path, size_t path_length);

/* Throws a TypeError with code ERR_INVALID_ARG_TYPE. */
napi_value dn_throw_type(napi_env env, const char *message);

/* Reads a Buffer or string argument into out (malloc'd, NUL-terminated); non-zero after throwing. */
int dn_bytes_arg(napi_env env, napi_value value, const char *what, dn_bytes *out);

/* Reads exactly `expected` arguments; non-zero after throwing. */
int dn_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv);

/* A bigint of nanoseconds since the epoch as a timespec: 0, 1 when it does not fit time_t (errno EOVERFLOW), -1 after throwing. */
int dn_timespec(napi_env env, napi_value value, const char *what, struct timespec *out);

/* The bytes of a Uint8Array argument, without a copy; non-zero after throwing. */
int dn_view(napi_env env, napi_value value, const char *what, void **data, size_t *length);

#endif
