// Reading and writing replay curve files (JSON Lines, optionally gzipped).
#include "cairn/curves_file.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "cairn/json_text.h"

namespace cairn {
namespace {

// The fields the format defines; everything else goes to `extra`.
bool IsKnownField(const std::string& key) {
  return key == "id" || key == "params" || key == "metric" || key == "mode" ||
         key == "values" || key == "seconds" || key == "bounds" || key == "steps";
}

Status FieldError(const std::string& where, const std::string& field, const std::string& what) {
  return InvalidArgument(fmt::format("{}: field '{}': {}", where, field, what));
}

std::string Shorten(const nlohmann::json& j) {
  std::string s = j.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

Result<std::string> RequireString(const nlohmann::json& obj, const std::string& key,
                                  const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return FieldError(where, key, "missing");
  if (!it->is_string()) return FieldError(where, key, "expected a string, got " + Shorten(*it));
  return it->get<std::string>();
}

// "steps": absent or null (1, 2, 3, ...), or one increasing integer per value.
Result<std::vector<int64_t>> ParseSteps(const nlohmann::json& obj, size_t values, const std::string& where) {
  auto it = obj.find("steps");
  if (it == obj.end() || it->is_null()) return std::vector<int64_t>();
  if (!it->is_array()) return FieldError(where, "steps", "expected a list of integers or null, got " + Shorten(*it));
  if (it->size() != values) {
    return FieldError(where, "steps", fmt::format("has {} entries but 'values' has {}", it->size(), values));
  }
  std::vector<int64_t> out;
  out.reserve(values);
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_number_integer()) {
      return FieldError(where, fmt::format("steps[{}]", i), "expected an integer, got " + Shorten(v));
    }
    out.push_back(v.get<int64_t>());
    if (i == 0 && out[0] < 0) {
      return FieldError(where, "steps[0]", fmt::format("{} is negative: steps count from 0 (an evaluation before "
                                                       "training) or 1", out[0]));
    }
    if (i > 0 && out[i] <= out[i - 1]) {
      return FieldError(where, fmt::format("steps[{}]", i),
                        fmt::format("{} does not follow {}: steps must increase", out[i], out[i - 1]));
    }
  }
  return out;
}

Result<std::vector<double>> ParseValues(const nlohmann::json& obj, const std::string& where) {
  auto it = obj.find("values");
  if (it == obj.end()) return FieldError(where, "values", "missing");
  if (!it->is_array()) return FieldError(where, "values", "expected a list, got " + Shorten(*it));
  if (it->empty()) return FieldError(where, "values", "empty; expected at least one value");
  std::vector<double> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (v.is_null()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (v.is_number()) {
      out.push_back(v.get<double>());
    } else {
      return FieldError(where, fmt::format("values[{}]", i),
                        "expected a number or null, got " + Shorten(v));
    }
  }
  return out;
}

// A list of per-step seconds, one number for every step, or null/absent.
Result<std::vector<double>> ParseSeconds(const nlohmann::json& obj, size_t steps,
                                         const std::string& where) {
  auto it = obj.find("seconds");
  if (it == obj.end() || it->is_null()) return std::vector<double>{};
  auto check = [&](const nlohmann::json& v, const std::string& field) -> Result<double> {
    if (!v.is_number()) return FieldError(where, field, "expected a number, got " + Shorten(v));
    double s = v.get<double>();
    if (!std::isfinite(s) || s < 0) return FieldError(where, field, "must be >= 0, got " + v.dump());
    return s;
  };
  if (it->is_number()) {
    CAIRN_ASSIGN_OR_RETURN(double s, check(*it, "seconds"));
    return std::vector<double>(steps, s);
  }
  if (!it->is_array()) {
    return FieldError(where, "seconds", "expected a list, a number or null, got " + Shorten(*it));
  }
  if (it->size() != steps) {
    return FieldError(where, "seconds",
                      fmt::format("has {} entries but 'values' has {}", it->size(), steps));
  }
  std::vector<double> out;
  out.reserve(steps);
  for (size_t i = 0; i < it->size(); ++i) {
    CAIRN_ASSIGN_OR_RETURN(double s, check((*it)[i], fmt::format("seconds[{}]", i)));
    out.push_back(s);
  }
  return out;
}

// "bounds": [lo, hi], either side a number or null, lo below hi.
Status ParseBounds(const nlohmann::json& obj, const std::string& where, CurveRecord& rec) {
  auto it = obj.find("bounds");
  if (it == obj.end() || it->is_null()) return Status::Ok();
  auto side = [](const nlohmann::json& v) { return v.is_null() || (v.is_number() && std::isfinite(v.get<double>())); };
  if (!it->is_array() || it->size() != 2 || !side((*it)[0]) || !side((*it)[1])) {
    return FieldError(where, "bounds", "expected [lo, hi] with numbers or null, got " + Shorten(*it));
  }
  if ((*it)[0].is_number()) rec.lower_bound = (*it)[0].get<double>();
  if ((*it)[1].is_number()) rec.upper_bound = (*it)[1].get<double>();
  if (rec.lower_bound && rec.upper_bound && !(*rec.lower_bound < *rec.upper_bound)) {
    return FieldError(where, "bounds", "the lower bound is not below the upper, got " + Shorten(*it));
  }
  return Status::Ok();
}

struct GzCloser {
  void operator()(gzFile f) const { if (f != nullptr) gzclose(f); }
};
using GzPtr = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// Reads one line (without the newline) into `line`; false at end of file.
bool ReadLine(gzFile f, std::string& line, bool& error, bool& disk_error, bool& nul) {
  line.clear();
  char buf[1 << 16];
  z_off_t before = gztell(f);
  while (gzgets(f, buf, sizeof buf) != nullptr) {
    size_t n = std::strlen(buf);
    // gzgets reads past a NUL byte that strlen stops at: the uncompressed
    // position says how much it read. Such a line is not text.
    const z_off_t after = gztell(f);
    if (before >= 0 && after >= 0 && static_cast<size_t>(after - before) != n) {
      nul = true;
      return false;
    }
    before = after;
    line.append(buf, n);
    if (n > 0 && buf[n - 1] == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
  }
  int errnum = 0;
  gzerror(f, &errnum);
  error = errnum != Z_OK && errnum != Z_STREAM_END;
  disk_error = errnum == Z_ERRNO;
  return !line.empty() && !error;
}

// A state a curve in a file can end in: not queued or running.
bool IsEndState(const std::string& name) {
  const std::optional<TrialState> state = ParseTrialState(name);
  return state && IsFinal(*state);
}

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

Result<CurveRecord> ParseCurveLine(const std::string& line, const std::string& where) {
  CAIRN_ASSIGN_OR_RETURN(nlohmann::json obj, ParseJsonText(line, where));
  if (!obj.is_object()) return InvalidArgument(where + ": expected a JSON object");
  CurveRecord rec;
  CAIRN_ASSIGN_OR_RETURN(rec.id, RequireString(obj, "id", where));
  CAIRN_ASSIGN_OR_RETURN(rec.metric, RequireString(obj, "metric", where));
  CAIRN_ASSIGN_OR_RETURN(std::string mode, RequireString(obj, "mode", where));
  auto direction = ParseDirection(mode);
  if (!direction) {
    return FieldError(where, "mode", "expected \"max\" or \"min\" (or maximize, minimize), got \"" + mode + "\"");
  }
  rec.direction = *direction;
  if (auto it = obj.find("params"); it != obj.end()) {
    auto params = ParamsFromJson(*it);
    if (!params.ok()) return FieldError(where, "params", params.status().message());
    rec.params = std::move(*params);
  }
  CAIRN_ASSIGN_OR_RETURN(rec.values, ParseValues(obj, where));
  CAIRN_ASSIGN_OR_RETURN(rec.seconds, ParseSeconds(obj, rec.values.size(), where));
  CAIRN_ASSIGN_OR_RETURN(rec.steps, ParseSteps(obj, rec.values.size(), where));
  CAIRN_TRY(ParseBounds(obj, where, rec));
  if (auto it = obj.find("state"); it != obj.end() && !(it->is_string() && IsEndState(it->get<std::string>()))) {
    return FieldError(where, "state",
                      "expected a trial state (completed, stopped, failed, interrupted, lost), got " + Shorten(*it));
  }
  for (auto& [key, value] : obj.items()) {
    if (!IsKnownField(key)) rec.extra[key] = std::move(value);
  }
  return rec;
}

Status CheckOneTask(const std::vector<CurveRecord>& curves, const std::string& file) {
  if (curves.empty()) return InvalidArgument(file + ": no curves");
  for (const auto& c : curves) {
    if (c.metric != curves[0].metric || c.direction != curves[0].direction) {
      const std::string at = c.line > 0 ? fmt::format("{}:{}", file, c.line) : file;
      return InvalidArgument(fmt::format(
          "{}: curve '{}' has metric {} ({}) but the first curve has {} ({}); one task per file",
          at, c.id, c.metric, DirectionName(c.direction), curves[0].metric,
          DirectionName(curves[0].direction)));
    }
    if (c.lower_bound != curves[0].lower_bound || c.upper_bound != curves[0].upper_bound) {
      // The rules and fits take one range for the metric.
      const std::string at = c.line > 0 ? fmt::format("{}:{}", file, c.line) : file;
      auto side = [](std::optional<double> b) { return b ? fmt::format("{}", *b) : std::string("null"); };
      return InvalidArgument(fmt::format("{}: curve '{}' has bounds [{}, {}] but the first curve has [{}, {}]; one "
                                         "range per file",
                                         at, c.id, side(c.lower_bound), side(c.upper_bound),
                                         side(curves[0].lower_bound), side(curves[0].upper_bound)));
    }
  }
  return Status::Ok();
}

bool RanToItsEnd(const CurveRecord& record) {
  auto it = record.extra.find("state");
  return it == record.extra.end() || !it->is_string() || *it == "completed";
}

Result<std::vector<CurveRecord>> ReadCurvesFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument(fmt::format("{}: is a folder, not a curve file", path.string()));
  }
  if (!std::filesystem::exists(path, ec)) return NotFound(fmt::format("{}: no such curve file", path.string()));
  // gzopen reads plain files transparently, so one reader serves both forms.
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f) return IoError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  gzbuffer(f.get(), 1 << 17);
  std::vector<CurveRecord> out;
  std::unordered_map<std::string, int> line_of_id;
  std::string line;
  bool error = false, disk_error = false, nul = false;
  int lineno = 1;
  for (; ReadLine(f.get(), line, error, disk_error, nul); ++lineno) {
    if (IsBlank(line)) continue;
    const std::string where = fmt::format("{}:{}", path.string(), lineno);
    auto rec = ParseCurveLine(line, where);
    if (!rec.ok()) return rec.status();
    // One configuration may carry several metrics (plot picks one), but
    // one id twice for a metric would make orders and lookups ambiguous.
    if (auto [it, fresh] = line_of_id.emplace(rec->metric + '\n' + rec->id, lineno); !fresh) {
      return FieldError(where, "id", fmt::format("'{}' with metric {} is already on line {}; an id is "
                                                 "unique within a metric", rec->id, rec->metric, it->second));
    }
    rec->line = lineno;
    out.push_back(std::move(*rec));
  }
  if (nul) {
    return InvalidArgument(fmt::format("{}:{}: a NUL byte in the line; expected text (JSON Lines, or gzip of it)",
                                       path.string(), lineno));
  }
  if (disk_error) return IoError(fmt::format("{}: read error: {}", path.string(), std::strerror(errno)));
  if (error) return InvalidArgument(path.string() + ": truncated or corrupt gzip data");
  return out;
}

nlohmann::json CurveRecordToJson(const CurveRecord& r) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = r.id;
  j["params"] = ParamsToJson(r.params);
  j["metric"] = r.metric;
  j["mode"] = CurveModeName(r.direction);
  nlohmann::json values = nlohmann::json::array();
  for (double v : r.values) values.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json());
  j["values"] = std::move(values);
  j["seconds"] = r.seconds.empty() ? nlohmann::json() : nlohmann::json(r.seconds);
  if (!r.steps.empty()) j["steps"] = r.steps;
  if (r.lower_bound || r.upper_bound) {
    j["bounds"] = {r.lower_bound ? nlohmann::json(*r.lower_bound) : nlohmann::json(),
                   r.upper_bound ? nlohmann::json(*r.upper_bound) : nlohmann::json()};
  }
  if (r.extra.is_object()) {
    for (const auto& [key, value] : r.extra.items()) {
      if (!IsKnownField(key)) j[key] = value;
    }
  }
  return j;
}

Status WriteCurvesFile(const std::filesystem::path& path, const std::vector<CurveRecord>& records) {
  std::string text;
  for (const auto& r : records) {
    // Invalid UTF-8 in ids or extra fields is replaced rather than thrown.
    text += CurveRecordToJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
  }
  const std::string name = path.string();
  std::string ending = name.substr(name.size() - std::min<size_t>(3, name.size()));
  std::transform(ending.begin(), ending.end(), ending.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ending == ".gz") {  // also .GZ: a name that says gzip gets gzip
    GzPtr f(gzopen(path.c_str(), "wb"));
    if (!f) return IoError(fmt::format("{}: cannot create: {}", name, std::strerror(errno)));
    if (!text.empty() && gzwrite(f.get(), text.data(), static_cast<unsigned>(text.size())) <= 0) {
      return IoError(name + ": write failed");
    }
    if (gzclose(f.release()) != Z_OK) return IoError(name + ": write failed on close");
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError(fmt::format("{}: cannot create: {}", name, std::strerror(errno)));
  out << text;
  out.close();
  if (!out) return IoError(name + ": write failed");
  return Status::Ok();
}

SearchSpace SpaceOfCurves(const std::vector<CurveRecord>& curves) {
  std::vector<Params> configurations;
  configurations.reserve(curves.size());
  for (const CurveRecord& curve : curves) configurations.push_back(curve.params);
  return SpaceOfParams(configurations);
}

}  // namespace cairn
