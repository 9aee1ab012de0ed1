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

struct DecodeJob {
  const uint8_t* data;
  size_t size;
  int scale_denom;
  int64_t max_pixels;
  uint8_t* out;        // null: read the header only
  int out_height;
  int out_width;
  uint8_t* cmyk_row;   // scratch row of 4 * out_width bytes for CMYK input
  JpegHeader* header;
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
  if (h->scaled_width != job->out_width || h->scaled_height != job->out_height) {
    std::snprintf(job->error, sizeof(job->error), "output buffer is %dx%d but the image decodes to %dx%d",
                  job->out_width, job->out_height, h->scaled_width, h->scaled_height);
    jpeg_destroy_decompress(&cinfo);
    return Status::bad_request;
  }

  jpeg_start_decompress(&cinfo);
  const size_t stride = static_cast<size_t>(job->out_width) * 3;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* row = job->out + stride * cinfo.output_scanline;
    JSAMPROW target = cmyk ? job->cmyk_row : row;
    jpeg_read_scanlines(&cinfo, &target, 1);
    if (cmyk) cmyk_row_to_rgb(job->cmyk_row, row, job->out_width, cinfo.saw_Adobe_marker);
  }
  jpeg_finish_decompress(&cinfo);
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
  DecodeJob job{data, size, scale_denom, max_pixels, nullptr, 0, 0, nullptr, &header, {}};
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
  DecodeJob job{data, size, scale_denom, max_pixels, out, out_height, out_width, cmyk_row.data(), &header, {}};
  run_or_throw(job);
}

}  // namespace fastssl
