/*
 * restoreFile: a restore's whole work for one small file of a plain archive, in one call from a
 * restore's file thread (file-restore-thread.ts): its stored bytes read from the archive into the
 * thread's buffer, checked against the XXH3-128 recorded at backup time, written to a new temporary
 * twin, given owner, mode and time, and renamed to its real name (a twin that is the real name, in a
 * new folder standing in for the restore's target, is not renamed). A file that does not match is
 * never written. In JavaScript the same file took an open, a read, a write, a settleFile, a close and a
 * rename, each through Node's fs and its checks: a whole-tree restore of a million small files spent
 * more of its CPU there than in the system calls themselves.
 */
#include "content-hash.h"
#include "napi-support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What result[0] says happened (result[1]: the errno, 0 when the archive simply ended). */
enum { DN_RESTORED = 0, DN_OPEN_FAILED = 1, DN_READ_FAILED = 2, DN_DAMAGED = 3, DN_WRITE_FAILED = 4, DN_MODE_FAILED = 5, DN_RENAME_FAILED = 6, DN_NOT_AT_OFFSET = 7 };

/*
 * How much is read at first after an entry's header offset, besides its content: its ustar header
 * and a PAX header of a few records (mtime, a long path: a 512-byte block of records nearly always).
 * Longer headers take a second read. 16 KiB here copied six times a small file's bytes out of the
 * page cache for each: a second of a million-file restore's CPU.
 */
#define DN_HEADER_ROOM 2048

/* The value of a tar header's octal field (NUL- or space-ended), or -1 when it is not one. */
static int64_t dn_octal(const unsigned char *field, size_t width) {
  int64_t value = 0;
  size_t at = 0;
  while (at < width && field[at] == ' ') at++;
  if (at == width || field[at] < '0' || field[at] > '7') return -1;
  for (; at < width && field[at] >= '0' && field[at] <= '7'; at++) {
    if (value > (INT64_MAX >> 3)) return -1;
    value = value * 8 + (field[at] - '0');
  }
  return value;
}

/* Whether a 512-byte block is a tar header whose checksum holds (the sum of its bytes, the checksum field counted as spaces). */
static int dn_header_sound(const unsigned char *block) {
  int64_t recorded = dn_octal(block + 148, 8);
  if (recorded < 0) return 0;
  /* Every byte summed without a branch (the compiler makes it a few vector additions), then the checksum field's own bytes taken back out and counted as spaces. */
  uint32_t sum = 0;
  for (int i = 0; i < 512; i++) sum += block[i];
  for (int i = 148; i < 156; i++) sum -= block[i];
  sum += 8 * ' ';
  return (int64_t)sum == recorded;
}

/*
 * Where the content of the regular file whose headers start at bytes[0] begins (a PAX extended
 * header, then its ustar header), or -1 when these are not the headers of a regular file of
 * `length` bytes. *needed says how many bytes the headers take when `available` is too few to tell.
 */
static int64_t dn_content_offset(const unsigned char *bytes, size_t available, uint32_t length, size_t *needed) {
  size_t at = 0;
  *needed = 0;
  if (available < 512) return -1;
  if (!dn_header_sound(bytes)) return -1;
  if (bytes[156] == 'x') {
    int64_t records = dn_octal(bytes + 124, 12);
    if (records < 0 || records > (int64_t)1 << 30) return -1;
    at = 512 + (((size_t)records + 511) / 512) * 512;
    if (at + 512 > available) {
      *needed = at + 512;
      return -1;
    }
    if (!dn_header_sound(bytes + at)) return -1;
  }
  const unsigned char *header = bytes + at;
  if (header[156] != '0' && header[156] != '\0') return -1;
  if (dn_octal(header + 124, 12) != (int64_t)length) return -1;
  return (int64_t)(at + 512);
}

/* Reads exactly length bytes at position; 0, or the errno (0 with *ended when the file ends first). */
static int dn_pread_all(int fd, char *into, size_t length, off_t position, int *ended) {
  size_t done = 0;
  while (done < length) {
    ssize_t got = pread(fd, into + done, length - done, position + (off_t)done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno;
    if (got == 0) {
      *ended = 1;
      return 0;
    }
    done += (size_t)got;
  }
  return 0;
}

/* Writes all of length bytes from the file's start; 0 or the errno. */
static int dn_write_all(int fd, const char *from, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t put = write(fd, from + done, length - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno;
    done += (size_t)put;
  }
  return 0;
}

/*
 * restoreFile(archiveFd, position, length, temporary, destination, expected, uid, gid, mode, mtimeNs,
 * scratch, result, afterHeader): expected is the 16-byte XXH3-128 or null (nothing recorded: not
 * checked); uid -1 leaves the owner; scratch holds at least length bytes. With afterHeader, position
 * is where the entry's headers start (its manifest offset), and the content is found after them
 * (DN_NOT_AT_OFFSET when they are not a regular file's of that length); else position is where the
 * content starts. result (Int32Array of 4): [what happened, its errno, the errno of an owner not
 * applied, the errno of a time not applied]. Anything but DN_RESTORED leaves no temporary behind,
 * except DN_RENAME_FAILED, which leaves it for the caller.
 */
napi_value dn_restore_file(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  bool after_header = false;
  int32_t archive_fd = -1, uid = -1, gid = -1;
  int64_t position = 0;
  uint32_t length = 0, mode = 0;
  void *expected = NULL, *scratch = NULL, *result_data = NULL;
  size_t expected_length = 0, scratch_length = 0, result_length = 0;
  napi_valuetype expected_type;
  napi_typedarray_type result_type;
  struct timespec times[2];
  dn_bytes temporary = {NULL, 0}, destination = {NULL, 0};
  if (dn_args(env, info, 13, argv) != 0) return NULL;
  if (napi_get_value_int32(env, argv[0], &archive_fd) != napi_ok || archive_fd < 0) return dn_throw_type(env, "archiveFd must be a file descriptor");
  if (napi_get_value_int64(env, argv[1], &position) != napi_ok || position < 0) return dn_throw_type(env, "position must be a byte offset");
  if (napi_get_value_uint32(env, argv[2], &length) != napi_ok) return dn_throw_type(env, "length must be a number of bytes");
  if (napi_typeof(env, argv[5], &expected_type) != napi_ok) return NULL;
  if (expected_type != napi_null && (dn_view(env, argv[5], "expected must be a Buffer of 16 bytes or null", &expected, &expected_length) != 0 || expected_length != 16)) {
    return expected_length != 16 && expected != NULL ? dn_throw_type(env, "expected must be a Buffer of 16 bytes or null") : NULL;
  }
  if (napi_get_value_int32(env, argv[6], &uid) != napi_ok || napi_get_value_int32(env, argv[7], &gid) != napi_ok) return dn_throw_type(env, "uid and gid must be numbers");
  if (napi_get_value_uint32(env, argv[8], &mode) != napi_ok) return dn_throw_type(env, "mode must be a number");
  int range = dn_timespec(env, argv[9], "mtimeNs", &times[1]);
  if (range < 0) return NULL;
  times[0] = times[1];
  if (dn_view(env, argv[10], "scratch must be a Buffer", &scratch, &scratch_length) != 0) return NULL;
  if (scratch_length < length) return dn_throw_type(env, "scratch must hold length bytes");
  if (napi_get_typedarray_info(env, argv[11], &result_type, &result_length, &result_data, NULL, NULL) != napi_ok || result_type != napi_int32_array || result_length < 4) return dn_throw_type(env, "result must be an Int32Array of 4");
  if (napi_get_value_bool(env, argv[12], &after_header) != napi_ok) return dn_throw_type(env, "afterHeader must be a boolean");
  if (dn_bytes_arg(env, argv[3], "temporary", &temporary) != 0) return NULL;
  if (dn_bytes_arg(env, argv[4], "destination", &destination) != 0) {
    free(temporary.bytes);
    return NULL;
  }
  int32_t *result = (int32_t *)result_data;
  result[0] = DN_RESTORED;
  result[1] = result[2] = result[3] = 0;

  int ended = 0;
  int err = 0;
  char *content = scratch;
  if (after_header) {
    /* The headers and the content in one read where they fit, as they nearly always do. */
    size_t window = scratch_length < (size_t)length + DN_HEADER_ROOM ? scratch_length : (size_t)length + DN_HEADER_ROOM;
    ssize_t got;
    do got = pread(archive_fd, scratch, window, (off_t)position);
    while (got < 0 && errno == EINTR);
    size_t needed = 0;
    size_t available = got < 0 ? 0 : (size_t)got;
    int64_t start = got < 0 ? -1 : dn_content_offset(scratch, available, length, &needed);
    if (got < 0) err = errno;
    else if (start < 0 && needed > 0 && needed + length <= scratch_length) {
      /* A long PAX header: read again, far enough for it and the content. */
      err = dn_pread_all(archive_fd, scratch, needed + length, (off_t)position, &ended);
      available = needed + length;
      if (err == 0 && !ended) start = dn_content_offset(scratch, available, length, &needed);
    }
    if (err == 0 && !ended && start < 0) result[0] = DN_NOT_AT_OFFSET;
    else if (err == 0 && !ended) {
      content = (char *)scratch + start;
      size_t have = available > (size_t)start ? available - (size_t)start : 0;
      if (have > length) have = length;
      if ((size_t)start + length > scratch_length) result[0] = DN_NOT_AT_OFFSET;
      else if (have < length) err = dn_pread_all(archive_fd, content + have, length - have, (off_t)position + start + (off_t)have, &ended);
    }
  } else {
    err = dn_pread_all(archive_fd, scratch, length, (off_t)position, &ended);
  }
  if (result[0] != DN_RESTORED) {
    /* Not this entry's headers: nothing is written. */
  } else if (err != 0 || ended) {
    result[0] = DN_READ_FAILED;
    result[1] = err;
  } else if (expected != NULL && !dn_xxh128_equals(content, length, expected)) {
    result[0] = DN_DAMAGED;
  } else {
    int fd = open(temporary.bytes, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      result[0] = DN_OPEN_FAILED;
      result[1] = errno;
    } else {
      err = dn_write_all(fd, content, length);
      if (err != 0) {
        result[0] = DN_WRITE_FAILED;
        result[1] = err;
      } else {
        result[2] = uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0 ? errno : 0;
        if (fchmod(fd, (mode_t)mode) != 0) {
          result[0] = DN_MODE_FAILED;
          result[1] = errno;
        } else {
          result[3] = range ? EOVERFLOW : futimens(fd, times) != 0 ? errno : 0;
        }
      }
      if (close(fd) != 0 && result[0] == DN_RESTORED) {
        result[0] = DN_WRITE_FAILED;
        result[1] = errno;
      }
      if (result[0] != DN_RESTORED) unlink(temporary.bytes);
      else if (strcmp(temporary.bytes, destination.bytes) != 0 && rename(temporary.bytes, destination.bytes) != 0) {
        result[0] = DN_RENAME_FAILED;
        result[1] = errno;
      }
    }
  }
  free(temporary.bytes);
  free(destination.bytes);
  return NULL;
}
