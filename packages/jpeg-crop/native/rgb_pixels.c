// Operations on RGB pixel blocks (3 bytes per pixel, rows `stride` bytes apart): turns and Pillow's nearest sampling.
#include <stdlib.h>
#include <string.h>
#include "rgb_pixels.h"

// The w×h RGB block at src turned clockwise by 90, 180 or 270 degrees, as libvips' rot (NULL when out of memory).
unsigned char *turn_rgb(const unsigned char *src, size_t stride, int w, int h, int angle, int *tw, int *th) {
  *tw = angle == 180 ? w : h;
  *th = angle == 180 ? h : w;
  unsigned char *dst = malloc((size_t)*tw * *th * 3);
  if (!dst) return NULL;
  unsigned char *d = dst;
  for (int y = 0; y < *th; y++) {
    for (int x = 0; x < *tw; x++, d += 3) {
      int sx = angle == 90 ? y : angle == 180 ? w - 1 - x : w - 1 - y;
      int sy = angle == 90 ? h - 1 - x : angle == 180 ? h - 1 - y : x;
      const unsigned char *p = src + (size_t)sy * stride + (size_t)sx * 3;
      d[0] = p[0];
      d[1] = p[1];
      d[2] = p[2];
    }
  }
  return dst;
}

// Source offsets of Pillow's resize(NEAREST) along one axis, as keras-models' nearestIndex: coordinates start at
// scale/2 and are accumulated in doubles, then truncated (computing (i + 0.5)·scale directly differs on some rows).
static void nearest_index(int src, int dst, int *out) {
  double a = (double)src / dst, at = a * 0.5;
  for (int i = 0; i < dst; i++, at += a) {
    int v = (int)at;
    out[i] = v < src - 1 ? v : src - 1;
  }
}

unsigned char *sample_nearest(const unsigned char *px, int w, int h, int dw, int dh) {
  unsigned char *out = malloc((size_t)dw * dh * 3);
  int *xs = malloc(sizeof(int) * dw), *ys = malloc(sizeof(int) * dh);
  if (out && xs && ys) {
    nearest_index(w, dw, xs);
    nearest_index(h, dh, ys);
    unsigned char *d = out;
    for (int y = 0; y < dh; y++) {
      const unsigned char *row = px + (size_t)ys[y] * w * 3;
      for (int x = 0; x < dw; x++, d += 3) memcpy(d, row + (size_t)xs[x] * 3, 3);
    }
  } else {
    free(out);
    out = NULL;
  }
  free(xs);
  free(ys);
  return out;
}
