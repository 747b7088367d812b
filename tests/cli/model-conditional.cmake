# sample with a user's class-conditional, image-shaped model gives, to float32 accuracy, the end points of
# the data's exact class-conditional denoiser with the same guidance: the fixtures are the ring of 8's exact
# conditional denoiser taking x as N x 2 x 1 x 1 images and y (8 = no label), exported in every
# parametrisation a user's model may have: denoiser, EDM's F, DDPM eps and v, score_sde VP score and x0,
# rectified flow (tests/fixtures/make-conditional-fixtures). Same seed, solver, schedule, label and
# guidance; the .npy end points compared by Debian's python3 (numpy).
set(_cases
    "ring8-denoiser-image.pt|denoiser|edm|sigma|heun|3|3"
    "ring8-eps-ddpm-image.pt|eps|ddpm-linear|t|dpmpp-2m|5|7.5"
    "ring8-v-ddpm-image.pt|v|ddpm-linear|t|euler|1|3"
    "ring8-edm-image.pt|edm|edm|sigma|heun|6|7.5"
    "ring8-score-vp-image.pt|score|vp|t|dpmpp-2m|2|3"
    "ring8-x0-vp-image.pt|x0|vp|t|euler|7|7.5"
    "ring8-flow-image.pt|flow|flow|t|heun|4|3")
# The sigma range is pinned: with a model, the default range follows model_process (DDPM's 0.0100 to 157),
# with the exact denoiser it stays the data's, and the two runs must share one schedule.
foreach(_case IN LISTS _cases)
  string(REPLACE "|" ";" _f "${_case}")
  list(GET _f 0 _file)
  list(GET _f 1 _par)
  list(GET _f 2 _proc)
  list(GET _f 3 _time)
  list(GET _f 4 _solver)
  list(GET _f 5 _label)
  list(GET _f 6 _w)
  foreach(_den exact model)
    execute_process(COMMAND ${EXE} sample --set data=ring8 --set denoiser=${_den} --set model=${FIXTURES}/${_file}
                            --set parametrisation=${_par} --set model_process=${_proc} --set model_time=${_time}
                            --set model_labels=8 --set model_shape=2,1,1 --set label=${_label} --set guidance=${_w}
                            --set solver=${_solver} --set steps=20 --set particles=500
                            --set sigma_min=0.02 --set sigma_max=150
                            --set output=${DIR}/${_den}.npy --out ${DIR}/${_den}.json --quiet
                    RESULT_VARIABLE _code ERROR_VARIABLE _err)
    if(NOT _code EQUAL 0)
      message(FATAL_ERROR "${_file}: sample with denoiser=${_den} exited ${_code}: ${_err}")
    endif()
  endforeach()
  # float32 rounding (2^-24) of the model, amplified by guidance along 20 steps: measured 7.1e-8 (denoiser,
  # w = 3, Heun) to 4.1e-7 (x0-vp, w = 7.5, Euler) over the seven; a wrong label, branch, image layout or
  # parametrisation moves points by O(1).
  execute_process(COMMAND /usr/bin/python3 -c "
import numpy as np, sys
a = np.load('${DIR}/exact.npy'); b = np.load('${DIR}/model.npy')
worst = float(np.max(np.abs(a - b) / (1 + np.abs(a))))
print('${_file}: largest difference of end points, model vs exact:', worst)
sys.exit(0 if a.shape == b.shape and worst < 1e-5 else 1)"
                  RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
  message(STATUS "${_out}")
  if(NOT _cmp EQUAL 0)
    message(FATAL_ERROR "model and exact end points differ: ${_out}")
  endif()
endforeach()

# ays with the conditional image model gives the exact conditional denoiser's schedule (the same draws),
# to float32 accuracy as in model-ays.cmake (the flat KLUB in the large-sigma knots turns D's rounding into
# ~1e-4 of argmin; measured 1.5e-4 with 10 steps and 20 golden steps, 0 with this budget's coarser search):
#  - class 5 at guidance 3 (the KLUB's x_0 from the class). Guidance not applied (w = 1) moves the knots by
#    up to 87%, the unconditional model's schedule differs by 64% (measured with the exact denoiser, this
#    budget). The ring's classes are rotations of each other, so a wrong label is caught by the end-point
#    comparison above, not here.
#  - every class at guidance 3 (all_classes: the KLUB's x_0 with their own y, the model called with each
#    row's label). A model that ignored the per-row labels would give the unconditional model's schedule:
#    measured up to 50% away (knot 4: 0.13 for 0.26).
foreach(_which "label=5" "all_classes=true")
  foreach(_den exact model)
    execute_process(COMMAND ${EXE} ays --set data=ring8 --set denoiser=${_den} --set model=${FIXTURES}/ring8-denoiser-image.pt
                            --set parametrisation=denoiser --set model_time=sigma --set model_labels=8 --set model_shape=2,1,1
                            --set ${_which} --set guidance=3 --set steps=6 --set samples=128 --set validation_samples=512
                            --set golden_iterations=14 --set max_sweeps=2 --set eval_particles=100 --set eval_seeds=2
                            --set samplers=euler
                            --set stop_on=klub --quiet --out ${DIR}/ays-${_den}.json
                    RESULT_VARIABLE _code ERROR_VARIABLE _err)
    if(NOT _code EQUAL 0)
      message(FATAL_ERROR "ays (${_which}) with denoiser=${_den} exited ${_code}: ${_err}")
    endif()
  endforeach()
  execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
def res(n): return json.load(open('${DIR}/ays-' + n + '.json'))['results']
a = res('exact')['schedule']['sigmas']; b = res('model')['schedule']['sigmas']
worst = max(abs(x - y) / x for x, y in zip(a, b)) if len(a) == len(b) else float('inf')
label = res('model').get('label')
print(f'conditional ays (${_which}, label in the JSON: {label}): largest relative difference of the AYS sigmas from the exact denoiser\\'s: {worst:.3g}')
sys.exit(0 if worst < 5e-4 and str(label) == ('all' if '${_which}' == 'all_classes=true' else '5') else 1)"
                  RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
  message(STATUS "${_out}")
  if(NOT _cmp EQUAL 0)
    message(FATAL_ERROR "model and exact AYS schedules differ: ${_out}")
  endif()
endforeach()

# likelihood with the conditional image model and a label: log p(x | y = 3) by the probability-flow ODE
# on the model equals the exact class-conditional log-density within float32's reach (the ODE at its
# float32 default tolerance; measured 1.8e-5 nats). The unconditional log p(x) is log 8 + ~0 away.
execute_process(COMMAND ${EXE} likelihood --set data=ring8 --set label=3 --set evaluated_points=2 --set probes=4
                        --set denoiser=model --set model=${FIXTURES}/ring8-denoiser-image.pt --set model_time=sigma
                        --set model_labels=8 --set model_shape=2,1,1 --quiet --out ${DIR}/likelihood.json
                RESULT_VARIABLE _code ERROR_VARIABLE _err)
if(NOT _code EQUAL 0)
  message(FATAL_ERROR "likelihood with the conditional model exited ${_code}: ${_err}")
endif()
execute_process(COMMAND /usr/bin/python3 -c "
import json, sys
rows = json.load(open('${DIR}/likelihood.json'))['results']['ring8']
worst = max(abs(r['ode_log_p'] - r['exact_log_p']) for r in rows)
print(f'conditional likelihood: largest |ODE log p(x|y) - exact| over {len(rows)} points: {worst:.3g} nats')
sys.exit(0 if worst < 1e-4 else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "the model's class-conditional log-likelihood is off: ${_out}")
endif()
