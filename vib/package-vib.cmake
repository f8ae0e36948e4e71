# cmake -P script: stage the host agent's payload tree, build the VIB and the offline bundle.
# Inputs (-D): HOSTD STRIP VIB_TOOL SCRIPTS MANIFEST STAGE OUT_VIB OUT_ZIP
foreach(v HOSTD STRIP VIB_TOOL SCRIPTS MANIFEST STAGE OUT_VIB OUT_ZIP)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "package-vib.cmake: -D${v}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${STAGE}")
set(exe OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(ro OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
function(stage src dest_dir perms)
  file(MAKE_DIRECTORY "${STAGE}/${dest_dir}")
  file(COPY "${src}" DESTINATION "${STAGE}/${dest_dir}" FILE_PERMISSIONS ${${perms}})
endfunction()

# The binary is stripped in the staged copy only.
file(MAKE_DIRECTORY "${STAGE}/opt/bnfc/bin")
execute_process(COMMAND "${STRIP}" -o "${STAGE}/opt/bnfc/bin/bnfc-hostd" "${HOSTD}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "stripping ${HOSTD} failed")
endif()
file(CHMOD "${STAGE}/opt/bnfc/bin/bnfc-hostd" PERMISSIONS ${exe})
stage("${SCRIPTS}/esxcli/bnfc-esxcli.sh" opt/bnfc/bin exe)
stage("${SCRIPTS}/bnfc-tag.sh" opt/bnfc/bin exe)
stage("${SCRIPTS}/bnfc-collect.sh" opt/bnfc/bin exe)
stage("${SCRIPTS}/init.d/bnfc-hostd" etc/init.d exe)
stage("${SCRIPTS}/firewall/bnfc-hostd.xml" etc/vmware/firewall ro)
stage("${SCRIPTS}/hostd.conf" etc/bnfc ro)
stage("${SCRIPTS}/esxcli/bnfc.xml" usr/lib/vmware/esxcli/ext ro)

execute_process(COMMAND "${VIB_TOOL}" build --manifest "${MANIFEST}" --payload "${STAGE}"
                        --out "${OUT_VIB}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bnfc-vib build failed")
endif()
execute_process(COMMAND "${VIB_TOOL}" bundle --vib "${OUT_VIB}" --out "${OUT_ZIP}"
                        --vendor-code BNFC --vendor-name backupnfc
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bnfc-vib bundle failed")
endif()
