// RGB images as three channel planes (CHW): the layout of a view from its
// resampling to its output. The color ops vectorize over planes (over 3-byte
// pixels they shuffle and spill), and the output is CHW anyway.
#pragma once

#include "fastssl/image.h"

namespace fastssl {

// Every plane is readable and writable up to a multiple of this many pixels, so
// that kernels working in blocks (the hue shift) need no tail loop.
constexpr size_t kPlaneBlock = 32;

struct Planes {
  uint8_t* data = nullptr;
  int height = 0;
  int width = 0;
  size_t stride = 0;  // bytes from one plane to the next: pixels() rounded up to kPlaneBlock
  size_t pixels() const { return static_cast<size_t>(height) * width; }
  uint8_t* channel(int c) const { return data + stride * static_cast<size_t>(c); }
  uint8_t* row(int c, int y) const { return channel(c) + static_cast<size_t>(width) * static_cast<size_t>(y); }
};

// Planes that own their pixels; resize() keeps the allocation when it can.
struct PlanesBuffer {
  Bytes bytes;
  Planes resize(int height, int width);
};

void split_planes(const ConstImage& src, const Planes& dst);  // interleaved -> planes, same size
void join_planes(const Planes& src, const Image& dst);        // planes -> interleaved, same size

}  // namespace fastssl
