// Must NOT compile: io/* folders never include each other (sysctl reading stays out of the
// netlink adapter; app/ wires the two).
#include "io/sysctl/arp_sysctl_reader.h"
