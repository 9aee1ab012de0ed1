#include "fastssl/gpu_plan.h"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "fastssl/resample.h"

namespace fastssl {
namespace {

gpu::Op jitter_op(int adjustment, float factor) {
  static const gpu::OpCode codes[4] = {gpu::kBrightness, gpu::kContrast, gpu::kSaturation, gpu::kHue};
  gpu::Op op;
  op.code = codes[adjustment];
  op.factor = factor;
  return op;
}

// The drawn ops as a flat list of pixel ops; flips become flags (they commute
// with every other op: the blur is symmetric, the contrast mean unchanged).
void add_ops(const ViewParams& params, gpu::Job& job) {
  const Mirror mirror = mirror_of(params);
  job.hflip = mirror.horizontal;
  job.vflip = mirror.vertical;
  std::vector<gpu::Op> ops;
  for (const OpParams& p : params.ops) {
    gpu::Op op;
    switch (p.kind) {
      case OpKind::hflip:
      case OpKind::vflip: continue;
      case OpKind::color_jitter:
        for (int k : p.order)
          if (p.enabled[k]) ops.push_back(jitter_op(k, p.factors[k]));
        continue;
      case OpKind::grayscale: op.code = gpu::kGrayscale; break;
      case OpKind::solarize: op.code = gpu::kSolarize; op.threshold = p.threshold; break;
      case OpKind::blur: {
        if (p.sigma <= 0.0f) continue;  // as gaussian_blur: nothing to do
        const BoxWeights w = gaussian_box_weights(p.sigma);
        op.code = gpu::kBlur;
        op.radius = w.radius;
        op.ww = w.ww;
        op.fw = w.fw;
        break;
      }
    }
    ops.push_back(op);
  }
  if (ops.size() > static_cast<size_t>(gpu::kMaxOps))
    throw std::invalid_argument("the GPU renderer takes at most " + std::to_string(gpu::kMaxOps) +
                                " pixel ops per view, this view draws " + std::to_string(ops.size()));
  job.num_ops = static_cast<int32_t>(ops.size());
  job.num_stages = 0;
  for (int k = 0; k < job.num_ops; ++k) {
    job.ops[k] = ops[static_cast<size_t>(k)];
    const bool after_blur = k > 0 && job.ops[k - 1].code == gpu::kBlur;
    const bool opens = k == 0 || job.ops[k].code == gpu::kContrast || job.ops[k].code == gpu::kBlur || after_blur;
    if (opens) job.stage_begin[job.num_stages++] = k;
  }
  job.stage_begin[job.num_stages] = job.num_ops;
}

// The resampling window and the span of the first pass, as resample() takes them.
void add_resampling(const ViewSpec& spec, const ViewParams& params, PassOrder order, gpu::Job& job) {
  const Box box{static_cast<double>(params.x0), static_cast<double>(params.y0),
                static_cast<double>(params.x0 + params.crop_width), static_cast<double>(params.y0 + params.crop_height)};
  job.box[0] = box.x0;
  job.box[1] = box.y0;
  job.box[2] = box.x1;
  job.box[3] = box.y1;
  job.interpolation = spec.interpolation == Interpolation::nearest  ? gpu::kNearest
                      : spec.interpolation == Interpolation::bicubic ? gpu::kBicubic
                                                                     : gpu::kBilinear;
  if (job.interpolation == gpu::kNearest) return;
  const ReadableWindow w = readable_window(box, job.source_height, job.source_width);
  job.x_origin = w.x_origin;
  job.y_origin = w.y_origin;
  job.x_limit = w.x_limit;
  job.y_limit = w.y_limit;
  job.vertical_first = vertical_pass_first(box, job.height, job.width, order) ? 1 : 0;
  // The first pass covers what the second pass's windows read.
  const AxisFilter second = job.vertical_first ? gpu::horizontal_filter(job) : gpu::vertical_filter(job);
  const int second_size = job.vertical_first ? job.width : job.height;
  const FilterWindow head = filter_window(second, 0), tail = filter_window(second, second_size - 1);
  job.pass1_first = head.first;
  job.pass1_count = tail.first + tail.count - head.first;
}

}  // namespace

GpuPlan plan_gpu_batch(const Engine& engine, const std::vector<GpuItem>& items, uint64_t epoch,
                       const std::vector<uint64_t>& outputs) {
  const EngineConfig& config = engine.config();
  if (outputs.size() != config.views.size()) throw std::invalid_argument("expected one output buffer per view");
  GpuPlan plan;
  plan.jobs.reserve(items.size() * outputs.size());
  for (const GpuItem& item : items) {
    if (item.height <= 0 || item.width <= 0) throw std::invalid_argument("image sizes must be positive");
    if (item.row < 0) throw std::invalid_argument("rows must be non-negative");
    for (size_t v = 0; v < outputs.size(); ++v) {
      const ViewSpec& spec = config.views[v];
      const ViewParams params = engine.params(item.sample, epoch, static_cast<int>(v), item.height, item.width);
      gpu::Job job;
      job.source = item.source;
      job.source_height = item.height;
      job.source_width = item.width;
      job.height = spec.height;
      job.width = spec.width;
      add_resampling(spec, params, config.resample_order, job);
      add_ops(params, job);
      const uint64_t pixels = static_cast<uint64_t>(spec.height) * static_cast<uint64_t>(spec.width);
      job.output_float = config.output == OutputType::float32 ? 1 : 0;
      const uint64_t element = job.output_float ? sizeof(float) : 1;
      job.output = outputs[v] + static_cast<uint64_t>(item.row) * 3 * pixels * element;
      for (int c = 0; c < 3; ++c) {
        job.mean[c] = spec.normalize ? spec.mean[static_cast<size_t>(c)] : 0.0f;
        job.std[c] = spec.normalize ? spec.std[static_cast<size_t>(c)] : 1.0f;
      }
      if (gpu::pass1_pixels(job) > INT32_MAX || gpu::pixels_of(job) > INT32_MAX)
        throw std::invalid_argument("a view of item " + std::to_string(&item - items.data()) +
                                    " is too large for the GPU renderer");
      job.temp_offset = plan.temp_bytes;
      job.work_offset = plan.work_bytes;
      plan.temp_bytes += 3 * static_cast<uint64_t>(gpu::pass1_pixels(job));
      plan.work_bytes += 3 * pixels;
      gpu::Schedule& s = plan.schedule;
      s.max_pass1_pixels = std::max(s.max_pass1_pixels, static_cast<int>(gpu::pass1_pixels(job)));
      s.max_pixels = std::max(s.max_pixels, static_cast<int>(gpu::pixels_of(job)));
      s.num_stages = std::max(s.num_stages, job.num_stages);
      for (int stage = 0; stage < job.num_stages; ++stage) {
        if (gpu::is_blur_stage(job, stage)) s.blur_stages |= 1u << stage;
        else s.pointwise_stages |= 1u << stage;
      }
      plan.jobs.push_back(job);
    }
  }
  plan.schedule.num_jobs = static_cast<int>(plan.jobs.size());
  return plan;
}

}  // namespace fastssl
