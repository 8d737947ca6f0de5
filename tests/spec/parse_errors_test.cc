// Each class of mistake in a study file is reported at its exact line:column.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/spec.h"

namespace cairn {
namespace {

// Joins lines so that line N of the document is lines[N-1].
std::string Doc(std::initializer_list<const char*> lines) {
  std::string out;
  for (const char* line : lines) out += std::string(line) + "\n";
  return out;
}

struct ErrorCase {
  const char* label;
  std::string text;
  const char* position;  // "LINE:COLUMN"
  const char* says;      // a part of the message
};

class ParseErrorsTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorsTest, ReportsPositionAndCause) {
  const ErrorCase& c = GetParam();
  auto spec = ParseStudyText(c.text, "s.yaml", "/base");
  ASSERT_FALSE(spec.ok()) << c.label << ": parsed but should not";
  const Status& status = spec.status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  const std::string& m = status.message();
  EXPECT_EQ(m.rfind(std::string("s.yaml:") + c.position + ": ", 0), 0u) << c.label << ": " << m;
  EXPECT_NE(m.find(c.says), std::string::npos) << c.label << ": " << m;
  EXPECT_NE(m.find("; expected "), std::string::npos) << c.label << ": " << m;
}

// The head of a valid study; cases append to it or replace lines of it.
#define HEAD                                                  \
  "name: t", "command: [prog, \"{lr}\"]", "space:",           \
      "  lr: {type: float, low: 0.001, high: 0.1, log: true}", \
      "  opt: {type: categorical, choices: [sgd, adam]}"

const ErrorCase kCases[] = {
    {"yaml syntax", Doc({"name: t", "command: [a, b", "space: {}"}), "3:6", "valid YAML"},
    {"bad indentation", Doc({"name: t", "  command: [a]"}), "2:10", "valid YAML"},
    {"empty file", "# nothing\n", "1:1", "empty"},
    {"two documents", Doc({HEAD, "objective: {metric: acc}", "---", "name: u"}), "8:1", "second YAML document"},
    {"not a map", Doc({"- a", "- b"}), "1:1", "the study file is a list"},
    {"unknown top key", Doc({HEAD, "objective: {metric: acc}", "sampeler: tpe"}), "7:1",
     "unknown key 'sampeler' in the study file (did you mean 'sampler'?)"},
    {"unknown budget key", Doc({HEAD, "objective: {metric: acc}", "budget: {trails: 3}"}), "7:10",
     "did you mean 'trials'?"},
    {"unknown key, nothing close", Doc({HEAD, "objective: {metric: acc}", "budget: {zzzzzz: 3}"}), "7:10",
     "unknown key 'zzzzzz' in 'budget'; expected one of trials, parallel"},
    {"unknown parameter key", Doc({"name: t", "command: [p]", "space:", "  lr: {type: float, low: 0, hihg: 1}"}),
     "4:29", "did you mean 'high'?"},
    {"duplicate key", Doc({HEAD, "objective: {metric: acc}", "name: u"}), "7:1", "duplicate key 'name'"},
    {"a step too fine for a grid",
     Doc({HEAD, "  p: {type: float, low: 0, high: 1, step: 1e-300}", "objective: {metric: acc}"}), "6:43",
     "a step of at least (high - low) / 1e15"},
    {"tab indentation", Doc({"name: t", "space:", "\tx: {type: float, low: 0, high: 1}"}), "3:3",
     "line 3 is indented with a tab: YAML indents with spaces"},
    {"a budget past int64", Doc({HEAD, "objective: {metric: acc}", "budget: {trials: 99999999999999999999}"}),
     "7:18", "is 99999999999999999999; expected an integer from 1 below 1000000000"},
    {"a NUL byte", std::string("name: t\ncommand: [prog, \"x") + '\0' + "y\"]\n", "2:19", "a NUL byte"},
    // Escaped, a NUL reaches the parsed strings: the program would get less
    // than the record says.
    {"an escaped NUL in the command", Doc({"name: t", "command: [prog, \"x\\0 y\"]"}), "2:17",
     "an element of 'command' in the study file holds a NUL character; expected text without a NUL character"},
    {"an escaped NUL in env", Doc({HEAD, "objective: {metric: acc}", "env: {A: \"a\\u0000b\"}"}), "7:10",
     "'A' in 'env' holds a NUL character"},
    {"an escaped NUL in a choice", Doc({HEAD, "  p: {type: categorical, choices: [\"a\\x00b\", a]}",
                                       "objective: {metric: acc}"}),
     "6:36", "a choice of parameter 'p' holds a NUL character"},
    {"a conditional program", Doc({"name: t", "command: [\"{py}\", \"-c\", \"1\"]", "space:",
                                   "  opt: {type: categorical, choices: [sgd, adam]}",
                                   "  py: {type: categorical, choices: [python3], when: {opt: sgd}}",
                                   "objective: {metric: acc}"}),
     "2:11", "the program is conditional parameter '{py}', which is left out when inactive"},
    {"not UTF-8", Doc({"name: t", "# caf\xe9", "command: [prog]"}), "2:6", "byte 0xE9, which is not UTF-8"},
    {"a cut UTF-8 character", Doc({"name: t\xc3"}), "1:8", "byte 0xC3, which is not UTF-8"},
    {"a non-finite choice", Doc({HEAD, "  p: {type: categorical, choices: [a, .nan]}", "objective: {metric: acc}"}),
     "6:39", "a choice of parameter 'p' is .nan; expected a finite number, or a quoted string"},
    {"a choice past int64", Doc({HEAD, "  p: {type: categorical, choices: [1, -99999999999999999999]}",
                                 "objective: {metric: acc}"}),
     "6:39", "a choice of parameter 'p' is -99999999999999999999, an integer beyond the 64-bit range; expected an "
             "integer from -9223372036854775808 to 9223372036854775807, or a quoted string"},
    {"a non-finite condition value",
     Doc({HEAD, "  p: {type: float, low: 0, high: 1, when: {opt: .inf}}", "objective: {metric: acc}"}), "6:49",
     ".inf"},
    {"missing top key", Doc({HEAD}), "1:1", "missing key 'objective' in the study file"},
    {"missing metric", Doc({HEAD, "objective: {direction: max}"}), "6:12", "missing key 'metric' in 'objective'"},
    {"bounds not a pair", Doc({HEAD, "objective: {metric: acc, bounds: [0, 1, 2]}"}), "6:34", "is not a list of two"},
    {"bound not a number", Doc({HEAD, "objective: {metric: acc, bounds: [0, one]}"}), "6:38",
     "'upper bound' in objective 'bounds' is"},
    {"bounds reversed", Doc({HEAD, "objective: {metric: acc, bounds: [1, 0]}"}), "6:34", "has lower 1 >= upper 0"},
    {"missing key in block map", Doc({HEAD, "objective:", "  direction: max"}), "7:3", "missing key 'metric'"},
    {"missing type", Doc({"name: t", "command: [p]", "space:", "  lr:", "    low: 0", "    high: 1"}), "5:5",
     "missing key 'type' in parameter 'lr'"},
    {"empty value points at key", Doc({"name:", "command: [p]"}), "1:1", "'name' in the study file is nothing"},
    {"bad study name", Doc({"name: my study", "command: [p]"}), "1:7", "outside [A-Za-z0-9_.-]"},
    {"wrong type int", Doc({HEAD, "objective: {metric: acc}", "budget: {trials: many}"}), "7:18",
     "'trials' in 'budget' is 'many'; expected an integer"},
    {"quoted number", Doc({HEAD, "objective: {metric: acc}", "budget: {trials: \"3\"}"}), "7:18", "(quoted)"},
    {"parallel zero", Doc({HEAD, "objective: {metric: acc}", "budget: {parallel: 0}"}), "7:20",
     "'parallel' in 'budget' is 0; expected an integer >= 1"},
    {"bad duration", Doc({HEAD, "objective: {metric: acc}", "budget: {timeout: 10 minutes}"}), "7:19",
     "expected a duration"},
    {"zero timeout", Doc({HEAD, "objective: {metric: acc}", "budget: {timeout: 0s}"}), "7:19", "above 0"},
    {"fractional gpus above one", Doc({HEAD, "objective: {metric: acc}", "resources: {gpus: 1.5}"}), "7:19",
     "'gpus' in 'resources' is 1.5"},
    {"unknown packing", Doc({HEAD, "objective: {metric: acc}", "resources: {packing: tight}"}), "7:22",
     "'packing' in 'resources' is 'tight'; expected none or auto"},
    {"packing auto with a fraction", Doc({HEAD, "objective: {metric: acc}", "resources: {gpus: 0.5, packing: auto}"}),
     "7:19", "packing: auto decides how many trials share a GPU"},
    {"packing margin of one", Doc({HEAD, "objective: {metric: acc}", "resources: {packing: auto, margin: 1}"}),
     "7:36", "a fraction of GPU memory in [0, 1)"},
    {"max_per_gpu zero", Doc({HEAD, "objective: {metric: acc}", "resources: {max_per_gpu: 0}"}), "7:26",
     "an integer >= 1"},
    {"condition on a continuous float", Doc({"name: t", "command: [p]", "space:", "  o: {type: float, low: 0, high: 1}",
                                             "  c: {type: int, low: 1, high: 3, when: {o: 0.5}}"}),
     "5:42", "a float without a step"},
    {"an integer too large", Doc({"name: t", "command: [p]", "space:", "  n: {type: int, low: 0, high: 99999999999999999999}"}),
     "4:32", "(too large); expected an integer between"},
    {"an integer past 2^53", Doc({"name: t", "command: [p]", "space:",
                                  "  n: {type: int, low: 1, high: 9223372036854775807, log: true}"}),
     "4:32", "'high' (9223372036854775807) of parameter 'n' is beyond what a sampler draws exactly; expected an "
             "integer between -9007199254740992 and 9007199254740992 (2^53)"},
    {"margin without packing", Doc({HEAD, "objective: {metric: acc}", "resources: {gpus: 1, margin: 0.2}"}), "7:22",
     "'margin' in 'resources' is set without packing: auto"},
    {"bad direction", Doc({HEAD, "objective: {metric: acc, direction: up}"}), "6:37", "maximize, minimize"},
    {"low >= high", Doc({"name: t", "command: [p]", "space:", "  x: {type: float, low: 0.5, high: 0.5}"}), "4:36",
     "'high' (0.5) of parameter 'x' is not above 'low' (0.5); expected low < high"},
    {"log with low <= 0", Doc({"name: t", "command: [p]", "space:", "  x: {type: float, low: 0, high: 1, log: true}"}),
     "4:25", "expected low > 0 on a log scale"},
    {"log and step", Doc({"name: t", "command: [p]", "space:", "  x: {type: float, low: 1, high: 9, log: true, step: 1}"}),
     "4:48", "not both"},
    {"zero step", Doc({"name: t", "command: [p]", "space:", "  x: {type: int, low: 1, high: 9, step: 0}"}), "4:41",
     "'step' in parameter 'x' is 0"},
    {"int with float bound", Doc({"name: t", "command: [p]", "space:", "  x: {type: int, low: 0.5, high: 9}"}), "4:23",
     "'low' in parameter 'x' is '0.5'; expected an integer"},
    {"unknown type", Doc({"name: t", "command: [p]", "space:", "  x: {type: double, low: 0, high: 1}"}), "4:13",
     "expected float, int or categorical"},
    {"key of another type", Doc({"name: t", "command: [p]", "space:", "  x: {type: categorical, choices: [a], low: 0}"}),
     "4:40", "'low' does not apply to a categorical parameter"},
    {"empty choices", Doc({"name: t", "command: [p]", "space:", "  x: {type: categorical, choices: []}"}), "4:35",
     "an empty list"},
    {"duplicate choice", Doc({"name: t", "command: [p]", "space:", "  x: {type: categorical, choices: [a, b, a]}"}),
     "4:42", "duplicate choice 'a'"},
    {"choices that read the same", Doc({"name: t", "command: [p]", "space:", "  x: {type: categorical, choices: [1, b, \"1\"]}"}),
     "4:42", "duplicate choice '1'"},
    {"a range wider than a double", Doc({"name: t", "command: [p]", "space:", "  x: {type: float, low: -1.0e308, high: 1.0e308}"}),
     "4:41", "wider than a double can hold"},
    {"empty space", Doc({"name: t", "command: [p]", "space: {}"}), "3:8", "'space' has no parameters"},
    {"bad parameter name", Doc({"name: t", "command: [p]", "space:", "  \"a b\": {type: int, low: 0, high: 1}"}), "4:3",
     "not a valid parameter name"},
    {"condition on unknown parameter",
     Doc({HEAD, "  mom: {type: float, low: 0, high: 1, when: {optimizer: sgd}}"}), "6:46",
     "'mom' is conditioned on 'optimizer', which is not defined before it"},
    {"condition on later parameter",
     Doc({"name: t", "command: [p]", "space:", "  mom: {type: float, low: 0, high: 1, when: {opt: sgd}}",
          "  opt: {type: categorical, choices: [sgd]}"}),
     "4:46", "conditioned on 'opt', which is not defined before it"},
    {"condition value not a choice", Doc({HEAD, "  mom: {type: float, low: 0, high: 1, when: {opt: [sgd, adamw]}}"}),
     "6:57", "'adamw' is not a value that 'opt' can take; expected one of sgd, adam"},
    {"condition value off the parent's step",
     Doc({"name: t", "command: [p]", "space:", "  p: {type: int, low: 0, high: 10, step: 5}",
          "  q: {type: int, low: 0, high: 1, when: {p: 3}}"}),
     "5:45", "'3' is not a value that 'p' can take; expected an integer in [0, 10] on its step 5 from 0"},
    {"condition with two parents",
     Doc({HEAD, "  mom: {type: float, low: 0, high: 1, when: {opt: sgd, lr: 0.01}}"}), "6:45", "has 2 keys"},
    {"command as a string", Doc({"name: t", "command: python train.py --lr {lr}"}), "2:10",
     "argv list expected, never a shell string"},
    {"empty command", Doc({"name: t", "command: []", "space:", "  lr: {type: float, low: 0, high: 1}"}), "2:10",
     "'command' has no program"},
    {"unknown placeholder", Doc({"name: t", "command: [prog, --lr, \"{lrr}\"]", "space:",
                                 "  lr: {type: float, low: 0.001, high: 0.1}", "objective: {metric: acc}"}),
     "2:23", "placeholder '{lrr}' names no parameter (did you mean '{lr}'?)"},
    {"unknown placeholder beside a seed parameter",
     Doc({"name: t", "command: [prog, \"{sed}\"]", "space:", "  seed: {type: int, low: 0, high: 9}",
          "objective: {metric: acc}"}),
     "2:17", "expected a parameter of 'space' or one of trial_id, trial_dir, seed, study or trial_number"},
    {"bad braces", Doc({"name: t", "command: [prog, \"{lr\"]", "space:", "  lr: {type: float, low: 0, high: 1}"}),
     "2:17", "unclosed '{'"},
    {"conditional placeholder in mixed element",
     Doc({"name: t", "command: [prog, \"--mom={mom}\"]", "space:", "  opt: {type: categorical, choices: [sgd, adam]}",
          "  mom: {type: float, low: 0, high: 1, when: {opt: sgd}}"}),
     "2:17", "conditional parameter '{mom}' shares its element"},
    {"pattern without named group", Doc({HEAD, "objective: {metric: acc}", "metrics:", "  patterns:",
                                         "    - 'loss (\\d+)'"}),
     "9:7", "pattern 1: metric pattern 'loss (\\d+)' has no named group"},
    {"pattern that does not compile", Doc({HEAD, "objective: {metric: acc}", "metrics:", "  patterns:",
                                           "    - 'acc (?P<acc>[0-9.]+'"}),
     "9:7", "pattern 1: metric pattern 'acc (?P<acc>[0-9.]+' does not compile: missing )"},
    {"unknown pruner", Doc({HEAD, "objective: {metric: acc}", "pruner: medain"}), "7:9",
     "unknown pruner 'medain' (did you mean 'median'?)"},
    {"unknown sampler", Doc({HEAD, "objective: {metric: acc}", "sampler: {name: tpee}"}), "7:17",
     "unknown sampler 'tpee' (did you mean 'tpe'?)"},
    {"pruner map without name", Doc({HEAD, "objective: {metric: acc}", "pruner: {warmup_steps: 3}"}), "7:9",
     "missing key 'name' in 'pruner'"},
    {"unknown executor", Doc({HEAD, "objective: {metric: acc}", "executor: {name: k8s}"}), "7:18",
     "unknown executor 'k8s'"},
    {"slurm pack zero", Doc({HEAD, "objective: {metric: acc}", "executor: {name: slurm, pack: 0}"}), "7:31",
     "'pack' in 'executor' is 0"},
    {"local executor option typo", Doc({HEAD, "objective: {metric: acc}", "executor: {name: local, parse_stder: true}"}),
     "7:25", "unknown option 'parse_stder' of the local executor (did you mean 'parse_stderr'?)"},
    {"local executor drain", Doc({HEAD, "objective: {metric: acc}", "executor: {name: local, drain_s: -1}"}), "7:34",
     "'drain_s' in 'executor' is not a number of seconds >= 0"},
    {"negative seed", Doc({HEAD, "objective: {metric: acc}", "seed: -1"}), "7:7",
     "an integer from 0 to 18446744073709551615"},
    {"a seed past 2^64", Doc({HEAD, "objective: {metric: acc}", "seed: 18446744073709551616"}), "7:7",
     "'seed' in the study file is '18446744073709551616'; expected an integer from 0 to 18446744073709551615"},
    {"env list", Doc({HEAD, "objective: {metric: acc}", "env: {A: [1, 2]}"}), "7:10", "'A' in 'env' is a list"},
    {"bad env name", Doc({HEAD, "objective: {metric: acc}", "env: {1A: x}"}), "7:7", "not an environment variable"},
    {"datasets not a list", Doc({HEAD, "objective: {metric: acc}", "datasets: data/"}), "7:11",
     "expected a list of strings"},
};

INSTANTIATE_TEST_SUITE_P(Mistakes, ParseErrorsTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           std::string name;
                           for (char ch : std::string(info.param.label)) name += std::isalnum(ch) ? ch : '_';
                           return name;
                         });

// The sampler's and the pruner's own options are checked by building them
// while the file is read: a mistake points at the option, not at nothing.
TEST(ParsePluginOptionsTest, AWrongOptionIsReportedWhereItIs) {
  struct Case {
    const char* line;
    const char* position;
    const char* says;
  } cases[] = {
      {"pruner: {name: asha, reduction_factr: 3}", "7:22", "unknown option reduction_factr"},
      {"pruner: {name: asha, reduction_factor: three}", "7:40", "reduction_factor"},
      {"pruner: {name: predictive, p_keep: 2}", "7:36", "p_keep"},
      {"sampler: {name: tpe, n_startup_trails: 3}", "7:22", "unknown option 'n_startup_trails'"},
  };
  for (const Case& c : cases) {
    auto spec = ParseStudyText(Doc({HEAD, "objective: {metric: acc}", c.line}), "s.yaml", "/base");
    ASSERT_FALSE(spec.ok()) << c.line;
    const std::string m = spec.status().message();
    EXPECT_EQ(m.rfind(std::string("s.yaml:") + c.position + ": ", 0), 0u) << c.line << ": " << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << c.line << ": " << m;
  }
  EXPECT_TRUE(ParseStudyText(Doc({HEAD, "objective: {metric: acc}", "pruner: {name: asha, reduction_factor: 4}"}),
                             "s.yaml", "/base")
                  .ok());
}

TEST(ParseErrorSourceTest, SourceNameIsTheGivenOne) {
  auto spec = ParseStudyText("name: [x]\n", "studies/mnist.yaml", "/base");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message().rfind("studies/mnist.yaml:1:7: ", 0), 0u) << spec.status().message();
}

// Paths are recorded as text: one that is not UTF-8 is refused at once,
// rather than stored altered and then not found by reproduce.
TEST(ParseStudyPaths, AWorkFolderThatIsNotUtf8IsRefused) {
  const std::string head =
      "name: t\ncommand: [./train]\nspace: {x: {type: float, low: 0, high: 1}}\n"
      "objective: {metric: loss, direction: minimize}\n";
  auto in_base = ParseStudyText(head, "s.yaml", "/base/\xff\xfe");
  ASSERT_FALSE(in_base.ok());
  EXPECT_NE(in_base.status().message().find("s.yaml: the work folder \"/base/\xef\xbf\xbd\xef\xbf\xbd\" is not UTF-8 "
                                            "text (it is the study file's folder); expected a path of UTF-8 text"),
            std::string::npos)
      << in_base.status().message();
  auto named = ParseStudyText(head + "workdir: code\xff\n", "s.yaml", "/base");
  ASSERT_FALSE(named.ok());
  // Bytes in the file that are not UTF-8 are refused where they stand.
  EXPECT_EQ(named.status().message().rfind("s.yaml:5:14: byte 0xFF, which is not UTF-8", 0), 0u)
      << named.status().message();
  auto data = ParseStudyText(head + "datasets: [ok.csv, d\xff.csv]\n", "s.yaml", "/base");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().message().rfind("s.yaml:5:21: byte 0xFF, which is not UTF-8", 0), 0u)
      << data.status().message();
}

}  // namespace
}  // namespace cairn
