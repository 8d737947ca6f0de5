// One output stream of a trial: the pipe, its log file and its line parser.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "cairn/executor.h"
#include "cairn/metric_parser.h"
#include "cairn/run/line_splitter.h"

namespace cairn::run_internal {

class TrialOutput {
 public:
  // Takes ownership of `pipe_fd` (non-blocking read end) and `log_fd`.
  // `parser` null: the stream is only logged.
  TrialOutput(int64_t trial_id, int pipe_fd, int log_fd, const MetricParser* parser);
  ~TrialOutput();
  TrialOutput(const TrialOutput&) = delete;
  TrialOutput& operator=(const TrialOutput&) = delete;

  // The pipe to poll, -1 once closed.
  int fd() const { return pipe_fd_; }
  bool open() const { return pipe_fd_ >= 0; }

  // Reads what is there (one bounded chunk, so one chatty trial cannot
  // starve the rest), logs it and adds reports to *events. At end of file
  // it flushes the last unterminated line and closes the pipe.
  void Read(double now, std::vector<ExecutorEvent>* events);
  // Stops reading: what the pipe holds now is read and parsed (it may be
  // much: the caller was held up), then the unterminated line is flushed
  // and the pipe closed.
  void Close(double now, std::vector<ExecutorEvent>* events);
  // Logs whatever the pipe holds now, without waiting for more and without
  // parsing it: what a program printed before Cairn went away (killed, or
  // given up on its store) stays in its log for a resume to read.
  void DrainToLog();
  // Appends a line Cairn itself wants in the log (launch errors).
  void Note(std::string_view text);

 private:
  // One read(): what it got is logged and parsed. Returns read()'s result
  // (0 at end of file, -1 with errno when nothing is there now or it failed).
  ssize_t ReadOnce(double now, std::vector<ExecutorEvent>* events);
  void Emit(std::vector<std::string>& lines, double now, std::vector<ExecutorEvent>* events);
  void Log(std::string_view bytes);

  int64_t trial_id_;
  int pipe_fd_;
  int log_fd_;
  const MetricParser* parser_;
  LineSplitter lines_;
};

}  // namespace cairn::run_internal
