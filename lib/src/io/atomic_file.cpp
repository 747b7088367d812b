#include "ayslab/io/atomic_file.hpp"

#include <ext/stdio_filebuf.h>
#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <csignal>
#include <cstdlib>
#include <system_error>

#include "ayslab/error.hpp"

namespace ayslab {

namespace {
// The temporary file being written, so a signal handler can remove it. Writes happen on one thread
// (rank 0's main thread); the buffer is plain chars so a handler can read it without locks.
char pending_tmp[4096] = {};
// Where the write of pending_tmp stands (write_stage values), for a signal handler.
volatile std::sig_atomic_t pending_stage = 0;
std::atomic<std::uint64_t> write_counter{0};

// The mode a plain open(O_CREAT, 0666) would have given: the temporary is created 0600 (nobody else
// can open it while it is written) and gets this mode before the rename.
mode_t default_file_mode() {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

std::string quoted(const std::filesystem::path& p) { return fmt::format("'{}'", p.string()); }
}  // namespace

const char* pending_temporary_file() noexcept { return pending_tmp; }

bool pending_write_renamed() noexcept {
    if (pending_stage == 3) return true;
    // Between "about to rename" and the stage update after it: the temporary's name is gone exactly
    // when the rename has happened (it was created exclusively, nobody else made it).
    if (pending_stage == 2 && pending_tmp[0] != '\0') return ::access(pending_tmp, F_OK) != 0 && errno == ENOENT;
    return false;
}

void refuse_symlink(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    if (std::filesystem::is_symlink(std::filesystem::symlink_status(path, ec)))
        throw InputError(fmt::format("will not use the {} {}: it is a symbolic link", what, quoted(path)));
}

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
    // The write goes to a temporary file beside the target (through a link: beside the file it names,
    // which the write replaces): probe that folder with one now.
    create_parent_folders(path, what);
    fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
        const auto resolved = fs::canonical(path, ec);
        if (!ec) folder = resolved.parent_path();
    }
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
        ~Clear() {
            pending_stage = 0;
            pending_tmp[0] = '\0';
        }
    } clear;
    auto fail = [&](const std::string& message) {
        fs::remove(tmp, ec);
        throw InputError(message);
    };
    // Created exclusively and never through a link (a planted NAME.tmp-PID-N symlink made the write
    // land outside the output path), readable by the owner alone until it is complete.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        const std::error_code why(errno, std::generic_category());
        throw InputError(fmt::format("cannot write the {} {}: cannot create '{}' ({})", what, quoted(path),
                                     tmp.string(), why.message()));
    }
    pending_stage = 1;
    {
        __gnu_cxx::stdio_filebuf<char> buffer(fd, std::ios::out | std::ios::binary);  // closes fd
        std::ostream out(&buffer);
        try {
            write(out);
        } catch (...) {
            buffer.close();
            fs::remove(tmp, ec);
            throw;
        }
        out.flush();
        // On disk before the rename (a crash then leaves the old file or the new one, never an empty one).
        if (!out || ::fchmod(fd, default_file_mode()) != 0 || ::fsync(fd) != 0) {
            buffer.close();
            fail(fmt::format("writing the {} {} failed (disk full?)", what, quoted(path)));
        }
        if (!buffer.close()) fail(fmt::format("writing the {} {} failed (close)", what, quoted(path)));
    }
    pending_stage = 2;
    fs::rename(tmp, target, ec);
    if (ec) fail(fmt::format("cannot move the {} into {}: {}", what, quoted(path), ec.message()));
    // The write is complete once the rename has returned; the folder's sync below only makes it durable.
    pending_stage = 3;
    // Test hook (tests/CMakeLists.txt): hold here so that a signal lands during the folder's sync.
    if (const char* pause = std::getenv("AYSLAB_TEST_PAUSE_BEFORE_FOLDER_SYNC_MS"))
        ::usleep(static_cast<useconds_t>(std::atol(pause)) * 1000);
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
