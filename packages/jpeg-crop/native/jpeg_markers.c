// What a JPEG's saved APPn markers say: an ICC profile (APP2), the EXIF orientation (APP1).
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include "jpeg_markers.h"

int has_icc(j_decompress_ptr d) {
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 2 && m->data_length >= 12 && memcmp(m->data, "ICC_PROFILE", 11) == 0) return 1;
  return 0;
}

static unsigned read16(const unsigned char *p, int le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static unsigned read32(const unsigned char *p, int le) { return le ? read16(p, 1) | read16(p + 2, 1) << 16 : read16(p, 0) << 16 | read16(p + 2, 0); }

unsigned exif_orientation(j_decompress_ptr d) {
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    const unsigned char *t = m->data + 6;
    size_t n = m->data_length - 6;
    int le = t[0] == 'I';
    unsigned ifd = read32(t + 4, le);
    if (ifd + 2 > n) return 1;
    unsigned entries = read16(t + ifd, le);
    for (unsigned i = 0; i < entries && ifd + 2 + 12 * (i + 1) <= n; i++) {
      const unsigned char *e = t + ifd + 2 + 12 * i;
      if (read16(e, le) == 0x0112) return read16(e + 8, le);
    }
    return 1;
  }
  return 1;
}
