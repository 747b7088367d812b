// The one way ayslab writes a file (results, checkpoints, sample .npy): whole or not at all.
//  - Missing parent folders are created.
//  - The bytes go to a temporary file beside the target, named TARGET.tmp-PID-N (unique per process and
//    write, so two runs aimed at one path never share a temporary), created exclusively (O_EXCL |
//    O_NOFOLLOW, mode 0600 until complete, then the umask's mode), then renamed over the target.
//  - A target that exists and is not a regular file (a device such as /dev/null, a FIFO, a socket, a
//    folder) is refused: renaming over it would replace it with a regular file.
//  - Every failure is an InputError of one line naming what was written and where; the temporary file
//    is removed, and a previous complete target is left as it was.
// While a write is in progress its temporary name is readable by a signal handler
// (pending_temporary_file), so an interrupted run can remove it.
#pragma once
#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace ayslab {

// `what` names the file in errors ("result", "AYS checkpoint", "samples"); `write` fills the stream.
void write_file_atomically(const std::filesystem::path& path, std::string_view what,
                           const std::function<void(std::ostream&)>& write);
// fsync a file (or, with directory, a folder's entries); false when it cannot be opened or synced.
bool sync_path(const std::filesystem::path& path, bool directory);

void write_text_atomically(const std::filesystem::path& path, std::string_view what, std::string_view text);

// Throws the InputError a write would for a target that exists and is not a regular file, or whose
// folder cannot be created or written (probed by creating and removing a file there): lets a program
// refuse a bad output path before it computes or writes anything.
void check_writable_target(const std::filesystem::path& path, std::string_view what);

// Creates the missing parent folders of `path` (InputError naming `what` if that is impossible).
void create_parent_folders(const std::filesystem::path& path, std::string_view what);

// The temporary file a write is in progress on, "" when none: async-signal-safe to read.
const char* pending_temporary_file() noexcept;
// Whether that write's rename has happened (the target is the new file): async-signal-safe. A handler
// that finds it true must not report the write as lost.
bool pending_write_renamed() noexcept;

// Throws an InputError naming `what` when `path` is a symbolic link (a checkpoint is read and replaced
// only where it is, never through a link planted beside the output).
void refuse_symlink(const std::filesystem::path& path, std::string_view what);

}  // namespace ayslab
