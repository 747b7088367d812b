#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ayslab/io/atomic_file.hpp"

namespace ayslab::app {

void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& document) {
    write_text_atomically(path, "result", document.dump(2) + '\n');
}

std::string human_report(const nlohmann::json& doc) {
    std::string out = fmt::format("== {} (seed {}) ==\n", doc.at("experiment").get<std::string>(),
                                  doc.at("seed").get<std::uint64_t>());
    for (const auto& line : doc.at("summary")) out += line.get<std::string>() + "\n";
    std::size_t passed = 0, total = 0;
    for (const auto& c : doc.at("checks")) {
        ++total;
        if (c.at("passed").get<bool>()) {
            ++passed;
            continue;
        }
        std::string extra;
        if (c.contains("standard_error")) extra = fmt::format(" (z = {:.2f})", c.at("z").get<double>());
        out += fmt::format("FAILED {}: expected {:.10g}, measured {:.10g}, tolerance {:.3g} {}{}\n",
                           c.at("name").get<std::string>(), c.at("expected").get<double>(),
                           c.at("measured").get<double>(), c.at("tolerance").get<double>(),
                           c.at("criterion").get<std::string>(), extra);
    }
    out += fmt::format("checks: {} passed, {} failed; wall time {:.2f} s\n", passed, total - passed,
                       doc.at("run").at("wall_time_s").get<double>());
    return out;
}

}  // namespace ayslab::app
