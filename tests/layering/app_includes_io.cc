// Must compile: app wires adapters together, so it sees core and every io/* folder.
#include "core/ip.h"
#include "io/bus/manager_bus.h"
#include "io/config/config_files.h"
#include "io/sd/sd_notifier.h"
