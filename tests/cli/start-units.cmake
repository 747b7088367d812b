# sample's start_units: a start file in diffusers' unit-variance units (start-unit.npy =
# kdiffusion/start.npy / sqrt(80^2 + 1), written once with numpy) gives the same end points as the
# sigma-unit file (within 1e-12: the rescaling rounds), and read in the wrong units it does not
# (by far: 80x smaller start points end elsewhere on the ring).
set(_common --set data=ring8 --set solver=euler --set schedule=file
            --set schedule_file=${FIXTURES}/kdiffusion/sigmas.txt --quiet)
execute_process(COMMAND ${EXE} sample ${_common} --set start=${FIXTURES}/kdiffusion/start.npy
                        --set output=${DIR}/sigma.npy --out ${DIR}/sigma.json RESULT_VARIABLE _a)
execute_process(COMMAND ${EXE} sample ${_common} --set start=${FIXTURES}/start-unit.npy --set start_units=unit
                        --set output=${DIR}/unit.npy --out ${DIR}/unit.json RESULT_VARIABLE _b)
execute_process(COMMAND ${EXE} sample ${_common} --set start=${FIXTURES}/start-unit.npy
                        --set output=${DIR}/wrong.npy --out ${DIR}/wrong.json RESULT_VARIABLE _c)
if(NOT (_a EQUAL 0 AND _b EQUAL 0 AND _c EQUAL 0))
  message(FATAL_ERROR "sample exited ${_a} / ${_b} / ${_c}")
endif()
execute_process(COMMAND /usr/bin/python3 -c "
import struct, sys
def npy(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<H', b[8:10])[0]
    data = b[10 + n:]
    return struct.unpack('<%dd' % (len(data) // 8), data)
a, b, c = npy('${DIR}/sigma.npy'), npy('${DIR}/unit.npy'), npy('${DIR}/wrong.npy')
same = max(abs(x - y) for x, y in zip(a, b))
wrong = max(abs(x - y) for x, y in zip(a, c))
print(f'unit vs sigma units: {same:.3g} (tolerance 1e-12); read as sigma units: {wrong:.3g} (must exceed 0.1)')
sys.exit(0 if len(a) == 32 and same < 1e-12 and wrong > 0.1 else 1)"
                RESULT_VARIABLE _cmp OUTPUT_VARIABLE _out)
message(STATUS "${_out}")
if(NOT _cmp EQUAL 0)
  message(FATAL_ERROR "start_units: ${_out}")
endif()
