/*
 * A JPEG decoder for importing photo folders: libjpeg-turbo (SIMD) decoding straight to a reduced size. libjpeg can
 * skip part of the inverse DCT and decode at M/8 of the full size; when a 200x200 photo becomes a 64x64 training
 * image, decoding at 3/8 (75x75) costs a fraction of a full decode and is a proper low-pass reduction. The caller
 * (jpeg-worker.ts) resizes the result to its exact size. Built by scripts/build-native.mjs; optional: without it the
 * worker decodes with mozjpeg compiled to WebAssembly.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf escape;
  char message[JMSG_LENGTH_MAX];
} error_manager;

/* Any error, and any warning (corrupt data that libjpeg would patch over), ends the decode with its message. */
static void on_error(j_common_ptr cinfo) {
  error_manager *errors = (error_manager *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, errors->message);
  longjmp(errors->escape, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/*
 * decodeJpeg(bytes: Uint8Array, minSize: number): { pixels: Uint8Array (RGB), width, height, fullWidth, fullHeight }.
 * Decodes at the smallest scale M/8 whose width and height are both at least minSize (or full size), as RGB.
 */
static napi_value decode_jpeg(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2)
    return fail(env, "decodeJpeg: expected the file's bytes and a minimum size");
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array)
    return fail(env, "decodeJpeg: expected a Uint8Array");
  int32_t min_size;
  if (napi_get_value_int32(env, argv[1], &min_size) != napi_ok || min_size < 1)
    return fail(env, "decodeJpeg: the minimum size must be a positive integer");
  if (length < 4) return fail(env, "decodeJpeg: not a JPEG (too short)");

  struct jpeg_decompress_struct cinfo;
  error_manager errors;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_message;
  errors.message[0] = 0;
  if (setjmp(errors.escape)) {
    jpeg_destroy_decompress(&cinfo);
    return fail(env, errors.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)length);
  jpeg_read_header(&cinfo, TRUE);
  const unsigned full_width = cinfo.image_width, full_height = cinfo.image_height;
  cinfo.out_color_space = JCS_RGB;
  cinfo.scale_denom = 8;
  cinfo.scale_num = 8;
  for (unsigned m = 1; m < 8; m++) {
    /* libjpeg rounds scaled sizes up. */
    if ((full_width * m + 7) / 8 >= (unsigned)min_size && (full_height * m + 7) / 8 >= (unsigned)min_size) {
      cinfo.scale_num = m;
      break;
    }
  }
  jpeg_start_decompress(&cinfo);
  const size_t width = cinfo.output_width, height = cinfo.output_height, row = width * 3;
  /* Decoded straight into the array handed back (garbage-collected if decoding fails half-way). */
  napi_value result, array_buffer, array, value;
  unsigned char *pixels;
  if (napi_create_arraybuffer(env, row * height, (void **)&pixels, &array_buffer) != napi_ok) {
    jpeg_destroy_decompress(&cinfo);
    return fail(env, "decodeJpeg: out of memory");
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW next = pixels + (size_t)cinfo.output_scanline * row;
    jpeg_read_scanlines(&cinfo, &next, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);

  napi_create_typedarray(env, napi_uint8_array, row * height, array_buffer, 0, &array);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "pixels", array);
  const struct {
    const char *name;
    double value;
  } numbers[] = {{"width", (double)width}, {"height", (double)height}, {"fullWidth", full_width}, {"fullHeight", full_height}};
  for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
    napi_create_double(env, numbers[i].value, &value);
    napi_set_named_property(env, result, numbers[i].name, value);
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fn = {"decodeJpeg", NULL, decode_jpeg, NULL, NULL, NULL, napi_default, NULL};
  napi_define_properties(env, exports, 1, &fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
