// The CPU engine: for a batch of samples, read each file, decode it once (DCT-
// scaled as far as every view allows), and render all its views straight into
// the caller's batch buffers, on a pool of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fastssl/augment.h"
#include "fastssl/image.h"
#include "fastssl/thread_pool.h"

namespace fastssl {

struct EngineConfig {
  std::vector<ViewSpec> views;
  uint64_t seed = 0;
  int num_threads = 1;
  OutputType output = OutputType::float32;
  bool dct_scaling = true;     // decode at 1/2, 1/4, 1/8 when no view needs more
  int64_t max_pixels = 0;      // refuse larger images (decompression bombs)
  PassOrder resample_order = PassOrder::horizontal_first;  // as the installed Pillow resizes
};

// Why one item of a batch failed. not_jpeg: the file is not a JPEG, decode it
// elsewhere (Pillow) and pass the pixels in.
struct ItemError {
  size_t item = 0;
  bool not_jpeg = false;
  std::string message;
};

struct BatchItem {
  int64_t sample = 0;         // index into the engine's file list; keys the randomness
  int64_t row = 0;            // row of the output buffers to write
  ConstImage decoded;         // pixels decoded elsewhere, or data == nullptr to read the file
};

class Engine {
 public:
  Engine(EngineConfig config, std::vector<std::string> paths);

  const EngineConfig& config() const { return config_; }
  size_t size() const { return paths_.size(); }

  // outputs[v] points at view v's buffer of shape (rows, 3, height_v, width_v).
  // Returns the items that failed (their rows are left zeroed).
  std::vector<ItemError> run(const std::vector<BatchItem>& items, uint64_t epoch, const std::vector<void*>& outputs);

  // The parameters view `view` of `sample` gets in `epoch` on an image of the given size.
  ViewParams params(int64_t sample, uint64_t epoch, int view, int height, int width) const;

 private:
  struct Scratch {
    Bytes file;
    ImageBuffer decoded;
    ImageBuffer transposed;  // the decoded pixels transposed, when that pays (augment.h)
    ViewScratch view;
    std::vector<ViewParams> params;
  };

  void process(const BatchItem& item, uint64_t epoch, const std::vector<void*>& outputs, Scratch& scratch);
  // Decodes the file in scratch once, at the DCT scale and over the region its crops need.
  ConstImage decode_crops(Scratch& scratch, int full_width, int full_height, Placement& at) const;
  int choose_scale_denom(const std::vector<ViewParams>& params) const;
  void zero_row(int64_t row, const std::vector<void*>& outputs) const;
  size_t view_bytes(int view) const;

  EngineConfig config_;
  std::vector<std::string> paths_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<Scratch> scratch_;
  std::mutex run_mutex_;  // one batch at a time: the pool and scratch are shared
};

}  // namespace fastssl
