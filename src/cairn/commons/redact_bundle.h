// Keeping secrets out of what `cairn export` writes.
#pragma once

#include <nlohmann/json.hpp>

#include "cairn/status.h"

namespace cairn::commons {

// Rewrites, in place, every place a bundle holds a study file or a command
// line: the study's spec_yaml and spec_json (env, command), the earlier
// files a resume kept (attrs.earlier_specs) and each trial's argv. Env
// values named like a secret and the value of an option named like one
// become "<redacted>"; URLs lose their credentials (RedactEnv, RedactArgv).
// The trials' recorded environments were redacted when captured. Applying
// it twice changes nothing more. Fails only on a study file it cannot edit.
Status RedactBundleSecrets(nlohmann::json& bundle);

}  // namespace cairn::commons
