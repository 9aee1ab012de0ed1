#include "fastssl/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>

namespace fastssl {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return; we
// longjmp back to the frame that called setjmp. That frame (run_decode) holds
// only trivially destructible locals so that skipping it is well defined.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

extern "C" void on_fatal_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings: libjpeg pads a truncated stream with gray and only warns; Pillow
// (the reference path) raises, so we remember it and fail after decoding.
extern "C" void on_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

const char* colorspace_name(J_COLOR_SPACE cs) {
  switch (cs) {
    case JCS_GRAYSCALE: return "gray";
    case JCS_YCbCr: return "ycbcr";
    case JCS_RGB: return "rgb";
    case JCS_CMYK: return "cmyk";
    case JCS_YCCK: return "ycck";
    default: return nullptr;
  }
}

// Pillow's cmyk2rgb: channel = (255 - c) * (255 - k) / 255 with its rounding.
inline uint8_t muldiv255(int a, int b) {
  int t = a * b + 128;
  return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}

void cmyk_row_to_rgb(const uint8_t* cmyk, uint8_t* rgb, int width, bool inverted) {
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    // Adobe (Photoshop, Pillow) JPEGs store CMYK inverted.
    int c = inverted ? 255 - cmyk[0] : cmyk[0];
    int m = inverted ? 255 - cmyk[1] : cmyk[1];
    int y = inverted ? 255 - cmyk[2] : cmyk[2];
    int nk = 255 - (inverted ? 255 - cmyk[3] : cmyk[3]);
    rgb[0] = static_cast<uint8_t>(nk - muldiv255(c, nk));
    rgb[1] = static_cast<uint8_t>(nk - muldiv255(m, nk));
    rgb[2] = static_cast<uint8_t>(nk - muldiv255(y, nk));
  }
}

// jpeg_crop_scanline moves the left edge down to an iMCU boundary: at most 31
// scaled pixels (an iMCU is at most 32 pixels wide).
constexpr int kMaxCropWidening = 32;

struct DecodeJob {
  const uint8_t* data;
  size_t size;
  int scale_denom;
  int64_t max_pixels;
  uint8_t* out;        // null: read the header only
  size_t out_capacity; // bytes available at out
  Region region;       // what to decode, in scaled pixels; empty: the whole image
  uint8_t* cmyk_row;   // scratch row of 4 * (region width + kMaxCropWidening) bytes (CMYK input, last row)
  JpegHeader* header;
  DecodedRegion decoded;
  char error[JMSG_LENGTH_MAX + 128];
};

enum class Status { ok, libjpeg_error, bad_request };

Status run_decode(DecodeJob* job) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_fatal_error;
  err.pub.emit_message = on_message;
  err.truncated = false;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    std::snprintf(job->error, sizeof(job->error), "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return Status::libjpeg_error;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_read_header(&cinfo, TRUE);

  const char* cs = colorspace_name(cinfo.jpeg_color_space);
  if (cs == nullptr) {
    std::snprintf(job->error, sizeof(job->error), "unsupported JPEG color space %d",
                  static_cast<int>(cinfo.jpeg_color_space));
    jpeg_destroy_decompress(&cinfo);
    return Status::bad_request;
  }
  int64_t pixels = static_cast<int64_t>(cinfo.image_width) * cinfo.image_height;
  if (pixels > job->max_pixels) {
    std::snprintf(job->error, sizeof(job->error),
                  "image too large: %ux%u is %lld pixels, over the limit of %lld",
                  cinfo.image_width, cinfo.image_height, static_cast<long long>(pixels),
                  static_cast<long long>(job->max_pixels));
    jpeg_destroy_decompress(&cinfo);
    return Status::bad_request;
  }
  bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned int>(job->scale_denom);
  jpeg_calc_output_dimensions(&cinfo);

  JpegHeader* h = job->header;
  h->width = static_cast<int>(cinfo.image_width);
  h->height = static_cast<int>(cinfo.image_height);
  h->components = cinfo.num_components;
  h->colorspace = cs;
  h->progressive = jpeg_has_multiple_scans(&cinfo);
  h->scaled_width = static_cast<int>(cinfo.output_width);
  h->scaled_height = static_cast<int>(cinfo.output_height);
  if (job->out == nullptr) {
    jpeg_destroy_decompress(&cinfo);
    return Status::ok;
  }
  Region r = job->region;
  if (r.x1 <= r.x0 || r.y1 <= r.y0) r = Region{0, 0, h->scaled_width, h->scaled_height};
  if (r.x0 < 0 || r.y0 < 0 || r.x1 > h->scaled_width || r.y1 > h->scaled_height) {
    std::snprintf(job->error, sizeof(job->error), "region [%d, %d) x [%d, %d) is outside the %dx%d image", r.x0, r.x1,
                  r.y0, r.y1, h->scaled_width, h->scaled_height);
    jpeg_destroy_decompress(&cinfo);
    return Status::bad_request;
  }

  jpeg_start_decompress(&cinfo);
  JDIMENSION x0 = static_cast<JDIMENSION>(r.x0);
  JDIMENSION width = static_cast<JDIMENSION>(r.x1 - r.x0);
  if (width < cinfo.output_width) jpeg_crop_scanline(&cinfo, &x0, &width);
  const size_t stride = static_cast<size_t>(width) * 3;
  const int rows = r.y1 - r.y0;
  if (stride * static_cast<size_t>(rows) > job->out_capacity) {
    std::snprintf(job->error, sizeof(job->error), "output buffer too small for %ux%d pixels", width, rows);
    jpeg_destroy_decompress(&cinfo);
    return Status::bad_request;
  }
  job->decoded = DecodedRegion{static_cast<int>(x0), r.y0, static_cast<int>(width), rows};
  if (r.y0 > 0) jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(r.y0));
  while (cinfo.output_scanline < static_cast<JDIMENSION>(r.y1)) {
    uint8_t* row = job->out + stride * (cinfo.output_scanline - r.y0);
    JSAMPROW target = cmyk ? job->cmyk_row : row;
    jpeg_read_scanlines(&cinfo, &target, 1);
    if (cmyk) cmyk_row_to_rgb(job->cmyk_row, row, static_cast<int>(width), cinfo.saw_Adobe_marker);
  }
  // The rows below the region matter only to tell whether the file is
  // truncated, as a full decode would. A file that ends with the end-of-image
  // marker is not (entropy-coded data never contains that marker), and the
  // rest of it is left alone. For any other, skipping to the very end would not
  // read the rest of the file (libjpeg-turbo then just marks it finished): skip
  // to the last row and read that one, so the remaining data is entropy-decoded
  // (not reconstructed) and truncation shows.
  const bool ends_with_eoi = job->size >= 2 && job->data[job->size - 2] == 0xFF && job->data[job->size - 1] == 0xD9;
  if (cinfo.output_scanline < cinfo.output_height && !ends_with_eoi) {
    const JDIMENSION before_last = cinfo.output_height - 1 - cinfo.output_scanline;
    if (before_last > 0) jpeg_skip_scanlines(&cinfo, before_last);
    JSAMPROW scratch = job->cmyk_row;  // room for one cropped row in any color space
    jpeg_read_scanlines(&cinfo, &scratch, 1);
  }
  if (cinfo.output_scanline < cinfo.output_height) jpeg_abort_decompress(&cinfo);
  else jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.truncated) {
    std::snprintf(job->error, sizeof(job->error), "truncated JPEG data (premature end of file)");
    return Status::bad_request;
  }
  return Status::ok;
}

void check_request(size_t size, int scale_denom, int64_t max_pixels) {
  if (size == 0) throw DecodeError("empty file");
  if (size > static_cast<size_t>(0x7fffffff)) throw DecodeError("file over 2 GiB");
  if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8)
    throw std::invalid_argument("scale_denom must be 1, 2, 4 or 8, got " + std::to_string(scale_denom));
  if (max_pixels <= 0) throw std::invalid_argument("max_pixels must be positive, got " + std::to_string(max_pixels));
}

void run_or_throw(DecodeJob& job) {
  if (run_decode(&job) != Status::ok) throw DecodeError(job.error);
}

}  // namespace

JpegHeader read_jpeg_header(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels) {
  check_request(size, scale_denom, max_pixels);
  JpegHeader header;
  DecodeJob job{data, size, scale_denom, max_pixels, nullptr, 0, Region{}, nullptr, &header, DecodedRegion{}, {}};
  run_or_throw(job);
  return header;
}

void decode_jpeg_rgb(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels,
                     uint8_t* out, int out_height, int out_width) {
  check_request(size, scale_denom, max_pixels);
  if (out == nullptr || out_height <= 0 || out_width <= 0)
    throw std::invalid_argument("decode_jpeg_rgb: empty output buffer");
  JpegHeader header;
  std::vector<uint8_t> cmyk_row(static_cast<size_t>(out_width) * 4);
  const size_t capacity = static_cast<size_t>(out_height) * out_width * 3;
  DecodeJob job{data, size, scale_denom, max_pixels, out, capacity, Region{}, cmyk_row.data(), &header,
                DecodedRegion{}, {}};
  run_or_throw(job);
  if (job.decoded.width != out_width || job.decoded.height != out_height)
    throw std::invalid_argument("decode_jpeg_rgb: output buffer is " + std::to_string(out_width) + "x" +
                                std::to_string(out_height) + " but the image decodes to " +
                                std::to_string(job.decoded.width) + "x" + std::to_string(job.decoded.height));
}

DecodedRegion decode_jpeg_rgb_region(const uint8_t* data, size_t size, int scale_denom, int64_t max_pixels,
                                     Region region, Bytes& out) {
  check_request(size, scale_denom, max_pixels);
  if (region.x1 <= region.x0 || region.y1 <= region.y0) throw std::invalid_argument("empty decode region");
  // Sized before libjpeg runs: nothing may allocate between its setjmp and longjmp.
  const size_t widest = static_cast<size_t>(region.x1 - region.x0 + kMaxCropWidening);
  out.resize(widest * 3 * static_cast<size_t>(region.y1 - region.y0));
  std::vector<uint8_t> cmyk_row(widest * 4);
  JpegHeader header;
  DecodeJob job{data, size, scale_denom, max_pixels, out.data(), out.size(), region, cmyk_row.data(), &header,
                DecodedRegion{}, {}};
  run_or_throw(job);
  return job.decoded;
}

}  // namespace fastssl
