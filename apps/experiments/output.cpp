#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "ayslab/error.hpp"

namespace ayslab::app {

namespace {
// The temporary file being written, so a signal handler can remove it (no partial file is left).
char pending_tmp[4096] = {};
}  // namespace

const char* pending_temporary_file() { return pending_tmp; }

void write_json_atomically(const std::filesystem::path& path, const nlohmann::json& document) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (path.has_parent_path()) {
        fs::create_directories(path.parent_path(), ec);
        if (ec)
            throw InputError(
                fmt::format("cannot create directory '{}': {}", path.parent_path().string(), ec.message()));
    }
    const fs::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
    const std::string tmp_name = tmp.string();
    if (tmp_name.size() < sizeof(pending_tmp))
        std::copy(tmp_name.c_str(), tmp_name.c_str() + tmp_name.size() + 1, pending_tmp);
    struct Clear {
        ~Clear() { pending_tmp[0] = '\0'; }
    } clear;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw InputError(fmt::format("cannot write '{}'", tmp.string()));
        out << document.dump(2) << '\n';
        out.flush();
        if (!out) {
            fs::remove(tmp, ec);
            throw InputError(fmt::format("writing '{}' failed", tmp.string()));
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw InputError(fmt::format("cannot move the result into '{}'", path.string()));
    }
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
