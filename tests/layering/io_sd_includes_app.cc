// Must NOT compile: adapters cannot see the app layer that wires them.
#include "app/daemon.h"
