// The one file writer (ayslab/io/atomic_file.hpp) and the checkpoint built on it: parent folders
// created, non-regular targets refused and left alone, no temporary file left behind on any path.
#include "ayslab/io/atomic_file.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/io/checkpoint.hpp"
#include "ayslab/data/gaussian.hpp"
#include "ayslab/optimise/ays.hpp"

using namespace ayslab;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
    const auto d = fs::temp_directory_path() / fmt::format("ayslab-test-atomic-{}-{}", name, ::getpid());
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}
std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
// Everything in `dir` (recursively) whose name has ".tmp-": a temporary file left behind.
std::size_t leftovers(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".tmp-") != std::string::npos) ++n;
    return n;
}
}  // namespace

TEST_CASE("the atomic writer creates missing parent folders (a fresh clone has no results/)") {
    const auto dir = fresh_dir("parents");
    const auto target = dir / "results" / "deeper" / "x.json";
    write_text_atomically(target, "result", "{}\n");
    CHECK(read(target) == "{}\n");
    CHECK(leftovers(dir) == 0);
    // Replacing an existing file keeps it whole.
    write_text_atomically(target, "result", "[1]\n");
    CHECK(read(target) == "[1]\n");
    CHECK(leftovers(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("a failing write leaves the previous file and no temporary file") {
    const auto dir = fresh_dir("failing");
    const auto target = dir / "x.json";
    write_text_atomically(target, "result", "old\n");
    struct Boom {};
    CHECK_THROWS_AS(write_file_atomically(target, "result",
                                          [](std::ostream& out) {
                                              out << "half";
                                              throw Boom{};
                                          }),
                    Boom);
    CHECK(read(target) == "old\n");
    CHECK(leftovers(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("targets that are not regular files are refused and left as they were") {
    const auto dir = fresh_dir("special");
    // A folder.
    CHECK_THROWS_WITH_AS(write_text_atomically(dir, "result", "x"),
                         doctest::Contains("it exists and is not a regular file"), InputError);
    CHECK(fs::is_directory(dir));
    // A FIFO.
    const auto fifo = dir / "pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_AS(write_text_atomically(fifo, "result", "x"), InputError);
    CHECK(fs::is_fifo(fifo));
    // A character device (as root, renaming over /dev/null would replace it with a regular file).
    CHECK_THROWS_WITH_AS(write_text_atomically("/dev/null", "result", "x"),
                         doctest::Contains("'/dev/null': it exists and is not a regular file"), InputError);
    CHECK(fs::is_character_file("/dev/null"));
    // A symbolic link to a regular file: the file is replaced, the link stays.
    const auto real = dir / "real.json", link = dir / "link.json";
    write_text_atomically(real, "result", "a");
    fs::create_symlink(real, link);
    write_text_atomically(link, "result", "b");
    CHECK(fs::is_symlink(link));
    CHECK(read(real) == "b");
    CHECK(leftovers(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("an impossible folder is one clear InputError") {
    const auto dir = fresh_dir("impossible");
    write_text_atomically(dir / "file", "result", "x");
    // The parent "file" is a regular file, so no folder can be made under it.
    CHECK_THROWS_WITH_AS(write_text_atomically(dir / "file" / "sub" / "x.json", "result", "x"),
                         doctest::Contains("cannot create the folder"), InputError);
    fs::remove_all(dir);
}

TEST_CASE("checkpoint: saved into a missing folder, loaded back, removed") {
    const auto dir = fresh_dir("checkpoint");
    const Checkpoint cp(dir / "results" / "run.json.checkpoint", "AYS checkpoint");
    CHECK_FALSE(cp.load().has_value());
    cp.save({{"level", 1}, {"current", {3.0, 2.0, 1.0}}});
    const auto back = cp.load();
    REQUIRE(back.has_value());
    CHECK((*back)["current"][1].get<double>() == 2.0);
    cp.remove();
    CHECK_FALSE(fs::exists(cp.path()));
    // A file that is not JSON is refused, and kept.
    write_text_atomically(cp.path(), "checkpoint", "not json");
    CHECK_THROWS_WITH_AS(cp.load(), doctest::Contains("is not an AYS checkpoint"), InputError);
    CHECK(fs::exists(cp.path()));
    CHECK(leftovers(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("AYS checkpoints into a folder that does not exist yet (the README's first command)") {
    const auto dir = fresh_dir("ays");
    const auto data = DiagonalGaussian::isotropic(1, 0.0, 1.0);
    AysOptions o;
    o.samples = o.validation_samples = 16;
    o.golden_iterations = 2;
    o.max_sweeps = 1;
    o.checkpoint = dir / "results" / "ays.json.checkpoint";
    bool seen_checkpoint = false;
    optimise_ays(data, data, karras(3, 0.01, 10.0), o,
                 [&](const AysTraceEntry& e) { seen_checkpoint |= e.sweep == 1 && fs::exists(o.checkpoint); });
    CHECK(seen_checkpoint);
    CHECK(fs::is_directory(dir / "results"));
    CHECK_FALSE(fs::exists(o.checkpoint));  // removed when done
    CHECK(leftovers(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("a target name of 255 characters (NAME_MAX) is written: its temporary gets a short name") {
    const auto d = fresh_dir("long");
    const auto target = d / (std::string(250, 'r') + ".json");
    REQUIRE(target.filename().string().size() == 255);
    write_text_atomically(target, "result", "{}\n");  // NAME.tmp-PID-N would be 270 characters
    CHECK(read(target) == "{}\n");
    CHECK(leftovers(d) == 0);
    fs::remove_all(d);
}

// Round four, item 15: the temporary NAME.tmp-PID-N was opened with truncation through any link, so a
// link planted at that name made the write land outside the output path.
TEST_CASE("a link planted at the temporary's name is never written through") {
    const auto dir = fresh_dir("planted");
    const auto victim = dir / "victim";
    std::ofstream(victim) << "precious";
    const auto target = dir / "result.json";
    // The counter part of the name is not known from outside: plant every one this process can reach.
    for (int k = 0; k < 4096; ++k)
        fs::create_symlink(victim, fs::path(target.string() + fmt::format(".tmp-{}-{}", ::getpid(), k)));
    CHECK_THROWS_AS(write_text_atomically(target, "result", "new"), InputError);
    CHECK(read(victim) == "precious");
    CHECK_FALSE(fs::exists(target));
    fs::remove_all(dir);
}

TEST_CASE("the temporary is private while written, and the file gets the umask mode") {
    const auto dir = fresh_dir("mode");
    const auto target = dir / "r.json";
    mode_t during = 0;
    write_file_atomically(target, "result", [&](std::ostream& out) {
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().filename().string().find(".tmp-") != std::string::npos) {
                struct stat st {};
                ::stat(e.path().c_str(), &st);
                during = st.st_mode & 0777;
            }
        out << "x";
    });
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat st {};
    ::stat(target.c_str(), &st);
    CHECK(during == 0600);
    CHECK((st.st_mode & 0777) == (0666 & ~mask));
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint that is a symbolic link is refused, not followed") {
    const auto dir = fresh_dir("checkpoint-link");
    const auto victim = dir / "victim";
    std::ofstream(victim) << "precious";
    fs::create_symlink(victim, dir / "r.json.checkpoint");
    const Checkpoint c(dir / "r.json.checkpoint", "AYS checkpoint");
    CHECK_THROWS_WITH_AS(c.save({{"x", 1}}), doctest::Contains("is a symbolic link"), InputError);
    CHECK_THROWS_WITH_AS(c.load(), doctest::Contains("is a symbolic link"), InputError);
    CHECK(read(victim) == "precious");
    fs::remove_all(dir);
}

TEST_CASE("an output that is a link into a folder that cannot be written is refused before any work") {
    // /proc takes no new files, even from root: the link's own folder is writable, the target's is not
    // (the probe looked beside the link, and the run was refused only when its result was renamed).
    const auto dir = fresh_dir("link-readonly");
    fs::create_symlink("/proc/version", dir / "link.json");
    CHECK_THROWS_WITH_AS(check_writable_target(dir / "link.json", "result"), doctest::Contains("/proc"), InputError);
    fs::remove_all(dir);
}
