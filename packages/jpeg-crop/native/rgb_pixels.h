#ifndef RGB_PIXELS_H
#define RGB_PIXELS_H
#include <stddef.h>

// The w×h RGB block at src turned clockwise by 90, 180 or 270 degrees, as libvips' rot; *tw × *th is the result's
// size. NULL when out of memory.
unsigned char *turn_rgb(const unsigned char *src, size_t stride, int w, int h, int angle, int *tw, int *th);

// The w×h RGB image px (rows packed) resized to dw×dh exactly as Pillow's Image.resize((dw, dh), NEAREST), what Keras
// load_img(target_size) does. NULL when out of memory.
unsigned char *sample_nearest(const unsigned char *px, int w, int h, int dw, int dh);

#endif
