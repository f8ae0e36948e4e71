// Pinning TCP 902 to the backup interface, by concept: the netlink adapter (kernel.h), mapping an
// NFC address to an interface (mapping.h), desired pins and the reconcile against the kernel
// (reconcile.h), the flow audit (flow_audit.h) and the connect probes (probes.h). This header
// includes them all.
#pragma once

#include "flow_audit.h"
#include "kernel.h"
#include "mapping.h"
#include "probes.h"
#include "reconcile.h"
