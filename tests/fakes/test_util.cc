// Keeps the unit-test executable buildable before any test file exists.
#include "fakes/test_util.h"
