/*
 * fdb.h — a switch's forwarding database: which port each MAC address was
 * last seen on, forgotten after NET_FDB_AGE_NS without traffic (as an
 * Ethernet bridge's 300 s ageing time).
 *
 * Ports are small non-zero numbers chosen by the owner; a lookup that
 * finds nothing (or an aged entry) means "flood".  Fixed size: a flood of
 * source addresses evicts the oldest entries, it never grows memory.
 */
#ifndef VESSEL_NET_FDB_H
#define VESSEL_NET_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define NET_FDB_SETS   256
#define NET_FDB_WAYS   4
#define NET_FDB_AGE_NS (300ULL * 1000000000ULL)

struct net_fdb_entry {
    uint8_t  mac[6];
    uint32_t port;           /* 0: empty */
    uint64_t seen_ns;
};

struct net_fdb {
    struct net_fdb_entry e[NET_FDB_SETS][NET_FDB_WAYS];
};

void net_fdb_init(struct net_fdb *fdb);
/* Remember that mac was seen on port at now_ns (multicast sources are
 * ignored: they are never a frame's origin). */
void net_fdb_learn(struct net_fdb *fdb, const uint8_t mac[6], uint32_t port, uint64_t now_ns);
/* The port of mac, or 0 if unknown, aged out, or not unicast. */
uint32_t net_fdb_lookup(const struct net_fdb *fdb, const uint8_t mac[6], uint64_t now_ns);
/* Forget everything learned on port (it went away). */
void net_fdb_forget_port(struct net_fdb *fdb, uint32_t port);

#endif
