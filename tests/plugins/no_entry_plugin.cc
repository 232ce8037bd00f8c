// A shared object that is not a taskqueue plugin: no entry point.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
