// Result files: written through the one atomic writer (ayslab/io/atomic_file.hpp).
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace ayslab::app {

void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& document);
// A few lines for people: the experiment's summary and every check's verdict.
std::string human_report(const nlohmann::json& document);

}  // namespace ayslab::app
