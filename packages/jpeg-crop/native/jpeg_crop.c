// Crop regions out of one JPEG with one partial libjpeg-turbo decode, and encode each as a JPEG, off the main thread.
// Decode: accurate integer IDCT and fancy upsampling (libjpeg's defaults, as libvips and Pillow), so the pixels are
// the ones a full decode gives; only the rows and columns around the regions are decoded.
#define _GNU_SOURCE  // memmem
#include <node_api.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "jpeg_markers.h"
#include "rgb_pixels.h"
#include "crop_job.h"
#include "atomic_file.h"

// Margin decoded around the regions so that upsampling at the crop's edges sees the same neighbours as a full decode.
#define MARGIN 16

typedef struct {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} error_ctx;

static void on_error(j_common_ptr cinfo) {
  error_ctx *err = (error_ctx *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

// Warnings (a truncated file, corrupt data) fail like libvips' failOn 'warning'.
static void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

void crop_fail(crop_job *job, const char *code, const char *message) {
  job->code = code;
  snprintf(job->message, sizeof job->message, "%s", message);
}

// Decode a whole JPEG to RGB (the crops this file just encoded), into a new buffer.
static int decode_rgb(crop_job *job, const unsigned char *jpeg, unsigned long size, int w, int h, unsigned char **out) {
  struct jpeg_decompress_struct d;
  error_ctx err;
  d.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_error;
  unsigned char *volatile px = malloc((size_t)w * h * 3);
  if (!px) {
    crop_fail(job, "OUT_OF_MEMORY", "cannot allocate the decoded chip");
    return 0;
  }
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&d);
    free(px);
    crop_fail(job, "ENCODE_FAILED", err.message);
    return 0;
  }
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, jpeg, size);
  jpeg_read_header(&d, TRUE);
  d.out_color_space = JCS_RGB;
  d.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&d);
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = px + (size_t)d.output_scanline * w * 3;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  *out = px;
  return 1;
}

static int encode(crop_job *job, const unsigned char *rows, size_t stride, int w, int h, crop_out *o) {
  struct jpeg_compress_struct c;
  error_ctx err;
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_error;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&c);
    crop_fail(job, "ENCODE_FAILED", err.message);
    return 0;
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &o->jpeg, &o->jpeg_size);
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, job->quality, TRUE);
  c.optimize_coding = job->optimize ? TRUE : FALSE;
  c.dct_method = JDCT_ISLOW;
  c.write_JFIF_header = FALSE;  // as libvips: the chips are byte-identical to sharp's
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(rows + (size_t)c.next_scanline * stride);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return 1;
}

// Decode rows [y0, y1) of the columns around [x0, x1) into job->band (3 bytes per pixel); returns its first column.
static JDIMENSION decode_band(crop_job *job, j_decompress_ptr d, JDIMENSION y0, JDIMENSION y1, JDIMENSION x0, JDIMENSION x1,
                              JDIMENSION *band_width) {
  JDIMENSION start = x0 > MARGIN ? x0 - MARGIN : 0;
  JDIMENSION end = x1 + MARGIN < d->output_width ? x1 + MARGIN : d->output_width;
  JDIMENSION width = end - start;
  if (start > 0 || end < d->output_width) jpeg_crop_scanline(d, &start, &width);
  JDIMENSION first = y0 > MARGIN ? y0 - MARGIN : 0;
  if (first > 0) jpeg_skip_scanlines(d, first);
  size_t stride = (size_t)width * 3;
  job->band = malloc(stride * (y1 - y0));
  job->drop = malloc(stride);  // the margin's rows above y0: decoded for the upsampler's context, then dropped
  if (!job->band || !job->drop) {
    crop_fail(job, "OUT_OF_MEMORY", "cannot allocate the decoded rows");
    return 0;
  }
  while (d->output_scanline < y1) {
    JDIMENSION y = d->output_scanline;
    JSAMPROW row = y >= y0 ? job->band + (size_t)(y - y0) * stride : job->drop;
    if (jpeg_read_scanlines(d, &row, 1) != 1) {
      crop_fail(job, "BAD_JPEG", "the JPEG ends before the rows asked for");
      return 0;
    }
  }
  *band_width = width;
  return start;
}

static void release_buffers(crop_job *job) {
  free(job->band);
  free(job->drop);
  job->band = job->drop = NULL;
}

// The region's pixels sampled at each of the job's sizes, replacing the whole pixels (a model needs only these).
static void sample_pixels(crop_job *job, crop_out *o) {
  o->samples = calloc(job->size_count, sizeof *o->samples);
  for (uint32_t k = 0; o->samples && k < job->size_count; k++) {
    o->samples[k] = sample_nearest(o->pixels, o->width, o->height, job->sizes[2 * k + 1], job->sizes[2 * k]);
    if (!o->samples[k]) break;
  }
  if (!o->samples || !o->samples[job->size_count - 1]) crop_fail(job, "OUT_OF_MEMORY", "cannot allocate the chip's samples");
  free(o->pixels);
  o->pixels = NULL;
}

// One region's outputs from its decoded w×h pixels at src: turned, encoded, and its pixels (own or decoded again).
static void make_crop(crop_job *job, crop_out *o, const unsigned char *src, size_t stride, int w, int h) {
  o->width = w;
  o->height = h;
  unsigned char *turned = NULL;
  if (job->turn) {
    turned = turn_rgb(src, stride, w, h, job->turn, &o->width, &o->height);
    if (!turned) {
      crop_fail(job, "OUT_OF_MEMORY", "cannot allocate the turned chip");
      return;
    }
    src = turned;
    stride = (size_t)o->width * 3;
  }
  if ((job->flags & JC_ENCODE) && !encode(job, src, stride, o->width, o->height, o)) {
    free(turned);
    return;
  }
  if (job->flags & JC_DECODE_ENCODED) {
    decode_rgb(job, o->jpeg, o->jpeg_size, o->width, o->height, &o->pixels);
  } else if (job->flags & JC_PIXELS) {
    size_t line = (size_t)o->width * 3;
    o->pixels = malloc(line * o->height);
    if (!o->pixels) crop_fail(job, "OUT_OF_MEMORY", "cannot allocate the chip's pixels");
    else for (int y = 0; y < o->height; y++) memcpy(o->pixels + y * line, src + (size_t)y * stride, line);
  }
  if (o->pixels && job->size_count) sample_pixels(job, o);
  free(turned);
}

// The crop's JPEG to its file, here on the pool thread that encoded it: the main thread never waits on the disk.
static void write_file(crop_job *job, uint32_t i) {
  if (job->code || !job->paths || !job->paths[i] || !job->out[i].jpeg) return;
  int e = write_file_atomic(job->paths[i], job->out[i].jpeg, job->out[i].jpeg_size);
  if (!e) return;
  char message[sizeof job->message];
  snprintf(message, sizeof message, "cannot write %s: %s", job->paths[i], strerror(e));
  crop_fail(job, "WRITE_FAILED", message);
}

void crop_execute(napi_env env, void *data) {
  (void)env;
  crop_job *job = data;
  struct jpeg_decompress_struct d;
  error_ctx err;
  d.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_error;
  err.mgr.emit_message = on_message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&d);
    if (!job->code) crop_fail(job, "BAD_JPEG", err.message);
    release_buffers(job);
    return;
  }
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, job->input, (unsigned long)job->input_size);
  jpeg_save_markers(&d, JPEG_APP0 + 2, 0xffff);
  if (job->flags & JC_UPRIGHT_ONLY) jpeg_save_markers(&d, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&d, TRUE);
  unsigned orientation = job->flags & JC_UPRIGHT_ONLY ? exif_orientation(&d) : 1;
  if ((double)d.image_width * (double)d.image_height > job->max_pixels) {
    crop_fail(job, "TOO_MANY_PIXELS", "the image has more pixels than maxPixels");
  } else if (d.jpeg_color_space != JCS_YCbCr && d.jpeg_color_space != JCS_GRAYSCALE && d.jpeg_color_space != JCS_RGB) {
    crop_fail(job, "UNSUPPORTED", "CMYK/YCCK JPEG");
  } else if (!(job->flags & JC_IGNORE_ICC) && has_icc(&d)) {
    crop_fail(job, "UNSUPPORTED", "the JPEG has an ICC profile (needs colour management)");
  } else if (orientation != 1) {
    crop_fail(job, "UNSUPPORTED", "the JPEG has an EXIF orientation (needs turning)");
  }
  if (job->code) {
    jpeg_destroy_decompress(&d);
    return;
  }
  d.out_color_space = JCS_RGB;
  d.dct_method = JDCT_ISLOW;
  jpeg_start_decompress(&d);
  JDIMENSION x0 = d.output_width, x1 = 0, y0 = d.output_height, y1 = 0;
  for (uint32_t i = 0; i < job->count; i++) {
    int32_t *r = job->regions + 4 * i;
    if (r[2] == 0 && r[3] == 0) {  // the whole image
      r[2] = (int32_t)d.output_width - r[0];
      r[3] = (int32_t)d.output_height - r[1];
    }
    if (r[0] < 0 || r[1] < 0 || r[2] < 1 || r[3] < 1 || (int64_t)r[0] + r[2] > d.output_width ||
        (int64_t)r[1] + r[3] > d.output_height) {
      crop_fail(job, "BAD_REGION", "a region lies outside the image");
      jpeg_destroy_decompress(&d);
      return;
    }
    if ((JDIMENSION)r[0] < x0) x0 = r[0];
    if ((JDIMENSION)r[1] < y0) y0 = r[1];
    if ((JDIMENSION)(r[0] + r[2]) > x1) x1 = r[0] + r[2];
    if ((JDIMENSION)(r[1] + r[3]) > y1) y1 = r[1] + r[3];
  }
  JDIMENSION bw = 0;
  JDIMENSION bx = decode_band(job, &d, y0, y1, x0, x1, &bw);
  // the rows below the regions are never decoded; a file cut short still fails, as a full decode would: 0xFFD9 can
  // only be the end-of-image marker inside and after entropy-coded data
  // (the 2 bytes before the read position too: libjpeg may just have read the marker)
  if (!job->code && !memmem(d.src->next_input_byte - 2, d.src->bytes_in_buffer + 2, "\xff\xd9", 2))
    crop_fail(job, "BAD_JPEG", "Premature end of JPEG file (no end-of-image marker)");
  jpeg_abort_decompress(&d);
  jpeg_destroy_decompress(&d);
  if (job->code) {
    release_buffers(job);
    return;
  }
  size_t stride = (size_t)bw * 3;
  for (uint32_t i = 0; i < job->count && !job->code; i++) {
    const int32_t *r = job->regions + 4 * i;
    make_crop(job, &job->out[i], job->band + (size_t)(r[1] - y0) * stride + (size_t)(r[0] - bx) * 3, stride, r[2], r[3]);
    write_file(job, i);
  }
  release_buffers(job);
}
