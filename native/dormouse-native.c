/*
 * dormouse_native: the file-system calls Node lacks, for the archive worker.
 *
 * Extended attributes (never following a symlink), nanosecond times on a path or on the
 * symlink itself, FIFOs, the data segments of a sparse file, a restored file put in place in one call,
 * the XXH3-128 of file contents (content-hash.c), and a small restored file written and put in
 * place in one call (restore-file.c). Plain N-API (node_api.h),
 * so the one build loads in Node and in Electron. Every call is synchronous and throws a
 * Node-style Error (code, errno, syscall, path) when the system call fails.
 */
#include "napi-support.h"
#include "content-hash.h"
#include "restore-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#if defined(__APPLE__)
#define DN_LISTXATTR(p, b, s) listxattr((p), (b), (s), XATTR_NOFOLLOW)
#define DN_GETXATTR(p, n, b, s) getxattr((p), (n), (b), (s), 0, XATTR_NOFOLLOW)
#define DN_SETXATTR(p, n, v, s) setxattr((p), (n), (v), (s), 0, XATTR_NOFOLLOW)
#define DN_LIST_NAME "listxattr"
#define DN_GET_NAME "getxattr"
#define DN_SET_NAME "setxattr"
#else
#define DN_LISTXATTR(p, b, s) llistxattr((p), (b), (s))
#define DN_GETXATTR(p, n, b, s) lgetxattr((p), (n), (b), (s))
#define DN_SETXATTR(p, n, v, s) lsetxattr((p), (n), (v), (s), 0)
#define DN_LIST_NAME "llistxattr"
#define DN_GET_NAME "lgetxattr"
#define DN_SET_NAME "lsetxattr"
#endif

/* How often a size read by one call may be outgrown before the next (ERANGE) before giving up. */
#define DN_RANGE_RETRIES 16

/* listXattrs(path): Buffer[] — the names of the attributes of path itself, never a symlink's target. */
static napi_value dn_list_xattrs(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  dn_bytes path;
  if (dn_args(env, info, 1, argv) != 0 || dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  char *list = NULL;
  ssize_t length = -1;
  for (int attempt = 0; attempt < DN_RANGE_RETRIES; attempt++) {
    ssize_t size = DN_LISTXATTR(path.bytes, NULL, 0);
    if (size <= 0) {
      length = size;
      break;
    }
    char *grown = realloc(list, (size_t)size);
    if (!grown) {
      free(list);
      free(path.bytes);
      napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
      return NULL;
    }
    list = grown;
    length = DN_LISTXATTR(path.bytes, list, (size_t)size);
    if (length >= 0 || errno != ERANGE) break;
  }
  if (length < 0) {
    int err = errno;
    free(list);
    napi_value thrown = dn_throw_errno(env, err, DN_LIST_NAME, path.bytes, path.length);
    free(path.bytes);
    return thrown;
  }
  free(path.bytes);
  if (napi_create_array(env, &result) != napi_ok) {
    free(list);
    return dn_pending_or_generic(env);
  }
  uint32_t index = 0;
  for (ssize_t at = 0; at < length;) {
    size_t name_length = strnlen(list + at, (size_t)(length - at));
    if (name_length > 0) {
      napi_value name;
      if (napi_create_buffer_copy(env, name_length, list + at, NULL, &name) != napi_ok ||
          napi_set_element(env, result, index++, name) != napi_ok) {
        free(list);
        return dn_pending_or_generic(env);
      }
    }
    at += (ssize_t)name_length + 1;
  }
  free(list);
  return result;
}

/* getXattr(path, name): Buffer — one attribute's value, read from path itself. */
static napi_value dn_get_xattr(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  dn_bytes path, name;
  if (dn_args(env, info, 2, argv) != 0 || dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  if (dn_bytes_arg(env, argv[1], "name", &name) != 0) {
    free(path.bytes);
    return NULL;
  }
  char *value = NULL;
  ssize_t length = -1;
  for (int attempt = 0; attempt < DN_RANGE_RETRIES; attempt++) {
    ssize_t size = DN_GETXATTR(path.bytes, name.bytes, NULL, 0);
    if (size <= 0) {
      length = size;
      break;
    }
    char *grown = realloc(value, (size_t)size);
    if (!grown) {
      free(value);
      free(path.bytes);
      free(name.bytes);
      napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
      return NULL;
    }
    value = grown;
    length = DN_GETXATTR(path.bytes, name.bytes, value, (size_t)size);
    if (length >= 0 || errno != ERANGE) break;
  }
  int err = errno;
  free(name.bytes);
  if (length < 0) {
    free(value);
    napi_value thrown = dn_throw_errno(env, err, DN_GET_NAME, path.bytes, path.length);
    free(path.bytes);
    return thrown;
  }
  free(path.bytes);
  napi_status status = napi_create_buffer_copy(env, (size_t)length, length > 0 ? value : "", NULL, &result);
  free(value);
  if (status != napi_ok) return dn_pending_or_generic(env);
  return result;
}

/* setXattr(path, name, value): sets one attribute on path itself (creating or replacing it). */
static napi_value dn_set_xattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  dn_bytes path, name;
  bool is_buffer = false;
  void *value = NULL;
  size_t value_length = 0;
  if (dn_args(env, info, 3, argv) != 0) return NULL;
  DN_CALL(env, napi_is_buffer(env, argv[2], &is_buffer));
  if (!is_buffer) return dn_throw_type(env, "value must be a Buffer");
  DN_CALL(env, napi_get_buffer_info(env, argv[2], &value, &value_length));
  if (dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  if (dn_bytes_arg(env, argv[1], "name", &name) != 0) {
    free(path.bytes);
    return NULL;
  }
  int rc = DN_SETXATTR(path.bytes, name.bytes, value_length ? value : "", value_length);
  int err = errno;
  free(name.bytes);
  napi_value thrown = rc != 0 ? dn_throw_errno(env, err, DN_SET_NAME, path.bytes, path.length) : NULL;
  free(path.bytes);
  return thrown;
}

/* setTimes(path, atimeNs, mtimeNs, followLinks): utimensat, on the symlink itself unless followLinks. */
static napi_value dn_set_times(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  struct timespec times[2];
  bool follow = false;
  dn_bytes path;
  if (dn_args(env, info, 4, argv) != 0) return NULL;
  int range_a = dn_timespec(env, argv[1], "atimeNs", &times[0]);
  if (range_a < 0) return NULL;
  int range_m = dn_timespec(env, argv[2], "mtimeNs", &times[1]);
  if (range_m < 0) return NULL;
  if (napi_get_value_bool(env, argv[3], &follow) != napi_ok) return dn_throw_type(env, "followLinks must be a boolean");
  if (dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  int rc = (range_a || range_m) ? -1 : utimensat(AT_FDCWD, path.bytes, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  int err = (range_a || range_m) ? EOVERFLOW : errno;
  napi_value thrown = rc != 0 ? dn_throw_errno(env, err, "utimensat", path.bytes, path.length) : NULL;
  free(path.bytes);
  return thrown;
}

/* What settleFile and settleFolder are given after the file or the folder: owner, mode, time and where to say what could not be applied. */
typedef struct {
  int32_t uid, gid;
  uint32_t mode;
  struct timespec times[2];
  /* Whether the time is outside what the system keeps (EOVERFLOW, not applied). */
  int range;
  int32_t *errors;
} dn_settling;

/* Reads argv[1..5] (uid, gid, mode, mtimeNs, errors of at least `errors_needed`); 0, or -1 with a JavaScript error pending. */
static int dn_settling_args(napi_env env, napi_value *argv, size_t errors_needed, dn_settling *out) {
  napi_typedarray_type errors_type;
  size_t errors_length = 0;
  void *errors_data = NULL;
  if (napi_get_value_int32(env, argv[1], &out->uid) != napi_ok || napi_get_value_int32(env, argv[2], &out->gid) != napi_ok) {
    dn_throw_type(env, "uid and gid must be numbers");
    return -1;
  }
  if (napi_get_value_uint32(env, argv[3], &out->mode) != napi_ok) {
    dn_throw_type(env, "mode must be a number");
    return -1;
  }
  out->range = dn_timespec(env, argv[4], "mtimeNs", &out->times[1]);
  if (out->range < 0) return -1;
  out->times[0] = out->times[1];
  if (napi_get_typedarray_info(env, argv[5], &errors_type, &errors_length, &errors_data, NULL, NULL) != napi_ok || errors_type != napi_int32_array || errors_length < errors_needed) {
    char message[48];
    snprintf(message, sizeof message, "errors must be an Int32Array of %zu", errors_needed);
    dn_throw_type(env, message);
    return -1;
  }
  out->errors = (int32_t *)errors_data;
  return 0;
}

/*
 * settleFile(fd, uid, gid, mode, mtimeNs, errors): gives a restored file its owner (fchown, skipped
 * when uid is -1), mode (fchmod) and times (futimens: atime and mtime) in one call, on the open
 * file, so its name is not looked up again. What may fail without stopping the file (its owner, its
 * time) is left in errors[0] and errors[1] as an errno (0 when applied); a failing fchmod throws.
 * The caller closes the file (Node tracks the descriptors a worker thread opens).
 */
static napi_value dn_settle_file(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd = -1;
  dn_settling settling;
  if (dn_args(env, info, 6, argv) != 0) return NULL;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return dn_throw_type(env, "fd must be a file descriptor");
  if (dn_settling_args(env, argv, 2, &settling) != 0) return NULL;
  int32_t *errors = settling.errors;
  errors[0] = settling.uid >= 0 && fchown(fd, (uid_t)settling.uid, (gid_t)settling.gid) != 0 ? errno : 0;
  if (fchmod(fd, (mode_t)settling.mode) != 0) return dn_throw_errno(env, errno, "fchmod", "", 0);
  errors[1] = settling.range ? EOVERFLOW : futimens(fd, settling.times) != 0 ? errno : 0;
  return NULL;
}

/*
 * settleFolder(path, uid, gid, mode, mtimeNs, errors): a restored folder's owner, mode and times at
 * the end of a restore, in one call: opened with O_NOFOLLOW | O_DIRECTORY (so a link planted in its
 * place is never followed), then fchown (skipped when uid is -1), fchmod and futimens. errors[2] is
 * the errno of the open or of fchmod (then nothing else was applied: not a folder of this restore);
 * errors[0] and errors[1] those of the owner and the time (0 when applied). A restore of a million
 * files has a hundred thousand folders: four fs calls from JavaScript each were a second and a half
 * after the last file.
 */
static napi_value dn_settle_folder(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  dn_settling settling;
  dn_bytes path;
  if (dn_args(env, info, 6, argv) != 0) return NULL;
  if (dn_settling_args(env, argv, 3, &settling) != 0) return NULL;
  if (dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  int32_t *errors = settling.errors;
  errors[0] = errors[1] = errors[2] = 0;
  int fd = open(path.bytes, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  free(path.bytes);
  if (fd < 0) {
    errors[2] = errno;
    return NULL;
  }
  errors[0] = settling.uid >= 0 && fchown(fd, (uid_t)settling.uid, (gid_t)settling.gid) != 0 ? errno : 0;
  if (fchmod(fd, (mode_t)settling.mode) != 0) errors[2] = errno;
  else errors[1] = settling.range ? EOVERFLOW : futimens(fd, settling.times) != 0 ? errno : 0;
  close(fd);
  return NULL;
}

/*
 * renameNoReplace(from, to): renames `from` to `to` only when nothing has that name, in one step
 * (Linux renameat2 with RENAME_NOREPLACE): 0, or the errno (EEXIST when the name is taken; ENOSYS or
 * EINVAL where the system or file system cannot, and the caller checks then renames). A plain rename
 * would replace an empty folder made under that name meanwhile.
 */
static napi_value dn_rename_no_replace(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  dn_bytes from, to;
  if (dn_args(env, info, 2, argv) != 0) return NULL;
  if (dn_bytes_arg(env, argv[0], "from", &from) != 0) return NULL;
  if (dn_bytes_arg(env, argv[1], "to", &to) != 0) {
    free(from.bytes);
    return NULL;
  }
  int err = ENOSYS;
#if defined(__linux__) && defined(SYS_renameat2)
  err = syscall(SYS_renameat2, AT_FDCWD, from.bytes, AT_FDCWD, to.bytes, 1 /* RENAME_NOREPLACE */) == 0 ? 0 : errno;
#endif
  free(from.bytes);
  free(to.bytes);
  napi_value result;
  DN_CALL(env, napi_create_int32(env, err, &result));
  return result;
}

/* mkfifo(path, mode): a named pipe (the process umask applies, as with mkdir). */
static napi_value dn_mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t mode = 0;
  dn_bytes path;
  if (dn_args(env, info, 2, argv) != 0) return NULL;
  if (napi_get_value_uint32(env, argv[1], &mode) != napi_ok) return dn_throw_type(env, "mode must be a number");
  if (dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  int rc = mkfifo(path.bytes, (mode_t)(mode & 07777));
  int err = errno;
  napi_value thrown = rc != 0 ? dn_throw_errno(env, err, "mkfifo", path.bytes, path.length) : NULL;
  free(path.bytes);
  return thrown;
}

typedef struct {
  int64_t *items;
  size_t count;
  size_t capacity;
} dn_ranges;

static int dn_push_range(dn_ranges *ranges, int64_t offset, int64_t length) {
  if (ranges->count + 2 > ranges->capacity) {
    size_t capacity = ranges->capacity ? ranges->capacity * 2 : 16;
    int64_t *grown = realloc(ranges->items, capacity * sizeof *grown);
    if (!grown) return -1;
    ranges->items = grown;
    ranges->capacity = capacity;
  }
  ranges->items[ranges->count++] = offset;
  ranges->items[ranges->count++] = length;
  return 0;
}

static int dn_seek_unsupported(int err) {
  return err == EINVAL || err == ENOTSUP || err == ENOSYS
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
         || err == EOPNOTSUPP
#endif
      ;
}

/*
 * Fills ranges with the data segments of fd below size. Returns 0, or an errno. Where the
 * platform or file system cannot tell holes, the whole of [0, size) is one segment.
 */
static int dn_collect_ranges(int fd, int64_t size, dn_ranges *ranges) {
  if (size == 0) return 0;
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
  int64_t at = 0;
  while (at < size) {
    off_t data = lseek(fd, (off_t)at, SEEK_DATA);
    if (data < 0) {
      int err = errno;
      if (err == ENXIO) return 0; /* only a hole from here to the end */
      if (at == 0 && dn_seek_unsupported(err)) break;
      return err;
    }
    if ((int64_t)data >= size) return 0;
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      int err = errno;
      if (err != ENXIO) return err;
      hole = (off_t)size; /* the file shrank under us: data to the size we were given */
    }
    int64_t end = (int64_t)hole < size ? (int64_t)hole : size;
    if (end <= (int64_t)data) return EIO;
    if (dn_push_range(ranges, (int64_t)data, end - (int64_t)data) != 0) return ENOMEM;
    at = end;
  }
  if (at > 0) return 0;
#endif
  ranges->count = 0;
  return dn_push_range(ranges, 0, size) != 0 ? ENOMEM : 0;
}

/* dataRanges(fd, size): [offset, length, …] of the file's data below size; [] for all holes. */
static napi_value dn_data_ranges(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t fd = -1;
  int64_t size = 0;
  if (dn_args(env, info, 2, argv) != 0) return NULL;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return dn_throw_type(env, "fd must be a file descriptor");
  if (napi_get_value_int64(env, argv[1], &size) != napi_ok || size < 0) return dn_throw_type(env, "size must be a number of bytes, 0 or more");
  off_t position = lseek(fd, 0, SEEK_CUR);
  if (position < 0) return dn_throw_errno(env, errno, "lseek", NULL, 0);
  dn_ranges ranges = {NULL, 0, 0};
  int err = dn_collect_ranges(fd, size, &ranges);
  lseek(fd, position, SEEK_SET);
  if (err != 0) {
    free(ranges.items);
    if (err == ENOMEM) {
      napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
      return NULL;
    }
    return dn_throw_errno(env, err, "lseek", NULL, 0);
  }
  if (napi_create_array_with_length(env, ranges.count, &result) != napi_ok) {
    free(ranges.items);
    return dn_pending_or_generic(env);
  }
  for (size_t i = 0; i < ranges.count; i++) {
    napi_value number;
    if (napi_create_int64(env, ranges.items[i], &number) != napi_ok ||
        napi_set_element(env, result, (uint32_t)i, number) != napi_ok) {
      free(ranges.items);
      return dn_pending_or_generic(env);
    }
  }
  free(ranges.items);
  return result;
}

/* The numbers listFolder gives for each entry, in this order (its stats hold this many per entry). */
enum {
  DN_STAT_ERRNO, DN_STAT_MODE, DN_STAT_NLINK, DN_STAT_UID, DN_STAT_GID, DN_STAT_SIZE, DN_STAT_BLOCKS,
  DN_STAT_INO, DN_STAT_DEV, DN_STAT_MTIME_SEC, DN_STAT_MTIME_NSEC, DN_STAT_CTIME_SEC, DN_STAT_CTIME_NSEC,
  DN_STAT_FIELDS
};

#if defined(__APPLE__)
#define DN_MTIME_NSEC(st) ((st).st_mtimespec.tv_nsec)
#define DN_CTIME_NSEC(st) ((st).st_ctimespec.tv_nsec)
#else
#define DN_MTIME_NSEC(st) ((st).st_mtim.tv_nsec)
#define DN_CTIME_NSEC(st) ((st).st_ctim.tv_nsec)
#endif

/* Writes st into fields as DN_STAT_* lays it out (DN_STAT_ERRNO left alone). */
static void dn_put_stat(double *fields, const struct stat *st) {
  fields[DN_STAT_MODE] = (double)st->st_mode;
  fields[DN_STAT_NLINK] = (double)st->st_nlink;
  fields[DN_STAT_UID] = (double)st->st_uid;
  fields[DN_STAT_GID] = (double)st->st_gid;
  fields[DN_STAT_SIZE] = (double)st->st_size;
  fields[DN_STAT_BLOCKS] = (double)st->st_blocks;
  fields[DN_STAT_INO] = (double)st->st_ino;
  fields[DN_STAT_DEV] = (double)st->st_dev;
  fields[DN_STAT_MTIME_SEC] = (double)st->st_mtime;
  fields[DN_STAT_MTIME_NSEC] = (double)DN_MTIME_NSEC(*st);
  fields[DN_STAT_CTIME_SEC] = (double)st->st_ctime;
  fields[DN_STAT_CTIME_NSEC] = (double)DN_CTIME_NSEC(*st);
}

/* Grows a malloc'd block to hold at least `needed` bytes; non-zero when out of memory. */
static int dn_reserve(char **block, size_t *capacity, size_t needed) {
  if (needed <= *capacity) return 0;
  size_t grown_capacity = *capacity ? *capacity : 4096;
  while (grown_capacity < needed) grown_capacity *= 2;
  char *grown = realloc(*block, grown_capacity);
  if (!grown) return -1;
  *block = grown;
  *capacity = grown_capacity;
  return 0;
}

/*
 * listFolder(path): { names: Buffer, stats: Float64Array } — a folder's entries in one call: their
 * names as raw bytes, each followed by a NUL, and for each the fields of DN_STAT_* from fstatat
 * without following symlinks (DN_STAT_ERRNO non-zero when that entry could not be stat'ed, say it
 * vanished). One call per folder instead of a readdir and an lstat per entry from JavaScript.
 */
static napi_value dn_list_folder(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, names_value, stats_buffer, stats_value;
  dn_bytes path;
  if (dn_args(env, info, 1, argv) != 0 || dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  DIR *folder = opendir(path.bytes);
  if (!folder) {
    napi_value thrown = dn_throw_errno(env, errno, "opendir", path.bytes, path.length);
    free(path.bytes);
    return thrown;
  }
  int folder_fd = dirfd(folder);
  char *names = NULL, *stats = NULL;
  size_t names_length = 0, names_capacity = 0, stats_capacity = 0, count = 0;
  int failure = 0;
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(folder);
    if (!entry) {
      failure = errno;
      break;
    }
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    size_t name_length = strlen(name);
    if (dn_reserve(&names, &names_capacity, names_length + name_length + 1) != 0 ||
        dn_reserve(&stats, &stats_capacity, (count + 1) * DN_STAT_FIELDS * sizeof(double)) != 0) {
      failure = ENOMEM;
      break;
    }
    memcpy(names + names_length, name, name_length + 1);
    names_length += name_length + 1;
    double *fields = (double *)stats + count * DN_STAT_FIELDS;
    struct stat st;
    memset(fields, 0, DN_STAT_FIELDS * sizeof(double));
    if (fstatat(folder_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      fields[DN_STAT_ERRNO] = errno;
    } else {
      dn_put_stat(fields, &st);
    }
    count++;
  }
  closedir(folder);
  if (failure != 0) {
    free(names);
    free(stats);
    napi_value thrown = failure == ENOMEM ? NULL : dn_throw_errno(env, failure, "readdir", path.bytes, path.length);
    free(path.bytes);
    if (failure == ENOMEM) napi_throw_error(env, "ENOMEM", "dormouse_native: out of memory");
    return thrown;
  }
  free(path.bytes);
  void *stats_data = NULL;
  size_t stats_bytes = count * DN_STAT_FIELDS * sizeof(double);
  napi_status status = napi_create_buffer_copy(env, names_length, names_length ? names : "", NULL, &names_value);
  if (status == napi_ok) status = napi_create_arraybuffer(env, stats_bytes, &stats_data, &stats_buffer);
  if (status == napi_ok && stats_bytes) memcpy(stats_data, stats, stats_bytes);
  free(names);
  free(stats);
  if (status != napi_ok) return dn_pending_or_generic(env);
  DN_CALL(env, napi_create_typedarray(env, napi_float64_array, count * DN_STAT_FIELDS, stats_buffer, 0, &stats_value));
  DN_CALL(env, napi_create_object(env, &result));
  DN_CALL(env, napi_set_named_property(env, result, "names", names_value));
  DN_CALL(env, napi_set_named_property(env, result, "stats", stats_value));
  return result;
}

/* The numbers openFile gives: the file's stat as DN_STAT_* lays it out, then these. */
enum {
  DN_OPEN_FD = DN_STAT_FIELDS, DN_OPEN_XATTR_BYTES, DN_OPEN_READ, DN_OPEN_AFTER_SIZE, DN_OPEN_AFTER_MTIME_SEC,
  DN_OPEN_AFTER_MTIME_NSEC, DN_OPEN_FIELDS
};

#if defined(__APPLE__)
#define DN_FLISTXATTR(fd, b, s) flistxattr((fd), (b), (s), 0)
#else
#define DN_FLISTXATTR(fd, b, s) flistxattr((fd), (b), (s))
#endif

/*
 * Opens one file for the archive the way GNU tar does (read-only, never following a symlink,
 * non-blocking so a FIFO swapped in cannot hang) and fills fields (DN_OPEN_*): its fstat, how many
 * bytes its extended attribute names take (0: none, so they need not be read; -1: unknown), and,
 * for a dense regular file that fits in `capacity` bytes at `content`, its whole content, its
 * fstat after reading, and the file closed (fd -1). Otherwise the file stays open (fd) for the
 * caller to read and close. A file that is not regular is closed (fd -1, read -1). Returns 0, or
 * the errno of the call that failed (`*syscall` names it; nothing is left open then).
 */
static int dn_open_one(const char *path, char *content, size_t capacity, double *fields, const char **syscall) {
  memset(fields, 0, DN_OPEN_FIELDS * sizeof(double));
  fields[DN_OPEN_FD] = -1;
  fields[DN_OPEN_READ] = -1;
  fields[DN_OPEN_XATTR_BYTES] = -1;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *syscall = "open";
    return errno;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    *syscall = "fstat";
    return err;
  }
  dn_put_stat(fields, &st);
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return 0;
  }
  ssize_t names = DN_FLISTXATTR(fd, NULL, 0);
  if (names >= 0) fields[DN_OPEN_XATTR_BYTES] = (double)names;
  else if (errno == ENOTSUP) fields[DN_OPEN_XATTR_BYTES] = 0;
  int dense = (int64_t)st.st_blocks * 512 >= (int64_t)st.st_size;
  if (!dense || (uint64_t)st.st_size > capacity) {
    fields[DN_OPEN_FD] = fd;
    return 0;
  }
  size_t done = 0;
  while (done < (size_t)st.st_size) {
    ssize_t got = read(fd, content + done, (size_t)st.st_size - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      *syscall = "read";
      return err;
    }
    if (got == 0) break;
    done += (size_t)got;
  }
  struct stat after;
  if (fstat(fd, &after) != 0) {
    int err = errno;
    close(fd);
    *syscall = "fstat";
    return err;
  }
  close(fd);
  fields[DN_OPEN_READ] = (double)done;
  fields[DN_OPEN_AFTER_SIZE] = (double)after.st_size;
  fields[DN_OPEN_AFTER_MTIME_SEC] = (double)after.st_mtime;
  fields[DN_OPEN_AFTER_MTIME_NSEC] = (double)DN_MTIME_NSEC(after);
  return 0;
}

/* A Float64Array holding a copy of `count` doubles; NULL after throwing. */
static napi_value dn_float64_array(napi_env env, const double *values, size_t count) {
  napi_value buffer, array;
  void *data = NULL;
  DN_CALL(env, napi_create_arraybuffer(env, count * sizeof(double), &data, &buffer));
  if (count) memcpy(data, values, count * sizeof(double));
  DN_CALL(env, napi_create_typedarray(env, napi_float64_array, count, buffer, 0, &array));
  return array;
}

/*
 * openFile(path, scratch[, fields]): Float64Array — dn_open_one for one file, its content read into
 * scratch; throws when it fails. Given `fields` (a Float64Array of at least DN_OPEN_FIELDS), the
 * numbers go there and it is returned: a backup of a million files then makes no array per file.
 */
static napi_value dn_open_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  dn_bytes path;
  bool is_buffer = false;
  void *scratch = NULL;
  size_t scratch_length = 0;
  double *given = NULL;
  DN_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return dn_throw_type(env, "expected a path and a scratch Buffer");
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) return dn_throw_type(env, "scratch must be a Buffer");
  DN_CALL(env, napi_get_buffer_info(env, argv[1], &scratch, &scratch_length));
  if (argc >= 3) {
    bool is_typed = false;
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    DN_CALL(env, napi_is_typedarray(env, argv[2], &is_typed));
    if (is_typed) DN_CALL(env, napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL));
    if (!is_typed || type != napi_float64_array || length < DN_OPEN_FIELDS) return dn_throw_type(env, "fields must be a Float64Array of openFile's length");
    given = (double *)data;
  }
  if (dn_bytes_arg(env, argv[0], "path", &path) != 0) return NULL;
  double fields[DN_OPEN_FIELDS];
  const char *syscall = "open";
  int err = dn_open_one(path.bytes, scratch, scratch_length, fields, &syscall);
  if (err != 0) {
    napi_value thrown = dn_throw_errno(env, err, syscall, path.bytes, path.length);
    free(path.bytes);
    return thrown;
  }
  free(path.bytes);
  if (given != NULL) {
    memcpy(given, fields, sizeof fields);
    return argv[2];
  }
  napi_value result = dn_float64_array(env, fields, DN_OPEN_FIELDS);
  if (!result && fields[DN_OPEN_FD] >= 0) close((int)fields[DN_OPEN_FD]);
  return result;
}

/*
 * lowerThreadPriority(): boolean — makes the calling thread give way to the rest of the process
 * (Linux: nice 19 for this thread alone; macOS: the background band), for work that can wait, such
 * as a first backup's count of its tree on two cores the backup needs. False when refused.
 */
static napi_value dn_lower_thread_priority(napi_env env, napi_callback_info info) {
  int lowered = 0;
#if defined(__APPLE__)
  lowered = setpriority(PRIO_DARWIN_THREAD, 0, PRIO_DARWIN_BG) == 0;
#elif defined(__linux__)
  lowered = setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) == 0;
#endif
  napi_value result;
  DN_CALL(env, napi_get_boolean(env, lowered, &result));
  return result;
}

static napi_value dn_init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"listXattrs", NULL, dn_list_xattrs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getXattr", NULL, dn_get_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setXattr", NULL, dn_set_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTimes", NULL, dn_set_times, NULL, NULL, NULL, napi_enumerable, NULL},
      {"settleFile", NULL, dn_settle_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"settleFolder", NULL, dn_settle_folder, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renameNoReplace", NULL, dn_rename_no_replace, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, dn_mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dataRanges", NULL, dn_data_ranges, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listFolder", NULL, dn_list_folder, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openFile", NULL, dn_open_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lowerThreadPriority", NULL, dn_lower_thread_priority, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xxh128", NULL, dn_xxh128, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xxh128Reset", NULL, dn_xxh128_reset, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xxh128Update", NULL, dn_xxh128_update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"xxh128Digest", NULL, dn_xxh128_digest, NULL, NULL, NULL, napi_enumerable, NULL},
      {"restoreFile", NULL, dn_restore_file, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value state_bytes;
  DN_CALL(env, napi_create_uint32(env, dn_xxh128_state_bytes, &state_bytes));
  DN_CALL(env, napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions));
  DN_CALL(env, napi_set_named_property(env, exports, "xxh128StateBytes", state_bytes));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, dn_init)
