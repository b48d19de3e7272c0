# Emulated multi-host fabric tests (docs/FABRIC.md): network namespaces, veth links, bridges
# and tc tbf, the real fabricbench binary launched through scripts/fabric/mpirun.sh.
# Included from tests/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/fabric/FabricTests.cmake)
# They need root and working `ip netns`; otherwise each test prints the reason and exits 77,
# which ctest reports as skipped. They build and tear down one shared set of namespaces, so
# they hold RESOURCE_LOCK fabric. Run them alone with: ctest -L fabric
if(FB_SANITIZE)
  return()
endif()

find_program(FB_FABRIC_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(_fb_fabric_dir ${CMAKE_CURRENT_LIST_DIR})

# name, script, timeout (seconds); every test but defaults_line_rate (3-4 min) takes under a
# minute here (2 cores).
set(_fb_fabric_tests
    "fabric.script\;fabric_script_test.sh\;120"
    "fabric.from_model\;model_fabric_test.sh\;120"
    "fabric.p2p_leaf\;p2p_leaf_test.sh\;300"
    "fabric.spine_oversubscribed\;spine_test.sh\;300"
    "fabric.ring_allreduce\;allreduce_test.sh\;300"
    "fabric.defaults_line_rate\;defaults_test.sh\;600"
    "fabric.fault_killed_rank\;fault_kill_test.sh\;300"
    "fabric.fault_link_down\;fault_link_test.sh\;300"
    "fabric.fault_outside_subset\;fault_idle_test.sh\;300"
    "fabric.topology_sweep\;topology_test.sh\;300"
    "fabric.compare\;compare_test.sh\;300"
    "fabric.model\;model_test.sh\;300"
    "fabric.qualify\;qualify_test.sh\;300"
    "fabric.topology_order\;topology_order_test.sh\;600"
    "fabric.bisection\;bisection_test.sh\;300")
foreach(_t IN LISTS _fb_fabric_tests)
  list(GET _t 0 _name)
  list(GET _t 1 _script)
  list(GET _t 2 _timeout)
  add_test(NAME ${_name}
           COMMAND ${_fb_fabric_dir}/${_script} $<TARGET_FILE:fabricbench> ${FB_FABRIC_PYTHON})
  set_tests_properties(${_name} PROPERTIES LABELS fabric SKIP_RETURN_CODE 77
                       RESOURCE_LOCK fabric TIMEOUT ${_timeout} PROCESSORS 2)
endforeach()
