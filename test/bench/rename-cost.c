/*
 * What writing each file under a temporary name and renaming it into place costs the kernel, beside
 * creating it under its own name (as GNU tar does) and as an unnamed O_TMPFILE linked in with
 * linkat: THREADS threads create 8 files of 2 KiB in each of 30,000 folders, each with an owner, a
 * mode and a time, then sync. The README's "Headers, messages and start-up" quotes it.
 *   gcc -O2 -pthread -o rename-cost test/bench/rename-cost.c
 *   ./rename-cost MODE FOLDER THREADS SPLIT   (MODE 0 rename, 1 O_TMPFILE, 2 own name;
 *                                              SPLIT 1 keeps each thread to folders of its own)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
static int split, mode, nfold = 30000, per = 8, nthreads = 2; static const char *root;
static char buf[2048];
static void *work(void *arg) {
  long t = (long)arg; char p[512], q[512]; struct timespec ts[2] = {{1000,0},{1000,0}};
  for (int d = split ? (int)t : 0; d < nfold; d += split ? nthreads : 1) for (int f = split ? 0 : t; f < per; f += split ? 1 : nthreads) {
    snprintf(p, sizeof p, "%s/d%d/f%d", root, d, f);
    int fd;
    if (mode == 0) { snprintf(q, sizeof q, "%s/d%d/.tmp%d", root, d, f); fd = open(q, O_WRONLY|O_CREAT|O_EXCL, 0600); }
    else if (mode == 1) { snprintf(q, sizeof q, "%s/d%d", root, d); fd = open(q, O_WRONLY|O_TMPFILE, 0600); }
    else fd = open(p, O_WRONLY|O_CREAT|O_EXCL, 0600);
    if (fd < 0) { perror("open"); exit(1); }
    write(fd, buf, sizeof buf); fchown(fd, 1000, 1000); fchmod(fd, 0644); futimens(fd, ts);
    if (mode == 0) rename(q, p);
    else if (mode == 1) { char l[64]; snprintf(l, sizeof l, "/proc/self/fd/%d", fd); if (linkat(AT_FDCWD, l, AT_FDCWD, p, AT_SYMLINK_FOLLOW)) { perror("linkat"); exit(1);} }
    close(fd);
  }
  return 0;
}
int main(int argc, char **argv) {
  mode = atoi(argv[1]); root = argv[2]; nthreads = atoi(argv[3]); split = atoi(argv[4]);
  char p[512]; mkdir(root, 0755);
  for (int d = 0; d < nfold; d++) { snprintf(p, sizeof p, "%s/d%d", root, d); mkdir(p, 0755); }
  struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  pthread_t th[8]; for (long t = 0; t < nthreads; t++) pthread_create(&th[t], 0, work, (void*)t);
  for (int t = 0; t < nthreads; t++) pthread_join(th[t], 0);
  sync(); clock_gettime(CLOCK_MONOTONIC, &b);
  printf("mode %d threads %d: %.2f s\n", mode, nthreads, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
}
