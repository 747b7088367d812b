// Reading a whole input file, regular files only: a FIFO would block in open() forever and a device
// such as /dev/zero would be read forever, so both are refused before they are opened.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace ayslab {

// The file's bytes. InputError naming `what` (e.g. "schedule file") and the path when it is missing,
// unreadable, or exists but is not a regular file (after links).
std::string read_regular_file(const std::filesystem::path& path, std::string_view what);

// InputError as above when `path` exists and is not a regular file; nothing when it does not exist.
void refuse_non_regular(const std::filesystem::path& path, std::string_view what);

}  // namespace ayslab
