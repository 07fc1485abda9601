// The N-API face of the crop job: checks crop()'s arguments, queues the job, and turns its outputs into Buffers.
#include <stdlib.h>
#include <string.h>
#include "crop_job.h"

static void free_finalizer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value take_buffer(napi_env env, unsigned char **data, size_t size) {
  napi_value buf;
  if (napi_create_external_buffer(env, size, *data, free_finalizer, NULL, &buf) != napi_ok) {
    void *copy;
    napi_create_buffer_copy(env, size, *data, &copy, &buf);
    free(*data);
  }
  *data = NULL;
  return buf;
}

static void set_int(napi_env env, napi_value obj, const char *name, int32_t v) {
  napi_value n;
  napi_create_int32(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

static void free_paths(char **paths, uint32_t count) {
  for (uint32_t i = 0; paths && i < count; i++) free(paths[i]);
  free(paths);
}

// files[i], a path string or undefined (left NULL), copied for the pool thread.
static bool copy_path(napi_env env, napi_value files, uint32_t i, char **path) {
  napi_value item;
  napi_valuetype type;
  size_t size = 0;
  if (napi_get_element(env, files, i, &item) != napi_ok || napi_typeof(env, item, &type) != napi_ok) return false;
  if (type == napi_undefined) return true;
  if (type != napi_string || napi_get_value_string_utf8(env, item, NULL, 0, &size) != napi_ok || size == 0 || size >= 4096) return false;
  *path = malloc(size + 1);
  return *path && napi_get_value_string_utf8(env, item, *path, size + 1, &size) == napi_ok;
}

// files: undefined (*paths = NULL) or one path or undefined per region. False after throwing BAD_OPTIONS.
static bool read_paths(napi_env env, napi_value files, uint32_t count, char ***paths) {
  napi_valuetype type;
  bool is_array = false;
  uint32_t length = 0;
  *paths = NULL;
  if (napi_typeof(env, files, &type) == napi_ok && type == napi_undefined) return true;
  bool ok = napi_is_array(env, files, &is_array) == napi_ok && is_array && napi_get_array_length(env, files, &length) == napi_ok &&
            length == count && (*paths = calloc(count, sizeof **paths)) != NULL;
  for (uint32_t i = 0; ok && i < count; i++) ok = copy_path(env, files, i, &(*paths)[i]);
  if (ok) return true;
  free_paths(*paths, count);
  *paths = NULL;
  napi_throw_type_error(env, "BAD_OPTIONS", "files must be an array of one path (or undefined) per region");
  return false;
}

static void complete(napi_env env, napi_status status, void *data) {
  crop_job *job = data;
  if (status != napi_ok && !job->code) crop_fail(job, "CANCELLED", "the crop was cancelled");
  if (job->code) {
    napi_value msg, code, error;
    napi_create_string_utf8(env, job->message, NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, job->code, NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_value list;
    napi_create_array_with_length(env, job->count, &list);
    for (uint32_t i = 0; i < job->count; i++) {
      crop_out *o = &job->out[i];
      napi_value item;
      napi_create_object(env, &item);
      if (o->jpeg) napi_set_named_property(env, item, "jpeg", take_buffer(env, &o->jpeg, o->jpeg_size));
      set_int(env, item, "width", o->width);
      set_int(env, item, "height", o->height);
      if (o->pixels) napi_set_named_property(env, item, "pixels", take_buffer(env, &o->pixels, (size_t)o->width * o->height * 3));
      if (o->samples) {
        napi_value samples;
        napi_create_array_with_length(env, job->size_count, &samples);
        for (uint32_t k = 0; k < job->size_count; k++) {
          size_t bytes = (size_t)job->sizes[2 * k] * job->sizes[2 * k + 1] * 3;
          napi_set_element(env, samples, k, take_buffer(env, &o->samples[k], bytes));
        }
        napi_set_named_property(env, item, "samples", samples);
      }
      napi_set_element(env, list, i, item);
    }
    napi_resolve_deferred(env, job->deferred, list);
  }
  for (uint32_t i = 0; i < job->count; i++) {
    free(job->out[i].jpeg);
    free(job->out[i].pixels);
    for (uint32_t k = 0; job->out[i].samples && k < job->size_count; k++) free(job->out[i].samples[k]);
    free(job->out[i].samples);
  }
  free_paths(job->paths, job->count);
  napi_delete_reference(env, job->input_ref);
  napi_delete_async_work(env, job->work);
  free(job->out);
  free(job->regions);
  free(job->sizes);
  free(job);
}

// crop(jpeg: Uint8Array, regions: Int32Array (0×0 = to the edges), quality, optimize, flags, maxPixels, turn,
//      sizes?: Int32Array (height, width per sample size), files?: (string | undefined)[] (one per region))
//   → Promise<{jpeg,width,height,pixels?,samples?}[]>
static napi_value crop(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], promise, name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t turn = 0;
  if (argc < 7 || napi_get_value_int32(env, argv[6], &turn) != napi_ok || (turn != 0 && turn != 90 && turn != 180 && turn != 270)) {
    napi_throw_type_error(env, "BAD_OPTIONS", "crop(jpeg, regions, quality, optimize, flags, maxPixels, turn: 0|90|180|270)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, region_length;
  void *input, *regions;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &input, &ab, &offset) != napi_ok || type != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[1], &type, &region_length, &regions, &ab, &offset) != napi_ok || type != napi_int32_array ||
      region_length % 4 != 0 || region_length == 0) {
    napi_throw_type_error(env, "BAD_OPTIONS", "jpeg must be a Uint8Array and regions an Int32Array of 4 numbers per region (at least one)");
    return NULL;
  }
  void *sizes = NULL;
  size_t sizes_length = 0;
  napi_valuetype sizes_type = napi_undefined;
  if (argc >= 8) napi_typeof(env, argv[7], &sizes_type);
  if (sizes_type != napi_undefined &&
      (napi_get_typedarray_info(env, argv[7], &type, &sizes_length, &sizes, &ab, &offset) != napi_ok || type != napi_int32_array || sizes_length % 2 != 0)) {
    napi_throw_type_error(env, "BAD_OPTIONS", "sizes must be an Int32Array of height, width pairs");
    return NULL;
  }
  for (size_t i = 0; i < sizes_length; i++) {
    if (((int32_t *)sizes)[i] < 1 || ((int32_t *)sizes)[i] > 16384) {
      napi_throw_type_error(env, "BAD_OPTIONS", "each sample size must be 1–16384 pixels a side");
      return NULL;
    }
  }
  char **paths = NULL;
  if (argc == 9 && !read_paths(env, argv[8], (uint32_t)(region_length / 4), &paths)) return NULL;
  crop_job *job = calloc(1, sizeof *job);
  job->paths = paths;
  job->count = (uint32_t)(region_length / 4);
  job->regions = malloc(region_length * sizeof(int32_t) + 1);
  job->out = calloc(job->count + 1, sizeof(crop_out));
  memcpy(job->regions, regions, region_length * sizeof(int32_t));
  job->size_count = (uint32_t)(sizes_length / 2);
  job->sizes = malloc(sizes_length * sizeof(int32_t) + 1);
  if (sizes_length) memcpy(job->sizes, sizes, sizes_length * sizeof(int32_t));
  job->input = input;
  job->input_size = length;
  napi_get_value_int32(env, argv[2], &job->quality);
  bool optimize;
  napi_get_value_bool(env, argv[3], &optimize);
  job->optimize = optimize;
  napi_get_value_int32(env, argv[4], &job->flags);
  napi_get_value_double(env, argv[5], &job->max_pixels);
  job->turn = turn;
  napi_create_reference(env, argv[0], 1, &job->input_ref);
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "oidstream:jpeg-crop", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, crop_execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, version;
  napi_create_function(env, "crop", NAPI_AUTO_LENGTH, crop, NULL, &fn);
  napi_set_named_property(env, exports, "crop", fn);
  napi_create_int32(env, LIBJPEG_TURBO_VERSION_NUMBER, &version);
  napi_set_named_property(env, exports, "libjpegTurboVersion", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
