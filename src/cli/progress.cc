#include "cli/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace cairn::cli {

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), tty_(isatty(fileno(out)) != 0) {}

std::string ProgressPrinter::Format(const StudyProgress& p) {
  int secs = static_cast<int>(p.elapsed_s);
  std::string best = p.best ? fmt::format("{:.4g} (trial {})", *p.best, p.best_trial.value_or(-1)) : "-";
  std::string line = fmt::format("{}: {} running, {} completed, {} stopped, {} failed", p.study, p.running,
                                 p.completed, p.stopped, p.failed);
  if (p.interrupted) line += fmt::format(", {} interrupted", p.interrupted);
  if (p.lost) line += fmt::format(", {} lost", p.lost);
  if (p.queued) line += fmt::format(", {} to go", p.queued);
  line += fmt::format(" | best {} | {:02d}:{:02d}:{:02d}", best, secs / 3600, secs / 60 % 60, secs % 60);
  return line;
}

void ProgressPrinter::Update(const StudyProgress& p) {
  std::string line = Format(p);
  if (tty_) {
    fmt::print(out_, "\r\033[K{}", line);
    std::fflush(out_);
    line_open_ = true;
    return;
  }
  // Without a terminal: a line when the counts change, or every 30 s.
  std::string counts = line.substr(0, line.rfind(" | "));
  if (counts == last_ && p.elapsed_s - last_plain_ < 30.0) return;
  last_ = counts;
  last_plain_ = p.elapsed_s;
  fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

void ProgressPrinter::Finish(const StudyProgress& p) {
  if (tty_) {
    fmt::print(out_, "\r\033[K{}\n", Format(p));
  } else {
    fmt::print(out_, "{}\n", Format(p));
  }
  line_open_ = false;
  std::fflush(out_);
}

void ProgressPrinter::Message(const std::string& text) {
  if (tty_ && line_open_) fmt::print(out_, "\r\033[K");
  fmt::print(out_, "{}\n", text);
  std::fflush(out_);
}

}  // namespace cairn::cli
