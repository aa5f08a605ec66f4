/* linux.netDevices: moving host network interfaces into the container's
 * network namespace (rtnetlink), renamed if asked, brought up, with their
 * IP addresses carried over. */
#ifndef VESSEL_NETDEV_H
#define VESSEL_NETDEV_H

#include <sys/types.h>
#include "container/ctr_err.h"
#include "container/oci_config.h"

/* Every listed host interface exists (checked before anything is made). */
int netdev_check(const struct oci_linux *lx, struct ctr_err *err);

/* Move them into the network namespace of process `pid` (as we see it). */
int netdev_move_all(const struct oci_linux *lx, pid_t pid, struct ctr_err *err);

#endif
