#include "fastssl/engine.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "fastssl/jpeg_decode.h"

namespace fastssl {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 30;

// Reads a whole file into `out`; DecodeError says why it could not.
void read_file(const std::string& path, Bytes& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw DecodeError(std::string("cannot read file (") + std::strerror(errno) + ")");
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  if (std::fseek(f, 0, SEEK_END) != 0) throw DecodeError("cannot read file (seek failed)");
  const long size = std::ftell(f);
  if (size < 0) throw DecodeError("cannot read file (size unknown)");
  if (size == 0) throw DecodeError("empty file");
  if (static_cast<size_t>(size) > kMaxFileBytes) throw DecodeError("file over 1 GiB");
  std::rewind(f);
  out.resize(static_cast<size_t>(size));
  if (std::fread(out.data(), 1, out.size(), f) != out.size())
    throw DecodeError(std::string("cannot read file (") + std::strerror(errno) + ")");
}

bool looks_like_jpeg(const Bytes& data) {
  return data.size() >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

struct NotJpeg {};

// The region of the scaled image to decode: every view's crop box (the
// resampler reads no pixel outside a box, widened to whole pixels) plus a
// margin, because libjpeg's chroma upsampling at the edge of a cropped or
// skipped region lacks the neighbours a full decode uses (1 pixel is enough
// for 4:2:0 and 4:2:2; see test_region_decode_equals_full_decode).
constexpr int kRegionMargin = 2;


Region crop_union(const std::vector<ViewParams>& params, const Placement& at, int width, int height) {
  double x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (const ViewParams& p : params) {
    x0 = std::min(x0, p.x0 * at.scale_x);
    y0 = std::min(y0, p.y0 * at.scale_y);
    x1 = std::max(x1, (p.x0 + p.crop_width) * at.scale_x);
    y1 = std::max(y1, (p.y0 + p.crop_height) * at.scale_y);
  }
  Region r;
  r.x0 = std::max(0, static_cast<int>(std::floor(x0)) - kRegionMargin);
  r.y0 = std::max(0, static_cast<int>(std::floor(y0)) - kRegionMargin);
  r.x1 = std::min(width, static_cast<int>(std::ceil(x1)) + kRegionMargin);
  r.y1 = std::min(height, static_cast<int>(std::ceil(y1)) + kRegionMargin);
  return r;
}

}  // namespace

Engine::Engine(EngineConfig config, std::vector<std::string> paths)
    : config_(std::move(config)), paths_(std::move(paths)) {
  if (config_.views.empty()) throw std::invalid_argument("the engine needs at least one view");
  if (config_.num_threads < 1) throw std::invalid_argument("num_threads must be >= 1");
  if (config_.max_pixels <= 0) throw std::invalid_argument("max_pixels must be positive");
  for (const ViewSpec& v : config_.views)
    if (v.height <= 0 || v.width <= 0) throw std::invalid_argument("every view needs a positive output size");
  pool_ = std::make_unique<ThreadPool>(config_.num_threads);
  scratch_.resize(static_cast<size_t>(pool_->size()));
}

ViewParams Engine::params(int64_t sample, uint64_t epoch, int view, int height, int width) const {
  CounterRng rng(config_.seed, epoch, static_cast<uint64_t>(sample), static_cast<uint64_t>(view));
  return sample_view(config_.views.at(static_cast<size_t>(view)), height, width, rng);
}

size_t Engine::view_bytes(int view) const {
  const ViewSpec& v = config_.views[static_cast<size_t>(view)];
  const size_t element = config_.output == OutputType::float32 ? sizeof(float) : 1;
  return size_t{3} * static_cast<size_t>(v.height) * static_cast<size_t>(v.width) * element;
}

void Engine::zero_row(int64_t row, const std::vector<void*>& outputs) const {
  for (size_t v = 0; v < outputs.size(); ++v) {
    const size_t bytes = view_bytes(static_cast<int>(v));
    std::memset(static_cast<uint8_t*>(outputs[v]) + bytes * static_cast<size_t>(row), 0, bytes);
  }
}

int Engine::choose_scale_denom(const std::vector<ViewParams>& params) const {
  // The largest 1/d at which every crop still covers at least its output size,
  // so that no view is enlarged from fewer pixels than the reference uses.
  if (!config_.dct_scaling) return 1;
  for (int denom : {8, 4, 2}) {
    bool fits = true;
    for (size_t v = 0; v < params.size() && fits; ++v) {
      const ViewSpec& spec = config_.views[v];
      fits = params[v].crop_width >= denom * spec.width && params[v].crop_height >= denom * spec.height;
    }
    if (fits) return denom;
  }
  return 1;
}

ConstImage Engine::decode_crops(Scratch& s, int full_width, int full_height, Placement& at) const {
  const int denom = choose_scale_denom(s.params);
  // libjpeg's size at 1/denom (jdiv_round_up), without parsing the header again.
  const int scaled_width = (full_width + denom - 1) / denom;
  const int scaled_height = (full_height + denom - 1) / denom;
  at.scale_x = static_cast<double>(scaled_width) / full_width;
  at.scale_y = static_cast<double>(scaled_height) / full_height;
  const Region region = crop_union(s.params, at, scaled_width, scaled_height);
  const DecodedRegion got =
      decode_jpeg_rgb_region(s.file.data(), s.file.size(), denom, config_.max_pixels, region, s.decoded.pixels);
  s.decoded.height = got.height;
  s.decoded.width = got.width;
  at.origin_x = got.x0;
  at.origin_y = got.y0;
  return s.decoded.view();
}

void Engine::process(const BatchItem& item, uint64_t epoch, const std::vector<void*>& outputs, Scratch& s) {
  const int num_views = static_cast<int>(config_.views.size());
  const bool from_file = item.decoded.data == nullptr;
  int full_height = item.decoded.height, full_width = item.decoded.width;
  if (from_file) {
    read_file(paths_[static_cast<size_t>(item.sample)], s.file);
    if (!looks_like_jpeg(s.file)) throw NotJpeg{};
    const JpegHeader header = read_jpeg_header(s.file.data(), s.file.size(), 1, config_.max_pixels);
    full_height = header.height;
    full_width = header.width;
  }
  s.params.resize(static_cast<size_t>(num_views));
  for (int v = 0; v < num_views; ++v) s.params[static_cast<size_t>(v)] = params(item.sample, epoch, v, full_height, full_width);
  Placement at;  // pixels decoded elsewhere are the full image: scale 1, origin 0
  const ConstImage decoded = from_file ? decode_crops(s, full_width, full_height, at) : item.decoded;
  ConstImage transposed_view;
  const ConstImage* transposed = nullptr;
  if (transpose_once_pays(decoded, at, config_.views, s.params, config_.resample_order)) {
    s.transposed.resize(decoded.width, decoded.height);
    best_kernel_level().transpose(decoded, s.transposed.image());
    transposed_view = s.transposed.view();
    transposed = &transposed_view;
  }
  for (int v = 0; v < num_views; ++v) {
    void* out = static_cast<uint8_t*>(outputs[static_cast<size_t>(v)]) + view_bytes(v) * static_cast<size_t>(item.row);
    render_view(decoded, transposed, at, config_.views[static_cast<size_t>(v)], s.params[static_cast<size_t>(v)],
                config_.output, config_.resample_order, out, s.view);
  }
}

std::vector<ItemError> Engine::run(const std::vector<BatchItem>& items, uint64_t epoch,
                                   const std::vector<void*>& outputs) {
  if (outputs.size() != config_.views.size())
    throw std::invalid_argument("run: expected one output buffer per view");
  for (const BatchItem& item : items)
    if (item.decoded.data == nullptr && (item.sample < 0 || static_cast<size_t>(item.sample) >= paths_.size()))
      throw std::out_of_range("run: sample index " + std::to_string(item.sample) + " out of range");
  std::lock_guard<std::mutex> lock(run_mutex_);
  std::vector<ItemError> errors;
  std::mutex errors_mutex;
  pool_->parallel_for(items.size(), [&](size_t i, int worker) {
    ItemError error{i, false, {}};
    try {
      process(items[i], epoch, outputs, scratch_[static_cast<size_t>(worker)]);
      return;
    } catch (const NotJpeg&) {
      error.not_jpeg = true;
      error.message = "not a JPEG file";
    } catch (const std::exception& e) {
      error.message = e.what();
    }
    zero_row(items[i].row, outputs);
    std::lock_guard<std::mutex> guard(errors_mutex);
    errors.push_back(std::move(error));
  });
  std::sort(errors.begin(), errors.end(), [](const ItemError& a, const ItemError& b) { return a.item < b.item; });
  return errors;
}

}  // namespace fastssl
