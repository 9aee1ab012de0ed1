// Non-owning views of interleaved 8-bit RGB images, and an owning buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fastssl {

struct ConstImage {
  const uint8_t* data = nullptr;
  int height = 0;
  int width = 0;
  size_t stride = 0;  // bytes between rows
  const uint8_t* row(int y) const { return data + stride * static_cast<size_t>(y); }
};

struct Image {
  uint8_t* data = nullptr;
  int height = 0;
  int width = 0;
  size_t stride = 0;
  uint8_t* row(int y) const { return data + stride * static_cast<size_t>(y); }
  ConstImage view() const { return ConstImage{data, height, width, stride}; }
};

// An RGB image that owns its pixels (rows contiguous).
struct ImageBuffer {
  std::vector<uint8_t> pixels;
  int height = 0;
  int width = 0;

  void resize(int h, int w) {
    height = h;
    width = w;
    pixels.resize(static_cast<size_t>(h) * w * 3);
  }
  Image image() { return Image{pixels.data(), height, width, static_cast<size_t>(width) * 3}; }
  ConstImage view() const { return ConstImage{pixels.data(), height, width, static_cast<size_t>(width) * 3}; }
};

}  // namespace fastssl
