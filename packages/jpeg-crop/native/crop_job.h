// What a crop job holds, between its N-API face (crop_napi.c) and its libjpeg-turbo work (jpeg_crop.c).
#ifndef CROP_JOB_H
#define CROP_JOB_H
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <jpeglib.h>

// Flags of crop(): what to make of each region, and what to refuse.
enum {
  JC_PIXELS = 1,          // return the region's RGB pixels
  JC_ENCODE = 2,          // encode the region as a JPEG
  JC_DECODE_ENCODED = 4,  // the pixels are those of the encoded JPEG decoded again (what a reader of the file sees)
  JC_IGNORE_ICC = 8,      // decode ICC-tagged JPEGs without colour management (as Keras/PIL) instead of refusing
  JC_UPRIGHT_ONLY = 16,   // refuse an EXIF orientation other than 1 (the caller turns such images another way)
};

typedef struct {
  unsigned char *jpeg;
  unsigned long jpeg_size;
  unsigned char *pixels;
  unsigned char **samples;  // one per job size, instead of pixels
  int width, height;  // after the turn
} crop_out;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref input_ref;
  const unsigned char *input;
  size_t input_size;
  uint32_t count;
  int32_t *regions;  // left, top, width, height per region
  int32_t *sizes;  // height, width per sample size (size_count of them)
  uint32_t size_count;
  int quality, optimize, flags, turn;  // turn: 0, 90, 180 or 270 degrees clockwise, applied to every crop
  double max_pixels;
  char **paths;  // with files: where to write each crop's JPEG (NULL: nowhere)
  crop_out *out;
  unsigned char *band, *drop;  // decode buffers, freed by crop_execute
  const char *code;  // NULL on success
  char message[JMSG_LENGTH_MAX + 4096 + 64];  // room for a file's path
} crop_job;

// Record the job's failure (a stable code, e.g. BAD_JPEG, and a message); the job's promise rejects with it.
void crop_fail(crop_job *job, const char *code, const char *message);

// The job's work, on libuv's thread pool: decode the rows under the regions once, then make each crop's outputs.
void crop_execute(napi_env env, void *data);

#endif
