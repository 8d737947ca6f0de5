// ExportBundle / ImportBundle / ReadBundleFile: the lossless bundle.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cairn/ark.h"
#include "cairn/clock.h"
#include "cairn/capture.h"
#include "cairn/commons/bundle_codec.h"
#include "cairn/export.h"
#include "cairn/json_text.h"
#include "cairn/spec.h"

namespace cairn {
namespace {

using nlohmann::json;
using commons::CollectBlobRefs;

// Adds every blob the records reference; unknown hashes go to missing_blobs.
Status AddBlobs(Store& store, const json& study, const json& trials, json* bundle) {
  std::map<std::string, std::string> refs;
  CollectBlobRefs(commons::StudyContext(study), &refs);
  for (const auto& t : trials) CollectBlobRefs(t["attrs"].value("context", json()), &refs);
  json blobs = json::object();
  json missing = json::array();
  for (const auto& [hash, kind] : refs) {
    auto body = store.GetBlob(hash);
    if (body.ok()) {
      blobs[hash] = {{"kind", kind}, {"body", *body}};
    } else if (body.status().code() == StatusCode::kNotFound) {
      missing.push_back(hash);
    } else {
      return body.status().WithContext("export blob " + hash);
    }
  }
  (*bundle)["blobs"] = std::move(blobs);
  if (!missing.empty()) (*bundle)["missing_blobs"] = std::move(missing);
  return Status::Ok();
}

struct DecodedTrial {
  TrialRecord record;
  std::vector<MetricPoint> metrics;
};

struct DecodedBundle {
  StudyRecord study;
  std::optional<StudySpec> spec;  // the study file, when it has one
  std::vector<DecodedTrial> trials;
  std::vector<Blob> blobs;
};

Status CheckHeader(const json& bundle) {
  if (!bundle.is_object() || bundle.value("format", "") != "cairn-bundle") {
    return InvalidArgument("not a Cairn bundle: field 'format' must be \"cairn-bundle\"");
  }
  auto version = bundle.find("version");
  if (version == bundle.end() || !version->is_number_integer()) {
    return InvalidArgument("bundle: field 'version': expected an integer");
  }
  if (version->get<int>() != kBundleVersion) {
    return InvalidArgument(fmt::format("bundle version {} is not supported (this Cairn reads version {})",
                                       version->get<int>(), kBundleVersion));
  }
  return Status::Ok();
}

Result<std::vector<Blob>> DecodeBlobs(const json& bundle) {
  std::vector<Blob> out;
  auto blobs = bundle.find("blobs");
  if (blobs == bundle.end()) return out;
  if (!blobs->is_object()) return InvalidArgument("bundle: field 'blobs': expected an object");
  for (auto it = blobs->begin(); it != blobs->end(); ++it) {
    const json& b = it.value();
    if (!b.is_object() || !b.contains("body") || !b.value("kind", json()).is_string()) {
      return InvalidArgument("bundle: blob " + it.key() + ": expected {kind, body}");
    }
    Blob blob{it.key(), b["kind"].get<std::string>(), b["body"]};
    // Blobs are content-addressed: a body that does not hash to its name
    // was edited or damaged, and would poison the store's dedup.
    if (ContentHash(blob.body) != blob.hash) {
      return InvalidArgument("bundle: blob " + it.key() + ": its body does not hash to its name");
    }
    out.push_back(std::move(blob));
  }
  return out;
}

// The study file must be the one the rest of the record describes: a
// resume or `reproduce` runs from it, and refuses a study whose objective,
// command or space it contradicts (an edited bundle could pass otherwise).
Status SpecAgrees(const StudyRecord& study, const StudySpec& spec) {
  const std::string where = "bundle study '" + study.name + "': field 'spec_yaml'";
  if (spec.metric != study.objective || spec.direction != study.direction) {
    return InvalidArgument(fmt::format("{}: its objective is {} ({}) but the study's is {} ({})", where, spec.metric,
                                       DirectionName(spec.direction), study.objective,
                                       DirectionName(study.direction)));
  }
  const json now = spec.ToJson();
  for (const char* key : {"command", "space"}) {
    if (study.spec_json.is_object() && study.spec_json.contains(key) && study.spec_json[key] != now[key]) {
      return InvalidArgument(fmt::format("{}: its {} is {} but field 'spec_json' has {}", where, key,
                                         now[key].dump(), study.spec_json[key].dump()));
    }
  }
  return Status::Ok();
}

Result<DecodedBundle> Decode(const json& bundle) {
  CAIRN_TRY(CheckHeader(bundle));
  DecodedBundle out;
  CAIRN_ASSIGN_OR_RETURN(out.study, commons::StudyFromBundle(bundle.value("study", json())));
  // An identifier others may cite: a well-formed ARK whose check character
  // holds (trial identifiers derive from it), or none.
  if (!out.study.ark.empty()) {
    if (Status valid = ValidateArk(out.study.ark); !valid.ok()) {
      return InvalidArgument(fmt::format("bundle study '{}': field 'ark': {}", out.study.name, valid.message()));
    }
  }
  // `reproduce` and resuming run from the recorded study file: it must be one.
  if (!out.study.spec_yaml.empty()) {
    auto parsed = ParseStudyText(out.study.spec_yaml, "spec_yaml", std::filesystem::temp_directory_path());
    if (!parsed.ok()) return parsed.status().WithContext("bundle study '" + out.study.name + "': field 'spec_yaml'");
    CAIRN_TRY(SpecAgrees(out.study, *parsed));
    out.spec = std::move(*parsed);
  }
  const json& trials = bundle.value("trials", json());
  if (!trials.is_array()) return InvalidArgument("bundle: field 'trials': expected a list");
  const json& metrics = bundle.value("metrics", json::object());
  if (!metrics.is_object()) return InvalidArgument("bundle: field 'metrics': expected an object");
  std::set<int> numbers;
  for (const auto& t : trials) {
    DecodedTrial trial;
    CAIRN_ASSIGN_OR_RETURN(trial.record, commons::TrialFromBundle(t));
    int number = trial.record.number;
    if (!numbers.insert(number).second) {
      return InvalidArgument(fmt::format("bundle: trial number {} appears twice", number));
    }
    // A trial's identifier is its study's plus its number: another one
    // would name some other trial (or two trials alike).
    if (!out.study.ark.empty() && trial.record.ark != TrialArk(out.study.ark, number)) {
      return InvalidArgument(fmt::format("bundle trial {}: field 'ark': expected \"{}\" (the study's ARK and the "
                                         "trial's number), got \"{}\"",
                                         number, TrialArk(out.study.ark, number), trial.record.ark));
    }
    // Without a study ARK there is nothing a trial's could derive from: one
    // given anyway could name any trial, or several.
    if (out.study.ark.empty() && !trial.record.ark.empty()) {
      return InvalidArgument(fmt::format("bundle trial {}: field 'ark': expected none, as the study has no ARK "
                                         "(field 'study.ark' is empty), got \"{}\"",
                                         number, trial.record.ark));
    }
    if (auto m = metrics.find(std::to_string(number)); m != metrics.end()) {
      CAIRN_ASSIGN_OR_RETURN(trial.metrics,
                             commons::MetricsFromBundle(*m, fmt::format("bundle metrics of trial {}", number)));
    }
    out.trials.push_back(std::move(trial));
  }
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    if (!numbers.count(std::atoi(it.key().c_str())) || std::to_string(std::atoi(it.key().c_str())) != it.key()) {
      return InvalidArgument("bundle: field 'metrics': key '" + it.key() + "' names no trial of the bundle");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(out.blobs, DecodeBlobs(bundle));
  return out;
}

}  // namespace

namespace commons {
Status ValidateBundle(const json& bundle) { return Decode(bundle).status(); }
}  // namespace commons

Result<json> ExportBundle(Store& store, const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(StudyRecord study, store.GetStudy(name));
  CAIRN_ASSIGN_OR_RETURN(auto trials, store.ListTrials(study.id));
  json bundle = {{"format", "cairn-bundle"}, {"version", kBundleVersion}};
  bundle["study"] = commons::StudyToBundle(study);
  json trial_list = json::array();
  json metrics = json::object();
  for (const auto& t : trials) {
    trial_list.push_back(commons::TrialToBundle(t));
    CAIRN_ASSIGN_OR_RETURN(auto points, store.ReadMetrics({t.id, std::nullopt}));
    if (!points.empty()) metrics[std::to_string(t.number)] = commons::MetricsToBundle(std::move(points));
  }
  bundle["trials"] = std::move(trial_list);
  bundle["metrics"] = std::move(metrics);
  CAIRN_TRY(AddBlobs(store, bundle["study"], bundle["trials"], &bundle));
  return bundle;
}

namespace {

// An identifier names one study: a copy of a study into a store that holds
// the original (`import --as` of its own export) gets identifiers of its
// own, and says whose copy it is.
Status GiveACopyItsOwnArks(Store& store, StudyRecord& study, std::vector<DecodedTrial>& trials) {
  if (study.ark.empty()) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(auto studies, store.ListStudies());
  if (std::none_of(studies.begin(), studies.end(), [&](const StudyRecord& s) { return s.ark == study.ark; })) {
    return Status::Ok();
  }
  if (!study.attrs.is_object()) study.attrs = json::object();
  study.attrs["copy_of"] = study.ark;
  study.ark = MintStudyArk(ArkOptionsFromEnv(), fmt::format("{}|copy of {}|{}", study.name, study.ark,
                                                            RealClock::Default()->WallTime()));
  for (auto& trial : trials) {
    if (!trial.record.ark.empty()) trial.record.ark = TrialArk(study.ark, trial.record.number);
  }
  return Status::Ok();
}

// What `show` lists and `reproduce` runs: parameters the study's space
// could have given, or an edited value would be run as if recorded. (Only
// for imports: the other formats describe a store's records as they are.)
Status ParamsFitTheSpace(const DecodedBundle& decoded) {
  if (!decoded.spec) return Status::Ok();
  for (const DecodedTrial& trial : decoded.trials) {
    if (Status valid = decoded.spec->space.Validate(trial.record.params); !valid.ok()) {
      return InvalidArgument(fmt::format("bundle trial {}: field 'params': {} (the study file's space)",
                                         trial.record.number, valid.message()));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ImportBundle(Store& store, const json& bundle, const ImportOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(DecodedBundle decoded, Decode(bundle));
  CAIRN_TRY(ParamsFitTheSpace(decoded));
  StudyRecord& study = decoded.study;
  if (!options.rename_to.empty()) study.name = options.rename_to;
  if (!IsValidStudyName(study.name)) {
    // A bad --as needs another --as; a bad name in the bundle needs one at all.
    return InvalidArgument(fmt::format("{} '{}' has characters outside [A-Za-z0-9_.-] or is . or ..; {}",
                                       options.rename_to.empty() ? "the bundle's study name" : "--as", study.name,
                                       options.rename_to.empty() ? "import it under another name (--as NAME)"
                                                                 : "give a name of letters, digits, '_', '.', '-'"));
  }
  auto existing = store.GetStudy(study.name);
  if (existing.ok()) {
    return AlreadyExists(fmt::format("study '{}' already exists in {}; import it under another name (--as NAME)",
                                     study.name, store.Url()));
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  CAIRN_TRY(GiveACopyItsOwnArks(store, study, decoded.trials));
  // One transaction: an import cut short (an error, Ctrl-C) leaves no
  // half study that looks whole and blocks the name for a retry.
  return store.Atomically([&]() -> Status {
    for (const Blob& b : decoded.blobs) {
      CAIRN_TRY(store.PutBlob(b.hash, b.kind, b.body).WithContext("import blob " + b.hash));
    }
    CAIRN_ASSIGN_OR_RETURN(study.id, store.CreateStudy(study));
    for (auto& trial : decoded.trials) {
      trial.record.study_id = study.id;
      CAIRN_ASSIGN_OR_RETURN(trial.record.id, store.CreateTrial(trial.record));
      if (trial.metrics.empty()) continue;
      for (auto& p : trial.metrics) p.trial_id = trial.record.id;
      CAIRN_TRY(store.AppendMetrics(trial.metrics)
                    .WithContext(fmt::format("import metrics of trial {}", trial.record.number)));
    }
    return Status::Ok();
  });
}

Result<json> ReadBundleFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    // An RO-Crate or PROV export is a folder, and a record for reading, not
    // a bundle to load.
    return InvalidArgument(fmt::format(
        "{} is a folder; import takes the JSON bundle that `cairn export STUDY --format json -o FILE` writes "
        "(an RO-Crate, PROV or model-card export cannot be imported)",
        path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read bundle " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  // A truncated or edited bundle is named with where the JSON breaks.
  return ParseJsonText(text.str(), path.string());
}

}  // namespace cairn
