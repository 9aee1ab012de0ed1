// JPEG decoding with libjpeg-turbo: header inspection and full or DCT-scaled
// decode to interleaved RGB. Works on raw buffers; no Python or torch types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastssl/image.h"

namespace fastssl {

// Bad or unsupported image data. The message says why, never where: callers
// know the file name and add it.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JpegHeader {
  int width = 0;             // full-resolution size
  int height = 0;
  int components = 0;        // 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK)
  std::string colorspace;    // "gray", "ycbcr", "rgb", "cmyk", "ycck"
  bool progressive = false;
  int scaled_width = 0;      // size after DCT scaling by 1/scale_denom
  int scaled_height = 0;
};

// Parses the header; scale_denom (1, 2, 4 or 8) selects the DCT scale whose
// output size is reported. Rejects images with more than max_pixels pixels.
JpegHeader read_jpeg_header(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels);

// Decodes to RGB, scaled by 1/scale_denom, into out (height x width x 3, rows
// contiguous). out_height/out_width must equal the header's scaled size.
// Grayscale is expanded, CMYK/YCCK converted like Pillow's convert("RGB").
// Truncated data is an error, not a gray-filled image.
void decode_jpeg_rgb(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels,
                     uint8_t* out, int out_height, int out_width);

// A rectangle of the (scaled) image, half-open.
struct Region {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Where a region decode put its pixels: columns x0 .. x0 + width of rows
// y0 .. y0 + height, rows contiguous (width * 3 bytes apart).
struct DecodedRegion {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};

// Decodes only `region` of the image scaled by 1/scale_denom (libjpeg-turbo's
// jpeg_crop_scanline widens it left to an iMCU boundary; rows outside it are
// skipped, those below still read so that truncation is detected). The pixels
// equal the same rectangle of a full decode. `out` is resized as needed.
DecodedRegion decode_jpeg_rgb_region(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels,
                                     Region region, Bytes& out);

}  // namespace fastssl
