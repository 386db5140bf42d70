# The /docs viewer: swagger-ui-dist from npm, installed at build time into the build tree and copied
# to docs/ next to the evni binary, where `evni serve` finds it (or --docs-dir / EVNI_DOCS_DIR).
# Without npm, or offline, the build goes on and /docs serves a page linking /openapi.json and
# /llms.txt. The install runs again only when tools/docs/viewer/package*.json change.
option(EVNI_DOCS_VIEWER "Install the /docs viewer (swagger-ui-dist) from npm at build time" ON)

function(evni_add_docs_viewer target)
    if(NOT EVNI_DOCS_VIEWER)
        message(STATUS "evni: /docs viewer disabled (EVNI_DOCS_VIEWER=OFF): /docs will link /openapi.json instead")
        return()
    endif()
    set(src ${PROJECT_SOURCE_DIR}/tools/docs/viewer)
    set(work ${CMAKE_BINARY_DIR}/docs-viewer)
    set(stamp ${work}/install.stamp)
    add_custom_command(
        OUTPUT ${stamp}
        COMMAND ${CMAKE_COMMAND} -DSRC=${src} -DWORK=${work} -DDEST=$<TARGET_FILE_DIR:${target}>/docs
                -DSTAMP=${stamp} -P ${PROJECT_SOURCE_DIR}/cmake/InstallDocsViewer.cmake
        DEPENDS ${src}/package.json ${src}/package-lock.json ${PROJECT_SOURCE_DIR}/cmake/InstallDocsViewer.cmake
        COMMENT "Installing the /docs viewer (npm swagger-ui-dist)"
        VERBATIM)
    add_custom_target(${target}_docs_viewer ALL DEPENDS ${stamp})
    add_dependencies(${target} ${target}_docs_viewer)  # the binary and the files it serves go together
endfunction()
