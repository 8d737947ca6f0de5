#include "cli/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace cairn::cli {
namespace {

// Progress is for people: a reader that went away (`cairn run | head`) must
// not end the study. fmt::print throws on a failed write; fputs does not.
void Write(std::FILE* out, const std::string& text) {
  std::fputs(text.c_str(), out);
  std::fflush(out);
}

}  // namespace

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
    Write(out_, "\r\033[K" + line);
    line_open_ = true;
    return;
  }
  // Without a terminal: a line when the counts change, or every 30 s.
  std::string counts = line.substr(0, line.rfind(" | "));
  if (counts == last_ && p.elapsed_s - last_plain_ < 30.0) return;
  last_ = counts;
  last_plain_ = p.elapsed_s;
  Write(out_, line + "\n");
}

void ProgressPrinter::Finish(const StudyProgress& p) {
  Write(out_, (tty_ ? "\r\033[K" : "") + Format(p) + "\n");
  line_open_ = false;
}

void ProgressPrinter::Message(const std::string& text) {
  Write(out_, (tty_ && line_open_ ? "\r\033[K" : "") + text + "\n");
}

}  // namespace cairn::cli
