// JSON read from users (configs, --set values, schedule files, checkpoints), with its nesting depth
// bounded: nlohmann's parser is iterative, but printing or walking a 70 000-deep [[[...]]] recurses and
// overflows the stack. Deeper than max_json_depth is one InputError naming where.
#pragma once
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

namespace ayslab {

inline constexpr int max_json_depth = 64;

// A discarded value (is_discarded()) for malformed JSON, as nlohmann::json::parse(..., false) gives.
nlohmann::json parse_json_input(const std::string& text, const std::string& where);
nlohmann::json parse_json_input(std::istream& in, const std::string& where);

}  // namespace ayslab
