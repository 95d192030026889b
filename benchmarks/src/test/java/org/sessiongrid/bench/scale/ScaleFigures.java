package org.sessiongrid.bench.scale;

/**
 * SessionGrid with {@code members} members in one JVM.
 *
 * @param cluster unicasts all members sent per write at the primary
 * @param primary of those, the unicasts the primary itself sent (its replication to the backups and JGroups'
 *        acknowledgements)
 * @param placementMicros median time to compute the owner table when one member joins (coordinator work)
 * @param movedSlotsPerJoin segment copies the join adds (each is one segment's records sent to the new member)
 * @param minimumSlotsPerJoin the new member's fair share of all copies: segments × owners / (members + 1)
 * @param startMillis from the first member's start until all members, the others started concurrently, held one
 *        settled topology (-1 when not formed)
 */
public record ScaleFigures(int members, PerWrite cluster, PerWrite primary, double placementMicros,
                           int movedSlotsPerJoin, int minimumSlotsPerJoin, long startMillis, String note) {

    /**
     * Unicast messages and payload bytes per write, idle traffic subtracted; of the messages, JGroups' (UNICAST3's)
     * acknowledgements and retransmissions. The idle traffic is estimated from a window before and one after the
     * writes; {@code messagesError} and {@code bytesError} are half the two estimates' difference per write: the
     * uncertainty of the subtraction, not the variation from run to run.
     */
    public record PerWrite(double messages, double messagesError, double acks, double retransmissions, double bytes,
                           double bytesError) {

        /** Not measured (the live cluster did not form). */
        public static final PerWrite NONE = new PerWrite(-1, 0, -1, -1, -1, 0);

        public boolean measured() {
            return messages >= 0;
        }

        String encode() {
            return messages + "/" + messagesError + "/" + acks + "/" + retransmissions + "/" + bytes + "/" + bytesError;
        }

        static PerWrite decode(String s) {
            double[] p = java.util.Arrays.stream(s.split("/")).mapToDouble(Double::parseDouble).toArray();
            return new PerWrite(p[0], p[1], p[2], p[3], p[4], p[5]);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.3f ± %.3f messages (%.3f acks, %.3f retransmissions), "
                    + "%.1f ± %.1f bytes", messages, messagesError, acks, retransmissions, bytes, bytesError);
        }
    }
}
