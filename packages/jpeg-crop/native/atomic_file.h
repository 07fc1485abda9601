// A file written whole or not at all, from C (the crop job's thread).
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H
#include <stddef.h>

// Write size bytes to path through a temp file beside it, renamed over path: a reader (or a crash) never sees part of
// it. The folder must exist. Returns 0 or an errno.
int write_file_atomic(const char *path, const unsigned char *data, size_t size);

#endif
