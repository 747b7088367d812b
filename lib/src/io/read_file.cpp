#include "ayslab/io/read_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "ayslab/error.hpp"

namespace ayslab {

void refuse_non_regular(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
        throw InputError(fmt::format("{} '{}' is not a regular file", what, path.string()));
}

std::string read_regular_file(const std::filesystem::path& path, std::string_view what) {
    refuse_non_regular(path, what);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(fmt::format("cannot open {} '{}'", what, path.string()));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace ayslab
