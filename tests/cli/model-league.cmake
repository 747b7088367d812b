# optimiser-league with a user's model file: the fixture is the exact denoiser of the 2-D `gaussian` data
# set, so every grid optimiser (AYS-DP, Watson, GITS, OSS) must pick the schedule the exact denoiser
# gets (the grid's choices move only if float32 rounding in D flips a comparison: measured none), and
# the model must really be called: read with the wrong convention (eps) the schedules differ.
set(_common optimiser-league --set problems=[\"gaussian\"] --set nfe=[5] --set samplers=[\"euler\",\"dpmpp-2m\"]
            --set grid=16 --set particles=32 --set teacher_steps=200 --set ld3_iterations=2 --set samples=256
            --set max_sweeps=1 --set eval_particles=200 --set eval_seeds=2 --threads 2 --quiet)
execute_process(COMMAND ${EXE} ${_common} --out ${DIR}/exact.json RESULT_VARIABLE _a ERROR_VARIABLE _ea)
execute_process(COMMAND ${EXE} ${_common} --set denoiser=model --set model=${MODEL} --set parametrisation=denoiser
                        --set model_process=edm --set model_time=sigma --out ${DIR}/model.json
                RESULT_VARIABLE _b ERROR_VARIABLE _eb)
# The wrong reading is refused by the pre-flight, naming the right one; run anyway (preflight=false) it
# must give other schedules.
execute_process(COMMAND ${EXE} ${_common} --set denoiser=model --set model=${MODEL} --set parametrisation=eps
                        --set model_process=edm --set model_time=sigma --out ${DIR}/refused.json
                RESULT_VARIABLE _d ERROR_VARIABLE _ed)
if(NOT _d EQUAL 2 OR NOT _ed MATCHES "another reading fits better: set parametrisation=denoiser, model_time=sigma")
  message(FATAL_ERROR "the pre-flight did not refuse the eps reading of a denoiser (exit ${_d}): ${_ed}")
endif()
execute_process(COMMAND ${EXE} ${_common} --set denoiser=model --set model=${MODEL} --set parametrisation=eps
                        --set model_process=edm --set model_time=sigma --set preflight=false --out ${DIR}/wrong.json
                RESULT_VARIABLE _c ERROR_VARIABLE _ec)
foreach(_r _a _b _c)
  if(NOT ${_r} EQUAL 0 AND NOT ${_r} EQUAL 1)
    message(FATAL_ERROR "a run failed: ${_a} ${_b} ${_c}\n${_ea}\n${_eb}\n${_ec}")
  endif()
endforeach()
execute_process(COMMAND python3 -c "
import json, sys
d = sys.argv[1]
load = lambda n: json.load(open(f'{d}/{n}.json'))['results']['gaussian']['nfe=5']
e, m, w = load('exact'), load('model'), load('wrong')
assert json.load(open(f'{d}/model.json'))['results']['gaussian']['denoiser'].endswith('.pt')
for s in ('euler', 'dpmpp-2m'):
    for o in ('ays-dp', 'watson', 'gits', 'oss'):
        assert e[s][o]['sigmas'] == m[s][o]['sigmas'], (s, o, e[s][o]['sigmas'], m[s][o]['sigmas'])
differ = [o for o in ('ays-dp', 'gits', 'oss') if w['euler'][o]['sigmas'] != e['euler'][o]['sigmas']]
assert differ, 'the wrong convention gave the same schedules: is the model called?'
print('model = exact on', 4 * 2, 'schedules; wrong convention differs in', differ)
" ${DIR} RESULT_VARIABLE _p OUTPUT_VARIABLE _po ERROR_VARIABLE _pe)
if(NOT _p EQUAL 0)
  message(FATAL_ERROR "comparison failed: ${_po} ${_pe}")
endif()
message(STATUS "${_po}")
