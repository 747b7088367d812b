#include "ayslab/schedule_factory.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/io/read_file.hpp"
#include "ayslab/published.hpp"
#include "ayslab/io/json_input.hpp"

namespace ayslab {

std::vector<std::string> schedule_kinds() {
    return {"karras",          "karras-kdiffusion", "loguniform", "uniform-t", "arctan",     "ays-sd15",
            "ays-sdxl",        "ays-svd",           "ays-sd15-sigmas", "ays-sdxl-sigmas", "gits-sd15", "kl-optimal",
            "oss-flux",        "oss-chroma",        "file"};
}

namespace {
Schedule make_full_schedule(std::string_view kind, const ScheduleSpec& spec);

// The last `steps` steps (steps + 1 values) of a schedule.
Schedule tail(const Schedule& s, std::size_t steps) {
    const auto& v = s.sigmas();
    return Schedule(std::vector<double>(v.end() - static_cast<std::ptrdiff_t>(steps + 1), v.end()));
}
}  // namespace

Schedule make_schedule(std::string_view kind, const ScheduleSpec& spec) {
    if (!(spec.denoise > 0.0 && spec.denoise <= 1.0))
        throw InputError(fmt::format("denoise = {} must be in (0, 1]", spec.denoise));
    if (spec.denoise == 1.0) return make_full_schedule(kind, spec);
    if (kind == "file") throw InputError("denoise < 1 does not apply to a schedule file (cut the file instead)");
    if (kind.starts_with("ays-") && kind.ends_with("-sigmas"))
        return published_ays_page_schedule(parse_published_ays(kind.substr(4, kind.size() - 4 - 7)), spec.steps,
                                           spec.denoise);
    if (kind.starts_with("ays-"))
        return published_ays_schedule(parse_published_ays(kind.substr(4)), spec.steps, spec.denoise);
    if (kind == "gits-sd15") return comfyui_gits_schedule(spec.steps, spec.denoise);
    if (kind.starts_with("oss-")) return comfyui_oss_schedule(kind.substr(4), spec.steps, spec.denoise);
    // ComfyUI's BasicScheduler: a schedule of int(steps / denoise) steps, of which the last `steps` run.
    ScheduleSpec longer = spec;
    longer.steps = static_cast<std::size_t>(std::floor(static_cast<double>(spec.steps) / spec.denoise));
    return tail(make_full_schedule(kind, longer), spec.steps);
}

namespace {
Schedule make_full_schedule(std::string_view kind, const ScheduleSpec& spec) {
    if (kind == "karras") return karras(spec.steps, spec.sigma_min, spec.sigma_max, spec.rho);
    // k-diffusion's get_sigmas_karras(n): n sigmas rho-spaced from sigma_max to sigma_min, then 0 —
    // n steps, the last from sigma_min to the clean sample.
    if (kind == "karras-kdiffusion") {
        std::vector<double> v = {spec.sigma_max};
        if (spec.steps > 1) {
            const auto k = karras(spec.steps - 1, spec.sigma_min, spec.sigma_max, spec.rho);
            v.assign(k.sigmas().begin(), k.sigmas().end());
        }
        v.push_back(0.0);
        return Schedule(std::move(v));
    }
    // ComfyUI's kl_optimal scheduler (comfy/samplers.py, from A1111 PR 15608): `steps` sigmas with
    // arctan(sigma) equally spaced from sigma_max to sigma_min — the arctan schedule with c = 1 — then 0.
    if (kind == "kl-optimal") {
        if (spec.steps < 2) throw InputError("kl-optimal needs at least 2 steps (ComfyUI divides by steps - 1)");
        const auto a = arctan_optimal(spec.steps - 1, spec.sigma_min, spec.sigma_max, 1.0);
        std::vector<double> v(a.sigmas().begin(), a.sigmas().end());
        v.push_back(0.0);
        return Schedule(std::move(v));
    }
    if (kind == "loguniform") return log_uniform(spec.steps, spec.sigma_min, spec.sigma_max);
    if (kind == "uniform-t") {
        if (!spec.process) throw InputError("uniform-t schedule needs a process");
        return uniform_t(spec.steps, spec.sigma_min, spec.sigma_max, *spec.process);
    }
    if (kind == "arctan") return arctan_optimal(spec.steps, spec.sigma_min, spec.sigma_max, spec.c);
    if (kind.starts_with("ays-") && kind.ends_with("-sigmas"))
        return published_ays_page_schedule(parse_published_ays(kind.substr(4, kind.size() - 4 - 7)), spec.steps);
    if (kind.starts_with("ays-"))
        return published_ays_schedule(parse_published_ays(kind.substr(4)), spec.steps);
    if (kind == "gits-sd15") return comfyui_gits_schedule(spec.steps);
    if (kind.starts_with("oss-")) return comfyui_oss_schedule(kind.substr(4), spec.steps);
    if (kind == "file") return resample_loglinear(read_schedule_file(spec.file), spec.steps);
    throw InputError(
        fmt::format("unknown schedule kind '{}' (known: {})", kind, fmt::join(schedule_kinds(), ", ")));
}
}  // namespace

namespace {

std::vector<double> parse_text(const std::string& text, const std::string& where) {
    std::string cleaned = text;
    for (char& ch : cleaned)
        if (ch == ',' || ch == '[' || ch == ']' || ch == ';') ch = ' ';
    std::istringstream in(cleaned);
    std::vector<double> v;
    for (std::string token; in >> token;) {
        std::size_t used = 0;
        double value = 0.0;
        try {
            value = std::stod(token, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != token.size())
            throw InputError(fmt::format("{}: value {} ('{}') is not a number", where, v.size(), token));
        v.push_back(value);
    }
    return v;
}

}  // namespace

Schedule resample_loglinear(const Schedule& schedule, std::size_t steps) {
    if (steps == schedule.steps()) return schedule;
    if (steps < 1) throw InputError("a schedule needs at least 1 step");
    const auto v = schedule.sigmas();
    if (!schedule.ends_at_zero()) return Schedule(loglinear_interpolate(v, steps + 1));
    // A final step to 0 stays the final step: the positive knots are interpolated, then 0 appended.
    const auto positive = v.first(v.size() - 1);
    if (positive.size() < 2)
        throw InputError(fmt::format("a {}-step schedule ending at 0 has one positive sigma: it cannot be "
                                     "interpolated to {} steps", schedule.steps(), steps));
    std::vector<double> out = steps == 1 ? std::vector<double>{positive.front()} : loglinear_interpolate(positive, steps);
    out.push_back(0.0);
    return Schedule(std::move(out));
}

Schedule read_schedule_file(const std::filesystem::path& path) {
    // FILE.json#/json/pointer picks one schedule out of a result holding many (e.g. the optimiser
    // league's results/ring8/nfe=10/euler/oss): the node is a list or an object with "sigmas".
    std::string where = path.string(), pointer;
    if (const auto hash = where.rfind("#/"); hash != std::string::npos && !std::filesystem::exists(path)) {
        pointer = where.substr(hash + 1);
        where = where.substr(0, hash);
    }
    const std::string text = read_regular_file(where, "schedule file");
    if (pointer.empty()) return parse_schedule_text(text, where);
    const auto doc = parse_json_input(text, where);
    if (doc.is_discarded()) throw InputError(fmt::format("{}: not valid JSON (needed for '#{}')", where, pointer));
    nlohmann::json::json_pointer ptr;
    try {
        ptr = nlohmann::json::json_pointer(pointer);
    } catch (const nlohmann::json::exception&) {
        throw InputError(fmt::format("{}: '#{}' is not a JSON pointer", where, pointer));
    }
    // contains() and at() throw for a token they cannot read as an index (out_of_range.404 for an
    // index past 2^64): every such pointer is one that is not in the file.
    std::string node;
    try {
        if (!doc.contains(ptr)) throw InputError(fmt::format("{}: no '#{}' in the file", where, pointer));
        node = doc.at(ptr).dump();
    } catch (const nlohmann::json::exception&) {
        throw InputError(fmt::format("{}: no '#{}' in the file", where, pointer));
    }
    return parse_schedule_text(node, where + "#" + pointer);
}

Schedule parse_schedule_text(const std::string& text, const std::string& where) {
    std::vector<double> sigmas;
    const auto doc = parse_json_input(text, where);
    if (!doc.is_discarded() && (doc.is_array() || doc.is_object())) {
        const nlohmann::json* list = &doc;
        if (doc.is_object()) {
            if (doc.contains("sigmas"))
                list = &doc["sigmas"];
            else if (doc.contains("results") && doc["results"].contains("schedule") &&
                     doc["results"]["schedule"].contains("sigmas"))
                list = &doc["results"]["schedule"]["sigmas"];
            else
                throw InputError(fmt::format(
                    "{}: a JSON schedule needs a list, \"sigmas\", or results.schedule.sigmas", where));
        }
        if (!list->is_array()) throw InputError(fmt::format("{}: \"sigmas\" is not a list", where));
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (!(*list)[i].is_number())
                throw InputError(
                    fmt::format("{}: sigma[{}] = {} is not a number", where, i, (*list)[i].dump()));
            sigmas.push_back((*list)[i].get<double>());
        }
    } else {
        sigmas = parse_text(text, where);
    }
    try {
        return Schedule(std::move(sigmas));
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", where, e.what()));
    }
}

}  // namespace ayslab
