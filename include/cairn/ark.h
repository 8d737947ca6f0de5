// Stable identifiers for studies and trials: ARKs (Archival Resource Keys)
// with NOID-style names and a check character.
//
//   study: ark:/99999/fk4q3v8x2mdk      (NAAN 99999 is the test NAAN; fk4 the shoulder)
//   trial: ark:/99999/fk4q3v8x2mdk/t7   (a qualifier of its study: trial number 7)
//
// The name is drawn from the NOID "betanumeric" alphabet (digits and
// consonants without l, so no look-alikes and no words) and ends in the NOID
// check character, which catches any single wrong character and any swap of
// two adjacent characters. Identifiers are minted once, stored with the
// study, and survive export and import.
#pragma once

#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn {

struct ArkOptions {
  std::string naan = "99999";   // Name Assigning Authority Number (99999: for tests and examples)
  std::string shoulder = "fk4"; // prefix of names minted here
  int name_length = 8;          // random betanumeric characters before the check character
};

// NAAN and shoulder from $CAIRN_ARK_NAAN / $CAIRN_ARK_SHOULDER when set.
ArkOptions ArkOptionsFromEnv();

// Mints a study identifier from `seed_text` (anything unique: the study's
// name, creation time and a random nonce are hashed into the name).
std::string MintStudyArk(const ArkOptions& options, std::string_view seed_text);
// The identifier of trial `number` of the study `study_ark`.
std::string TrialArk(std::string_view study_ark, int number);

// The NOID check character of `text` (e.g. "99999/fk4q3v8x2md").
char NoidCheckChar(std::string_view text);
// Ok when `ark` is "ark:/NAAN/NAME[/qualifier]" and NAME's last character
// is the right check character for "NAAN/NAME-without-it".
Status ValidateArk(std::string_view ark);

}  // namespace cairn
