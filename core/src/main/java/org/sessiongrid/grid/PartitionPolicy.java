package org.sessiongrid.grid;

import java.util.Locale;

/**
 * What members do while the cluster is split (setting {@code partitionPolicy}). Sessions are soft
 * state, so the default keeps both sides serving and reconciles at merge.
 */
public enum PartitionPolicy {
    /** {@code serve-both-sides} (default): every side reads and writes; at merge the highest version wins. */
    SERVE_BOTH_SIDES,
    /**
     * {@code minority-refuses-writes}: a side with fewer than half of the last stable membership
     * answers writes with an error rather than accepting changes that the merge may discard.
     */
    MINORITY_REFUSES_WRITES;

    /** The documented spelling: lower case with hyphens. */
    public String settingValue() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Accepts the documented spelling (and the constant name). */
    public static PartitionPolicy parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (PartitionPolicy p : values()) {
            if (p.name().equals(v)) {
                return p;
            }
        }
        throw new IllegalArgumentException("SessionGrid setting partitionPolicy=\"" + value
                + "\" is invalid: expected serve-both-sides or minority-refuses-writes");
    }
}
