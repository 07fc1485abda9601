{
  "targets": [
    {
      "target_name": "jpeg_crop",
      "sources": ["native/crop_napi.c", "native/jpeg_crop.c", "native/jpeg_markers.c", "native/rgb_pixels.c", "native/atomic_file.c"],
      "libraries": ["-ljpeg"],
      "cflags": ["-O3", "-std=gnu11", "-Wall"]
    }
  ]
}
