/* N-API helpers for dormouse_native: arguments in, Node-style errors out. */
#include "napi-support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

napi_value dn_pending_or_generic(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_NATIVE", "dormouse_native: an N-API call failed");
  return NULL;
}

/* Node's name for an errno value; macOS's ENOATTR is reported as ENODATA, as on Linux. */
const char *dn_errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ETXTBSY: return "ETXTBSY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case EDQUOT: return "EDQUOT";
    case ESTALE: return "ESTALE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTSUP: return "ENOTSUP";
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return "ENOTSUP";
#endif
#if defined(ENODATA)
    case ENODATA: return "ENODATA";
#endif
#if defined(ENOATTR) && (!defined(ENODATA) || ENOATTR != ENODATA)
    case ENOATTR: return "ENODATA";
#endif
    default: return "UNKNOWN";
  }
}

static int dn_set_string(napi_env env, napi_value object, const char *key, const char *text, size_t length) {
  napi_value value;
  if (napi_create_string_utf8(env, text, length, &value) != napi_ok) return -1;
  return napi_set_named_property(env, object, key, value) == napi_ok ? 0 : -1;
}

/*
 * Throws what Node's fs throws: "ENOENT: no such file or directory, lgetxattr '/a/b'" with code,
 * errno (negative, as libuv gives it), syscall and path (raw bytes shown as UTF-8).
 */
napi_value dn_throw_errno(napi_env env, int err, const char *syscall, const char *path, size_t path_length) {
  const char *code = dn_errno_name(err);
  char description[256];
  snprintf(description, sizeof description, "%s", strerror(err));
  if (description[0] >= 'A' && description[0] <= 'Z' && !(description[1] >= 'A' && description[1] <= 'Z')) {
    description[0] = (char)(description[0] - 'A' + 'a');
  }
  size_t shown = path ? path_length : 0;
  size_t message_size = strlen(code) + strlen(description) + strlen(syscall) + shown + 16;
  char *message = malloc(message_size);
  if (!message) {
    napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
    return NULL;
  }
  int message_length = path ? snprintf(message, message_size, "%s: %s, %s '", code, description, syscall)
                            : snprintf(message, message_size, "%s: %s, %s", code, description, syscall);
  if (path) {
    memcpy(message + message_length, path, path_length);
    message_length += (int)path_length;
    message[message_length++] = '\'';
    message[message_length] = '\0';
  }
  napi_value code_value, message_value, error, errno_value;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, (size_t)message_length, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok ||
      napi_create_int32(env, -err, &errno_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      dn_set_string(env, error, "syscall", syscall, NAPI_AUTO_LENGTH) != 0 ||
      (path && dn_set_string(env, error, "path", path, path_length) != 0)) {
    free(message);
    return dn_pending_or_generic(env);
  }
  free(message);
  napi_throw(env, error);
  return NULL;
}

napi_value dn_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}


int dn_bytes_arg(napi_env env, napi_value value, const char *what, dn_bytes *out) {
  bool is_buffer = false;
  napi_valuetype type;
  out->bytes = NULL;
  out->length = 0;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok) return -1;
  if (is_buffer) {
    void *data = NULL;
    size_t length = 0;
    if (napi_get_buffer_info(env, value, &data, &length) != napi_ok) return -1;
    out->bytes = malloc(length + 1);
    if (!out->bytes) goto no_memory;
    if (length) memcpy(out->bytes, data, length);
    out->bytes[length] = '\0';
    out->length = length;
  } else {
    if (napi_typeof(env, value, &type) != napi_ok) return -1;
    if (type != napi_string) {
      char message[96];
      snprintf(message, sizeof message, "%s must be a Buffer or a string", what);
      dn_throw_type(env, message);
      return -1;
    }
    size_t length = 0;
    if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return -1;
    out->bytes = malloc(length + 1);
    if (!out->bytes) goto no_memory;
    if (napi_get_value_string_utf8(env, value, out->bytes, length + 1, &length) != napi_ok) {
      free(out->bytes);
      out->bytes = NULL;
      return -1;
    }
    out->length = length;
  }
  if (out->length == 0 || memchr(out->bytes, '\0', out->length) != NULL) {
    char message[128];
    snprintf(message, sizeof message, "%s must be non-empty and hold no NUL byte", what);
    free(out->bytes);
    out->bytes = NULL;
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message);
    return -1;
  }
  return 0;

no_memory:
  napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
  return -1;
}

int dn_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < expected) {
    char message[96];
    snprintf(message, sizeof message, "expected %zu arguments, got %zu", expected, argc);
    napi_throw_type_error(env, "ERR_MISSING_ARGS", message);
    return -1;
  }
  return 0;
}

/* Nanoseconds since the epoch to a timespec, flooring so tv_nsec stays in 0..999999999. */
int dn_timespec(napi_env env, napi_value value, const char *what, struct timespec *out) {
  napi_valuetype type;
  int64_t ns = 0;
  bool lossless = false;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type != napi_bigint) {
    char message[64];
    snprintf(message, sizeof message, "%s must be a bigint (nanoseconds)", what);
    dn_throw_type(env, message);
    return -1;
  }
  if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok) return -1;
  if (!lossless) {
    char message[80];
    snprintf(message, sizeof message, "%s is outside the signed 64-bit nanosecond range", what);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return -1;
  }
  int64_t seconds = ns / 1000000000;
  int64_t rest = ns % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    seconds -= 1;
  }
  out->tv_sec = (time_t)seconds;
  out->tv_nsec = (long)rest;
  if ((int64_t)out->tv_sec != seconds) {
    errno = EOVERFLOW;
    return 1;
  }
  return 0;
}

/* The bytes of a Uint8Array argument (a Buffer, or a view of one), without a copy; non-zero after throwing a TypeError saying `what`. */
int dn_view(napi_env env, napi_value value, const char *what, void **data, size_t *length) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    dn_throw_type(env, what);
    return -1;
  }
  return 0;
}
