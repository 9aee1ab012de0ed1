// Non-owning views of interleaved 8-bit RGB images, and an owning buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace fastssl {

// An allocator whose resize() leaves new elements uninitialized: scratch
// buffers are always written before they are read, and zero-filling them on
// every image cost as much as some of the ops.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using ScratchVector = std::vector<T, UninitializedAllocator<T>>;
using Bytes = ScratchVector<uint8_t>;

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
  Bytes pixels;
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
