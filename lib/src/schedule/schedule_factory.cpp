#include "ayslab/schedule/schedule_factory.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include "ayslab/error.hpp"
#include "ayslab/io/read_file.hpp"
#include "ayslab/schedule/published.hpp"
#include "ayslab/io/json_input.hpp"

namespace ayslab {

namespace {

// The last `steps` steps (steps + 1 values) of a schedule.
Schedule tail(const Schedule& s, std::size_t steps) {
    const auto& v = s.sigmas();
    return Schedule(std::vector<double>(v.end() - static_cast<std::ptrdiff_t>(steps + 1), v.end()));
}

// A schedule family: the whole schedule for spec (denoise = 1), and — for the published tables —
// the peer's own rule for denoise < 1 (empty: ComfyUI's BasicScheduler rule, make_schedule below).
struct ScheduleKind {
    std::string name;
    std::function<Schedule(const ScheduleSpec&)> full;
    std::function<Schedule(const ScheduleSpec&)> partial{};
};

// k-diffusion's get_sigmas_karras(n): n sigmas rho-spaced from sigma_max to sigma_min, then 0 — n
// steps, the last from sigma_min to the clean sample.
Schedule karras_kdiffusion(const ScheduleSpec& spec) {
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
Schedule kl_optimal(const ScheduleSpec& spec) {
    if (spec.steps < 2) throw InputError("kl-optimal needs at least 2 steps (ComfyUI divides by steps - 1)");
    const auto a = arctan_optimal(spec.steps - 1, spec.sigma_min, spec.sigma_max, 1.0);
    std::vector<double> v(a.sigmas().begin(), a.sigmas().end());
    v.push_back(0.0);
    return Schedule(std::move(v));
}

ScheduleKind published_kind(const char* name, PublishedAys model) {
    return {name, [model](const ScheduleSpec& s) { return published_ays_schedule(model, s.steps); },
            [model](const ScheduleSpec& s) { return published_ays_schedule(model, s.steps, s.denoise); }};
}
ScheduleKind published_page_kind(const char* name, PublishedAys model) {
    return {name, [model](const ScheduleSpec& s) { return published_ays_page_schedule(model, s.steps); },
            [model](const ScheduleSpec& s) { return published_ays_page_schedule(model, s.steps, s.denoise); }};
}
ScheduleKind oss_kind(const char* name, const char* model) {
    return {name, [model](const ScheduleSpec& s) { return comfyui_oss_schedule(model, s.steps); },
            [model](const ScheduleSpec& s) { return comfyui_oss_schedule(model, s.steps, s.denoise); }};
}

// The schedule families, one line each; every list of kinds is read from here.
const std::vector<ScheduleKind>& kinds() {
    static const std::vector<ScheduleKind> table = {
        {"karras", [](const ScheduleSpec& s) { return karras(s.steps, s.sigma_min, s.sigma_max, s.rho); }},
        {"karras-kdiffusion", karras_kdiffusion},
        {"loguniform", [](const ScheduleSpec& s) { return log_uniform(s.steps, s.sigma_min, s.sigma_max); }},
        {"uniform-t",
         [](const ScheduleSpec& s) {
             if (!s.process) throw InputError("uniform-t schedule needs a process");
             return uniform_t(s.steps, s.sigma_min, s.sigma_max, *s.process);
         }},
        {"arctan", [](const ScheduleSpec& s) { return arctan_optimal(s.steps, s.sigma_min, s.sigma_max, s.c); }},
        published_kind("ays-sd15", PublishedAys::sd15),
        published_kind("ays-sdxl", PublishedAys::sdxl),
        published_kind("ays-svd", PublishedAys::svd),
        published_page_kind("ays-sd15-sigmas", PublishedAys::sd15),
        published_page_kind("ays-sdxl-sigmas", PublishedAys::sdxl),
        {"gits-sd15", [](const ScheduleSpec& s) { return comfyui_gits_schedule(s.steps); },
         [](const ScheduleSpec& s) { return comfyui_gits_schedule(s.steps, s.denoise); }},
        {"kl-optimal", kl_optimal},
        oss_kind("oss-flux", "flux"),
        oss_kind("oss-chroma", "chroma"),
        {"file",
         [](const ScheduleSpec& s) {
             return resample_loglinear(s.sigmas.empty() ? read_schedule_file(s.file) : schedule_of(s.sigmas, "sigmas"), s.steps);
         },
         [](const ScheduleSpec&) -> Schedule {
             throw InputError("denoise < 1 does not apply to a schedule file (cut the file instead)");
         }},
    };
    return table;
}

const ScheduleKind& find_kind(std::string_view name) {
    for (const auto& k : kinds())
        if (k.name == name) return k;
    throw InputError(fmt::format("unknown schedule kind '{}' (known: {})", name, fmt::join(schedule_kinds(), ", ")));
}

}  // namespace

std::vector<std::string> schedule_kinds() {
    std::vector<std::string> names;
    for (const auto& k : kinds()) names.push_back(k.name);
    return names;
}

Schedule make_schedule(std::string_view name, const ScheduleSpec& spec) {
    if (!(spec.denoise > 0.0 && spec.denoise <= 1.0))
        throw InputError(fmt::format("denoise = {} must be in (0, 1]", spec.denoise));
    const ScheduleKind& kind = find_kind(name);
    if (spec.denoise == 1.0) return kind.full(spec);
    if (kind.partial) return kind.partial(spec);
    // ComfyUI's BasicScheduler: a schedule of int(steps / denoise) steps, of which the last `steps` run.
    ScheduleSpec longer = spec;
    longer.steps = static_cast<std::size_t>(std::floor(static_cast<double>(spec.steps) / spec.denoise));
    return tail(kind.full(longer), spec.steps);
}

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
    return schedule_of(std::move(sigmas), where);
}

Schedule schedule_of(std::vector<double> sigmas, const std::string& where) {
    try {
        return Schedule(std::move(sigmas));
    } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", where, e.what()));
    }
}

}  // namespace ayslab
