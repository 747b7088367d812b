// run-experiment NAME|FILE.json [--set key=value ...] [--seed N] [--threads N] [--out FILE]
// Exit codes: 0 all checks passed, 1 a check failed, 2 bad input, 3 numerical breakdown.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <optional>
#include <string_view>
#include <fstream>
#include <iostream>
#include <thread>

#include "ayslab/io/json_input.hpp"
#include "ayslab/cluster.hpp"
#include "ayslab/error.hpp"
#include "ayslab/io/atomic_file.hpp"
#include "ayslab/io/fingerprint.hpp"
#include "output.hpp"
#include "keys.hpp"
#include "registry.hpp"

// Under MPI every rank receives the signal (mpirun forwards it, a terminal signals the group); only
// rank 0 says so, once. Set after MPI starts; read in the handler (sig_atomic_t: async-signal-safe).
volatile std::sig_atomic_t print_on_signal = 1;
// The run's exit code once its result file is in place (-1 before): a signal after that point ends
// the run with that code, the result being complete (the teardown after the rename took ~100 ms).
volatile std::sig_atomic_t complete_exit_code = -1;
// The exit code the run will have, set just before its result is written: a signal that lands once
// that write's rename has returned (during the folder's fsync) ends the run as complete too.
volatile std::sig_atomic_t result_exit_code = -1;

namespace po = boost::program_options;
using namespace ayslab;
using namespace ayslab::app;

namespace {

// Whether text is well-formed UTF-8 (the result JSON can hold nothing else).
bool valid_utf8(const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > text.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
        i += n;
    }
    return true;
}

// --threads: an integer in [0, 4096] (0 = the machine's cores); "-1" is not read as 2^64 - 1.
std::size_t parse_threads(const std::string& text) {
    std::size_t used = 0;
    long long v = -1;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty() || v < 0 || v > 4096)
        throw InputError(fmt::format("--threads must be an integer from 0 (all cores) to 4096, got '{}'",
                                     text.substr(0, 40)));
    return static_cast<std::size_t>(v);
}

// Exit codes (README, "Exit codes"): 0 every check passed, 1 a check failed (the result is written),
// 2 bad input (one line, no result file), 3 numerical breakdown (no result file), 4 an internal error,
// 128 + signal (130 SIGINT, 143 SIGTERM) when interrupted before the result file is in place.
constexpr int exit_check_failed = 1, exit_bad_input = 2, exit_numerical = 3, exit_internal = 4;

void print_list() {
    for (const auto& e : experiments()) fmt::print("{:<18} {}\n", e.name, e.summary);
}

void print_keys(const Experiment& e) {
    const auto defaults = default_config(e.name);
    fmt::print("{}: {}\nkeys (--set key=value):\n", e.name, e.summary);
    for (const auto& k : e.schema)
        fmt::print("  {:<16} {:<18} default {:<14} {}\n", k.name, type_name(k.type),
                   defaults.at(k.name).dump(), k.description);
}

// A NAME or a FILE.json whose "experiment" member names the experiment.
std::pair<const Experiment*, nlohmann::json> resolve(const std::string& target) {
    if (target.size() > 5 && target.ends_with(".json")) {
        std::error_code ec;
        if (std::filesystem::exists(target, ec) && !std::filesystem::is_regular_file(target, ec))
            throw InputError(fmt::format("config file '{}' is not a regular file", target));
        std::ifstream in(target);
        if (!in) throw InputError(fmt::format("cannot open config file '{}'", target));
        auto doc = parse_json_input(in, target);
        if (doc.is_discarded()) throw InputError(fmt::format("{}: not valid JSON", target));
        if (!doc.is_object() || !doc.contains("experiment") || !doc["experiment"].is_string())
            throw InputError(
                fmt::format("{}: needs a string member \"experiment\" naming the experiment", target));
        return {&find_experiment(doc["experiment"].get<std::string>()), doc};
    }
    return {&find_experiment(target), nlohmann::json::object()};
}

// Everything before the work: options, config, output paths (early_exit >= 0: --list / --help done).
struct Prepared {
    const Experiment* experiment = nullptr;
    std::optional<Config> config;
    RunContext context;
    std::filesystem::path out;
    bool writer = true, quiet = false;
    int early_exit = -1;
};

Prepared prepare(int argc, char** argv) {
    Prepared done;
    po::options_description options("options");
    options.add_options()("help,h", "show this help (with NAME: that experiment's keys)")(
        "list", "list the experiments")("set", po::value<std::vector<std::string>>()->composing(),
                                        "override a config key: --set key=value")(
        "seed", po::value<std::string>(), "random seed (same as --set seed=N)")(
        "threads", po::value<std::string>()->default_value("0"),
        "worker threads per process (0 = the cores shared among the MPI ranks on this machine); results do "
        "not depend on it")("out", po::value<std::string>(), "result file (default results/NAME.json)")(
        "quiet,q", "no summary on stdout, no progress on stderr")(
        "resume", "continue an interrupted AYS optimisation from OUT.checkpoint (same config and seed)");
    po::options_description hidden;
    hidden.add_options()("target", po::value<std::string>());
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("target", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);

    if (vm.count("list")) {
        print_list();
        done.early_exit = 0;
        return done;
    }
    if (!vm.count("target")) {
        if (vm.count("help")) {
            fmt::print("usage: run-experiment NAME|FILE.json [options]\n\n");
            std::cout << options << "\nexperiments:\n";
            print_list();
            fmt::print(
                "\nexit codes: 0 checks passed, 1 a check failed, 2 bad input, 3 numerical breakdown, 4 internal "
                "error, 130/143 interrupted (SIGINT/SIGTERM)\n");
            done.early_exit = 0;
        return done;
        }
        throw InputError("no experiment given (try --list or --help)");
    }
    auto [experiment, overrides] = resolve(vm["target"].as<std::string>());
    if (vm.count("help")) {
        print_keys(*experiment);
        done.early_exit = 0;
        return done;
    }
    // File values are validated against the defaults first, then --set/--seed on top, so an error
    // names where the bad value came from.
    const std::string target = vm["target"].as<std::string>();
    const Config from_file = make_config(experiment->schema, default_config(experiment->name), overrides,
                                         target.ends_with(".json") ? target : "config");
    nlohmann::json sets = nlohmann::json::object();
    if (vm.count("set")) {
        for (const auto& item : vm["set"].as<std::vector<std::string>>()) {
            const auto eq = item.find('=');
            if (!valid_utf8(item))
                throw InputError("--set: an argument is not valid UTF-8 (results are JSON, which holds UTF-8 only)");
            if (eq == std::string::npos || eq == 0)
                throw InputError(fmt::format("--set '{}': expected key=value", item));
            const std::string key = item.substr(0, eq);
            const KeySpec* spec = find_key(experiment->schema, key);
            sets[key] =
                spec ? parse_set_value(*spec, item.substr(eq + 1)) : nlohmann::json(item.substr(eq + 1));
        }
    }
    // --seed goes through the seed key's own parser and range (a negative number is named as such).
    if (vm.count("seed")) {
        const KeySpec* spec = find_key(experiment->schema, "seed");
        sets["seed"] = spec ? parse_set_value(*spec, vm["seed"].as<std::string>())
                            : nlohmann::json(vm["seed"].as<std::string>());
    }
    {
        nlohmann::json given = overrides.is_object() ? overrides : nlohmann::json::object();
        given.update(sets);
        sets.update(model_selects_denoiser(*experiment, given));
    }
    const std::filesystem::path out =
        vm.count("out") ? vm["out"].as<std::string>() : "results/" + experiment->name + ".json";
    Config config = make_config(experiment->schema, from_file.json(), sets, "--set");
    {
        nlohmann::json given = overrides.is_object() ? overrides : nlohmann::json::object();
        given.update(sets);
        auto moved = defaults_that_follow(config, given);
        // Files a run writes besides its result (sample's end points, train's model) go beside --out
        // unless given: the default names keep their file name in --out's folder.
        for (const char* key : {"output", "model_out"})
            if (config.json().contains(key) && !given.contains(key) && !config.string(key).empty())
                if (const auto beside = out.parent_path() / std::filesystem::path(config.string(key)).filename();
                    beside.string() != config.string(key))
                    moved[key] = beside.string();
        if (!moved.empty()) {
            for (const auto& [key, value] : moved.items()) sets[key] = value;
            config = make_config(experiment->schema, from_file.json(), sets, "--set");
        }
    }

    // Under mpirun every rank computes its share and receives the rest; rank 0 alone prints and writes.
    const bool writer = cluster::rank() == 0;
    const bool quiet = vm.count("quiet") > 0 || !writer;
    RunContext context{parse_threads(vm["threads"].as<std::string>()), !quiet};
    if (context.threads == 0)
        context.threads = std::max<std::size_t>(
            1, std::max(1u, std::thread::hardware_concurrency()) / cluster::ranks_on_this_node());

    // Refuse an output path that cannot be written before computing anything.
    check_writable_target(out, "result");
    context.checkpoint = out.string() + ".checkpoint";
    refuse_symlink(context.checkpoint, "checkpoint");
    check_writable_target(context.checkpoint, "checkpoint");
    context.resume = vm.count("resume") > 0;
    return {experiment, std::move(config), context, out, writer, quiet, -1};
}

int execute(Prepared& p) {
    const Experiment* experiment = p.experiment;
    const Config& config = *p.config;
    RunContext& context = p.context;
    const auto& out = p.out;
    const bool writer = p.writer, quiet = p.quiet;
    const auto document = run_experiment(*experiment, config, context);
    const int code = document.at("passed").get<bool>() ? 0 : exit_check_failed;
    if (writer) {
        result_exit_code = code;
        write_json_atomically(out, document);
        complete_exit_code = code;
        // Test hook (tests/CMakeLists.txt): hold here so that a signal lands after the rename.
        if (const char* pause = std::getenv("AYSLAB_TEST_PAUSE_AFTER_RESULT_MS"))
            std::this_thread::sleep_for(std::chrono::milliseconds(std::atol(pause)));
        // The run is complete once its result is in place: a checkpoint kept until now (train keeps
        // its own through evaluation, so an interruption there can still resume) is not needed.
        std::error_code ec;
        std::filesystem::remove(context.checkpoint, ec);
    }
    if (!quiet) fmt::print("{}result: {}\n", human_report(document), out.string());
    // An experiment with a pasteable answer (schedule) gives it, bare, under --quiet.
    if (quiet && writer && document.contains("results") && document["results"].contains("paste"))
        fmt::print("{}\n", document["results"]["paste"].get<std::string>());
    return code;
}


// Under MPI every rank validates its own inputs, and the ranks agree before any collective work: a bad
// input on any rank (its own damaged data file, its own keys in an MPMD launch) ends every rank with
// exit 2 and one message, instead of the others waiting forever in their first collective call.
int run(int argc, char** argv) {
    Prepared p;
    cluster::on_every_rank([&] {
        try {
            p = prepare(argc, argv);
        } catch (const po::error& e) {
            throw InputError(e.what());
        }
    });
    if (p.early_exit >= 0) return p.early_exit;
    // The whole config and hashes of the files it names (the data file each rank reads) must be rank 0's.
    const std::string mine = run_fingerprint(*p.config), reference = cluster::from_rank0(mine);
    cluster::on_every_rank([&] {
        if (mine != reference)
            throw InputError(fmt::format("MPI rank {} was given other inputs than rank 0: {}", cluster::rank(),
                                         fingerprint_difference(reference, mine)));
    });
    return execute(p);
}

}  // namespace


// SIGINT / SIGTERM: leave no partial result file (the previous complete one, if any, stays); exit
// 128 + signal (130, 143) on every rank.
extern "C" void on_signal(int sig) {
    if (complete_exit_code < 0 && result_exit_code >= 0 && ayslab::pending_write_renamed())
        complete_exit_code = result_exit_code;
    if (complete_exit_code >= 0) {
        constexpr char done[] = "run-experiment: interrupted after the result file was written; it is complete\n";
        if (print_on_signal) {
            [[maybe_unused]] auto n = ::write(2, done, sizeof(done) - 1);
        }
        ::_exit(complete_exit_code);
    }
    const char* tmp = ayslab::pending_temporary_file();
    if (tmp[0] != '\0') ::unlink(tmp);
    constexpr char msg[] = "run-experiment: interrupted; no result file written\n";
    if (print_on_signal) {
        [[maybe_unused]] auto n = ::write(2, msg, sizeof(msg) - 1);
    }
    ::_exit(128 + sig);
}

namespace {
// Errors are the same on every MPI rank (the same deterministic run, or shared by cluster.hpp):
// rank 0 prints them.
// An error message as one line of bounded length: control characters (a newline or NUL inside a
// value or path) escaped, and anything past 500 characters cut with a count (a 100 KB value made a
// 100 KB line).
std::string one_line(std::string_view message) {
    std::string out;
    for (const char ch : message) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out += ch;
    }
    if (out.size() > 500) {
        std::size_t cut = 480;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
        out = fmt::format("{}... ({} more characters)", out.substr(0, cut), out.size() - cut);
    }
    return out;
}

// Never throws: with stderr closed or full (2>/dev/full) the exit code must still be the error's
// (fmt::print would throw from inside the catch handler and abort with 134).
template <class... Args>
void report(fmt::format_string<Args...> format, Args&&... args) {
    if (cluster::rank() != 0) return;
    try {
        const std::string line = fmt::format(format, std::forward<Args>(args)...);
        [[maybe_unused]] const auto n = std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    } catch (...) {
    }
}
}  // namespace

int main(int argc, char** argv) {
    // LibTorch allocates every intermediate tensor of a model call afresh (no caching allocator on the
    // CPU): with glibc's defaults, blocks above 128 KiB are mmap'ed and unmapped, and a freed heap top
    // is trimmed, so every call page-faults its intermediates in again (a fifth of a TorchScript
    // sampling run's time went to page faults; 4-5x slower than with memory kept). Freed blocks up to
    // 32 MiB stay in the heap, and up to 512 MiB of free heap top is kept.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    // Only rank 0 prints the signal message. A signal can arrive while MPI (and LibTorch) still start,
    // before cluster::rank() is known: the launcher's environment says the rank already (Open MPI,
    // MPICH / Hydra), so rank 1 stays silent then too (both ranks printed in a CI run).
    const char* launcher_rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (!launcher_rank) launcher_rank = std::getenv("PMI_RANK");
    print_on_signal = launcher_rank == nullptr || std::string_view(launcher_rank) == "0";
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    cluster::Session mpi(argc, argv);
    print_on_signal = cluster::rank() == 0;
    try {
        return run(argc, argv);
    } catch (const po::error& e) {
        report("run-experiment: error: {}\n", one_line(e.what()));
        return exit_bad_input;
    } catch (const InputError& e) {
        report("run-experiment: error: {}\n", one_line(e.what()));
        return exit_bad_input;
    } catch (const NumericalError& e) {
        report("run-experiment: numerical breakdown: {}\n", one_line(e.what()));
        return exit_numerical;
    } catch (const std::bad_alloc&) {
        report("run-experiment: error: {}\n",
               "the configuration needs more memory than this machine has; reduce its sizes (particles, samples, "
               "dims, points, subset, batch)");
        return exit_bad_input;
    } catch (const std::exception& e) {
        report("run-experiment: internal error (please report it with the command that caused it): {}\n",
               one_line(e.what()));
        return exit_internal;
    }
}
