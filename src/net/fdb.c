/* fdb.c — the MAC learning table of the virtual switch (see fdb.h). */
#include <string.h>
#include "net/fdb.h"

void net_fdb_init(struct net_fdb *fdb)
{
    memset(fdb, 0, sizeof *fdb);
}

static unsigned mac_set(const uint8_t mac[6])
{
    /* Locally administered MACs differ in the last bytes: mix them all. */
    uint32_t h = 2166136261u;
    for (int i = 0; i < 6; i++)
        h = (h ^ mac[i]) * 16777619u;
    return (h ^ (h >> 16)) % NET_FDB_SETS;
}

void net_fdb_learn(struct net_fdb *fdb, const uint8_t mac[6], uint32_t port, uint64_t now_ns)
{
    if ((mac[0] & 1) || port == 0)
        return;
    struct net_fdb_entry *set = fdb->e[mac_set(mac)], *victim = &set[0];
    for (int i = 0; i < NET_FDB_WAYS; i++) {
        if (set[i].port && memcmp(set[i].mac, mac, 6) == 0) {
            set[i].port = port;          /* a station may move */
            set[i].seen_ns = now_ns;
            return;
        }
        if (!set[i].port)
            victim = &set[i];
        else if (victim->port && set[i].seen_ns < victim->seen_ns)
            victim = &set[i];
    }
    memcpy(victim->mac, mac, 6);
    victim->port = port;
    victim->seen_ns = now_ns;
}

uint32_t net_fdb_lookup(const struct net_fdb *fdb, const uint8_t mac[6], uint64_t now_ns)
{
    if (mac[0] & 1)
        return 0;
    const struct net_fdb_entry *set = fdb->e[mac_set(mac)];
    for (int i = 0; i < NET_FDB_WAYS; i++)
        if (set[i].port && memcmp(set[i].mac, mac, 6) == 0)
            return now_ns - set[i].seen_ns < NET_FDB_AGE_NS ? set[i].port : 0;
    return 0;
}

void net_fdb_forget_port(struct net_fdb *fdb, uint32_t port)
{
    for (int s = 0; s < NET_FDB_SETS; s++)
        for (int i = 0; i < NET_FDB_WAYS; i++)
            if (fdb->e[s][i].port == port)
                fdb->e[s][i].port = 0;
}
