// What a JPEG's saved APPn markers say (save them with jpeg_save_markers before jpeg_read_header).
#ifndef JPEG_MARKERS_H
#define JPEG_MARKERS_H
#include <stdio.h>
#include <jpeglib.h>

// 1 when an APP2 ICC_PROFILE marker was saved.
int has_icc(j_decompress_ptr d);
// EXIF orientation (tag 0x0112 of IFD0) of a saved APP1 marker; 1 when absent or unreadable.
unsigned exif_orientation(j_decompress_ptr d);

#endif
