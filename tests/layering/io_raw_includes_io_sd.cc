// Must NOT compile: the raw-socket adapter cannot see another adapter.
#include "io/sd/sd_notifier.h"
