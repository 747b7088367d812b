// Result files leave only whole: written to a temporary file beside the target, then renamed.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace ayslab::app {

void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& document);
// The temporary file a write is in progress on ("" when none): for signal handlers.
const char* pending_temporary_file();
// A few lines for people: the experiment's summary and every check's verdict.
std::string human_report(const nlohmann::json& document);

}  // namespace ayslab::app
