# cmake -DSRC=tools/docs/viewer -DWORK=<build>/docs-viewer -DDEST=<dir of evni>/docs -DSTAMP=... -P this
# Installs swagger-ui-dist with npm into WORK and copies the files evni serves into DEST. Never fails
# the build: without npm or network it says so and /docs falls back to a page of links.
set(files swagger-ui-bundle.js swagger-ui.css favicon-32x32.png)
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${STAMP} "")

find_program(NPM npm)
if(NOT NPM)
    message(STATUS "evni /docs viewer: skipped, npm not found (install nodejs and npm to get it; /docs shows links)")
    return()
endif()

configure_file(${SRC}/package.json ${WORK}/package.json COPYONLY)
configure_file(${SRC}/package-lock.json ${WORK}/package-lock.json COPYONLY)
# --ignore-scripts: swagger-ui-dist depends on an analytics package whose install script phones home.
execute_process(
    COMMAND ${NPM} ci --no-audit --no-fund --ignore-scripts --prefer-offline --fetch-retries=1 --loglevel=error
    WORKING_DIRECTORY ${WORK}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    TIMEOUT 300)
if(NOT rc EQUAL 0)
    message(STATUS "evni /docs viewer: skipped, `npm ci` failed (offline?): ${rc}\n${err}\n"
                   "/docs shows links instead; delete ${STAMP} and build again to retry.")
    return()
endif()

file(MAKE_DIRECTORY ${DEST})
foreach(f IN LISTS files)
    file(COPY ${WORK}/node_modules/swagger-ui-dist/${f} DESTINATION ${DEST})
endforeach()
message(STATUS "evni /docs viewer: installed into ${DEST}")
