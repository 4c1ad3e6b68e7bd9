// Must NOT compile: the pure core cannot see adapters.
#include "io/config/config_files.h"
