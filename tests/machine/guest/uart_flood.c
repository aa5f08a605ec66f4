/* uart_flood.c — M mode, --bios: print forever (tests that a reader who
 * stops reading cannot keep the VM from stopping). */
#include "lib.h"

int main(unsigned long hartid)
{
    if (hartid != 0)
        return 0;
    for (unsigned long n = 0;; n++)
        uart_puts("flood flood flood flood flood flood flood flood flood\n");
}
