#include "cairn/slurm/log_tail.h"

#include <fstream>

namespace cairn::slurm_internal {
namespace {

// Bytes read per call and file, so one chatty trial cannot starve the rest.
constexpr size_t kChunk = size_t{1} << 20;

}  // namespace

LogTail::LogTail(int64_t trial_id, std::filesystem::path path, const MetricParser* parser, uint64_t offset)
    : trial_id_(trial_id), path_(std::move(path)), parser_(parser), offset_(offset),
      lines_(MetricParser::kMaxLineBytes) {}

void LogTail::Read(double now, std::vector<ExecutorEvent>* events) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  auto size = static_cast<uint64_t>(in.tellg());
  // Someone truncated the file (a requeue without --open-mode=append):
  // start over rather than wait for bytes that will never come.
  if (size < offset_) offset_ = 0;
  if (size == offset_) return;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(std::min<uint64_t>(size - offset_, kChunk), '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  offset_ += chunk.size();
  std::vector<std::string> lines;
  lines_.Feed(chunk, &lines);
  Emit(lines, now, events);
}

void LogTail::Finish(double now, std::vector<ExecutorEvent>* events) {
  uint64_t before = 0;
  do {
    before = offset_;
    Read(now, events);
  } while (offset_ != before);
  std::vector<std::string> lines;
  lines_.Finish(&lines);
  Emit(lines, now, events);
}

void LogTail::Emit(std::vector<std::string>& lines, double now, std::vector<ExecutorEvent>* events) {
  if (!parser_) return;
  for (const std::string& line : lines) {
    if (auto report = parser_->Parse(line)) {
      events->push_back(ReportEvent{trial_id_, report->step, std::move(report->metrics), now});
    }
  }
}

}  // namespace cairn::slurm_internal
