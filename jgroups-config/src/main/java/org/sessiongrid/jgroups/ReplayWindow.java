package org.sessiongrid.jgroups;

import java.util.Arrays;

/**
 * The counters already accepted from one sender incarnation: a sliding window of the last
 * {@value #SIZE} counters below the highest, as IPsec's anti-replay window. Every counter is accepted
 * once; a counter older than the window, or more than {@value #FIRST_CONTACT_MARGIN} below the first
 * one offered (the floor), never.
 *
 * <p>The window is wide because a sender's messages may overtake each other between sealing and the
 * wire (threads, and on UDP two sockets); a legitimate message is never that late, and one dropped
 * here is sent again, sealed anew, by UNICAST3 or NAKACK2 above.
 */
final class ReplayWindow {

    /** Counters remembered below the highest: 8 KiB per sender incarnation. */
    static final int SIZE = 1 << 16;
    /**
     * How far below the first counter offered a message is still accepted (once). Messages sent around
     * first contact overtake each other (two connections between a pair that connect to each other at
     * once, messages queued while a connection was being made); without the margin, the ones that
     * lost the race were refused as replays at every start of a farm.
     */
    static final int FIRST_CONTACT_MARGIN = 256;

    private final long[] seen = new long[SIZE / 64];
    private long highest;

    /**
     * A window for a sender first heard from with counter {@code first}: everything below it counts
     * as seen, except the {@value #FIRST_CONTACT_MARGIN} counters just below, so replays of what the
     * sender sent before this member first heard from it are refused but for the last few.
     */
    ReplayWindow(long first) {
        this.highest = first;
        Arrays.fill(seen, -1L);
        for (long c = Math.max(1, first - FIRST_CONTACT_MARGIN); c <= first; c++) {
            clear(c);
        }
    }

    /** True the first time {@code counter} is offered (and it is within the window), false otherwise. */
    synchronized boolean accept(long counter) {
        if (counter > highest) {
            long shift = counter - highest;
            if (shift >= SIZE) {
                Arrays.fill(seen, 0L);
            } else {
                for (long c = highest + 1; c < counter; c++) {
                    clear(c);
                }
            }
            highest = counter;
            set(counter);
            return true;
        }
        if (highest - counter >= SIZE) {
            return false;
        }
        if (isSet(counter)) {
            return false;
        }
        set(counter);
        return true;
    }

    private void set(long c) {
        seen[index(c)] |= 1L << c;
    }

    private void clear(long c) {
        seen[index(c)] &= ~(1L << c);
    }

    private boolean isSet(long c) {
        return (seen[index(c)] & (1L << c)) != 0;
    }

    private static int index(long c) {
        return (int) ((c >>> 6) & (SIZE / 64 - 1));
    }
}
