// Query::Parse, RunQuery (filter, sort, limit) and the result's JSON and
// text forms.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cairn/query.h"
#include "cairn/query/ast.h"
#include "cairn/query/table.h"

namespace cairn {

Result<Query> Query::Parse(std::string_view text) {
  Query q;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<query::Expr> root, query::ParseExpr(text, &q.fields_));
  q.root_ = std::move(root);
  return q;
}

bool Query::Matches(const TrialIndex& index, const IndexedTrial& trial) const {
  std::vector<query::Value> scratch;
  return query::Evaluate(*root_, index, trial, &scratch);
}

namespace {

bool IsStandardColumn(const std::string& f) {
  return f == "study" || f == "number" || f == "state" || f == "value";
}

// Whether a sort key is missing: no value, or a NaN/infinite number (NaN
// compares false both ways and would break the order; both sort last).
bool MissingKey(const std::vector<query::Value>& key) {
  return key.empty() || (key[0].type == query::Value::Type::kNumber && !std::isfinite(key[0].number));
}

// Sorts by `field` (ascending unless `descending`), trials without it last;
// ties keep study, then number order.
void SortTrials(const TrialIndex& index, const query::Field& field, bool descending,
                std::vector<const IndexedTrial*>* trials) {
  std::vector<std::pair<std::vector<query::Value>, const IndexedTrial*>> keyed;
  keyed.reserve(trials->size());
  for (const auto* t : *trials) {
    keyed.emplace_back();
    query::LookupField(field, index, *t, &keyed.back().first);
    keyed.back().second = t;
  }
  std::stable_sort(keyed.begin(), keyed.end(), [descending](const auto& a, const auto& b) {
    const bool a_missing = MissingKey(a.first), b_missing = MissingKey(b.first);
    if (a_missing || b_missing) return !a_missing && b_missing;
    int c = query::CompareForSort(a.first[0], b.first[0]);
    return descending ? c > 0 : c < 0;
  });
  for (size_t i = 0; i < keyed.size(); ++i) (*trials)[i] = keyed[i].second;
}

std::vector<query::Field> ColumnFields(const QueryResult& r) {
  std::vector<query::Field> out;
  for (const auto& c : r.columns) {
    auto f = query::ParseField(c);
    if (f.ok()) out.push_back(std::move(*f));
  }
  return out;
}

nlohmann::json OptionalJson(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json();  // NaN/inf: no value, as status shows it
}

}  // namespace

Result<QueryResult> RunQuery(const TrialIndex& index, std::string_view expr, const QueryOptions& options) {
  if (options.limit < 0) return InvalidArgument(fmt::format("--limit must be 0 or more, not {}", options.limit));
  QueryResult result;
  std::optional<Query> query;
  if (expr.find_first_not_of(" \t\n\r") != std::string_view::npos) {
    CAIRN_ASSIGN_OR_RETURN(query, Query::Parse(expr));
  }
  for (const auto& t : index.trials()) {
    if (!query || query->Matches(index, t)) result.trials.push_back(&t);
  }
  std::stable_sort(result.trials.begin(), result.trials.end(), [&](const IndexedTrial* a, const IndexedTrial* b) {
    const std::string& sa = index.study_of(*a).record.name;
    const std::string& sb = index.study_of(*b).record.name;
    return sa != sb ? sa < sb : a->record.number < b->record.number;
  });
  if (query) {
    for (const auto& f : query->fields()) {
      if (!IsStandardColumn(f)) result.columns.push_back(f);
    }
  }
  if (!options.sort.empty()) {
    bool descending = options.sort[0] == '-';
    std::string name = descending ? options.sort.substr(1) : options.sort;
    auto field = query::ParseField(name);
    if (!field.ok()) return InvalidArgument("--sort: " + field.status().message());
    SortTrials(index, *field, descending, &result.trials);
    if (!IsStandardColumn(name) && std::find(result.columns.begin(), result.columns.end(), name) == result.columns.end()) {
      result.columns.push_back(name);
    }
  }
  result.matched = static_cast<int>(result.trials.size());
  if (options.limit > 0 && result.trials.size() > static_cast<size_t>(options.limit)) {
    result.trials.resize(options.limit);
  }
  return result;
}

nlohmann::json QueryResultJson(const TrialIndex& index, const QueryResult& result) {
  auto fields = ColumnFields(result);
  nlohmann::json out = nlohmann::json::array();
  std::vector<query::Value> values;
  for (const auto* t : result.trials) {
    const TrialRecord& r = t->record;
    nlohmann::json cols = nlohmann::json::object();
    for (const auto& f : fields) {
      values.clear();
      query::LookupField(f, index, *t, &values);
      cols[f.text] = query::ValuesToJson(values);
    }
    out.push_back({{"study", index.study_of(*t).record.name}, {"number", r.number}, {"id", r.id},
                   {"ark", r.ark}, {"state", std::string(TrialStateName(r.state))},
                   {"value", OptionalJson(r.value)}, {"steps", r.steps}, {"params", ParamsToJson(r.params)},
                   {"created_at", r.created_at}, {"started_at", OptionalJson(r.started_at)},
                   {"ended_at", OptionalJson(r.ended_at)}, {"end_reason", r.end_reason},
                   {"fields", std::move(cols)}});
  }
  return out;
}

std::string RenderQueryTable(const TrialIndex& index, const QueryResult& result) {
  auto fields = ColumnFields(result);
  std::vector<std::string> header = {"study", "number", "state", "value"};
  for (const auto& f : fields) header.push_back(f.text);
  query::Table table(header);
  std::vector<query::Value> values;
  for (const auto* t : result.trials) {
    const TrialRecord& r = t->record;
    std::vector<std::string> row = {index.study_of(*t).record.name, std::to_string(r.number),
                                    std::string(TrialStateName(r.state)),
                                    r.value && std::isfinite(*r.value) ? query::FormatNumber(*r.value) : "-"};
    for (const auto& f : fields) {
      values.clear();
      query::LookupField(f, index, *t, &values);
      std::string cell;
      for (const auto& v : values) {
        if (!cell.empty()) cell += ",";
        if (v.type != query::Value::Type::kNumber) {
          cell += query::ValueToString(v);
        } else {
          cell += f.IsDate() ? query::FormatDate(v.number) : query::FormatNumber(v.number);
        }
      }
      row.push_back(cell.empty() ? "-" : cell);
    }
    table.AddRow(std::move(row));
  }
  std::string out = table.Render();
  if (result.matched > static_cast<int>(result.trials.size())) {
    out += fmt::format("({} of {} matching trials shown)\n", result.trials.size(), result.matched);
  } else {
    out += fmt::format("({} matching trial{})\n", result.matched, result.matched == 1 ? "" : "s");
  }
  return out;
}

}  // namespace cairn
