#include "ayslab/io/atomic_file.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <system_error>

#include "ayslab/error.hpp"

namespace ayslab {

namespace {
// The temporary file being written, so a signal handler can remove it. Writes happen on one thread
// (rank 0's main thread); the buffer is plain chars so a handler can read it without locks.
char pending_tmp[4096] = {};
std::atomic<std::uint64_t> write_counter{0};

std::string quoted(const std::filesystem::path& p) { return fmt::format("'{}'", p.string()); }
}  // namespace

const char* pending_temporary_file() noexcept { return pending_tmp; }

void create_parent_folders(const std::filesystem::path& path, std::string_view what) {
    namespace fs = std::filesystem;
    const fs::path parent = path.parent_path();
    if (parent.empty()) return;
    std::error_code ec;
    if (fs::is_directory(parent, ec)) return;
    fs::create_directories(parent, ec);
    if (ec || !fs::is_directory(parent))
        throw InputError(fmt::format("cannot create the folder '{}' for the {} {}: {}", parent.string(), what,
                                     quoted(path), ec ? ec.message() : "not a folder"));
}

void check_writable_target(const std::filesystem::path& path, std::string_view what) {
    namespace fs = std::filesystem;
    if (path.empty()) throw InputError(fmt::format("no file name given for the {}", what));
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) {
        // A symbolic link is followed to what it names: that must be a regular file too.
        const auto followed = fs::status(path, ec);
        if (ec || !fs::is_regular_file(followed))
            throw InputError(fmt::format("will not write the {} over {}: it exists and is not a regular file",
                                         what, quoted(path)));
    }
    // The write goes to a temporary file beside the target: probe that folder with one now.
    create_parent_folders(path, what);
    const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const fs::path probe = folder / fmt::format(".ayslab-probe-{}-{}", ::getpid(), write_counter++);
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        const std::error_code why(errno, std::generic_category());
        throw InputError(fmt::format("cannot write the {} {}: its folder '{}' is not writable ({})", what,
                                     quoted(path), folder.string(), why.message()));
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

void write_file_atomically(const std::filesystem::path& path, std::string_view what,
                           const std::function<void(std::ostream&)>& write) {
    namespace fs = std::filesystem;
    check_writable_target(path, what);
    std::error_code ec;
    const auto status = fs::symlink_status(path, ec);  // not_found (with ec set) when absent
    const bool exists = fs::exists(status);
    create_parent_folders(path, what);
    // Through a symbolic link, the file it names is replaced (the link stays).
    fs::path target = path;
    if (exists && fs::is_symlink(status)) {
        target = fs::canonical(path, ec);
        if (ec)
            throw InputError(fmt::format("cannot resolve the {} path {}: {}", what, quoted(path), ec.message()));
    }
    // NAME.tmp-PID-N beside the target; a name too long for that (NAME_MAX 255) gets a short hidden one.
    const auto suffix = fmt::format(".tmp-{}-{}", ::getpid(), write_counter++);
    const fs::path tmp = target.filename().string().size() + suffix.size() <= 255
                             ? fs::path(target.string() + suffix)
                             : target.parent_path() / (".ayslab" + suffix);
    const std::string tmp_name = tmp.string();
    if (tmp_name.size() < sizeof(pending_tmp))
        std::copy(tmp_name.c_str(), tmp_name.c_str() + tmp_name.size() + 1, pending_tmp);
    struct Clear {
        ~Clear() { pending_tmp[0] = '\0'; }
    } clear;
    auto fail = [&](const std::string& message) {
        fs::remove(tmp, ec);
        throw InputError(message);
    };
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw InputError(fmt::format("cannot write the {} {}", what, quoted(path)));
        try {
            write(out);
        } catch (...) {
            out.close();
            fs::remove(tmp, ec);
            throw;
        }
        out.flush();
        if (!out) fail(fmt::format("writing the {} {} failed (disk full?)", what, quoted(path)));
    }
    // On disk before the rename (a crash then leaves the old file or the new one, never an empty one),
    // and the directory entry after it.
    if (!sync_path(tmp, false)) fail(fmt::format("writing the {} {} failed (fsync)", what, quoted(path)));
    fs::rename(tmp, target, ec);
    if (ec) fail(fmt::format("cannot move the {} into {}: {}", what, quoted(path), ec.message()));
    sync_path(target.has_parent_path() ? target.parent_path() : fs::path("."), true);
}

bool sync_path(const std::filesystem::path& path, bool directory) {
    const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

void write_text_atomically(const std::filesystem::path& path, std::string_view what, std::string_view text) {
    write_file_atomically(path, what,
                          [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

}  // namespace ayslab
