#include "cairn/run/trial_output.h"
#include "cairn/run/close_fd.h"

#include <unistd.h>

#include <cerrno>

namespace cairn::run_internal {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

}  // namespace

TrialOutput::TrialOutput(int64_t trial_id, int pipe_fd, int log_fd, const MetricParser* parser)
    : trial_id_(trial_id),
      pipe_fd_(pipe_fd),
      log_fd_(log_fd),
      parser_(parser),
      lines_(MetricParser::kMaxLineBytes) {}

TrialOutput::~TrialOutput() {
  CloseFd(&pipe_fd_);
  CloseFd(&log_fd_);
}

ssize_t TrialOutput::ReadOnce(double now, std::vector<ExecutorEvent>* events) {
  char buffer[kChunkBytes];
  const ssize_t n = read(pipe_fd_, buffer, sizeof buffer);
  if (n <= 0) return n;  // errno stays read's
  std::string_view chunk(buffer, static_cast<size_t>(n));
  Log(chunk);
  if (parser_ == nullptr) return n;
  std::vector<std::string> lines;
  lines_.Feed(chunk, &lines);
  Emit(lines, now, events);
  return n;
}

void TrialOutput::Read(double now, std::vector<ExecutorEvent>* events) {
  if (pipe_fd_ < 0) return;
  const ssize_t n = ReadOnce(now, events);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) Close(now, events);  // end of file, or an error that will not go away
}

void TrialOutput::Close(double now, std::vector<ExecutorEvent>* events) {
  if (pipe_fd_ < 0) return;
  for (;;) {
    const ssize_t n = ReadOnce(now, events);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nothing more now (EAGAIN), end of file or an error
  }
  CloseFd(&pipe_fd_);
  if (parser_ == nullptr) return;
  std::vector<std::string> lines;
  lines_.Finish(&lines);
  Emit(lines, now, events);
}

void TrialOutput::DrainToLog() {
  while (pipe_fd_ >= 0) {
    char buffer[kChunkBytes];
    ssize_t n = read(pipe_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nothing more now (EAGAIN: a grandchild holds the pipe), end of file or an error
    Log(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

void TrialOutput::Note(std::string_view text) {
  Log(text);
  Log("\n");
}

void TrialOutput::Emit(std::vector<std::string>& lines, double now,
                       std::vector<ExecutorEvent>* events) {
  for (const std::string& line : lines) {
    std::optional<ParsedReport> report = parser_->Parse(line);
    if (!report) continue;
    events->push_back(ReportEvent{.trial_id = trial_id_,
                                  .step = report->step,
                                  .metrics = std::move(report->metrics),
                                  .time = now});
  }
}

void TrialOutput::Log(std::string_view bytes) {
  while (log_fd_ >= 0 && !bytes.empty()) {
    ssize_t n = write(log_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not stop the trial; the log is best effort
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace cairn::run_internal
