// The Python extension ayslab._experiments: run-experiment's experiments (the same registry, keys,
// validation and result document) as a convenience beside the library's own types (module.cpp).
// The user's arrays and callable reach the run in memory (app::MemoryInputs: no file, no process-wide
// registry) and the arrays a run hands back (sample's end points) come back the same way.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <map>
#include <memory>

#include "ayslab/error.hpp"
#include "ayslab/parallel.hpp"
#include "callable_model.hpp"
#include "config.hpp"
#include "interrupt.hpp"
#include "registry.hpp"

namespace py = pybind11;
using namespace ayslab;

namespace {

using Rows = py::array_t<double, py::array::c_style | py::array::forcecast>;

// arrays: {key: rows (n x ...)}, each the value of a path key set to "@memory".
std::shared_ptr<app::MemoryInputs> memory_inputs(const py::dict& arrays, std::shared_ptr<const ModelFunction> model) {
    auto memory = std::make_shared<app::MemoryInputs>();
    for (const auto& [key, value] : arrays) {
        const auto a = Rows::ensure(value);
        if (!a || a.ndim() < 1 || a.shape(0) == 0)
            throw InputError(fmt::format("{}: needs an array of at least one row", py::str(key).cast<std::string>()));
        const auto n = static_cast<std::size_t>(a.shape(0));
        const auto values = static_cast<std::size_t>(a.size());
        memory->arrays[key.cast<std::string>()] =
            std::make_shared<const PointSet>(PointSet{n, values / n, std::vector<double>(a.data(), a.data() + values)});
    }
    memory->model = std::move(model);
    return memory;
}

py::dict run(const std::string& name, const std::string& keys_json, std::size_t threads, bool progress,
             const std::string& checkpoint, bool resume, const py::object& on_sweep, const py::dict& arrays,
             const py::object& model) {
    const auto& experiment = app::find_experiment(name);
    const auto given = nlohmann::json::parse(keys_json);
    if (!given.is_object()) throw InputError("the keys must be a mapping of key names to values");
    std::shared_ptr<python::CallableModel> callable;
    if (!model.is_none()) {
        const auto spec = model.cast<py::tuple>();  // (fn, shape, float32, labels, name, divergence)
        callable = std::make_shared<python::CallableModel>(
            spec[0], python::CallableSpec{spec[1].cast<std::vector<std::int64_t>>(), spec[2].cast<bool>(),
                                          spec[3].cast<bool>(), spec[4].cast<std::string>(), spec[5]});
    }
    const auto memory = memory_inputs(arrays, callable);
    const app::Config config = app::configure(experiment, given, "keyword", memory);
    app::RunContext context{resolve_threads(threads), progress};  // 0: every core, as the CLI
    context.checkpoint = checkpoint;
    context.resume = resume;
    std::map<std::string, PointSet> kept;
    context.keep_array = [&kept](const std::string& key, PointSet rows) { kept[key] = std::move(rows); };
    if (!on_sweep.is_none())
        context.on_sweep = [on_sweep](const AysTraceEntry& e, std::size_t done, std::size_t total) {
            py::gil_scoped_acquire gil;
            python::raise_if_interrupted();
            on_sweep(py::dict(py::arg("steps") = e.steps, py::arg("sweep") = e.sweep, py::arg("klub") = e.klub,
                              py::arg("klub_se") = e.klub_standard_error, py::arg("improved") = e.improved,
                              py::arg("done") = done, py::arg("total") = total));
        };
    nlohmann::json document;
    {
        const python::SigintGuard ctrl_c;  // Ctrl-C reaches the model's next call, or the end of the run
        try {
            py::gil_scoped_release release;  // the C++ work; callables take the GIL back for each call
            document = app::run_experiment(experiment, config, context);
        } catch (const Cancelled&) {
            python::raise_if_interrupted();  // KeyboardInterrupt
            throw;
        }
        python::raise_if_interrupted();
    }
    py::dict out;
    out["document"] = document.dump();
    py::dict back;
    for (auto& [key, rows] : kept) {
        py::array_t<double> a({static_cast<py::ssize_t>(rows.n), static_cast<py::ssize_t>(rows.d)});
        std::copy(rows.values.begin(), rows.values.end(), a.mutable_data());
        back[py::str(key)] = a;
    }
    out["arrays"] = back;
    if (callable) out["model_evaluations"] = py::dict(py::arg("calls") = callable->calls(), py::arg("rows") = callable->rows());
    return out;
}

}  // namespace

PYBIND11_MODULE(_experiments, m) {
    m.doc() = "run-experiment's experiments (use the ayslab package, not this module)";
    // InputError and NumericalError: the translators ayslab._ayslab registers (one Python class each).
    py::module_::import("ayslab._ayslab");

    m.def("experiments", [] {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& e : app::experiments()) out.emplace_back(e.name, e.summary);
        return out;
    });
    m.def("default_config", [](const std::string& name) { return app::default_config(app::find_experiment(name).name).dump(); });
    m.def("keys", [](const std::string& name) {
        std::vector<std::tuple<std::string, std::string, std::string>> out;
        for (const auto& k : app::find_experiment(name).schema) out.emplace_back(k.name, app::type_name(k.type), k.description);
        return out;
    });
    m.def("run_experiment", &run, py::arg("name"), py::arg("keys_json"), py::arg("threads") = 0,
          py::arg("progress") = false, py::arg("checkpoint") = "", py::arg("resume") = false,
          py::arg("on_sweep") = py::none(), py::arg("arrays") = py::dict(), py::arg("model") = py::none());
}
