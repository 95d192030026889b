package org.sessiongrid.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/** Member generators and table checks shared by the placement tests. */
final class Fixtures {

    static final int SEGMENTS = 1024;

    private Fixtures() {
    }

    /** {@code n} untagged members with random UUID ids (so the id order is unrelated to creation order). */
    static List<Member> members(Random random, int n) {
        List<Member> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            result.add(member(random, "m" + i, null, null, null));
        }
        return result;
    }

    static Member member(Random random, String name, String site, String rack, String machine) {
        return new Member(new UUID(random.nextLong(), random.nextLong()).toString(), name, site, rack, machine);
    }

    /**
     * Members laid out as {@code sites} × {@code racksPerSite} × {@code machinesPerRack} ×
     * {@code membersPerMachine}.
     */
    static List<Member> layout(Random random, int sites, int racksPerSite, int machinesPerRack, int membersPerMachine) {
        List<Member> result = new ArrayList<>();
        for (int s = 0; s < sites; s++) {
            for (int r = 0; r < racksPerSite; r++) {
                for (int m = 0; m < machinesPerRack; m++) {
                    for (int i = 0; i < membersPerMachine; i++) {
                        String name = "s" + s + "r" + r + "m" + m + "-" + i;
                        result.add(member(random, name, sites > 1 ? "site" + s : null,
                                racksPerSite > 1 ? "rack" + r : null, "machine" + m));
                    }
                }
            }
        }
        return result;
    }

    /** Every segment has exactly min(numOwners, n) distinct owners (distinctness is checked by OwnerTable). */
    static void assertOwnerCount(OwnerTable table, int numOwners) {
        int k = Math.min(numOwners, table.members().size());
        for (int s = 0; s < table.numSegments(); s++) {
            if (table.ownerIndexes(s).length != k) {
                fail("segment " + s + " has " + table.ownerIndexes(s).length + " owners, expected " + k);
            }
        }
    }

    static int minPrimaries(OwnerTable t) {
        return t.members().stream().mapToInt(t::primaryCount).min().orElseThrow();
    }

    static int maxPrimaries(OwnerTable t) {
        return t.members().stream().mapToInt(t::primaryCount).max().orElseThrow();
    }

    static int minOwned(OwnerTable t) {
        return t.members().stream().mapToInt(t::ownedCount).min().orElseThrow();
    }

    static int maxOwned(OwnerTable t) {
        return t.members().stream().mapToInt(t::ownedCount).max().orElseThrow();
    }

    /** Primaries per member are floor or ceil of segments/n; owned slots floor or ceil of segments*k/n. */
    static void assertExactBalance(OwnerTable t, int numOwners) {
        int n = t.members().size();
        int k = Math.min(numOwners, n);
        int s = t.numSegments();
        String context = n + " members, k=" + k + ": " + t;
        assertTrue(minPrimaries(t) >= s / n && maxPrimaries(t) <= (s + n - 1) / n, () -> "primaries " + context);
        long slots = (long) s * k;
        assertTrue(minOwned(t) >= slots / n && maxOwned(t) <= (slots + n - 1) / n, () -> "owned " + context);
    }

    /**
     * Primaries and owned slots within ±{@code percent}% of their means, or within floor/ceil of
     * the mean where the mean is too small for that to be achievable (e.g. 3.98 primaries each).
     */
    static void assertBalanceWithin(OwnerTable t, int numOwners, double percent) {
        int n = t.members().size();
        int k = Math.min(numOwners, n);
        double primaryMean = (double) t.numSegments() / n;
        double ownedMean = (double) t.numSegments() * k / n;
        double f = percent / 100;
        double primaryLo = Math.min(Math.floor(primaryMean), primaryMean * (1 - f));
        double primaryHi = Math.max(Math.ceil(primaryMean), primaryMean * (1 + f));
        double ownedLo = Math.min(Math.floor(ownedMean), ownedMean * (1 - f));
        double ownedHi = Math.max(Math.ceil(ownedMean), ownedMean * (1 + f));
        assertTrue(minPrimaries(t) >= primaryLo && maxPrimaries(t) <= primaryHi,
                () -> "primaries [" + minPrimaries(t) + ", " + maxPrimaries(t) + "] mean " + primaryMean);
        assertTrue(minOwned(t) >= ownedLo && maxOwned(t) <= ownedHi,
                () -> "owned [" + minOwned(t) + ", " + maxOwned(t) + "] mean " + ownedMean);
    }

    /** Number of segments whose owners do not all have distinct {@code key}s. */
    static int segmentsSharing(OwnerTable t, Function<Member, List<String>> key) {
        int count = 0;
        for (int s = 0; s < t.numSegments(); s++) {
            Set<List<String>> seen = new HashSet<>();
            for (Member m : t.owners(s)) {
                if (!seen.add(key.apply(m))) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    static List<String> siteOf(Member m) {
        return java.util.Arrays.asList(m.site());
    }

    static List<String> rackOf(Member m) {
        return java.util.Arrays.asList(m.site(), m.rack());
    }

    static List<String> machineOf(Member m) {
        return java.util.Arrays.asList(m.site(), m.rack(), m.machine());
    }

    /** Minimum copies a join of one member into {@code n} must transfer; see PlacementMovementTest. */
    static long joinMinimum(int segments, int numOwners, int n) {
        int kBefore = Math.min(numOwners, n);
        int kAfter = Math.min(numOwners, n + 1);
        long total = (long) segments * kAfter;
        long share = (total + n) / (n + 1);
        return share + Math.max(0, total - share - (long) segments * kBefore);
    }

    static void assertSameMembers(List<Member> expected, OwnerTable t) {
        List<Member> sorted = new ArrayList<>(expected);
        sorted.sort(null);
        assertEquals(sorted, t.members());
    }
}
