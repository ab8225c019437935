// Nothing to call: this target only supplies the wrappers that runtime_floor.c explains, which the
// linker's --wrap options (Package.swift, runtimeFloorLinkerSettings) send references to.
#ifndef C_RUNTIME_FLOOR_H
#define C_RUNTIME_FLOOR_H
#endif
