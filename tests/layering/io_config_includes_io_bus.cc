// Must NOT compile: io/* folders never include each other.
#include "io/bus/manager_bus.h"
