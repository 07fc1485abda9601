#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "atomic_file.h"
#ifdef __APPLE__
#include <stdlib.h>
static unsigned random_bits(void) { return arc4random(); }
#else
#include <sys/random.h>
static unsigned random_bits(void) {
  unsigned v = 0;
  return getrandom(&v, sizeof v, GRND_NONBLOCK) == sizeof v ? v : 0;
}
#endif

static unsigned long temp_count;

int write_file_atomic(const char *path, const unsigned char *data, size_t size) {
  char temp[PATH_MAX];
  unsigned long n = __atomic_add_fetch(&temp_count, 1, __ATOMIC_RELAXED);
  // <path>.tmp-<pid>-<hex>, as the project's other temp files: unique per call, also among processes on other hosts
  // writing to one shared folder (a scale-out job run twice); O_EXCL refuses, never clobbers, a name another holds
  if (snprintf(temp, sizeof temp, "%s.tmp-%ld-%08x%08lx", path, (long)getpid(), random_bits(), n & 0xffffffffUL) >= (int)sizeof temp) return ENAMETOOLONG;
  int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int e = 0;
  for (size_t done = 0; done < size && !e;) {
    ssize_t w = write(fd, data + done, size - done);
    if (w >= 0) done += (size_t)w;
    else if (errno != EINTR) e = errno;
  }
  if (close(fd) != 0 && !e) e = errno;
  if (!e && rename(temp, path) != 0) e = errno;
  if (e) unlink(temp);
  return e;
}
