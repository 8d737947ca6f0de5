// Following a job's stdout file the way `tail -f` does: Slurm writes it on
// the compute node, the coordinator reads it over the shared file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "cairn/executor.h"
#include "cairn/metric_parser.h"
#include "cairn/run/line_splitter.h"

namespace cairn::slurm_internal {

class LogTail {
 public:
  // Starts at byte `offset` of `path` (0: from the start). `parser` must
  // outlive the tail.
  LogTail(int64_t trial_id, std::filesystem::path path, const MetricParser* parser, uint64_t offset = 0);

  // Reads what was appended since the last call (a missing file is just
  // "nothing yet") and adds the reports of its complete lines to *events;
  // an unterminated last line waits for its end.
  void Read(double now, std::vector<ExecutorEvent>* events);
  // After the job ended: reads the rest and reports the last line even
  // without its newline.
  void Finish(double now, std::vector<ExecutorEvent>* events);

  uint64_t offset() const { return offset_; }

 private:
  void Emit(std::vector<std::string>& lines, double now, std::vector<ExecutorEvent>* events);

  int64_t trial_id_;
  std::filesystem::path path_;
  const MetricParser* parser_;
  uint64_t offset_;
  run_internal::LineSplitter lines_;
};

}  // namespace cairn::slurm_internal
